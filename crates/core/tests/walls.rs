//! Several walls behind one engine, without a window: the main wall and an extra wall
//! window show the same camera; it is decoded once, from the stream the larger tile
//! needs, and its frames reach both walls' tiles. Commands aimed at the window's wall
//! leave the main wall alone.
//!
//! One test in this binary: it counts the process's decoder threads.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::{clip, threads_named};

use std::sync::Arc;
use std::time::{Duration, Instant};

use vigil_config::{CameraConfig, CredentialStore, Site, SubstreamConfig, WallWindowConfig};
use vigil_core::{Command, Core, CoreOptions, TileContent, Viewport, WallId, WallView};
use vigil_frame::VideoKey;

/// Steps the core until `done`, or fails with `what` after 20 s.
fn step_until(core: &mut Core, what: &str, mut done: impl FnMut(&mut Core) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        core.step();
        if done(core) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: not after 20 s");
        std::thread::sleep(Duration::from_millis(16));
    }
}

/// The live picture of a wall's tile: its texture key and size.
fn live_picture(view: &WallView, tile: usize) -> Option<(VideoKey, u32, u32)> {
    match &view.tiles.get(tile)?.content {
        TileContent::Live(live) => live
            .picture
            .as_ref()
            .map(|p| (p.key.clone(), p.width, p.height)),
        _ => None,
    }
}

const WALL_VIEWPORT: Viewport = Viewport {
    width_points: 1000.0,
    height_points: 600.0,
    pixels_per_point: 1.0,
};

#[test]
fn a_camera_on_two_walls_is_decoded_once_and_shown_on_both() {
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
    let mut site = Site::empty();
    site.cameras.push(camera);
    site.wall.layout = "4x4".into();
    site.wall.assignment = vec![Some("cam".into())];
    let mut window = WallWindowConfig::new("Monitor 2", "2x2");
    window.assignment = vec![Some("cam".into()), None, None, None];
    site.wall_windows.push(window);

    let mut core = Core::new(
        site,
        CredentialStore::new(&dir.path().join("credentials.toml")),
        CoreOptions {
            snapshot_dir: dir.path().join("snapshots"),
            site_path: None,
            storage: None,
            demo_history_hours: None,
            clock: vigil_time::real_clock(),
        },
        Arc::new(|| {}),
    );
    let second = WallId::Window("Monitor 2".into());
    assert_eq!(core.wall_windows(), std::slice::from_ref(&second));

    // Only the main wall laid out: its 250×150 tile takes the 320×180 sub-stream.
    core.set_viewport(WALL_VIEWPORT);
    // (A stream chosen before the sizes were known may still be stopping: wait.)
    step_until(&mut core, "the main wall shows the sub-stream", |core| {
        live_picture(&core.view(), 0).is_some_and(|(_, w, _)| w == 320)
            && threads_named("vigil-dec-cam") == 1
    });

    // The window's wall laid out too: its 500×300 tile needs the main stream, which
    // then feeds both walls: still one decoder, one picture, drawn in both.
    core.set_wall_viewport(&second, WALL_VIEWPORT);
    step_until(
        &mut core,
        "both walls show the main stream from one decoder",
        |core| {
            let main_wall = live_picture(&core.view(), 0);
            let window_wall = live_picture(&core.wall_view(&second).expect("window"), 0);
            main_wall.as_ref().is_some_and(|(_, w, _)| *w == 640)
                && main_wall == window_wall
                && threads_named("vigil-dec-cam") == 1
        },
    );
    assert_eq!(
        core.camera_streams("cam").0.as_deref(),
        Some("main"),
        "the larger tile decides the stream"
    );
    // The picture is handed to the renderer once per frame, under one key, for both.
    let mut uploaded = Vec::new();
    step_until(&mut core, "a fresh frame", |core| {
        core.upload_fresh(|key, _| {
            uploaded.push(key.clone());
            Ok(())
        });
        !uploaded.is_empty()
    });
    assert!(
        uploaded.iter().all(|k| *k == VideoKey::Live("cam".into())),
        "{uploaded:?}"
    );

    // Tile commands aimed at the window change the window's wall only.
    core.apply(Command::OnWall(
        second.clone(),
        Box::new(Command::SetLayout("1x1".into())),
    ));
    core.apply(Command::OnWall(
        second.clone(),
        Box::new(Command::ToggleMaximise(0)),
    ));
    let window_view = core.wall_view(&second).expect("window");
    assert_eq!(window_view.layout.name, "1x1");
    assert_eq!(window_view.maximised, Some(0));
    let main_view = core.view();
    assert_eq!(main_view.layout.name, "4x4");
    assert_eq!(main_view.maximised, None);
    assert_eq!(core.site().wall_windows[0].layout, "1x1");

    // Off the window's wall: the main wall's small tile takes the sub-stream again,
    // still with one decoder.
    core.apply(Command::OnWall(second.clone(), Box::new(Command::Clear(0))));
    step_until(&mut core, "back to the sub-stream alone", |core| {
        live_picture(&core.view(), 0).is_some_and(|(_, w, _)| w == 320)
            && threads_named("vigil-dec-cam") == 1
    });
    assert!(matches!(
        core.wall_view(&second).expect("window").tiles[0].content,
        TileContent::Empty
    ));

    // Opening and closing windows goes through the site.
    core.apply(Command::OpenWallWindow);
    let third = WallId::Window("Wall 2".into());
    assert_eq!(core.wall_windows(), [second.clone(), third.clone()]);
    assert_eq!(core.site().wall_windows[1].layout, "2x2");
    core.apply(Command::CloseWallWindow("Monitor 2".into()));
    assert_eq!(core.wall_windows(), [third]);
    assert!(core.wall_view(&second).is_none());
    assert!(core.site().wall_window("Monitor 2").is_none());
    core.shutdown(Duration::from_secs(5));
}
