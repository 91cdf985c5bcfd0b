//! The core's view model built from its state: what each tile shows now.

use std::time::Instant;

use vigil_frame::VideoKey;
use vigil_media::StreamState;

use super::{Core, FROZEN_AFTER};
use crate::review::Review;
use crate::streams::Hud;
use crate::view::{LiveTile, Picture, ReviewTile, TileCamera, TileContent, TileView, WallView};
use crate::wall::Wall;

impl Core {
    /// What each tile of the main wall shows now.
    pub fn view(&self) -> WallView {
        self.view_of(&self.wall)
    }

    /// What each tile of `wall` shows now.
    pub(super) fn view_of(&self, wall: &Wall) -> WallView {
        let now = self.options.clock.monotonic();
        let show_stats = self.site.wall.show_stats;
        let tiles = wall
            .assignment(&self.site)
            .iter()
            .enumerate()
            .map(|(i, id)| TileView {
                fill: wall.fill.get(i).copied().unwrap_or(false),
                zoom: wall.zoom_of(i),
                content: id.as_ref().and_then(|id| self.site.camera(id)).map_or(
                    TileContent::Empty,
                    |camera| {
                        let tile_camera = TileCamera {
                            id: camera.id.clone(),
                            name: camera.name.clone(),
                            ptz: self
                                .ptz
                                .has_worker(&camera.id)
                                .then(|| self.ptz.view(&self.site, &camera.id)),
                            recording: self.recording.status(&camera.id).map(|s| s.state),
                            alarm: self.alerts.alarm_severity(&camera.id),
                            unacknowledged: self.alerts.unacknowledged(Some(&camera.id)),
                        };
                        match self.review.as_ref().filter(|r| r.includes(&camera.id)) {
                            Some(review) => {
                                TileContent::Review(self.review_tile(review, tile_camera))
                            }
                            None => TileContent::Live(self.live_tile(tile_camera, show_stats, now)),
                        }
                    },
                ),
            })
            .collect();
        WallView {
            layout: wall.layout(&self.site),
            tiles,
            selected: wall.selected,
            maximised: wall.maximised,
            show_stats,
            show_motion: self.show_motion,
            now,
        }
    }

    fn live_tile(&self, camera: TileCamera, show_stats: bool, now: Instant) -> LiveTile {
        let shown = self.streams.shown(&camera.id);
        let hud: Option<Hud> = self.streams.hud(&camera.id);
        let state = self.streams.state(&camera.id);
        let last_frame_at = shown.map(|s| s.at);
        let key = VideoKey::Live(camera.id.to_string());
        let undrawable = self.undrawable.get(&key).cloned();
        LiveTile {
            motion_cells: self
                .alerts
                .moving_cells(&camera.id)
                .filter(|_| self.show_motion),
            frozen: state == StreamState::Live
                && last_frame_at.is_some_and(|t| now.saturating_duration_since(t) > FROZEN_AFTER),
            state,
            picture: shown.filter(|_| undrawable.is_none()).map(|s| Picture {
                key,
                width: s.frame.width,
                height: s.frame.height,
            }),
            undrawable,
            last_frame_at,
            keyframe_only: hud.as_ref().is_some_and(|h| h.keyframe_only),
            hud: hud.filter(|_| show_stats),
            camera,
        }
    }

    fn review_tile(&self, review: &Review, camera: TileCamera) -> ReviewTile {
        let tile = review.tile(&camera.id);
        let clock = review.clock();
        let key = VideoKey::Review(camera.id.to_string());
        // A picture the GPU cannot hold is reported like a read error: across the tile.
        let undrawable = self.undrawable.get(&key).cloned();
        ReviewTile {
            picture: review
                .shown(&camera.id)
                .filter(|_| undrawable.is_none())
                .map(|f| Picture {
                    key,
                    width: f.width,
                    height: f.height,
                }),
            shown_at: tile.as_ref().and_then(|t| t.shown),
            exact: tile.as_ref().is_some_and(|t| t.exact),
            player: match undrawable {
                Some(why) => vigil_playback::PlayerState::Error(why),
                None => tile.map_or(vigil_playback::PlayerState::Idle, |t| t.state),
            },
            paused: clock.is_paused(),
            speed: clock.speed(),
            camera,
        }
    }
}
