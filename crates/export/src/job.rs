//! An export in the background, for a caller that must not block (the app's UI
//! thread): the export runs on its own named thread; the caller polls its progress,
//! may cancel it, and takes the outcome when it is done.
//!
//! Owns: the thread and the shared progress and cancel flags. Must not: decide what is
//! exported (`bundle`), or block in anything but [`ExportJob::wait`] and `Drop`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;

use ed25519_dalek::SigningKey;

use crate::{ExportError, ExportReport, ExportRequest, export, io_error};

type Outcome = Result<ExportReport, ExportError>;

/// A running (or finished) export.
pub struct ExportJob {
    done: Arc<AtomicU64>,
    total: Arc<AtomicU64>,
    cancel: Arc<AtomicBool>,
    handle: Option<JoinHandle<Outcome>>,
}

impl ExportJob {
    /// Starts `request` on a thread named `vigil-export`.
    pub fn start(request: ExportRequest, key: SigningKey) -> std::io::Result<Self> {
        Self::spawn(request, move || Ok(key))
    }

    /// Starts `request` on a thread named `vigil-export`, which first loads (or makes)
    /// the signing key kept in `key_dir` and creates the folder the bundle goes in. A
    /// caller that must not block (the UI thread) hands over this file work too: the
    /// bundle's folder may be on a slow or hung mount. Failures end the job like any
    /// other export error.
    pub fn start_in_background(request: ExportRequest, key_dir: PathBuf) -> std::io::Result<Self> {
        let parent = request
            .out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf);
        Self::spawn(request, move || {
            let key = crate::key::load_or_create(&key_dir)?;
            if let Some(parent) = &parent {
                std::fs::create_dir_all(parent).map_err(|source| io_error(parent, source))?;
            }
            Ok(key)
        })
    }

    fn spawn(
        request: ExportRequest,
        prepare: impl FnOnce() -> Result<SigningKey, ExportError> + Send + 'static,
    ) -> std::io::Result<Self> {
        let done = Arc::new(AtomicU64::new(0));
        let total = Arc::new(AtomicU64::new(0));
        let cancel = Arc::new(AtomicBool::new(false));
        let handle = std::thread::Builder::new()
            .name("vigil-export".into())
            .spawn({
                let (done, total, cancel) = (done.clone(), total.clone(), cancel.clone());
                move || {
                    let key = prepare()?;
                    export(
                        &request,
                        &key,
                        &mut |d, t| {
                            total.store(t, Ordering::Relaxed);
                            done.store(d, Ordering::Relaxed);
                        },
                        &cancel,
                    )
                }
            })?;
        Ok(Self {
            done,
            total,
            cancel,
            handle: Some(handle),
        })
    }

    /// Steps done and the total (segments); the total is 0 until it is known.
    pub fn progress(&self) -> (u64, u64) {
        (
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }

    /// Asks the export to stop; it then ends with [`ExportError::Cancelled`] and
    /// leaves nothing, unless it had already finished.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// The outcome once the thread has finished (None while it runs, and after the
    /// outcome was taken).
    pub fn try_take(&mut self) -> Option<Outcome> {
        if self.handle.as_ref()?.is_finished() {
            return self.handle.take().map(join);
        }
        None
    }

    /// Waits for the outcome.
    pub fn wait(mut self) -> Outcome {
        match self.handle.take() {
            Some(handle) => join(handle),
            None => Err(ExportError::Internal(
                "the export's outcome was already taken".into(),
            )),
        }
    }
}

fn join(handle: JoinHandle<Outcome>) -> Outcome {
    handle.join().unwrap_or_else(|_| {
        Err(ExportError::Internal(
            "the export thread panicked (a bug: please report it)".into(),
        ))
    })
}

impl Drop for ExportJob {
    /// Cancels a running export and waits for it to clean up after itself.
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            self.cancel();
            drop(join(handle));
        }
    }
}
