//! The recorder's readings of its clock: wall and monotonic time read together, and the
//! wall time at which a monotonic reading (a packet's arrival) happened.
//!
//! Owns: those two conversions. Must not: read the operating system's clock — every
//! reading comes from the [`Clock`] it is given.

use std::time::{Duration, Instant};

use vigil_time::{Clock, WallNanos};

/// The clock's wall and monotonic readings taken together: tried again when the
/// monotonic reading moved by more than a millisecond across the wall reading (another
/// thread advancing a simulated clock; a real clock only when preempted).
pub(crate) fn readings(clock: &dyn Clock) -> (WallNanos, Instant) {
    let mut before = clock.monotonic();
    for _ in 0..4 {
        let wall = clock.wall();
        let after = clock.monotonic();
        if after.saturating_duration_since(before) <= Duration::from_millis(1) {
            return (wall, before);
        }
        before = after;
    }
    (clock.wall(), before)
}

fn nanos_i64(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

/// Wall clock (UTC ns) at which `at`, a monotonic reading of `clock`, happened.
pub(crate) fn wall_ns_of(clock: &dyn Clock, at: Instant) -> i64 {
    let (wall, now) = readings(clock);
    match now.checked_duration_since(at) {
        Some(ago) => wall.saturating_add_nanos(-nanos_i64(ago)).0,
        None => wall.saturating_add_nanos(nanos_i64(at - now)).0,
    }
}
