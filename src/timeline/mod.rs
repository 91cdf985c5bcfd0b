//! The recordings timeline (issue 4): one time type, time ↔ pixel math, ruler ticks in
//! local time, the plain data a timeline shows, and the egui widget that draws it.
//!
//! Owns: everything between "these cameras recorded these ranges" and pixels plus
//! commands. Must not: read recordings, talk to a player or do any I/O — callers pass
//! plain [`Track`]s and apply the [`TimelineCommand`]s the widget returns.

pub mod model;
pub mod paint;
pub mod ruler;
pub mod ticks;
pub mod time;
pub mod widget;

pub use model::{Gap, GapReason, Marker, MarkerKind, TimeRange, Track};
pub use paint::TimelineLayout;
pub use ruler::{MAX_SPAN_NANOS, MIN_SPAN_NANOS, TimeView};
pub use time::WallNanos;
pub use widget::{TimelineCommand, TimelineState, timeline_ui};
