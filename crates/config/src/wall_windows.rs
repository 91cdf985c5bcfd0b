//! Extra wall windows (`[[wall_windows]]`): walls beside the main one, each in its own
//! OS window with its own layout and assignment, and where that window was on screen.
//!
//! Owns: the schema of an extra wall window, its placement as the window toolkit
//! reported it, and its validation rules (names, layouts, cameras, sane geometry).
//! Must not: know the toolkit (placements are plain points), open windows or streams.

use serde::{Deserialize, Serialize};

use crate::id::{self, CameraId};
use crate::site::{Site, layout_by_name};
use crate::validate::{Locator, MAX_NAME_CHARS};

/// Most extra wall windows a site may keep.
pub const MAX_WALL_WINDOWS: usize = 8;
/// Largest coordinate or size accepted for a window, in points (beyond any real
/// monitor arrangement; a larger one is a corrupt file).
pub const MAX_WINDOW_POINTS: f32 = 100_000.0;

/// One extra wall window (`[[wall_windows]]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WallWindowConfig {
    /// Shown in the window's title; unique among the wall windows.
    pub name: String,
    /// A built-in layout name or a custom layout's name.
    #[serde(default = "crate::site::default_wall_layout")]
    pub layout: String,
    /// Camera per tile, `None` (written `""`) for an empty tile.
    #[serde(default, with = "id::empty_as_none")]
    pub assignment: Vec<Option<CameraId>>,
    /// Where the window was when last seen; absent: the toolkit places it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowPlacement>,
}

impl WallWindowConfig {
    /// A window named `name` showing `layout`, its tiles to be filled when opened.
    pub fn new(name: impl Into<String>, layout: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            layout: layout.into(),
            assignment: Vec::new(),
            window: None,
        }
    }
}

/// Where a window sat, in points of the desktop (egui's `ViewportInfo`): its outer
/// position picks the monitor, so restoring it there and then going full screen puts
/// it back on the same monitor.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowPlacement {
    /// Left edge of the window's frame.
    pub x: f32,
    /// Top edge of the window's frame.
    pub y: f32,
    /// Inner width.
    pub width: f32,
    /// Inner height.
    pub height: f32,
    /// Full screen on its monitor.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fullscreen: bool,
    /// Maximised on its monitor.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub maximized: bool,
    /// Size of the monitor it was on (points), for the record and for a check that
    /// the monitor is still there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor_width: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor_height: Option<f32>,
}

impl Site {
    /// The extra wall window named `name`.
    pub fn wall_window(&self, name: &str) -> Option<&WallWindowConfig> {
        self.wall_windows.iter().find(|w| w.name == name)
    }
}

fn placement_problem(p: &WindowPlacement) -> Option<String> {
    let coords = [("x", p.x), ("y", p.y)];
    let sizes = [("width", p.width), ("height", p.height)];
    let monitor = [
        ("monitor_width", p.monitor_width),
        ("monitor_height", p.monitor_height),
    ];
    for (key, v) in coords {
        if !v.is_finite() || v.abs() > MAX_WINDOW_POINTS {
            return Some(format!(
                "window.{key} must be a number within ±{MAX_WINDOW_POINTS} points (it is {v})"
            ));
        }
    }
    for (key, v) in sizes
        .into_iter()
        .chain(monitor.into_iter().filter_map(|(k, v)| Some((k, v?))))
    {
        if !v.is_finite() || !(1.0..=MAX_WINDOW_POINTS).contains(&v) {
            return Some(format!(
                "window.{key} must be 1 to {MAX_WINDOW_POINTS} points (it is {v})"
            ));
        }
    }
    None
}

/// The rules of `[[wall_windows]]`: each pushed with its locator.
pub(crate) fn validate_wall_windows(site: &Site, push: &mut impl FnMut(Locator, String)) {
    if site.wall_windows.len() > MAX_WALL_WINDOWS {
        push(
            Locator::Root("wall_windows"),
            format!(
                "wall_windows: {} windows; at most {MAX_WALL_WINDOWS}",
                site.wall_windows.len()
            ),
        );
    }
    let quote = |text: &str| format!("`{}`", crate::redact::redact(text).escape_debug());
    for (index, window) in site.wall_windows.iter().enumerate() {
        let at = |key| Locator::WallWindow { index, key };
        let who = format!("wall window {}", quote(&window.name));
        let chars = window.name.chars().count();
        if chars == 0 || chars > MAX_NAME_CHARS || window.name.chars().any(char::is_control) {
            push(
                at("name"),
                format!(
                    "wall window {}: name must be 1 to {MAX_NAME_CHARS} characters without control characters",
                    index + 1
                ),
            );
        }
        if site.wall_windows[..index]
            .iter()
            .any(|w| w.name == window.name)
        {
            push(
                at("name"),
                format!("{who}: another wall window has this name"),
            );
        }
        match layout_by_name(site, &window.layout) {
            None => push(
                at("layout"),
                format!(
                    "{who}: unknown layout {}; built-in layouts are {}",
                    quote(&window.layout),
                    crate::BUILTIN_LAYOUT_NAMES.join(", ")
                ),
            ),
            Some(layout) if window.assignment.len() > layout.tiles.len() => push(
                at("assignment"),
                format!(
                    "{who}: assignment lists {} cameras but layout {} has {} tiles",
                    window.assignment.len(),
                    quote(&layout.name),
                    layout.tiles.len()
                ),
            ),
            Some(_) => {}
        }
        for (tile, id) in window.assignment.iter().enumerate() {
            if let Some(id) = id
                && site.camera(id).is_none()
            {
                push(
                    Locator::WallWindowAssignment {
                        window: index,
                        tile,
                    },
                    format!(
                        "{who}: assignment {}: unknown camera {}",
                        tile + 1,
                        quote(id)
                    ),
                );
            }
        }
        if let Some(problem) = window.window.as_ref().and_then(placement_problem) {
            push(at("window"), format!("{who}: {problem}"));
        }
    }
}
