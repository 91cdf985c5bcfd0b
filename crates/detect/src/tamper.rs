//! Tamper: a view blocked or blacked out (the picture's contrast collapses), heavy
//! defocus (high-frequency energy collapses relative to its learnt level, contrast
//! normalised so that dimming does not look like blur), and a camera moved (the grid's
//! normalised pattern changes and stays changed). Each condition must last
//! `tamper_settling_secs` before it is an event, so that dusk, lights switching and
//! passing objects raise nothing; the learnt levels follow slow changes.
//!
//! Must not: look at motion zones (tamper concerns the whole picture).

use crate::grid::Grid;
use crate::settings::Settings;

/// Fine-grid standard deviation (luma levels) below which the view is blocked.
pub const BLOCKED_STD: f32 = 5.0;
/// Sharpness below this fraction of the learnt one is defocus.
pub const DEFOCUS_RATIO: f32 = 0.4;
/// Mean absolute difference of the normalised grid (in standard deviations) above
/// which the view changed.
pub const MOVED_DIFFERENCE: f32 = 0.5;
/// Time constant of the learnt sharpness and view.
pub const REFERENCE_SECS: f64 = 20.0;
/// How long a condition must be gone before a raised one ends or a pending one resets.
pub const CLEAR_SECS: f64 = 1.0;

/// Which tamper condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tamper {
    Blocked,
    Defocus,
    Moved,
}

#[derive(Clone, Debug, Default)]
struct Condition {
    since_secs: Option<f64>,
    last_true_secs: f64,
    raised: bool,
}

impl Condition {
    /// Returns a finished `(start, end)` when a raised condition cleared.
    fn update(&mut self, now: bool, t_secs: f64, settling_secs: f64) -> Option<(f64, f64)> {
        if now {
            let since = *self.since_secs.get_or_insert(t_secs);
            self.last_true_secs = t_secs;
            if t_secs - since >= settling_secs {
                self.raised = true;
            }
            return None;
        }
        if self.since_secs.is_some() && t_secs - self.last_true_secs >= CLEAR_SECS {
            return self.finish();
        }
        None
    }

    fn pending(&self) -> bool {
        self.since_secs.is_some()
    }

    fn finish(&mut self) -> Option<(f64, f64)> {
        let since = self.since_secs.take()?;
        let raised = std::mem::take(&mut self.raised);
        raised.then_some((since, self.last_true_secs))
    }
}

/// One camera's tamper detectors.
#[derive(Clone, Debug)]
pub struct TamperDetector {
    settling_secs: f64,
    sharpness: Option<f32>,
    view: Option<Vec<f32>>,
    last_secs: f64,
    blocked: Condition,
    defocus: Condition,
    moved: Condition,
}

/// The motion grid normalised to zero mean and unit deviation: the view's pattern,
/// the same under any brightness and contrast.
fn normalised(cells: &[f32]) -> Vec<f32> {
    #[allow(clippy::cast_precision_loss)]
    let n = cells.len() as f32;
    let mean = cells.iter().sum::<f32>() / n;
    let std = (cells.iter().map(|c| (c - mean) * (c - mean)).sum::<f32>() / n).sqrt();
    cells.iter().map(|c| (c - mean) / std.max(1.0)).collect()
}

impl TamperDetector {
    pub fn new(settings: &Settings) -> Self {
        Self {
            settling_secs: settings.tamper_settling_secs,
            sharpness: None,
            view: None,
            last_secs: 0.0,
            blocked: Condition::default(),
            defocus: Condition::default(),
            moved: Condition::default(),
        }
    }

    /// Feed one frame; returns the tamper events that finished with it.
    pub fn push(&mut self, t_secs: f64, grid: &Grid) -> Vec<(Tamper, f64, f64)> {
        let dt_secs = (t_secs - self.last_secs).clamp(0.0, 1.0);
        self.last_secs = t_secs;
        let mut done = Vec::new();
        let blocked = grid.std < BLOCKED_STD;
        let sharpness = grid.laplacian / grid.std.max(1.0);
        let view = normalised(&grid.cells);
        let defocus = !blocked
            && self
                .sharpness
                .is_some_and(|s| sharpness < DEFOCUS_RATIO * s);
        let moved = !blocked
            && !defocus
            && self.view.as_ref().is_some_and(|reference| {
                #[allow(clippy::cast_precision_loss)]
                let difference = reference
                    .iter()
                    .zip(&view)
                    .map(|(r, v)| (r - v).abs())
                    .sum::<f32>()
                    / view.len() as f32;
                difference > MOVED_DIFFERENCE
            });
        let settling = self.settling_secs;
        if let Some((a, b)) = self.blocked.update(blocked, t_secs, settling) {
            done.push((Tamper::Blocked, a, b));
        }
        if let Some((a, b)) = self.defocus.update(defocus, t_secs, settling) {
            done.push((Tamper::Defocus, a, b));
        }
        self.moved.update(moved, t_secs, settling);
        if self.moved.raised {
            // A moved camera stays moved: the event is the change, and the new view is
            // what is learnt from now on.
            if let Some((a, _)) = self.moved.finish() {
                done.push((Tamper::Moved, a, t_secs));
            }
            self.view = Some(view.clone());
        }

        // Learn the normal levels only while nothing is pending.
        if blocked || self.blocked.pending() || self.defocus.pending() || self.moved.pending() {
            return done;
        }
        #[allow(clippy::cast_possible_truncation)]
        let alpha = (1.0 - (-dt_secs / REFERENCE_SECS).exp()) as f32;
        match &mut self.sharpness {
            Some(s) => *s += alpha * (sharpness - *s),
            None => self.sharpness = Some(sharpness),
        }
        match &mut self.view {
            Some(reference) => {
                for (r, v) in reference.iter_mut().zip(&view) {
                    *r += alpha * (v - *r);
                }
            }
            None => self.view = Some(view),
        }
        done
    }

    /// The raised conditions still going on, each with its start (a moved camera is
    /// an event once, when confirmed, so it never shows here).
    pub fn active(&self) -> Vec<(Tamper, f64)> {
        [
            (Tamper::Blocked, &self.blocked),
            (Tamper::Defocus, &self.defocus),
        ]
        .into_iter()
        .filter(|(_, c)| c.raised)
        .filter_map(|(kind, c)| Some((kind, c.since_secs?)))
        .collect()
    }

    /// End the raised conditions at the end of a stream.
    pub fn finish(&mut self) -> Vec<(Tamper, f64, f64)> {
        let mut done = Vec::new();
        if let Some((a, b)) = self.blocked.finish() {
            done.push((Tamper::Blocked, a, b));
        }
        if let Some((a, b)) = self.defocus.finish() {
            done.push((Tamper::Defocus, a, b));
        }
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::{FINE_H, FINE_W};

    const FPS: f64 = 25.0;

    /// A sharp checkerboard of 2×2 fine cells, at `level` brightness and `contrast`,
    /// shifted by `shift` fine columns; `blur` averages neighbours that many times.
    fn frame(level: f32, contrast: f32, shift: usize, blur: usize) -> Grid {
        let mut fine: Vec<f32> = (0..FINE_W * FINE_H)
            .map(|i| {
                let (x, y) = (i % FINE_W + shift, i / FINE_W);
                let big = ((x / 16 + y / 12) % 3) as f32 - 1.0;
                let small = if (x / 2 + y / 2) % 2 == 0 { 1.0 } else { -1.0 };
                level + contrast * (0.6 * big + 0.4 * small)
            })
            .collect();
        for _ in 0..blur {
            let copy = fine.clone();
            for y in 1..FINE_H - 1 {
                for x in 1..FINE_W - 1 {
                    let i = y * FINE_W + x;
                    fine[i] = (copy[i] * 4.0
                        + copy[i - 1]
                        + copy[i + 1]
                        + copy[i - FINE_W]
                        + copy[i + FINE_W])
                        / 8.0;
                }
            }
        }
        Grid::from_fine(fine)
    }

    fn run(seconds: f64, settling: f64, at: impl Fn(f64) -> Grid) -> Vec<(Tamper, f64, f64)> {
        let settings = Settings {
            tamper_settling_secs: settling,
            ..Settings::default()
        };
        let mut detector = TamperDetector::new(&settings);
        let mut events = Vec::new();
        for n in 0..(seconds * FPS) as usize {
            let t = n as f64 / FPS;
            events.extend(detector.push(t, &at(t)));
        }
        events.extend(detector.finish());
        events
    }

    #[test]
    fn black_after_settling_is_blocked_and_a_short_one_is_not() {
        let events = run(20.0, 5.0, |t| {
            if t >= 8.0 {
                frame(16.0, 0.0, 0, 0)
            } else {
                frame(120.0, 60.0, 0, 0)
            }
        });
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0].0, Tamper::Blocked);
        assert!((events[0].1 - 8.0).abs() < 0.05, "{events:?}");
        let events = run(20.0, 5.0, |t| {
            if (8.0..11.0).contains(&t) {
                frame(16.0, 0.0, 0, 0)
            } else {
                frame(120.0, 60.0, 0, 0)
            }
        });
        assert!(events.is_empty(), "{events:?}");
    }

    #[test]
    fn blur_is_defocus() {
        let events = run(20.0, 3.0, |t| {
            frame(120.0, 60.0, 0, if t >= 6.0 { 6 } else { 0 })
        });
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0].0, Tamper::Defocus);
        assert!((events[0].1 - 6.0).abs() < 0.05, "{events:?}");
    }

    #[test]
    fn a_shifted_view_that_stays_is_moved_once() {
        let events = run(25.0, 3.0, |t| {
            frame(120.0, 60.0, if t >= 6.0 { 24 } else { 0 }, 0)
        });
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0].0, Tamper::Moved);
        assert!(
            (events[0].1 - 6.0).abs() < 0.05 && (events[0].2 - 9.0).abs() < 0.1,
            "{events:?}"
        );
    }

    #[test]
    fn dusk_raises_nothing() {
        // Brightness and contrast fall to a fifth over 40 s and stay there.
        let events = run(60.0, 5.0, |t| {
            let k = (1.0 - 0.8 * (t / 40.0).min(1.0)) as f32;
            frame(120.0 * k, 60.0 * k, 0, 0)
        });
        assert!(events.is_empty(), "{events:?}");
    }
}
