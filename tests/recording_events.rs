//! Events mode: nothing is written until a trigger; then the segment starts at least the
//! pre-roll before the trigger (at a keyframe) and ends after the hold and post-roll.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use vigil_media::{Engine, StreamSpec};
use vigil_record::{Recorder, RecorderConfig, RecorderState, RecordingMode};
use vigil_store::Store;

const SEC: i64 = 1_000_000_000;

fn wait_for(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn event_records_pre_roll_hold_and_post_roll_only() {
    let dir = tempfile::tempdir().expect("tmp");
    let clip = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo/yard.mp4");
    let spec = StreamSpec::file("yard", "Yard", clip);
    let mut engine = Engine::new(Arc::new(|| {}));
    let ingest = engine.ensure_ingest(&spec); // recorded, not on the wall
    let mut config = RecorderConfig::new("yard", dir.path());
    config.mode = RecordingMode::Events;
    config.pre_roll = Duration::from_secs(2);
    config.post_roll = Duration::from_secs(1);
    let recorder = Recorder::start(config, ingest).expect("recorder");
    let trigger = recorder.trigger();

    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(recorder.status().state, RecorderState::Armed);
    let store = Store::open(dir.path()).expect("index");
    assert!(
        store.segments(None).unwrap().is_empty(),
        "nothing before an event"
    );

    let triggered_ns = vigil_time::WallNanos::now().0;
    trigger.trigger(Duration::from_secs(1));
    wait_for("recording", Duration::from_secs(3), || {
        recorder.status().state == RecorderState::Recording
    });
    wait_for("the event to end", Duration::from_secs(6), || {
        recorder.status().state == RecorderState::Armed
    });
    let segments = store.segments(None).unwrap();
    assert_eq!(segments.len(), 1, "{segments:?}");
    let s = &segments[0];
    assert!(!s.recording);
    let pre = triggered_ns - s.start_ns;
    let post = s.end_ns - triggered_ns;
    eprintln!(
        "pre-roll {:.2} s, after the trigger {:.2} s",
        pre as f64 / 1e9,
        post as f64 / 1e9
    );
    // Keyframes every second: the pre-roll starts 2 to 3 s before the trigger.
    assert!(
        (2 * SEC..=3 * SEC + SEC / 5).contains(&pre),
        "pre-roll {pre}"
    );
    // Hold 1 s + post-roll 1 s, ended at the first packet after that.
    assert!((2 * SEC..=2 * SEC + SEC / 2).contains(&post), "post {post}");
    assert!(!store.keyframes(s.id).unwrap().is_empty());

    // A second event makes a second segment.
    trigger.trigger(Duration::ZERO);
    wait_for("a second event", Duration::from_secs(6), || {
        store.segments(None).unwrap().len() == 2 && recorder.status().state == RecorderState::Armed
    });
    recorder.stop();
    engine.shutdown(Duration::from_secs(2));
    assert!(
        store.gaps(None).unwrap().is_empty(),
        "events mode writes no gaps between events"
    );
    // Each trigger is an event row for the timeline, at the trigger's wall time.
    let events = store.events(Some("yard"), 0, i64::MAX).unwrap();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events.iter().all(|e| e.kind == "trigger"));
    assert!(
        (events[0].time_ns - triggered_ns).abs() < SEC / 10,
        "{events:?}"
    );
    assert_eq!(events[0].end_ns, Some(events[0].time_ns + SEC));
    assert_eq!(events[1].end_ns, None, "an instant");
    assert!(events[1].time_ns > events[0].time_ns);
}
