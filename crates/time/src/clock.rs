//! Where "now" comes from. Everything that asks the time — recorders, retention, the
//! playback clock, the timeline's "now", stall detection and reconnect backoff — asks a
//! [`Clock`], so a test can run it on a [`SimClock`] that moves only when told: across a
//! DST change, a year forward, or exactly to a timeout.
//!
//! Two readings, as the operating system has them: the wall clock (UTC, which can jump
//! when NTP or a person sets it) and the monotonic clock (never jumps; for intervals and
//! timeouts). Must not: sleep or block — waiting stays with the caller.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::WallNanos;

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Wall-clock time, UTC. May jump in either direction.
    fn wall(&self) -> WallNanos;
    /// Monotonic time, for intervals and timeouts. Never goes back.
    fn monotonic(&self) -> Instant;
}

/// A clock shared by the threads that read it.
pub type SharedClock = Arc<dyn Clock>;

/// The operating system's clocks.
#[derive(Clone, Copy, Debug, Default)]
pub struct RealClock;

impl Clock for RealClock {
    fn wall(&self) -> WallNanos {
        WallNanos::now()
    }

    fn monotonic(&self) -> Instant {
        Instant::now()
    }
}

/// The operating system's clocks, shared.
pub fn real_clock() -> SharedClock {
    Arc::new(RealClock)
}

/// A clock that moves only when a test moves it.
///
/// Its monotonic reading is a fixed `Instant` plus the time advanced so far, so code that
/// compares `Instant`s works unchanged; its wall reading moves with [`Self::advance`] and
/// can also jump on its own ([`Self::set_wall`], [`Self::jump_wall`]), as a real wall
/// clock does when someone sets it.
#[derive(Debug)]
pub struct SimClock {
    base: Instant,
    state: Mutex<SimState>,
}

#[derive(Debug)]
struct SimState {
    elapsed: Duration,
    wall: WallNanos,
}

impl SimClock {
    /// A clock whose wall reading starts at `wall`.
    pub fn new(wall: WallNanos) -> Arc<Self> {
        Arc::new(Self {
            base: Instant::now(),
            state: Mutex::new(SimState {
                elapsed: Duration::ZERO,
                wall,
            }),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Time passes: both readings move by `by`.
    pub fn advance(&self, by: Duration) {
        let mut state = self.state();
        state.elapsed += by;
        let nanos = i64::try_from(by.as_nanos()).unwrap_or(i64::MAX);
        state.wall = state.wall.saturating_add_nanos(nanos);
    }

    /// The wall clock is set to `wall` (the monotonic reading does not move).
    pub fn set_wall(&self, wall: WallNanos) {
        self.state().wall = wall;
    }

    /// The wall clock jumps by `delta_nanos` (negative: back), as when NTP corrects it.
    pub fn jump_wall(&self, delta_nanos: i64) {
        let mut state = self.state();
        state.wall = state.wall.saturating_add_nanos(delta_nanos);
    }
}

impl Clock for SimClock {
    fn wall(&self) -> WallNanos {
        self.state().wall
    }

    fn monotonic(&self) -> Instant {
        self.base + self.state().elapsed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NANOS_PER_SEC;

    #[test]
    fn sim_clock_moves_only_when_told() {
        let clock = SimClock::new(WallNanos::from_secs(1_000));
        let (wall, mono) = (clock.wall(), clock.monotonic());
        assert_eq!(clock.wall(), wall);
        assert_eq!(clock.monotonic(), mono);
        clock.advance(Duration::from_millis(1_500));
        assert_eq!(clock.wall().nanos_since(wall), 1_500_000_000);
        assert_eq!(clock.monotonic() - mono, Duration::from_millis(1_500));
    }

    #[test]
    fn a_wall_jump_leaves_monotonic_time_alone() {
        let clock = SimClock::new(WallNanos::from_secs(1_000));
        let mono = clock.monotonic();
        clock.jump_wall(365 * 24 * 3600 * NANOS_PER_SEC);
        assert_eq!(clock.wall(), WallNanos::from_secs(1_000 + 365 * 24 * 3600));
        assert_eq!(clock.monotonic(), mono);
        clock.set_wall(WallNanos::from_secs(5));
        assert_eq!(clock.wall(), WallNanos::from_secs(5));
    }

    #[test]
    fn the_real_clock_reads_the_system() {
        let clock = real_clock();
        let before = WallNanos::now();
        let wall = clock.wall();
        assert!(wall >= before && wall.nanos_since(before) < 60 * NANOS_PER_SEC);
        let a = clock.monotonic();
        assert!(clock.monotonic() >= a);
    }
}
