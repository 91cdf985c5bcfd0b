//! Which index paths startup repair and retention may act on: only
//! `<camera id>/<digits>.mp4`, relative, naming a regular file that lies inside the
//! storage folder once every link is followed.
//!
//! Owns: that check and its message. Must not: open, move or delete anything — the
//! caller acts only on a path this module accepted, and leaves a refused row alone.

use std::path::{Component, Path, PathBuf};

/// What the check found for one row.
#[derive(Debug, PartialEq, Eq)]
pub enum Checked {
    /// The file, inside the storage folder: safe to act on.
    Inside(PathBuf),
    /// The path has the right shape but there is no file.
    Missing,
    /// The row is refused: never followed. The text says why, for a person.
    Refused(String),
}

/// True for a camera id as folder name: `[A-Za-z0-9_-]{1,64}`, as in the site file.
pub fn is_camera_id(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// True for a segment file name: `<digits>.mp4`.
pub fn is_segment_name(name: &str) -> bool {
    name.strip_suffix(".mp4")
        .is_some_and(|d| (1..=20).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
}

/// Checks the index path `file` of a row of `camera` against the storage folder `dir`.
pub fn check(dir: &Path, camera: &str, file: &str) -> Checked {
    let refused = |why: &str| Checked::Refused(format!("path '{}' {why}", file.escape_debug()));
    let path = Path::new(file);
    if path.is_absolute() || file.starts_with('/') || file.starts_with('\\') {
        return refused("is absolute; index paths are relative to the storage folder");
    }
    if path
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return refused("contains '..' or '.'; index paths stay inside the storage folder");
    }
    let Some((folder, name)) = file.split_once('/') else {
        return refused("is not <camera id>/<digits>.mp4");
    };
    if !is_camera_id(folder) || !is_segment_name(name) {
        return refused("is not <camera id>/<digits>.mp4");
    }
    if folder != camera {
        return refused(&format!(
            "lies in the folder of another camera than '{camera}'"
        ));
    }
    let full = dir.join(file);
    let meta = match std::fs::symlink_metadata(&full) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // A missing file behind a folder link pointing outside is still refused.
            return match escapes(dir, &dir.join(folder)) {
                Some(why) => refused(&why),
                None => Checked::Missing,
            };
        }
        Err(e) => return refused(&format!("cannot be read: {e}")),
    };
    if meta.file_type().is_symlink() {
        return refused("is a symbolic link; Vigil writes regular files");
    }
    if !meta.is_file() {
        return refused("is not a regular file");
    }
    match escapes(dir, &full) {
        Some(why) => refused(&why),
        None => Checked::Inside(full),
    }
}

/// Why `path` (which exists) is not inside `dir` once links are followed, if it is not.
fn escapes(dir: &Path, path: &Path) -> Option<String> {
    let root = match dir.canonicalize() {
        Ok(root) => root,
        Err(e) => return Some(format!("cannot be checked: storage folder: {e}")),
    };
    match path.canonicalize() {
        Ok(real) if real.starts_with(&root) => None,
        Ok(real) => Some(format!(
            "leads outside the storage folder (to {}) through a link",
            real.display()
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => Some(format!("cannot be checked: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::create_dir(dir.path().join("cam")).expect("dir");
        std::fs::write(dir.path().join("cam/123.mp4"), b"x").expect("file");
        assert_eq!(
            check(dir.path(), "cam", "cam/123.mp4"),
            Checked::Inside(dir.path().join("cam/123.mp4"))
        );
        assert_eq!(check(dir.path(), "cam", "cam/124.mp4"), Checked::Missing);
        for bad in [
            "/etc/passwd",
            "cam/../../x/1.mp4",
            "./cam/1.mp4",
            "cam/1.ts",
            "cam/abc.mp4",
            "cam/sub/1.mp4",
            "cam",
            "other/1.mp4",
            "",
        ] {
            assert!(
                matches!(check(dir.path(), "cam", bad), Checked::Refused(_)),
                "{bad}"
            );
        }
    }
}
