//! The timeline widget: ruler, one row per camera, playhead; wheel zoom, drag to pan,
//! click or drag the playhead to scrub, shift-drag to select a range (for export).
//!
//! Owns: [`TimelineState`] (view, zone, playhead, the drag in progress) and turning
//! input into view changes and [`TimelineCommand`]s. Must not: do I/O, seek a player
//! or read recordings — the caller passes plain [`Track`]s and applies the commands
//! after the UI pass.

use chrono::{Local, TimeZone};
use egui::{CursorIcon, PointerButton, Sense, Stroke, Vec2, vec2};

use super::model::{MarkerKind, TimeRange, Track};
use super::paint::{self, TimelineLayout, colours};
use super::ruler::TimeView;
use super::ticks;
use vigil_time::{NANOS_PER_HOUR, NANOS_PER_MIN, NANOS_PER_SEC, WallNanos};

/// Zoom factor per point of vertical wheel scroll (a mouse-wheel notch is ~50 points).
const WHEEL_ZOOM_PER_POINT: f64 = 0.004;
/// How close (in points) a press must be to the playhead to grab it.
const PLAYHEAD_GRAB_PX: f64 = 6.0;
/// How close (in points) the pointer must be to a marker for its tooltip.
const MARKER_HOVER_PX: f64 = 5.0;

/// What the timeline asks of the app, in the order it happened.
#[derive(Clone, Debug, PartialEq)]
pub enum TimelineCommand {
    /// Show `time`. `dragging` is true while the playhead is being dragged (show the
    /// nearest keyframe, quickly) and false for a click or the end of a drag (show the
    /// exact frame). Never later than "now".
    Seek { time: WallNanos, dragging: bool },
    /// The zoom changed (wheel or pinch); the new view.
    ZoomChanged { view: TimeView },
    /// The pointer is over the time area at `time`, over camera row `camera` if any
    /// (for preview thumbnails).
    Hover {
        time: WallNanos,
        camera: Option<usize>,
    },
}

/// A drag in progress.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Drag {
    /// The time grabbed stays under the pointer.
    Pan { anchor: WallNanos },
    /// The playhead follows the pointer; `last` is the last time sent.
    Scrub { last: WallNanos },
    /// Shift-drag: the selection runs from `anchor` to the pointer.
    Select { anchor: WallNanos },
}

/// What the timeline keeps between frames. The app owns it, sets `playhead` from the
/// player while playing, and may set `view` (e.g. "go to now").
#[derive(Clone, Debug)]
pub struct TimelineState<Tz: TimeZone = Local> {
    pub view: TimeView,
    /// The zone labels are shown in: `Local` in the app, a fixed one in tests.
    pub zone: Tz,
    /// What is being shown. The widget moves it while scrubbing, so it follows the
    /// pointer without waiting for the player.
    pub playhead: Option<WallNanos>,
    /// The range chosen for export (shift-drag, or typed by the app), whole seconds.
    pub selection: Option<TimeRange>,
    drag: Option<Drag>,
    layout: Option<TimelineLayout>,
}

impl TimelineState<Local> {
    /// A timeline in the process's local zone.
    pub fn new_local(view: TimeView) -> Self {
        Self::new(view, Local)
    }
}

impl<Tz: TimeZone> TimelineState<Tz> {
    pub fn new(view: TimeView, zone: Tz) -> Self {
        Self {
            view,
            zone,
            playhead: None,
            selection: None,
            drag: None,
            layout: None,
        }
    }

    /// Whether the playhead is being dragged.
    pub fn is_scrubbing(&self) -> bool {
        matches!(self.drag, Some(Drag::Scrub { .. }))
    }

    /// Where the timeline was drawn last frame.
    pub fn layout(&self) -> Option<&TimelineLayout> {
        self.layout.as_ref()
    }
}

/// Draws the timeline of `tracks` (one row each) across the available width and
/// returns what the user asked for this frame. `now` is the current wall-clock time:
/// later times are shaded and cannot be sought.
pub fn timeline_ui<Tz: TimeZone>(
    ui: &mut egui::Ui,
    state: &mut TimelineState<Tz>,
    tracks: &[Track],
    now: WallNanos,
) -> Vec<TimelineCommand> {
    let size = vec2(
        ui.available_width(),
        TimelineLayout::height_for(tracks.len()),
    );
    let (rect, response) = ui.allocate_exact_size(size, Sense::click_and_drag());
    response.widget_info(|| {
        egui::WidgetInfo::labeled(egui::Role::Canvas, ui.is_enabled(), "Recordings timeline")
    });
    let layout = TimelineLayout::new(rect, tracks.len());
    state.layout = Some(layout);
    state.view = state
        .view
        .with_width_px(f64::from(layout.time_rect.width()));

    let mut commands = Vec::new();
    interact(ui, &response, &layout, state, now, &mut commands);

    let painter = ui.painter_at(rect);
    let view = state.view;
    let ticks = ticks::ruler_ticks(&view, &state.zone);
    paint::paint_background(&painter, &layout, &view, now);
    paint::paint_grid(&painter, &layout, &view, &ticks);
    for (row, track) in tracks.iter().enumerate() {
        paint::paint_track(&painter, &layout, &view, row, track);
    }
    if let Some(selection) = state.selection {
        paint::paint_selection(&painter, &layout, &view, selection);
    }
    paint::paint_names(&painter, &layout, tracks);
    paint::paint_ruler(&painter, &layout, &view, &ticks);
    paint::paint_time_line(
        &painter,
        &layout,
        &view,
        now,
        Stroke::new(1.0, colours::NOW),
        false,
    );

    let hover = response
        .hover_pos()
        .filter(|pos| layout.time_rect.contains(*pos) && state.drag.is_none());
    if let Some(pos) = hover {
        let time = view.time_from_x(layout.view_x(pos.x));
        let camera = layout.row_at(pos.y);
        commands.push(TimelineCommand::Hover { time, camera });
        paint::paint_hover(&painter, &layout, &view, pos, time, &state.zone);
    }
    if let Some(playhead) = state.playhead {
        paint::paint_time_line(
            &painter,
            &layout,
            &view,
            playhead,
            Stroke::new(2.0, colours::PLAYHEAD),
            true,
        );
    }
    paint::paint_corner(&painter, &layout, &view, state.playhead, &state.zone);

    if let Some(pos) = hover
        && let Some(row) = layout.row_at(pos.y)
        && let Some(track) = tracks.get(row)
        && let Some(text) = tooltip(track, &view, layout.view_x(pos.x), &state.zone)
    {
        response.on_hover_text_at_pointer(text);
    }
    commands
}

/// Wheel and pinch zoom, horizontal scroll, pan and scrub drags, and clicks.
fn interact<Tz: TimeZone>(
    ui: &egui::Ui,
    response: &egui::Response,
    layout: &TimelineLayout,
    state: &mut TimelineState<Tz>,
    now: WallNanos,
    commands: &mut Vec<TimelineCommand>,
) {
    let seek_time =
        |view: &TimeView, screen_x: f32| view.time_from_x(layout.view_x(screen_x)).min(now);
    let near_playhead = |view: &TimeView, playhead: Option<WallNanos>, screen_x: f32| {
        playhead.is_some_and(|t| {
            (view.x_from_time(t) - layout.view_x(screen_x)).abs() <= PLAYHEAD_GRAB_PX
        })
    };

    if response.hovered()
        && let Some(pos) = response.hover_pos()
    {
        let (scroll, zoom) = ui.input(|i| (i.smooth_scroll_delta, i.zoom_delta()));
        let factor = (f64::from(scroll.y) * WHEEL_ZOOM_PER_POINT).exp() * f64::from(zoom);
        let before = state.view;
        let x = layout.view_x(pos.x).clamp(0.0, before.width_px);
        if factor != 1.0 {
            state.view = state.view.zoom_at(x, factor);
        }
        if scroll.x != 0.0 {
            state.view = state.view.pan_by_px(f64::from(scroll.x));
        }
        if scroll != Vec2::ZERO {
            ui.ctx().input_mut(|i| i.smooth_scroll_delta = Vec2::ZERO);
        }
        if state.view.nanos_per_px != before.nanos_per_px {
            commands.push(TimelineCommand::ZoomChanged { view: state.view });
        }
        if near_playhead(&state.view, state.playhead, pos.x) && layout.time_rect.contains(pos) {
            ui.ctx().set_cursor_icon(CursorIcon::ResizeHorizontal);
        }
    }

    if response.drag_started() {
        let origin = ui
            .input(|i| i.pointer.press_origin())
            .or(response.interact_pointer_pos());
        state.drag = origin.map(|origin| {
            let grab = response.drag_started_by(PointerButton::Primary)
                && layout.time_rect.contains(origin)
                && near_playhead(&state.view, state.playhead, origin.x);
            let shift = ui.input(|i| i.modifiers.shift);
            if grab {
                Drag::Scrub {
                    last: state.playhead.unwrap_or(now),
                }
            } else if shift
                && response.drag_started_by(PointerButton::Primary)
                && layout.time_rect.contains(origin)
            {
                Drag::Select {
                    anchor: whole_second(seek_time(&state.view, origin.x)),
                }
            } else {
                Drag::Pan {
                    anchor: state.view.time_from_x(layout.view_x(origin.x)),
                }
            }
        });
    }
    if let (Some(drag), Some(pos)) = (state.drag, response.interact_pointer_pos())
        && (response.dragged() || response.drag_stopped())
    {
        match drag {
            Drag::Pan { anchor } => {
                state.view = state.view.with_time_at(anchor, layout.view_x(pos.x));
                ui.ctx().set_cursor_icon(CursorIcon::Grabbing);
            }
            Drag::Scrub { last } => {
                // The playhead stays on the visible part of the timeline.
                let x = pos
                    .x
                    .clamp(layout.time_rect.left(), layout.time_rect.right());
                let time = seek_time(&state.view, x);
                state.playhead = Some(time);
                if time != last && !response.drag_stopped() {
                    commands.push(TimelineCommand::Seek {
                        time,
                        dragging: true,
                    });
                    state.drag = Some(Drag::Scrub { last: time });
                }
                ui.ctx().set_cursor_icon(CursorIcon::ResizeHorizontal);
            }
            Drag::Select { anchor } => {
                let x = pos
                    .x
                    .clamp(layout.time_rect.left(), layout.time_rect.right());
                let time = whole_second(seek_time(&state.view, x));
                state.selection =
                    (time != anchor).then(|| TimeRange::new(anchor.min(time), anchor.max(time)));
                ui.ctx().set_cursor_icon(CursorIcon::ResizeHorizontal);
            }
        }
    }
    if response.drag_stopped() {
        // The end of a scrub asks for the exact frame where the playhead was left.
        if let Some(Drag::Scrub { .. }) = state.drag
            && let Some(time) = state.playhead
        {
            commands.push(TimelineCommand::Seek {
                time,
                dragging: false,
            });
        }
        state.drag = None;
    }

    if response.clicked()
        && let Some(pos) = response.interact_pointer_pos()
        && layout.time_rect.contains(pos)
    {
        let time = seek_time(&state.view, pos.x);
        state.playhead = Some(time);
        commands.push(TimelineCommand::Seek {
            time,
            dragging: false,
        });
    }
}

/// `time` rounded down to a whole second (selections are to the second).
fn whole_second(time: WallNanos) -> WallNanos {
    WallNanos(time.0.div_euclid(NANOS_PER_SEC) * NANOS_PER_SEC)
}

/// The tooltip for the pointer at view x `x` in `track`'s row: a marker near it, or
/// the gap under it.
fn tooltip<Tz: TimeZone>(track: &Track, view: &TimeView, x: f64, zone: &Tz) -> Option<String> {
    let near = TimeRange::new(
        view.time_from_x(x - MARKER_HOVER_PX),
        view.time_from_x(x + MARKER_HOVER_PX),
    );
    let clock = |t| ticks::format_clock(t, zone, view.nanos_per_px);
    if let Some(marker) = track.markers_in(near).iter().min_by(|a, b| {
        (view.x_from_time(a.time) - x)
            .abs()
            .total_cmp(&(view.x_from_time(b.time) - x).abs())
    }) {
        let kind = match marker.kind {
            MarkerKind::Event => "Event",
            MarkerKind::Bookmark => "Bookmark",
        };
        return Some(format!("{kind}: {}\n{}", marker.label, clock(marker.time)));
    }
    let gap = track.gap_at(view.time_from_x(x))?;
    Some(format!(
        "{}\n{} – {} ({})",
        gap.reason.describe(),
        clock(gap.range.start),
        clock(gap.range.end),
        format_duration(gap.range.duration_nanos())
    ))
}

/// A duration for people: `2 h 05 min`, `12 min 30 s`, `45 s`.
pub fn format_duration(nanos: i64) -> String {
    let secs = nanos / NANOS_PER_SEC;
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if nanos >= NANOS_PER_HOUR {
        format!("{h} h {m:02} min")
    } else if nanos >= NANOS_PER_MIN {
        format!("{m} min {s:02} s")
    } else {
        format!("{s} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_duration(45 * NANOS_PER_SEC), "45 s");
        assert_eq!(
            format_duration(12 * NANOS_PER_MIN + 30 * NANOS_PER_SEC),
            "12 min 30 s"
        );
        assert_eq!(
            format_duration(2 * NANOS_PER_HOUR + 5 * NANOS_PER_MIN),
            "2 h 05 min"
        );
    }
}
