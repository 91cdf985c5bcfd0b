//! Evidence export from the app: the core owns the running [`ExportJob`] (its own
//! `vigil-export` thread), so the app only draws its progress and sends
//! [`crate::Command::Export`] / [`crate::Command::CancelExport`].
//!
//! Owns: the one export at a time, its outcome, the signing key's folder and the
//! default folder bundles go to. Must not: decide what a bundle holds (`vigil-export`
//! does), or block the caller beyond loading the small key file.

use std::path::{Path, PathBuf};

use vigil_config::{CameraId, Site};
use vigil_export::{ExportCamera, ExportError, ExportJob, ExportRequest};
use vigil_time::WallNanos;
use vigil_timeline::TimeRange;

/// The default folder for bundles, beside the snapshot folder.
pub const DEFAULT_FOLDER_NAME: &str = "Vigil evidence";

/// Where the export stands, for the app to draw.
#[derive(Clone, Debug, PartialEq)]
pub enum ExportStatus {
    /// Segments done of the total (0 until known).
    Running { done: u64, total: u64 },
    /// The bundle is at `bundle`, signed by the key with `fingerprint`.
    Finished {
        bundle: PathBuf,
        fingerprint: String,
        /// The cameras asked for that had no footage in the range (listed in the
        /// manifest, no files), by name.
        without_footage: Vec<String>,
        /// The encoder that burned in the camera name and time, when asked to.
        burned_in_with: Option<String>,
    },
    /// Cancelled: nothing was left.
    Cancelled,
    /// Why it failed (nothing was left).
    Failed(String),
}

/// What an export from the app asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportOrder {
    pub cameras: Vec<CameraId>,
    pub range: TimeRange,
    /// The bundle folder to create (its parent is created when missing).
    pub out: PathBuf,
    pub case: String,
    pub reason: String,
    /// Re-encode with the camera name and UTC time burned into the picture.
    pub burn_in: bool,
}

/// The core's export: at most one runs.
pub struct Exports {
    key_dir: Option<PathBuf>,
    job: Option<ExportJob>,
    status: Option<ExportStatus>,
    fingerprint: Option<Result<String, String>>,
}

impl Exports {
    /// Exports signed with the key kept in `key_dir` (none: the data directory could
    /// not be found, and exports say so).
    pub fn new(key_dir: Option<PathBuf>) -> Self {
        Self {
            key_dir,
            job: None,
            status: None,
            fingerprint: None,
        }
    }

    pub fn set_key_dir(&mut self, dir: PathBuf) {
        self.key_dir = Some(dir);
        self.fingerprint = None;
    }

    /// The status of the running or last export.
    pub fn status(&self) -> Option<&ExportStatus> {
        self.status.as_ref()
    }

    pub fn is_running(&self) -> bool {
        self.job.is_some()
    }

    /// The signing key's fingerprint (the key is made on first use), or why there is
    /// none.
    pub fn fingerprint(&mut self) -> Result<String, String> {
        if let Some(known) = &self.fingerprint {
            return known.clone();
        }
        let found = self
            .key()
            .map(|key| vigil_export::key::fingerprint(&key.verifying_key()));
        self.fingerprint = Some(found.clone());
        found
    }

    fn key(&self) -> Result<ed25519_dalek::SigningKey, String> {
        let dir = self.key_dir.as_deref().ok_or_else(|| {
            "no data directory for the signing key (set HOME or XDG_DATA_HOME)".to_owned()
        })?;
        vigil_export::key::load_or_create(dir).map_err(|err| err.to_string())
    }

    /// Starts `order` over the recordings in `archive`; returns what to say when it
    /// could not start.
    pub fn start(
        &mut self,
        order: ExportOrder,
        archive: Option<&Path>,
        site: &Site,
        now: WallNanos,
    ) -> Result<(), String> {
        if self.job.is_some() {
            return Err("An export is already running".to_owned());
        }
        let outcome = self.start_job(order, archive, site, now);
        if let Err(err) = &outcome {
            self.status = Some(ExportStatus::Failed(err.clone()));
        }
        outcome
    }

    fn start_job(
        &mut self,
        order: ExportOrder,
        archive: Option<&Path>,
        site: &Site,
        now: WallNanos,
    ) -> Result<(), String> {
        let archive = archive.ok_or_else(|| "No storage folder: nothing is recorded".to_owned())?;
        let key_dir = self.key_dir.clone().ok_or_else(|| {
            "no data directory for the signing key (set HOME or XDG_DATA_HOME)".to_owned()
        })?;
        let request = ExportRequest {
            archive: archive.to_path_buf(),
            cameras: order
                .cameras
                .iter()
                .map(|id| ExportCamera {
                    id: id.to_string(),
                    name: site
                        .camera(id)
                        .map_or_else(|| id.to_string(), |c| c.name.clone()),
                    device: None,
                })
                .collect(),
            from_ns: order.range.start.0,
            to_ns: order.range.end.0,
            out: order.out,
            case: order.case,
            reason: order.reason,
            operator: operator(),
            vigil_version: env!("CARGO_PKG_VERSION").to_owned(),
            now_ns: now.0,
            burn_in: order.burn_in,
            // "Whole layout": export the cameras with footage, list the others.
            skip_cameras_without_footage: true,
        };
        // The key file and the bundle's folder are touched on the export thread: the
        // folder may be on a slow or hung mount, and this runs on the UI thread.
        let job = ExportJob::start_in_background(request, key_dir)
            .map_err(|err| format!("cannot start the export thread: {err}"))?;
        self.job = Some(job);
        self.status = Some(ExportStatus::Running { done: 0, total: 0 });
        Ok(())
    }

    /// Asks the running export to stop.
    pub fn cancel(&self) {
        if let Some(job) = &self.job {
            job.cancel();
        }
    }

    /// Takes the progress or outcome of the running export; returns a status-bar
    /// message when it ended.
    pub fn poll(&mut self) -> Option<String> {
        let job = self.job.as_mut()?;
        let Some(outcome) = job.try_take() else {
            let (done, total) = job.progress();
            self.status = Some(ExportStatus::Running { done, total });
            return None;
        };
        self.job = None;
        let (status, say) = match outcome {
            Ok(report) => {
                self.fingerprint = Some(Ok(report.fingerprint.clone()));
                let without_footage: Vec<String> = report
                    .manifest
                    .cameras_without_footage
                    .iter()
                    .map(|c| c.name.clone())
                    .collect();
                let mut say = format!(
                    "Exported to {} (signing key {})",
                    report.bundle.display(),
                    report.fingerprint
                );
                if !without_footage.is_empty() {
                    say.push_str(&format!(
                        "; no footage in the range from {}",
                        without_footage.join(", ")
                    ));
                }
                let burned_in_with = report
                    .manifest
                    .cameras
                    .iter()
                    .find_map(|c| c.burned_in_with.clone());
                (
                    ExportStatus::Finished {
                        bundle: report.bundle,
                        fingerprint: report.fingerprint,
                        without_footage,
                        burned_in_with,
                    },
                    say,
                )
            }
            Err(ExportError::Cancelled) => (
                ExportStatus::Cancelled,
                "Export cancelled; nothing was written".to_owned(),
            ),
            Err(err) => {
                let text = err.to_string();
                (
                    ExportStatus::Failed(text.clone()),
                    format!("Export failed: {text}"),
                )
            }
        };
        self.status = Some(status);
        Some(say)
    }
}

/// The OS user running Vigil, as the manifest's operator.
fn operator() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// The default folder for bundles: beside the snapshot folder.
pub fn default_folder(snapshot_dir: &Path) -> PathBuf {
    snapshot_dir
        .parent()
        .unwrap_or(snapshot_dir)
        .join(DEFAULT_FOLDER_NAME)
}
