//! The ingest's watchdog: decides when a blocking FFmpeg call has waited too long — the
//! open timeout while connecting, the stall timeout once the stream is live.
//!
//! Owns: that decision, read from the engine's [`Clock`] (its monotonic reading), so a
//! test moves a stall to the nanosecond with a `SimClock`. Must not: sleep, or interrupt
//! anything itself — FFmpeg polls [`Watchdog::expired`] from its interrupt callback.
//!
//! A wait has timed out when it has lasted **at least** its limit (`>=`): a camera
//! silent for exactly the stall timeout is stalled, one nanosecond less is not.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use vigil_time::SharedClock;

/// Times one wait at a time; shared between the ingest thread and FFmpeg's callback.
#[derive(Debug)]
pub(crate) struct Watchdog {
    clock: SharedClock,
    epoch: Instant,
    /// When the current wait started, in nanoseconds since `epoch`.
    started_nanos: AtomicU64,
    limit_nanos: AtomicU64,
    tripped: AtomicBool,
}

fn nanos_u64(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Watchdog {
    /// A watchdog whose first wait, starting now, may last `limit`.
    pub(crate) fn new(clock: SharedClock, limit: Duration) -> Self {
        let epoch = clock.monotonic();
        let w = Self {
            clock,
            epoch,
            started_nanos: AtomicU64::new(0),
            limit_nanos: AtomicU64::new(0),
            tripped: AtomicBool::new(false),
        };
        w.arm(limit);
        w
    }

    fn now_nanos(&self) -> u64 {
        nanos_u64(self.clock.monotonic().saturating_duration_since(self.epoch))
    }

    /// Starts a new wait of at most `limit`.
    pub(crate) fn arm(&self, limit: Duration) {
        self.limit_nanos.store(nanos_u64(limit), Ordering::Relaxed);
        self.started_nanos
            .store(self.now_nanos(), Ordering::Relaxed);
    }

    /// Restarts the current wait (called before each blocking call).
    pub(crate) fn feed(&self) {
        self.started_nanos
            .store(self.now_nanos(), Ordering::Relaxed);
    }

    /// True once the current wait has lasted its limit or longer; remembers it.
    pub(crate) fn expired(&self) -> bool {
        let waited = self
            .now_nanos()
            .saturating_sub(self.started_nanos.load(Ordering::Relaxed));
        if waited >= self.limit_nanos.load(Ordering::Relaxed) {
            self.tripped.store(true, Ordering::Relaxed);
            true
        } else {
            false
        }
    }

    /// True when [`Self::expired`] ever said so: the failure that follows is ours.
    pub(crate) fn tripped(&self) -> bool {
        self.tripped.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Failure;
    use vigil_time::{SimClock, WallNanos};

    const NANO: Duration = Duration::from_nanos(1);

    /// A live camera goes silent: the stall timeout is counted on the clock, and the
    /// failure is `Stalled` exactly when the timeout is reached.
    #[test]
    fn a_camera_silent_for_exactly_the_stall_timeout_is_stalled() {
        let stall = Duration::from_secs(3);
        let clock = SimClock::new(WallNanos::from_secs(1_774_745_997));
        let watchdog = Watchdog::new(clock.clone(), Duration::from_secs(5));
        // Live: the stall limit applies from the last packet on.
        watchdog.arm(stall);
        clock.advance(Duration::from_millis(40));
        watchdog.feed();
        clock.advance(stall - NANO);
        assert!(!watchdog.expired(), "1 ns before the stall timeout");
        assert!(!watchdog.tripped());
        clock.advance(NANO);
        assert!(watchdog.expired(), "at exactly the stall timeout");
        assert!(watchdog.tripped());
        let failure = Failure::from_ffmpeg(&ffmpeg_next::Error::Exit, watchdog.tripped(), true);
        assert_eq!(failure, Failure::Stalled);
    }

    /// Real time passing does not stall a stream whose clock stands still, and a wall
    /// clock jump does not either: only the monotonic reading counts.
    #[test]
    fn only_the_clocks_monotonic_reading_counts() {
        let clock = SimClock::new(WallNanos::from_secs(1_774_745_997));
        let watchdog = Watchdog::new(clock.clone(), Duration::from_millis(1));
        std::thread::sleep(Duration::from_millis(5));
        clock.jump_wall(365 * vigil_time::NANOS_PER_DAY);
        assert!(!watchdog.expired());
        clock.advance(Duration::from_millis(1));
        assert!(watchdog.expired());
    }
}
