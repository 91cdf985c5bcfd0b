//! Evidence export: a camera range of a recording archive as a bundle folder of
//! standard MP4s (remuxed, never re-encoded), a PNG still per camera, `SHA256SUMS`,
//! `manifest.json` and its Ed25519 signature `manifest.sig` with the installation's
//! public key, and the verifier of such a bundle. `docs/evidence.md` describes the
//! format and how to check a bundle without Vigil.
//!
//! Owns: the bundle's layout and its all-or-nothing writing (a temporary folder beside
//! the bundle, renamed at the end), the installation's signing key, the verifier, and
//! a background job for callers that must not block (`job`).
//! Must not: know egui or wgpu, or write to the archive.

pub mod bundle;
pub mod burn;
pub mod job;
pub mod key;
pub mod manifest;
pub mod names;
pub mod remux;
pub mod verify;

use std::path::PathBuf;

pub use bundle::{ExportCamera, ExportReport, ExportRequest, export};
pub use job::ExportJob;
pub use verify::{VerifyReport, verify};

/// Why an export (or loading the key) failed. The messages are for the person who
/// asked: what is wrong and, where it helps, what to do.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("the range is empty: --to ({to}) must be after --from ({from})")]
    EmptyRange { from: String, to: String },
    #[error("the range starts in the future ({from}; it is now {now}): nothing is recorded yet")]
    Future { from: String, now: String },
    #[error("unknown camera '{camera}': the archive has {known}")]
    UnknownCamera { camera: String, known: String },
    #[error("camera '{camera}' has no footage between {from} and {to}")]
    NoFootage {
        camera: String,
        from: String,
        to: String,
    },
    #[error("{0} already exists: choose a new bundle folder (an export never overwrites)")]
    Exists(PathBuf),
    #[error("the folder {0} to write the bundle in does not exist")]
    NoParent(PathBuf),
    #[error("{0} holds no recording index (index.sqlite3)")]
    NoIndex(PathBuf),
    #[error("no camera to export")]
    NoCamera,
    #[error("the export was cancelled; nothing was written")]
    Cancelled,
    #[error("cannot read the recording index: {0}")]
    Store(#[from] vigil_store::StoreError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Media {
        path: PathBuf,
        source: ffmpeg_next::Error,
    },
    #[error("{}: {message}", path.display())]
    Footage { path: PathBuf, message: String },
    #[error("signing key: {0}")]
    Key(String),
    #[error("{0}")]
    Internal(String),
}

pub(crate) fn io_error(path: &std::path::Path, source: std::io::Error) -> ExportError {
    ExportError::Io {
        path: path.to_path_buf(),
        source,
    }
}
