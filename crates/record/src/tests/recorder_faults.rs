//! The recorder under injected write and fsync failures, fed by a real ingest of the
//! lobby clip (looped in real time, a keyframe every second): it keeps every fragment
//! fsynced before the failure, records a gap with the reason, says which in its state,
//! and starts a new segment once writes work again.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::clip;
use super::write_faults::assert_cut_clean;
use crate::writer::faulty::{Failure, FaultyFiles, Lasting, Op};
use crate::{Recorder, RecorderConfig, RecorderState, RecordingMode};
use vigil_media::{Engine, StreamSpec};
use vigil_store::{Gap, GapReason, Segment, Store};

const CAMERA: &str = "lobby";
const SEC: i64 = 1_000_000_000;

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(40);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A recorder of the lobby clip writing through `files`.
struct Rig {
    dir: tempfile::TempDir,
    engine: Engine,
    recorder: Recorder,
    store: Store,
}

impl Rig {
    fn start(files: &FaultyFiles, configure: impl FnOnce(&mut RecorderConfig)) -> Self {
        let dir = tempfile::tempdir().expect("tmp");
        let mut engine = Engine::new(Arc::new(|| {}));
        let ingest = engine.ensure_ingest(&StreamSpec::file(CAMERA, "Lobby", clip()));
        let mut config = RecorderConfig::new(CAMERA, dir.path());
        config.retry_interval = Duration::from_millis(300);
        // Disk full resumes once this much is free: the test's disk is not full.
        config.resume_free_bytes = 0;
        config.files = Arc::new(files.clone());
        configure(&mut config);
        let recorder = Recorder::start(config, ingest).expect("recorder");
        let store = Store::open(dir.path()).expect("index");
        Self {
            dir,
            engine,
            recorder,
            store,
        }
    }

    fn segments(&self) -> Vec<Segment> {
        self.store.segments(Some(CAMERA)).unwrap()
    }

    fn gaps(&self) -> Vec<Gap> {
        self.store.gaps(Some(CAMERA)).unwrap()
    }

    /// Waits until `n` segments exist, the last with a durable fragment, then stops.
    fn record_until_segments(self, n: usize) -> Self {
        wait_for("segments after the failure", || {
            let segments = self.segments();
            segments.len() >= n && segments.last().is_some_and(|s| s.end_ns > s.start_ns)
        });
        self.stop()
    }

    fn stop(mut self) -> Self {
        self.recorder.request_stop();
        wait_for("the recorder to stop", || self.recorder.is_finished());
        self.engine.shutdown(Duration::from_secs(2));
        self
    }

    /// Every segment is closed, cut clean and whole; returns them oldest first.
    fn assert_all_cut_clean(&self) -> Vec<Segment> {
        let segments = self.segments();
        for s in &segments {
            assert_cut_clean(&self.store, s.id, &self.dir.path().join(&s.file));
        }
        segments
    }
}

/// The failure happened in `segment`'s file, and the segment kept exactly what was
/// fsynced before it: at least one fragment.
fn assert_kept_what_was_fsynced(segment: &Segment, failure: &Failure) {
    assert!(
        failure.path.ends_with(&segment.file),
        "{failure:?} {segment:?}"
    );
    assert_eq!(segment.bytes, failure.synced_len, "{failure:?}");
    assert!(segment.end_ns - segment.start_ns >= SEC, "{segment:?}");
}

/// Writes fail from the n-th on until healed: the state and the open gap say why;
/// after the heal a new segment starts, and the gap ends where it starts.
fn failed_writes_then_heal(errno: i32, reason: GapReason) -> RecorderState {
    let files = FaultyFiles::default();
    // The header is the first write, a fragment two: in the first segment's 4th second.
    files.fail_write(8, errno, Lasting::UntilHealed);
    let rig = Rig::start(&files, |_| {});
    let failing = |state: &RecorderState| match reason {
        GapReason::DiskFull => *state == RecorderState::DiskFull,
        _ => matches!(state, RecorderState::Failed(_)),
    };
    // The state is published before the gap row is committed (another connection):
    // wait for both, then check them.
    wait_for("the failure in the state and its gap in the index", || {
        failing(&rig.recorder.status().state) && !rig.gaps().is_empty()
    });
    let state = rig.recorder.status().state;
    let gaps = rig.gaps();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(gaps[0].reason, reason);
    assert_eq!(gaps[0].end_ns, None, "open while writes fail");
    // Retries while the fault lasts start no segment.
    wait_for("a retry", || files.failures().len() >= 2);
    assert_eq!(rig.segments().len(), 1);

    files.heal();
    let rig = rig.record_until_segments(2);
    let segments = rig.assert_all_cut_clean();
    let first_failure = &files.failures()[0];
    assert_eq!(first_failure.op, Op::Write);
    assert_kept_what_was_fsynced(&segments[0], first_failure);
    let gaps = rig.gaps();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(gaps[0].reason, reason);
    assert_eq!(gaps[0].start_ns, segments[0].end_ns);
    assert_eq!(gaps[0].end_ns, Some(segments[1].start_ns));
    assert!(segments[1].start_ns > segments[0].end_ns);
    state
}

#[test]
fn an_io_error_keeps_the_fsynced_fragments_records_an_io_gap_and_resumes() {
    let state = failed_writes_then_heal(libc::EIO, GapReason::IoError);
    let RecorderState::Failed(message) = state else {
        panic!("{state:?}")
    };
    assert!(message.contains("Input/output error"), "{message}");
}

#[test]
fn a_full_disk_keeps_the_fsynced_fragments_records_a_disk_full_gap_and_resumes() {
    let state = failed_writes_then_heal(libc::ENOSPC, GapReason::DiskFull);
    assert_eq!(state, RecorderState::DiskFull);
}

#[test]
fn a_failed_fsync_when_a_segment_closes_keeps_its_durable_fragment_and_resumes() {
    let files = FaultyFiles::default();
    // 1: the header, 2: the first fragment, 3: the last one, written when the segment
    // closes at its 2 s rotation.
    files.fail_sync(3, libc::EIO, Lasting::Once);
    let rig = Rig::start(&files, |c| c.segment_duration = Duration::from_secs(2));
    let rig = rig.record_until_segments(2);
    let segments = rig.assert_all_cut_clean();
    let failure = &files.failures()[0];
    assert_eq!(failure.op, Op::Sync);
    assert_kept_what_was_fsynced(&segments[0], failure);
    assert_eq!(segments[0].end_ns - segments[0].start_ns, SEC);
    let gaps = rig.gaps();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(gaps[0].reason, GapReason::IoError);
    assert_eq!(gaps[0].start_ns, segments[0].end_ns);
    assert_eq!(gaps[0].end_ns, Some(segments[1].start_ns));
}

#[test]
fn in_events_mode_a_recorder_resumes_armed() {
    let files = FaultyFiles::default();
    // The header, then the pre-roll's fragments: the 3rd write is in the pre-roll.
    files.fail_write(3, libc::EIO, Lasting::Once);
    let rig = Rig::start(&files, |c| {
        c.mode = RecordingMode::Events;
        c.pre_roll = Duration::from_secs(2);
        c.post_roll = Duration::from_millis(500);
        // The event is over before the recorder looks again.
        c.retry_interval = Duration::from_millis(1500);
    });
    wait_for("armed", || {
        rig.recorder.status().state == RecorderState::Armed
    });
    // Long enough for the pre-roll to be buffered.
    std::thread::sleep(Duration::from_secs(3));
    rig.recorder.trigger().trigger(Duration::ZERO);
    wait_for("the failure", || {
        matches!(rig.recorder.status().state, RecorderState::Failed(_))
    });
    wait_for("armed again", || {
        rig.recorder.status().state == RecorderState::Armed
    });
    rig.stop().assert_all_cut_clean();
}

#[test]
fn a_recorder_that_falls_behind_records_a_gap_saying_so() {
    let files = FaultyFiles::default();
    // The 6th write (a fragment in the first segment) hangs for 2 s while the queue
    // keeps packets 300 ms at most: it overflows.
    files.stall_write(6, Duration::from_secs(2));
    let rig = Rig::start(&files, |c| {
        c.queue_max_age = Some(Duration::from_millis(300))
    });
    let rig = rig.record_until_segments(2);
    let segments = rig.assert_all_cut_clean();
    let gaps = rig.gaps();
    let behind: Vec<&Gap> = gaps
        .iter()
        .filter(|g| g.reason == GapReason::RecorderBehind)
        .collect();
    assert_eq!(behind.len(), 1, "{gaps:?}");
    assert_eq!(behind[0].start_ns, segments[0].end_ns);
    assert_eq!(behind[0].end_ns, Some(segments[1].start_ns));
    assert!(
        segments[1].start_ns - segments[0].end_ns >= SEC,
        "{segments:?}"
    );
    assert_eq!(GapReason::RecorderBehind.describe(), "recorder fell behind");
}
