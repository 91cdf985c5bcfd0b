//! Recording for the app: the site file's `[storage]` and `[cameras.recording]`
//! settings turned into running recorders, kept connected whether or not the cameras are
//! on the wall, plus reconciliation at start and a retention thread (`vigil-retention`).
//!
//! Owns: which cameras record (enabled, `mode != off`), starting, stopping and
//! restarting their recorders when the settings or the connection change, the pinned
//! ingests, and the retention policy derived from the site. Must not: decode, block the
//! UI thread on a recorder (stopped recorders finish on their own thread and are reaped
//! on a later `sync`), or delete footage itself (that is `retention`).
//!
//! Time: recorders read the engine's clock (their packets' arrival times are on it);
//! the retention thread reads [`SiteRecordingOptions::clock`] — give both the same.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use super::{EventTrigger, Recorder, RecorderConfig, RecorderState, RecorderStatus, RecorderWatch};
use crate::lock::StorageLock;
use crate::reconcile::{self, ReconcileReport};
use crate::retention::{Retention, RetentionPolicy, RetentionReport};
use vigil_config::{CameraConfig, CredentialStore, RecordingMode, Site};
use vigil_media::{Engine, IngestShared, MAIN_STREAM, StreamKey, StreamSpec, Timeouts};
use vigil_store::Store;
use vigil_time::{SharedClock, real_clock};

/// Tuning of a [`SiteRecording`]; [`Default`] is what the app uses.
#[derive(Clone, Debug)]
pub struct SiteRecordingOptions {
    /// Segments are cut at the first keyframe after this long.
    pub segment_duration: Duration,
    /// How often retention runs (it also runs within a second of a recorder reporting
    /// a full disk).
    pub retention_interval: Duration,
    /// Retention keeps at least this much free on the storage file system.
    pub min_free_bytes: u64,
    /// A recorder stopped by a full disk resumes once this much is free.
    pub resume_free_bytes: u64,
    /// The clock retention reads (its "now", its interval, and the jump check that
    /// pauses deletion by age); the engine's clock, which the recorders read, should be
    /// the same. Default: the operating system's.
    pub clock: SharedClock,
}

impl Default for SiteRecordingOptions {
    fn default() -> Self {
        Self {
            segment_duration: Duration::from_secs(60),
            retention_interval: Duration::from_secs(60),
            min_free_bytes: 1 << 30,
            resume_free_bytes: 256 << 20,
            clock: real_clock(),
        }
    }
}

/// The main-stream spec of a camera, built exactly as the wall builds it
/// (`ui::streams::specs_for`), so that the recorder and the wall share one connection
/// (`Engine::ensure_ingest` restarts a connection whose spec differs).
pub fn main_stream_spec(
    camera: &CameraConfig,
    credentials: &CredentialStore,
) -> Result<StreamSpec, String> {
    Ok(StreamSpec {
        camera_id: camera.id.to_string(),
        camera_name: camera.name.clone(),
        stream: MAIN_STREAM.to_owned(),
        source: vigil_config::redact::parse_source(&camera.source).map_err(|e| e.to_string())?,
        transport: camera.transport,
        credentials: credentials.for_camera(camera),
        loop_file: camera.loop_file,
        timeouts: Timeouts::default(),
    })
}

/// What one camera's recorder is started with; a change restarts it.
#[derive(Clone, Debug, PartialEq)]
struct Wanted {
    spec: StreamSpec,
    mode: RecordingMode,
    pre_roll: Duration,
    post_roll: Duration,
}

struct Active {
    wanted: Wanted,
    ingest: Arc<IngestShared>,
    recorder: Recorder,
}

/// Shared with the retention thread.
struct RetentionShared {
    policy: Mutex<RetentionPolicy>,
    watches: Mutex<HashMap<String, RecorderWatch>>,
    reconciled: Mutex<Option<Result<ReconcileReport, String>>>,
    /// The last retention pass's report.
    last_report: Mutex<Option<RetentionReport>>,
    /// Reconciliation is over: recorders may write.
    ready: AtomicBool,
}

/// The site's recorders, and retention over their storage folder.
pub struct SiteRecording {
    storage: PathBuf,
    options: SiteRecordingOptions,
    /// The cameras and storage settings `wanted` was computed from.
    seen: Option<(Vec<CameraConfig>, Option<vigil_config::StorageConfig>)>,
    /// Cameras that should record, or why one cannot.
    wanted: HashMap<String, Result<Wanted, String>>,
    active: HashMap<String, Active>,
    /// Recorders asked to stop, still closing their segment.
    stopping: Vec<(String, Recorder)>,
    pinned: HashSet<StreamKey>,
    retention: Arc<RetentionShared>,
    retention_tx: Sender<RetentionCommand>,
    retention_thread: Option<JoinHandle<()>>,
    /// What the person running the site should know (see [`Self::notice`]).
    notice: Option<String>,
    /// This process is the folder's only writer while it runs (dropped last).
    _lock: StorageLock,
}

enum RetentionCommand {
    RunNow,
    Stop,
}

impl SiteRecording {
    /// Opens (creating, migrating) the storage folder's index and starts the retention
    /// thread, which first reconciles the folder once (the report is logged and kept,
    /// see [`Self::reconcile_report`]; files the index does not know are indexed,
    /// quarantined or reported, never deleted). Returns at once: reconciling a month of
    /// 16 cameras takes seconds, and no recorder starts (in [`Self::sync`]) until it is
    /// done.
    ///
    /// Refused (an error saying why and what to do) when the folder and its index do
    /// not belong together, or the folder lies under an unmounted `/etc/fstab` mount
    /// point ([`crate::identity`]). A damaged index is set aside and rebuilt; then
    /// [`Self::notice`] says so.
    pub fn start(site: &Site, storage: PathBuf) -> anyhow::Result<Self> {
        Self::start_with(site, storage, SiteRecordingOptions::default())
    }

    /// [`Self::start`] with other tuning (tests: short segments, quick retention).
    pub fn start_with(
        site: &Site,
        storage: PathBuf,
        options: SiteRecordingOptions,
    ) -> anyhow::Result<Self> {
        crate::identity::precheck(&storage)?;
        let lock = StorageLock::acquire(&storage)?;
        let (store, set_aside) = Store::open_checked(&storage)
            .with_context(|| format!("cannot open the recording index in {}", storage.display()))?;
        crate::identity::check(&store)?;
        let notice = set_aside.map(|aside| index_notice(&aside));
        let retention = Arc::new(RetentionShared {
            policy: Mutex::new(policy_for(site, &options)),
            watches: Mutex::new(HashMap::new()),
            reconciled: Mutex::new(None),
            last_report: Mutex::new(None),
            ready: AtomicBool::new(false),
        });
        let (retention_tx, rx) = crossbeam_channel::bounded(4);
        let retention_thread = {
            let shared = Arc::clone(&retention);
            let interval = options.retention_interval;
            let retention = Retention::new(Arc::clone(&options.clock));
            std::thread::Builder::new()
                .name("vigil-retention".to_owned())
                .spawn(move || retention_loop(store, retention, &shared, &rx, interval))
                .context("cannot start the retention thread")?
        };
        Ok(Self {
            storage,
            options,
            seen: None,
            wanted: HashMap::new(),
            active: HashMap::new(),
            stopping: Vec::new(),
            pinned: HashSet::new(),
            retention,
            retention_tx,
            retention_thread: Some(retention_thread),
            notice,
            _lock: lock,
        })
    }

    /// True once the startup reconciliation is over and recorders may start.
    pub fn is_ready(&self) -> bool {
        self.retention.ready.load(Ordering::SeqCst)
    }

    /// What the startup reconciliation repaired (None while it runs; Err: why it
    /// failed, recording goes on regardless).
    pub fn reconcile_report(&self) -> Option<Result<ReconcileReport, String>> {
        lock(&self.retention.reconciled).clone()
    }

    /// What the last retention pass did (None before the first). Its `age_paused` says
    /// why deletion by age is paused, for the app and the doctor to show.
    pub fn retention_report(&self) -> Option<RetentionReport> {
        lock(&self.retention.last_report).clone()
    }

    /// Something the person running the site should know although recording runs
    /// (the index was damaged, set aside and rebuilt), for the app's status bar.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// The storage folder.
    pub fn storage(&self) -> &Path {
        &self.storage
    }

    /// Brings the recorders in line with `site`; call it every UI frame (cheap when
    /// nothing changed: one comparison of the camera list, one `ensure_ingest` per
    /// recording camera). Connects every enabled camera whose recording mode is not
    /// `off` (main stream), starts, stops and restarts recorders as settings or
    /// connections change, and returns the streams to pass as `pinned` to
    /// [`Engine::retain`] so recording cameras stay connected off the wall.
    pub fn sync(
        &mut self,
        site: &Site,
        credentials: &CredentialStore,
        engine: &mut Engine,
    ) -> &HashSet<StreamKey> {
        let changed = self
            .seen
            .as_ref()
            .is_none_or(|(cameras, storage)| *cameras != site.cameras || *storage != site.storage);
        if changed {
            self.wanted = site
                .cameras
                .iter()
                .filter_map(|c| wanted_for(c, credentials).map(|w| (c.id.to_string(), w)))
                .collect();
            for (id, why) in self
                .wanted
                .iter()
                .filter_map(|(id, w)| Some((id, w.as_ref().err()?)))
            {
                tracing::warn!(camera = %id, reason = %why, "camera cannot record");
            }
            *lock(&self.retention.policy) = policy_for(site, &self.options);
            self.seen = Some((site.cameras.clone(), site.storage.clone()));
            // Derived from `wanted`: rebuilt only when it changes, not every UI frame.
            self.pinned = self
                .wanted
                .values()
                .filter_map(|w| w.as_ref().ok())
                .map(|w| w.spec.key())
                .collect();
        }
        // Recorders whose settings changed, or that are no longer wanted, stop.
        let stale: Vec<String> = self
            .active
            .iter()
            .filter(|(id, a)| !matches!(self.wanted.get(*id), Some(Ok(w)) if *w == a.wanted))
            .map(|(id, _)| id.clone())
            .collect();
        for id in stale {
            self.retire(&id);
        }
        self.stopping.retain(|(_, r)| !r.is_finished());
        let ready = self.is_ready();
        for (id, wanted) in &self.wanted {
            let Ok(wanted) = wanted else { continue };
            let ingest = engine.ensure_ingest(&wanted.spec);
            if let Some(active) = self.active.get(id) {
                if Arc::ptr_eq(&active.ingest, &ingest) {
                    continue;
                }
                // The connection was restarted (by the wall, or it died): the old
                // recorder hears nothing more.
                tracing::info!(camera = %id, "connection restarted: restarting its recorder");
                if let Some(active) = self.active.remove(id) {
                    active.recorder.request_stop();
                    lock(&self.retention.watches).remove(id);
                    self.stopping.push((id.clone(), active.recorder));
                }
            }
            // Nothing writes before reconciliation is over; one recorder per camera at
            // a time: a new one starts once the old one has closed its segment.
            if !ready || self.stopping.iter().any(|(s, _)| s == id) {
                continue;
            }
            let mut config = RecorderConfig::new(id, &self.storage);
            config.mode = wanted.mode;
            config.segment_duration = self.options.segment_duration;
            config.pre_roll = wanted.pre_roll;
            config.post_roll = wanted.post_roll;
            config.resume_free_bytes = self.options.resume_free_bytes;
            match Recorder::start(config, Arc::clone(&ingest)) {
                Ok(recorder) => {
                    tracing::info!(camera = %id, mode = ?wanted.mode, "recorder started");
                    lock(&self.retention.watches).insert(id.clone(), recorder.watch());
                    self.active.insert(
                        id.clone(),
                        Active {
                            wanted: wanted.clone(),
                            ingest,
                            recorder,
                        },
                    );
                }
                Err(err) => tracing::error!(camera = %id, %err, "cannot start a recorder thread"),
            }
        }
        &self.pinned
    }

    /// Makes the next [`Self::sync`] rebuild what each camera records with, although
    /// the site did not change: a camera's password changed in the credential store
    /// (its recorder restarts with the new one).
    pub fn refresh(&mut self) {
        self.seen = None;
    }

    /// A camera's recorder state; `None` when it does not record. A camera that should
    /// record but cannot (bad source) reports `Failed` with the reason.
    pub fn status(&self, camera_id: &str) -> Option<RecorderStatus> {
        if let Some(active) = self.active.get(camera_id) {
            return Some(active.recorder.status());
        }
        match self.wanted.get(camera_id)? {
            Ok(_) => Some(RecorderStatus {
                state: RecorderState::Waiting,
                segments: 0,
                durable_end_ns: None,
                last_error: None,
            }),
            Err(why) => Some(RecorderStatus {
                state: RecorderState::Failed(why.clone()),
                segments: 0,
                durable_end_ns: None,
                last_error: Some(why.clone()),
            }),
        }
    }

    /// The event trigger of a camera recording in events mode.
    pub fn trigger(&self, camera_id: &str) -> Option<EventTrigger> {
        self.active
            .get(camera_id)
            .filter(|a| a.wanted.mode == RecordingMode::Events)
            .map(|a| a.recorder.trigger())
    }

    /// Runs a retention pass now (on the retention thread; returns at once).
    pub fn run_retention(&self) {
        self.retention_tx.try_send(RetentionCommand::RunNow).ok();
    }

    /// Closes every segment, joins the recorder and retention threads. The engine's
    /// connections stay until the caller's next `Engine::retain` (or shutdown).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn retire(&mut self, id: &str) {
        if let Some(active) = self.active.remove(id) {
            tracing::info!(camera = %id, "recorder stopping");
            active.recorder.request_stop();
            lock(&self.retention.watches).remove(id);
            self.stopping.push((id.to_owned(), active.recorder));
        }
    }

    fn shutdown(&mut self) {
        for active in self.active.values() {
            active.recorder.request_stop();
        }
        for (_, active) in self.active.drain() {
            active.recorder.stop();
        }
        for (_, recorder) in self.stopping.drain(..) {
            recorder.stop();
        }
        lock(&self.retention.watches).clear();
        self.pinned.clear();
        if let Some(thread) = self.retention_thread.take() {
            self.retention_tx.send(RetentionCommand::Stop).ok();
            if thread.join().is_err() {
                tracing::error!("the retention thread panicked");
            }
        }
    }
}

impl Drop for SiteRecording {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// What to tell about an index that was set aside.
pub fn index_notice(aside: &vigil_store::SetAside) -> String {
    format!(
        "Recording index was damaged ({}): rebuilt from the segment files; the damaged one is set aside as {} (its bookmarks, events and gaps are only there)",
        aside.why,
        aside.path.display()
    )
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a camera records with, `None` when it does not record.
fn wanted_for(
    camera: &CameraConfig,
    credentials: &CredentialStore,
) -> Option<Result<Wanted, String>> {
    let settings = camera.recording.as_ref()?;
    let mode = settings.mode;
    if mode == RecordingMode::Off {
        return None;
    }
    if !camera.enabled {
        return None;
    }
    if camera.id.as_str() == crate::reconcile::QUARANTINE_DIR {
        return Some(Err(format!(
            "camera id '{}' names the storage folder's quarantine; give the camera another id to record it",
            crate::reconcile::QUARANTINE_DIR
        )));
    }
    let seconds = |s: f64| Duration::try_from_secs_f64(s.max(0.0)).unwrap_or_default();
    Some(main_stream_spec(camera, credentials).map(|spec| Wanted {
        spec,
        mode,
        pre_roll: seconds(settings.pre_roll_s),
        post_roll: seconds(settings.post_roll_s),
    }))
}

/// The retention policy of a site: each camera's maximum age, the global quota, the
/// free-space reserve.
fn policy_for(site: &Site, options: &SiteRecordingOptions) -> RetentionPolicy {
    let max_age = site
        .cameras
        .iter()
        .filter_map(|c| {
            let days = c.recording.as_ref()?.max_age_days?;
            let age = Duration::try_from_secs_f64(days * 86_400.0).ok()?;
            Some((c.id.to_string(), age))
        })
        .collect();
    RetentionPolicy {
        max_age,
        quota_bytes: site
            .storage
            .as_ref()
            .and_then(vigil_config::StorageConfig::quota_bytes),
        min_free_bytes: options.min_free_bytes,
        pass_limit: crate::retention::PassLimit::default(),
    }
}

fn retention_loop(
    store: Store,
    mut retention: Retention,
    shared: &RetentionShared,
    rx: &Receiver<RetentionCommand>,
    interval: Duration,
) {
    let span = tracing::info_span!("retention", storage = %store.dir().display());
    let _enter = span.enter();
    let mut store = store;
    let started = Instant::now();
    let result = reconcile::reconcile(&mut store);
    match &result {
        Ok(report) => tracing::info!(
            clean = report.is_clean(),
            closed = report.closed.len(),
            trimmed = report.trimmed.len(),
            recovered = report.recovered.len(),
            removed_empty = report.removed_empty.len(),
            missing = report.missing.len(),
            unknown = report.unknown.len(),
            secs = started.elapsed().as_secs_f64(),
            "recordings reconciled"
        ),
        Err(err) => tracing::error!(%err, "reconciliation failed; recording starts anyway"),
    }
    *lock(&shared.reconciled) = Some(result.map_err(|e| e.to_string()));
    shared.ready.store(true, Ordering::SeqCst);
    // The first pass runs at once: the site may be over its quota from the last run.
    // Passes are due by the clock's monotonic reading; the thread looks every second.
    let clock = Arc::clone(retention.clock());
    let mut last: Option<Instant> = None;
    loop {
        let run_now = match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(RetentionCommand::Stop) | Err(RecvTimeoutError::Disconnected) => break,
            Ok(RetentionCommand::RunNow) => true,
            Err(RecvTimeoutError::Timeout) => false,
        };
        let disk_full = lock(&shared.watches)
            .values()
            .any(|w| w.status().state == RecorderState::DiskFull);
        // While a disk is full, a pass every couple of seconds (recorders retry that often).
        let wait = if disk_full {
            interval.min(Duration::from_secs(2))
        } else {
            interval
        };
        let now = clock.monotonic();
        if !run_now && last.is_some_and(|t| now.saturating_duration_since(t) < wait) {
            continue;
        }
        last = Some(now);
        let policy = lock(&shared.policy).clone();
        match retention.pass(&store, &policy) {
            Ok(report) => {
                if disk_full && report.deleted.is_empty() {
                    tracing::warn!("disk full and retention found nothing it may delete");
                }
                *lock(&shared.last_report) = Some(report);
            }
            Err(err) => tracing::error!(%err, "retention pass failed"),
        }
    }
}
