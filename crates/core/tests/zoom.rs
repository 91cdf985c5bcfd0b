//! Digital zoom in the core without a window: a camera with a main and a sub stream
//! (clip files played as if live) on a small tile shows the sub stream; zoomed in, the
//! tile asks for the main stream and switches to it without the picture going away;
//! a snapshot of the zoomed tile saves the full frame and the zoomed part; unzoomed,
//! the sub stream comes back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::clip;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use vigil_config::{CameraConfig, CredentialStore, Site, SubstreamConfig};
use vigil_core::{Command, Core, CoreOptions, TileContent, Viewport, WallView};

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
            "{what}: not after {timeout:?}; streams {:?}, status {:?}",
            core.camera_streams("cam"),
            core.status()
        );
        std::thread::sleep(Duration::from_millis(16));
    }
}

fn live_size(view: &WallView) -> Option<(u32, u32)> {
    match &view.tiles[0].content {
        TileContent::Live(live) => live.picture.as_ref().map(|p| (p.width, p.height)),
        _ => None,
    }
}

#[test]
fn a_zoomed_tile_switches_to_the_main_stream_and_snapshots_its_zoomed_part() {
    let dir = tempfile::tempdir().unwrap();
    let main = clip(dir.path(), "main", 640, 360);
    let sub = clip(dir.path(), "sub", 320, 180);
    let mut camera = CameraConfig::new("cam", "Gate", main.display().to_string());
    (camera.width, camera.height) = (Some(640), Some(360));
    camera.substreams.push(SubstreamConfig {
        name: "sub".into(),
        source: sub.display().to_string(),
        width: Some(320),
        height: Some(180),
        fps: None,
    });
    let mut site = Site::empty();
    site.cameras.push(camera);
    site.wall.layout = "4x4".into();
    site.wall.assignment = vec![Some("cam".into())];
    let snapshots = dir.path().join("snapshots");
    let mut core = Core::new(
        site,
        CredentialStore::new(&dir.path().join("credentials.toml")),
        CoreOptions {
            snapshot_dir: snapshots.clone(),
            site_path: None,
            storage: None,
            demo_history_hours: None,
            clock: vigil_time::real_clock(),
        },
        Arc::new(|| {}),
    );
    // 4×4 tiles of a 1000×600 wall are 248×148: the 320×180 sub stream covers them.
    core.set_viewport(Viewport {
        width_points: 1000.0,
        height_points: 600.0,
        pixels_per_point: 1.0,
    });
    step_until(&mut core, Duration::from_secs(30), "sub stream", |c, v| {
        c.camera_streams("cam") == (Some("sub".into()), None) && live_size(v) == Some((320, 180))
    });

    // Zoomed 2× the tile magnifies 496×296 picture pixels: more than the sub stream has.
    core.apply(Command::ZoomAt {
        tile: 0,
        factor: 2.0,
        at: [0.0, 0.0],
    });
    assert_eq!(core.view().tiles[0].zoom.window(), [0.0, 0.0, 0.5, 0.5]);
    step_until(
        &mut core,
        Duration::from_secs(30),
        "main stream when zoomed",
        |c, v| {
            assert!(
                live_size(v).is_some(),
                "the picture went away during the switch"
            );
            c.camera_streams("cam") == (Some("main".into()), None)
                && live_size(v) == Some((640, 360))
        },
    );

    // A snapshot of the zoomed tile: the full frame and its top-left quarter.
    core.apply(Command::Snapshot(0));
    step_until(
        &mut core,
        Duration::from_secs(20),
        "snapshot saved",
        |c, _| c.status().is_some_and(|s| s.contains("zoomed part")),
    );
    let files: Vec<PathBuf> = std::fs::read_dir(&snapshots)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
    let is_zoom = |p: &PathBuf| p.to_string_lossy().ends_with("-zoom.png");
    let zoom_path = files.iter().find(|p| is_zoom(p)).expect("a -zoom.png file");
    let full_path = files.iter().find(|p| !is_zoom(p)).expect("the full frame");
    assert_eq!(
        zoom_path.file_name().unwrap().to_string_lossy(),
        full_path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .replace(".png", "-zoom.png")
    );
    let full = image::open(full_path).unwrap().to_rgb8();
    let crop = image::open(zoom_path).unwrap().to_rgb8();
    assert_eq!(full.dimensions(), (640, 360), "the full frame, main stream");
    assert_eq!(crop.dimensions(), (320, 180), "the zoomed quarter");
    // The same frame: the crop is the full frame's top-left quarter, pixel for pixel.
    for (x, y, p) in crop.enumerate_pixels() {
        assert_eq!(p, full.get_pixel(x, y), "at {x},{y}");
    }

    // Unzoomed: back to the sub stream.
    core.apply(Command::ResetZoom(0));
    step_until(
        &mut core,
        Duration::from_secs(30),
        "sub stream again",
        |c, v| {
            assert!(live_size(v).is_some(), "the picture went away");
            c.camera_streams("cam") == (Some("sub".into()), None)
        },
    );
    core.shutdown(Duration::from_secs(5));
}
