//! Headless motion and tamper detection on decoded luma planes.
//!
//! A [`Detector`] takes one camera's frames as luma planes with their media time
//! ([`Luma`]), reduces each to a coarse grid ([`grid`]), and runs the motion detector
//! ([`motion`]) and the tamper detectors ([`tamper`]) on it. What they find comes out
//! as [`Event`]s with a kind, a start and an end in media seconds. [`Settings`] are read
//! from TOML and validated ([`settings`]). See `docs/detection.md`.
//!
//! Must not: decode video (no FFmpeg here; callers hand in luma planes), draw anything
//! (no egui/wgpu), or know about cameras, the index or alarms.

pub mod detector;
pub mod grid;
pub mod motion;
pub mod settings;
pub mod tamper;

pub use detector::{Detector, Event, EventKind};
pub use grid::{GRID_H, GRID_W, Grid, Luma};
pub use settings::{Settings, SettingsError, Zone, ZoneKind};

/// What can go wrong handing a frame to the detector.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DetectError {
    #[error("frame {width}×{height} is smaller than the {min_w}×{min_h} detection grid")]
    FrameTooSmall {
        width: usize,
        height: usize,
        min_w: usize,
        min_h: usize,
    },
    #[error("luma plane of {len} bytes is too short for {width}×{height} with stride {stride}")]
    PlaneTooShort {
        len: usize,
        width: usize,
        height: usize,
        stride: usize,
    },
}
