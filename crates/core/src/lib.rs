//! What the app drives, without a window: the media engine and each camera's stream
//! choice, the site's recorders, review players, the wall model, the site file's saves,
//! the index reader behind the timeline, operator roles and the audit trail. [`Core`] is stepped by eframe's
//! `App::logic` or by a headless caller, takes [`Command`]s and returns a [`WallView`].
//!
//! Alerts (motion, tamper, camera health, the alarm queue) run here too ([`alerts`]).
//!
//! Owns: everything a wall needs that is not drawing. Must not: know egui or wgpu —
//! it hands out frames by [`vigil_frame::VideoKey`], and the app uploads and draws them.

pub mod alerts;
pub mod audit;
pub mod cameras;
pub mod command;
mod driver;
pub mod export;
mod fresh;
pub mod installer;
pub mod passwords;
pub mod posture;
pub mod probe;
pub mod ptz;
pub mod recording;
pub mod review;
pub mod roles;
pub mod saver;
pub mod snapshot;
pub mod streams;
pub mod timeline_data;
pub mod view;
pub mod wall;
pub mod zoom;

pub use alerts::{Alarm, AlarmState};
pub use cameras::{CameraEdit, ChangeOutcome, PasswordChange, SiteChange};
pub use command::Command;
pub use driver::{Core, CoreOptions, FROZEN_AFTER, PROBE_PREVIEW, TILE_GAP_POINTS, Viewport};
pub use export::{ExportOrder, ExportStatus};
pub use installer::{DiscoveryLookup, DiscoveryOrder, OnvifLogin, OnvifLookup};
pub use passwords::{MigrationStatus, PasswordSaveError, VaultPassphrase};
pub use posture::{CheckKind, Finding, PostureCheck, PostureReport, Status as PostureStatus};
pub use probe::{Anonymous, ProbeReport, ProbeStage, StreamProbe};
pub use ptz::{PtzAction, PtzPreset, PtzSpeeds, PtzState, PtzView};
pub use roles::{Operator, Refused, Role, RolePassword};
pub use view::{LiveTile, Picture, ReviewTile, TileCamera, TileContent, TileView, WallView};
pub use vigil_detect::{GRID_H, GRID_W};
pub use vigil_store::Severity;
pub use wall::WallId;
pub use zoom::{MAX_ZOOM, Zoom};
