//! Adaptive streaming against a real RTSP server: small tiles use the sub-stream, a
//! maximised tile switches to the main stream without ever losing its picture, hidden
//! streams stop decoding, and a cached keyframe gives a picture at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::{RtspServer, no_notify, wait_for, wait_live};
use egui_kittest::Harness;
use vigil_app::VigilApp;
use vigil_config::redact::parse_source;
use vigil_config::{CameraConfig, CredentialStore, Site, SubstreamConfig};
use vigil_core::Command;
use vigil_media::{Engine, StreamSpec, Timeouts};

fn camera(server: &RtspServer) -> CameraConfig {
    CameraConfig {
        loop_file: false,
        substreams: vec![SubstreamConfig {
            name: "sub".into(),
            source: server.url("sub"),
            width: None,
            height: None,
            fps: None,
        }],
        ..CameraConfig::new("cam", "Camera", server.url("main"))
    }
}

#[test]
fn small_tile_uses_sub_stream_and_maximising_switches_seamlessly() {
    let server = RtspServer::start(
        0,
        &[
            "--mount",
            "main:h264:640x360:15",
            "--mount",
            "sub:h264:320x180:15",
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let mut site = Site::empty();
    site.cameras.push(camera(&server));
    site.wall.layout = "4x4".into();
    site.wall.assignment = vec![Some("cam".into())];
    let options = common::app_options(dir.path(), true);
    let credentials = CredentialStore::new(&dir.path().join("credentials.toml"));
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1000.0, 600.0))
        .wgpu()
        .build_eframe(move |cc| VigilApp::new(cc, site, credentials, options));

    // 4×4 tiles are 250×150 points: once the sub-stream's size is known, it covers them.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        harness.step();
        let app = harness.state();
        if app.core().camera_streams("cam").0.as_deref() == Some("sub")
            && app.core().shown_size("cam") == Some((320, 180))
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never showed the sub-stream: {:?}",
            app.core().camera_streams("cam")
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    harness
        .state_mut()
        .core_mut()
        .apply(Command::Maximise(Some(0)));
    let mut saw_pending = false;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        harness.step();
        let app = harness.state();
        let (active, pending) = app.core().camera_streams("cam");
        assert!(
            app.core().shown_size("cam").is_some(),
            "the tile lost its picture during the switch"
        );
        saw_pending |= active.as_deref() == Some("sub") && pending.as_deref() == Some("main");
        if active.as_deref() == Some("main") && app.core().shown_size("cam") == Some((640, 360)) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never switched to main: {active:?} {pending:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        saw_pending,
        "the sub-stream's picture stayed while the main stream started"
    );
    // The learnt sizes were cached in the site (saved when the site has a file).
    let cam = &harness.state().site().cameras[0];
    assert_eq!((cam.width, cam.height), (Some(640), Some(360)));
    assert_eq!(
        (cam.substreams[0].width, cam.substreams[0].height),
        (Some(320), Some(180))
    );
}

#[test]
fn hidden_streams_stop_decoding_and_cached_keyframe_shows_at_once() {
    let server = RtspServer::start(0, &["--mount", "cam:h264:320x240:15"]);
    let mut engine = Engine::new(no_notify());
    engine.set_grace(Duration::from_secs(2));
    let spec = StreamSpec {
        camera_id: "hidden".into(),
        camera_name: "Hidden".into(),
        stream: "main".into(),
        source: parse_source(&server.url("cam")).unwrap(),
        transport: vigil_media::Transport::Tcp,
        credentials: None,
        loop_file: false,
        timeouts: Timeouts::default(),
    };
    let s = engine.ensure(&spec);
    assert!(wait_live(&s, 10, Duration::from_secs(20)));
    // The engine's own threads, counted by their handles: thread names are no measure,
    // since another test of this binary may run streams at the same time and threads a
    // decoder's driver starts inherit the decoder's name.
    assert_eq!(engine.thread_count(), 2, "one ingest and one decoder");

    // Off the wall: the decoder thread ends at once, the connection stays for the grace period.
    let decoded = s.stats.frames_decoded.load(Ordering::Relaxed);
    engine.retain(&Default::default(), &Default::default());
    wait_for(Duration::from_secs(2), || {
        (engine.thread_count() == 1).then_some(())
    })
    .expect("decoder thread exited");
    assert!(engine.stream(&spec.key()).is_none());
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        s.stats.frames_decoded.load(Ordering::Relaxed) <= decoded + 1,
        "still decoding"
    );
    let ingest = engine
        .ingest(&spec.key())
        .expect("connection kept during grace")
        .clone();
    assert!(ingest.has_cached_keyframe());

    // Back on the wall within the grace period: a picture from the cached keyframe at once.
    let started = Instant::now();
    let again = engine.ensure(&spec);
    let frame = wait_for(Duration::from_secs(2), || again.slot.take_latest()).expect("a frame");
    let ttff = started.elapsed();
    assert!(
        ttff <= Duration::from_millis(100),
        "first frame after {ttff:?}"
    );
    assert!(frame.width == 320);

    // Off again, and left off: the connection closes after the grace period.
    engine.retain(&Default::default(), &Default::default());
    let closed = wait_for(Duration::from_secs(6), || {
        engine.retain(&Default::default(), &Default::default());
        (engine.thread_count() == 0).then_some(())
    });
    assert!(
        closed.is_some(),
        "connection still open after the grace period"
    );
    assert!(engine.ingest(&spec.key()).is_none());
}
