//! The timeline widget: draws [`vigil_timeline`]'s tracks and ruler with egui and
//! returns what the user asked for as [`TimelineCommand`]s.
//!
//! Owns: painting and interaction. Must not: read recordings, talk to a player or do
//! any I/O — callers pass plain tracks and apply the commands.

pub mod paint;
pub mod widget;

pub use paint::TimelineLayout;
pub use vigil_timeline::*;
pub use widget::{TimelineCommand, TimelineState, timeline_ui};
