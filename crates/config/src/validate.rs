//! Semantic validation of a [`Site`]: ids, names, sources, layouts and the wall.
//!
//! Owns: the rules a parsed site must satisfy, each reported as an [`Issue`] with a
//! [`Locator`] (which camera/layout/key) that `load.rs` turns into a line:column.
//! Must not: do I/O, parse TOML, or echo a camera password (sources are redacted).

use std::collections::{HashMap, HashSet};

use super::layout::{BUILTIN_LAYOUT_NAMES, is_builtin_layout_name};
use super::site::layout_by_name;
use super::site::{CURRENT_SCHEMA_VERSION, Site};
use crate::redact::{parse_source_with_credentials, redact};

/// Longest camera id.
pub const MAX_CAMERA_ID_LEN: usize = 64;
/// Longest camera display name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest custom layout name, in characters.
pub const MAX_LAYOUT_NAME_CHARS: usize = 64;
/// Largest custom layout grid side.
pub const MAX_GRID_SIDE: u32 = 8;
/// Longest pre-roll, in seconds (it is kept in memory).
pub const MAX_PRE_ROLL_S: f64 = 120.0;
/// Longest post-roll, in seconds.
pub const MAX_POST_ROLL_S: f64 = 3600.0;
/// Shortest `recording.max_age_days`: less deletes footage before anyone reviews it.
pub const MIN_MAX_AGE_DAYS: f64 = 1.0;
/// Smallest `storage.quota_gb`: less holds minutes of one camera.
pub const MIN_QUOTA_GB: f64 = 1.0;

/// Which part of the site file an issue is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locator {
    /// A top-level key.
    Root(&'static str),
    /// A key of `cameras[index]`.
    Camera {
        /// Camera position in the file (0-based).
        index: usize,
        /// TOML key.
        key: &'static str,
    },
    /// A key of `layouts[index]`.
    Layout {
        /// Layout position in the file (0-based).
        index: usize,
        /// TOML key.
        key: &'static str,
    },
    /// `layouts[layout].tiles[tile]`.
    Tile {
        /// Layout position in the file (0-based).
        layout: usize,
        /// Tile position in the layout (0-based).
        tile: usize,
    },
    /// A key of `[wall]`.
    Wall(&'static str),
    /// A key of `[storage]`.
    Storage(&'static str),
    /// A key of `[snapshots]`.
    Snapshots(&'static str),
    /// A key of `cameras[index].recording`.
    Recording {
        /// Camera position in the file (0-based).
        index: usize,
        /// TOML key.
        key: &'static str,
    },
    /// A key of `cameras[index].detection`.
    Detection {
        /// Camera position in the file (0-based).
        index: usize,
        /// TOML key.
        key: &'static str,
    },
    /// `wall.assignment[index]`.
    WallAssignment(usize),
    /// A key of `wall_windows[index]`.
    WallWindow {
        /// Window position in the file (0-based).
        index: usize,
        /// TOML key.
        key: &'static str,
    },
    /// `wall_windows[window].assignment[tile]`.
    WallWindowAssignment {
        /// Window position in the file (0-based).
        window: usize,
        /// Tile (0-based).
        tile: usize,
    },
}

/// One semantic problem, not yet placed at a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Where it is.
    pub locator: Locator,
    /// What is wrong.
    pub message: String,
}

/// Names that the storage folder uses for itself (`vigil_record::reconcile::QUARANTINE_DIR`),
/// compared ignoring case: a camera id names its folder there.
pub const RESERVED_CAMERA_IDS: [&str; 1] = ["quarantine"];

/// Whether `id` matches `[A-Za-z0-9_-]{1,64}`.
pub fn is_valid_camera_id(id: &str) -> bool {
    (1..=MAX_CAMERA_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Quotes user text for a message: escaped, and redacted in case it holds a URL.
fn q(text: &str) -> String {
    format!("`{}`", redact(text).escape_debug())
}

fn check_display_name(what: &str, name: &str, max_chars: usize) -> Option<String> {
    let chars = name.chars().count();
    if chars == 0 || chars > max_chars {
        Some(format!(
            "{what} must be 1 to {max_chars} characters long (it is {chars})"
        ))
    } else if name.chars().any(char::is_control) {
        Some(format!("{what} {} contains a control character", q(name)))
    } else {
        None
    }
}

/// Longest device text kept (`[cameras.device]`): manufacturer, model, firmware, …
const MAX_DEVICE_TEXT_CHARS: usize = 200;

/// The problems of one `[cameras.device]` table.
fn check_device(device: &crate::DeviceInfo) -> Vec<String> {
    let mut out = Vec::new();
    let texts = [
        ("manufacturer", &device.manufacturer),
        ("model", &device.model),
        ("firmware", &device.firmware),
        ("serial", &device.serial),
        ("hardware_id", &device.hardware_id),
    ];
    for (key, value) in texts {
        let Some(value) = value else { continue };
        if let Some(m) = check_display_name(&format!("device.{key}"), value, MAX_DEVICE_TEXT_CHARS)
        {
            out.push(m);
        } else if value.chars().any(is_bidi_control) {
            out.push(format!(
                "device.{key} {} contains a text-direction control character",
                q(value)
            ));
        }
    }
    if let Some(host) = &device.onvif {
        if host.is_empty() || host.len() > 255 {
            out.push(format!(
                "device.onvif must be host[:port], 1 to 255 characters (it is {})",
                host.len()
            ));
        } else if host.contains('@') {
            // Not quoted: the part before `@` may be a password.
            out.push(
                "device.onvif contains a user name or password; put the user name in \
                 `username` and the password in the credential store"
                    .to_owned(),
            );
        } else if host
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '/')
        {
            out.push(format!(
                "device.onvif {} must be host[:port] (no spaces, no path)",
                q(host)
            ));
        }
    }
    if let Some(mac) = &device.mac {
        let hex: String = mac.chars().filter(|c| *c != ':' && *c != '-').collect();
        if hex.len() != 12 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            out.push(format!(
                "device.mac {} is not a MAC address (six hex octets, like 0C:75:D2:01:02:03)",
                q(mac)
            ));
        }
    }
    out
}

/// Characters that reorder displayed text (U+202A–U+202E, U+2066–U+2069, marks): a
/// device name with them could show a different name than it has.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Checks every rule; returns all problems found, in file order.
pub fn validate_site(site: &Site) -> Vec<Issue> {
    let mut issues = Vec::new();
    let mut push = |locator, message: String| issues.push(Issue { locator, message });

    if site.schema_version != CURRENT_SCHEMA_VERSION {
        push(
            Locator::Root("schema_version"),
            format!(
                "unsupported schema_version {} (expected {CURRENT_SCHEMA_VERSION})",
                site.schema_version
            ),
        );
    }
    if let Some(m) = check_display_name("site name", &site.name, MAX_NAME_CHARS) {
        push(Locator::Root("name"), m);
    }
    for (_, problem) in site.roles.problems() {
        push(Locator::Root("roles"), problem.to_string());
    }

    let mut seen_ids = HashMap::new();
    for (index, cam) in site.cameras.iter().enumerate() {
        let at = |key| Locator::Camera { index, key };
        let who = format!("camera {}", q(&cam.id));
        if !is_valid_camera_id(&cam.id) {
            push(
                at("id"),
                format!(
                    "{who}: id must be 1 to {MAX_CAMERA_ID_LEN} characters from A-Z, a-z, 0-9, '-' and '_'"
                ),
            );
        } else if RESERVED_CAMERA_IDS
            .iter()
            .any(|r| r.eq_ignore_ascii_case(&cam.id))
        {
            push(
                at("id"),
                format!(
                    "{who}: id is reserved: the storage folder keeps its own `{}` folder there",
                    cam.id.to_ascii_lowercase()
                ),
            );
        } else if let Some(first) = seen_ids.insert(cam.id.to_ascii_lowercase(), cam.id.as_str()) {
            if first == cam.id.as_str() {
                push(at("id"), format!("duplicate camera id {}", q(&cam.id)));
            } else {
                // Ids name folders in the storage folder: on a case-insensitive disk
                // (exFAT, FAT32, NTFS, a Samba share) `Lobby` and `lobby` share one.
                push(
                    at("id"),
                    format!(
                        "{who}: id differs from {} only in case; ids name storage folders, so they must differ in more than case",
                        q(first)
                    ),
                );
            }
        }
        if let Some(m) = check_display_name("name", &cam.name, MAX_NAME_CHARS) {
            push(at("name"), format!("{who}: {m}"));
        }
        if let Some(group) = &cam.group
            && let Some(m) = check_display_name("group", group, MAX_NAME_CHARS)
        {
            push(at("group"), format!("{who}: {m}"));
        }
        if let Some(device) = &cam.device {
            for m in check_device(device) {
                push(at("device"), format!("{who}: {m}"));
            }
        }
        match parse_source_with_credentials(&cam.source) {
            Err(e) => push(at("source"), format!("{who}: {e}")),
            Ok((_, Some(_))) => push(
                at("source"),
                format!(
                    "{who}: source {} contains a user name or password; remove it from the URL, \
                     put the user name in `username` and the password in the credential store \
                     (credentials.toml)",
                    q(&cam.source)
                ),
            ),
            Ok((_, None)) => {}
        }
        let mut seen_streams = HashSet::from(["main"]);
        for sub in &cam.substreams {
            let name_ok = !sub.name.is_empty()
                && sub.name.len() <= 32
                && sub
                    .name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
            if !name_ok {
                push(
                    at("substreams"),
                    format!(
                        "{who}: substream name {} must be 1 to 32 characters from a-z, 0-9, '-' and '_'",
                        q(&sub.name)
                    ),
                );
            } else if !seen_streams.insert(sub.name.as_str()) {
                push(
                    at("substreams"),
                    format!(
                        "{who}: substream name {} is used twice (or is \"main\")",
                        q(&sub.name)
                    ),
                );
            }
            match parse_source_with_credentials(&sub.source) {
                Err(e) => push(
                    at("substreams"),
                    format!("{who}: substream {}: {e}", q(&sub.name)),
                ),
                Ok((_, Some(_))) => push(
                    at("substreams"),
                    format!(
                        "{who}: substream {} source contains a user name or password; remove it from the URL",
                        q(&sub.name)
                    ),
                ),
                Ok((_, None)) => {}
            }
        }
        if let Some(user) = &cam.username
            && (user.is_empty() || user.chars().any(char::is_control))
        {
            push(
                at("username"),
                format!("{who}: username must be non-empty and without control characters"),
            );
        }
        if let Some(rec) = &cam.recording {
            let at = |key| Locator::Recording { index, key };
            if let Some(days) = rec.max_age_days
                && !(days.is_finite() && days >= MIN_MAX_AGE_DAYS)
            {
                push(
                    at("max_age_days"),
                    format!(
                        "{who}: recording.max_age_days must be at least {MIN_MAX_AGE_DAYS} day (it is {days}); a shorter age deletes footage before anyone reviews it"
                    ),
                );
            }
            for (key, value, max) in [
                ("pre_roll_s", rec.pre_roll_s, MAX_PRE_ROLL_S),
                ("post_roll_s", rec.post_roll_s, MAX_POST_ROLL_S),
            ] {
                if !(value.is_finite() && (0.0..=max).contains(&value)) {
                    push(
                        at(key),
                        format!(
                            "{who}: recording.{key} must be 0 to {max} seconds (it is {value})"
                        ),
                    );
                }
            }
        }
        for kind in cam.alerts.keys() {
            if !crate::site::ALERT_KINDS.contains(&kind.as_str()) {
                push(
                    Locator::Camera {
                        index,
                        key: "alerts",
                    },
                    format!(
                        "{who}: alerts.{kind}: no such event kind (one of {})",
                        crate::site::ALERT_KINDS.join(", ")
                    ),
                );
            }
        }
        if let Some(detection) = &cam.detection
            && let Err(err) = detection.validate()
        {
            let key = match &err {
                vigil_detect::SettingsError::OutOfRange { field, .. } => field,
                _ => "zones",
            };
            push(
                Locator::Detection { index, key },
                format!("{who}: detection: {err}"),
            );
        }
    }

    if let Some(storage) = &site.storage {
        if let Some(path) = &storage.path {
            if path.trim().is_empty() {
                push(
                    Locator::Storage("path"),
                    "storage: path is empty; remove it to record into the data directory, or name a folder".to_owned(),
                );
            } else if !std::path::Path::new(path).is_absolute() {
                push(
                    Locator::Storage("path"),
                    format!("storage: path {} must be absolute (start with /)", q(path)),
                );
            } else if path.chars().any(char::is_control) {
                push(
                    Locator::Storage("path"),
                    format!("storage: path {} contains a control character", q(path)),
                );
            }
        }
        if let Some(gb) = storage.quota_gb
            && !(gb.is_finite() && gb >= MIN_QUOTA_GB)
        {
            push(
                Locator::Storage("quota_gb"),
                format!(
                    "storage: quota_gb must be at least {MIN_QUOTA_GB} GB (it is {gb}); remove it for no quota"
                ),
            );
        }
    }

    if let Some(dir) = site.snapshots.as_ref().and_then(|s| s.dir.as_ref()) {
        if dir.trim().is_empty() {
            push(
                Locator::Snapshots("dir"),
                "snapshots: dir is empty; remove it to save snapshots in your Pictures folder, or name a folder".to_owned(),
            );
        } else if !std::path::Path::new(dir).is_absolute() {
            push(
                Locator::Snapshots("dir"),
                format!("snapshots: dir {} must be absolute (start with /)", q(dir)),
            );
        } else if dir.chars().any(char::is_control) {
            push(
                Locator::Snapshots("dir"),
                format!("snapshots: dir {} contains a control character", q(dir)),
            );
        }
    }

    let camera_exists = |id: &str| site.cameras.iter().any(|c| c.id == id);
    let mut seen_layouts = HashSet::new();
    for (index, layout) in site.layouts.iter().enumerate() {
        let at = |key| Locator::Layout { index, key };
        let who = format!("layout {}", q(&layout.name));
        if let Some(m) = check_display_name("layout name", &layout.name, MAX_LAYOUT_NAME_CHARS) {
            push(at("name"), m);
        } else if is_builtin_layout_name(&layout.name) {
            push(
                at("name"),
                format!("{who}: name is taken by a built-in layout; choose another name"),
            );
        } else if !seen_layouts.insert(layout.name.as_str()) {
            push(
                at("name"),
                format!("duplicate layout name {}", q(&layout.name)),
            );
        }
        let side = 1..=MAX_GRID_SIDE;
        if !side.contains(&layout.cols) || !side.contains(&layout.rows) {
            push(
                at("cols"),
                format!(
                    "{who}: grid is {}x{}; cols and rows must each be 1 to {MAX_GRID_SIDE}",
                    layout.cols, layout.rows
                ),
            );
            continue;
        }
        if layout.tiles.is_empty() {
            push(at("tiles"), format!("{who}: has no tiles"));
        }
        let mut owner = vec![None::<usize>; (layout.cols * layout.rows) as usize];
        for (tile_index, tile) in layout.tiles.iter().enumerate() {
            let at = Locator::Tile {
                layout: index,
                tile: tile_index,
            };
            let tile_who = format!("{who}, tile {}", tile_index + 1);
            let right = tile.col.checked_add(tile.w);
            let bottom = tile.row.checked_add(tile.h);
            let inside = tile.w >= 1
                && tile.h >= 1
                && right.is_some_and(|r| r <= layout.cols)
                && bottom.is_some_and(|b| b <= layout.rows);
            if !inside {
                push(
                    at,
                    format!(
                        "{tile_who}: col={} row={} w={} h={} does not fit in the {}x{} grid",
                        tile.col, tile.row, tile.w, tile.h, layout.cols, layout.rows
                    ),
                );
            } else {
                let mut clash = None;
                for row in tile.row..tile.row + tile.h {
                    for col in tile.col..tile.col + tile.w {
                        let cell = &mut owner[(row * layout.cols + col) as usize];
                        match *cell {
                            Some(other) => clash = clash.or(Some(other)),
                            None => *cell = Some(tile_index),
                        }
                    }
                }
                if let Some(other) = clash {
                    push(at, format!("{tile_who} overlaps tile {}", other + 1));
                }
            }
            if let Some(cam) = tile.camera.as_deref()
                && !camera_exists(cam)
            {
                push(at, format!("{tile_who}: unknown camera {}", q(cam)));
            }
        }
    }

    match layout_by_name(site, &site.wall.layout) {
        None => {
            let custom: Vec<_> = site.layouts.iter().map(|l| q(&l.name)).collect();
            let custom = if custom.is_empty() {
                String::from("none")
            } else {
                custom.join(", ")
            };
            push(
                Locator::Wall("layout"),
                format!(
                    "wall: unknown layout {}; built-in layouts are {}; custom layouts: {custom}",
                    q(&site.wall.layout),
                    BUILTIN_LAYOUT_NAMES.join(", ")
                ),
            );
        }
        Some(layout) if site.wall.assignment.len() > layout.tiles.len() => push(
            Locator::Wall("assignment"),
            format!(
                "wall: assignment lists {} cameras but layout {} has {} tiles",
                site.wall.assignment.len(),
                q(&layout.name),
                layout.tiles.len()
            ),
        ),
        Some(_) => {}
    }
    for (i, id) in site.wall.assignment.iter().enumerate() {
        if let Some(id) = id
            && !camera_exists(id)
        {
            push(
                Locator::WallAssignment(i),
                format!("wall: assignment {}: unknown camera {}", i + 1, q(id)),
            );
        }
    }
    crate::wall_windows::validate_wall_windows(site, &mut push);
    issues
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CameraId;
    use crate::site::{CameraConfig, CustomLayout, CustomLayoutKind, TileConfig, demo_site};

    fn cam(id: &str, source: &str) -> CameraConfig {
        CameraConfig::new(id, id.to_uppercase(), source)
    }

    fn tile(col: u32, row: u32, w: u32, h: u32, camera: Option<&str>) -> TileConfig {
        TileConfig {
            col,
            row,
            w,
            h,
            camera: camera.map(CameraId::from),
        }
    }

    fn site_with_layout(tiles: Vec<TileConfig>) -> Site {
        let mut site = Site::empty();
        site.cameras = vec![cam("lobby", "rtsp://10.0.0.5/s"), cam("yard", "yard.mp4")];
        site.layouts.push(CustomLayout {
            name: "Entrance".into(),
            kind: CustomLayoutKind::Custom,
            cols: 3,
            rows: 3,
            tiles,
        });
        site
    }

    fn messages(site: &Site) -> Vec<String> {
        validate_site(site).into_iter().map(|i| i.message).collect()
    }

    #[test]
    fn valid_sites_have_no_issues() {
        assert!(validate_site(&Site::empty()).is_empty());
        assert!(validate_site(&demo_site(std::path::Path::new("/demo"))).is_empty());
        let site = site_with_layout(vec![
            tile(0, 0, 2, 2, Some("lobby")),
            tile(2, 0, 1, 1, Some("yard")),
            tile(2, 2, 1, 1, None),
        ]);
        assert_eq!(messages(&site), Vec::<String>::new());
    }

    #[test]
    fn camera_ids() {
        for good in ["a", "Lobby_1", "loading-dock", &"x".repeat(64)] {
            assert!(is_valid_camera_id(good), "{good}");
        }
        for bad in ["", "has space", "ünï", "a/b", "a.b", &"x".repeat(65)] {
            assert!(!is_valid_camera_id(bad), "{bad}");
        }
        let mut site = Site::empty();
        site.cameras = vec![
            cam("a", "x.mp4"),
            cam("b", "y.mp4"),
            cam("a", "z.mp4"),
            cam("bad id", "w.mp4"),
        ];
        let issues = validate_site(&site);
        assert_eq!(issues.len(), 2, "{issues:?}");
        assert_eq!(
            issues[0].locator,
            Locator::Camera {
                index: 2,
                key: "id"
            }
        );
        assert_eq!(issues[0].message, "duplicate camera id `a`");
        assert!(issues[1].message.contains("`bad id`"));
    }

    #[test]
    fn ids_that_would_share_a_storage_folder_are_refused() {
        let mut site = Site::empty();
        site.cameras = vec![
            cam("Lobby", "x.mp4"),
            cam("lobby", "y.mp4"),
            cam("Quarantine", "z.mp4"),
        ];
        let issues = validate_site(&site);
        assert_eq!(issues.len(), 2, "{issues:?}");
        assert_eq!(
            issues[0].locator,
            Locator::Camera {
                index: 1,
                key: "id"
            }
        );
        assert_eq!(
            issues[0].message,
            "camera `lobby`: id differs from `Lobby` only in case; ids name storage folders, so they must differ in more than case"
        );
        assert_eq!(
            issues[1].locator,
            Locator::Camera {
                index: 2,
                key: "id"
            }
        );
        assert!(issues[1].message.contains("reserved"), "{issues:?}");
    }

    #[test]
    fn camera_names_and_usernames() {
        let mut site = Site::empty();
        let mut a = cam("a", "x.mp4");
        a.name = String::new();
        let mut b = cam("b", "x.mp4");
        b.name = "bell\u{7}".into();
        let mut c = cam("c", "x.mp4");
        c.name = "é".repeat(100);
        c.username = Some(String::new());
        site.cameras = vec![a, b, c];
        let m = messages(&site);
        assert_eq!(m.len(), 3, "{m:?}");
        assert!(m[0].contains("1 to 100"));
        assert!(m[1].contains("control character") && m[1].contains("\\u{7}"));
        assert!(m[2].contains("username"));
    }

    #[test]
    fn camera_groups() {
        let mut site = Site::empty();
        let mut a = cam("a", "x.mp4");
        a.group = Some("Warehouse / Floor 2".into());
        let mut b = cam("b", "x.mp4");
        b.group = Some(String::new());
        let mut c = cam("c", "x.mp4");
        c.group = Some("tab\there".into());
        site.cameras = vec![a, b, c];
        let issues = validate_site(&site);
        assert_eq!(issues.len(), 2, "{issues:?}");
        assert_eq!(
            issues[0].locator,
            Locator::Camera {
                index: 1,
                key: "group"
            }
        );
        assert!(issues[0].message.contains("group must be 1 to 100"));
        assert!(issues[1].message.contains("control character"));
    }

    #[test]
    fn device_tables() {
        let mut site = Site::empty();
        let mut good = cam("good", "x.mp4");
        good.device = Some(crate::DeviceInfo {
            onvif: Some("192.168.1.20:8080".into()),
            manufacturer: Some("Acme".into()),
            mac: Some("0c-75-d2-01-02-03".into()),
            ..Default::default()
        });
        let mut bad = cam("bad", "x.mp4");
        bad.device = Some(crate::DeviceInfo {
            onvif: Some("admin:pw@192.168.1.20".into()),
            manufacturer: Some("Acme\u{202e}".into()),
            mac: Some("0C:75:D2:01:02".into()),
            ..Default::default()
        });
        site.cameras = vec![good, bad];
        let issues = validate_site(&site);
        assert_eq!(issues.len(), 3, "{issues:?}");
        assert!(issues.iter().all(|i| i.locator
            == Locator::Camera {
                index: 1,
                key: "device"
            }));
        let text: Vec<&str> = issues.iter().map(|i| i.message.as_str()).collect();
        assert!(
            text[0].contains("device.manufacturer") && text[0].contains("text-direction"),
            "{text:?}"
        );
        assert!(
            text[1].contains("user name or password") && !text[1].contains("pw@"),
            "{text:?}"
        );
        assert!(text[2].contains("not a MAC address"), "{text:?}");
    }

    #[test]
    fn sources_with_credentials_are_rejected_without_leaking() {
        let mut site = Site::empty();
        site.cameras = vec![
            cam("lobby", "rtsp://admin:Sup3rS3cret@10.0.0.5/s"),
            cam("gate", "http://gate/x"),
        ];
        let issues = validate_site(&site);
        assert_eq!(issues.len(), 2);
        assert_eq!(
            issues[0].locator,
            Locator::Camera {
                index: 0,
                key: "source"
            }
        );
        assert!(
            issues[0].message.contains("credential store"),
            "{}",
            issues[0].message
        );
        assert!(issues[0].message.contains("rtsp://***@10.0.0.5/s"));
        assert!(!issues[0].message.contains("Sup3rS3cret"));
        assert!(
            issues[1]
                .message
                .starts_with("camera `gate`: unsupported scheme `http`")
        );
    }

    #[test]
    fn custom_layout_rules() {
        let overlap = site_with_layout(vec![tile(0, 0, 2, 2, None), tile(1, 1, 1, 1, None)]);
        assert_eq!(
            messages(&overlap),
            ["layout `Entrance`, tile 2 overlaps tile 1"]
        );
        let outside = site_with_layout(vec![
            tile(2, 0, 2, 1, None),
            tile(0, 3, 1, 1, None),
            tile(0, 0, 0, 1, None),
        ]);
        let m = messages(&outside);
        assert_eq!(m.len(), 3, "{m:?}");
        assert!(m[0].contains("does not fit in the 3x3 grid"));
        let huge = site_with_layout(vec![tile(u32::MAX, 0, 2, 1, None)]);
        assert_eq!(messages(&huge).len(), 1);
        let unknown_cam = site_with_layout(vec![tile(0, 0, 1, 1, Some("nope"))]);
        assert_eq!(
            messages(&unknown_cam),
            ["layout `Entrance`, tile 1: unknown camera `nope`"]
        );
        let empty = site_with_layout(Vec::new());
        assert_eq!(messages(&empty), ["layout `Entrance`: has no tiles"]);

        let mut grid = site_with_layout(vec![tile(0, 0, 1, 1, None)]);
        grid.layouts[0].cols = 9;
        assert!(messages(&grid)[0].contains("1 to 8"));
        grid.layouts[0].cols = 0;
        assert!(messages(&grid)[0].contains("0x3"));

        let mut names = site_with_layout(vec![tile(0, 0, 1, 1, None)]);
        names.layouts.push(names.layouts[0].clone());
        let mut builtin = names.layouts[0].clone();
        builtin.name = "2x2".into();
        names.layouts.push(builtin);
        let issues = validate_site(&names);
        assert_eq!(issues.len(), 2, "{issues:?}");
        assert_eq!(issues[0].message, "duplicate layout name `Entrance`");
        assert_eq!(
            issues[1].locator,
            Locator::Layout {
                index: 2,
                key: "name"
            }
        );
        assert!(issues[1].message.contains("built-in"));
    }

    #[test]
    fn wall_rules() {
        let mut site = site_with_layout(vec![tile(0, 0, 1, 1, None), tile(1, 0, 1, 1, None)]);
        site.wall.layout = "Entrance".into();
        site.wall.assignment = vec![Some("lobby".into()), None];
        assert!(validate_site(&site).is_empty());
        site.wall.assignment.push(Some("yard".into()));
        assert_eq!(
            messages(&site),
            ["wall: assignment lists 3 cameras but layout `Entrance` has 2 tiles"]
        );
        site.wall.layout = "6x6".into();
        site.wall.assignment = vec![Some("ghost".into())];
        let issues = validate_site(&site);
        assert_eq!(issues.len(), 2);
        assert!(
            issues[0]
                .message
                .starts_with("wall: unknown layout `6x6`; built-in layouts are 1x1, 2x2")
        );
        assert!(issues[0].message.ends_with("custom layouts: `Entrance`"));
        assert_eq!(issues[1].locator, Locator::WallAssignment(0));
    }

    #[test]
    fn recording_settings() {
        use crate::site::{RecordingConfig, RecordingMode, StorageConfig};
        let mut site = Site::empty();
        site.cameras = vec![cam("a", "x.mp4"), cam("b", "y.mp4")];
        site.cameras[0].recording = Some(RecordingConfig::new(RecordingMode::Events));
        site.storage = Some(StorageConfig {
            path: Some("/srv/vigil".into()),
            quota_gb: Some(2.5),
        });
        assert!(
            validate_site(&site).is_empty(),
            "{:?}",
            validate_site(&site)
        );
        site.cameras[1].recording = Some(RecordingConfig {
            max_age_days: Some(0.0),
            pre_roll_s: -1.0,
            post_roll_s: f64::NAN,
            ..RecordingConfig::new(RecordingMode::Continuous)
        });
        site.storage = Some(StorageConfig {
            path: Some("recordings".into()),
            quota_gb: Some(f64::INFINITY),
        });
        let issues = validate_site(&site);
        let keys: Vec<Locator> = issues.iter().map(|i| i.locator).collect();
        assert_eq!(
            keys,
            [
                Locator::Recording {
                    index: 1,
                    key: "max_age_days"
                },
                Locator::Recording {
                    index: 1,
                    key: "pre_roll_s"
                },
                Locator::Recording {
                    index: 1,
                    key: "post_roll_s"
                },
                Locator::Storage("path"),
                Locator::Storage("quota_gb"),
            ]
        );
        assert_eq!(
            issues[1].message,
            "camera `b`: recording.pre_roll_s must be 0 to 120 seconds (it is -1)"
        );
        assert!(
            issues[3].message.contains("must be absolute"),
            "{}",
            issues[3].message
        );
        site.storage = Some(StorageConfig {
            path: Some("  ".into()),
            quota_gb: None,
        });
        site.cameras[1].recording = None;
        assert_eq!(
            messages(&site),
            [
                "storage: path is empty; remove it to record into the data directory, or name a folder"
            ]
        );
    }

    #[test]
    fn snapshot_folder_must_be_absolute() {
        use crate::site::SnapshotsConfig;
        let mut site = Site::empty();
        site.snapshots = Some(SnapshotsConfig {
            dir: Some("/srv/snapshots".into()),
        });
        assert!(validate_site(&site).is_empty());
        site.snapshots = Some(SnapshotsConfig {
            dir: Some("shots".into()),
        });
        assert_eq!(
            messages(&site),
            ["snapshots: dir `shots` must be absolute (start with /)"]
        );
        site.snapshots = Some(SnapshotsConfig {
            dir: Some(" ".into()),
        });
        assert_eq!(validate_site(&site)[0].locator, Locator::Snapshots("dir"),);
    }

    #[test]
    fn schema_version_and_site_name() {
        let mut site = Site::empty();
        site.schema_version = 0;
        site.name = String::new();
        let issues = validate_site(&site);
        assert_eq!(issues[0].locator, Locator::Root("schema_version"));
        assert_eq!(issues[1].locator, Locator::Root("name"));
    }
}
