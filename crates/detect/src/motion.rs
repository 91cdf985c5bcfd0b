//! Motion on the coarse grid: a background learnt as a running average, cells whose
//! luma departs from it (after removing the frame's common offset) beyond a threshold
//! set by the sensitivity, and events made of the moving area over time.
//!
//! A global change (most cells at once: lights switched on or off) is a scene change,
//! not motion: the background is re-learnt for `scene_settle_secs` and nothing counts
//! meanwhile. A slow fade never gets far from the background, which follows it.
//!
//! Must not: look at anything but the motion grid, or report tamper.

use crate::grid::{GRID_H, GRID_W};
use crate::settings::Settings;

/// Fraction of all cells changing in one frame that makes it a scene change.
pub const GLOBAL_CHANGE_FRACTION: f32 = 0.5;
/// Time constant of the background where nothing moves.
pub const BACKGROUND_SECS: f64 = 2.0;
/// Time constant where something moves (slow: a moving object does not become
/// background while it moves, but one that parks does, eventually).
pub const BACKGROUND_MOVING_SECS: f64 = 30.0;

/// The luma difference (0..=255) that makes a cell move at this sensitivity: 6 at 1,
/// 46 at 0.
pub fn threshold_from_sensitivity(sensitivity: f32) -> f32 {
    6.0 + (1.0 - sensitivity.clamp(0.0, 1.0)) * 40.0
}

/// One camera's motion detector.
#[derive(Clone, Debug)]
pub struct MotionDetector {
    threshold: f32,
    min_area: f32,
    min_duration_secs: f64,
    quiet_secs: f64,
    scene_settle_secs: f64,
    watched: Vec<bool>,
    watched_count: usize,
    background: Option<Vec<f32>>,
    moving: Vec<bool>,
    last_secs: f64,
    settle_until_secs: f64,
    /// When the area first reached `min_area` in the current run of motion.
    candidate_secs: Option<f64>,
    /// The running event's start.
    active_secs: Option<f64>,
    last_motion_secs: f64,
    area: f32,
    scene_changes: u32,
}

impl MotionDetector {
    /// A detector for these (validated) settings.
    pub fn new(settings: &Settings) -> Self {
        let watched = settings.watched_cells();
        let watched_count = watched.iter().filter(|&&w| w).count().max(1);
        Self {
            threshold: threshold_from_sensitivity(settings.sensitivity),
            min_area: settings.min_area,
            min_duration_secs: settings.min_duration_secs,
            quiet_secs: settings.quiet_secs,
            scene_settle_secs: settings.scene_settle_secs,
            watched,
            watched_count,
            background: None,
            moving: vec![false; GRID_W * GRID_H],
            last_secs: 0.0,
            settle_until_secs: f64::NEG_INFINITY,
            candidate_secs: None,
            active_secs: None,
            last_motion_secs: 0.0,
            area: 0.0,
            scene_changes: 0,
        }
    }

    /// The cells that moved in the last frame, row-major (for an overlay).
    pub fn moving_cells(&self) -> &[bool] {
        &self.moving
    }

    /// The fraction of watched cells that moved in the last frame.
    pub fn area(&self) -> f32 {
        self.area
    }

    /// The running event's start, while one runs.
    pub fn active_since(&self) -> Option<f64> {
        self.active_secs
    }

    /// How many scene changes were re-learnt so far.
    pub fn scene_changes(&self) -> u32 {
        self.scene_changes
    }

    /// Feed one frame's motion cells at media time `t_secs`; returns a finished event
    /// `(start_secs, end_secs)` when one ended with this frame.
    pub fn push(&mut self, t_secs: f64, cells: &[f32]) -> Option<(f64, f64)> {
        let Some(background) = self.background.as_mut() else {
            self.background = Some(cells.to_vec());
            self.last_secs = t_secs;
            return None;
        };
        let dt_secs = (t_secs - self.last_secs).clamp(0.0, 1.0);
        self.last_secs = t_secs;

        let mut diffs: Vec<f32> = cells
            .iter()
            .zip(background.iter())
            .map(|(c, b)| c - b)
            .collect();
        let changed = diffs.iter().filter(|d| d.abs() > self.threshold).count();
        #[allow(clippy::cast_precision_loss)]
        let changed_fraction = changed as f32 / diffs.len() as f32;
        let mut ended = None;
        if changed_fraction >= GLOBAL_CHANGE_FRACTION && t_secs >= self.settle_until_secs {
            self.scene_changes += 1;
            self.settle_until_secs = t_secs + self.scene_settle_secs;
            self.candidate_secs = None;
            ended = self
                .active_secs
                .take()
                .map(|start| (start, self.last_motion_secs.max(start)));
        }
        if t_secs < self.settle_until_secs {
            // Re-learn: the new scene is the background.
            background.copy_from_slice(cells);
            self.moving.iter_mut().for_each(|m| *m = false);
            self.area = 0.0;
            self.candidate_secs = None;
            return ended;
        }

        // The frame's common offset (a little brightening or dimming) is not motion.
        let mut sorted = diffs.clone();
        sorted.sort_by(f32::total_cmp);
        let offset = sorted[sorted.len() / 2];
        diffs.iter_mut().for_each(|d| *d -= offset);

        #[allow(clippy::cast_possible_truncation)]
        let alpha_still = (1.0 - (-dt_secs / BACKGROUND_SECS).exp()) as f32;
        #[allow(clippy::cast_possible_truncation)]
        let alpha_moving = (1.0 - (-dt_secs / BACKGROUND_MOVING_SECS).exp()) as f32;
        let mut moving_watched = 0usize;
        for (i, (&d, b)) in diffs.iter().zip(background.iter_mut()).enumerate() {
            let moving = d.abs() > self.threshold;
            self.moving[i] = moving;
            if moving && self.watched[i] {
                moving_watched += 1;
            }
            let alpha = if moving { alpha_moving } else { alpha_still };
            *b += alpha * (cells[i] - *b);
        }
        #[allow(clippy::cast_precision_loss)]
        let area = moving_watched as f32 / self.watched_count as f32;
        self.area = area;

        if area >= self.min_area {
            let start = *self.candidate_secs.get_or_insert(t_secs);
            self.last_motion_secs = t_secs;
            if self.active_secs.is_none() && t_secs - start >= self.min_duration_secs {
                self.active_secs = Some(start);
            }
        } else if self.active_secs.is_none() {
            self.candidate_secs = None;
        } else if t_secs - self.last_motion_secs >= self.quiet_secs {
            return self.end_event().or(ended);
        }
        ended
    }

    /// End the running event (if any) at the last motion; for the end of a stream.
    pub fn end_event(&mut self) -> Option<(f64, f64)> {
        self.candidate_secs = None;
        self.active_secs
            .take()
            .map(|start| (start, self.last_motion_secs.max(start)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FPS: f64 = 25.0;

    fn scene(level: f32) -> Vec<f32> {
        // A textured, static scene.
        #[allow(clippy::cast_precision_loss)]
        (0..GRID_W * GRID_H)
            .map(|i| level * (0.5 + 0.5 * ((i * 37 % 101) as f32 / 101.0)))
            .collect()
    }

    fn with_box(mut cells: Vec<f32>, x0: usize, y0: usize, size: usize) -> Vec<f32> {
        for y in y0..y0 + size {
            for x in x0..x0 + size {
                cells[y * GRID_W + x] = 250.0;
            }
        }
        cells
    }

    fn run(settings: &Settings, seconds: f64, frame: impl Fn(f64) -> Vec<f32>) -> Vec<(f64, f64)> {
        let mut detector = MotionDetector::new(settings);
        let mut events = Vec::new();
        let frames = (seconds * FPS) as usize;
        for n in 0..frames {
            let t = n as f64 / FPS;
            events.extend(detector.push(t, &frame(t)));
        }
        events.extend(detector.end_event());
        events
    }

    #[test]
    fn a_box_that_moves_in_starts_an_event_when_it_enters() {
        let events = run(&Settings::default(), 10.0, |t| {
            if (3.0..6.0).contains(&t) {
                let x = ((t - 3.0) * 8.0) as usize;
                with_box(scene(160.0), x, 6, 4)
            } else {
                scene(160.0)
            }
        });
        assert_eq!(events.len(), 1, "{events:?}");
        let (start, end) = events[0];
        assert!((3.0..3.1).contains(&start), "{start}");
        assert!((5.9..=6.1).contains(&end), "{end}");
    }

    #[test]
    fn short_motion_under_min_duration_is_no_event() {
        let settings = Settings {
            min_duration_secs: 1.0,
            ..Settings::default()
        };
        let events = run(&settings, 6.0, |t| {
            if (3.0..3.5).contains(&t) {
                with_box(scene(160.0), ((t - 3.0) * 20.0) as usize, 6, 4)
            } else {
                scene(160.0)
            }
        });
        assert!(events.is_empty(), "{events:?}");
    }

    #[test]
    fn an_exclude_zone_over_the_box_suppresses_it() {
        let settings =
            Settings::from_toml("[[zones]]\nkind = \"exclude\"\nrect = [0.0, 0.25, 1.0, 0.65]")
                .expect("valid");
        let events = run(&settings, 8.0, |t| {
            if (3.0..6.0).contains(&t) {
                with_box(scene(160.0), ((t - 3.0) * 8.0) as usize, 6, 4)
            } else {
                scene(160.0)
            }
        });
        assert!(events.is_empty(), "{events:?}");
    }

    #[test]
    fn slow_fade_and_lights_on_are_not_motion() {
        // 160 → 40 over 20 s, then a step back to 160 (lights on).
        let mut detector = MotionDetector::new(&Settings::default());
        let mut events = Vec::new();
        for n in 0..(30.0 * FPS) as usize {
            let t = n as f64 / FPS;
            let level = if t < 20.0 {
                160.0 - 6.0 * t as f32
            } else {
                160.0
            };
            events.extend(detector.push(t, &scene(level)));
        }
        events.extend(detector.end_event());
        assert!(events.is_empty(), "{events:?}");
        assert_eq!(detector.scene_changes(), 1, "the step is one scene change");
    }
}
