//! `vigil archive record`: one camera (or file) recorded headless into a storage folder,
//! with reconciliation first and retention while it runs. The crash-safety test kills
//! this process at random moments.
//!
//! Owns: the command's loop (signals, duration, retention passes). Must not: do
//! anything the recorder, the store or the engine do themselves.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use super::{Recorder, RecorderConfig, RecorderState, RecordingMode};
use vigil_media::{Engine, MAIN_STREAM, StreamSpec, Timeouts, Transport};

use crate::reconcile;
use crate::retention::{Retention, RetentionPolicy};
use vigil_store::Store;

/// What `vigil archive record` was asked to do.
#[derive(Clone, Debug)]
pub struct RecordOptions {
    pub input: String,
    pub storage: PathBuf,
    pub camera_id: String,
    /// Stop after this long (None: until SIGTERM/SIGINT or killed).
    pub seconds: Option<f64>,
    pub mode: RecordingMode,
    /// RTSP transport of the input.
    pub transport: Transport,
    pub segment_secs: f64,
    pub quota_bytes: Option<u64>,
    pub max_age: Option<Duration>,
    pub resume_free_bytes: u64,
    /// The camera's login (from credentials.toml or the environment, never the URL).
    pub credentials: Option<vigil_config::redact::Credentials>,
}

/// Camera ids name folders: `[A-Za-z0-9_-]{1,64}`, as in the site file.
fn check_camera_id(id: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        crate::segment_path::is_camera_id(id),
        "camera id '{id}' must be 1 to 64 of A-Z a-z 0-9 _ -"
    );
    Ok(())
}

/// Records until `stop` is set (the command line sets it on SIGTERM or SIGINT) or the
/// time is up; returns when done.
pub fn record(options: &RecordOptions, stop: &AtomicBool) -> anyhow::Result<()> {
    check_camera_id(&options.camera_id)?;
    crate::identity::precheck(&options.storage)?;
    // Held until recording ends: no other writer may reconcile this folder meanwhile.
    let _lock = crate::lock::StorageLock::acquire(&options.storage)?;
    {
        let (mut store, set_aside) = Store::open_checked(&options.storage)
            .with_context(|| format!("storage folder {}", options.storage.display()))?;
        if let Some(aside) = &set_aside {
            println!("{}", crate::site::index_notice(aside));
        }
        crate::identity::check(&store)?;
        let report = reconcile::reconcile(&mut store)?;
        println!(
            "reconciled: closed={} trimmed={} recovered={} removed_empty={} missing={} unknown={}",
            report.closed.len(),
            report.trimmed.len(),
            report.recovered.len(),
            report.removed_empty.len(),
            report.missing.len(),
            report.unknown.len()
        );
    }
    let source = vigil_config::redact::parse_source(&options.input).context("--input")?;
    let spec = StreamSpec {
        camera_id: options.camera_id.clone(),
        camera_name: options.camera_id.clone(),
        stream: MAIN_STREAM.to_owned(),
        source,
        transport: options.transport,
        credentials: options.credentials.clone(),
        loop_file: true,
        timeouts: Timeouts::default(),
    };
    let mut engine = Engine::new(Arc::new(|| {}));
    let ingest = engine.ensure_ingest(&spec);
    let mut config = RecorderConfig::new(&options.camera_id, &options.storage);
    config.mode = options.mode;
    config.segment_duration = Duration::from_secs_f64(options.segment_secs.max(1.0));
    config.resume_free_bytes = options.resume_free_bytes;
    let recorder = Recorder::start(config, ingest).context("cannot start the recorder thread")?;
    let mut policy = RetentionPolicy {
        quota_bytes: options.quota_bytes,
        ..RetentionPolicy::default()
    };
    if let Some(age) = options.max_age {
        policy.max_age.insert(options.camera_id.clone(), age);
    }
    let store = Store::open(&options.storage)?;
    let mut retention = Retention::new(Arc::clone(engine.clock()));
    let started = Instant::now();
    let mut last_retention: Option<Instant> = None;
    let mut last_state = None;
    while !stop.load(Ordering::SeqCst)
        && options
            .seconds
            .is_none_or(|s| started.elapsed().as_secs_f64() < s)
    {
        std::thread::sleep(Duration::from_millis(100));
        let status = recorder.status();
        if last_state.as_ref() != Some(&status.state) {
            println!("state: {:?}", status.state);
            last_state = Some(status.state.clone());
        }
        let due = last_retention.is_none_or(|t| t.elapsed() > Duration::from_secs(10))
            || status.state == RecorderState::DiskFull;
        if due && (policy.quota_bytes.is_some() || !policy.max_age.is_empty()) {
            last_retention = Some(Instant::now());
            if let Err(err) = retention.pass(&store, &policy) {
                tracing::error!(%err, "retention failed");
            }
        }
    }
    recorder.stop();
    engine.shutdown(Duration::from_secs(2));
    Ok(())
}
