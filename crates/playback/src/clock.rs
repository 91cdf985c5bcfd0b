//! The playback clock that all players of a layout share, so they play in sync, and the
//! one path by which requests reach those players.
//!
//! Owns: where playback should be (`now()`), its speed and play/pause state, and the
//! requests made of the players — seeks and steps — in the order they were made, each
//! numbered by a generation counter. Time comes from an injected [`Clock`] (the real one,
//! or a `SimClock` in tests): the clock never calls `Instant::now()` itself. Must not:
//! decode, block on I/O, or know about cameras. Players wait on it (`wait_change`)
//! instead of polling.
//!
//! Why one request list rather than a step channel beside the clock: a seek must reach
//! every player of the layout (the clock is what they share), and a step must be ordered
//! against seeks — a step made after a seek steps from that seek's frame, a seek made
//! after a step replaces it. Two paths could not say which came first. A seek replaces
//! every request before it for every player, so the list holds only the newest seek and
//! the steps made since: a drag's 60 seeks a second coalesce to the newest one, and the
//! list stays short however far behind a player is.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use vigil_time::{SharedClock, WallNanos, real_clock};

/// The fastest playback in either direction.
pub const MAX_SPEED: f64 = 16.0;
/// Steps kept after the newest seek; beyond that the oldest goes (a user cannot press
/// that fast, and a player that is that far behind steps from where it is anyway).
pub const MAX_PENDING_STEPS: usize = 32;

/// How a seek should be served.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SeekMode {
    /// The nearest keyframe at or before the time: fast, for timeline drags.
    Preview,
    /// The frame whose time is the latest at or before the time.
    Exact,
}

/// Which player of a clock a step is for (each gets its own from [`PlaybackClock::register`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PlayerId(u64);

/// A request to the players of a clock.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Request {
    /// Show `time` (the clock's time when the seek was made) with `mode`.
    Seek { time: WallNanos, mode: SeekMode },
    /// `player` moves `frames` frames from the frame it shows (negative: back); the other
    /// players follow the seek it makes to its new frame.
    Step { player: PlayerId, frames: i32 },
}

#[derive(Debug)]
struct ClockState {
    /// `now()` was `anchor` at the monotonic instant `anchor_at`.
    anchor: WallNanos,
    anchor_at: Instant,
    speed: f64,
    paused: bool,
    /// Counts requests: the generation of the newest one.
    generation: u64,
    /// The generation of the newest seek.
    seek_generation: u64,
    /// The newest seek and the steps made since, with their generations, oldest first.
    requests: VecDeque<(u64, Request)>,
    /// Bumped on every change (request, play, pause, poke): what waiters wait for.
    epoch: u64,
    players: u64,
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

    fn push_seek(&mut self, time: WallNanos, mode: SeekMode, at: Instant) -> u64 {
        self.anchor = time;
        self.anchor_at = at;
        self.generation += 1;
        self.seek_generation = self.generation;
        self.requests.clear();
        self.requests
            .push_back((self.generation, Request::Seek { time, mode }));
        self.epoch += 1;
        self.generation
    }

    fn pause_at(&mut self, at: Instant) {
        self.anchor = self.now_at(at);
        self.anchor_at = at;
        self.paused = true;
    }
}

/// What a player reads from the clock in one go.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClockSnapshot {
    pub now: WallNanos,
    pub paused: bool,
    pub speed: f64,
    /// The generation of the newest request.
    pub generation: u64,
    pub epoch: u64,
}

/// Shared (in an `Arc`) by all players of a layout.
#[derive(Debug)]
pub struct PlaybackClock {
    time: SharedClock,
    state: Mutex<ClockState>,
    changed: Condvar,
}

impl PlaybackClock {
    /// A clock paused at `start`, on the operating system's time.
    pub fn new(start: WallNanos) -> Arc<Self> {
        Self::with_clock(start, real_clock())
    }

    /// A clock paused at `start` that reads elapsed time from `time` (a `SimClock` in
    /// tests: playback then moves only when the test moves it).
    pub fn with_clock(start: WallNanos, time: SharedClock) -> Arc<Self> {
        let anchor_at = time.monotonic();
        Arc::new(Self {
            time,
            state: Mutex::new(ClockState {
                anchor: start,
                anchor_at,
                speed: 1.0,
                paused: true,
                generation: 0,
                seek_generation: 0,
                requests: VecDeque::new(),
                epoch: 0,
                players: 0,
            }),
            changed: Condvar::new(),
        })
    }

    /// Where elapsed time comes from (players measure their decode cost with it too).
    pub fn time(&self) -> &SharedClock {
        &self.time
    }

    /// Where players should be now (advances with the speed while playing).
    pub fn now(&self) -> WallNanos {
        self.lock().now_at(self.time.monotonic())
    }

    /// Moves to `time`, keeping play/pause and speed; players serve it with `mode`. It
    /// replaces every request made before it.
    pub fn seek(&self, time: WallNanos, mode: SeekMode) {
        let at = self.time.monotonic();
        self.lock().push_seek(time, mode, at);
        self.changed.notify_all();
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
        let at = self.time.monotonic();
        let mut s = self.lock();
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
        let at = self.time.monotonic();
        let mut s = self.lock();
        s.pause_at(at);
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

    /// Counts requests (seeks and steps): a player's status says the newest it answered.
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Everything a player needs, read at one instant.
    pub fn snapshot(&self) -> ClockSnapshot {
        let at = self.time.monotonic();
        let s = self.lock();
        Self::snapshot_of(&s, at)
    }

    fn snapshot_of(s: &ClockState, at: Instant) -> ClockSnapshot {
        ClockSnapshot {
            now: s.now_at(at),
            paused: s.paused,
            speed: s.speed,
            generation: s.generation,
            epoch: s.epoch,
        }
    }

    /// A new player's identity, for its steps.
    pub(crate) fn register(&self) -> PlayerId {
        let mut s = self.lock();
        s.players += 1;
        PlayerId(s.players)
    }

    /// Pauses at once and asks `player` to step `frames` frames. False when the oldest
    /// waiting step had to go to make room.
    pub(crate) fn step(&self, player: PlayerId, frames: i32) -> bool {
        let at = self.time.monotonic();
        let mut s = self.lock();
        s.pause_at(at);
        s.epoch += 1;
        s.generation += 1;
        let generation = s.generation;
        s.requests
            .push_back((generation, Request::Step { player, frames }));
        let steps = |s: &ClockState| {
            s.requests
                .iter()
                .filter(|(_, r)| matches!(r, Request::Step { .. }))
                .count()
        };
        let kept = steps(&s) <= MAX_PENDING_STEPS;
        if !kept
            && let Some(i) = s
                .requests
                .iter()
                .position(|(_, r)| matches!(r, Request::Step { .. }))
        {
            s.requests.remove(i);
        }
        drop(s);
        self.changed.notify_all();
        kept
    }

    /// The clock now and every request newer than generation `after`, in order: what a
    /// player that has taken everything up to `after` has still to do.
    pub(crate) fn requests_after(&self, after: u64) -> (ClockSnapshot, Vec<(u64, Request)>) {
        let at = self.time.monotonic();
        let s = self.lock();
        let requests = s
            .requests
            .iter()
            .filter(|(g, _)| *g > after)
            .copied()
            .collect();
        (Self::snapshot_of(&s, at), requests)
    }

    /// A player answers its step: when nothing was requested after generation `after`,
    /// seeks (Exact) to the frame it now shows, so the other players follow, and returns
    /// that seek's generation. `None`: a newer request came, which the player takes next.
    pub(crate) fn answer_step(&self, after: u64, shown: WallNanos) -> Option<u64> {
        let at = self.time.monotonic();
        let mut s = self.lock();
        if s.generation != after {
            return None;
        }
        let generation = s.push_seek(shown, SeekMode::Exact, at);
        drop(s);
        self.changed.notify_all();
        Some(generation)
    }

    /// Whether a seek newer than generation `generation` was made (work for an older
    /// one is stale).
    pub(crate) fn seek_after(&self, generation: u64) -> bool {
        self.lock().seek_generation > generation
    }

    /// Wakes every waiting player without changing time (a player's stop).
    pub fn poke(&self) {
        self.lock().epoch += 1;
        self.changed.notify_all();
    }

    /// Waits until something changes after `seen_epoch`, or `timeout` passes (real
    /// time: this is the player thread's sleep). Returns the epoch now.
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_time::SimClock;

    const T0: WallNanos = WallNanos(1_700_000_000_000_000_000);
    const SEC: i64 = 1_000_000_000;

    fn sim() -> (Arc<SimClock>, Arc<PlaybackClock>) {
        let sim = SimClock::new(T0);
        let clock = PlaybackClock::with_clock(T0, Arc::clone(&sim) as SharedClock);
        (sim, clock)
    }

    #[test]
    fn starts_paused_and_does_not_move() {
        let (sim, clock) = sim();
        assert!(clock.is_paused());
        sim.advance(Duration::from_secs(5));
        assert_eq!(clock.now(), T0);
        assert_eq!(clock.generation(), 0);
    }

    #[test]
    fn plays_at_speed_in_both_directions_and_pause_holds() {
        let (sim, clock) = sim();
        clock.play(2.0);
        sim.advance(Duration::from_secs(1));
        assert_eq!(clock.now().nanos_since(T0), 2 * SEC, "2× for 1 s");
        clock.play(-4.0);
        assert_eq!(clock.speed(), -4.0);
        sim.advance(Duration::from_millis(250));
        assert_eq!(clock.now().nanos_since(T0), SEC, "−4× for 0.25 s");
        clock.pause();
        sim.advance(Duration::from_secs(3));
        assert_eq!(clock.now().nanos_since(T0), SEC, "paused: holds");
        assert_eq!(clock.speed(), -4.0, "speed kept while paused");
        clock.play(0.5);
        sim.advance(Duration::from_secs(2));
        assert_eq!(clock.now().nanos_since(T0), 2 * SEC);
        // The wall clock jumping (NTP, a person) does not move playback.
        sim.jump_wall(-3600 * SEC);
        assert_eq!(clock.now().nanos_since(T0), 2 * SEC);
    }

    #[test]
    fn speed_is_clamped_and_zero_pauses() {
        let (_sim, clock) = sim();
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
    fn seek_keeps_play_state_and_counts_a_generation() {
        let (sim, clock) = sim();
        let target = T0.saturating_add_nanos(60 * SEC);
        clock.seek(target, SeekMode::Preview);
        assert!(clock.is_paused());
        assert_eq!(clock.now(), target);
        assert_eq!(clock.generation(), 1);
        clock.play(1.0);
        clock.seek(T0, SeekMode::Exact);
        assert_eq!(clock.generation(), 2);
        assert!(!clock.is_paused(), "seek keeps playing");
        sim.advance(Duration::from_millis(40));
        assert_eq!(clock.now().nanos_since(T0), 40_000_000);
    }

    #[test]
    fn requests_come_in_order_and_a_seek_replaces_those_before_it() {
        let (sim, clock) = sim();
        let (a, b) = (clock.register(), clock.register());
        assert_ne!(a, b);
        clock.play(1.0);
        sim.advance(Duration::from_secs(1));
        assert!(clock.step(a, -1));
        assert!(clock.is_paused(), "a step pauses at once");
        assert_eq!(clock.now().nanos_since(T0), SEC);
        let t = T0.saturating_add_nanos(5 * SEC);
        clock.seek(t, SeekMode::Preview);
        assert!(clock.step(b, 2));
        assert!(clock.step(a, 1));
        let (snap, requests) = clock.requests_after(0);
        assert_eq!(snap.generation, 4);
        assert_eq!(
            requests,
            vec![
                (
                    2,
                    Request::Seek {
                        time: t,
                        mode: SeekMode::Preview
                    }
                ),
                (
                    3,
                    Request::Step {
                        player: b,
                        frames: 2
                    }
                ),
                (
                    4,
                    Request::Step {
                        player: a,
                        frames: 1
                    }
                ),
            ],
            "the step before the seek is gone"
        );
        assert_eq!(clock.requests_after(3).1.len(), 1);
        assert!(clock.requests_after(4).1.is_empty());
        assert!(!clock.seek_after(2), "steps are not seeks");
        assert!(clock.seek_after(1));
    }

    #[test]
    fn steps_are_bounded_and_answered_only_when_nothing_came_after() {
        let (_sim, clock) = sim();
        let a = clock.register();
        clock.seek(T0, SeekMode::Exact);
        for _ in 0..MAX_PENDING_STEPS {
            assert!(clock.step(a, 1));
        }
        assert!(!clock.step(a, 1), "a full list drops the oldest step");
        let g = clock.generation();
        assert_eq!(g, MAX_PENDING_STEPS as u64 + 2);
        let kept = clock.requests_after(0).1;
        assert_eq!(kept.len(), MAX_PENDING_STEPS + 1, "the seek and 32 steps");
        assert!(matches!(kept[0], (1, Request::Seek { .. })));
        assert_eq!(kept[1].0, 3, "step 2 went");
        let shown = T0.saturating_add_nanos(40_000_000);
        assert_eq!(clock.answer_step(g - 1, shown), None, "a newer step waits");
        assert_eq!(clock.answer_step(g, shown), Some(g + 1));
        assert_eq!(clock.now(), shown);
        assert_eq!(
            clock.requests_after(0).1,
            vec![(
                g + 1,
                Request::Seek {
                    time: shown,
                    mode: SeekMode::Exact
                }
            )]
        );
        assert!(clock.step(a, 1), "room again after the seek");
    }

    #[test]
    fn waiters_wake_on_change_and_time_out_otherwise() {
        let clock = PlaybackClock::new(T0);
        let epoch = clock.snapshot().epoch;
        let started = Instant::now();
        assert_eq!(clock.wait_change(epoch, Duration::from_millis(30)), epoch);
        assert!(started.elapsed() >= Duration::from_millis(30));
        let c = Arc::clone(&clock);
        let waker = std::thread::Builder::new()
            .name("test-waker".to_owned())
            .spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                c.seek(T0, SeekMode::Exact);
            })
            .expect("spawn");
        let woke = clock.wait_change(epoch, Duration::from_secs(10));
        assert!(woke > epoch);
        waker.join().expect("join");
    }
}
