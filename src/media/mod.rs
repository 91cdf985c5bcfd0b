//! Media engine: sources, stream workers, decoding and the frames they hand to the UI.
//!
//! Runs without a window; the UI reads [`StreamShared`] state and takes frames from
//! its [`FrameSlot`]. Nothing here knows about egui or wgpu.

pub mod backoff;
pub mod convert;
pub mod engine;
pub mod frame;
pub mod source;
pub mod state;
pub mod worker;

pub use engine::Engine;
pub use frame::{Colour, ColourMatrix, ColourRange, FrameSlot, PlaneLayout, VideoFrame};
pub use source::{StreamSpec, Timeouts, Transport};
pub use state::{Failure, StreamState};
pub use worker::{Notify, StreamShared, StreamStats};
