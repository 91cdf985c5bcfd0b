//! The recordings timeline as plain data and math: the tracks a timeline shows (recorded
//! ranges, gaps with reasons, event and bookmark markers), time ↔ pixel mapping in f64,
//! and DST-correct ruler ticks in local time.
//!
//! Owns: everything between "these cameras recorded these ranges" and positions on a
//! ruler. Must not: draw (the app's `timeline` widget does), read recordings or do any
//! I/O — callers build [`Track`]s and the widget turns them into pixels and commands.

pub mod model;
pub mod ruler;
pub mod ticks;

pub use model::{Gap, GapReason, Marker, MarkerKind, TimeRange, Track};
pub use ruler::{MAX_SPAN_NANOS, MIN_SPAN_NANOS, TimeView};
pub use vigil_time::WallNanos;
