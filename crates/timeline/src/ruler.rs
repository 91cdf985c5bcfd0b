//! Pure time ↔ pixel math for the timeline: which time sits at which x, panning and
//! zooming about a point.
//!
//! Owns: [`TimeView`] and its invariants (zoom limits). Must not: draw, read input, or
//! know about time zones — that is `ticks` and `widget`.
//!
//! x is in egui points measured from the left edge of the time area, in `f64`: egui's
//! `f32` would lose whole pixels when a time far outside the visible range is mapped,
//! and the times themselves stay `i64` nanoseconds so a round trip loses no
//! nanoseconds (the differences from `start` are small enough for `f64` to hold
//! exactly at every allowed zoom).

use vigil_time::{NANOS_PER_DAY, NANOS_PER_SEC, WallNanos};

/// The narrowest view: one second across the whole width.
pub const MIN_SPAN_NANOS: f64 = NANOS_PER_SEC as f64;
/// The widest view: thirty days across the whole width.
pub const MAX_SPAN_NANOS: f64 = 30.0 * NANOS_PER_DAY as f64;

/// Which stretch of time the timeline shows, and how wide it is on screen.
///
/// Views are values: [`TimeView::pan_by_px`] and [`TimeView::zoom_at`] return new ones,
/// always clamped to the zoom limits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeView {
    /// The time at x = 0, the left edge of the time area.
    pub start: WallNanos,
    /// Nanoseconds per point.
    pub nanos_per_px: f64,
    /// Width of the time area in points.
    pub width_px: f64,
}

impl TimeView {
    /// A view showing `start..end` across `width_px` (clamped to the zoom limits,
    /// keeping the middle of the range in the middle).
    pub fn from_range(start: WallNanos, end: WallNanos, width_px: f64) -> Self {
        let width_px = sane_width(width_px);
        let span = end.nanos_since(start).max(1) as f64;
        let mid = start.saturating_add_nanos(end.nanos_since(start) / 2);
        Self::centered_on(mid, span, width_px)
    }

    /// A view of `span_nanos` (clamped) across `width_px` with `center` in the middle.
    pub fn centered_on(center: WallNanos, span_nanos: f64, width_px: f64) -> Self {
        let width_px = sane_width(width_px);
        let span = clamp_span(span_nanos);
        let half = (span / 2.0).round() as i64;
        Self {
            start: center.saturating_add_nanos(-half),
            nanos_per_px: span / width_px,
            width_px,
        }
    }

    /// Nanoseconds across the whole width.
    pub fn span_nanos(&self) -> f64 {
        self.nanos_per_px * self.width_px
    }

    /// The time at the right edge.
    pub fn end(&self) -> WallNanos {
        self.time_from_x(self.width_px)
    }

    /// The x of `time` (outside `0..=width_px` when it is off screen).
    pub fn x_from_time(&self, time: WallNanos) -> f64 {
        let delta = i128::from(time.0) - i128::from(self.start.0);
        delta as f64 / self.nanos_per_px
    }

    /// The time at `x_px`, to the nearest nanosecond (saturating).
    pub fn time_from_x(&self, x_px: f64) -> WallNanos {
        // `as` saturates for floats; NaN becomes 0, i.e. `start`.
        self.start
            .saturating_add_nanos((x_px * self.nanos_per_px).round() as i64)
    }

    /// The view after the content is dragged `dx_px` to the right (so earlier times
    /// come into view).
    #[must_use]
    pub fn pan_by_px(&self, dx_px: f64) -> Self {
        if !dx_px.is_finite() {
            return *self;
        }
        let shift = (dx_px * self.nanos_per_px).round() as i64;
        Self {
            start: self.start.saturating_add_nanos(-shift),
            ..*self
        }
    }

    /// The view with `time` placed at `x_px`, keeping the zoom.
    #[must_use]
    pub fn with_time_at(&self, time: WallNanos, x_px: f64) -> Self {
        if !x_px.is_finite() {
            return *self;
        }
        Self {
            start: time.saturating_add_nanos(-((x_px * self.nanos_per_px).round() as i64)),
            ..*self
        }
    }

    /// The view zoomed by `factor` about `x_px`: `factor > 1` zooms in (fewer
    /// nanoseconds per point), and the time under `x_px` stays under it. The span is
    /// clamped to [`MIN_SPAN_NANOS`]..=[`MAX_SPAN_NANOS`].
    #[must_use]
    pub fn zoom_at(&self, x_px: f64, factor: f64) -> Self {
        if !(factor.is_finite() && factor > 0.0 && x_px.is_finite()) {
            return *self;
        }
        let anchor = self.time_from_x(x_px);
        let span = clamp_span(self.span_nanos() / factor);
        let zoomed = Self {
            nanos_per_px: span / self.width_px,
            ..*self
        };
        zoomed.with_time_at(anchor, x_px)
    }

    /// The same stretch of time on a time area that is now `width_px` wide: start and
    /// span stay, the scale changes. So a view made before the widget knew its width
    /// (or kept across a window resize) still shows the range it was made for.
    #[must_use]
    pub fn with_width_px(&self, width_px: f64) -> Self {
        let width_px = sane_width(width_px);
        if width_px == self.width_px {
            return *self;
        }
        let span = clamp_span(self.span_nanos());
        Self {
            nanos_per_px: span / width_px,
            width_px,
            ..*self
        }
    }
}

fn clamp_span(span_nanos: f64) -> f64 {
    if span_nanos.is_nan() {
        return MAX_SPAN_NANOS;
    }
    span_nanos.clamp(MIN_SPAN_NANOS, MAX_SPAN_NANOS)
}

fn sane_width(width_px: f64) -> f64 {
    if width_px.is_finite() && width_px >= 1.0 {
        width_px
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_time::{NANOS_PER_HOUR, NANOS_PER_MIN};

    /// 2026-03-29T12:00:00Z.
    const NOON: WallNanos = WallNanos(1_774_785_600 * NANOS_PER_SEC);

    /// Deterministic pseudo-random numbers in `0..1` (xorshift), so failures repeat.
    fn unit_randoms(seed: u64) -> impl FnMut() -> f64 {
        let mut state = seed.max(1);
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    fn views() -> Vec<TimeView> {
        let spans = [
            MIN_SPAN_NANOS,
            7.3 * NANOS_PER_SEC as f64,
            5.0 * NANOS_PER_MIN as f64,
            3.7 * NANOS_PER_HOUR as f64,
            NANOS_PER_DAY as f64,
            9.5 * NANOS_PER_DAY as f64,
            MAX_SPAN_NANOS,
        ];
        let mut out = Vec::new();
        for span in spans {
            for width in [1.0, 317.0, 1280.0, 3840.0] {
                out.push(TimeView::centered_on(NOON, span, width));
                out.push(TimeView::centered_on(
                    WallNanos(-5 * NANOS_PER_DAY),
                    span,
                    width,
                ));
            }
        }
        out
    }

    #[test]
    fn time_to_x_to_time_round_trips_to_the_nanosecond() {
        let mut random = unit_randoms(0x5eed);
        for view in views() {
            for _ in 0..200 {
                // Times on and well off the screen (up to 10 widths away). Exact to the
                // nanosecond near the screen; far off it `f64` keeps ~16 digits.
                let r = random() * 21.0 - 10.0;
                let delta = (r * view.span_nanos()) as i64;
                let t = view.start.saturating_add_nanos(delta);
                let back = view.time_from_x(view.x_from_time(t));
                let tolerance = if (-1.0..=2.0).contains(&r) {
                    1
                } else {
                    1.max((delta.abs() as f64 * 4e-16).ceil() as i64)
                };
                assert!(
                    back.nanos_since(t).abs() <= tolerance,
                    "{view:?}: {t:?} came back as {back:?}"
                );
            }
        }
    }

    #[test]
    fn x_to_time_to_x_round_trips_within_a_thousandth_of_a_point() {
        let mut random = unit_randoms(42);
        for view in views() {
            for _ in 0..200 {
                let x = (random() * 3.0 - 1.0) * view.width_px;
                let back = view.x_from_time(view.time_from_x(x));
                // One nanosecond of rounding, in points, is at most 1 / nanos_per_px.
                let tolerance = 1e-3_f64.max(1.0 / view.nanos_per_px);
                assert!((back - x).abs() <= tolerance, "{view:?}: {x} → {back}");
            }
        }
    }

    #[test]
    fn start_is_at_zero_and_end_at_the_width() {
        let view = TimeView::from_range(NOON, NOON.saturating_add_nanos(NANOS_PER_HOUR), 600.0);
        assert_eq!(view.start, NOON);
        assert_eq!(view.x_from_time(NOON), 0.0);
        assert!((view.x_from_time(view.end()) - 600.0).abs() < 1e-9);
        assert_eq!(
            view.time_from_x(300.0),
            NOON.saturating_add_nanos(NANOS_PER_HOUR / 2)
        );
    }

    #[test]
    fn zoom_at_keeps_the_time_under_the_cursor() {
        let mut random = unit_randoms(7);
        for view in views() {
            for _ in 0..50 {
                let x = random() * view.width_px;
                let factor = (random() * 4.0 - 2.0).exp();
                let before = view.time_from_x(x);
                let zoomed = view.zoom_at(x, factor);
                let moved_px = zoomed.x_from_time(before) - x;
                assert!(
                    moved_px.abs() < 1e-3,
                    "{view:?} ×{factor} at {x}: {moved_px}"
                );
                assert_eq!(zoomed.width_px, view.width_px);
            }
        }
    }

    #[test]
    fn zoom_clamps_at_one_second_and_thirty_days() {
        let view = TimeView::centered_on(NOON, NANOS_PER_HOUR as f64, 1000.0);
        let mut v = view;
        for _ in 0..100 {
            v = v.zoom_at(250.0, 2.0);
        }
        assert_eq!(v.span_nanos(), MIN_SPAN_NANOS);
        assert!((v.x_from_time(view.time_from_x(250.0)) - 250.0).abs() < 1e-3);
        for _ in 0..100 {
            v = v.zoom_at(800.0, 0.5);
        }
        assert!((v.span_nanos() - MAX_SPAN_NANOS).abs() < 1.0);
        assert!(view.zoom_at(10.0, 1e12).span_nanos() >= MIN_SPAN_NANOS);
        assert_eq!(
            TimeView::centered_on(NOON, 1.0, 500.0).span_nanos(),
            MIN_SPAN_NANOS
        );
        // Nonsense factors change nothing.
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(view.zoom_at(10.0, bad), view);
        }
    }

    #[test]
    fn pan_moves_content_with_the_pointer() {
        let view = TimeView::centered_on(NOON, NANOS_PER_HOUR as f64, 1000.0);
        let t = view.time_from_x(400.0);
        let panned = view.pan_by_px(120.0);
        assert!((panned.x_from_time(t) - 520.0).abs() < 1e-6);
        assert_eq!(panned.pan_by_px(-120.0), view);
        assert_eq!(view.with_time_at(t, 10.0).time_from_x(10.0), t);
    }

    #[test]
    fn resizing_keeps_the_time_range() {
        let view = TimeView::centered_on(NOON, NANOS_PER_HOUR as f64, 1000.0);
        let wider = view.with_width_px(2000.0);
        assert_eq!(wider.nanos_per_px, view.nanos_per_px / 2.0);
        assert_eq!(wider.start, view.start);
        assert_eq!(wider.end(), view.end());
        let tiny = TimeView::centered_on(NOON, MIN_SPAN_NANOS, 1000.0).with_width_px(100.0);
        assert_eq!(tiny.span_nanos(), MIN_SPAN_NANOS);
        assert_eq!(view.with_width_px(f64::NAN).width_px, 1.0);
    }
}
