//! The eframe user interface: toolbar, camera list, the video wall and its overlays,
//! and the timeline panel for reviewing recordings.
//!
//! Owns: drawing and turning gestures into commands. Must not: run threads of its own
//! beyond UI helpers, or block on I/O or decoding (`vigil_core` does that work).

mod a11y;
pub mod alarms_panel;
pub mod app;
pub mod audit_panel;
pub mod cameras_panel;
pub mod draw_stats;
pub mod export_dialog;
pub mod repaint;
pub mod role_switch;
pub mod timeline;
pub mod timeline_panel;
pub mod wall;

pub use app::{AppOptions, VigilApp};
