//! The extra wall windows behind one engine: opening, closing and placing them, tile
//! commands aimed at one of them, their viewports and their views.
//!
//! Owns: the list of extra [`Wall`]s beside the main one and the size each window's
//! wall has on screen. Must not: start streams itself (the step's stream choice takes
//! every wall's tiles, so a camera shown in two windows is decoded once) or know how a
//! window is drawn.

use vigil_config::{CameraId, WallWindowConfig, WindowPlacement};

use super::{Core, Viewport};
use crate::command::Command;
use crate::view::WallView;
use crate::wall::{Wall, WallId};

/// Layout of a new wall window.
pub const NEW_WALL_LAYOUT: &str = "2x2";

/// An extra wall, in its own window.
pub(super) struct ExtraWall {
    pub(super) wall: Wall,
    /// The window's wall area, once the app laid it out.
    pub(super) viewport: Option<Viewport>,
}

/// The first free "Wall N" name (N from 2: the main wall is the first).
fn new_window_name(windows: &[WallWindowConfig]) -> String {
    (2..)
        .map(|n| format!("Wall {n}"))
        .find(|name| windows.iter().all(|w| w.name != *name))
        .unwrap_or_else(|| "Wall".to_owned())
}

impl Core {
    /// The extra walls of the site at start.
    pub(super) fn extra_walls_of(site: &mut vigil_config::Site) -> Vec<ExtraWall> {
        let names: Vec<String> = site.wall_windows.iter().map(|w| w.name.clone()).collect();
        names
            .iter()
            .map(|name| ExtraWall {
                wall: Wall::for_window(site, name),
                viewport: None,
            })
            .collect()
    }

    /// The extra wall windows, in the site's order (their names).
    pub fn wall_windows(&self) -> Vec<WallId> {
        self.extra.iter().map(|e| e.wall.id.clone()).collect()
    }

    /// Where an extra wall window was last placed.
    pub fn wall_window_placement(&self, name: &str) -> Option<WindowPlacement> {
        self.site.wall_window(name)?.window
    }

    /// Where a window's wall is on screen; the stream choice uses its size from the
    /// next step. The main wall's is [`Core::set_viewport`].
    pub fn set_wall_viewport(&mut self, id: &WallId, viewport: Viewport) {
        match id {
            WallId::Main => self.viewport = Some(viewport),
            WallId::Window(_) => {
                if let Some(extra) = self.extra.iter_mut().find(|e| e.wall.id == *id) {
                    extra.viewport = Some(viewport);
                }
            }
        }
    }

    /// What each tile of a wall shows now (`None`: no such wall).
    pub fn wall_view(&self, id: &WallId) -> Option<WallView> {
        match id {
            WallId::Main => Some(self.view()),
            WallId::Window(_) => {
                let extra = self.extra.iter().find(|e| e.wall.id == *id)?;
                Some(self.view_of(&extra.wall))
            }
        }
    }

    /// Every wall with the viewport it was laid out in (those not laid out yet are
    /// left out): what the stream choice looks at.
    pub(super) fn laid_out_walls(&self) -> Vec<(&Wall, Viewport)> {
        self.viewport
            .map(|v| (&self.wall, v))
            .into_iter()
            .chain(
                self.extra
                    .iter()
                    .filter_map(|e| e.viewport.map(|v| (&e.wall, v))),
            )
            .collect()
    }

    /// Every camera shown on some wall (once each).
    pub(super) fn cameras_on_any_wall(&self) -> Vec<&CameraId> {
        let mut cameras: Vec<&CameraId> = Vec::new();
        let walls = std::iter::once(&self.wall).chain(self.extra.iter().map(|e| &e.wall));
        for wall in walls {
            for id in wall.assignment(&self.site).iter().flatten() {
                if !cameras.contains(&id) {
                    cameras.push(id);
                }
            }
        }
        cameras
    }

    /// Opens a new wall window: a 2×2 wall filled with the cameras no wall shows yet.
    /// True: the site changed.
    pub(super) fn open_wall_window(&mut self) -> bool {
        if self.site.wall_windows.len() >= vigil_config::MAX_WALL_WINDOWS {
            self.say(format!(
                "At most {} wall windows",
                vigil_config::MAX_WALL_WINDOWS
            ));
            return false;
        }
        let name = new_window_name(&self.site.wall_windows);
        let shown: Vec<CameraId> = self.cameras_on_any_wall().into_iter().cloned().collect();
        let mut unused = self
            .site
            .cameras
            .iter()
            .map(|c| c.id.clone())
            .filter(|id| !shown.contains(id));
        let tiles = vigil_config::builtin_layout(NEW_WALL_LAYOUT).map_or(4, |l| l.tiles.len());
        let mut config = WallWindowConfig::new(name.clone(), NEW_WALL_LAYOUT);
        config.assignment = (0..tiles).map(|_| unused.next()).collect();
        self.site.wall_windows.push(config);
        let wall = Wall::for_window(&mut self.site, &name);
        self.extra.push(ExtraWall {
            wall,
            viewport: None,
        });
        self.say(format!("Opened {name}"));
        true
    }

    /// Closes a wall window: its wall leaves the site file. True: the site changed.
    pub(super) fn close_wall_window(&mut self, name: &str) -> bool {
        let before = self.extra.len();
        self.extra
            .retain(|e| e.wall.id != WallId::Window(name.to_owned()));
        self.site.wall_windows.retain(|w| w.name != name);
        before != self.extra.len()
    }

    /// Keeps where a wall window is (saved with the site). True: it moved.
    pub(super) fn place_wall_window(&mut self, name: &str, placement: WindowPlacement) -> bool {
        match self.site.wall_windows.iter_mut().find(|w| w.name == name) {
            Some(window) if window.window != Some(placement) => {
                window.window = Some(placement);
                true
            }
            _ => false,
        }
    }

    /// Carries out a tile command on wall `id`: that wall stands in for the main one
    /// while the command runs, so every tile command works on every wall.
    /// Other commands (review, alarms, the site, windows) are the same from every
    /// window and run as they are.
    pub(super) fn on_wall(&mut self, id: &WallId, command: Command) {
        let tile_command = matches!(
            command,
            Command::Assign { .. }
                | Command::PutOnWall(_)
                | Command::Swap(..)
                | Command::Clear(_)
                | Command::Select(_)
                | Command::ToggleMaximise(_)
                | Command::Maximise(_)
                | Command::ToggleFill(_)
                | Command::ZoomAt { .. }
                | Command::Pan { .. }
                | Command::ResetZoom(_)
                | Command::SetLayout(_)
                | Command::SaveLayoutAs(_)
                | Command::Snapshot(_)
                | Command::Step(_)
                | Command::Replay { .. }
        );
        if *id == WallId::Main || !tile_command {
            self.carry_out(command);
            return;
        }
        let Some(index) = self.extra.iter().position(|e| e.wall.id == *id) else {
            tracing::debug!(wall = ?id, "command for a closed wall window dropped");
            return;
        };
        std::mem::swap(&mut self.wall, &mut self.extra[index].wall);
        self.carry_out(command);
        std::mem::swap(&mut self.wall, &mut self.extra[index].wall);
    }
}
