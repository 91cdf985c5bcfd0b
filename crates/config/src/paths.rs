//! Where Vigil keeps its files: configuration, data and logs.
//!
//! Owns: [`AppPaths`], resolved from the platform's conventions
//! (`directories::ProjectDirs`) with `VIGIL_CONFIG_DIR` / `VIGIL_DATA_DIR` overrides,
//! and which storage folder a site records into.
//! Must not: create directories or read files; callers do that when they need to.

use std::ffi::OsString;
use std::path::PathBuf;

use directories::ProjectDirs;

use super::error::ConfigError;
use super::resolve::SiteSource;
use super::site::Site;

/// Overrides the configuration directory (site file, credentials).
pub const CONFIG_DIR_ENV: &str = "VIGIL_CONFIG_DIR";
/// Overrides the data directory (recordings index, logs).
pub const DATA_DIR_ENV: &str = "VIGIL_DATA_DIR";
/// File name of the site file inside the configuration directory.
pub const SITE_FILE_NAME: &str = "site.toml";
/// File name of the credential store inside the configuration directory.
pub const CREDENTIALS_FILE_NAME: &str = "credentials.toml";
/// Default storage folder of a site's recordings, inside the data directory.
pub const RECORDINGS_DIR_NAME: &str = "recordings";
/// Storage folder of the demo site's recordings, inside the data directory.
pub const DEMO_RECORDINGS_DIR_NAME: &str = "demo-recordings";

/// Vigil's directories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppPaths {
    /// Site file and credential store (e.g. `~/.config/vigil`).
    pub config_dir: PathBuf,
    /// Application data (e.g. `~/.local/share/vigil`).
    pub data_dir: PathBuf,
    /// Log files (`~/.local/state/vigil/logs` on Linux, else `<data_dir>/logs`).
    pub log_dir: PathBuf,
    /// `<config_dir>/site.toml`.
    pub default_site_file: PathBuf,
}

impl AppPaths {
    /// Resolves the paths from the process environment and the user's home directory.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::resolve(|name| std::env::var_os(name))
    }

    /// Resolves the paths with `env` standing in for the process environment (tests).
    ///
    /// An override that is set but empty is ignored. Without a home directory, both
    /// overrides are needed.
    pub fn resolve(env: impl Fn(&str) -> Option<OsString>) -> Result<Self, ConfigError> {
        let var = |name: &str| env(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        let config_override = var(CONFIG_DIR_ENV);
        let data_override = var(DATA_DIR_ENV);
        let project = match (&config_override, &data_override) {
            (Some(_), Some(_)) => None,
            _ => Some(ProjectDirs::from("org", "Vigil", "vigil").ok_or(ConfigError::NoHomeDir)?),
        };
        let from_project = |f: fn(&ProjectDirs) -> PathBuf| project.as_ref().map(f);
        let config_dir = config_override
            .or_else(|| from_project(|p| p.config_dir().to_path_buf()))
            .ok_or(ConfigError::NoHomeDir)?;
        let log_dir = match (&data_override, &project) {
            (None, Some(p)) => p.state_dir().map(|s| s.join("logs")),
            _ => None,
        };
        let data_dir = data_override
            .or_else(|| from_project(|p| p.data_dir().to_path_buf()))
            .ok_or(ConfigError::NoHomeDir)?;
        let log_dir = log_dir.unwrap_or_else(|| data_dir.join("logs"));
        Ok(Self {
            default_site_file: config_dir.join(SITE_FILE_NAME),
            config_dir,
            data_dir,
            log_dir,
        })
    }

    /// `<config_dir>/credentials.toml`.
    pub fn credentials_file(&self) -> PathBuf {
        self.config_dir.join(CREDENTIALS_FILE_NAME)
    }

    /// `<data_dir>/recordings`: where a site file's cameras record unless its
    /// `[storage] path` says otherwise.
    pub fn recordings_dir(&self) -> PathBuf {
        self.data_dir.join(RECORDINGS_DIR_NAME)
    }

    /// `<data_dir>/demo-recordings`: the built-in demo site's own archive, never shared
    /// with a real site's recordings.
    pub fn demo_recordings_dir(&self) -> PathBuf {
        self.data_dir.join(DEMO_RECORDINGS_DIR_NAME)
    }

    /// The storage folder of the site the app runs: the demo site (`--demo`, or no
    /// site file yet) always records into [`Self::demo_recordings_dir`]; a site file's
    /// cameras into its `[storage] path`, else [`Self::recordings_dir`].
    pub fn storage_dir(&self, source: &SiteSource, site: &Site) -> PathBuf {
        match source {
            SiteSource::Demo => self.demo_recordings_dir(),
            SiteSource::File(_) => site
                .storage
                .as_ref()
                .and_then(|s| s.path.as_deref())
                .filter(|p| !p.is_empty())
                .map_or_else(|| self.recordings_dir(), PathBuf::from),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_win() {
        let paths = AppPaths::resolve(|name| match name {
            CONFIG_DIR_ENV => Some("/tmp/cfg".into()),
            DATA_DIR_ENV => Some("/tmp/data".into()),
            _ => None,
        })
        .expect("paths");
        assert_eq!(paths.config_dir, PathBuf::from("/tmp/cfg"));
        assert_eq!(paths.data_dir, PathBuf::from("/tmp/data"));
        assert_eq!(paths.log_dir, PathBuf::from("/tmp/data/logs"));
        assert_eq!(paths.default_site_file, PathBuf::from("/tmp/cfg/site.toml"));
        assert_eq!(
            paths.credentials_file(),
            PathBuf::from("/tmp/cfg/credentials.toml")
        );
    }

    #[test]
    fn storage_dir_keeps_the_demo_apart() {
        let paths = AppPaths::resolve(|name| match name {
            CONFIG_DIR_ENV => Some("/c".into()),
            DATA_DIR_ENV => Some("/d".into()),
            _ => None,
        })
        .expect("paths");
        let mut site = crate::demo_site(std::path::Path::new("/demo"));
        let file = SiteSource::File("/c/site.toml".into());
        assert_eq!(
            paths.storage_dir(&SiteSource::Demo, &site),
            PathBuf::from("/d/demo-recordings")
        );
        assert_eq!(
            paths.storage_dir(&file, &site),
            PathBuf::from("/d/recordings")
        );
        site.storage = Some(crate::StorageConfig {
            path: Some("/srv/vigil".into()),
            quota_gb: None,
        });
        assert_eq!(paths.storage_dir(&file, &site), PathBuf::from("/srv/vigil"));
        // Even a demo site that names a folder records into the demo folder.
        assert_eq!(
            paths.storage_dir(&SiteSource::Demo, &site),
            PathBuf::from("/d/demo-recordings")
        );
    }

    #[test]
    fn platform_defaults_end_in_vigil() {
        // Depends on HOME, which test environments have; skip quietly where they don't.
        let Ok(paths) = AppPaths::resolve(|name| {
            std::env::var_os(name).filter(|_| !name.starts_with("VIGIL_"))
        }) else {
            return;
        };
        assert!(paths.config_dir.ends_with("vigil"), "{paths:?}");
        assert!(paths.data_dir.ends_with("vigil"), "{paths:?}");
        assert!(paths.log_dir.ends_with("logs"), "{paths:?}");
        assert_eq!(paths.default_site_file, paths.config_dir.join("site.toml"));
    }

    #[test]
    fn empty_override_is_ignored() {
        let Ok(paths) = AppPaths::resolve(|name| match name {
            CONFIG_DIR_ENV => Some(OsString::new()),
            DATA_DIR_ENV => Some("/d".into()),
            _ => None,
        }) else {
            return;
        };
        assert_ne!(paths.config_dir, PathBuf::new());
        assert_eq!(paths.data_dir, PathBuf::from("/d"));
        assert_eq!(paths.log_dir, PathBuf::from("/d/logs"));
    }
}
