//! The site file's schema: what a `site.toml` may contain, with serde defaults.
//!
//! Owns: the plain data types of the site (cameras, custom layouts, the wall, where and
//! how cameras record) and the built-in demo site. Must not: do I/O, validate meaning (see `validate.rs`) or hold
//! a password: credentials live in the credential store (`secrets.rs`).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::id::{self, CameraId};
use crate::layout::{Layout, LayoutKind, TileRect, builtin_layout};

/// The newest site-file schema this build reads and writes.
pub const CURRENT_SCHEMA_VERSION: u32 = 1;

/// Display name used when a site file has no `name`.
pub const DEFAULT_SITE_NAME: &str = "Site";

/// Layout shown on the wall when a site file has no `[wall]`.
pub const DEFAULT_WALL_LAYOUT: &str = "2x2";

/// A whole site: its cameras, custom layouts and what the wall shows.
///
/// `PartialEq` only: the recording settings hold numbers of seconds, days and gigabytes
/// as `f64`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// Schema version of the file; always written.
    pub schema_version: u32,
    /// Site display name.
    #[serde(default = "default_site_name")]
    pub name: String,
    /// Cameras, in the order the user listed them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cameras: Vec<CameraConfig>,
    /// Named custom layouts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layouts: Vec<CustomLayout>,
    /// The live wall.
    #[serde(default)]
    pub wall: WallConfig,
    /// Extra walls, each in its own window (`[[wall_windows]]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wall_windows: Vec<crate::WallWindowConfig>,
    /// Where recordings go and how much room they may take (`[storage]`); absent: the
    /// data directory's `recordings` folder, no quota (only the free-space reserve).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<StorageConfig>,
    /// Where snapshots go (`[snapshots]`); absent: the `Vigil` folder in the user's
    /// Pictures folder (see `user_dirs::snapshot_dir`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshots: Option<SnapshotsConfig>,
    /// Where camera passwords are kept (`[credentials]`); absent: `store = "auto"`.
    /// See docs/credentials.md.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<CredentialsConfig>,
    /// Operator role passwords as Argon2id PHC strings (`[roles]`, docs/roles.md);
    /// absent or empty: single-user mode.
    #[serde(default, skip_serializing_if = "crate::RolesConfig::is_empty")]
    pub roles: crate::RolesConfig,
}

/// Where camera passwords are kept (`[credentials]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialsConfig {
    /// `"auto"`, `"keyring"`, `"vault"` or `"file"`.
    #[serde(default)]
    pub store: PasswordStoreKind,
}

/// Which store holds camera passwords (`[credentials] store`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum PasswordStoreKind {
    /// The OS keyring when it answers, else the vault.
    #[default]
    Auto,
    /// The OS keyring (Secret Service on Linux) only.
    Keyring,
    /// The encrypted vault file `credentials.vault` in the config directory.
    Vault,
    /// Only the legacy plain-text `credentials.toml`, read-only: no new passwords.
    File,
}

impl PasswordStoreKind {
    /// The value as written in the site file.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Keyring => "keyring",
            Self::Vault => "vault",
            Self::File => "file",
        }
    }
}

impl Site {
    /// The configured password store (`auto` when the site has no `[credentials]`).
    pub fn password_store(&self) -> PasswordStoreKind {
        self.credentials
            .as_ref()
            .map(|c| c.store)
            .unwrap_or_default()
    }
}

/// Where snapshots are saved (`[snapshots]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotsConfig {
    /// Snapshot folder (absolute); absent: `<Pictures>/Vigil`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<String>,
}

/// Where recordings are kept (`[storage]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    /// Storage folder (absolute); absent: `<data dir>/recordings`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// All cameras' recordings together may use at most this many gigabytes
    /// (10^9 bytes); the oldest unbookmarked footage is deleted first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota_gb: Option<f64>,
}

impl StorageConfig {
    /// The quota in bytes, if any (a valid site has a finite, positive quota).
    pub fn quota_bytes(&self) -> Option<u64> {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        self.quota_gb
            .filter(|gb| gb.is_finite() && *gb > 0.0)
            .map(|gb| (gb * 1e9).min(u64::MAX as f64) as u64)
    }
}

/// When a camera records (`[cameras.recording] mode`, and `--mode` on the command line).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum RecordingMode {
    /// Not recorded.
    Off,
    /// Always recorded (the default once a `[cameras.recording]` table exists).
    #[default]
    Continuous,
    /// Only around events, from `pre_roll_s` before to `post_roll_s` after.
    Events,
}

/// Default pre-roll of events mode, in seconds.
pub const DEFAULT_PRE_ROLL_S: f64 = 5.0;
/// Default post-roll of events mode, in seconds.
pub const DEFAULT_POST_ROLL_S: f64 = 10.0;

/// How one camera records (`[cameras.recording]`); a camera without it does not record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingConfig {
    /// `"off"`, `"continuous"` or `"events"`.
    #[serde(default)]
    pub mode: RecordingMode,
    /// Footage older than this many days is deleted (bookmarked footage is kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_days: Option<f64>,
    /// Events mode: seconds kept before a trigger.
    #[serde(default = "default_pre_roll_s")]
    pub pre_roll_s: f64,
    /// Events mode: seconds recorded after an event ends.
    #[serde(default = "default_post_roll_s")]
    pub post_roll_s: f64,
}

impl RecordingConfig {
    /// Settings with the site file's defaults for `mode`.
    pub fn new(mode: RecordingMode) -> Self {
        Self {
            mode,
            max_age_days: None,
            pre_roll_s: DEFAULT_PRE_ROLL_S,
            post_roll_s: DEFAULT_POST_ROLL_S,
        }
    }
}

fn default_pre_roll_s() -> f64 {
    DEFAULT_PRE_ROLL_S
}

fn default_post_roll_s() -> f64 {
    DEFAULT_POST_ROLL_S
}

/// One camera or file source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraConfig {
    /// Stable identifier, `[A-Za-z0-9_-]{1,64}`, unique within the site.
    pub id: CameraId,
    /// Display name, 1..=100 characters, no control characters.
    pub name: String,
    /// Where the camera is (a site, building or floor: "Warehouse / Floor 2"), for the
    /// Cameras panel's grouping; 1..=100 characters, no control characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// `rtsp://`, `rtsps://` or a file path; never with credentials.
    pub source: String,
    /// RTSP lower transport.
    #[serde(default)]
    pub transport: Transport,
    /// Login name; the password is in the credential store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// For file sources: loop and pace to real time.
    #[serde(default = "default_true")]
    pub loop_file: bool,
    /// Disabled cameras are kept in the file but not opened.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Main stream resolution and frame rate, probed on first connect and cached here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fps: Option<u32>,
    /// Smaller streams of the same camera, used for small tiles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub substreams: Vec<SubstreamConfig>,
    /// Higher keeps full frame rate longer when the machine is overloaded.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub priority: i32,
    /// Recording settings (`[cameras.recording]`); absent: not recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<RecordingConfig>,
    /// Motion and tamper detection (`[cameras.detection]`, the keys of
    /// `docs/detection.md`); absent: nothing is detected on this camera.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detection: Option<vigil_detect::Settings>,
    /// What each kind of event on this camera does (`[cameras.alerts.<kind>]`); a kind
    /// not named keeps its default (see `docs/alarms.md`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub alerts: std::collections::BTreeMap<String, AlertRule>,
    /// What the device said about itself (`[cameras.device]`), kept from "Add by ONVIF"
    /// or an inventory refresh; absent for cameras added by URL alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceInfo>,
}

/// A camera's device identity and where its ONVIF service answers. Every field is
/// optional: a device may not report one, and an installer may type only the address.
/// The text comes from the device, so it is shown escaped and never trusted for
/// anything but display and the compliance report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceInfo {
    /// `host[:port]` of the ONVIF device service, without credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onvif: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardware_id: Option<String>,
    /// The MAC of the device's network interface: six octets, written with `:` or `-`
    /// or no separator, any case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
}

/// How much an event matters.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "lowercase")]
pub enum AlertSeverity {
    Info,
    Warning,
    Critical,
}

/// What an event does beyond being indexed (it always is).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum AlertAction {
    /// Raise an alarm: queue, flashing border, counts.
    Alarm,
    /// An alarm that also asks for a sound.
    Sound,
    /// Only the index and the log.
    Log,
}

/// One event kind's rule on one camera; each key is optional.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AlertRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<AlertSeverity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<AlertAction>,
}

/// The event kinds a rule can name.
pub const ALERT_KINDS: &[&str] = &[
    "motion",
    "tamper_blocked",
    "tamper_defocus",
    "tamper_moved",
    "camera_offline",
    "camera_unreachable",
    "wrong_credentials",
    "camera_stalled",
    "camera_online",
    "recording_stopped",
    "disk_full",
];

impl CameraConfig {
    /// A camera with the defaults the site file would give it: TCP, looping files,
    /// enabled, sizes unknown, no sub-streams, normal priority.
    pub fn new(
        id: impl Into<CameraId>,
        name: impl Into<String>,
        source: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            group: None,
            source: source.into(),
            transport: Transport::default(),
            username: None,
            loop_file: true,
            enabled: true,
            width: None,
            height: None,
            fps: None,
            substreams: Vec::new(),
            priority: 0,
            recording: None,
            detection: None,
            alerts: std::collections::BTreeMap::new(),
            device: None,
        }
    }

    /// The source as the camera list shows it: through [`crate::redact::redact`], so a
    /// password written into the URL never reaches the screen.
    pub fn shown_source(&self) -> String {
        crate::redact::redact(&self.source)
    }

    /// How the camera records; `Off` without a `[cameras.recording]` table.
    pub fn recording_mode(&self) -> RecordingMode {
        self.recording
            .as_ref()
            .map_or(RecordingMode::Off, |r| r.mode)
    }
}

/// A camera's extra stream (sub-stream, third stream).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubstreamConfig {
    /// `sub`, `third`, … : `[a-z0-9_-]{1,32}`, not `main`, unique per camera.
    pub name: String,
    /// Same rules as the camera's `source`.
    pub source: String,
    /// Resolution and frame rate, probed on first connect and cached here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fps: Option<u32>,
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero(v: &i32) -> bool {
    *v == 0
}

/// RTSP lower transport (the site file's `transport`, and `--transport` on the command
/// line).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// RTP interleaved in the RTSP TCP connection (default): works through NAT and
    /// firewalls.
    #[default]
    Tcp,
    /// RTP over UDP: lower latency on a clean LAN, loses packets elsewhere.
    Udp,
}

/// The only `kind` a layout in the site file may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CustomLayoutKind {
    /// A user-defined arrangement of tiles.
    #[default]
    Custom,
}

/// A named, user-defined layout (`[[layouts]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomLayout {
    /// Unique name, not a built-in layout's name.
    pub name: String,
    /// Always `"custom"`.
    #[serde(default)]
    pub kind: CustomLayoutKind,
    /// Grid columns, 1..=8.
    pub cols: u32,
    /// Grid rows, 1..=8.
    pub rows: u32,
    /// Tiles in reading order.
    #[serde(default)]
    pub tiles: Vec<TileConfig>,
}

/// One tile of a custom layout, in grid cells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TileConfig {
    /// Left column (0-based).
    pub col: u32,
    /// Top row (0-based).
    pub row: u32,
    /// Width in cells.
    #[serde(default = "default_one", skip_serializing_if = "is_one")]
    pub w: u32,
    /// Height in cells.
    #[serde(default = "default_one", skip_serializing_if = "is_one")]
    pub h: u32,
    /// Camera id shown in the tile; `None` (or `""` in the file) is an empty tile.
    #[serde(
        default,
        with = "id::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub camera: Option<CameraId>,
}

/// What the live wall shows (`[wall]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WallConfig {
    /// Active layout: a built-in name (`"2x2"`, `"1+5"`, ...) or a custom layout's name.
    #[serde(default = "default_wall_layout")]
    pub layout: String,
    /// Camera per tile of the active layout, `None` for an empty tile (written `""` in
    /// the file: TOML has no null).
    #[serde(default, with = "id::empty_as_none")]
    pub assignment: Vec<Option<CameraId>>,
    /// Overlay decoder statistics on tiles.
    #[serde(default)]
    pub show_stats: bool,
    /// Acknowledging an alarm needs a note.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub alarm_note_required: bool,
}

impl Default for WallConfig {
    fn default() -> Self {
        Self {
            layout: default_wall_layout(),
            assignment: Vec::new(),
            show_stats: false,
            alarm_note_required: false,
        }
    }
}

fn default_site_name() -> String {
    DEFAULT_SITE_NAME.to_string()
}

pub(crate) fn default_wall_layout() -> String {
    DEFAULT_WALL_LAYOUT.to_string()
}

fn default_true() -> bool {
    true
}

fn default_one() -> u32 {
    1
}

fn is_one(v: &u32) -> bool {
    *v == 1
}

impl Default for Site {
    fn default() -> Self {
        Self::empty()
    }
}

impl Site {
    /// A site with no cameras and no custom layouts.
    pub fn empty() -> Self {
        Self {
            schema_version: CURRENT_SCHEMA_VERSION,
            name: default_site_name(),
            cameras: Vec::new(),
            layouts: Vec::new(),
            wall: WallConfig::default(),
            wall_windows: Vec::new(),
            storage: None,
            snapshots: None,
            credentials: None,
            roles: crate::RolesConfig::default(),
        }
    }

    /// The camera with this id.
    pub fn camera(&self, id: &str) -> Option<&CameraConfig> {
        self.cameras.iter().find(|c| c.id == id)
    }

    /// The custom layout with this name.
    pub fn custom_layout(&self, name: &str) -> Option<&CustomLayout> {
        self.layouts.iter().find(|l| l.name == name)
    }

    /// Camera id shown in each tile of the active wall layout, in tile order.
    ///
    /// A non-empty `wall.assignment` entry wins; otherwise a custom layout tile's own
    /// `camera` is used. Returns an empty list when the active layout is unknown.
    pub fn wall_cameras(&self) -> Vec<Option<CameraId>> {
        let Some(layout) = layout_by_name(self, &self.wall.layout) else {
            return Vec::new();
        };
        let custom = self.custom_layout(&self.wall.layout);
        (0..layout.tiles.len())
            .map(|i| {
                let assigned = self.wall.assignment.get(i).and_then(Option::as_ref);
                let from_layout = custom
                    .and_then(|l| l.tiles.get(i))
                    .and_then(|t| t.camera.as_ref());
                assigned.or(from_layout).cloned()
            })
            .collect()
    }
}

/// Looks a layout up by name: built-ins first, then the site's custom layouts.
pub fn layout_by_name(site: &Site, name: &str) -> Option<Layout> {
    builtin_layout(name).or_else(|| site.custom_layout(name).map(CustomLayout::to_layout))
}

impl CustomLayout {
    /// The layout's geometry, in the same form as the built-in layouts.
    pub fn to_layout(&self) -> Layout {
        Layout {
            name: self.name.clone(),
            kind: LayoutKind::Custom,
            cols: self.cols,
            rows: self.rows,
            tiles: self
                .tiles
                .iter()
                .map(|t| TileRect {
                    col: t.col,
                    row: t.row,
                    w: t.w,
                    h: t.h,
                })
                .collect(),
        }
    }
}

/// Demo camera ids and names, in wall order.
const DEMO_CAMERAS: [(&str, &str); 7] = [
    ("lobby", "Lobby"),
    ("yard", "Yard"),
    ("gate", "Gate"),
    ("parking", "Parking"),
    ("loading-dock", "Loading dock"),
    ("hallway", "Hallway"),
    ("entrance", "Entrance"),
];

/// How many demo cameras start on the wall (the "1+5" layout's tiles); the rest wait
/// in the camera list to be dragged in.
const DEMO_ON_WALL: usize = 6;

/// How long the demo site keeps its footage, in days.
pub const DEMO_MAX_AGE_DAYS: f64 = 1.0;

/// The demo site: seven looping file cameras `<demo_dir>/<id>.mp4`, six of them on a 1+5
/// wall, all recorded continuously and kept for [`DEMO_MAX_AGE_DAYS`]. It names no
/// storage folder: the app records it into `AppPaths::demo_recordings_dir`, apart from
/// any real site's recordings (see `AppPaths::storage_dir`).
pub fn demo_site(demo_dir: &Path) -> Site {
    let cameras = DEMO_CAMERAS
        .iter()
        .map(|(id, name)| CameraConfig {
            width: Some(640),
            height: Some(360),
            fps: Some(25),
            recording: Some(RecordingConfig {
                max_age_days: Some(DEMO_MAX_AGE_DAYS),
                ..RecordingConfig::new(RecordingMode::Continuous)
            }),
            ..CameraConfig::new(
                *id,
                *name,
                demo_dir.join(format!("{id}.mp4")).to_string_lossy(),
            )
        })
        .collect();
    Site {
        schema_version: CURRENT_SCHEMA_VERSION,
        name: "Demo site".to_string(),
        cameras,
        layouts: Vec::new(),
        wall: WallConfig {
            layout: "1+5".to_string(),
            assignment: DEMO_CAMERAS
                .iter()
                .take(DEMO_ON_WALL)
                .map(|(id, _)| Some(CameraId::from(*id)))
                .collect(),
            show_stats: false,
            alarm_note_required: false,
        },
        wall_windows: Vec::new(),
        storage: None,
        snapshots: None,
        credentials: None,
        roles: crate::RolesConfig::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_file_gets_defaults() {
        let site: Site = toml::from_str("schema_version = 1").expect("parse");
        assert_eq!(site, Site::empty());
        let cam: CameraConfig =
            toml::from_str("id = \"a\"\nname = \"A\"\nsource = \"x.mp4\"").expect("parse");
        assert_eq!(cam.transport, Transport::Tcp);
        assert!(cam.loop_file && cam.enabled);
        assert_eq!(cam.username, None);
        let tile: TileConfig = toml::from_str("col = 1\nrow = 2").expect("parse");
        assert_eq!((tile.w, tile.h, tile.camera), (1, 1, None));
    }

    #[test]
    fn transport_and_kind_spellings() {
        let cam: CameraConfig =
            toml::from_str("id = \"a\"\nname = \"A\"\nsource = \"x\"\ntransport = \"udp\"")
                .expect("parse");
        assert_eq!(cam.transport, Transport::Udp);
        assert!(
            toml::from_str::<CameraConfig>("id=\"a\"\nname=\"A\"\nsource=\"x\"\ntransport=\"TCP\"")
                .is_err()
        );
        assert!(
            toml::from_str::<CustomLayout>("name=\"x\"\nkind=\"grid\"\ncols=1\nrows=1").is_err()
        );
    }

    #[test]
    fn demo_site_matches_spec() {
        let site = demo_site(Path::new("/opt/vigil/demo"));
        let ids: Vec<_> = site.cameras.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "lobby",
                "yard",
                "gate",
                "parking",
                "loading-dock",
                "hallway",
                "entrance"
            ]
        );
        assert_eq!(site.cameras[4].name, "Loading dock");
        assert_eq!(site.cameras[0].source, "/opt/vigil/demo/lobby.mp4");
        assert!(site.cameras.iter().all(|c| c.loop_file && c.enabled));
        assert_eq!(site.wall.layout, "1+5");
        assert_eq!(
            site.wall.assignment,
            ids[..6]
                .iter()
                .map(|id| Some(CameraId::from(*id)))
                .collect::<Vec<_>>()
        );
        let wall = site.wall_cameras();
        assert_eq!(wall.len(), 6);
        assert_eq!(wall[5].as_deref(), Some("hallway"));
    }

    #[test]
    fn wall_cameras_prefers_assignment_over_custom_tile() {
        let mut site = Site::empty();
        site.layouts.push(CustomLayout {
            name: "Entrance".into(),
            kind: CustomLayoutKind::Custom,
            cols: 2,
            rows: 1,
            tiles: vec![
                TileConfig {
                    col: 0,
                    row: 0,
                    w: 1,
                    h: 1,
                    camera: Some("a".into()),
                },
                TileConfig {
                    col: 1,
                    row: 0,
                    w: 1,
                    h: 1,
                    camera: Some("b".into()),
                },
            ],
        });
        site.wall.layout = "Entrance".into();
        site.wall.assignment = vec![None, Some("c".into())];
        assert_eq!(site.wall_cameras(), [Some("a".into()), Some("c".into())]);
        site.wall.layout = "nope".into();
        assert!(site.wall_cameras().is_empty());
    }

    #[test]
    fn lookup_by_name_prefers_builtins_then_custom() {
        let mut site = Site::empty();
        assert_eq!(layout_by_name(&site, "2x2").map(|l| l.tiles.len()), Some(4));
        assert!(layout_by_name(&site, "Entrance").is_none());
        site.layouts.push(CustomLayout {
            name: "Entrance".into(),
            kind: CustomLayoutKind::Custom,
            cols: 3,
            rows: 3,
            tiles: vec![
                TileConfig {
                    col: 0,
                    row: 0,
                    w: 2,
                    h: 2,
                    camera: Some("lobby".into()),
                },
                TileConfig {
                    col: 2,
                    row: 0,
                    w: 1,
                    h: 1,
                    camera: None,
                },
            ],
        });
        let l = layout_by_name(&site, "Entrance").expect("custom");
        assert_eq!(l.kind, crate::LayoutKind::Custom);
        assert_eq!(
            l.tiles[0],
            crate::TileRect {
                col: 0,
                row: 0,
                w: 2,
                h: 2
            }
        );
        assert!(
            crate::is_builtin_layout_name("1+12") && !crate::is_builtin_layout_name("Entrance")
        );
    }
}
