//! Digital zoom of one tile: which part of the shown picture fills the tile, as a
//! centre and a factor, in the coordinates of the picture as the tile shows it unzoomed
//! (the whole picture when letterboxed, the fill crop when filled), 0 to 1 both ways.
//!
//! Owns: zooming at a point (the picture point under it stays put), panning, clamping
//! (1× to [`MAX_ZOOM`], the view always inside the picture), and turning the view into
//! texture coordinates on top of the tile's own crop. Must not: know widgets, pixels on
//! screen or streams; the app turns gestures into [`crate::Command`]s and draws with
//! [`Zoom::apply`], the stream choice reads [`Zoom::factor`].

/// The largest zoom factor.
pub const MAX_ZOOM: f32 = 16.0;

/// Factors this close to 1 count as not zoomed.
const UNZOOMED_EPSILON: f32 = 1e-3;

/// One tile's zoom (see the module docs). The default shows the whole picture.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Zoom {
    /// Centre of the visible part, 0 to 1 across and down the shown picture.
    centre: [f32; 2],
    /// 1 (whole picture) to [`MAX_ZOOM`].
    factor: f32,
}

impl Default for Zoom {
    fn default() -> Self {
        Self {
            centre: [0.5, 0.5],
            factor: 1.0,
        }
    }
}

impl Zoom {
    /// A zoom of `factor` centred on `centre`, clamped like every change.
    pub fn new(factor: f32, centre: [f32; 2]) -> Self {
        let mut zoom = Self::default();
        if factor.is_finite() && centre.iter().all(|c| c.is_finite()) {
            zoom.factor = factor;
            zoom.centre = centre;
        }
        zoom.clamp();
        zoom
    }

    pub fn factor(&self) -> f32 {
        self.factor
    }

    pub fn centre(&self) -> [f32; 2] {
        self.centre
    }

    /// More than the whole picture is magnified (panning means something).
    pub fn is_zoomed(&self) -> bool {
        self.factor > 1.0 + UNZOOMED_EPSILON
    }

    /// The visible part of the shown picture: `[u0, v0, u1, v1]`, 0 to 1.
    pub fn window(&self) -> [f32; 4] {
        let half = 0.5 / self.factor;
        [
            self.centre[0] - half,
            self.centre[1] - half,
            self.centre[0] + half,
            self.centre[1] + half,
        ]
    }

    /// The point of the shown picture under `at`, a point of the tile's picture area
    /// (0 to 1 across and down what is drawn now).
    pub fn picture_point(&self, at: [f32; 2]) -> [f32; 2] {
        let [u0, v0, ..] = self.window();
        let size = 1.0 / self.factor;
        [u0 + at[0] * size, v0 + at[1] * size]
    }

    /// Multiplies the factor by `change` (clamped to 1×..=[`MAX_ZOOM`]) keeping the
    /// picture point under `at` (0 to 1 across the drawn picture) where it is, as far
    /// as the picture's edges allow. A change that is not a finite positive number
    /// does nothing.
    pub fn zoom_at(&mut self, change: f32, at: [f32; 2]) {
        if !change.is_finite() || change <= 0.0 || !at.iter().all(|a| a.is_finite()) {
            return;
        }
        let at = [at[0].clamp(0.0, 1.0), at[1].clamp(0.0, 1.0)];
        let fixed = self.picture_point(at);
        self.factor = (self.factor * change).clamp(1.0, MAX_ZOOM);
        let size = 1.0 / self.factor;
        self.centre = [
            fixed[0] - at[0] * size + size / 2.0,
            fixed[1] - at[1] * size + size / 2.0,
        ];
        self.clamp();
    }

    /// Moves the view by `by`, in fractions of the visible part: `[0.1, 0.0]` shows
    /// a tenth of a view more to the right. Dragging the picture right by a tenth of
    /// the tile is `[-0.1, 0.0]`.
    pub fn pan(&mut self, by: [f32; 2]) {
        if !by.iter().all(|b| b.is_finite()) {
            return;
        }
        let size = 1.0 / self.factor;
        self.centre = [self.centre[0] + by[0] * size, self.centre[1] + by[1] * size];
        self.clamp();
    }

    /// Back to the whole picture.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// The texture coordinates to draw with: the visible part of `uv`, the tile's own
    /// rectangle of the texture (`[u0, v0, u1, v1]`: the whole picture, or the crop
    /// that fills the tile).
    pub fn apply(&self, uv: [f32; 4]) -> [f32; 4] {
        let [w0, h0, w1, h1] = self.window();
        let (du, dv) = (uv[2] - uv[0], uv[3] - uv[1]);
        [
            uv[0] + w0 * du,
            uv[1] + h0 * dv,
            uv[0] + w1 * du,
            uv[1] + h1 * dv,
        ]
    }

    fn clamp(&mut self) {
        self.factor = self.factor.clamp(1.0, MAX_ZOOM);
        let half = 0.5 / self.factor;
        for c in &mut self.centre {
            *c = c.clamp(half, 1.0 - half);
        }
    }
}

/// The part of a `width`×`height` picture a tile of `tile_width`×`tile_height` shows
/// unzoomed, in texture coordinates: all of it when letterboxed, the centred crop that
/// covers the tile when `fill` (the same rule as `vigil_gpu::fit_picture`, which the app
/// draws with; the core needs it for snapshots of zoomed tiles).
pub fn base_uv(width: u32, height: u32, tile_width: f32, tile_height: f32, fill: bool) -> [f32; 4] {
    if !fill || width == 0 || height == 0 || tile_width <= 0.0 || tile_height <= 0.0 {
        return [0.0, 0.0, 1.0, 1.0];
    }
    #[allow(clippy::cast_precision_loss)]
    let picture_aspect = width as f32 / height as f32;
    let tile_aspect = tile_width / tile_height;
    if picture_aspect > tile_aspect {
        let visible = tile_aspect / picture_aspect;
        let u0 = (1.0 - visible) / 2.0;
        [u0, 0.0, u0 + visible, 1.0]
    } else {
        let visible = picture_aspect / tile_aspect;
        let v0 = (1.0 - visible) / 2.0;
        [0.0, v0, 1.0, v0 + visible]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() < 1e-5
    }

    fn inside(zoom: &Zoom) -> bool {
        let w = zoom.window();
        w.iter().all(|c| (-1e-6..=1.0 + 1e-6).contains(c))
    }

    #[test]
    fn the_default_shows_the_whole_picture() {
        let zoom = Zoom::default();
        assert!(!zoom.is_zoomed());
        assert_eq!(zoom.window(), [0.0, 0.0, 1.0, 1.0]);
        assert_eq!(zoom.apply([0.25, 0.0, 0.75, 1.0]), [0.25, 0.0, 0.75, 1.0]);
    }

    #[test]
    fn zooming_at_a_point_keeps_the_picture_point_under_it() {
        for at in [[0.3, 0.6], [0.9, 0.1], [0.5, 0.5], [0.05, 0.95]] {
            let mut zoom = Zoom::default();
            let before = zoom.picture_point(at);
            zoom.zoom_at(2.0, at);
            assert!(close(zoom.factor(), 2.0));
            let after = zoom.picture_point(at);
            assert!(
                close(before[0], after[0]) && close(before[1], after[1]),
                "at {at:?}: {before:?} moved to {after:?}"
            );
            // Again, from a zoomed view.
            let before = zoom.picture_point(at);
            zoom.zoom_at(1.5, at);
            let after = zoom.picture_point(at);
            assert!(close(before[0], after[0]) && close(before[1], after[1]));
            assert!(inside(&zoom));
        }
    }

    #[test]
    fn zooming_at_the_top_left_corner_shows_the_top_left_quarter() {
        let mut zoom = Zoom::default();
        zoom.zoom_at(2.0, [0.0, 0.0]);
        assert_eq!(zoom.window(), [0.0, 0.0, 0.5, 0.5]);
        zoom.zoom_at(2.0, [1.0, 1.0]);
        assert_eq!(zoom.window(), [0.25, 0.25, 0.5, 0.5]);
    }

    #[test]
    fn the_factor_stays_between_one_and_sixteen() {
        let mut zoom = Zoom::default();
        for _ in 0..40 {
            zoom.zoom_at(1.5, [0.7, 0.2]);
        }
        assert!(close(zoom.factor(), MAX_ZOOM));
        assert!(inside(&zoom));
        zoom.zoom_at(0.001, [0.1, 0.1]);
        assert_eq!(
            zoom,
            Zoom::default(),
            "zoomed out fully: whole picture, centred"
        );
        for bad in [f32::NAN, f32::INFINITY, 0.0, -2.0] {
            let mut zoom = Zoom::new(3.0, [0.4, 0.4]);
            let before = zoom;
            zoom.zoom_at(bad, [0.5, 0.5]);
            assert_eq!(zoom, before, "change {bad}");
            zoom.pan([f32::NAN, 0.0]);
            assert_eq!(zoom, before);
        }
        assert_eq!(Zoom::new(f32::NAN, [0.5, 0.5]), Zoom::default());
    }

    #[test]
    fn panning_moves_by_parts_of_the_view_and_stops_at_the_edges() {
        let mut zoom = Zoom::new(4.0, [0.5, 0.5]);
        zoom.pan([0.5, -0.25]);
        assert!(close(zoom.centre()[0], 0.625) && close(zoom.centre()[1], 0.4375));
        zoom.pan([10.0, -10.0]);
        assert!(close(zoom.centre()[0], 0.875) && close(zoom.centre()[1], 0.125));
        assert!(inside(&zoom));
        let mut whole = Zoom::default();
        whole.pan([0.3, 0.3]);
        assert_eq!(whole, Zoom::default(), "nothing to pan unzoomed");
    }

    #[test]
    fn apply_zooms_inside_the_tiles_own_crop() {
        let zoom = Zoom::new(2.0, [0.25, 0.75]);
        assert_eq!(zoom.window(), [0.0, 0.5, 0.5, 1.0]);
        // A fill crop of the middle half across.
        let uv = zoom.apply([0.25, 0.0, 0.75, 1.0]);
        assert!(close(uv[0], 0.25) && close(uv[2], 0.5));
        assert!(close(uv[1], 0.5) && close(uv[3], 1.0));
    }

    #[test]
    fn base_uv_crops_the_long_side_only_when_filling() {
        assert_eq!(
            base_uv(1600, 800, 400.0, 400.0, false),
            [0.0, 0.0, 1.0, 1.0]
        );
        let uv = base_uv(1600, 800, 400.0, 400.0, true);
        assert!(close(uv[0], 0.25) && close(uv[2], 0.75) && uv[1] == 0.0 && uv[3] == 1.0);
        let uv = base_uv(800, 800, 400.0, 200.0, true);
        assert!(close(uv[1], 0.25) && close(uv[3], 0.75) && uv[0] == 0.0 && uv[2] == 1.0);
        assert_eq!(base_uv(0, 800, 400.0, 200.0, true), [0.0, 0.0, 1.0, 1.0]);
    }
}
