//! Which index paths startup repair and retention may act on: only
//! `<camera id>/<digits>.mp4`, relative, naming a regular file that lies inside the
//! storage folder once every link is followed.
//!
//! Owns: that check and its message. Must not: open, move or delete anything — the
//! caller acts only on a path this module accepted, and leaves a refused row alone.

use std::collections::HashMap;
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
    Checker::new(dir).check(camera, file)
}

/// [`check`] over many rows: the storage folder and each camera folder are resolved
/// once, so a row costs one `lstat` (as many as a month of 16 cameras is 700 000 rows).
#[derive(Debug)]
pub struct Checker {
    dir: PathBuf,
    /// The storage folder with its links followed, or why it cannot be.
    root: Result<PathBuf, String>,
    /// Per camera folder: `None` when inside the storage folder, else why not.
    folders: HashMap<String, Option<String>>,
}

impl Checker {
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            root: dir
                .canonicalize()
                .map_err(|e| format!("cannot be checked: storage folder: {e}")),
            folders: HashMap::new(),
        }
    }

    pub fn check(&mut self, camera: &str, file: &str) -> Checked {
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
        // The camera folder may be a link, as long as it stays inside the storage folder.
        if let Some(why) = self.folder_escapes(folder) {
            return refused(&why);
        }
        let full = self.dir.join(file);
        match std::fs::symlink_metadata(&full) {
            Ok(meta) if meta.file_type().is_symlink() => {
                refused("is a symbolic link; Vigil writes regular files")
            }
            Ok(meta) if !meta.is_file() => refused("is not a regular file"),
            Ok(_) => Checked::Inside(full),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Checked::Missing,
            Err(e) => refused(&format!("cannot be read: {e}")),
        }
    }

    fn folder_escapes(&mut self, folder: &str) -> Option<String> {
        if let Some(known) = self.folders.get(folder) {
            return known.clone();
        }
        let why = match (&self.root, self.dir.join(folder).canonicalize()) {
            (Err(why), _) => Some(why.clone()),
            (Ok(root), Ok(real)) if real.starts_with(root) => None,
            (Ok(_), Ok(real)) => Some(format!(
                "leads outside the storage folder (to {}) through a link",
                real.display()
            )),
            (Ok(_), Err(e)) if e.kind() == std::io::ErrorKind::NotFound => None,
            (Ok(_), Err(e)) => Some(format!("cannot be checked: {e}")),
        };
        self.folders.insert(folder.to_owned(), why.clone());
        why
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_camera_folder_linked_out_of_the_storage_folder_is_refused() {
        let dir = tempfile::tempdir().expect("tmp");
        let outside = tempfile::tempdir().expect("tmp");
        std::fs::write(outside.path().join("5.mp4"), b"x").expect("file");
        std::os::unix::fs::symlink(outside.path(), dir.path().join("cam")).expect("link");
        assert!(matches!(
            check(dir.path(), "cam", "cam/5.mp4"),
            Checked::Refused(_)
        ));
        assert!(matches!(
            check(dir.path(), "cam", "cam/6.mp4"),
            Checked::Refused(_)
        ));
        // A link that stays inside is fine.
        std::fs::create_dir(dir.path().join("real")).expect("dir");
        std::fs::write(dir.path().join("real/5.mp4"), b"x").expect("file");
        std::os::unix::fs::symlink(dir.path().join("real"), dir.path().join("inner"))
            .expect("link");
        assert!(matches!(
            check(dir.path(), "inner", "inner/5.mp4"),
            Checked::Inside(_)
        ));
    }

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
