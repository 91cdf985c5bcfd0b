//! Durable, atomic file writes and saving a site file.
//!
//! Owns: [`write_atomic`] (temp file in the same directory → fsync → rename → fsync
//! directory) and [`save_site_atomic`]. Must not: decide whether a file may be
//! overwritten (the read-only-after-error policy is in `resolve.rs`), or write a site
//! that would fail to load again.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::error::{ConfigError, ValidationIssue};
use super::site::Site;
use super::validate::validate_site;

/// Mode of the site file.
pub const SITE_FILE_MODE: u32 = 0o644;

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Replaces `path` with `bytes` atomically: readers see the old or the new content,
/// never a mix, also after a crash or power cut. Parent directories are created.
/// The file gets exactly `mode` (no window with wider permissions).
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), ConfigError> {
    let write_err = |source| ConfigError::Write {
        path: path.to_path_buf(),
        source,
    };
    let file_name = path.file_name().ok_or_else(|| {
        write_err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "path has no file name",
        ))
    })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(write_err)?;

    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(file_name);
    temp_name.push(format!(
        ".tmp.{}.{}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let temp = dir.join(temp_name);

    let result = write_and_sync(&temp, bytes, mode).and_then(|()| fs::rename(&temp, path));
    if let Err(e) = result {
        // Best effort: the temp file is ours and useless now; the write error matters more.
        let _ = fs::remove_file(&temp);
        return Err(write_err(e));
    }
    File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(write_err)
}

fn write_and_sync(temp: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(temp)?;
    // The umask may have narrowed `mode`; set it exactly.
    file.set_permissions(fs::Permissions::from_mode(mode))?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Serializes a site to TOML (with `schema_version` always first).
pub fn site_to_toml(site: &Site) -> Result<String, ConfigError> {
    toml::to_string_pretty(site).map_err(|e| ConfigError::Serialize {
        message: e.to_string(),
    })
}

/// Validates `site` and writes it to `path` atomically with mode 0644.
///
/// An invalid site is not written ([`ConfigError::Invalid`]), so a saved file always
/// loads again.
pub fn save_site_atomic(path: &Path, site: &Site) -> Result<(), ConfigError> {
    let issues = validate_site(site);
    if !issues.is_empty() {
        let issues = issues
            .into_iter()
            .map(|i| ValidationIssue {
                location: None,
                message: i.message,
            })
            .collect();
        return Err(ConfigError::Invalid {
            path: path.to_path_buf(),
            issues,
        });
    }
    let text = site_to_toml(site)?;
    write_atomic(path, text.as_bytes(), SITE_FILE_MODE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::load_site;
    use crate::site::{
        CameraConfig, CustomLayout, CustomLayoutKind, RecordingConfig, RecordingMode,
        StorageConfig, TileConfig, Transport, demo_site,
    };

    fn dir_entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn rich_site() -> Site {
        let mut site = demo_site(Path::new("/srv/demo"));
        site.name = "Main \"site\" ü".into();
        site.cameras.push(CameraConfig {
            transport: Transport::Udp,
            username: Some("admin".into()),
            loop_file: false,
            enabled: false,
            device: Some(crate::DeviceInfo {
                onvif: Some("[fe80::1]:8080".into()),
                manufacturer: Some("Acme \"Vision\" ü".into()),
                model: Some("X-200".into()),
                firmware: Some("V5.7.3 build 240101".into()),
                serial: Some("SN123".into()),
                hardware_id: None,
                mac: Some("0c:75:d2:01:02:03".into()),
            }),
            ..CameraConfig::new(
                "cam_7",
                "Back door",
                "rtsp://[fe80::1]:554/Streaming/Channels/101?a=b",
            )
        });
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
                    h: 3,
                    camera: None,
                },
            ],
        });
        site.wall.layout = "Entrance".into();
        site.wall.assignment = vec![Some("cam_7".into()), None];
        site.wall.show_stats = true;
        site.cameras[1].recording = Some(RecordingConfig {
            max_age_days: Some(7.5),
            pre_roll_s: 2.5,
            post_roll_s: 30.0,
            ..RecordingConfig::new(RecordingMode::Events)
        });
        site.cameras[2].recording = Some(RecordingConfig::new(RecordingMode::Off));
        site.storage = Some(StorageConfig {
            path: Some("/srv/vigil archive".into()),
            quota_gb: Some(2.25),
        });
        site
    }

    #[test]
    fn round_trip_save_then_load() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("nested/dir/site.toml");
        let site = rich_site();
        save_site_atomic(&path, &site).expect("save");
        assert_eq!(load_site(&path).expect("load"), site);
        let text = fs::read_to_string(&path).expect("read");
        assert!(text.starts_with("schema_version = 1\n"), "{text}");
        assert!(
            text.contains("[storage]") && text.contains("[cameras.recording]"),
            "{text}"
        );
        assert!(text.contains("mode = \"events\""), "{text}");
        // A camera without settings writes no recording table.
        let demo_text = site_to_toml(&Site::empty()).expect("toml");
        assert!(!demo_text.contains("recording") && !demo_text.contains("storage"));
        // Saving again over an existing file works and leaves only the file.
        save_site_atomic(&path, &Site::empty()).expect("save again");
        assert_eq!(load_site(&path).expect("load"), Site::empty());
        assert_eq!(dir_entries(path.parent().expect("parent")), ["site.toml"]);
    }

    #[test]
    fn atomic_write_leaves_no_temp_files_and_sets_mode() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("f.toml");
        for i in 0..5 {
            write_atomic(&path, format!("v{i}").as_bytes(), 0o644).expect("write");
        }
        assert_eq!(fs::read_to_string(&path).expect("read"), "v4");
        assert_eq!(dir_entries(tmp.path()), ["f.toml"]);
        let mode = fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
        write_atomic(&path, b"secret", 0o600).expect("write");
        assert_eq!(
            fs::metadata(&path).expect("meta").permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn failed_write_cleans_up_and_keeps_old_file() {
        let tmp = tempfile::tempdir().expect("tempdir");
        // The target is a non-empty directory: rename fails after the temp file exists.
        let target = tmp.path().join("site.toml");
        fs::create_dir(&target).expect("mkdir");
        fs::write(target.join("keep"), b"x").expect("write");
        let err = write_atomic(&target, b"new", 0o644).expect_err("must fail");
        assert!(matches!(err, ConfigError::Write { .. }));
        assert_eq!(dir_entries(tmp.path()), ["site.toml"]);
        assert!(write_atomic(Path::new("/"), b"x", 0o644).is_err());
    }

    #[test]
    fn invalid_site_is_not_written() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("site.toml");
        let mut site = Site::empty();
        site.wall.layout = "nope".into();
        let err = save_site_atomic(&path, &site).expect_err("invalid");
        assert!(err.to_string().contains("unknown layout `nope`"), "{err}");
        assert!(!path.exists());
    }
}
