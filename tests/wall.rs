//! The whole app rendered by egui_kittest on wgpu (lavapipe): the 2×2 demo wall shows
//! video in every tile, and its chrome matches the reference snapshot.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use egui_kittest::{Harness, SnapshotOptions};
use vigil_app::{AppOptions, VigilApp};
use vigil_config::{CredentialStore, demo_site};

use common::{run_until, stddev};

/// The demo site on `layout`, with panels (or only the wall in kiosk mode) at `size`.
fn demo_app(
    layout: &str,
    kiosk: bool,
    size: egui::Vec2,
) -> (Harness<'static, VigilApp>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut site = demo_site(&vigil::assets::demo_dir());
    site.wall.layout = layout.to_owned();
    site.wall.assignment.clear();
    let credentials = CredentialStore::new(&dir.path().join("credentials.toml"));
    let options = common::app_options(dir.path(), kiosk);
    let mut harness = Harness::builder()
        .with_size(size)
        .wgpu()
        .build_eframe(move |cc| VigilApp::new(cc, site, credentials, options));
    // The toolbar names the operator: the same on every machine.
    harness
        .state_mut()
        .core_mut()
        .set_operator_name("operator".to_owned());
    (harness, dir)
}

fn demo_harness(layout: &str) -> (Harness<'static, VigilApp>, tempfile::TempDir) {
    demo_app(layout, false, egui::vec2(1024.0, 640.0))
}

fn kiosk_demo(layout: &str) -> (Harness<'static, VigilApp>, tempfile::TempDir) {
    demo_app(layout, true, egui::vec2(800.0, 450.0))
}

#[test]
fn demo_wall_2x2_shows_video_and_matches_snapshot() {
    let (mut harness, _dir) = demo_harness("2x2");
    assert!(
        run_until(&mut harness, Duration::from_secs(30), |app| app
            .core()
            .live_pictures()
            == 4),
        "not all four demo cameras became live: {:?}",
        ["lobby", "yard", "gate", "parking"].map(|id| (
            harness.state().core().camera_streams(id),
            harness.state().core().shown_size(id),
            harness.state().site().wall.assignment.clone()
        ))
    );
    // Paint callbacks need a frame or two after their textures first exist.
    harness.run_steps(3);
    let pictures = harness.state().picture_rects().to_vec();
    assert_eq!(pictures.len(), 4);
    let mut image = harness.render().expect("render");

    // Every picture has real content (video, not a flat fill)…
    for (i, rect) in pictures.iter().enumerate() {
        let sd = stddev(&image, *rect);
        assert!(sd > 10.0, "tile {i} shows no video (stddev {sd:.1})");
    }
    // …which changes from frame to frame, so it is masked before comparing the chrome
    // (toolbar, camera list, tile frames, overlays outside pictures, status bar).
    // The timeline panel shows the current time (ruler, position): masked too; its
    // own rendering is checked in tests/review.rs and tests/timeline.rs.
    let timeline = harness.state().timeline_rect().expect("timeline panel");
    for rect in pictures.iter().chain(std::iter::once(&timeline)) {
        for y in rect.min.y.floor() as u32..(rect.max.y.ceil() as u32).min(image.height()) {
            for x in rect.min.x.floor() as u32..(rect.max.x.ceil() as u32).min(image.width()) {
                image.put_pixel(x, y, image::Rgba([255, 0, 255, 255]));
            }
        }
    }
    let options = SnapshotOptions::new().threshold(2.0).max_failed_pixels(40);
    egui_kittest::image_snapshot_options(&image, "demo_wall_2x2", &options);
}

#[test]
fn layout_keys_switch_layouts_and_fill_tiles() {
    let (mut harness, _dir) = demo_harness("2x2");
    harness.run_steps(2);
    assert_eq!(harness.state().site().wall.assignment.len(), 4);
    harness.key_press(egui::Key::Num3);
    harness.run_steps(2);
    let site = harness.state().site();
    assert_eq!(site.wall.layout, "3x3");
    assert_eq!(site.wall.assignment.len(), 9);
    // All seven demo cameras are placed, the remaining tiles are empty.
    assert_eq!(site.wall.assignment.iter().flatten().count(), 7);
    harness.key_press(egui::Key::Num1);
    harness.run_steps(2);
    assert_eq!(
        harness.state().site().wall.assignment,
        [Some("lobby".into())]
    );
}

/// Centre of tile `i` in a kiosk 2×2 wall of 800×450.
fn tile_centre(i: usize) -> egui::Pos2 {
    egui::pos2(
        200.0 + 400.0 * (i % 2) as f32,
        112.5 + 225.0 * (i / 2) as f32,
    )
}

fn drag(harness: &mut Harness<'_, VigilApp>, from: egui::Pos2, to: egui::Pos2) {
    harness.hover_at(from);
    harness.step();
    harness.drag_at(from);
    harness.step();
    for k in 1..=5 {
        harness.hover_at(from + (to - from) * (k as f32 / 5.0));
        harness.step();
    }
    harness.drop_at(to);
    harness.step();
    harness.step();
}

#[test]
fn dragging_a_tile_onto_another_swaps_them() {
    let (mut harness, _dir) = kiosk_demo("2x2");
    harness.run_steps(2);
    let before = harness.state().site().wall.assignment.clone();
    drag(&mut harness, tile_centre(0), tile_centre(3));
    let after = &harness.state().site().wall.assignment;
    assert_eq!(after[0], before[3]);
    assert_eq!(after[3], before[0]);
    assert_eq!(after[1], before[1]);
}

#[test]
fn dragging_a_camera_from_the_list_puts_it_on_a_tile() {
    use egui_kittest::kittest::Queryable as _;
    let (mut harness, _dir) = demo_harness("2x2");
    // Wait for every picture, so picture_rects lists the four tiles in order.
    assert!(run_until(&mut harness, Duration::from_secs(30), |app| app
        .core()
        .live_pictures()
        == 4));
    harness.step();
    // "Entrance" is the demo camera that starts off the wall.
    assert!(
        !harness
            .state()
            .site()
            .wall
            .assignment
            .contains(&Some("entrance".into()))
    );
    let from = harness.get_by_label("Entrance").rect().center();
    let to = harness.state().picture_rects()[0].center();
    drag(&mut harness, from, to);
    assert_eq!(
        harness.state().site().wall.assignment[0],
        Some("entrance".into()),
        "dragged from {from:?} to {to:?}: {:?}",
        harness.state().site().wall.assignment
    );
}

#[test]
fn a_broken_site_file_is_shown_in_a_banner() {
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    let credentials = CredentialStore::new(&dir.path().join("credentials.toml"));
    let options = AppOptions {
        config_error: Some("/etc/vigil/site.toml:7:1: unknown field `trasport`".to_owned()),
        ..common::app_options(dir.path(), false)
    };
    let mut harness = Harness::builder()
        .with_size(egui::vec2(900.0, 500.0))
        .wgpu()
        .build_eframe(move |cc| {
            VigilApp::new(cc, vigil_config::Site::empty(), credentials, options)
        });
    harness.run_steps(2);
    harness.get_by_label_contains("site.toml:7:1: unknown field `trasport`");
    harness.get_by_label_contains("will not overwrite it");
}
