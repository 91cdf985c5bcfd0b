//! The app's side of recording and review: starting the site's recorders (after the
//! demo's history is seeded), the timeline panel's actions applied to the wall — seek,
//! play, speed, step, instant replay, live — and the badges tiles show for both.
//!
//! Owns: when a review starts, changes scope and ends. Must not: read the index or
//! decode (the timeline reader and the players do), or block the UI thread.

use std::sync::Arc;

use egui::Color32;

use super::VigilApp;

use crate::timeline_panel::{PanelInput, ReviewAction, TimelinePanel, speed_label};
use crate::wall::{ReviewBadge, WallAction};
use vigil_core::review::{Review, Scope};
use vigil_playback::{PlayerState, SeekMode};
use vigil_record::RecorderState;
use vigil_time::NANOS_PER_SEC;
use vigil_time::WallNanos;

impl VigilApp {
    /// Why recording is off, when the recorders could not start.
    pub fn recording_error(&self) -> Option<&str> {
        self.recording.error()
    }

    /// Whether the wall (or one tile) shows recordings rather than live video.
    pub fn is_reviewing(&self) -> bool {
        self.review.is_some()
    }

    /// The review position, while reviewing.
    pub fn review_position(&self) -> Option<WallNanos> {
        self.review.as_ref().map(Review::position)
    }

    /// What a camera's tile shows in review: the wall time of its picture.
    pub fn review_shown(&self, camera_id: &str) -> Option<WallNanos> {
        self.review.as_ref()?.tile(camera_id)?.shown
    }

    /// The timeline panel (its tracks, for tests).
    pub fn timeline(&self) -> &TimelinePanel {
        &self.panel
    }

    /// Where the timeline panel was drawn last frame (none in kiosk mode).
    pub fn timeline_rect(&self) -> Option<egui::Rect> {
        self.timeline_rect
    }

    /// Does what a gesture on the wall asks (tests drive the wall through this).
    pub fn apply_wall_action(&mut self, action: WallAction) {
        self.apply(action);
    }

    /// Applies a transport or timeline request.
    pub fn review_action(&mut self, action: ReviewAction) {
        match action {
            ReviewAction::Seek { time, exact } => {
                let mode = if exact {
                    SeekMode::Exact
                } else {
                    SeekMode::Preview
                };
                match &self.review {
                    Some(review) if *review.scope() == Scope::Layout => {
                        review.clock().seek(time, mode);
                    }
                    // From live, or from one tile's instant replay: the timeline,
                    // go-to and events move the whole layout.
                    _ => self.start_review(Scope::Layout, time, false),
                }
            }
            ReviewAction::Live => self.close_review(),
            ReviewAction::Play => {
                if let Some(review) = &self.review {
                    review.clock().play(self.review_speed);
                }
            }
            ReviewAction::Pause => {
                if let Some(review) = &self.review {
                    review.clock().pause();
                }
            }
            ReviewAction::SetSpeed(speed) => {
                self.review_speed = speed;
                if let Some(review) = &self.review
                    && !review.clock().is_paused()
                {
                    review.clock().play(speed);
                }
            }
            ReviewAction::Step(frames) => {
                let leader = self
                    .selected
                    .and_then(|t| self.site.wall.assignment.get(t))
                    .filter(|c| !c.is_empty())
                    .cloned();
                if let Some(review) = &self.review {
                    review.step(leader.as_deref(), frames);
                }
            }
            ReviewAction::Replay(seconds) => {
                let camera = self
                    .selected
                    .and_then(|t| self.site.wall.assignment.get(t))
                    .filter(|c| !c.is_empty())
                    .cloned();
                self.replay(camera, seconds);
            }
            ReviewAction::Say(text) => self.say(text),
        }
    }

    /// Instant replay: `camera`'s tile (or the whole layout) plays from `seconds` ago.
    pub(super) fn replay(&mut self, camera: Option<String>, seconds: i64) {
        let at = WallNanos::now().saturating_add_nanos(-seconds * NANOS_PER_SEC);
        let scope = camera.map_or(Scope::Layout, Scope::Camera);
        self.start_review(scope, at, true);
        self.say(format!("Replaying the last {seconds} s"));
    }

    pub(super) fn start_review(&mut self, scope: Scope, at: WallNanos, play: bool) {
        let Some(storage) = self.options.storage.clone() else {
            self.say("Nothing is recorded: no storage folder".to_owned());
            return;
        };
        self.close_review();
        let review = Review::new(&storage, Arc::clone(&self.notify), scope, at);
        if play {
            self.review_speed = 1.0;
            review.clock().play(1.0);
        }
        self.review = Some(review);
    }

    pub(super) fn close_review(&mut self) {
        if let Some(review) = self.review.take() {
            let gone = review.close();
            if let Some(rs) = &self.render_state
                && let Some(video) = rs
                    .renderer
                    .write()
                    .callback_resources
                    .get_mut::<vigil_gpu::VideoRenderer>()
            {
                for key in &gone {
                    video.forget(key);
                }
            }
        }
    }

    pub(super) fn timeline_ui(&mut self, ui: &mut egui::Ui) {
        let layout = self.layout();
        let rows: Vec<(String, String)> = self
            .site
            .wall
            .assignment
            .iter()
            .take(layout.tiles.len())
            .filter(|id| !id.is_empty())
            .filter_map(|id| self.site.camera(id))
            .map(|c| (c.id.clone(), c.name.clone()))
            .fold(Vec::new(), |mut rows, row| {
                if !rows.contains(&row) {
                    rows.push(row);
                }
                rows
            });
        let selected_camera = self
            .selected
            .and_then(|t| self.site.wall.assignment.get(t))
            .filter(|c| !c.is_empty())
            .cloned();
        let input = PanelInput {
            rows,
            position: self.review.as_ref().map(Review::position),
            paused: self.review.as_ref().is_none_or(|r| r.clock().is_paused()),
            speed: self.review_speed,
            selected_camera: selected_camera.as_deref(),
        };
        let actions = self.panel.ui(ui, &input);
        for action in actions {
            self.review_action(action);
        }
    }
}

/// A tile's recording badge.
pub(super) fn recording_badge(state: &RecorderState) -> Option<(String, Color32)> {
    let red = Color32::from_rgb(235, 80, 70);
    match state {
        RecorderState::Recording => Some(("⏺ REC".to_owned(), red)),
        RecorderState::Armed => Some(("REC on events".to_owned(), Color32::from_gray(190))),
        RecorderState::Waiting => Some(("REC waiting".to_owned(), Color32::from_gray(160))),
        RecorderState::DiskFull => Some(("REC STOPPED: disk full".to_owned(), red)),
        RecorderState::Failed(_) => Some((
            "REC STOPPED: write error".to_owned(),
            Color32::from_rgb(240, 170, 40),
        )),
        RecorderState::Stopped => None,
    }
}

/// How a tile in review labels itself.
pub(super) fn review_badge(review: &Review, state: Option<&PlayerState>) -> ReviewBadge {
    let clock = review.clock();
    let speed = clock.speed();
    let label = if clock.is_paused() {
        "PLAYBACK · paused".to_owned()
    } else if speed < 0.0 {
        format!("PLAYBACK · ◀ {}", speed_label(-speed))
    } else {
        format!("PLAYBACK · ▶ {}", speed_label(speed))
    };
    let message = match state {
        Some(PlayerState::NoFootage) => Some("No recording at this time".to_owned()),
        Some(PlayerState::Error(err)) => Some(format!("Cannot play the recording\n{err}")),
        _ => None,
    };
    ReviewBadge { label, message }
}
