//! The wall as a model: which layout is shown, which camera each tile shows, which tile
//! is selected, maximised, filled or digitally zoomed, and the tiles' rectangles on the
//! screen.
//!
//! Owns: assignment changes (put a camera in a tile, swap, remove, layout changes that
//! carry cameras over or bring a custom layout's own), keeping the assignment as long as
//! the layout, saving the wall as a custom layout, and tile geometry. Must not: start or
//! stop streams, save the site file (callers do when a change says so), or draw.
//!
//! A [`Wall`] is the main wall (`[wall]` in the site) or an extra wall window
//! (`[[wall_windows]]`, by name): every method reads and writes that wall's own layout
//! and assignment, so the same code runs every window's wall.

use crate::zoom::Zoom;
use vigil_config::{
    CameraId, CustomLayout, CustomLayoutKind, Layout, Site, TileConfig, builtin_layout,
    builtin_layouts, is_builtin_layout_name, layout_by_name,
};

/// A rectangle in screen points (the app's coordinates), independent of any UI toolkit.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

impl Rect {
    pub fn new(x: f32, y: f32, width: f32, height: f32) -> Self {
        Self {
            x,
            y,
            width,
            height,
        }
    }

    pub fn area(&self) -> f32 {
        self.width.max(0.0) * self.height.max(0.0)
    }
}

/// Rectangles of `layout`'s tiles inside `area`, in tile order, `gap` points apart.
pub fn tile_rects(layout: &Layout, area: Rect, gap: f32) -> Vec<Rect> {
    #[allow(clippy::cast_precision_loss)]
    let (cols, rows) = (layout.cols.max(1) as f32, layout.rows.max(1) as f32);
    let (cell_w, cell_h) = (area.width / cols, area.height / rows);
    layout
        .tiles
        .iter()
        .map(|t| {
            #[allow(clippy::cast_precision_loss)]
            let (col, row, w, h) = (t.col as f32, t.row as f32, t.w as f32, t.h as f32);
            Rect::new(
                area.x + col * cell_w + gap / 2.0,
                area.y + row * cell_h + gap / 2.0,
                (w * cell_w - gap).max(0.0),
                (h * cell_h - gap).max(0.0),
            )
        })
        .collect()
}

/// Which wall: the main window's, or an extra wall window's (by its name).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum WallId {
    #[default]
    Main,
    Window(String),
}

/// The wall's state beside what the site file keeps (layout name and assignment live
/// in `site.wall`, or the window's `[[wall_windows]]` entry): selection, the maximised
/// tile, fill and zoom per tile.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Wall {
    /// Which wall of the site this is.
    pub id: WallId,
    pub selected: Option<usize>,
    pub maximised: Option<usize>,
    /// Per tile: crop to fill the tile instead of letterboxing.
    pub fill: Vec<bool>,
    /// Per tile: the digital zoom (not saved: a view of the moment).
    pub zoom: Vec<Zoom>,
}

/// The active layout of `site` (2×2 when the site names an unknown one).
pub fn active_layout(site: &Site) -> Layout {
    layout_by_name(site, &site.wall.layout)
        .or_else(|| builtin_layout("2x2"))
        .unwrap_or_else(|| builtin_layouts().swap_remove(0))
}

/// The camera of each tile of layout `name` with `assignment`: an assigned camera
/// wins, else a custom layout tile's own camera. Empty when the layout is unknown.
fn cameras_of(site: &Site, name: &str, assignment: &[Option<CameraId>]) -> Vec<Option<CameraId>> {
    let Some(layout) = layout_by_name(site, name) else {
        return Vec::new();
    };
    let custom = site.custom_layout(name);
    (0..layout.tiles.len())
        .map(|i| {
            let assigned = assignment.get(i).and_then(Option::as_ref);
            let from_layout = custom
                .and_then(|l| l.tiles.get(i))
                .and_then(|t| t.camera.as_ref());
            assigned.or(from_layout).cloned()
        })
        .collect()
}

/// Puts cameras that are not on the wall yet into its empty tiles, in site order.
fn fill_empty_tiles(assignment: &mut [Option<CameraId>], site: &Site) {
    let mut unused = site
        .cameras
        .iter()
        .map(|c| &c.id)
        .filter(|id| !assignment.iter().flatten().any(|a| a == *id))
        .cloned()
        .collect::<Vec<_>>()
        .into_iter();
    for slot in assignment.iter_mut().filter(|s| s.is_none()) {
        match unused.next() {
            Some(id) => *slot = Some(id),
            None => break,
        }
    }
}

impl Wall {
    /// A wall for `site`, its assignment made as long as its layout.
    pub fn new(site: &mut Site) -> Self {
        let mut wall = Self::default();
        wall.normalise(site);
        wall
    }

    /// The wall of the extra window `name` (its `[[wall_windows]]` entry), made as
    /// long as its layout.
    pub fn for_window(site: &mut Site, name: &str) -> Self {
        let mut wall = Self {
            id: WallId::Window(name.to_owned()),
            ..Self::default()
        };
        wall.normalise(site);
        wall
    }

    /// This wall's layout name and assignment in the site (empty when its window is
    /// gone).
    fn slots<'s>(&self, site: &'s Site) -> (&'s str, &'s [Option<CameraId>]) {
        match &self.id {
            WallId::Main => (site.wall.layout.as_str(), site.wall.assignment.as_slice()),
            WallId::Window(name) => site.wall_window(name).map_or(("", &[][..]), |w| {
                (w.layout.as_str(), w.assignment.as_slice())
            }),
        }
    }

    fn slots_mut<'s>(
        &self,
        site: &'s mut Site,
    ) -> Option<(&'s mut String, &'s mut Vec<Option<CameraId>>)> {
        match &self.id {
            WallId::Main => Some((&mut site.wall.layout, &mut site.wall.assignment)),
            WallId::Window(name) => site
                .wall_windows
                .iter_mut()
                .find(|w| w.name == *name)
                .map(|w| (&mut w.layout, &mut w.assignment)),
        }
    }

    /// The camera of each tile, in tile order.
    pub fn assignment<'s>(&self, site: &'s Site) -> &'s [Option<CameraId>] {
        self.slots(site).1
    }

    /// This wall's layout (2×2 when it names an unknown one).
    pub fn layout(&self, site: &Site) -> Layout {
        layout_by_name(site, self.slots(site).0)
            .or_else(|| builtin_layout("2x2"))
            .unwrap_or_else(|| builtin_layouts().swap_remove(0))
    }

    /// Makes the assignment as long as the layout (filling a wall that had none with
    /// the site's cameras), and forgets a selection or maximised tile that no longer
    /// exists.
    pub fn normalise(&mut self, site: &mut Site) {
        let layout = self.layout(site);
        let (name, current) = self.slots(site);
        let was_empty = current.is_empty();
        let mut assignment = cameras_of(site, name, current);
        assignment.resize(layout.tiles.len(), None);
        if was_empty {
            fill_empty_tiles(&mut assignment, site);
        }
        if let Some((name, slots)) = self.slots_mut(site) {
            name.clone_from(&layout.name);
            *slots = assignment;
        }
        self.fill.resize(layout.tiles.len(), false);
        self.zoom.resize(layout.tiles.len(), Zoom::default());
        if self.maximised.is_some_and(|i| i >= layout.tiles.len()) {
            self.maximised = None;
        }
        if self.selected.is_some_and(|i| i >= layout.tiles.len()) {
            self.selected = None;
        }
    }

    /// The camera a tile shows.
    pub fn camera<'s>(&self, site: &'s Site, tile: usize) -> Option<&'s CameraId> {
        self.assignment(site).get(tile)?.as_ref()
    }

    /// The selected tile's camera.
    pub fn selected_camera<'s>(&self, site: &'s Site) -> Option<&'s CameraId> {
        self.camera(site, self.selected?)
    }

    /// Puts `camera` in `tile` and selects it. True when the site changed.
    pub fn assign(&mut self, site: &mut Site, tile: usize, camera: CameraId) -> bool {
        let Some(slot) = self.slots_mut(site).and_then(|(_, a)| a.get_mut(tile)) else {
            return false;
        };
        self.selected = Some(tile);
        if slot.as_ref() == Some(&camera) {
            return false;
        }
        *slot = Some(camera);
        // Another camera: the old one's zoom means nothing here.
        self.reset_zoom(tile);
        true
    }

    /// Where a camera picked from the list goes: the selected tile, else the first
    /// empty one, else the first.
    pub fn tile_for_new_camera(&self, site: &Site) -> usize {
        self.selected
            .or_else(|| self.assignment(site).iter().position(Option::is_none))
            .unwrap_or(0)
    }

    /// Swaps two tiles' cameras (and their fill and zoom) and selects `b`. True when the site
    /// changed.
    pub fn swap(&mut self, site: &mut Site, a: usize, b: usize) -> bool {
        let Some((_, assignment)) = self.slots_mut(site) else {
            return false;
        };
        let len = assignment.len();
        if a >= len || b >= len || a == b {
            return false;
        }
        assignment.swap(a, b);
        if a < self.fill.len() && b < self.fill.len() {
            self.fill.swap(a, b);
        }
        if a < self.zoom.len() && b < self.zoom.len() {
            self.zoom.swap(a, b);
        }
        self.selected = Some(b);
        true
    }

    /// Empties a tile. True when the site changed.
    pub fn clear(&mut self, site: &mut Site, tile: usize) -> bool {
        self.reset_zoom(tile);
        self.slots_mut(site)
            .and_then(|(_, a)| a.get_mut(tile))
            .and_then(Option::take)
            .is_some()
    }

    pub fn select(&mut self, tile: usize) {
        self.selected = Some(tile);
    }

    /// Maximises a tile, or restores the wall when it is the maximised one.
    pub fn toggle_maximise(&mut self, tile: usize) {
        self.selected = Some(tile);
        self.maximised = if self.maximised == Some(tile) {
            None
        } else {
            Some(tile)
        };
    }

    /// Maximises `tile`, or restores the wall with `None`.
    pub fn maximise(&mut self, tile: Option<usize>) {
        self.maximised = tile;
        if tile.is_some() {
            self.selected = tile;
        }
    }

    pub fn toggle_fill(&mut self, tile: usize) {
        if let Some(f) = self.fill.get_mut(tile) {
            *f = !*f;
        }
    }

    /// A tile's zoom (unzoomed for a tile that does not exist).
    pub fn zoom_of(&self, tile: usize) -> Zoom {
        self.zoom.get(tile).copied().unwrap_or_default()
    }

    /// Zooms `tile` by `change` at `at` (see [`Zoom::zoom_at`]).
    pub fn zoom_at(&mut self, tile: usize, change: f32, at: [f32; 2]) {
        if let Some(z) = self.zoom.get_mut(tile) {
            z.zoom_at(change, at);
        }
    }

    /// Pans `tile`'s zoomed view (see [`Zoom::pan`]).
    pub fn pan(&mut self, tile: usize, by: [f32; 2]) {
        if let Some(z) = self.zoom.get_mut(tile) {
            z.pan(by);
        }
    }

    pub fn reset_zoom(&mut self, tile: usize) {
        if let Some(z) = self.zoom.get_mut(tile) {
            z.reset();
        }
    }

    /// Shows layout `name`. A custom layout brings its own cameras; a built-in one keeps
    /// the wall's cameras in order, and empty tiles get cameras not yet shown. True
    /// when the site changed; an unknown name changes nothing.
    pub fn set_layout(&mut self, site: &mut Site, name: &str) -> bool {
        if self.slots(site).0 == name {
            return false;
        }
        let Some(layout) = layout_by_name(site, name) else {
            return false;
        };
        let old = self.assignment(site).to_vec();
        let mut assignment: Vec<Option<CameraId>> = match site.custom_layout(name) {
            Some(custom) => custom.tiles.iter().map(|t| t.camera.clone()).collect(),
            None => old.into_iter().filter(Option::is_some).collect(),
        };
        assignment.truncate(layout.tiles.len());
        assignment.resize(layout.tiles.len(), None);
        fill_empty_tiles(&mut assignment, site);
        if let Some((layout_name, slots)) = self.slots_mut(site) {
            *layout_name = name.to_owned();
            *slots = assignment;
        }
        self.maximised = None;
        // The tiles show other cameras at other sizes now.
        self.zoom.clear();
        self.normalise(site);
        true
    }

    /// Saves the wall as it is as custom layout `name` (replacing one of that name) and
    /// shows it. Built-in names and blank names are refused, with the reason.
    pub fn save_layout_as(&mut self, site: &mut Site, name: &str) -> Result<(), String> {
        let name = name.trim();
        if name.is_empty() || is_builtin_layout_name(name) {
            return Err(format!("\"{name}\" cannot be used as a layout name"));
        }
        let layout = self.layout(site);
        let tiles = layout
            .tiles
            .iter()
            .zip(self.assignment(site))
            .map(|(t, camera)| TileConfig {
                col: t.col,
                row: t.row,
                w: t.w,
                h: t.h,
                camera: camera.clone(),
            })
            .collect();
        site.layouts.retain(|l| l.name != name);
        site.layouts.push(CustomLayout {
            name: name.to_owned(),
            kind: CustomLayoutKind::default(),
            cols: layout.cols,
            rows: layout.rows,
            tiles,
        });
        if let Some((layout_name, _)) = self.slots_mut(site) {
            *layout_name = name.to_owned();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_config::CameraConfig;

    fn site(cameras: &[&str]) -> Site {
        let mut site = Site::empty();
        site.cameras = cameras
            .iter()
            .map(|id| CameraConfig::new(*id, id.to_uppercase(), format!("/clips/{id}.mp4")))
            .collect();
        site
    }

    fn ids(site: &Site) -> Vec<Option<&str>> {
        site.wall
            .assignment
            .iter()
            .map(|c| c.as_ref().map(CameraId::as_str))
            .collect()
    }

    #[test]
    fn a_new_wall_is_filled_in_site_order_and_as_long_as_its_layout() {
        let mut s = site(&["a", "b", "c"]);
        let wall = Wall::new(&mut s);
        assert_eq!(s.wall.layout, "2x2");
        assert_eq!(ids(&s), [Some("a"), Some("b"), Some("c"), None]);
        assert_eq!(wall.fill, [false; 4]);
        assert_eq!(wall.zoom, [Zoom::default(); 4]);
    }

    #[test]
    fn zoom_moves_with_the_camera_and_resets_when_the_tile_changes() {
        let mut s = site(&["a", "b", "c", "d", "e"]);
        let mut wall = Wall::new(&mut s);
        wall.zoom_at(0, 4.0, [0.2, 0.2]);
        wall.zoom_at(1, 2.0, [0.5, 0.5]);
        wall.zoom_at(9, 2.0, [0.5, 0.5]);
        let zoomed = wall.zoom_of(0);
        assert!(zoomed.is_zoomed());
        assert!(wall.swap(&mut s, 0, 3));
        assert_eq!(wall.zoom_of(3), zoomed, "zoom moves with the camera");
        assert!(!wall.zoom_of(0).is_zoomed());
        wall.pan(3, [1.0, 0.0]);
        assert!(wall.zoom_of(3).centre()[0] > zoomed.centre()[0]);
        assert!(wall.assign(&mut s, 3, "e".into()));
        assert!(!wall.zoom_of(3).is_zoomed(), "another camera: unzoomed");
        assert!(wall.clear(&mut s, 1));
        assert!(!wall.zoom_of(1).is_zoomed(), "cleared: unzoomed");
        wall.zoom_at(2, 2.0, [0.5, 0.5]);
        wall.reset_zoom(2);
        assert!(!wall.zoom_of(2).is_zoomed());
        wall.zoom_at(2, 2.0, [0.5, 0.5]);
        assert!(wall.set_layout(&mut s, "3x3"));
        assert_eq!(wall.zoom, [Zoom::default(); 9], "a layout change unzooms");
    }

    #[test]
    fn an_unknown_layout_falls_back_to_2x2() {
        let mut s = site(&["a"]);
        s.wall.layout = "nope".into();
        Wall::new(&mut s);
        assert_eq!(s.wall.layout, "2x2");
        assert_eq!(s.wall.assignment.len(), 4);
    }

    #[test]
    fn assign_swap_and_clear() {
        let mut s = site(&["a", "b", "c", "d", "e"]);
        let mut wall = Wall::new(&mut s);
        wall.fill[0] = true;
        assert!(wall.assign(&mut s, 3, "e".into()));
        assert_eq!(wall.selected, Some(3));
        assert!(
            !wall.assign(&mut s, 3, "e".into()),
            "same camera: no change"
        );
        assert!(!wall.assign(&mut s, 9, "a".into()), "no such tile");
        assert!(wall.swap(&mut s, 0, 3));
        assert_eq!(ids(&s), [Some("e"), Some("b"), Some("c"), Some("a")]);
        assert_eq!(
            wall.fill,
            [false, false, false, true],
            "fill moves with the camera"
        );
        assert_eq!(wall.selected, Some(3));
        assert!(!wall.swap(&mut s, 0, 0) && !wall.swap(&mut s, 0, 4));
        assert!(wall.clear(&mut s, 1));
        assert!(!wall.clear(&mut s, 1), "already empty");
        assert_eq!(ids(&s), [Some("e"), None, Some("c"), Some("a")]);
        wall.selected = None;
        assert_eq!(wall.tile_for_new_camera(&s), 1, "first empty tile");
        wall.select(2);
        assert_eq!(wall.tile_for_new_camera(&s), 2, "the selected tile");
        assert_eq!(wall.selected_camera(&s).map(CameraId::as_str), Some("c"));
    }

    #[test]
    fn layout_changes_carry_cameras_over_and_fill_new_tiles() {
        let mut s = site(&["a", "b", "c", "d", "e", "f"]);
        let mut wall = Wall::new(&mut s);
        wall.clear(&mut s, 0);
        wall.maximise(Some(2));
        assert!(wall.set_layout(&mut s, "3x3"));
        assert_eq!(wall.maximised, None, "a layout change restores the wall");
        // The three left on the wall keep their order; then unused cameras.
        assert_eq!(
            ids(&s),
            [
                Some("b"),
                Some("c"),
                Some("d"),
                Some("a"),
                Some("e"),
                Some("f"),
                None,
                None,
                None
            ]
        );
        assert_eq!(wall.fill.len(), 9);
        wall.select(8);
        assert!(wall.set_layout(&mut s, "1x1"));
        assert_eq!(ids(&s), [Some("b")]);
        assert_eq!(wall.selected, None, "tile 8 no longer exists");
        assert!(!wall.set_layout(&mut s, "1x1"), "same layout");
        assert!(!wall.set_layout(&mut s, "no such layout"));
        assert_eq!(s.wall.layout, "1x1");
    }

    #[test]
    fn a_saved_layout_brings_its_own_cameras_back() {
        let mut s = site(&["a", "b", "c", "d", "e"]);
        let mut wall = Wall::new(&mut s);
        wall.swap(&mut s, 0, 1);
        wall.clear(&mut s, 3);
        wall.save_layout_as(&mut s, "  Night  ").expect("saved");
        assert_eq!(s.wall.layout, "Night");
        assert_eq!(s.layouts.len(), 1);
        assert_eq!(s.layouts[0].tiles[3].camera, None);
        assert!(wall.set_layout(&mut s, "1+5"));
        assert_eq!(ids(&s).len(), 6);
        assert!(wall.set_layout(&mut s, "Night"));
        // The saved tiles come back; its empty tile takes the first camera it does
        // not show.
        assert_eq!(ids(&s), [Some("b"), Some("a"), Some("c"), Some("d")]);
        assert!(wall.save_layout_as(&mut s, "2x2").is_err());
        assert!(wall.save_layout_as(&mut s, "   ").is_err());
        wall.save_layout_as(&mut s, "Night").expect("replaced");
        assert_eq!(s.layouts.len(), 1);
    }

    #[test]
    fn a_window_wall_keeps_its_own_layout_and_assignment() {
        let mut s = site(&["a", "b", "c", "d", "e"]);
        let mut main = Wall::new(&mut s);
        s.wall_windows
            .push(vigil_config::WallWindowConfig::new("Monitor 2", "1x1"));
        let mut window = Wall::for_window(&mut s, "Monitor 2");
        assert_eq!(window.layout(&s).name, "1x1");
        assert_eq!(window.assignment(&s), [Some("a".into())]);
        assert!(window.set_layout(&mut s, "2x2"));
        assert!(window.assign(&mut s, 3, "e".into()));
        assert!(window.swap(&mut s, 0, 3));
        assert!(window.clear(&mut s, 1));
        fn in_window(s: &Site) -> Vec<Option<&str>> {
            s.wall_windows[0]
                .assignment
                .iter()
                .map(|c| c.as_ref().map(CameraId::as_str))
                .collect()
        }
        assert_eq!(in_window(&s), [Some("e"), None, Some("c"), Some("a")]);
        assert_eq!(s.wall_windows[0].layout, "2x2");
        // The main wall did not move.
        assert_eq!(s.wall.layout, "2x2");
        assert_eq!(ids(&s), [Some("a"), Some("b"), Some("c"), Some("d")]);
        assert!(main.set_layout(&mut s, "1x1"));
        assert_eq!(in_window(&s).len(), 4, "the window keeps its layout");
        window
            .save_layout_as(&mut s, "Second")
            .expect("saved from the window");
        assert_eq!(s.wall_windows[0].layout, "Second");
        assert_eq!(s.wall.layout, "1x1");
        // A wall whose window is gone changes nothing.
        s.wall_windows.clear();
        assert!(!window.assign(&mut s, 0, "a".into()));
        assert!(window.assignment(&s).is_empty());
    }

    #[test]
    fn tile_rects_fill_the_area_without_overlap() {
        let area = Rect::new(10.0, 20.0, 1200.0, 900.0);
        for layout in builtin_layouts() {
            let rects = tile_rects(&layout, area, 0.0);
            assert_eq!(rects.len(), layout.tiles.len());
            let total: f32 = rects.iter().map(Rect::area).sum();
            assert!((total - area.area()).abs() < 1.0, "{}", layout.name);
            for (i, a) in rects.iter().enumerate() {
                assert!(a.x >= area.x - 0.01 && a.y >= area.y - 0.01);
                assert!(a.x + a.width <= area.x + area.width + 0.01);
                assert!(a.y + a.height <= area.y + area.height + 0.01);
                for b in &rects[i + 1..] {
                    let overlap_w = (a.x + a.width).min(b.x + b.width) - a.x.max(b.x);
                    let overlap_h = (a.y + a.height).min(b.y + b.height) - a.y.max(b.y);
                    assert!(
                        overlap_w <= 0.01 || overlap_h <= 0.01,
                        "{} overlaps",
                        layout.name
                    );
                }
            }
        }
        let gapped = tile_rects(&builtin_layouts()[1], area, 2.0);
        assert!((gapped[0].width - 598.0).abs() < 0.01 && (gapped[0].x - 11.0).abs() < 0.01);
    }
}
