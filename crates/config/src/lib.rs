//! Site configuration: the site file (`site.toml`), its layouts, where files live,
//! camera sources with the one redaction function ([`redact`]), and the credential store
//! kept apart from the site file.
//!
//! Owns: the public surface of the config module; each submodule owns one concern
//! (schema, layout geometry, validation, loading, atomic writing, startup policy,
//! paths, credentials). Must not: open cameras, draw UI, or let a password reach a
//! log, an error or the site file.

pub mod csv;
mod error;
mod id;
mod layout;
mod load;
mod paths;
pub mod redact;
mod resolve;
pub mod roles;
mod secrets;
mod site;
mod user_dirs;
mod validate;
mod wall_windows;
mod write;

pub use error::{ConfigError, LineCol, ValidationIssue};
pub use id::CameraId;
pub use layout::{
    BUILTIN_LAYOUT_NAMES, Layout, LayoutKind, TileRect, builtin_layout, builtin_layouts,
    is_builtin_layout_name,
};
pub use load::{MAX_SITE_FILE_BYTES, load_site, parse_site};
pub use paths::{
    AppPaths, CONFIG_DIR_ENV, CREDENTIALS_FILE_NAME, DATA_DIR_ENV, DEMO_RECORDINGS_DIR_NAME,
    RECORDINGS_DIR_NAME, SITE_FILE_NAME,
};
pub use resolve::{ResolvedSite, SiteSource, resolve_site};
pub use roles::{Role, RoleError, RolesConfig};
pub use secrets::{CREDENTIALS_FILE_MODE, CredentialStore, password_env_var};
pub use site::{
    ALERT_KINDS, AlertAction, AlertRule, AlertSeverity, CURRENT_SCHEMA_VERSION, CameraConfig,
    CredentialsConfig, CustomLayout, CustomLayoutKind, DEFAULT_POST_ROLL_S, DEFAULT_PRE_ROLL_S,
    DEFAULT_SITE_NAME, DEFAULT_WALL_LAYOUT, DEMO_MAX_AGE_DAYS, DeviceInfo, PasswordStoreKind,
    RecordingConfig, RecordingMode, Site, SnapshotsConfig, StorageConfig, SubstreamConfig,
    TileConfig, Transport, WallConfig, demo_site, layout_by_name,
};
pub use user_dirs::{
    PICTURES_DIR_ENV, SNAPSHOTS_SUBDIR, pictures_dir, snapshot_dir, snapshot_dir_with, user_dir,
};
pub use validate::{Issue, Locator, is_valid_camera_id, validate_site};
pub use wall_windows::{MAX_WALL_WINDOWS, MAX_WINDOW_POINTS, WallWindowConfig, WindowPlacement};
pub use write::{SITE_FILE_MODE, save_site_atomic, site_to_toml, write_atomic};
