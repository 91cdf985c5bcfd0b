//! The eframe user interface: toolbar, camera list, the video wall and its overlays,
//! and the timeline panel for reviewing recordings.
//! Reads engine state and sends commands; never blocks on I/O or decoding.

pub mod app;
pub mod review;
pub mod saver;
pub mod streams;
pub mod timeline_data;
pub mod timeline_panel;
pub mod wall;

pub use app::{AppOptions, VigilApp};
