//! Drawing the timeline: geometry of its parts, its colours, and painting ruler,
//! tracks, markers, now line, playhead and hover readout.
//!
//! Owns: what the timeline looks like. Must not: read input, change state or produce
//! commands — that is `widget`.

use chrono::TimeZone;
use egui::{Align2, Color32, FontId, Painter, Pos2, Rect, Shape, Stroke, pos2, vec2};

use super::model::{GapReason, MarkerKind, TimeRange, Track};
use super::ruler::TimeView;
use super::ticks::{self, Tick, TickKind};
use vigil_time::WallNanos;

/// Width of the camera-name column left of the time area.
pub const NAME_COLUMN_PX: f32 = 150.0;
/// Height of the ruler above the rows.
pub const RULER_HEIGHT_PX: f32 = 34.0;
/// Height of one camera's row.
pub const ROW_HEIGHT_PX: f32 = 28.0;
/// Space below the last row.
const BOTTOM_PAD_PX: f32 = 4.0;
/// Inset of the recorded bar from the top and bottom of its row.
const BAR_INSET_PX: f32 = 6.0;
/// Distance between hatch stripes in a gap.
const HATCH_SPACING_PX: f64 = 7.0;

/// The timeline's colours (dark theme).
pub mod colours {
    use egui::Color32;

    pub const BACKGROUND: Color32 = Color32::from_rgb(22, 24, 28);
    pub const NAME_COLUMN: Color32 = Color32::from_rgb(30, 33, 38);
    pub const RULER: Color32 = Color32::from_rgb(34, 37, 43);
    pub const ROW_EVEN: Color32 = Color32::from_rgb(26, 28, 33);
    pub const ROW_ODD: Color32 = Color32::from_rgb(30, 32, 38);
    pub const SEPARATOR: Color32 = Color32::from_rgb(48, 52, 60);
    /// Time after "now", where nothing can have been recorded yet.
    pub const FUTURE: Color32 = Color32::from_rgb(16, 17, 20);
    pub const GRID: Color32 = Color32::from_rgb(40, 43, 50);
    pub const RECORDED: Color32 = Color32::from_rgb(46, 160, 108);
    pub const RECORDED_EDGE: Color32 = Color32::from_rgb(90, 200, 150);
    pub const GAP: Color32 = Color32::from_rgb(52, 54, 60);
    pub const GAP_OFFLINE: Color32 = Color32::from_rgb(150, 88, 80);
    pub const GAP_DISK_FULL: Color32 = Color32::from_rgb(196, 138, 52);
    pub const GAP_NOT_RUNNING: Color32 = Color32::from_rgb(104, 108, 120);
    pub const GAP_OTHER: Color32 = Color32::from_rgb(120, 120, 120);
    pub const EVENT: Color32 = Color32::from_rgb(240, 98, 64);
    pub const BOOKMARK: Color32 = Color32::from_rgb(86, 156, 255);
    pub const PLAYHEAD: Color32 = Color32::from_rgb(255, 196, 0);
    pub const NOW: Color32 = Color32::from_rgb(220, 64, 64);
    pub const TICK: Color32 = Color32::from_rgb(120, 126, 138);
    pub const LABEL: Color32 = Color32::from_rgb(190, 196, 206);
    pub const DAY_LABEL: Color32 = Color32::from_rgb(245, 247, 250);
    pub const NAME: Color32 = Color32::from_rgb(220, 224, 232);
    pub const HOVER: Color32 = Color32::from_rgba_premultiplied(150, 150, 150, 150);
    pub const READOUT_BACKGROUND: Color32 = Color32::from_rgb(52, 57, 66);
    /// The range selected for export: a translucent band with solid edges.
    pub const SELECTION: Color32 = Color32::from_rgba_premultiplied(40, 70, 120, 90);
    pub const SELECTION_EDGE: Color32 = Color32::from_rgb(120, 170, 255);
}

/// The stripe colour of a gap, by reason.
pub fn gap_stripe_colour(reason: &GapReason) -> Color32 {
    match reason {
        GapReason::CameraOffline => colours::GAP_OFFLINE,
        GapReason::DiskFull => colours::GAP_DISK_FULL,
        GapReason::NotRunning => colours::GAP_NOT_RUNNING,
        GapReason::Other(_) => colours::GAP_OTHER,
    }
}

/// Where the parts of the timeline are on screen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimelineLayout {
    /// Everything the timeline occupies.
    pub rect: Rect,
    /// Ruler and rows, right of the name column: where x maps to time.
    pub time_rect: Rect,
    /// The ruler, the top strip of `time_rect`.
    pub ruler_rect: Rect,
    pub rows: usize,
}

impl TimelineLayout {
    /// The height a timeline of `rows` cameras needs.
    pub fn height_for(rows: usize) -> f32 {
        RULER_HEIGHT_PX + rows as f32 * ROW_HEIGHT_PX + BOTTOM_PAD_PX
    }

    pub fn new(rect: Rect, rows: usize) -> Self {
        let name_width = NAME_COLUMN_PX.min(rect.width() * 0.4);
        let time_rect = Rect::from_min_max(pos2(rect.left() + name_width, rect.top()), rect.max);
        let ruler_rect =
            Rect::from_min_size(time_rect.min, vec2(time_rect.width(), RULER_HEIGHT_PX));
        Self {
            rect,
            time_rect,
            ruler_rect,
            rows,
        }
    }

    /// Camera `row`'s strip of the time area.
    pub fn row_rect(&self, row: usize) -> Rect {
        let top = self.ruler_rect.bottom() + row as f32 * ROW_HEIGHT_PX;
        Rect::from_x_y_ranges(self.time_rect.x_range(), top..=top + ROW_HEIGHT_PX)
    }

    /// Camera `row`'s cell in the name column.
    pub fn name_rect(&self, row: usize) -> Rect {
        let row_rect = self.row_rect(row);
        Rect::from_x_y_ranges(self.rect.left()..=self.time_rect.left(), row_rect.y_range())
    }

    /// The row under screen y, if any.
    pub fn row_at(&self, y: f32) -> Option<usize> {
        let offset = y - self.ruler_rect.bottom();
        let row = (offset / ROW_HEIGHT_PX).floor();
        (offset >= 0.0 && (row as usize) < self.rows).then_some(row as usize)
    }

    /// Screen x → x in the view (0 at the left edge of the time area).
    pub fn view_x(&self, screen_x: f32) -> f64 {
        f64::from(screen_x - self.time_rect.left())
    }

    /// The screen x of `time`, kept a little outside the time area when it is far off
    /// screen (so `f32` never sees huge values).
    pub fn screen_x(&self, view: &TimeView, time: WallNanos) -> f32 {
        let x = view.x_from_time(time).clamp(-50.0, view.width_px + 50.0);
        self.time_rect.left() + x as f32
    }
}

/// Backgrounds: name column, ruler, alternating rows, and the not-yet-happened future.
pub fn paint_background(
    painter: &Painter,
    layout: &TimelineLayout,
    view: &TimeView,
    now: WallNanos,
) {
    painter.rect_filled(layout.rect, 0.0, colours::BACKGROUND);
    let names = Rect::from_min_max(
        layout.rect.min,
        pos2(layout.time_rect.left(), layout.rect.bottom()),
    );
    painter.rect_filled(names, 0.0, colours::NAME_COLUMN);
    painter.rect_filled(layout.ruler_rect, 0.0, colours::RULER);
    for row in 0..layout.rows {
        let fill = if row % 2 == 0 {
            colours::ROW_EVEN
        } else {
            colours::ROW_ODD
        };
        painter.rect_filled(layout.row_rect(row), 0.0, fill);
    }
    let now_x = layout.screen_x(view, now);
    if now_x < layout.time_rect.right() {
        let future = Rect::from_min_max(
            pos2(
                now_x.max(layout.time_rect.left()),
                layout.ruler_rect.bottom(),
            ),
            pos2(
                layout.time_rect.right(),
                layout.ruler_rect.bottom() + layout.rows as f32 * ROW_HEIGHT_PX,
            ),
        );
        painter.rect_filled(future, 0.0, colours::FUTURE);
    }
}

/// Faint vertical lines through the rows at the labelled ticks.
pub fn paint_grid(painter: &Painter, layout: &TimelineLayout, view: &TimeView, ticks: &[Tick]) {
    let rows_bottom = layout.ruler_rect.bottom() + layout.rows as f32 * ROW_HEIGHT_PX;
    for tick in ticks.iter().filter(|t| t.kind != TickKind::Minor) {
        let x = layout.screen_x(view, tick.time).round() + 0.5;
        painter.line_segment(
            [pos2(x, layout.ruler_rect.bottom()), pos2(x, rows_bottom)],
            Stroke::new(1.0, colours::GRID),
        );
    }
}

/// One camera's recorded bars, hatched gaps and markers, clipped to its row.
pub fn paint_track(
    painter: &Painter,
    layout: &TimelineLayout,
    view: &TimeView,
    row: usize,
    track: &Track,
) {
    let row_rect = layout.row_rect(row);
    let painter = painter.with_clip_rect(row_rect.intersect(layout.time_rect));
    let visible = TimeRange::new(
        view.time_from_x(-2.0),
        view.time_from_x(view.width_px + 2.0),
    );
    let bar_y = row_rect.y_range().shrink(BAR_INSET_PX);

    for gap in track.gaps_in(visible) {
        let rect = span_rect(layout, view, gap.range, bar_y);
        painter.rect_filled(rect, 0.0, colours::GAP);
        let phase = view
            .x_from_time(gap.range.start)
            .rem_euclid(HATCH_SPACING_PX) as f32;
        let stripes = painter.with_clip_rect(rect.intersect(painter.clip_rect()));
        let height = rect.height();
        let mut x = rect.left() - height - HATCH_SPACING_PX as f32 + phase;
        while x < rect.right() {
            stripes.line_segment(
                [pos2(x, rect.bottom()), pos2(x + height, rect.top())],
                Stroke::new(1.5, gap_stripe_colour(&gap.reason)),
            );
            x += HATCH_SPACING_PX as f32;
        }
    }

    for range in track.recorded_in(visible) {
        let rect = span_rect(layout, view, *range, bar_y);
        painter.rect_filled(rect, 1.0, colours::RECORDED);
        painter.line_segment(
            [rect.left_top(), rect.right_top()],
            Stroke::new(1.0, colours::RECORDED_EDGE),
        );
    }

    for marker in track.markers_in(visible) {
        let x = layout.screen_x(view, marker.time).round() + 0.5;
        match marker.kind {
            MarkerKind::Event => {
                let top = row_rect.top() + 2.0;
                painter.line_segment(
                    [pos2(x, top + 6.0), pos2(x, row_rect.bottom() - 3.0)],
                    Stroke::new(1.5, colours::EVENT),
                );
                painter.add(Shape::convex_polygon(
                    vec![pos2(x - 5.0, top), pos2(x + 5.0, top), pos2(x, top + 7.0)],
                    colours::EVENT,
                    Stroke::NONE,
                ));
            }
            MarkerKind::Bookmark => {
                let top = row_rect.top() + 2.0;
                painter.line_segment(
                    [pos2(x, top), pos2(x, row_rect.bottom() - 2.0)],
                    Stroke::new(1.5, colours::BOOKMARK),
                );
                painter.add(Shape::convex_polygon(
                    vec![pos2(x, top), pos2(x + 8.0, top + 3.0), pos2(x, top + 6.0)],
                    colours::BOOKMARK,
                    Stroke::NONE,
                ));
            }
        }
    }
}

/// The screen rectangle of a time range within the bar's y range (at least 1 point wide).
fn span_rect(layout: &TimelineLayout, view: &TimeView, range: TimeRange, y: egui::Rangef) -> Rect {
    let left = layout.screen_x(view, range.start);
    let right = layout.screen_x(view, range.end).max(left + 1.0);
    Rect::from_x_y_ranges(left..=right, y)
}

/// Camera names, one per row, clipped to the name column.
pub fn paint_names(painter: &Painter, layout: &TimelineLayout, tracks: &[Track]) {
    for (row, track) in tracks.iter().enumerate() {
        let rect = layout.name_rect(row);
        let clipped = painter.with_clip_rect(rect.shrink2(vec2(8.0, 0.0)));
        clipped.text(
            pos2(rect.left() + 10.0, rect.center().y),
            Align2::LEFT_CENTER,
            &track.name,
            FontId::proportional(13.0),
            colours::NAME,
        );
        painter.line_segment(
            [
                pos2(layout.rect.left(), rect.bottom()),
                pos2(layout.rect.right(), rect.bottom()),
            ],
            Stroke::new(1.0, colours::SEPARATOR),
        );
    }
    painter.line_segment(
        [
            pos2(layout.time_rect.left(), layout.rect.top()),
            pos2(layout.time_rect.left(), layout.rect.bottom()),
        ],
        Stroke::new(1.0, colours::SEPARATOR),
    );
}

/// Tick marks and their local-time labels.
pub fn paint_ruler(painter: &Painter, layout: &TimelineLayout, view: &TimeView, ticks: &[Tick]) {
    let ruler = layout.ruler_rect;
    let painter = painter.with_clip_rect(ruler);
    for tick in ticks {
        let x = layout.screen_x(view, tick.time).round() + 0.5;
        let (length, colour) = match tick.kind {
            TickKind::Minor => (5.0, colours::TICK),
            TickKind::Major => (10.0, colours::TICK),
            TickKind::DayStart => (ruler.height(), colours::DAY_LABEL),
        };
        painter.line_segment(
            [pos2(x, ruler.bottom() - length), pos2(x, ruler.bottom())],
            Stroke::new(1.0, colour),
        );
        if let Some(label) = &tick.label {
            let colour = if tick.kind == TickKind::DayStart {
                colours::DAY_LABEL
            } else {
                colours::LABEL
            };
            painter.text(
                pos2(x + 4.0, ruler.top() + 5.0),
                Align2::LEFT_TOP,
                label,
                FontId::proportional(12.0),
                colour,
            );
        }
    }
    painter.line_segment(
        [ruler.left_bottom(), ruler.right_bottom()],
        Stroke::new(1.0, colours::SEPARATOR),
    );
}

/// The range selected for export, over the ruler and every row.
pub fn paint_selection(
    painter: &Painter,
    layout: &TimelineLayout,
    view: &TimeView,
    selection: TimeRange,
) {
    let painter = painter.with_clip_rect(layout.time_rect);
    let bottom = layout.ruler_rect.bottom() + layout.rows as f32 * ROW_HEIGHT_PX;
    let (left, right) = (
        layout.screen_x(view, selection.start),
        layout.screen_x(view, selection.end),
    );
    let band = Rect::from_x_y_ranges(
        left..=right.max(left + 1.0),
        layout.ruler_rect.top()..=bottom,
    );
    painter.rect_filled(band, 0.0, colours::SELECTION);
    let edge = Stroke::new(1.5, colours::SELECTION_EDGE);
    for x in [left, right] {
        painter.line_segment([pos2(x, band.top()), pos2(x, band.bottom())], edge);
    }
}

/// A full-height vertical line at `time` (when on screen), with an optional handle
/// on the ruler.
pub fn paint_time_line(
    painter: &Painter,
    layout: &TimelineLayout,
    view: &TimeView,
    time: WallNanos,
    stroke: Stroke,
    handle: bool,
) {
    let x = view.x_from_time(time);
    if !(0.0..=view.width_px).contains(&x) {
        return;
    }
    let x = layout.time_rect.left() + x as f32;
    let painter = painter.with_clip_rect(layout.time_rect);
    let bottom = layout.ruler_rect.bottom() + layout.rows as f32 * ROW_HEIGHT_PX;
    painter.line_segment([pos2(x, layout.ruler_rect.top()), pos2(x, bottom)], stroke);
    if handle {
        let top = layout.ruler_rect.top();
        painter.add(Shape::convex_polygon(
            vec![
                pos2(x - 6.0, top),
                pos2(x + 6.0, top),
                pos2(x + 6.0, top + 6.0),
                pos2(x, top + 12.0),
                pos2(x - 6.0, top + 6.0),
            ],
            stroke.color,
            Stroke::NONE,
        ));
    }
}

/// The hover line and a readout of the time under the pointer on the ruler.
pub fn paint_hover<Tz: TimeZone>(
    painter: &Painter,
    layout: &TimelineLayout,
    view: &TimeView,
    pointer: Pos2,
    time: WallNanos,
    zone: &Tz,
) {
    paint_time_line(
        painter,
        layout,
        view,
        time,
        Stroke::new(1.0, colours::HOVER),
        false,
    );
    let text = ticks::format_clock(time, zone, view.nanos_per_px);
    let painter = painter.with_clip_rect(layout.ruler_rect);
    let galley = painter.layout_no_wrap(text, FontId::monospace(12.0), colours::DAY_LABEL);
    let size = galley.size() + vec2(10.0, 4.0);
    let left = (pointer.x - size.x / 2.0)
        .clamp(layout.ruler_rect.left(), layout.ruler_rect.right() - size.x);
    let rect = Rect::from_min_size(pos2(left, layout.ruler_rect.bottom() - size.y - 2.0), size);
    painter.rect_filled(rect, 3.0, colours::READOUT_BACKGROUND);
    painter.galley(rect.min + vec2(5.0, 2.0), galley, colours::DAY_LABEL);
}

/// The corner above the names: the date, and the playhead's local time.
pub fn paint_corner<Tz: TimeZone>(
    painter: &Painter,
    layout: &TimelineLayout,
    view: &TimeView,
    playhead: Option<WallNanos>,
    zone: &Tz,
) {
    let corner = Rect::from_min_max(
        layout.rect.min,
        pos2(layout.time_rect.left(), layout.ruler_rect.bottom()),
    );
    let painter = painter.with_clip_rect(corner);
    let shown = playhead.unwrap_or_else(|| view.time_from_x(view.width_px / 2.0));
    painter.text(
        pos2(corner.left() + 10.0, corner.top() + 4.0),
        Align2::LEFT_TOP,
        ticks::format_date(shown, zone),
        FontId::proportional(11.0),
        colours::LABEL,
    );
    if let Some(playhead) = playhead {
        painter.text(
            pos2(corner.left() + 10.0, corner.bottom() - 3.0),
            Align2::LEFT_BOTTOM,
            ticks::format_clock(playhead, zone, view.nanos_per_px),
            FontId::monospace(13.0),
            colours::PLAYHEAD,
        );
    }
    painter.line_segment(
        [corner.left_bottom(), corner.right_bottom()],
        Stroke::new(1.0, colours::SEPARATOR),
    );
}
