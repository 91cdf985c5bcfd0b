//! One writer per storage folder: recording (the app's recorders, `vigil archive
//! record`, `vigil archive seed`) holds an exclusive lock on `<storage>/vigil.lock`.
//!
//! Owns: taking and describing that lock. Must not: block — a second writer is told at
//! once which process holds the folder. Why: a writer's startup reconciliation repairs
//! files it finds half-written, which would be another live writer's newest segment.
//! Readers (the timeline, players, benchmarks) take no lock; the index's WAL lets them
//! read while a writer writes. The lock is the operating system's (`flock` on Unix,
//! `LockFileEx` on Windows): it goes away with the process, even after a crash.

use std::fs::{File, TryLockError};
use std::io::{Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};

/// Why the storage folder cannot be taken for writing.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("storage lock {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the storage folder {dir} is being recorded into by another Vigil ({holder}); one folder takes one writer"
    )]
    Locked { dir: PathBuf, holder: String },
}

/// Name of the lock file inside the storage folder.
pub const LOCK_FILE: &str = "vigil.lock";

/// The storage folder's writer lock; released when dropped.
#[derive(Debug)]
pub struct StorageLock {
    _file: File,
    path: PathBuf,
}

impl StorageLock {
    /// Takes the lock on `dir` (created if needed), or says who holds it.
    pub fn acquire(dir: &Path) -> Result<Self, LockError> {
        let io = |source| LockError::Io {
            path: dir.join(LOCK_FILE),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let path = dir.join(LOCK_FILE);
        let mut file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                file.read_to_string(&mut holder).ok();
                return Err(LockError::Locked {
                    dir: dir.to_path_buf(),
                    holder: holder.trim().to_owned(),
                });
            }
            Err(TryLockError::Error(source)) => return Err(io(source)),
        }
        // Who holds it, for the message a second writer shows.
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        writeln!(file, "process {}", std::process::id()).map_err(io)?;
        Ok(Self { _file: file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_and_told_who_holds_the_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = StorageLock::acquire(dir.path()).expect("first writer");
        let err = StorageLock::acquire(dir.path()).expect_err("second writer");
        let text = err.to_string();
        assert!(
            text.contains(&format!("process {}", std::process::id())),
            "{text}"
        );
        assert!(text.contains(&dir.path().display().to_string()), "{text}");
        drop(first);
        StorageLock::acquire(dir.path()).expect("free again once the first is gone");
    }
}
