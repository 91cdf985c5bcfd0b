//! Time for every other crate: the one wall-clock type ([`WallNanos`]), where "now"
//! comes from ([`Clock`]: the operating system's, or a simulated one that tests move by
//! hand), and the unit constants.
//!
//! Owns: time values and clocks. Must not: know anything else — no pixels, no media
//! timebases, no I/O beyond reading the system clock.

mod clock;
mod wall;

pub use clock::{Clock, RealClock, SharedClock, SimClock, real_clock};
pub use wall::{
    NANOS_PER_DAY, NANOS_PER_HOUR, NANOS_PER_MILLI, NANOS_PER_MIN, NANOS_PER_SEC, WallNanos,
};
