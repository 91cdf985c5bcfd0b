//! Alerts through the real core: motion detected live from a file source where a box
//! enters at a known time (indexed as an event, raised as an alarm), camera health from
//! a real RTSP server stopped and restarted (offline and back online, each once), and a
//! camera recording in `events` mode recording around motion in a real RTSP stream.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::RtspServer;
use vigil_config::{CameraConfig, CredentialStore, RecordingConfig, RecordingMode, Site};
use vigil_core::{AlarmState, Core, CoreOptions, Viewport};
use vigil_store::{Severity, Store};

const SEC: i64 = 1_000_000_000;

/// A still textured scene with a white box moving right for 3 s from `enter_secs`.
fn box_clip(dir: &Path, enter_secs: u32, seconds: u32) -> PathBuf {
    let out = dir.join("box.mp4");
    let leave_secs = enter_secs + 3;
    let graph = format!(
        "testsrc2=size=640x360:rate=25:duration=0.04,loop=loop=-1:size=1:start=0,setpts=N/25/TB[bg];\
         color=c=white:size=80x80:rate=25[box];\
         [bg][box]overlay=x='40+(t-{enter_secs})*60':y=140:enable='between(t,{enter_secs},{leave_secs})'"
    );
    let status = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
        ])
        .arg(&graph)
        .args(["-t", &seconds.to_string()])
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-crf", "20"])
        .args(["-g", "25", "-bf", "0", "-pix_fmt", "yuv420p"])
        .arg(&out)
        .status()
        .expect("run ffmpeg");
    assert!(status.success(), "ffmpeg failed");
    out
}

fn core_for(site: Site, dir: &Path) -> Core {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_test_writer()
        .try_init()
        .ok();
    let mut core = Core::new(
        site,
        CredentialStore::new(&dir.join("credentials.toml")),
        CoreOptions {
            snapshot_dir: dir.join("snapshots"),
            site_path: None,
            storage: Some(dir.join("recordings")),
            demo_history_hours: None,
            clock: vigil_time::real_clock(),
        },
        Arc::new(|| {}),
    );
    core.set_viewport(Viewport {
        width_points: 1000.0,
        height_points: 600.0,
        pixels_per_point: 1.0,
    });
    core
}

/// Steps the core every 10 ms until `f` gives a value or `timeout` passes.
fn step_until<T>(
    core: &mut Core,
    timeout: Duration,
    mut f: impl FnMut(&Core) -> Option<T>,
) -> Option<T> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        core.step();
        if let Some(v) = f(core) {
            return Some(v);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

fn events(dir: &Path, kind: &str) -> Vec<vigil_store::Event> {
    let store = Store::open(&dir.join("recordings")).expect("index");
    store
        .events(Some("cam"), 0, i64::MAX / 2)
        .expect("events")
        .into_iter()
        .filter(|e| e.kind == kind)
        .collect()
}

#[test]
fn motion_from_a_live_file_source_starts_within_a_second_of_the_box_and_is_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let clip = box_clip(dir.path(), 4, 9);
    // A looping file is paced to real time, like a camera.
    let camera = CameraConfig::new("cam", "Camera", clip.to_str().unwrap());
    let mut camera = camera;
    camera.detection = Some(vigil_detect::Settings {
        tamper: false,
        ..vigil_detect::Settings::default()
    });
    let mut site = Site::empty();
    site.cameras.push(camera);
    site.wall.layout = "2x2".into();
    site.wall.assignment = vec![Some("cam".into())];
    let mut core = core_for(site, dir.path());

    // The first frame on the tile: media time 0 of the clip.
    let first_frame = step_until(&mut core, Duration::from_secs(20), |core| {
        core.shown_size("cam").map(|_| core.now())
    })
    .expect("a first frame");
    assert!(core.alarms().is_empty(), "nothing moves yet");
    let alarm = step_until(&mut core, Duration::from_secs(15), |core| {
        core.alarms().iter().find(|a| a.kind == "motion").cloned()
    })
    .expect("a motion alarm");
    let after_entry = alarm.start.nanos_since(first_frame) - 4 * SEC;
    eprintln!(
        "motion starts {:.3} s after the box entered",
        after_entry as f64 / 1e9
    );
    // The tile's first frame is seen a step (≤ 10 ms) after it arrived, so "not before"
    // allows that much.
    assert!(
        after_entry >= -SEC / 20,
        "started before the box: {after_entry} ns"
    );
    assert!(
        after_entry <= SEC,
        "started {after_entry} ns after the box entered"
    );
    assert_eq!(alarm.severity, Severity::Warning);
    assert_eq!(alarm.state, AlarmState::New);
    let thumbnail = alarm.thumbnail.as_ref().expect("the frame that raised it");
    assert_eq!(
        thumbnail.rgba.len(),
        (thumbnail.width_px * thumbnail.height_px * 4) as usize
    );
    assert_eq!(core.unacknowledged_alarms(Some("cam")), 1);
    assert_eq!(core.alarm_severity("cam"), Some(Severity::Warning));
    assert!(core.moving_cells("cam").is_some(), "the box is moving");

    // In the index, with its severity; ended once the clip is over.
    let indexed = step_until(&mut core, Duration::from_secs(15), |_| {
        events(dir.path(), "motion")
            .into_iter()
            .find(|e| e.time_ns == alarm.start.nanos() && e.end_ns.is_some())
    })
    .expect("the motion event indexed and ended");
    assert_eq!(indexed.severity, Severity::Warning);
    core.shutdown(Duration::from_secs(2));
}

#[test]
fn stopping_the_rtsp_server_raises_offline_once_and_restarting_back_online_once() {
    let server = RtspServer::start(0, &["--mount", "cam:h264:320x240:15"]);
    let dir = tempfile::tempdir().unwrap();
    let mut camera = CameraConfig::new("cam", "Camera", server.url("cam"));
    camera.loop_file = false;
    let mut site = Site::empty();
    site.cameras.push(camera);
    site.wall.layout = "2x2".into();
    site.wall.assignment = vec![Some("cam".into())];
    let mut core = core_for(site, dir.path());
    step_until(&mut core, Duration::from_secs(20), |core| {
        core.shown_size("cam")
    })
    .expect("live");
    // Live for a while: no health event.
    step_until(&mut core, Duration::from_secs(2), |_| None::<()>);
    assert!(core.alarms().is_empty(), "{:?}", core.alarms());

    let info = server.kill();
    let killed = Instant::now();
    let stall = vigil_media::Timeouts::default().stall;
    let offline = step_until(&mut core, stall + Duration::from_secs(2), |core| {
        core.alarms()
            .iter()
            .find(|a| a.kind == "camera_offline")
            .cloned()
    })
    .expect("offline raised");
    let raised_after = killed.elapsed();
    eprintln!("offline raised {raised_after:?} after the server stopped");
    assert!(
        raised_after <= stall + vigil_core::alerts::health::DEBOUNCE,
        "{raised_after:?}"
    );
    assert_eq!(offline.severity, Severity::Critical);
    // The queue shows the last picture the camera sent, scaled down.
    let thumbnail = offline.thumbnail.as_ref().expect("the last picture");
    assert_eq!((thumbnail.width_px, thumbnail.height_px), (160, 120));
    assert!(
        thumbnail.rgba.iter().any(|&b| b > 32),
        "a real picture, not black"
    );
    // Down a while: still one event, whatever the reconnects do.
    step_until(&mut core, Duration::from_secs(4), |_| None::<()>);

    let server = info.restart();
    step_until(&mut core, Duration::from_secs(20), |_| {
        (!events(dir.path(), "camera_online").is_empty()).then_some(())
    })
    .expect("back online");
    step_until(&mut core, Duration::from_secs(3), |_| None::<()>);
    let offline_rows = events(dir.path(), "camera_offline");
    let online_rows = events(dir.path(), "camera_online");
    assert_eq!(offline_rows.len(), 1, "{offline_rows:?}");
    assert_eq!(online_rows.len(), 1, "{online_rows:?}");
    let end = offline_rows[0].end_ns.expect("the outage ended");
    assert_eq!(
        online_rows[0].time_ns, end,
        "back online when the outage ended"
    );
    assert!(end > offline_rows[0].time_ns);
    assert_eq!(
        core.alarms()
            .iter()
            .filter(|a| a.kind == "camera_offline")
            .count(),
        1
    );
    assert_eq!(
        core.alarms()
            .iter()
            .filter(|a| a.kind == "camera_online")
            .count(),
        0,
        "back online only logs"
    );
    core.shutdown(Duration::from_secs(2));
    drop(server);
}

#[test]
fn a_camera_in_events_mode_records_around_motion_from_rtsp() {
    let dir = tempfile::tempdir().unwrap();
    let clip = box_clip(dir.path(), 8, 16);
    let mount = format!("cam={}", clip.display());
    let server = RtspServer::start(0, &["--mount", &mount]);
    let mut camera = CameraConfig::new("cam", "Camera", server.url("cam"));
    camera.loop_file = false;
    camera.detection = Some(vigil_detect::Settings {
        tamper: false,
        ..vigil_detect::Settings::default()
    });
    camera.recording = Some(RecordingConfig {
        pre_roll_s: 2.0,
        post_roll_s: 1.0,
        ..RecordingConfig::new(RecordingMode::Events)
    });
    let mut site = Site::empty();
    site.cameras.push(camera);
    // Not on the wall: detection decodes its stream by itself.
    let mut core = core_for(site, dir.path());
    let alarm = step_until(&mut core, Duration::from_secs(40), |core| {
        core.alarms().iter().find(|a| a.kind == "motion").cloned()
    })
    .expect("motion from the RTSP stream");
    let store = Store::open(&dir.path().join("recordings")).expect("index");
    let segment = step_until(&mut core, Duration::from_secs(20), |_| {
        store
            .segments(Some("cam"))
            .unwrap()
            .into_iter()
            .find(|s| !s.recording)
    })
    .expect("an event segment, closed after the motion");
    let start = alarm.start.nanos();
    eprintln!(
        "segment from {:.2} s before the motion to {:.2} s after it",
        (start - segment.start_ns) as f64 / 1e9,
        (segment.end_ns - start) as f64 / 1e9
    );
    assert!(segment.start_ns <= start, "the pre-roll covers the start");
    assert!(segment.end_ns > start + SEC, "it records the motion");
    // Nothing before the event: the first frames of the stream were not kept.
    assert!(
        start - segment.start_ns < 5 * SEC,
        "recorded from {} ns before",
        start - segment.start_ns
    );
    assert_eq!(events(dir.path(), "motion").len(), 1);
    assert!(events(dir.path(), "trigger").is_empty(), "no trigger rows");
    core.shutdown(Duration::from_secs(2));
}
