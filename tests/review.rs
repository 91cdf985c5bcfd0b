//! Reviewing recordings in the app (issue 4): the timeline panel under the wall reads
//! the index of a seeded archive, a click seeks every tile of the layout to the
//! recording, frame steps move by one frame, instant replay plays one tile while the
//! others stay live, and "Live" returns. Rendered with wgpu (lavapipe) and checked on
//! real pixels.

mod common;

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use vigil_app::timeline::{TimeView, TimelineLayout, WallNanos};
use vigil_app::{AppOptions, VigilApp};
use vigil_config::{CredentialStore, demo_site};
use vigil_core::Command;
use vigil_playback::SeekMode;

use common::{run_until, stddev};

const SECOND: i64 = 1_000_000_000;

struct Fixture {
    harness: Harness<'static, VigilApp>,
    _dir: tempfile::TempDir,
}

fn app_with_history(layout: &str) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = dir.path().join("recordings");
    let mut site = demo_site(&vigil::assets::demo_dir());
    site.wall.layout = layout.to_owned();
    site.wall.assignment.clear();
    // History is seeded before the app starts so the test does not race the recorders.
    vigil_record::seed::ensure_demo_history(&storage, &site, 0.5).expect("seed");
    let credentials = CredentialStore::new(&dir.path().join("credentials.toml"));
    let options = AppOptions {
        storage: Some(storage),
        ..common::app_options(dir.path(), false)
    };
    let harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .wgpu()
        .build_eframe(move |cc| VigilApp::new(cc, site, credentials, options));
    Fixture { harness, _dir: dir }
}

/// Where the timeline was drawn last frame, and the stretch of time it shows.
fn timeline_geometry(harness: &Harness<'_, VigilApp>) -> (TimelineLayout, TimeView) {
    let state = &harness.state().timeline().state;
    (*state.layout().expect("timeline drawn"), state.view)
}

#[test]
fn timeline_shows_the_seeded_history_of_each_camera_on_the_layout() {
    let Fixture { mut harness, _dir } = app_with_history("2x2");
    assert!(
        run_until(&mut harness, Duration::from_secs(20), |app| {
            let tracks = app.timeline().tracks();
            tracks.len() == 4 && tracks.iter().all(|t| !t.recorded.is_empty())
        }),
        "tracks: {:?}",
        harness.state().timeline().tracks()
    );
    let now = WallNanos::now();
    for track in harness.state().timeline().tracks() {
        let covered: i64 = track
            .recorded
            .iter()
            .map(|r| {
                r.end.nanos().min(now.nanos()) - r.start.nanos().max(now.nanos() - 1800 * SECOND)
            })
            .filter(|d| *d > 0)
            .sum();
        // Half an hour seeded (minus the seeded gaps): most of it is there.
        assert!(
            covered > 15 * 60 * SECOND,
            "{}: only {} s recorded in the last 30 min",
            track.name,
            covered / SECOND
        );
    }
    // The recorded ranges are painted: the timeline rows contain the recorded colour.
    harness.run_steps(2);
    let image = harness.render().expect("render");
    let rect = harness.state().timeline_rect().expect("timeline drawn");
    let mut coloured = 0;
    for y in rect.min.y as u32..rect.max.y as u32 {
        for x in rect.min.x as u32..rect.max.x as u32 {
            let p = image.get_pixel(x, y).0;
            if i32::from(p[1]) - i32::from(p[0]) > 40 || i32::from(p[2]) - i32::from(p[0]) > 40 {
                coloured += 1;
            }
        }
    }
    assert!(
        coloured > 2000,
        "recorded ranges not painted ({coloured} px)"
    );
}

#[test]
fn seeking_steps_and_live_on_the_wall() {
    let Fixture { mut harness, _dir } = app_with_history("2x2");
    assert!(
        run_until(&mut harness, Duration::from_secs(30), |app| app
            .core()
            .live_pictures()
            == 4),
        "demo cameras not live"
    );
    // Ten minutes ago: inside the seeded half hour.
    let target = WallNanos::now().saturating_add_nanos(-600 * SECOND);
    harness.state_mut().core_mut().apply(Command::Seek {
        time: target,
        mode: SeekMode::Exact,
    });
    let ids: Vec<String> = harness
        .state()
        .site()
        .wall
        .assignment
        .iter()
        .flatten()
        .map(ToString::to_string)
        .collect();
    assert!(
        run_until(&mut harness, Duration::from_secs(20), |app| {
            ids.iter().all(|id| app.core().review_shown(id).is_some())
        }),
        "not every tile showed the recording: {:?}",
        ids.iter()
            .map(|id| harness.state().core().review_shown(id))
            .collect::<Vec<_>>()
    );
    assert!(harness.state().core().is_reviewing());
    for id in &ids {
        let shown = harness.state().core().review_shown(id).expect("shown");
        // The exact frame: at or just before the target, within one frame (25 fps).
        let d = target.nanos_since(shown);
        assert!(
            (0..=SECOND / 20).contains(&d),
            "{id}: shows {shown:?}, {d} ns before the target"
        );
    }
    harness.run_steps(3);
    let image = harness.render().expect("render");
    for (i, rect) in harness.state().picture_rects().iter().enumerate() {
        let sd = stddev(&image, *rect);
        assert!(
            sd > 10.0,
            "tile {i} shows no recorded video (stddev {sd:.1})"
        );
    }

    // One frame forward on the first camera moves its picture by one frame.
    let leader = ids[0].clone();
    let before = harness.state().core().review_shown(&leader).expect("shown");
    harness.state_mut().core_mut().apply(Command::Step(1));
    assert!(
        run_until(&mut harness, Duration::from_secs(10), |app| {
            app.core().review_shown(&leader).is_some_and(|t| t > before)
        }),
        "step did not move"
    );
    let after = harness.state().core().review_shown(&leader).expect("shown");
    let d = after.nanos_since(before);
    assert!(
        d > 0 && d <= SECOND / 10,
        "one step moved {d} ns, not one frame"
    );
    // And back again.
    harness.state_mut().core_mut().apply(Command::Step(-1));
    assert!(
        run_until(&mut harness, Duration::from_secs(10), |app| {
            app.core().review_shown(&leader) == Some(before)
        }),
        "step back did not return to the frame: {:?} vs {before:?}",
        harness.state().core().review_shown(&leader)
    );

    // Live again: every tile is live, nothing plays back.
    harness.state_mut().core_mut().apply(Command::Live);
    assert!(!harness.state().core().is_reviewing());
    assert!(
        run_until(&mut harness, Duration::from_secs(20), |app| app
            .core()
            .live_pictures()
            == 4),
        "tiles did not return to live"
    );
}

#[test]
fn instant_replay_plays_one_tile_and_leaves_the_others_live() {
    let Fixture { mut harness, _dir } = app_with_history("2x2");
    assert!(
        run_until(&mut harness, Duration::from_secs(30), |app| app
            .core()
            .live_pictures()
            == 4),
        "demo cameras not live"
    );
    let ids: Vec<String> = harness
        .state()
        .site()
        .wall
        .assignment
        .iter()
        .flatten()
        .map(ToString::to_string)
        .collect();
    let started = WallNanos::now();
    harness.state_mut().core_mut().apply(Command::Replay {
        tile: Some(1),
        seconds: 30,
    });
    let replayed = ids[1].clone();
    assert!(
        run_until(&mut harness, Duration::from_secs(20), |app| {
            app.core().review_shown(&replayed).is_some()
        }),
        "the replayed tile shows nothing"
    );
    // It plays: the picture moves forward, about 30 s behind the wall clock.
    let first = harness
        .state()
        .core()
        .review_shown(&replayed)
        .expect("shown");
    let behind = started.nanos_since(first);
    assert!(
        (25 * SECOND..=35 * SECOND).contains(&behind),
        "replay starts {} ms back",
        behind / 1_000_000
    );
    assert!(
        run_until(&mut harness, Duration::from_secs(10), |app| {
            app.core()
                .review_shown(&replayed)
                .is_some_and(|t| t.nanos_since(first) > SECOND / 2)
        }),
        "the replay does not play"
    );
    // The other three tiles stayed live.
    for id in ids.iter().filter(|id| **id != replayed) {
        assert!(
            harness.state().core().review_shown(id).is_none(),
            "{id} left live"
        );
    }
    assert_eq!(harness.state().core().live_pictures(), 3);

    // A seek on the timeline during a replay moves the whole layout there.
    let target = WallNanos::now().saturating_add_nanos(-600 * SECOND);
    harness.state_mut().core_mut().apply(Command::Seek {
        time: target,
        mode: SeekMode::Exact,
    });
    assert!(
        run_until(&mut harness, Duration::from_secs(20), |app| {
            ids.iter().all(|id| {
                app.core()
                    .review_shown(id)
                    .is_some_and(|t| (0..=SECOND / 20).contains(&target.nanos_since(t)))
            })
        }),
        "not every tile went to the timeline's time: {:?}",
        ids.iter()
            .map(|id| harness.state().core().review_shown(id))
            .collect::<Vec<_>>()
    );
}

#[test]
fn hovering_a_recorded_range_shows_a_thumbnail_of_that_moment() {
    let Fixture { mut harness, _dir } = app_with_history("2x2");
    assert!(
        run_until(&mut harness, Duration::from_secs(20), |app| {
            app.timeline()
                .tracks()
                .first()
                .is_some_and(|t| !t.recorded.is_empty())
        }),
        "tracks never loaded"
    );
    harness.run_steps(2);
    let (layout, view) = timeline_geometry(&harness);
    // Ten minutes ago, on the first camera's row.
    let target = WallNanos::now().saturating_add_nanos(-600 * SECOND);
    let x = layout.time_rect.left() + view.x_from_time(target) as f32;
    let y = layout.row_rect(0).center().y;
    harness.hover_at(egui::pos2(x, y));
    let first = harness.state().site().wall.assignment[0]
        .as_ref()
        .expect("a camera in tile 0")
        .to_string();
    assert!(
        run_until(&mut harness, Duration::from_secs(15), |app| {
            app.timeline()
                .thumbnail()
                .is_some_and(|(camera, _, _)| camera == first)
        }),
        "no thumbnail for {first}"
    );
    let (_, time, [w, h]) = harness.state().timeline().thumbnail().expect("thumbnail");
    // The keyframe at or before the pointer's time (GOPs are at most a few seconds).
    let d = target.nanos_since(time);
    assert!(
        (0..=10 * SECOND).contains(&d),
        "thumbnail {d} ns from the pointer"
    );
    assert!(w > 0 && w <= 240 && h > 0, "thumbnail size {w}x{h}");
}

#[test]
fn bookmarks_are_added_listed_found_and_shown_on_the_timeline() {
    use vigil_core::timeline_data::{Request, Response, Row, TimelineData};
    use vigil_timeline::{MarkerKind, TimeRange};

    let dir = tempfile::tempdir().expect("tempdir");
    let storage = dir.path().join("recordings");
    let site = demo_site(&vigil::assets::demo_dir());
    vigil_record::seed::ensure_demo_history(&storage, &site, 0.5).expect("seed");
    let data = TimelineData::start(
        &storage,
        std::sync::Arc::new(|| {}),
        vigil_time::real_clock(),
    )
    .expect("workers");
    let ask = |request: Request| -> Response {
        assert!(data.send(request));
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(response) = data.poll() {
                return response;
            }
            assert!(Instant::now() < deadline, "no answer");
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    let now = WallNanos::now();
    let at = now.saturating_add_nanos(-300 * SECOND);
    let range = TimeRange::new(at, at.saturating_add_nanos(10 * SECOND));
    match ask(Request::AddBookmark {
        cameras: vec!["lobby".into()],
        range,
        note: "van at the gate".into(),
    }) {
        Response::Changed(text) => assert!(text.contains("Bookmark added"), "{text}"),
        other => panic!("{other:?}"),
    }
    // Listed, newest first, with its note.
    let Response::Bookmarks(rows) = ask(Request::Bookmarks {
        cameras: vec!["lobby".into()],
    }) else {
        panic!("no bookmark list")
    };
    let ours = rows
        .iter()
        .find(|b| b.note == "van at the gate")
        .expect("listed");
    assert_eq!(ours.range, range);
    // Shown on the lobby's track as a bookmark marker.
    let Response::Tracks { tracks, .. } = ask(Request::Tracks {
        cameras: vec![Row {
            camera: "lobby".into(),
            name: "Lobby".into(),
        }],
        range: TimeRange::new(now.saturating_add_nanos(-3600 * SECOND), now),
        merge_nanos: 2 * SECOND,
    }) else {
        panic!("no tracks")
    };
    assert!(
        tracks[0]
            .markers
            .iter()
            .any(|m| m.kind == MarkerKind::Bookmark
                && m.time == at
                && m.label == "van at the gate"),
        "markers: {:?}",
        tracks[0].markers
    );
    // "Next event" from a minute before finds it (or an earlier seeded event/bookmark
    // after that minute); "previous" from after it never returns a later time.
    let from = at.saturating_add_nanos(-60 * SECOND);
    let Response::Marker {
        time: Some(next), ..
    } = ask(Request::FindMarker {
        cameras: vec!["lobby".into()],
        from,
        forward: true,
    })
    else {
        panic!("no next marker")
    };
    assert!(next > from && next <= at, "next {next:?}");
    let Response::Marker {
        time: Some(prev), ..
    } = ask(Request::FindMarker {
        cameras: vec!["lobby".into()],
        from: at.saturating_add_nanos(SECOND),
        forward: false,
    })
    else {
        panic!("no previous marker")
    };
    assert!(prev >= next && prev <= at, "prev {prev:?}");
    // Removed: gone from the list.
    match ask(Request::RemoveBookmark { id: ours.id }) {
        Response::Changed(text) => assert!(text.contains("removed"), "{text}"),
        other => panic!("{other:?}"),
    }
    let Response::Bookmarks(rows) = ask(Request::Bookmarks {
        cameras: vec!["lobby".into()],
    }) else {
        panic!("no bookmark list")
    };
    assert!(rows.iter().all(|b| b.id != ours.id));
}

#[test]
fn a_storage_folder_another_writer_holds_turns_recording_off_visibly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = dir.path().join("recordings");
    // Another writer (here: this test) records into the folder.
    let held = vigil_record::lock::StorageLock::acquire(&storage).expect("lock");
    let mut site = demo_site(&vigil::assets::demo_dir());
    site.wall.layout = "2x2".to_owned();
    site.wall.assignment.clear();
    let credentials = CredentialStore::new(&dir.path().join("credentials.toml"));
    let options = AppOptions {
        storage: Some(storage.clone()),
        ..common::app_options(dir.path(), false)
    };
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .wgpu()
        .build_eframe(move |cc| VigilApp::new(cc, site, credentials, options));
    assert!(
        run_until(&mut harness, Duration::from_secs(20), |app| {
            app.core().recording_error().is_some()
        }),
        "no recording error shown"
    );
    let err = harness
        .state()
        .core()
        .recording_error()
        .expect("error")
        .to_owned();
    assert!(err.contains("another Vigil"), "{err}");
    assert!(err.contains(&storage.display().to_string()), "{err}");
    // Live view is unaffected.
    assert!(
        run_until(&mut harness, Duration::from_secs(30), |app| app
            .core()
            .live_pictures()
            == 4),
        "demo cameras not live"
    );
    drop(held);
}

#[test]
fn dragging_the_playhead_previews_keyframes_and_shows_the_exact_frame_when_it_rests() {
    let Fixture { mut harness, _dir } = app_with_history("2x2");
    let first = harness.state().site().wall.assignment[0]
        .as_ref()
        .expect("a camera in tile 0")
        .to_string();
    // Start reviewing 20 minutes ago, so there is a playhead to grab.
    let start = WallNanos::now().saturating_add_nanos(-1200 * SECOND);
    harness.state_mut().core_mut().apply(Command::Seek {
        time: start,
        mode: SeekMode::Exact,
    });
    assert!(
        run_until(&mut harness, Duration::from_secs(20), |app| {
            app.core().review_shown(&first).is_some()
                && app
                    .timeline()
                    .tracks()
                    .first()
                    .is_some_and(|t| !t.recorded.is_empty())
        }),
        "review did not start"
    );
    harness.run_steps(2);
    let (layout, view) = timeline_geometry(&harness);
    let x_of = |t: WallNanos| layout.time_rect.left() + view.x_from_time(t) as f32;
    let y = layout.row_rect(0).center().y;
    let grab = egui::pos2(x_of(start), y);
    // Ten minutes later on the timeline.
    let target_time = start.saturating_add_nanos(600 * SECOND);
    let target = egui::pos2(x_of(target_time), y);
    harness.event(egui::Event::PointerButton {
        pos: grab,
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: egui::Modifiers::NONE,
    });
    harness.step();
    for step in 1..=6 {
        harness.hover_at(grab.lerp(target, step as f32 / 6.0));
        harness.step();
    }
    assert!(
        harness.state().timeline().state.is_scrubbing(),
        "not scrubbing"
    );
    let playhead = harness.state().timeline().state.playhead.expect("playhead");
    // Held still: first the keyframe preview, then (after the rest) the exact frame,
    // all while the button is still down.
    assert!(
        run_until(&mut harness, Duration::from_secs(10), |app| {
            app.core().review_shown(&first).is_some_and(|t| {
                playhead.nanos_since(t) >= 0 && playhead.nanos_since(t) <= SECOND / 20
            })
        }),
        "no exact frame while the drag rests: shown {:?}, playhead {playhead:?}",
        harness.state().core().review_shown(&first)
    );
    assert!(
        harness.state().timeline().state.is_scrubbing(),
        "the drag ended early"
    );
    harness.event(egui::Event::PointerButton {
        pos: target,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: egui::Modifiers::NONE,
    });
    harness.step();
    assert!(!harness.state().timeline().state.is_scrubbing());
}
