//! The player's state machine, without a thread: it takes the requests and the time
//! from the [`PlaybackClock`], reads [`Footage`], keeps decoded GOPs in the cache, says
//! which frame to show (to an [`Output`]) and how long until the next round.
//!
//! Owns: serving seeks (preview: the keyframe at or before; exact: the latest frame at
//! or before, abandoned for a newer seek), steps across GOPs, segments and gaps, paced
//! play in both directions (keyframes only above 2× when decoding cannot keep up), the
//! player's status and counters. Must not: sleep, wait, spawn, or read the time except
//! through the clock's injected [`Clock`](vigil_time::Clock) — so a test drives it round
//! by round on a fake footage and a `SimClock`, with no thread and no timing.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::cache::{Gop, GopCache, GopKey, Want};
use crate::clock::{ClockSnapshot, PlaybackClock, PlayerId, Request, SeekMode};
use crate::footage::{Footage, Progress};
use crate::source::StopFlag;
use crate::{PlaybackError, PlayerState, PlayerStatus};
use vigil_store::Segment;
use vigil_time::{SharedClock, WallNanos};

use super::PlayerStats;

mod play;
mod step;

/// Longest wait before a round looks again (stop, new footage in a gap).
const IDLE_WAIT: Duration = Duration::from_millis(250);
/// Frame interval assumed before two frames of a GOP were seen.
const DEFAULT_FRAME_NANOS: i64 = 40_000_000;

/// Where the frames the logic chooses go: the frame slot in the real player, a list in
/// tests.
pub(crate) trait Output<P> {
    /// Shows `picture` (wall time `time_ns`); `Err` says why it could not be converted.
    fn publish(&mut self, time_ns: i64, picture: &P) -> Result<(), String>;
    /// The status now says what was published: wake whoever shows it.
    fn published(&mut self);
}

/// What the logic reports and its owner reads (any thread): status, counters, and the
/// request to stop.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    status: Mutex<PlayerStatus>,
    /// Raised to stop the player; FFmpeg polls it while a segment is slow to answer.
    pub(crate) stop: StopFlag,
    frames_decoded: AtomicU64,
    frames_published: AtomicU64,
    cache_bytes: AtomicUsize,
    cache_gops: AtomicUsize,
}

impl Shared {
    pub(crate) fn status(&self) -> MutexGuard<'_, PlayerStatus> {
        // Plain data: keep going after a panic elsewhere.
        self.status.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn stats(&self) -> PlayerStats {
        PlayerStats {
            frames_decoded: self.frames_decoded.load(Ordering::Relaxed),
            frames_published: self.frames_published.load(Ordering::Relaxed),
            cache_bytes: self.cache_bytes.load(Ordering::Relaxed),
            cache_gops: self.cache_gops.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn stopping(&self) -> bool {
        self.stop.is_raised()
    }
}

/// What to do after a round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Next {
    /// Work is left (a seek to serve after the one just answered, a step): go again.
    Again,
    /// Nothing to do before the clock changes after `epoch` or `duration` passes (the
    /// next frame of play is due then).
    Wait { epoch: u64, duration: Duration },
}

/// A seek not yet served.
#[derive(Clone, Copy, Debug)]
struct Target {
    time_ns: i64,
    mode: SeekMode,
    generation: u64,
}

/// Why decoding stopped early.
#[derive(Debug)]
enum Interrupt {
    /// A newer seek (or stop) arrived: the work is stale.
    Cancelled,
    Failed(PlaybackError),
}

impl From<PlaybackError> for Interrupt {
    fn from(e: PlaybackError) -> Self {
        Interrupt::Failed(e)
    }
}

/// Where a time is: a frame in a cached GOP, or nothing recorded.
enum Found {
    Frame { key: GopKey, index: usize },
    Gap,
}

/// One camera's player, round by round; see the module docs.
pub(crate) struct PlayerLogic<F: Footage, O: Output<F::Picture>> {
    camera: String,
    id: PlayerId,
    clock: Arc<PlaybackClock>,
    time: SharedClock,
    shared: Arc<Shared>,
    footage: F,
    output: O,
    cache: GopCache<F::Picture>,
    /// Wall time of the frame last published.
    shown: Option<i64>,
    /// The generation of the newest request taken from the clock.
    seen: u64,
    /// Nothing taken yet: the first round shows the clock's time.
    fresh: bool,
    seek: Option<Target>,
    steps: i32,
    was_paused: bool,
    /// Measured decode cost (exponential average).
    decode_nanos_per_frame: f64,
    /// Measured time between frames of the footage.
    frame_nanos: i64,
    last_error: Option<String>,
}

impl<F: Footage, O: Output<F::Picture>> PlayerLogic<F, O> {
    /// A player of `camera` that answers requests made on `clock` (and steps for `id`).
    pub(crate) fn new(
        camera: &str,
        clock: Arc<PlaybackClock>,
        id: PlayerId,
        shared: Arc<Shared>,
        footage: F,
        output: O,
        cache_bytes: usize,
    ) -> Self {
        Self {
            camera: camera.to_owned(),
            id,
            time: Arc::clone(clock.time()),
            clock,
            shared,
            footage,
            output,
            cache: GopCache::new(cache_bytes),
            shown: None,
            seen: 0,
            fresh: true,
            seek: None,
            steps: 0,
            was_paused: true,
            decode_nanos_per_frame: 0.0,
            frame_nanos: DEFAULT_FRAME_NANOS,
            last_error: None,
        }
    }

    #[cfg(test)]
    pub(crate) fn footage_mut(&mut self) -> &mut F {
        &mut self.footage
    }

    #[cfg(test)]
    pub(crate) fn output_mut(&mut self) -> &mut O {
        &mut self.output
    }

    /// One round: takes the clock's new requests and serves the first thing to do — the
    /// newest seek, then this player's steps, else the frame for the running clock.
    pub(crate) fn tick(&mut self) -> Next {
        let (snap, requests) = self.clock.requests_after(self.seen);
        self.take(&snap, requests);
        if self.seek.is_none() && self.steps != 0 {
            let frames = std::mem::take(&mut self.steps);
            self.step(frames);
            return Next::Again;
        }
        if self.seek.is_none() && snap.paused && !self.was_paused {
            // Paused while playing: show the exact frame where the clock stopped.
            self.seek = Some(Target {
                time_ns: snap.now.0,
                mode: SeekMode::Exact,
                generation: snap.generation,
            });
        }
        self.was_paused = snap.paused;
        if let Some(target) = self.seek {
            if self.serve_seek(target, &snap) {
                self.seek = None;
            }
            return Next::Again;
        }
        // Everything taken is answered (another player's step: by doing nothing).
        self.answered(self.seen);
        let duration = if snap.paused {
            IDLE_WAIT
        } else {
            self.play_tick(&snap)
        };
        Next::Wait {
            epoch: snap.epoch,
            duration: duration.min(IDLE_WAIT),
        }
    }

    /// Takes requests in order: a seek replaces what was pending, this player's steps
    /// add up after it, another player's steps are left to that player (its seek to the
    /// new frame follows).
    fn take(&mut self, snap: &ClockSnapshot, requests: Vec<(u64, Request)>) {
        for (generation, request) in requests {
            self.seen = generation;
            match request {
                Request::Seek { time, mode } => {
                    // Still the newest request: the clock has moved on from it if playing.
                    let time_ns = if generation == snap.generation {
                        snap.now.0
                    } else {
                        time.0
                    };
                    self.seek = Some(Target {
                        time_ns,
                        mode,
                        generation,
                    });
                    self.steps = 0;
                }
                Request::Step { player, frames } if player == self.id => {
                    self.steps = self.steps.saturating_add(frames);
                }
                Request::Step { .. } => {}
            }
        }
        if std::mem::take(&mut self.fresh) && self.seek.is_none() {
            // A new player shows where the clock is.
            self.seek = Some(Target {
                time_ns: snap.now.0,
                mode: SeekMode::Exact,
                generation: snap.generation,
            });
        }
    }

    fn stopping(&self) -> bool {
        self.shared.stopping()
    }

    fn set_state(&self, state: PlayerState) {
        self.shared.status().state = state;
    }

    /// Marks the clock's requests up to `generation` as answered (frame shown, gap or
    /// error).
    fn answered(&self, generation: u64) {
        let mut status = self.shared.status();
        status.generation = status.generation.max(generation);
    }

    fn fail(&mut self, err: &PlaybackError) {
        let text = err.to_string();
        if self.last_error.as_deref() != Some(&text) {
            tracing::warn!(error = %text, "playback failed");
            self.last_error = Some(text.clone());
        }
        // The file may have gone (retention) or changed: read everything again next time.
        self.footage.reset();
        self.set_state(PlayerState::Error(format!(
            "camera {}: {text}",
            self.camera
        )));
    }

    // ----- serving a seek -------------------------------------------------------------

    /// Serves `target`; false when a newer seek made it stale before it was answered.
    fn serve_seek(&mut self, target: Target, snap: &ClockSnapshot) -> bool {
        self.set_state(PlayerState::Seeking);
        let exact = target.mode == SeekMode::Exact;
        // A preview is bounded work (one keyframe): finish it even when a newer seek
        // came meanwhile, or a drag faster than one preview would never show anything.
        // An exact seek may decode a whole GOP: a newer seek cancels it.
        let cancel = exact.then_some(target.generation);
        match self.find(target.time_ns, exact, cancel) {
            Ok(Found::Frame { key, index }) => {
                let is_exact = exact || self.is_exact_for(key, index, target.time_ns);
                if self.publish(key, index, is_exact, false) {
                    self.set_state(if snap.paused {
                        PlayerState::Showing
                    } else {
                        PlayerState::Playing
                    });
                    self.last_error = None;
                }
            }
            Ok(Found::Gap) => self.set_state(PlayerState::NoFootage),
            Err(Interrupt::Cancelled) => return false,
            Err(Interrupt::Failed(err)) => self.fail(&err),
        }
        self.answered(target.generation);
        true
    }

    fn is_exact_for(&self, key: GopKey, index: usize, time_ns: i64) -> bool {
        self.cache
            .peek(key)
            .is_some_and(|g| g.covers(time_ns) && g.index_at(time_ns) == Some(index))
    }

    /// The frame for `time_ns`: the exact one (latest at or before), or its GOP's
    /// keyframe. Decodes what the cache lacks; `cancel`: give up when a seek newer than
    /// that generation comes.
    fn find(&mut self, time_ns: i64, exact: bool, cancel: Option<u64>) -> Result<Found, Interrupt> {
        let Some(segment) = self.footage.locate(time_ns)? else {
            return Ok(Found::Gap);
        };
        let (keyframe_ns, _) = self.footage.keyframe_around(&segment, time_ns)?;
        let key = GopKey {
            segment_id: segment.id,
            keyframe_ns,
        };
        let index = if exact {
            self.decode_until(&segment, key, cancel, time_ns, |g| g.want_time(time_ns))?;
            // A time before the GOP's first frame (a B-frame stream's keyframe shows a
            // little after its dts) shows that first frame.
            self.cache
                .get(key)
                .map(|g| g.index_at(time_ns).unwrap_or(0))
        } else {
            self.decode_until(&segment, key, cancel, time_ns, |g| g.want_index(0))?;
            self.cache.get(key).map(|_| 0)
        };
        Ok(match index {
            Some(index) if self.picture(key, index).is_some() => Found::Frame { key, index },
            _ => Found::Gap,
        })
    }

    fn picture(&self, key: GopKey, index: usize) -> Option<&F::Picture> {
        self.cache.peek(key).and_then(|g| g.picture(index))
    }

    /// Decodes `key`'s GOP until `want` is met, the GOP ends, or the file ends; from
    /// its keyframe again when `want` asks for a picture the cache dropped. `focus_ns`
    /// is where the caller works (what the cache keeps when the GOP is over budget).
    fn decode_until(
        &mut self,
        segment: &Segment,
        key: GopKey,
        cancel: Option<u64>,
        focus_ns: i64,
        want: impl Fn(&Gop<F::Picture>) -> Want,
    ) -> Result<(), Interrupt> {
        let restart = match self.cache.peek(key).map(&want) {
            Some(Want::Done) => return Ok(()),
            Some(Want::Redo) => true,
            Some(Want::More) | None => false,
        };
        self.footage.start_gop(segment, key.keyframe_ns, restart)?;
        let mut out = Vec::new();
        loop {
            if self.stopping() || cancel.is_some_and(|g| self.clock.seek_after(g)) {
                return Err(Interrupt::Cancelled);
            }
            let started = self.time.monotonic();
            let progress = self.footage.decode_step(&mut out)?;
            if !out.is_empty() {
                let spent = self.time.monotonic().saturating_duration_since(started);
                #[allow(clippy::cast_precision_loss)]
                let per = spent.as_nanos() as f64 / out.len() as f64;
                self.decode_nanos_per_frame = if self.decode_nanos_per_frame == 0.0 {
                    per
                } else {
                    0.9 * self.decode_nanos_per_frame + 0.1 * per
                };
            }
            self.shared
                .frames_decoded
                .fetch_add(out.len() as u64, Ordering::Relaxed);
            for (time_ns, frame) in out.drain(..) {
                self.cache.push_frame(key, time_ns, frame, focus_ns);
            }
            self.shared
                .cache_bytes
                .store(self.cache.bytes(), Ordering::Relaxed);
            self.shared
                .cache_gops
                .store(self.cache.len(), Ordering::Relaxed);
            if let Some(g) = self.cache.peek(key)
                && let [.., a, b] = g.frames.as_slice()
            {
                let step = b.time_ns - a.time_ns;
                if step > 0 {
                    self.frame_nanos = step;
                }
            }
            match progress {
                Progress::More => {
                    // Redo while decoding again means "not reached yet"; the GOP's end
                    // ends the pass in any case.
                    if self.cache.peek(key).map(&want) == Some(Want::Done) {
                        return Ok(());
                    }
                }
                Progress::GopEnd(_) => {
                    self.cache.set_complete(key);
                    return Ok(());
                }
                Progress::End => {
                    // A segment still being recorded goes on: its last GOP may grow.
                    if !segment.recording {
                        self.cache.set_complete(key);
                    }
                    return Ok(());
                }
            }
        }
    }

    // ----- publishing -----------------------------------------------------------------

    /// Hands the cached picture to the output; false (and an error status) when it
    /// could not be shown.
    fn publish(&mut self, key: GopKey, index: usize, exact: bool, keyframes_only: bool) -> bool {
        let Some(gop) = self.cache.peek(key) else {
            return false;
        };
        let (Some(picture), Some(time_ns)) =
            (gop.picture(index), gop.frames.get(index).map(|f| f.time_ns))
        else {
            return false;
        };
        if let Err(message) = self.output.publish(time_ns, picture) {
            let path = match self.footage.segment(key.segment_id) {
                Ok(Some(segment)) => self.footage.path(&segment),
                _ => Default::default(),
            };
            self.fail(&PlaybackError::Convert { path, message });
            return false;
        }
        self.shared.frames_published.fetch_add(1, Ordering::Relaxed);
        self.shown = Some(time_ns);
        {
            let mut status = self.shared.status();
            status.shown = Some(WallNanos(time_ns));
            status.exact = exact;
            status.keyframes_only = keyframes_only;
        }
        self.output.published();
        true
    }
}
