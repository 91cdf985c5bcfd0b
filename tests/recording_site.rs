//! The app's recording manager driven headless with a real engine: a camera that records
//! continuously while not on the wall, one that does not record, settings changes that
//! stop or switch recorders, and retention of the site's quota, oldest first.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use vigil_config::{
    CameraConfig, CredentialStore, RecordingConfig, RecordingMode, Site, StorageConfig,
};
use vigil_media::{Engine, MAIN_STREAM, StreamKey};
use vigil_record::RecorderState;
use vigil_record::site::{SiteRecording, SiteRecordingOptions, main_stream_spec};
use vigil_store::Store;

/// The tests look at this process's thread names: one test at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn clip(name: &str) -> String {
    format!("{}/assets/demo/{name}.mp4", env!("CARGO_MANIFEST_DIR"))
}

fn key(camera: &str) -> StreamKey {
    StreamKey {
        camera_id: camera.to_owned(),
        stream: MAIN_STREAM.to_owned(),
    }
}

/// Two file cameras, neither on the wall: `rec` records continuously, `idle` does not.
fn site() -> Site {
    let mut site = Site::empty();
    let mut rec = CameraConfig::new("rec", "Recorded", clip("yard"));
    rec.recording = Some(RecordingConfig::new(RecordingMode::Continuous));
    let mut idle = CameraConfig::new("idle", "Not recorded", clip("gate"));
    idle.recording = Some(RecordingConfig::new(RecordingMode::Off));
    site.cameras = vec![rec, idle];
    assert!(site.wall_cameras().iter().all(Option::is_none));
    site
}

fn options() -> SiteRecordingOptions {
    SiteRecordingOptions {
        segment_duration: Duration::from_secs(2),
        retention_interval: Duration::from_secs(3600),
        min_free_bytes: 0,
        ..SiteRecordingOptions::default()
    }
}

/// Names of this process's threads.
fn threads() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .map(|s| s.trim().to_owned())
        .collect()
}

/// Runs the app's per-frame calls for `how_long`: sync, then retain with nothing on the
/// wall. Returns the last pinned set.
fn frames(
    rec: &mut SiteRecording,
    site: &Site,
    creds: &CredentialStore,
    engine: &mut Engine,
    how_long: Duration,
) -> HashSet<StreamKey> {
    let until = Instant::now() + how_long;
    let mut pinned = HashSet::new();
    let mut worst = Duration::ZERO;
    while Instant::now() < until {
        let t = Instant::now();
        pinned = rec.sync(site, creds, engine).clone();
        worst = worst.max(t.elapsed());
        engine.retain(&HashSet::new(), &pinned);
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!("slowest sync {:.3} ms", worst.as_secs_f64() * 1e3);
    pinned
}

fn wait_for(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn records_only_cameras_that_record_without_decoding_them() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let creds = CredentialStore::new(Path::new("/nonexistent/credentials.toml"));
    let mut site = site();
    // The recorder and the wall open the very same spec (one shared connection).
    let ui_spec = vigil_core::streams::specs_for(&site.cameras[0], &creds).unwrap();
    assert_eq!(
        main_stream_spec(&site.cameras[0], &creds).unwrap(),
        ui_spec[0]
    );

    let mut engine = Engine::new(Arc::new(|| {}));
    engine.set_grace(Duration::ZERO);
    let mut rec = SiteRecording::start_with(&site, dir.path().to_path_buf(), options()).unwrap();
    assert_eq!(rec.storage(), dir.path());
    let pinned = frames(&mut rec, &site, &creds, &mut engine, Duration::from_secs(5));
    assert_eq!(pinned, HashSet::from([key("rec")]));
    assert!(rec.is_ready());
    assert!(
        matches!(rec.reconcile_report(), Some(Ok(ref r)) if r.is_clean()),
        "{:?}",
        rec.reconcile_report()
    );
    assert!(engine.ingest(&key("rec")).is_some());
    assert!(
        engine.ingest(&key("idle")).is_none(),
        "idle camera connected"
    );
    assert!(engine.stream(&key("rec")).is_none(), "a decoder runs");
    let names = threads();
    assert!(
        !names.iter().any(|n| n.starts_with("vigil-dec")),
        "{names:?}"
    );
    assert!(names.iter().any(|n| n == "vigil-rec-rec"), "{names:?}");
    assert!(names.iter().any(|n| n == "vigil-retention"), "{names:?}");
    let status = rec.status("rec").expect("rec records");
    assert_eq!(status.state, RecorderState::Recording, "{status:?}");
    assert!(status.durable_end_ns.is_some());
    assert!(rec.status("idle").is_none());
    assert!(rec.trigger("rec").is_none(), "continuous has no trigger");

    let store = Store::open(dir.path()).unwrap();
    let segments = store.segments(None).unwrap();
    assert!(segments.len() >= 2, "{segments:?}");
    assert!(segments.iter().all(|s| s.camera == "rec"), "{segments:?}");
    assert!(segments.iter().any(|s| !s.recording));

    // Switched to events: the recorder restarts armed and offers a trigger.
    site.cameras[0].recording = Some(RecordingConfig::new(RecordingMode::Events));
    frames(&mut rec, &site, &creds, &mut engine, Duration::from_secs(1));
    wait_for("armed", Duration::from_secs(3), || {
        rec.sync(&site, &creds, &mut engine);
        rec.status("rec")
            .is_some_and(|s| s.state == RecorderState::Armed)
    });
    assert!(rec.trigger("rec").is_some());

    // Switched off: the recorder closes its segment and ends; the connection goes.
    site.cameras[0].recording = Some(RecordingConfig::new(RecordingMode::Off));
    let pinned = frames(&mut rec, &site, &creds, &mut engine, Duration::from_secs(1));
    assert!(pinned.is_empty());
    assert!(rec.status("rec").is_none());
    wait_for("the recorder thread to end", Duration::from_secs(3), || {
        rec.sync(&site, &creds, &mut engine);
        !threads().iter().any(|n| n == "vigil-rec-rec")
    });
    assert!(engine.ingest(&key("rec")).is_none(), "still connected");
    let segments = store.segments(None).unwrap();
    assert!(segments.iter().all(|s| !s.recording), "{segments:?}");
    let count = segments.len();
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        store.segments(None).unwrap().len(),
        count,
        "still recording"
    );
    rec.stop();
    assert!(!threads().iter().any(|n| n == "vigil-retention"));
    engine.shutdown(Duration::from_secs(2));
}

#[test]
fn a_camera_with_a_bad_source_reports_why() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let creds = CredentialStore::new(Path::new("/nonexistent/credentials.toml"));
    let mut site = site();
    site.cameras[1].source = "http://example.invalid/x".to_owned();
    site.cameras[1].recording = Some(RecordingConfig::new(RecordingMode::Continuous));
    let mut engine = Engine::new(Arc::new(|| {}));
    let mut rec = SiteRecording::start_with(&site, dir.path().to_path_buf(), options()).unwrap();
    let pinned = rec.sync(&site, &creds, &mut engine);
    assert_eq!(*pinned, HashSet::from([key("rec")]));
    let status = rec.status("idle").expect("reported");
    assert!(
        matches!(&status.state, RecorderState::Failed(why) if why.contains("http")),
        "{status:?}"
    );
    // A disabled camera does not record.
    site.cameras[0].enabled = false;
    assert!(rec.sync(&site, &creds, &mut engine).is_empty());
    assert!(rec.status("rec").is_none());
    drop(rec);
    engine.shutdown(Duration::from_secs(2));
}

#[test]
fn retention_keeps_the_site_quota_oldest_first() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let creds = CredentialStore::new(Path::new("/nonexistent/credentials.toml"));
    let mut site = site();
    site.cameras[1].recording = Some(RecordingConfig::new(RecordingMode::Continuous));
    let mut engine = Engine::new(Arc::new(|| {}));
    let mut rec = SiteRecording::start_with(&site, dir.path().to_path_buf(), options()).unwrap();
    let store = Store::open(dir.path()).unwrap();
    let complete = |store: &Store| {
        store
            .segments(None)
            .unwrap()
            .into_iter()
            .filter(|s| !s.recording)
            .collect::<Vec<_>>()
    };
    let until = Instant::now() + Duration::from_secs(30);
    while complete(&store).len() < 6 {
        assert!(Instant::now() < until, "too few segments");
        frames(
            &mut rec,
            &site,
            &creds,
            &mut engine,
            Duration::from_millis(500),
        );
    }
    // Stop the recorders first, so what is measured stays still.
    site.cameras[0].recording = None;
    site.cameras[1].recording = None;
    frames(
        &mut rec,
        &site,
        &creds,
        &mut engine,
        Duration::from_millis(500),
    );
    wait_for("recorders to stop", Duration::from_secs(3), || {
        rec.sync(&site, &creds, &mut engine);
        !threads().iter().any(|n| n.starts_with("vigil-rec-"))
    });
    let before = complete(&store);
    assert_eq!(before.len(), store.segments(None).unwrap().len());
    // The oldest segment is bookmarked; the quota leaves room for the newest two.
    let oldest = &before[0];
    store
        .add_bookmark(&oldest.camera, oldest.start_ns, oldest.start_ns, "keep")
        .unwrap();
    let newest: u64 = before[before.len() - 2..].iter().map(|s| s.bytes).sum();
    let quota = newest + oldest.bytes + 1;
    site.storage = Some(StorageConfig {
        path: None,
        #[allow(clippy::cast_precision_loss)]
        quota_gb: Some(quota as f64 / 1e9),
    });
    rec.sync(&site, &creds, &mut engine);
    rec.run_retention();
    wait_for("retention", Duration::from_secs(5), || {
        store.total_bytes().unwrap() <= quota
    });
    let after = complete(&store);
    eprintln!(
        "{} segments before, {} after, quota {quota} bytes",
        before.len(),
        after.len()
    );
    // What is left: the bookmarked oldest, then an unbroken run of the newest.
    assert_eq!(after[0].id, before[0].id, "bookmark kept");
    let kept_tail = &after[1..];
    let tail_start = before.len() - kept_tail.len();
    assert_eq!(
        kept_tail.iter().map(|s| s.id).collect::<Vec<_>>(),
        before[tail_start..]
            .iter()
            .map(|s| s.id)
            .collect::<Vec<_>>(),
        "deleted oldest first"
    );
    assert_eq!(kept_tail.len(), 2);
    for gone in &before[1..tail_start] {
        assert!(!dir.path().join(&gone.file).exists(), "{} left", gone.file);
    }
    rec.stop();
    engine.shutdown(Duration::from_secs(2));
}
