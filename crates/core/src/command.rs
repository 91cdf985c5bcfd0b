//! What the app (or any headless caller) asks the core to do. Widgets return these;
//! [`crate::Core::apply`] carries them out.
//!
//! Must not: carry UI types: tiles are indices into the layout, cameras are ids, times
//! are wall-clock nanoseconds.

use vigil_config::{CameraId, RecordingConfig};

use crate::roles::{Role, RolePassword};

use crate::cameras::SiteChange;
use crate::export::ExportOrder;
use vigil_playback::SeekMode;
use vigil_time::WallNanos;
use vigil_timeline::TimeRange;

/// One request to the core.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Show `camera` in `tile` (a camera dropped on a tile) and select the tile.
    Assign {
        tile: usize,
        camera: CameraId,
    },
    /// Show `camera` in the selected tile, else the first empty one (a camera picked
    /// from the list).
    PutOnWall(CameraId),
    /// Swap two tiles' cameras (a tile dragged onto another).
    Swap(usize, usize),
    /// Empty a tile.
    Clear(usize),
    Select(usize),
    /// Maximise a tile, or restore the wall when it is the maximised one.
    ToggleMaximise(usize),
    /// Maximise a tile, or restore the wall with `None`.
    Maximise(Option<usize>),
    /// Letterbox ↔ crop to fill, for one tile.
    ToggleFill(usize),
    /// Digital zoom: multiply `tile`'s zoom by `factor` (1× to 16×), keeping the
    /// picture point under `at` where it is (`at`: 0 to 1 across and down the drawn
    /// picture; the pointer for the wheel, the middle for keys).
    ZoomAt {
        tile: usize,
        factor: f32,
        at: [f32; 2],
    },
    /// Move a zoomed tile's view by `by`, in fractions of what it shows (`[0.1, 0.0]`:
    /// a tenth more to the right).
    Pan {
        tile: usize,
        by: [f32; 2],
    },
    /// Show the whole picture again.
    ResetZoom(usize),
    /// Show a built-in or saved layout by name.
    SetLayout(String),
    /// Save the wall as it is as a named custom layout.
    SaveLayoutAs(String),
    /// Show or hide every tile's HUD (saved in the site).
    ShowStats(bool),
    /// Save a tile's picture as a full-resolution PNG.
    Snapshot(usize),
    /// Review the layout's recordings at `time` (starting review when live); a
    /// `Preview` seek shows the nearest keyframe (dragging), `Exact` the exact frame.
    Seek {
        time: WallNanos,
        mode: SeekMode,
    },
    Play,
    Pause,
    /// Signed speed for playing (negative: reverse); applied at once while playing.
    SetSpeed(f64),
    /// Step frames on the selected tile's camera; the others follow.
    Step(i32),
    /// Instant replay: `tile`'s camera (the selected one when `None`) plays from this
    /// many seconds ago while the other tiles stay live.
    Replay {
        tile: Option<usize>,
        seconds: i64,
    },
    /// Back to live.
    Live,
    /// Bookmark `range` on `cameras`, with a note.
    AddBookmark {
        cameras: Vec<CameraId>,
        range: TimeRange,
        note: String,
    },
    RemoveBookmark(i64),
    /// Show a message in the status bar.
    Say(String),
    /// Export an evidence bundle in the background (`Core::export_status` follows it).
    Export(ExportOrder),
    /// Stop the running export; it leaves nothing.
    CancelExport,
    /// Add, edit, remove or reorder a camera, or change the storage settings: checked
    /// with the site file's rules first, then applied live (only the cameras it touches
    /// restart) and saved; [`crate::Core::take_change_outcome`] says how it went.
    ChangeSite(SiteChange),
    /// Test a camera as the panel has it (before saving): open its main stream on a
    /// worker, measure it and preview it (`Core::probe_report`, the picture under
    /// [`vigil_frame::VideoKey::Preview`]); replaces a running test.
    TestStream(Box<crate::cameras::CameraEdit>),
    /// Stop the running test and drop its preview.
    StopTest,
    /// Run the security check on a saved camera (read-only, with its stored
    /// credentials) on a worker; [`crate::Core::posture_report`] follows it. Replaces a
    /// running check.
    SecurityCheck(vigil_config::CameraId),
    /// The vault's passphrase, typed by the installer when a password save needed it
    /// ([`crate::ChangeOutcome::NeedsPassphrase`]); kept in memory for this run.
    UnlockVault(crate::passwords::VaultPassphrase),
    /// Move `credentials.toml`'s plain-text passwords into the configured store on a
    /// worker thread ([`crate::Core::migration_status`] follows it).
    MigratePasswords,
    /// Ask an ONVIF device who it is and which streams it has, with the login the
    /// installer typed, on a worker thread ([`crate::Core::onvif_lookup`] follows it).
    InspectOnvif(crate::installer::OnvifLogin),
    /// Forget the last ONVIF inspection (the panel left the ONVIF step).
    ClearOnvif,
    /// Send a WS-Discovery Probe on a worker thread, bounded in time and replies
    /// ([`crate::Core::discovery_lookup`] follows it). No credentials are sent.
    Discover(crate::installer::DiscoveryOrder),
    /// Become `role`: a higher role needs its password (or a higher role's), a lower
    /// one never does. Recorded in the audit trail either way.
    SwitchRole {
        role: Role,
        password: RolePassword,
    },
    /// Change a camera's recording settings (`None`: not recorded); applied live and
    /// saved with the site. Installer only.
    SetRecording {
        camera: CameraId,
        recording: Option<RecordingConfig>,
    },
    /// Acknowledge a new alarm with a note (refused without one when the site asks
    /// for notes); bookmarks the event's range with the note.
    AcknowledgeAlarm {
        id: u64,
        note: String,
    },
    /// Draw (or not) the moving cells over detecting cameras' tiles.
    ShowMotion(bool),
    /// Close an alarm; it stays in the queue's history.
    CloseAlarm(u64),
    /// Play an alarm's camera from a few seconds before the alarm (instant review).
    ReviewAlarm(u64),
    /// A tile command (assign, swap, select, maximise, layout, snapshot, …) on one
    /// wall: the main one or an extra wall window. Other commands run as they are.
    OnWall(crate::wall::WallId, Box<Command>),
    /// Open another wall in its own window (saved in the site file).
    OpenWallWindow,
    /// Close a wall window by name (it leaves the site file).
    CloseWallWindow(String),
    /// Where a wall window is now (monitor, size, full screen), to restore it at start.
    PlaceWallWindow {
        name: String,
        placement: vigil_config::WindowPlacement,
    },
    /// Drive a PTZ camera: move, stop, presets, home. Carried out on the camera's PTZ
    /// worker (never waits for the camera); `Core::ptz` says how it went.
    Ptz {
        camera: CameraId,
        action: crate::ptz::PtzAction,
    },
}
