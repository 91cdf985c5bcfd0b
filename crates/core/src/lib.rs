//! What the app drives, without a window: the media engine and each camera's stream
//! choice, the site's recorders, review players, the site file's saves, and the index
//! reader behind the timeline.
//!
//! Owns: everything a wall needs that is not drawing. Must not: know egui or wgpu —
//! it hands out frames and texture keys, and the app uploads and draws them.

pub mod recording;
pub mod review;
pub mod saver;
pub mod snapshot;
pub mod streams;
pub mod timeline_data;
