//! A camera whose pictures are wider or taller than the GPU's texture limit (8208×64 and
//! 64×8208, beyond the 8192 wgpu grants by default): the tile says "picture too large"
//! and the app keeps running, live and in review; a snapshot of it is still written;
//! `vigil bench live` reports the error for that input and measures the others.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod playback_common;

use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::Duration;

use egui_kittest::Harness;
use vigil_app::VigilApp;
use vigil_config::{CameraConfig, CredentialStore, RecordingConfig, RecordingMode, Site};
use vigil_core::{Command, TileContent};
use vigil_playback::{PlayerState, SeekMode};
use vigil_time::WallNanos;

use common::run_until;

/// An H.264 clip of `width`×`height`, made with the ffmpeg command-line tool.
fn clip(dir: &Path, width: u32, height: u32) -> PathBuf {
    let path = dir.join(format!("{width}x{height}.mp4"));
    let status = Process::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size={width}x{height}:rate=10"))
        .args([
            "-t",
            "2",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "10",
            "-pix_fmt",
            "yuv420p",
        ])
        .arg(&path)
        .status()
        .expect("run ffmpeg (scripts/deps.sh installs it)");
    assert!(status.success(), "ffmpeg could not make {}", path.display());
    path
}

/// What the tile of `camera` says about its picture, if anything.
fn undrawable(app: &VigilApp, camera: &str) -> Option<String> {
    app.core()
        .view()
        .tiles
        .iter()
        .find_map(|t| match &t.content {
            TileContent::Live(live) if live.camera.id.as_str() == camera => live.undrawable.clone(),
            _ => None,
        })
}

#[test]
fn oversized_pictures_are_refused_on_their_tile_and_the_app_keeps_running() {
    let dir = tempfile::tempdir().unwrap();
    let wide = clip(dir.path(), 8208, 64);
    let tall = clip(dir.path(), 64, 8208);
    let normal = clip(dir.path(), 320, 240);
    let mut site = Site::empty();
    site.cameras = vec![
        CameraConfig::new("wide", "Wide", wide.display().to_string()),
        CameraConfig::new("tall", "Tall", tall.display().to_string()),
        CameraConfig::new("normal", "Normal", normal.display().to_string()),
    ];
    site.wall.layout = "2x2".into();
    site.wall.assignment = vec![
        Some("wide".into()),
        Some("tall".into()),
        Some("normal".into()),
    ];
    let options = common::app_options(dir.path(), true);
    let snapshots = options.snapshot_dir.clone();
    let credentials = CredentialStore::new(&dir.path().join("credentials.toml"));
    let mut harness = Harness::builder()
        .with_size(egui::vec2(800.0, 450.0))
        .wgpu()
        .build_eframe(move |cc| VigilApp::new(cc, site, credentials, options));

    assert!(
        run_until(&mut harness, Duration::from_secs(30), |app| {
            app.core().shown_size("wide") == Some((8208, 64))
                && app.core().shown_size("tall") == Some((64, 8208))
                && app.core().shown_size("normal") == Some((320, 240))
        }),
        "the three cameras never decoded: {:?}",
        ["wide", "tall", "normal"].map(|id| harness.state().core().shown_size(id))
    );
    // Upload and draw many frames: nothing may panic.
    for _ in 0..30 {
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    let _image = harness.render().expect("render");
    for (camera, size) in [("wide", "8208×64"), ("tall", "64×8208")] {
        let reason = undrawable(harness.state(), camera).expect("the tile says why");
        let prefix = format!("picture too large ({size}; this GPU draws up to ");
        let limit: u32 = reason
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(')'))
            .unwrap_or_else(|| panic!("reason {reason:?}"))
            .parse()
            .expect("the limit is a number");
        assert!((2048..8208).contains(&limit), "{reason}");
    }
    assert_eq!(undrawable(harness.state(), "normal"), None);
    assert_eq!(harness.state().core().live_pictures(), 1);

    // A snapshot does not need the GPU: the oversized picture is still saved.
    harness.state_mut().core_mut().apply(Command::Snapshot(0));
    assert!(
        run_until(&mut harness, Duration::from_secs(20), |app| {
            app.core().status().is_some_and(|s| s.contains("saved"))
        }),
        "no snapshot: {:?}",
        harness.state().core().status()
    );
    let png = std::fs::read_dir(&snapshots)
        .unwrap()
        .flatten()
        .find(|e| e.path().extension().is_some_and(|x| x == "png"))
        .expect("a png");
    let size = image::image_dimensions(png.path()).unwrap();
    assert_eq!(size, (8208, 64));
}

#[test]
fn bench_live_reports_an_oversized_input_and_measures_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let wide = clip(dir.path(), 8208, 64);
    let json = dir.path().join("live.json");
    let out = Process::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["bench", "live", "--seconds", "3", "--input"])
        .arg(&wide)
        .arg("--input")
        .arg(vigil::assets::demo_dir().join("lobby.mp4"))
        .arg("--json")
        .arg(&json)
        .output()
        .expect("run vigil bench live");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "bench failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("picture too large (8208×64; this GPU draws up to "),
        "{stdout}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let streams = report["streams"].as_array().expect("streams");
    let error = streams[0]["error"].as_str().expect("an error for input 1");
    assert!(error.starts_with("picture too large (8208×64;"), "{error}");
    assert_eq!(streams[0]["frames_uploaded"], 0);
    assert!(streams[1]["error"].is_null(), "{}", streams[1]);
    assert!(streams[1]["frames_uploaded"].as_u64().unwrap() >= 20);
}

#[test]
fn an_oversized_recording_says_so_in_review() {
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("recordings");
    let clip = playback_common::numbered_clip(48, 8208, 64, 12);
    let t0 = playback_common::T0;
    playback_common::write_archive(
        &storage,
        "wide",
        &clip,
        &[playback_common::SegmentPlan {
            first: 0,
            last: 48,
            start_ns: t0,
        }],
    );
    let mut camera = CameraConfig::new("wide", "Wide", clip.display().to_string());
    camera.recording = Some(RecordingConfig::new(RecordingMode::Off));
    let mut site = Site::empty();
    site.cameras = vec![camera];
    site.wall.layout = "1x1".into();
    site.wall.assignment = vec![Some("wide".into())];
    let options = vigil_app::AppOptions {
        storage: Some(storage),
        ..common::app_options(dir.path(), true)
    };
    let credentials = CredentialStore::new(&dir.path().join("credentials.toml"));
    let mut harness = Harness::builder()
        .with_size(egui::vec2(640.0, 360.0))
        .wgpu()
        .build_eframe(move |cc| VigilApp::new(cc, site, credentials, options));
    harness.run_steps(2);
    harness.state_mut().core_mut().apply(Command::Seek {
        time: WallNanos(t0 + 500_000_000),
        mode: SeekMode::Exact,
    });
    let player = |app: &VigilApp| {
        app.core()
            .view()
            .tiles
            .iter()
            .find_map(|t| match &t.content {
                TileContent::Review(review) => Some(review.player.clone()),
                _ => None,
            })
    };
    assert!(
        run_until(&mut harness, Duration::from_secs(30), |app| {
            matches!(player(app), Some(PlayerState::Error(why))
                if why.starts_with("picture too large (8208×64; this GPU draws up to "))
        }),
        "review tile: {:?}",
        player(harness.state())
    );
    // Keeps running and keeps saying so.
    for _ in 0..10 {
        harness.step();
    }
    assert!(matches!(
        player(harness.state()),
        Some(PlayerState::Error(_))
    ));
}
