//! The playback clock that all players of a layout share, so they play in sync.
//!
//! Owns: where playback should be (`now()`), its speed and play/pause state, and the
//! newest seek request (a generation counter, so players serve only the newest seek and
//! drop the rest). Must not: decode, block on I/O, or know about cameras. Players wait
//! on it (`wait_change`) instead of polling.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use vigil_time::WallNanos;

/// The fastest playback in either direction.
pub const MAX_SPEED: f64 = 16.0;

/// How a seek should be served.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SeekMode {
    /// The nearest keyframe at or before the time: fast, for timeline drags.
    Preview,
    /// The frame whose time is the latest at or before the time.
    Exact,
}

#[derive(Clone, Copy, Debug)]
struct ClockState {
    /// `now()` was `anchor` at `anchor_at`.
    anchor: WallNanos,
    anchor_at: Instant,
    speed: f64,
    paused: bool,
    generation: u64,
    mode: SeekMode,
    /// Bumped on every change (seek, play, pause, poke): what waiters wait for.
    epoch: u64,
}

impl ClockState {
    fn now_at(&self, at: Instant) -> WallNanos {
        if self.paused {
            return self.anchor;
        }
        let elapsed = at.saturating_duration_since(self.anchor_at).as_nanos();
        // f64 keeps 53 bits: exact to the nanosecond for 104 days of elapsed time.
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
        let delta = (elapsed as f64 * self.speed).round() as i64;
        self.anchor.saturating_add_nanos(delta)
    }
}

/// What a player reads from the clock in one go.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClockSnapshot {
    pub now: WallNanos,
    pub paused: bool,
    pub speed: f64,
    pub generation: u64,
    /// The mode of the newest seek.
    pub mode: SeekMode,
    pub epoch: u64,
}

/// Shared (in an `Arc`) by all players of a layout.
#[derive(Debug)]
pub struct PlaybackClock {
    state: Mutex<ClockState>,
    changed: Condvar,
}

impl PlaybackClock {
    /// A clock paused at `start`.
    pub fn new(start: WallNanos) -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self {
            state: Mutex::new(ClockState {
                anchor: start,
                anchor_at: Instant::now(),
                speed: 1.0,
                paused: true,
                generation: 0,
                mode: SeekMode::Exact,
                epoch: 0,
            }),
            changed: Condvar::new(),
        })
    }

    /// Where players should be now (advances with the speed while playing).
    pub fn now(&self) -> WallNanos {
        self.lock().now_at(Instant::now())
    }

    /// Moves to `time`, keeping play/pause and speed; players serve it with `mode`.
    pub fn seek(&self, time: WallNanos, mode: SeekMode) {
        self.seek_generation(time, mode);
    }

    /// [`seek`](Self::seek), returning the generation it created (a player that made
    /// the seek itself marks it as served).
    pub fn seek_generation(&self, time: WallNanos, mode: SeekMode) -> u64 {
        let mut s = self.lock();
        s.anchor = time;
        s.anchor_at = Instant::now();
        s.generation += 1;
        s.mode = mode;
        s.epoch += 1;
        let generation = s.generation;
        drop(s);
        self.changed.notify_all();
        generation
    }

    /// Plays from `now()` at `speed` (clamped to ±16; negative plays in reverse). A
    /// speed of 0 (or not a number) pauses.
    pub fn play(&self, speed: f64) {
        let speed = if speed.is_finite() {
            speed.clamp(-MAX_SPEED, MAX_SPEED)
        } else {
            0.0
        };
        if speed == 0.0 {
            self.pause();
            return;
        }
        let mut s = self.lock();
        let at = Instant::now();
        s.anchor = s.now_at(at);
        s.anchor_at = at;
        s.speed = speed;
        s.paused = false;
        s.epoch += 1;
        drop(s);
        self.changed.notify_all();
    }

    /// Freezes at `now()`; players then show the exact frame there.
    pub fn pause(&self) {
        let mut s = self.lock();
        let at = Instant::now();
        s.anchor = s.now_at(at);
        s.anchor_at = at;
        s.paused = true;
        s.epoch += 1;
        drop(s);
        self.changed.notify_all();
    }

    pub fn is_paused(&self) -> bool {
        self.lock().paused
    }

    /// The speed of the last `play` (kept while paused).
    pub fn speed(&self) -> f64 {
        self.lock().speed
    }

    /// Counts seeks: a player compares it with the seek it is serving.
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Everything a player needs, read at one instant.
    pub fn snapshot(&self) -> ClockSnapshot {
        let s = self.lock();
        ClockSnapshot {
            now: s.now_at(Instant::now()),
            paused: s.paused,
            speed: s.speed,
            generation: s.generation,
            mode: s.mode,
            epoch: s.epoch,
        }
    }

    /// Wakes every waiting player without changing time (a player's own command or stop).
    pub fn poke(&self) {
        self.lock().epoch += 1;
        self.changed.notify_all();
    }

    /// Waits until something changes after `seen_epoch`, or `timeout` passes. Returns the
    /// epoch now.
    pub fn wait_change(&self, seen_epoch: u64, timeout: Duration) -> u64 {
        let guard = self.lock();
        let (guard, _) = self
            .changed
            .wait_timeout_while(guard, timeout, |s| s.epoch == seen_epoch)
            .unwrap_or_else(|e| e.into_inner());
        guard.epoch
    }

    fn lock(&self) -> MutexGuard<'_, ClockState> {
        // Plain data: a panic elsewhere cannot leave it half-written in a harmful way.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[cfg(test)]
    fn now_at(&self, at: Instant) -> WallNanos {
        self.lock().now_at(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: WallNanos = WallNanos(1_700_000_000_000_000_000);

    #[test]
    fn starts_paused_and_does_not_move() {
        let clock = PlaybackClock::new(T0);
        assert!(clock.is_paused());
        let later = Instant::now() + Duration::from_secs(5);
        assert_eq!(clock.now_at(later), T0);
        assert_eq!(clock.generation(), 0);
    }

    #[test]
    fn plays_at_speed_from_now_and_reverse() {
        let clock = PlaybackClock::new(T0);
        clock.play(2.0);
        let anchor_at = clock.lock().anchor_at;
        let anchor = clock.lock().anchor;
        assert!(anchor.nanos_since(T0) >= 0 && anchor.nanos_since(T0) < 10_000_000);
        let t = clock.now_at(anchor_at + Duration::from_millis(500));
        assert_eq!(t.nanos_since(anchor), 1_000_000_000, "2× for 0.5 s");
        clock.play(-4.0);
        let (anchor, anchor_at) = {
            let s = clock.lock();
            (s.anchor, s.anchor_at)
        };
        let t = clock.now_at(anchor_at + Duration::from_millis(250));
        assert_eq!(t.nanos_since(anchor), -1_000_000_000, "−4× for 0.25 s");
        assert_eq!(clock.speed(), -4.0);
    }

    #[test]
    fn speed_is_clamped_and_zero_pauses() {
        let clock = PlaybackClock::new(T0);
        clock.play(100.0);
        assert_eq!(clock.speed(), MAX_SPEED);
        clock.play(-100.0);
        assert_eq!(clock.speed(), -MAX_SPEED);
        clock.play(0.0);
        assert!(clock.is_paused());
        clock.play(f64::NAN);
        assert!(clock.is_paused());
    }

    #[test]
    fn pause_freezes_at_now() {
        let clock = PlaybackClock::new(T0);
        clock.play(1.0);
        std::thread::sleep(Duration::from_millis(20));
        clock.pause();
        let frozen = clock.now();
        assert!(frozen.nanos_since(T0) >= 20_000_000, "{frozen:?}");
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(clock.now(), frozen);
    }

    #[test]
    fn seek_keeps_play_state_and_bumps_generation() {
        let clock = PlaybackClock::new(T0);
        let target = T0.saturating_add_nanos(60_000_000_000);
        clock.seek(target, SeekMode::Preview);
        assert!(clock.is_paused());
        assert_eq!(clock.now(), target);
        assert_eq!(clock.generation(), 1);
        assert_eq!(clock.snapshot().mode, SeekMode::Preview);
        clock.play(1.0);
        let g = clock.seek_generation(T0, SeekMode::Exact);
        assert_eq!(g, 2);
        assert!(!clock.is_paused(), "seek keeps playing");
        let s = clock.snapshot();
        assert_eq!(s.mode, SeekMode::Exact);
        assert!(s.now >= T0);
    }

    #[test]
    fn waiters_wake_on_change_and_time_out_otherwise() {
        let clock = PlaybackClock::new(T0);
        let epoch = clock.snapshot().epoch;
        let started = Instant::now();
        assert_eq!(clock.wait_change(epoch, Duration::from_millis(30)), epoch);
        assert!(started.elapsed() >= Duration::from_millis(30));
        let c = std::sync::Arc::clone(&clock);
        let waker = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            c.seek(T0, SeekMode::Exact);
        });
        let woke = clock.wait_change(epoch, Duration::from_secs(10));
        assert!(woke > epoch);
        waker.join().expect("join");
    }
}
