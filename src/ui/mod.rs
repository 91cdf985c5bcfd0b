//! The eframe user interface: toolbar, camera list, the video wall and its overlays.
//! Reads engine state and sends commands; never blocks on I/O or decoding.

pub mod app;
pub mod saver;
pub mod streams;
pub mod wall;

pub use app::{AppOptions, VigilApp};
