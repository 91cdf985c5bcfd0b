//! Disk full: recording into a small tmpfs fills it; the recorder reports `DiskFull`
//! and opens a gap, live view of the same camera keeps decoding, retention frees the
//! oldest (unbookmarked) footage, and recording resumes by itself. Needs root (mount);
//! CI runs as root.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use vigil_media::{Engine, StreamSpec, StreamState};
use vigil_record::retention::{self, RetentionPolicy};
use vigil_record::{Recorder, RecorderConfig, RecorderState};
use vigil_store::{GapReason, Store};

const FS_BYTES: u64 = 16 << 20;

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

/// A tmpfs of `FS_BYTES`, unmounted on drop.
struct TmpfsMount {
    dir: PathBuf,
    _parent: tempfile::TempDir,
}

impl TmpfsMount {
    fn new() -> Self {
        let parent = tempfile::tempdir().expect("tmp");
        let dir = parent.path().join("fs");
        std::fs::create_dir(&dir).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={FS_BYTES}"), "tmpfs"])
            .arg(&dir)
            .status()
            .expect("run mount");
        assert!(status.success(), "mount tmpfs failed");
        Self {
            dir,
            _parent: parent,
        }
    }
}

impl Drop for TmpfsMount {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(&self.dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            Command::new("umount")
                .arg("-l")
                .arg(&self.dir)
                .status()
                .ok();
        }
    }
}

fn wait_for(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn fill(dir: &Path, leave_free: u64) {
    let free = retention::free_bytes(dir).unwrap();
    let filler = vec![0u8; usize::try_from(free.saturating_sub(leave_free)).unwrap()];
    std::fs::write(dir.join("filler.bin"), filler).unwrap();
}

#[test]
fn full_disk_stops_recording_with_a_gap_live_view_continues_retention_resumes() {
    if !is_root() {
        eprintln!("SKIPPED: recording_disk_full needs root to mount a tmpfs (CI runs as root)");
        return;
    }
    let mount = TmpfsMount::new();
    let storage = mount.dir.join("recordings");
    drop(Store::open(&storage).expect("index"));
    // Leave ~2.5 MiB for footage: at ~70 KB/s the disk fills in about half a minute.
    fill(&mount.dir, 5 << 19);

    let clip = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo/loading-dock.mp4");
    let spec = StreamSpec::file("dock", "Loading dock", clip);
    let mut engine = Engine::new(Arc::new(|| {}));
    let live = engine.ensure(&spec); // the wall's decoder
    let ingest = engine.ensure_ingest(&spec);
    let mut config = RecorderConfig::new("dock", &storage);
    config.segment_duration = Duration::from_secs(3);
    config.resume_free_bytes = 1 << 20;
    config.retry_interval = Duration::from_millis(500);
    let recorder = Recorder::start(config, ingest).expect("recorder");

    // The oldest footage is bookmarked: retention must not touch it.
    let store = Store::open(&storage).expect("index");
    wait_for("a first complete segment", Duration::from_secs(20), || {
        store
            .segments(Some("dock"))
            .unwrap()
            .iter()
            .any(|s| !s.recording)
    });
    let first = store.segments(Some("dock")).unwrap()[0].clone();
    store
        .add_bookmark("dock", first.start_ns, first.end_ns, "evidence")
        .unwrap();

    wait_for("the disk to fill", Duration::from_secs(120), || {
        recorder.status().state == RecorderState::DiskFull
    });
    let full_at = Instant::now();
    let status = recorder.status();
    eprintln!("recorder: {status:?}");
    assert!(
        status
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("disk full")),
        "{status:?}"
    );

    // Live view carries on while recording is stopped.
    let frames_before = live.stats.frames_decoded.load(Ordering::Relaxed);
    std::thread::sleep(Duration::from_secs(2));
    let frames_after = live.stats.frames_decoded.load(Ordering::Relaxed);
    eprintln!(
        "live view decoded {} frames in 2 s with the disk full",
        frames_after - frames_before
    );
    assert!(
        frames_after - frames_before >= 30,
        "{frames_before} -> {frames_after}"
    );
    assert_eq!(live.state(), StreamState::Live);
    assert_eq!(
        recorder.status().state,
        RecorderState::DiskFull,
        "stays stopped while full"
    );

    // Retention with a quota below what is recorded frees the oldest unprotected footage.
    let recorded = store.total_bytes().unwrap();
    let policy = RetentionPolicy {
        quota_bytes: Some(recorded / 3),
        ..RetentionPolicy::default()
    };
    let report = retention::apply(&store, &policy, vigil_time::WallNanos::now().0).unwrap();
    eprintln!("retention: {report:?}");
    assert!(!report.deleted.is_empty());
    assert!(
        !report.deleted.contains(&first.file),
        "bookmarked footage deleted"
    );
    assert!(storage.join(&first.file).exists());

    // Recording resumes by itself.
    let segments_before = recorder.status().segments;
    wait_for("recording to resume", Duration::from_secs(15), || {
        let s = recorder.status();
        s.state == RecorderState::Recording && s.segments > segments_before
    });
    eprintln!(
        "resumed {:.1} s after the disk filled",
        full_at.elapsed().as_secs_f64()
    );
    std::thread::sleep(Duration::from_secs(2));
    recorder.stop();
    engine.shutdown(Duration::from_secs(2));

    let gaps = store.gaps(Some("dock")).unwrap();
    eprintln!("gaps: {gaps:?}");
    let gap = gaps
        .iter()
        .find(|g| g.reason == GapReason::DiskFull)
        .expect("a disk_full gap");
    let end = gap.end_ns.expect("closed when recording resumed");
    assert!(end > gap.start_ns);
    // Every segment left is whole: its file is exactly what its row says.
    for segment in store.segments(Some("dock")).unwrap() {
        assert!(!segment.recording, "{segment:?}");
        assert_eq!(
            std::fs::metadata(storage.join(&segment.file))
                .unwrap()
                .len(),
            segment.bytes,
            "{segment:?}"
        );
    }
    drop(store);
}
