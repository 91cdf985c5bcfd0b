//! The recordings timeline rendered by egui_kittest on wgpu (lavapipe) — three cameras
//! with recordings, gaps, events and bookmarks in a fixed zone at a fixed "now",
//! compared to a reference image and checked pixel by pixel — and driven with the
//! mouse: wheel zoom about the pointer, drag to pan, click and drag to seek.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{FixedOffset, TimeZone};
use egui::{
    Color32, Event, Modifiers, MouseWheelSource, MouseWheelUnit, PointerButton, Pos2, TouchPhase,
    pos2, vec2,
};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use vigil_app::timeline::paint::colours;
use vigil_app::timeline::{
    Gap, GapReason, Marker, MarkerKind, TimeRange, TimeView, TimelineCommand, TimelineState, Track,
    WallNanos, timeline_ui,
};

/// Central European standard time, fixed, so the image does not depend on the machine.
fn zone() -> FixedOffset {
    FixedOffset::east_opt(3600).unwrap()
}

/// 10 March 2026 at `h:m` local time.
fn at(h: u32, m: u32) -> WallNanos {
    WallNanos::from_datetime(&zone().with_ymd_and_hms(2026, 3, 10, h, m, 0).unwrap()).unwrap()
}

fn range(from: (u32, u32), to: (u32, u32)) -> TimeRange {
    TimeRange::new(at(from.0, from.1), at(to.0, to.1))
}

fn gap(from: (u32, u32), to: (u32, u32), reason: GapReason) -> Gap {
    Gap {
        range: range(from, to),
        reason,
    }
}

fn marker(h: u32, m: u32, kind: MarkerKind, label: &str) -> Marker {
    Marker {
        time: at(h, m),
        kind,
        label: label.to_owned(),
    }
}

const NOW: (u32, u32) = (15, 42);

fn tracks() -> Vec<Track> {
    let now = NOW;
    let mut gate = Track::new("Front gate");
    gate.recorded = vec![range((7, 0), (10, 20)), range((11, 5), now)];
    gate.gaps = vec![gap((10, 20), (11, 5), GapReason::CameraOffline)];
    gate.markers = vec![
        marker(9, 12, MarkerKind::Event, "Motion"),
        marker(12, 30, MarkerKind::Bookmark, "Delivery van"),
        marker(13, 47, MarkerKind::Event, "Line crossing"),
    ];
    let mut dock = Track::new("Loading dock");
    dock.recorded = vec![range((7, 0), (12, 10)), range((13, 0), now)];
    dock.gaps = vec![gap((12, 10), (13, 0), GapReason::DiskFull)];
    dock.markers = vec![marker(14, 5, MarkerKind::Event, "Door forced")];
    let mut lobby = Track::new("Lobby");
    lobby.recorded = vec![
        range((8, 30), (9, 45)),
        range((11, 30), (14, 20)),
        range((15, 0), now),
    ];
    lobby.gaps = vec![
        gap((9, 45), (11, 30), GapReason::NotRunning),
        gap((14, 20), (15, 0), GapReason::Other("Reindexing".to_owned())),
    ];
    lobby.markers = vec![marker(11, 50, MarkerKind::Bookmark, "Visitor")];
    for track in [&mut gate, &mut dock, &mut lobby] {
        track.normalize();
    }
    vec![gate, dock, lobby]
}

struct Fixture {
    timeline: TimelineState<FixedOffset>,
    tracks: Vec<Track>,
    now: WallNanos,
    commands: Vec<TimelineCommand>,
}

fn harness(wgpu: bool) -> Harness<'static, Fixture> {
    let mut timeline =
        TimelineState::new(TimeView::from_range(at(8, 0), at(16, 0), 1000.0), zone());
    timeline.playhead = Some(at(12, 45));
    let fixture = Fixture {
        timeline,
        tracks: tracks(),
        now: at(NOW.0, NOW.1),
        commands: Vec::new(),
    };
    let builder = Harness::builder().with_size(vec2(1200.0, 150.0));
    let builder = if wgpu { builder.wgpu() } else { builder };
    let mut harness = builder.build_ui_state(
        |ui, f: &mut Fixture| {
            ui.ctx().set_theme(egui::Theme::Dark);
            let commands = timeline_ui(ui, &mut f.timeline, &f.tracks, f.now);
            f.commands.extend(commands);
        },
        fixture,
    );
    // The view was made for 1000 points; the widget keeps its 08:00–16:00 at any width.
    harness.run_steps(2);
    harness.state_mut().commands.clear();
    harness
}

/// Screen position of `time` in camera `row` (its vertical middle).
fn pos_of(harness: &Harness<'_, Fixture>, time: WallNanos, row: usize) -> Pos2 {
    let state = &harness.state().timeline;
    let layout = state.layout().unwrap();
    let x = layout.time_rect.left() + state.view.x_from_time(time) as f32;
    pos2(x, layout.row_rect(row).center().y)
}

fn time_at(harness: &Harness<'_, Fixture>, pos: Pos2) -> WallNanos {
    let state = &harness.state().timeline;
    state
        .view
        .time_from_x(state.layout().unwrap().view_x(pos.x))
}

fn near(a: Color32, b: Color32, tolerance: i32) -> bool {
    let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).abs();
    d(a.r(), b.r()) <= tolerance && d(a.g(), b.g()) <= tolerance && d(a.b(), b.b()) <= tolerance
}

fn pixel(image: &image::RgbaImage, pos: Pos2) -> Color32 {
    let p = image
        .get_pixel(pos.x.round() as u32, pos.y.round() as u32)
        .0;
    Color32::from_rgba_unmultiplied(p[0], p[1], p[2], p[3])
}

#[test]
fn three_camera_timeline_matches_snapshot_and_draws_real_pixels() {
    let mut harness = harness(true);
    let view = harness.state().timeline.view;
    assert_eq!(view.start, at(8, 0));
    assert!(view.end().nanos_since(at(16, 0)).abs() < 1_000, "{view:?}");
    let image = harness.render().expect("render");

    // A recorded stretch is the bar colour; an hour with no recording is the row.
    let bar = pixel(&image, pos_of(&harness, at(8, 40), 0));
    assert!(near(bar, colours::RECORDED, 3), "recorded bar is {bar:?}");
    let empty = pixel(&image, pos_of(&harness, at(8, 10), 2) + vec2(0.0, 0.0));
    assert!(near(empty, colours::ROW_EVEN, 3), "empty row is {empty:?}");
    // After "now" is the future shade.
    let future = pixel(&image, pos_of(&harness, at(15, 52), 1));
    assert!(near(future, colours::FUTURE, 3), "future is {future:?}");

    // The gap while the gate camera was offline is grey with offline-coloured stripes,
    // and nothing in it is the recorded colour.
    let (from, to) = (
        pos_of(&harness, at(10, 25), 0),
        pos_of(&harness, at(11, 0), 0),
    );
    let (mut grey, mut stripe, mut recorded, mut total) = (0, 0, 0, 0);
    for x in from.x as u32..to.x as u32 {
        for dy in -5..=5 {
            let c = pixel(&image, pos2(x as f32, from.y + dy as f32));
            total += 1;
            grey += usize::from(near(c, colours::GAP, 6));
            stripe += usize::from(near(c, colours::GAP_OFFLINE, 24));
            recorded += usize::from(near(c, colours::RECORDED, 24));
        }
    }
    assert!(grey * 3 > total, "gap grey {grey}/{total}");
    assert!(stripe * 20 > total, "gap stripes {stripe}/{total}");
    assert_eq!(recorded, 0);
    // The disk-full gap has its own stripe colour.
    let (from, to) = (
        pos_of(&harness, at(12, 15), 1),
        pos_of(&harness, at(12, 55), 1),
    );
    let amber = (from.x as u32..to.x as u32)
        .flat_map(|x| (-5..=5).map(move |dy| (x, dy)))
        .filter(|&(x, dy)| {
            near(
                pixel(&image, pos2(x as f32, from.y + dy as f32)),
                colours::GAP_DISK_FULL,
                24,
            )
        })
        .count();
    assert!(amber > 20, "disk-full stripes: {amber}");

    // The playhead crosses the rows at 12:45 in its colour.
    let head = pos_of(&harness, at(12, 45), 2);
    let hit = (-1..=1).any(|dx| {
        near(
            pixel(&image, head + vec2(dx as f32, 0.0)),
            colours::PLAYHEAD,
            40,
        )
    });
    assert!(hit, "no playhead at {head:?}");
    // Markers: the event triangle at the top of the gate's row, the bookmark flag.
    let top = harness.state().timeline.layout().unwrap().row_rect(0).top();
    let event = pos_of(&harness, at(13, 47), 0);
    assert!(near(
        pixel(&image, pos2(event.x, top + 3.0)),
        colours::EVENT,
        40
    ));
    let bookmark = pos_of(&harness, at(12, 30), 0);
    assert!(near(
        pixel(&image, pos2(bookmark.x + 3.0, top + 5.0)),
        colours::BOOKMARK,
        40
    ));

    // Hour labels are drawn: bright text right of the 12:00 tick on the ruler.
    let ruler = harness.state().timeline.layout().unwrap().ruler_rect;
    let noon = pos_of(&harness, at(12, 0), 0).x;
    let bright = (noon as u32 + 3..noon as u32 + 40)
        .flat_map(|x| (ruler.top() as u32 + 4..ruler.top() as u32 + 18).map(move |y| (x, y)))
        .filter(|&(x, y)| image.get_pixel(x, y).0[0] > 150)
        .count();
    assert!(bright > 15, "no label at 12:00 ({bright} bright pixels)");

    harness.snapshot("timeline_three_cameras");
}

fn wheel(harness: &Harness<'_, Fixture>, lines: f32) {
    harness.event(Event::MouseWheel {
        unit: MouseWheelUnit::Line,
        delta: vec2(0.0, lines),
        phase: TouchPhase::Move,
        source: MouseWheelSource::Wheel,
        modifiers: Modifiers::NONE,
    });
}

fn button(harness: &Harness<'_, Fixture>, pos: Pos2, pressed: bool) {
    harness.event(Event::PointerButton {
        pos,
        button: PointerButton::Primary,
        pressed,
        modifiers: Modifiers::NONE,
    });
}

#[test]
fn wheel_zooms_about_the_pointer() {
    let mut harness = harness(false);
    let pointer = pos_of(&harness, at(11, 17), 1);
    harness.hover_at(pointer);
    harness.run_steps(1);
    let anchor = time_at(&harness, pointer);
    let before = harness.state().timeline.view.nanos_per_px;

    wheel(&harness, 3.0);
    harness.run_steps(20);
    let view = harness.state().timeline.view;
    assert!(
        view.nanos_per_px < before * 0.7,
        "did not zoom in: {} → {}",
        before,
        view.nanos_per_px
    );
    let x = harness.state().timeline.layout().unwrap().view_x(pointer.x);
    assert!(
        (view.x_from_time(anchor) - x).abs() < 1e-3,
        "the time under the pointer moved"
    );
    assert!(
        harness
            .state()
            .commands
            .iter()
            .any(|c| matches!(c, TimelineCommand::ZoomChanged { .. }))
    );

    wheel(&harness, -6.0);
    harness.run_steps(20);
    let view = harness.state().timeline.view;
    assert!(view.nanos_per_px > before, "did not zoom out");
    assert!((view.x_from_time(anchor) - x).abs() < 1e-3);
    // Hovering reports the time and camera under the pointer.
    let hover = harness.state().commands.iter().rev().find_map(|c| match c {
        TimelineCommand::Hover { time, camera } => Some((*time, *camera)),
        _ => None,
    });
    assert_eq!(hover.map(|h| h.1), Some(Some(1)));
    assert!(hover.unwrap().0.nanos_since(anchor).abs() as f64 <= view.nanos_per_px);
}

#[test]
fn dragging_the_background_pans() {
    let mut harness = harness(false);
    let start = pos_of(&harness, at(10, 0), 0);
    let grabbed = time_at(&harness, start);
    harness.hover_at(start);
    button(&harness, start, true);
    harness.run_steps(1);
    for step in 1..=10 {
        harness.hover_at(start + vec2(20.0 * step as f32, 0.0));
        harness.run_steps(1);
    }
    let end = start + vec2(200.0, 0.0);
    button(&harness, end, false);
    harness.run_steps(2);
    let state = &harness.state().timeline;
    let x = state.layout().unwrap().view_x(end.x);
    assert!(
        (state.view.x_from_time(grabbed) - x).abs() < 1e-3,
        "the grabbed time left the pointer"
    );
    assert!(
        !harness
            .state()
            .commands
            .iter()
            .any(|c| matches!(c, TimelineCommand::Seek { .. }))
    );
    assert_eq!(state.playhead, Some(at(12, 45)));
}

#[test]
fn click_seeks_and_dragging_the_playhead_scrubs() {
    let mut harness = harness(false);
    let click = pos_of(&harness, at(13, 30), 1);
    let expected = time_at(&harness, click);
    harness.hover_at(click);
    harness.run_steps(1);
    button(&harness, click, true);
    harness.run_steps(1);
    button(&harness, click, false);
    harness.run_steps(1);
    let seeks: Vec<_> = harness
        .state()
        .commands
        .iter()
        .filter(|c| matches!(c, TimelineCommand::Seek { .. }))
        .cloned()
        .collect();
    assert_eq!(
        seeks,
        [TimelineCommand::Seek {
            time: expected,
            dragging: false
        }]
    );
    assert!(
        expected.nanos_since(at(13, 30)).abs() as f64 <= harness.state().timeline.view.nanos_per_px
    );
    assert_eq!(harness.state().timeline.playhead, Some(expected));

    // Grab the playhead and drag it to 09:00: seeks while dragging, then a final one.
    harness.state_mut().commands.clear();
    let grab = click + vec2(0.0, 0.0);
    let target = pos_of(&harness, at(9, 0), 1);
    button(&harness, grab, true);
    harness.run_steps(1);
    for step in 1..=8 {
        harness.hover_at(grab.lerp(target, step as f32 / 8.0));
        harness.run_steps(1);
        if step == 4 {
            assert!(harness.state().timeline.is_scrubbing());
        }
    }
    button(&harness, target, false);
    harness.run_steps(1);
    let seeks: Vec<(WallNanos, bool)> = harness
        .state()
        .commands
        .iter()
        .filter_map(|c| match c {
            TimelineCommand::Seek { time, dragging } => Some((*time, *dragging)),
            _ => None,
        })
        .collect();
    assert!(seeks.len() >= 3, "{seeks:?}");
    assert!(seeks[..seeks.len() - 1].iter().all(|s| s.1), "{seeks:?}");
    assert!(
        seeks.windows(2).all(|w| w[1].0 <= w[0].0),
        "scrub went the wrong way: {seeks:?}"
    );
    let (last, dragging) = *seeks.last().unwrap();
    assert!(!dragging);
    assert_eq!(last, time_at(&harness, target));
    assert_eq!(harness.state().timeline.playhead, Some(last));
    assert!(!harness.state().timeline.is_scrubbing());
    // The view did not move while scrubbing.
    assert!(
        (harness.state().timeline.view.x_from_time(at(9, 0))
            - harness.state().timeline.layout().unwrap().view_x(target.x))
        .abs()
            < 1e-3
    );

    // A click in the future seeks to now at the latest.
    harness.state_mut().commands.clear();
    let future = pos_of(&harness, at(15, 55), 0);
    button(&harness, future, true);
    harness.run_steps(1);
    button(&harness, future, false);
    harness.run_steps(1);
    assert!(harness.state().commands.contains(&TimelineCommand::Seek {
        time: at(NOW.0, NOW.1),
        dragging: false
    }));
}

#[test]
fn hovering_a_gap_shows_the_time_and_the_reason() {
    let mut harness = harness(true);
    harness.set_size(vec2(1200.0, 220.0));
    let pointer = pos_of(&harness, at(10, 40), 0);
    harness.hover_at(pointer);
    harness.run_steps(60);
    let tooltip = harness.query_by_label_contains("Camera offline");
    assert!(tooltip.is_some(), "no gap tooltip");
    harness.snapshot("timeline_hover_gap");
}
