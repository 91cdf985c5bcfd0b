//! Which site the app runs with, and whether it may be saved.
//!
//! Owns: the startup policy (`--demo` → demo site; `--config PATH` → that file; else the
//! default site file if it exists, else the demo site) and the rule that a site file
//! which failed to load is NEVER written over: the app gets an empty, read-only site
//! plus the error to show. Must not: parse or validate TOML itself, or show UI.

use std::path::{Path, PathBuf};

use super::error::ConfigError;
use super::load::load_site;
use super::site::{Site, demo_site};
use super::write::save_site_atomic;

/// Where the running site came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiteSource {
    /// The built-in demo site.
    Demo,
    /// A site file.
    File(PathBuf),
}

/// The site the app runs with, plus what happened while loading it.
#[derive(Debug)]
pub struct ResolvedSite {
    /// The site to show; empty when loading failed. The app may edit it.
    pub site: Site,
    /// Where it came from.
    pub source: SiteSource,
    /// Why the site file could not be loaded, to show to the user.
    pub load_error: Option<ConfigError>,
    save_path: Option<PathBuf>,
    read_only_due_to_error: bool,
}

impl ResolvedSite {
    /// True when the site file failed to load: [`Self::save`] refuses to overwrite it.
    pub fn read_only_due_to_error(&self) -> bool {
        self.read_only_due_to_error
    }

    /// Where [`Self::save`] writes, if anywhere. For the implicit demo site (no site
    /// file yet) this is the default site file, which the first save creates.
    pub fn save_path(&self) -> Option<&Path> {
        self.save_path.as_deref()
    }

    /// Saves `self.site` atomically. Fails without touching the disk when the file
    /// failed to load ([`ConfigError::ReadOnly`]) or for `--demo` ([`ConfigError::DemoNotSaved`]).
    pub fn save(&self) -> Result<(), ConfigError> {
        let Some(path) = &self.save_path else {
            return Err(ConfigError::DemoNotSaved);
        };
        if self.read_only_due_to_error {
            let reason = self
                .load_error
                .as_ref()
                .map_or_else(|| "unknown error".to_string(), ToString::to_string);
            return Err(ConfigError::ReadOnly {
                path: path.clone(),
                reason,
            });
        }
        save_site_atomic(path, &self.site)
    }
}

/// Picks and loads the site for this run.
///
/// * `force_demo` (`--demo`): the demo site, never saved.
/// * `cli_config` (`--config PATH`): that file; a missing file is an error.
/// * otherwise `default_site_file` if it exists, else the demo site (saved to
///   `default_site_file` on the first save). `None` means no home directory.
///
/// A file that fails to load gives an empty site, the error, and a read-only flag.
pub fn resolve_site(
    cli_config: Option<&Path>,
    force_demo: bool,
    default_site_file: Option<&Path>,
    demo_dir: &Path,
) -> ResolvedSite {
    let demo = |save_path: Option<&Path>| ResolvedSite {
        site: demo_site(demo_dir),
        source: SiteSource::Demo,
        load_error: None,
        save_path: save_path.map(Path::to_path_buf),
        read_only_due_to_error: false,
    };
    if force_demo {
        tracing::info!("using the demo site (--demo)");
        return demo(None);
    }
    let path = match (cli_config, default_site_file) {
        (Some(path), _) => path,
        // A failed existence check counts as "exists", so the load reports the error.
        (None, Some(path)) if path.try_exists().unwrap_or(true) => path,
        (None, default) => {
            tracing::info!("no site file yet; using the demo site");
            return demo(default);
        }
    };
    match load_site(path) {
        Ok(site) => {
            tracing::info!(path = %path.display(), cameras = site.cameras.len(), "loaded site file");
            ResolvedSite {
                site,
                source: SiteSource::File(path.to_path_buf()),
                load_error: None,
                save_path: Some(path.to_path_buf()),
                read_only_due_to_error: false,
            }
        }
        Err(err) => ResolvedSite {
            site: Site::empty(),
            source: SiteSource::File(path.to_path_buf()),
            load_error: Some(err),
            save_path: Some(path.to_path_buf()),
            read_only_due_to_error: true,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::CameraConfig;
    use std::fs;

    const DEMO: &str = "/opt/vigil/demo";

    fn add_camera(site: &mut Site) {
        site.cameras
            .push(CameraConfig::new("new", "New", "rtsp://10.0.0.9/s"));
    }

    #[test]
    fn demo_flag_wins_and_is_not_saved() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let cfg = tmp.path().join("site.toml");
        fs::write(&cfg, "schema_version = 1\n").expect("write");
        let r = resolve_site(Some(&cfg), true, Some(&cfg), Path::new(DEMO));
        assert_eq!(r.source, SiteSource::Demo);
        assert_eq!(r.site, demo_site(Path::new(DEMO)));
        assert!(r.load_error.is_none() && !r.read_only_due_to_error());
        assert!(matches!(r.save(), Err(ConfigError::DemoNotSaved)));
        assert_eq!(
            fs::read_to_string(&cfg).expect("read"),
            "schema_version = 1\n"
        );
    }

    #[test]
    fn missing_default_file_gives_demo_saved_to_default_path() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let default = tmp.path().join("vigil/site.toml");
        let mut r = resolve_site(None, false, Some(&default), Path::new(DEMO));
        assert_eq!(r.source, SiteSource::Demo);
        assert_eq!(r.save_path(), Some(default.as_path()));
        add_camera(&mut r.site);
        r.save().expect("first save creates the file");
        let again = resolve_site(None, false, Some(&default), Path::new(DEMO));
        assert_eq!(again.source, SiteSource::File(default.clone()));
        assert_eq!(again.site, r.site);
        let no_home = resolve_site(None, false, None, Path::new(DEMO));
        assert_eq!(no_home.source, SiteSource::Demo);
        assert!(no_home.save().is_err());
    }

    #[test]
    fn cli_and_default_files_are_loaded_and_saved() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let cli = tmp.path().join("cli.toml");
        let default = tmp.path().join("default.toml");
        fs::write(&cli, "schema_version = 1\nname = \"CLI\"\n").expect("write");
        fs::write(&default, "schema_version = 1\nname = \"Default\"\n").expect("write");
        let r = resolve_site(Some(&cli), false, Some(&default), Path::new(DEMO));
        assert_eq!(r.site.name, "CLI");
        let mut r = resolve_site(None, false, Some(&default), Path::new(DEMO));
        assert_eq!(r.site.name, "Default");
        assert_eq!(r.source, SiteSource::File(default.clone()));
        add_camera(&mut r.site);
        r.save().expect("save");
        assert_eq!(load_site(&default).expect("load").cameras.len(), 1);
    }

    #[test]
    fn broken_file_is_never_overwritten() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let broken_texts: [&[u8]; 5] = [
            b"schema_version = 1\n[[cameras]]\nid = \"lobby\"\nname = \"Lobby\"\nsource = \"x.mp4\"\ntrasport = \"tcp\"\n",
            b"schema_version = 1\nname = \n",
            b"",
            b"schema_version = 2\n",
            b"\xff\xfe garbage",
        ];
        for (i, bytes) in broken_texts.iter().enumerate() {
            let path = tmp.path().join(format!("site{i}.toml"));
            fs::write(&path, bytes).expect("write");
            let via_cli = i % 2 == 0;
            let mut r = if via_cli {
                resolve_site(Some(&path), false, None, Path::new(DEMO))
            } else {
                resolve_site(None, false, Some(&path), Path::new(DEMO))
            };
            assert!(r.read_only_due_to_error(), "case {i}");
            assert!(r.load_error.is_some(), "case {i}");
            assert!(
                r.site.cameras.is_empty(),
                "case {i}: empty site, not the demo"
            );
            assert_eq!(r.source, SiteSource::File(path.clone()));
            // Any save attempt fails, even after the user edits the site.
            assert!(
                matches!(r.save(), Err(ConfigError::ReadOnly { .. })),
                "case {i}"
            );
            add_camera(&mut r.site);
            let err = r.save().expect_err("read-only");
            assert!(err.to_string().contains("will not be overwritten"), "{err}");
            assert_eq!(
                fs::read(&path).expect("read"),
                *bytes,
                "case {i}: file changed"
            );
        }
        let leftovers = fs::read_dir(tmp.path()).expect("ls").count();
        assert_eq!(leftovers, broken_texts.len());
    }

    #[test]
    fn missing_cli_file_is_an_error_not_the_demo() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("typo.toml");
        let r = resolve_site(Some(&path), false, None, Path::new(DEMO));
        assert!(r.read_only_due_to_error());
        assert!(matches!(r.load_error, Some(ConfigError::Read { .. })));
        assert!(r.site.cameras.is_empty());
        assert!(r.save().is_err());
        assert!(!path.exists());
    }
}
