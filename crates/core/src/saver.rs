//! Writes the site file (and the credential store, when a camera's password changed)
//! on a named background thread so the UI never waits on disk.
//!
//! Owns: coalescing save requests (only the newest site and store are written) and
//! reporting failures back. Must not: write anything but through the config module's
//! atomic saves, or put a password into a report or a log line.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender, TrySendError};

use vigil_config::{CredentialStore, Site};

/// The result of a save, as the UI needs it.
#[derive(Debug)]
pub enum SaverReport {
    Saved,
    Failed(String),
}

/// What waits to be written.
#[derive(Default)]
struct Pending {
    site: Option<Site>,
    credentials: Option<CredentialStore>,
}

/// Handle to the saving thread.
pub struct Saver {
    pending: Arc<Mutex<Pending>>,
    wake: Option<Sender<()>>,
    reports: Receiver<SaverReport>,
    thread: Option<JoinHandle<()>>,
}

impl Saver {
    /// Starts the thread that saves to `path`.
    pub fn spawn(path: PathBuf) -> Self {
        let pending: Arc<Mutex<Pending>> = Arc::default();
        let (wake, woken) = crossbeam_channel::bounded::<()>(1);
        let (report_tx, reports) = crossbeam_channel::bounded(8);
        let thread = {
            let pending = Arc::clone(&pending);
            std::thread::Builder::new()
                .name("vigil-site-saver".to_owned())
                .spawn(move || {
                    // Runs until the sender is dropped, then writes what is left.
                    loop {
                        let alive = woken.recv().is_ok();
                        // Only the newest pending version matters.
                        let Pending { site, credentials } =
                            std::mem::take(&mut *pending.lock().unwrap_or_else(|e| e.into_inner()));
                        // Passwords first: a site naming a camera whose password is
                        // not stored yet would fail to log in after a crash.
                        if let Some(store) = credentials {
                            let report = match store.save() {
                                Ok(()) => SaverReport::Saved,
                                Err(err) => {
                                    tracing::error!(%err, "saving the credential store failed");
                                    SaverReport::Failed(err.to_string())
                                }
                            };
                            report_tx.try_send(report).ok();
                        }
                        if let Some(site) = site {
                            let report = match vigil_config::save_site_atomic(&path, &site) {
                                Ok(()) => SaverReport::Saved,
                                Err(err) => {
                                    tracing::error!(%err, "saving the site file failed");
                                    SaverReport::Failed(err.to_string())
                                }
                            };
                            report_tx.try_send(report).ok();
                        }
                        if !alive {
                            break;
                        }
                    }
                })
                .map_err(|err| tracing::error!(%err, "cannot start the site saver thread"))
                .ok()
        };
        Self {
            pending,
            wake: Some(wake),
            reports,
            thread,
        }
    }

    /// Queues `site` to be written, replacing any version not written yet.
    pub fn save(&self, site: &Site) {
        self.pending.lock().unwrap_or_else(|e| e.into_inner()).site = Some(site.clone());
        self.wake();
    }

    /// Queues the credential store to be written (mode 0600), replacing any version
    /// not written yet.
    pub fn save_credentials(&self, store: &CredentialStore) {
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .credentials = Some(store.clone());
        self.wake();
    }

    fn wake(&self) {
        if let Some(wake) = &self.wake {
            match wake.try_send(()) {
                Ok(()) | Err(TrySendError::Full(())) => {}
                Err(TrySendError::Disconnected(())) => tracing::error!("site saver thread is gone"),
            }
        }
    }

    /// A finished save's result, if any.
    pub fn poll(&self) -> Option<SaverReport> {
        self.reports.try_recv().ok()
    }

    /// Writes what is pending and ends the thread.
    pub fn finish(mut self) {
        self.wake = None;
        if let Some(thread) = self.thread.take() {
            thread.join().ok();
        }
    }
}
