//! One camera's detection: a frame in (luma plane and media time), reduced to a grid
//! once and handed to the motion and tamper detectors; the events they finish out.
//!
//! Must not: decode, or keep more than the detectors' state (events are returned, not
//! stored).

use serde::Serialize;

use crate::DetectError;
use crate::grid::{Grid, Luma};
use crate::motion::MotionDetector;
use crate::settings::Settings;
use crate::tamper::{Tamper, TamperDetector};

/// What was detected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Motion,
    TamperBlocked,
    TamperDefocus,
    TamperMoved,
}

impl EventKind {
    /// The name in JSON and in the index's `event.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Motion => "motion",
            Self::TamperBlocked => "tamper_blocked",
            Self::TamperDefocus => "tamper_defocus",
            Self::TamperMoved => "tamper_moved",
        }
    }
}

impl From<Tamper> for EventKind {
    fn from(tamper: Tamper) -> Self {
        match tamper {
            Tamper::Blocked => Self::TamperBlocked,
            Tamper::Defocus => Self::TamperDefocus,
            Tamper::Moved => Self::TamperMoved,
        }
    }
}

/// A detection with its range in media seconds: from the frame where the condition
/// began to the last frame where it held (for `tamper_moved`, to the frame where the
/// new view was confirmed).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Event {
    pub kind: EventKind,
    pub start_secs: f64,
    pub end_secs: f64,
}

/// One camera's detectors.
#[derive(Clone, Debug)]
pub struct Detector {
    motion: MotionDetector,
    /// `Settings::motion`: motion events are reported.
    motion_on: bool,
    tamper: Option<TamperDetector>,
    frames: u64,
}

impl Detector {
    /// Detectors for validated `settings`.
    pub fn new(settings: &Settings) -> Self {
        Self {
            motion: MotionDetector::new(settings),
            motion_on: settings.motion,
            tamper: settings.tamper.then(|| TamperDetector::new(settings)),
            frames: 0,
        }
    }

    /// Feed one frame at media time `t_secs` (increasing); returns the events that
    /// ended with it.
    pub fn push(&mut self, t_secs: f64, luma: &Luma<'_>) -> Result<Vec<Event>, DetectError> {
        let grid = Grid::from_luma(luma)?;
        Ok(self.push_grid(t_secs, &grid))
    }

    /// Feed one frame already reduced to a grid.
    pub fn push_grid(&mut self, t_secs: f64, grid: &Grid) -> Vec<Event> {
        self.frames += 1;
        let mut events = Vec::new();
        let ended_motion = self.motion.push(t_secs, &grid.cells);
        if let Some((start_secs, end_secs)) = ended_motion.filter(|_| self.motion_on) {
            events.push(Event {
                kind: EventKind::Motion,
                start_secs,
                end_secs,
            });
        }
        if let Some(tamper) = &mut self.tamper {
            events.extend(
                tamper
                    .push(t_secs, grid)
                    .into_iter()
                    .map(|(kind, a, b)| Event {
                        kind: kind.into(),
                        start_secs: a,
                        end_secs: b,
                    }),
            );
        }
        events
    }

    /// End every running event (the stream ended); returns them.
    pub fn finish(&mut self) -> Vec<Event> {
        let mut events = Vec::new();
        if let Some((start_secs, end_secs)) = self.motion.end_event().filter(|_| self.motion_on) {
            events.push(Event {
                kind: EventKind::Motion,
                start_secs,
                end_secs,
            });
        }
        if let Some(tamper) = &mut self.tamper {
            events.extend(tamper.finish().into_iter().map(|(kind, a, b)| Event {
                kind: kind.into(),
                start_secs: a,
                end_secs: b,
            }));
        }
        events
    }

    /// The events going on now, each with its start in media seconds (a live caller
    /// raises them before they end).
    pub fn active(&self) -> Vec<(EventKind, f64)> {
        let mut active: Vec<(EventKind, f64)> = self
            .motion
            .active_since()
            .filter(|_| self.motion_on)
            .map(|start| (EventKind::Motion, start))
            .into_iter()
            .collect();
        if let Some(tamper) = &self.tamper {
            active.extend(tamper.active().into_iter().map(|(k, t)| (k.into(), t)));
        }
        active
    }

    /// The motion detector (its moving cells and area, for an overlay).
    pub fn motion(&self) -> &MotionDetector {
        &self.motion
    }

    /// Frames seen so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_luma_plane_with_a_box_gives_one_motion_event_in_json_names() {
        let (w, h) = (320usize, 180usize);
        let mut detector = Detector::new(&Settings::default());
        let mut events = Vec::new();
        for n in 0..200u32 {
            let t = f64::from(n) / 25.0;
            let mut data: Vec<u8> = (0..w * h)
                .map(|i| ((i % w) / 10 * 7 % 200) as u8 + 20)
                .collect();
            if (2.0..5.0).contains(&t) {
                let x0 = 20 + (t - 2.0) as usize * 60;
                for y in 60..120 {
                    data[y * w + x0..y * w + x0 + 40].fill(250);
                }
            }
            let luma = Luma {
                width: w,
                height: h,
                stride: w,
                data: &data,
            };
            events.extend(detector.push(t, &luma).expect("frame"));
            if n == 100 {
                // Mid-box: the event is going on, from when the box appeared.
                let active = detector.active();
                assert_eq!(active.len(), 1, "{active:?}");
                assert_eq!(active[0].0, EventKind::Motion);
                assert!((active[0].1 - 2.0).abs() < 0.05, "{active:?}");
            }
        }
        assert!(detector.active().is_empty(), "ended by the last frame");
        events.extend(detector.finish());
        assert_eq!(events.len(), 1, "{events:?}");
        assert!((events[0].start_secs - 2.0).abs() < 0.05, "{events:?}");
        let json = serde_json::to_string(&events[0]).expect("json");
        assert!(json.contains(EventKind::Motion.as_str()));
        assert!(
            json.starts_with("{\"kind\":\"motion\",\"start_secs\":"),
            "{json}"
        );
    }
}
