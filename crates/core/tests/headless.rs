//! The core driven with no window and no GPU, as a headless recorder or a test would:
//! a camera with a main stream and a sub-stream (clip files played as if live, through
//! the real FFmpeg ingest and decoders) recording into a real storage folder. It walks
//! the wall through a maximise (main stream), a layout change, a review seek that must
//! show the exact frame, back to live, and the camera leaving the wall (its decoder
//! stops). Everything is checked on the view model.
//!
//! One test in this binary: it counts the process's decoder threads.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::{clip, threads_named};

use std::sync::Arc;
use std::time::{Duration, Instant};

use vigil_config::{
    CameraConfig, CredentialStore, RecordingConfig, RecordingMode, Site, SubstreamConfig,
};
use vigil_core::{Command, Core, CoreOptions, TileContent, Viewport, WallView};
use vigil_playback::{PlayerState, SeekMode};
use vigil_record::RecorderState;
use vigil_time::{NANOS_PER_MILLI, WallNanos};

use common::FPS;

/// Steps the core (as eframe's `logic` would, about 60 times a second) until `done`
/// says yes, or fails with `what` after `timeout`.
fn step_until(
    core: &mut Core,
    timeout: Duration,
    what: &str,
    mut done: impl FnMut(&Core, &WallView) -> bool,
) {
    let deadline = Instant::now() + timeout;
    loop {
        core.step();
        let view = core.view();
        if done(core, &view) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: not after {timeout:?}; tile 0 is {:?}",
            view.tiles.first().map(|t| &t.content)
        );
        std::thread::sleep(Duration::from_millis(16));
    }
}

/// The live picture tile 0 shows: its size.
fn live_size(view: &WallView) -> Option<(u32, u32)> {
    match &view.tiles[0].content {
        TileContent::Live(live) => live.picture.as_ref().map(|p| (p.width, p.height)),
        _ => None,
    }
}

#[test]
fn the_core_runs_a_wall_without_a_window() {
    let dir = tempfile::tempdir().unwrap();
    let main = clip(dir.path(), "main", 640, 360);
    let sub = clip(dir.path(), "sub", 320, 180);
    let mut camera = CameraConfig::new("cam", "Gate", main.display().to_string());
    camera.substreams.push(SubstreamConfig {
        name: "sub".into(),
        source: sub.display().to_string(),
        width: None,
        height: None,
        fps: None,
    });
    camera.recording = Some(RecordingConfig::new(RecordingMode::Continuous));
    let mut site = Site::empty();
    site.cameras.push(camera);
    site.wall.layout = "4x4".into();
    site.wall.assignment = vec![Some("cam".into())];

    let mut core = Core::new(
        site,
        CredentialStore::new(&dir.path().join("credentials.toml")),
        CoreOptions {
            snapshot_dir: dir.path().join("snapshots"),
            site_path: None,
            storage: Some(dir.path().join("recordings")),
            demo_history_hours: None,
            clock: vigil_time::real_clock(),
        },
        Arc::new(|| {}),
    );
    // A 1000×600 wall: 4×4 tiles are 250×150, which the 320×180 sub-stream covers.
    core.set_viewport(Viewport {
        width_points: 1000.0,
        height_points: 600.0,
        pixels_per_point: 1.0,
    });
    step_until(
        &mut core,
        Duration::from_secs(30),
        "sub-stream on a small tile",
        |c, v| {
            c.camera_streams("cam").0.as_deref() == Some("sub") && live_size(v) == Some((320, 180))
        },
    );
    let view = core.view();
    assert_eq!(view.layout.name, "4x4");
    assert_eq!(view.tiles.len(), 16);
    let TileContent::Live(live) = &view.tiles[0].content else {
        panic!("tile 0 is not live: {:?}", view.tiles[0].content)
    };
    assert_eq!(live.camera.name, "Gate");
    assert!(live.showing_live(), "{:?}", live.state);
    // Hardware decoding is allowed here; without a device the HUD says why it is not used.
    core.apply(Command::ShowStats(true));
    let view = core.view();
    let TileContent::Live(live) = &view.tiles[0].content else {
        panic!("tile 0 is not live: {:?}", view.tiles[0].content)
    };
    let hud = live.hud.as_ref().expect("a live tile has HUD figures");
    let devices = vigil_media::hwaccel::device_outcomes();
    if !devices.is_empty() && devices.iter().all(Result::is_err) {
        assert!(!hud.hardware);
        assert!(
            hud.decoder_label(200)
                .starts_with("SW (hardware device unavailable: "),
            "{}",
            hud.decoder_label(200)
        );
    }
    core.apply(Command::ShowStats(false));
    assert!(matches!(view.tiles[1].content, TileContent::Empty));

    // Maximised: the main stream, shown without the picture ever going away.
    core.apply(Command::Maximise(Some(0)));
    step_until(
        &mut core,
        Duration::from_secs(30),
        "main stream when maximised",
        |c, v| {
            assert!(
                live_size(v).is_some(),
                "the picture went away during the switch"
            );
            c.camera_streams("cam") == (Some("main".into()), None)
                && live_size(v) == Some((640, 360))
        },
    );
    assert_eq!(core.view().maximised, Some(0));
    core.apply(Command::Maximise(None));
    step_until(
        &mut core,
        Duration::from_secs(30),
        "sub-stream again",
        |c, _| c.camera_streams("cam").0.as_deref() == Some("sub"),
    );

    // A layout change carries the camera over; its 500×300 tile needs the main stream.
    core.apply(Command::SetLayout("2x2".into()));
    let view = core.view();
    assert_eq!(view.layout.name, "2x2");
    assert_eq!(view.tiles.len(), 4);
    assert_eq!(core.site().wall.assignment[0], Some("cam".into()));
    step_until(
        &mut core,
        Duration::from_secs(30),
        "main stream on a 2×2 tile",
        |c, _| c.camera_streams("cam").0.as_deref() == Some("main"),
    );

    // The camera records; once 3 s more are durable, review 1.5 s back.
    let mut first_durable = None;
    step_until(
        &mut core,
        Duration::from_secs(40),
        "3 s recorded",
        |c, v| {
            let recording = v.tiles[0]
                .content
                .camera()
                .and_then(|cam| cam.recording.clone());
            let Some(durable) = c.recorder_status("cam").and_then(|s| s.durable_end_ns) else {
                return false;
            };
            let first = *first_durable.get_or_insert(durable);
            recording == Some(RecorderState::Recording) && durable - first > 3_000 * NANOS_PER_MILLI
        },
    );
    let durable = core
        .recorder_status("cam")
        .and_then(|s| s.durable_end_ns)
        .unwrap();
    let target = WallNanos(durable - 1_500 * NANOS_PER_MILLI);
    core.apply(Command::Seek {
        time: target,
        mode: SeekMode::Exact,
    });
    assert!(core.is_reviewing());
    step_until(
        &mut core,
        Duration::from_secs(30),
        "the exact frame",
        |_, v| {
            matches!(&v.tiles[0].content, TileContent::Review(r)
            if r.picture.is_some() && r.shown_at.is_some() && r.player == PlayerState::Showing)
        },
    );
    let view = core.view();
    let TileContent::Review(review) = &view.tiles[0].content else {
        unreachable!()
    };
    let shown = review.shown_at.unwrap();
    let frame_nanos = 1_000 * NANOS_PER_MILLI / i64::from(FPS);
    // The exact frame: the last one at or before the target (a keyframe preview would
    // be up to a second earlier).
    assert!(
        shown <= target && target.nanos_since(shown) < frame_nanos,
        "asked for {target}, shown {shown}"
    );
    assert!(review.paused);
    assert!(review.exact);
    assert_eq!(
        review.picture.as_ref().map(|p| (p.width, p.height)),
        Some((640, 360))
    );

    // From live again, a drag's first seek starts review with a keyframe preview: the
    // seek's kind is kept (it used to become an exact seek).
    core.apply(Command::Live);
    core.apply(Command::Seek {
        time: target,
        mode: SeekMode::Preview,
    });
    step_until(
        &mut core,
        Duration::from_secs(30),
        "a keyframe preview",
        |_, v| {
            matches!(&v.tiles[0].content, TileContent::Review(r)
            if r.picture.is_some() && r.shown_at.is_some() && r.player == PlayerState::Showing)
        },
    );
    let view = core.view();
    let TileContent::Review(preview) = &view.tiles[0].content else {
        unreachable!()
    };
    assert!(!preview.exact, "a preview seek showed the exact frame");
    assert!(preview.shown_at.is_some_and(|t| t <= target));

    // Back to live.
    core.apply(Command::Live);
    assert!(!core.is_reviewing());
    step_until(
        &mut core,
        Duration::from_secs(30),
        "live again",
        |_, v| matches!(&v.tiles[0].content, TileContent::Live(l) if l.showing_live() && l.picture.is_some()),
    );
    assert!(threads_named("vigil-dec-cam") >= 1, "live tiles decode");

    // Off the wall: its decoder stops (the recording keeps the connection).
    core.apply(Command::Clear(0));
    step_until(
        &mut core,
        Duration::from_secs(5),
        "decoding stopped",
        |c, v| {
            matches!(v.tiles[0].content, TileContent::Empty)
                && c.camera_streams("cam") == (None, None)
                && threads_named("vigil-dec-cam") == 0
        },
    );
    assert_eq!(
        core.recorder_status("cam").map(|s| s.state),
        Some(RecorderState::Recording),
        "recording goes on off the wall"
    );
    core.shutdown(Duration::from_secs(5));
}
