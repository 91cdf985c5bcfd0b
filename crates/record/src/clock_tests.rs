//! Recording and retention on a simulated clock, with real packets (the demo clip) and a
//! real index: segments across a daylight-saving change and how the timeline labels
//! them, and a wall clock that jumps a year ahead under retention.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::{Local, TimeZone as _, Utc};
use vigil_media::{Engine, StreamSpec};
use vigil_store::Store;
use vigil_time::{Clock as _, NANOS_PER_DAY, NANOS_PER_MIN, NANOS_PER_SEC, SimClock, WallNanos};
use vigil_timeline::TimeView;
use vigil_timeline::ticks::ruler_ticks;

use crate::retention::{AgePause, Retention, RetentionPolicy};
use crate::{Recorder, RecorderConfig, RecorderState};

const CAMERA: &str = "cam";
/// The clip's video packets: 10 s at 25 fps, a keyframe each second, no B-frames.
const PACKETS: u64 = 250;
const FRAME: Duration = Duration::from_millis(40);
const SEGMENT: Duration = Duration::from_secs(3);

fn clip() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo/lobby.mp4")
}

/// Sunday 29 March 2026, `h:m:s.ms` UTC.
fn utc(h: u32, m: u32, s: u32, ms: i64) -> WallNanos {
    let at = Utc
        .with_ymd_and_hms(2026, 3, 29, h, m, s)
        .single()
        .expect("valid time");
    WallNanos::from_utc(&at).saturating_add_nanos(ms * 1_000_000)
}

/// Polls `f` for at most 20 s of real time.
fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Records the clip once (file sources are paced by the clock) on `clock`: the first
/// packet arrives at the clock's wall reading now, and the clock moves 40 ms each time
/// the ingest has taken a packet, so each one arrives at exactly its time.
fn record_clip(clock: &Arc<SimClock>, storage: &Path) {
    let start = clock.wall();
    let mut engine = Engine::with_clock(Arc::new(|| {}), clock.clone());
    let ingest = engine.ensure_ingest(&StreamSpec::file(CAMERA, "Camera", clip()));
    let mut config = RecorderConfig::new(CAMERA, storage);
    config.segment_duration = SEGMENT;
    let recorder = Recorder::start(config, Arc::clone(&ingest)).expect("recorder");
    let taken = || ingest.stats.packets_received.load(Ordering::SeqCst);
    // The first packet, a keyframe, is due at once and starts the first segment.
    wait_for("the first segment", || {
        recorder.status().state == RecorderState::Recording
    });
    for packet in 1..PACKETS {
        wait_for("the next packet", || taken() >= packet);
        clock.advance(FRAME);
    }
    wait_for("the last packet", || taken() >= PACKETS);
    // The cut at 9 s is indexed: the recorder has written what came before it.
    let nine_s = start.saturating_add_nanos(9 * NANOS_PER_SEC).0;
    wait_for("the cut at 9 s", || {
        recorder
            .status()
            .durable_end_ns
            .is_some_and(|end| end >= nine_s)
    });
    recorder.stop();
    engine.shutdown(Duration::from_secs(5));
}

const TZ_CHILD: &str = "VIGIL_RECORD_TZ_CHILD";

/// Europe/Berlin, Sunday 29 March 2026: at 01:00 UTC the local clock goes from 02:00
/// CET to 03:00 CEST. Recorded on a clock started at 00:59:58.5 UTC (01:59:58.5
/// local), the segments run on in UTC without a gap, one 3 s segment spans the change,
/// and the timeline labels the range 01:59:59 then 03:00:00 — never 02:xx.
///
/// chrono's `Local` follows `TZ`, which a running test process must not set: the test
/// runs itself again as a child with `TZ` set, as the timeline's tick tests do.
#[test]
fn a_dst_change_while_recording_and_on_the_timeline() {
    if std::env::var_os(TZ_CHILD).is_none() {
        let name = module_path!()
            .split_once("::")
            .map_or(module_path!(), |(_, rest)| rest);
        let test = format!("{name}::a_dst_change_while_recording_and_on_the_timeline");
        // The zone file when there is one, else the same rule as a POSIX string.
        let tz = if Path::new("/usr/share/zoneinfo/Europe/Berlin").exists() {
            "Europe/Berlin"
        } else {
            "CET-1CEST,M3.5.0,M10.5.0/3"
        };
        let output = Command::new(std::env::current_exe().expect("test binary"))
            .args([test.as_str(), "--exact", "--test-threads=1", "--nocapture"])
            .env("TZ", tz)
            .env(TZ_CHILD, "1")
            .output()
            .expect("child test runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("1 passed"),
            "TZ={tz}: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        return;
    }
    let change = utc(1, 0, 0, 0);
    let start = utc(0, 59, 58, 500);
    let dir = tempfile::tempdir().expect("tmp");
    let clock = SimClock::new(start);
    record_clip(&clock, dir.path());

    let store = Store::open(dir.path()).expect("index");
    let segments = store.segments(Some(CAMERA)).expect("segments");
    assert!(segments.len() >= 4, "{segments:#?}");
    assert!(segments.iter().all(|s| !s.recording), "{segments:#?}");
    assert_eq!(
        segments[0].start_ns, start.0,
        "starts at the first packet's arrival"
    );
    for pair in segments.windows(2) {
        assert_eq!(pair[0].end_ns, pair[1].start_ns, "contiguous in UTC");
    }
    let (first, last) = (segments[0].start_ns, segments[segments.len() - 1].end_ns);
    assert!(last - first >= 9 * NANOS_PER_SEC, "{first}..{last}");
    let across = segments
        .iter()
        .find(|s| s.start_ns < change.0 && change.0 < s.end_ns)
        .expect("a segment across the change");
    assert_eq!(
        across.end_ns - across.start_ns,
        i64::try_from(SEGMENT.as_nanos()).expect("nanos"),
        "3 s in UTC, though the local clock jumped an hour"
    );
    assert_eq!(store.gaps(Some(CAMERA)).expect("gaps"), []);

    // The timeline over the recorded range: one label a second.
    let labels = |view: &TimeView| -> Vec<(WallNanos, String)> {
        ruler_ticks(view, &Local)
            .into_iter()
            .filter(|t| t.time >= view.start && t.time <= view.end())
            .filter_map(|t| Some((t.time, t.label?)))
            .collect()
    };
    let seconds = labels(&TimeView::from_range(
        WallNanos(first),
        WallNanos(last),
        1200.0,
    ));
    let texts: Vec<&str> = seconds.iter().map(|(_, l)| l.as_str()).collect();
    assert!(!texts.iter().any(|l| l.starts_with("02:")), "{texts:?}");
    let i = texts
        .iter()
        .position(|l| *l == "01:59:59")
        .expect("01:59:59");
    assert_eq!(texts[i + 1], "03:00:00", "{texts:?}");
    assert_eq!(seconds[i + 1].0, change);
    assert_eq!(seconds[i + 1].0.nanos_since(seconds[i].0), NANOS_PER_SEC);
    // Zoomed out around it: one label a minute.
    let minutes = labels(&TimeView::centered_on(
        WallNanos(first),
        10.0 * NANOS_PER_MIN as f64,
        1000.0,
    ));
    let texts: Vec<&str> = minutes.iter().map(|(_, l)| l.as_str()).collect();
    assert!(!texts.iter().any(|l| l.starts_with("02:")), "{texts:?}");
    let i = texts.iter().position(|l| *l == "01:59").expect("01:59");
    assert_eq!(texts[i + 1], "03:00", "{texts:?}");
    assert_eq!(minutes[i + 1].0.nanos_since(minutes[i].0), NANOS_PER_MIN);
}

/// Footage recorded, then the wall clock is set a year ahead: a retention pass deletes
/// nothing by age and says why with both times, while the quota still deletes the
/// oldest; with the clock set right again, deletion by age works as before.
#[test]
fn a_wall_clock_a_year_ahead_deletes_nothing_and_says_why() {
    let start = utc(0, 59, 58, 500);
    let dir = tempfile::tempdir().expect("tmp");
    let clock = SimClock::new(start);
    record_clip(&clock, dir.path());
    let store = Store::open(dir.path()).expect("index");
    let recorded = store.segments(Some(CAMERA)).expect("segments");
    assert!(recorded.len() >= 4, "{recorded:#?}");
    let files = |segments: &[vigil_store::Segment]| -> Vec<String> {
        segments.iter().map(|s| s.file.clone()).collect()
    };
    let left = || files(&store.segments(Some(CAMERA)).expect("segments"));

    let mut retention = Retention::new(clock.clone());
    let mut policy = RetentionPolicy::default();
    policy
        .max_age
        .insert(CAMERA.to_owned(), Duration::from_secs(3600));
    let report = retention.pass(&store, &policy).expect("pass");
    assert_eq!((report.deleted.len(), report.age_paused), (0, None));

    let right = clock.wall();
    let year_ahead = right.saturating_add_nanos(365 * NANOS_PER_DAY);
    clock.jump_wall(365 * NANOS_PER_DAY);
    let report = retention.pass(&store, &policy).expect("pass");
    assert_eq!(report.deleted, Vec::<String>::new());
    assert_eq!(left(), files(&recorded));
    let why = report.age_paused.expect("a reason");
    assert_eq!(
        why,
        AgePause::ClockJumped {
            now: year_ahead,
            expected: right,
        }
    );
    let text = why.to_string();
    for needle in [
        year_ahead.to_string(),
        right.to_string(),
        "365 d ahead".into(),
    ] {
        assert!(text.contains(&needle), "{needle} in: {text}");
    }

    // The quota needs no clock: it still deletes, oldest first.
    policy.quota_bytes = Some(store.total_bytes().expect("bytes") - recorded[0].bytes);
    let report = retention.pass(&store, &policy).expect("pass");
    assert_eq!(report.deleted, files(&recorded[..1]));
    assert!(matches!(
        report.age_paused,
        Some(AgePause::ClockJumped { .. })
    ));
    policy.quota_bytes = None;

    // Set right again: nothing is an hour old yet, so nothing goes.
    clock.set_wall(right);
    let report = retention.pass(&store, &policy).expect("pass");
    assert_eq!((report.deleted.len(), report.age_paused), (0, None));
    // An hour and some later, what ended more than an hour ago goes: the segment that
    // ended 6 s after the start, not the one that ended at 9 s.
    let target = start.saturating_add_nanos(3600 * NANOS_PER_SEC + 6_500_000_000);
    clock.advance(Duration::from_nanos(
        u64::try_from(target.nanos_since(clock.wall())).expect("later"),
    ));
    let report = retention.pass(&store, &policy).expect("pass");
    assert_eq!(report.age_paused, None);
    assert_eq!(report.deleted, files(&recorded[1..2]));
    assert_eq!(left(), files(&recorded[2..]));
}
