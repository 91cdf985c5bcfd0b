//! Media engine: sources, ingest (network) and decoder threads, and the frames they hand
//! to the UI. Nothing here knows about egui or wgpu.
//!
//! ```text
//! ingest (one per connected stream) ──packets──► queue ──► decoder (one per displayed stream) ──► FrameSlot
//!        └── keyframe cache: a new decoder starts from the last keyframe
//! ```
//!
//! Time: the [`Engine`] hands one [`vigil_time::Clock`] to its ingests; open and stall
//! timeouts, reconnect times, file pacing and packet arrival times are read from it, so
//! tests drive them with a `SimClock`.

pub mod backoff;
pub mod budget;
pub mod choice;
pub mod convert;
pub mod decoder;
pub mod engine;
pub mod ffmpeg_log;
pub mod hwaccel;
pub mod ingest;
pub mod priority;
pub mod queue;
pub mod source;
pub mod state;
pub mod track;
mod watchdog;

pub use decoder::{FrameTap, StreamShared, StreamStats};
pub use engine::Engine;
pub use ingest::{IngestShared, IngestTimes, Notify, StreamInfo};
pub use source::{MAIN_STREAM, StreamKey, StreamSpec, Timeouts, Transport};
pub use state::{Failure, StreamState};
pub use vigil_frame::{Colour, ColourMatrix, ColourRange, FrameSlot, PlaneLayout, VideoFrame};
