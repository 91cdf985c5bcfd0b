//! One camera's archive player: a named thread (`vigil-play-<camera id>`) that follows
//! the shared [`PlaybackClock`] and publishes the camera's frame for the clock's time.
//!
//! Owns: the player's state machine (seek → preview or exact frame, paced play in both
//! directions, steps), its segment reader and GOP cache, and its status. Must not:
//! block the caller (commands go through a bounded channel and the clock), hold more
//! decoded frames than the cache budget, or publish frames out of order while playing.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};

use super::cache::{DEFAULT_BUDGET_BYTES, Gop, GopCache, GopKey, SLOP_NANOS, Want};
use super::clock::{ClockSnapshot, PlaybackClock, SeekMode};
use super::source::{AvFrame, DECODE_THREADS, Decoder, Index, Progress, SegmentReader};
use super::{PlaybackError, PlayerState, PlayerStatus};
use vigil_frame::FrameSlot;
use vigil_media::Notify;
use vigil_media::convert::FrameConverter;
use vigil_store::Segment;
use vigil_time::WallNanos;

/// Longest wait before the thread looks again (stop, new footage in a gap).
const IDLE_WAIT: Duration = Duration::from_millis(250);
/// Pending step commands; more are dropped (a user cannot press that fast).
const COMMAND_CAPACITY: usize = 32;
/// Frame interval assumed before two frames of a GOP were seen.
const DEFAULT_FRAME_NANOS: i64 = 40_000_000;
/// Segment files a player keeps open: seeking back and forth between a few segments
/// does not open (and probe) a file each time; each costs a demuxer and a decoder.
const OPEN_READERS: usize = 3;
/// Above this speed, play shows only keyframes when decoding cannot keep up.
const KEYFRAMES_ONLY_ABOVE: f64 = 2.0;

enum Command {
    Step(i32),
}

struct Shared {
    slot: FrameSlot,
    status: Mutex<PlayerStatus>,
    stop: AtomicBool,
    frames_decoded: AtomicU64,
    frames_published: AtomicU64,
    cache_bytes: AtomicUsize,
    cache_gops: AtomicUsize,
}

/// How a player is set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlayerOptions {
    /// Budget of the decoded-GOP cache.
    pub cache_bytes: usize,
    /// FFmpeg decoder threads (frame threading when above 1).
    pub decode_threads: usize,
}

impl Default for PlayerOptions {
    fn default() -> Self {
        Self {
            cache_bytes: DEFAULT_BUDGET_BYTES,
            decode_threads: DECODE_THREADS,
        }
    }
}

/// Counters of one player, for tests and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlayerStats {
    pub frames_decoded: u64,
    pub frames_published: u64,
    /// Bytes held by the decoded-GOP cache, and how many GOPs.
    pub cache_bytes: usize,
    pub cache_gops: usize,
}

impl Shared {
    fn status(&self) -> MutexGuard<'_, PlayerStatus> {
        // Plain data: keep going after a panic elsewhere.
        self.status.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One camera's player; see the module docs. Stopped and joined on drop.
pub struct Player {
    camera: String,
    shared: Arc<Shared>,
    clock: Arc<PlaybackClock>,
    commands: Sender<Command>,
    thread: Option<JoinHandle<()>>,
}

impl Player {
    /// Starts the player thread for `camera_id` over the storage folder `storage`.
    /// Failing to read the index is reported in [`status`](Self::status), not here.
    pub fn start(
        storage: &Path,
        camera_id: &str,
        clock: Arc<PlaybackClock>,
        notify: Notify,
    ) -> std::io::Result<Player> {
        Self::start_with(storage, camera_id, clock, notify, PlayerOptions::default())
    }

    /// [`start`](Self::start) with other options.
    pub fn start_with(
        storage: &Path,
        camera_id: &str,
        clock: Arc<PlaybackClock>,
        notify: Notify,
        options: PlayerOptions,
    ) -> std::io::Result<Player> {
        let shared = Arc::new(Shared {
            slot: FrameSlot::default(),
            status: Mutex::new(PlayerStatus::default()),
            stop: AtomicBool::new(false),
            frames_decoded: AtomicU64::new(0),
            frames_published: AtomicU64::new(0),
            cache_bytes: AtomicUsize::new(0),
            cache_gops: AtomicUsize::new(0),
        });
        let (commands, receiver) = bounded(COMMAND_CAPACITY);
        let (camera, storage) = (camera_id.to_owned(), storage.to_path_buf());
        let (worker_clock, worker_shared) = (Arc::clone(&clock), Arc::clone(&shared));
        let thread = std::thread::Builder::new()
            .name(format!("vigil-play-{camera_id}"))
            .spawn(move || {
                // Built on its own thread: FFmpeg's contexts are not `Send`.
                Worker {
                    camera,
                    storage,
                    clock: worker_clock,
                    shared: worker_shared,
                    notify,
                    commands: receiver,
                    index: None,
                    readers: Vec::new(),
                    decoder: None,
                    cache: GopCache::new(options.cache_bytes),
                    converter: FrameConverter::default(),
                    decode_threads: options.decode_threads.max(1),
                    decoding: None,
                    shown: None,
                    seq: 0,
                    seen_generation: u64::MAX,
                    was_paused: true,
                    target: None,
                    decode_nanos_per_frame: 0.0,
                    frame_nanos: DEFAULT_FRAME_NANOS,
                    last_error: None,
                }
                .run();
            })?;
        Ok(Player {
            camera: camera_id.to_owned(),
            shared,
            clock,
            commands,
            thread: Some(thread),
        })
    }

    /// The camera this player shows.
    pub fn camera_id(&self) -> &str {
        &self.camera
    }

    /// Frames for the GPU upload path; `pts_nanos` is the frame's wall time.
    pub fn slot(&self) -> &FrameSlot {
        &self.shared.slot
    }

    pub fn status(&self) -> PlayerStatus {
        self.shared.status().clone()
    }

    pub fn stats(&self) -> PlayerStats {
        PlayerStats {
            frames_decoded: self.shared.frames_decoded.load(Ordering::Relaxed),
            frames_published: self.shared.frames_published.load(Ordering::Relaxed),
            cache_bytes: self.shared.cache_bytes.load(Ordering::Relaxed),
            cache_gops: self.shared.cache_gops.load(Ordering::Relaxed),
        }
    }

    /// Pauses the clock and moves this camera `frames` frames from its shown frame
    /// (negative: back), across GOPs and segments; then seeks the clock there (Exact)
    /// so the other players follow.
    pub fn step(&self, frames: i32) {
        self.clock.pause();
        if frames == 0 {
            return;
        }
        match self.commands.try_send(Command::Step(frames)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                tracing::debug!(camera = %self.camera, "step dropped: steps pending");
            }
            Err(TrySendError::Disconnected(_)) => {
                tracing::debug!(camera = %self.camera, "step after the player stopped");
            }
        }
        self.clock.poke();
    }

    /// Stops the thread and waits for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.clock.poke();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!(camera = %self.camera, "player thread panicked");
        }
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// A seek not yet served.
#[derive(Clone, Copy, Debug)]
struct Target {
    time_ns: i64,
    mode: SeekMode,
    generation: u64,
}

/// The frame last published.
#[derive(Clone, Copy, Debug)]
struct Shown {
    time_ns: i64,
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

struct Worker {
    camera: String,
    storage: PathBuf,
    clock: Arc<PlaybackClock>,
    shared: Arc<Shared>,
    notify: Notify,
    commands: Receiver<Command>,
    index: Option<Index>,
    /// Open segment readers, most recently used first (at most [`OPEN_READERS`]).
    readers: Vec<SegmentReader>,
    /// The decoder, shared by readers of the same stream configuration.
    decoder: Option<Decoder>,
    cache: GopCache<AvFrame>,
    converter: FrameConverter,
    decode_threads: usize,
    /// The GOP the reader's next packet belongs to (when the reader is continuable).
    decoding: Option<GopKey>,
    shown: Option<Shown>,
    seq: u64,
    seen_generation: u64,
    was_paused: bool,
    target: Option<Target>,
    /// Measured decode cost (exponential average).
    decode_nanos_per_frame: f64,
    /// Measured time between frames of the footage.
    frame_nanos: i64,
    last_error: Option<String>,
}

impl Worker {
    fn run(mut self) {
        let span = tracing::info_span!("player", camera = %self.camera);
        let _enter = span.enter();
        ffmpeg_next::init().ok();
        while !self.stopping() {
            let mut steps: i32 = 0;
            while let Ok(Command::Step(n)) = self.commands.try_recv() {
                steps = steps.saturating_add(n);
            }
            if steps != 0 {
                self.step(steps);
                continue;
            }
            let snap = self.clock.snapshot();
            if snap.generation != self.seen_generation {
                self.seen_generation = snap.generation;
                self.target = Some(Target {
                    time_ns: snap.now.0,
                    mode: snap.mode,
                    generation: snap.generation,
                });
            } else if snap.paused && !self.was_paused {
                // Paused while playing: show the exact frame where the clock stopped.
                self.target = Some(Target {
                    time_ns: snap.now.0,
                    mode: SeekMode::Exact,
                    generation: snap.generation,
                });
            }
            self.was_paused = snap.paused;
            let wait = if let Some(target) = self.target.take() {
                self.serve_seek(target, &snap);
                continue;
            } else if snap.paused {
                IDLE_WAIT
            } else {
                self.play_tick(&snap)
            };
            self.clock.wait_change(snap.epoch, wait.min(IDLE_WAIT));
        }
        tracing::debug!("player stopped");
    }

    fn stopping(&self) -> bool {
        self.shared.stop.load(Ordering::SeqCst)
    }

    fn set_state(&self, state: PlayerState) {
        let mut status = self.shared.status();
        status.state = state;
    }

    /// Marks the clock's seek `generation` as answered (frame shown, gap or error).
    fn set_served(&self, generation: u64) {
        self.shared.status().generation = generation;
    }

    fn fail(&mut self, err: &PlaybackError) {
        let text = err.to_string();
        if self.last_error.as_deref() != Some(&text) {
            tracing::warn!(error = %text, "playback failed");
            self.last_error = Some(text.clone());
        }
        // The file may have gone (retention) or changed: read everything again next time.
        self.readers.clear();
        self.decoder = None;
        self.decoding = None;
        if let Some(index) = self.index.as_mut() {
            index.invalidate();
        }
        self.set_state(PlayerState::Error(format!(
            "camera {}: {text}",
            self.camera
        )));
    }

    fn index(&mut self) -> Result<&mut Index, PlaybackError> {
        if self.index.is_none() {
            self.index = Some(Index::open(&self.storage, &self.camera)?);
        }
        match self.index.as_mut() {
            Some(index) => Ok(index),
            None => unreachable!("index set above"),
        }
    }

    // ----- serving a seek -------------------------------------------------------------

    fn serve_seek(&mut self, target: Target, snap: &ClockSnapshot) {
        self.set_state(PlayerState::Seeking);
        let exact = target.mode == SeekMode::Exact;
        // A preview is bounded work (one keyframe): finish it even when a newer seek
        // came meanwhile, or a drag faster than one preview would never show anything.
        // An exact seek may decode a whole GOP: a newer seek cancels it.
        let cancel = exact.then_some(target.generation);
        match self.find(target.time_ns, exact, cancel) {
            Ok(Found::Frame { key, index }) => {
                let is_exact = exact || self.is_exact_for(key, index, target.time_ns);
                self.publish(key, index, is_exact, false);
                self.set_state(if snap.paused {
                    PlayerState::Showing
                } else {
                    PlayerState::Playing
                });
                self.last_error = None;
            }
            Ok(Found::Gap) => self.set_state(PlayerState::NoFootage),
            Err(Interrupt::Cancelled) => return,
            Err(Interrupt::Failed(err)) => self.fail(&err),
        }
        self.set_served(target.generation);
    }

    fn is_exact_for(&self, key: GopKey, index: usize, time_ns: i64) -> bool {
        self.cache
            .peek(key)
            .is_some_and(|g| g.covers(time_ns) && g.index_at(time_ns) == Some(index))
    }

    /// The frame for `time_ns`: the exact one (latest at or before), or its GOP's
    /// keyframe. Decodes what the cache lacks.
    fn find(&mut self, time_ns: i64, exact: bool, cancel: Option<u64>) -> Result<Found, Interrupt> {
        let index = self.index()?;
        let Some(segment) = index.locate(time_ns)? else {
            return Ok(Found::Gap);
        };
        let (keyframe_ns, _) = index.keyframe_around(&segment, time_ns)?;
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

    fn picture(&self, key: GopKey, index: usize) -> Option<&AvFrame> {
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
        want: impl Fn(&Gop<AvFrame>) -> Want,
    ) -> Result<(), Interrupt> {
        let redo = match self.cache.peek(key).map(&want) {
            Some(Want::Done) => return Ok(()),
            Some(Want::Redo) => true,
            Some(Want::More) | None => false,
        };
        self.use_reader(segment)?;
        let Some(reader) = self.readers.first_mut() else {
            return Ok(());
        };
        // One decoder moves between segments of the same stream configuration, so its
        // buffer pool (where evicted cache frames go back to) is reused, not refilled.
        let decoder = match self.decoder.take() {
            Some(d) if d.fits(reader) => d,
            _ => {
                self.decoding = None;
                Decoder::for_reader(reader, self.decode_threads)?
            }
        };
        let decoder = self.decoder.insert(decoder);
        if redo || self.decoding != Some(key) || !reader.continuable() {
            reader.seek_keyframe(key.keyframe_ns, decoder)?;
            self.decoding = Some(key);
        }
        let mut out = Vec::new();
        loop {
            if self.shared.stop.load(Ordering::Relaxed)
                || cancel.is_some_and(|g| self.clock.generation() != g)
            {
                return Err(Interrupt::Cancelled);
            }
            let started = Instant::now();
            let progress = reader.decode_step(decoder, &mut out)?;
            if !out.is_empty() {
                #[allow(clippy::cast_precision_loss)]
                let per = started.elapsed().as_nanos() as f64 / out.len() as f64;
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
                Progress::GopEnd(next_wall) => {
                    self.cache.set_complete(key);
                    // The reader now starts the next GOP: find its key in the index.
                    let next = self
                        .index
                        .as_mut()
                        .map(|i| i.keyframe_around(segment, next_wall))
                        .transpose()?;
                    self.decoding = next.map(|(k, _)| GopKey {
                        segment_id: segment.id,
                        keyframe_ns: k,
                    });
                    if self.decoding == Some(key) {
                        // The index does not know this keyframe (odd file): no reuse.
                        self.decoding = None;
                    }
                    return Ok(());
                }
                Progress::End => {
                    if !segment.recording {
                        self.cache.set_complete(key);
                    }
                    self.decoding = None;
                    return Ok(());
                }
            }
        }
    }

    /// Puts an open reader of `segment` first in `readers`, opening it when needed (or
    /// again when the segment grew while being recorded: the demuxer saw only the
    /// fragments there were at open).
    fn use_reader(&mut self, segment: &Segment) -> Result<(), PlaybackError> {
        if let Some(i) = self.readers.iter().position(|r| r.segment.id == segment.id) {
            let grew = self.readers[i].segment.end_ns != segment.end_ns && segment.recording;
            if !grew {
                if i > 0 {
                    self.readers[..=i].rotate_right(1);
                    // `decoding` refers to the reader that was first.
                    self.decoding = None;
                }
                return Ok(());
            }
            self.readers.remove(i);
            if self.decoding.is_some_and(|k| k.segment_id == segment.id) {
                self.decoding = None;
            }
        }
        let reader = SegmentReader::open(&self.storage, segment)?;
        self.readers.insert(0, reader);
        self.readers.truncate(OPEN_READERS);
        // `decoding` refers to the reader that was first; it no longer is.
        self.decoding = None;
        Ok(())
    }

    // ----- publishing -----------------------------------------------------------------

    /// Converts the cached picture into a slot buffer (the one copy a shown frame
    /// costs) and publishes it.
    fn publish(&mut self, key: GopKey, index: usize, exact: bool, keyframes_only: bool) {
        let Some(gop) = self.cache.peek(key) else {
            return;
        };
        let (Some(src), Some(time_ns)) =
            (gop.picture(index), gop.frames.get(index).map(|f| f.time_ns))
        else {
            return;
        };
        let mut dst = self.shared.slot.take_buffer();
        if let Err(message) = self.converter.convert(src, &mut dst) {
            self.shared.slot.recycle(dst);
            let path = self
                .readers
                .first()
                .map(|r| r.path().to_path_buf())
                .unwrap_or_default();
            self.fail(&PlaybackError::Convert { path, message });
            return;
        }
        self.seq += 1;
        dst.seq = self.seq;
        dst.pts_nanos = time_ns;
        let now = Instant::now();
        dst.received_at = now;
        dst.decoded_at = now;
        self.shared.slot.publish(dst);
        self.shared.frames_published.fetch_add(1, Ordering::Relaxed);
        self.shown = Some(Shown { time_ns });
        {
            let mut status = self.shared.status();
            status.shown = Some(WallNanos(time_ns));
            status.exact = exact;
            status.keyframes_only = keyframes_only;
        }
        (self.notify)();
    }

    // ----- play -----------------------------------------------------------------------

    /// Shows the frame for the running clock; returns how long until the next one is due.
    fn play_tick(&mut self, snap: &ClockSnapshot) -> Duration {
        let t = snap.now.0;
        let speed = snap.speed;
        let forward = speed > 0.0;
        let segment = match self.index().and_then(|i| i.locate(t)) {
            Ok(s) => s,
            Err(err) => {
                self.fail(&err);
                return IDLE_WAIT;
            }
        };
        let Some(segment) = segment else {
            self.set_state(PlayerState::NoFootage);
            return self.until_footage(t, speed);
        };
        let (key, next_keyframe) = match self.index().and_then(|i| i.keyframe_around(&segment, t)) {
            Ok((k, next)) => (
                GopKey {
                    segment_id: segment.id,
                    keyframe_ns: k,
                },
                next.unwrap_or(segment.end_ns),
            ),
            Err(err) => {
                self.fail(&err);
                return IDLE_WAIT;
            }
        };
        let cached = self.cache.peek(key).is_some_and(|g| g.covers(t));
        let keyframes_only = !cached && !self.keeps_up(speed);
        let found = self.find(t, !keyframes_only, Some(snap.generation));
        let (key, index) = match found {
            Ok(Found::Frame { key, index }) => (key, index),
            Ok(Found::Gap) => {
                self.set_state(PlayerState::NoFootage);
                return self.until_footage(t, speed);
            }
            Err(Interrupt::Cancelled) => return Duration::ZERO,
            Err(Interrupt::Failed(err)) => {
                self.fail(&err);
                return IDLE_WAIT;
            }
        };
        let Some(time_ns) = self
            .cache
            .peek(key)
            .and_then(|g| g.frames.get(index))
            .map(|f| f.time_ns)
        else {
            return IDLE_WAIT;
        };
        let newer = match self.shown {
            None => true,
            Some(s) if forward => time_ns > s.time_ns + SLOP_NANOS,
            Some(s) => time_ns < s.time_ns - SLOP_NANOS,
        };
        if newer {
            self.publish(key, index, !keyframes_only, keyframes_only);
        }
        self.set_state(PlayerState::Playing);
        self.last_error = None;
        // When is the next frame due?
        let now = self.clock.now().0;
        let shown = self.shown.map_or(time_ns, |s| s.time_ns);
        let next_time = if forward && keyframes_only {
            next_keyframe
        } else if forward {
            self.cache
                .peek(key)
                .and_then(|g| g.index_of(shown).and_then(|i| g.frames.get(i + 1)))
                .map_or(shown + self.frame_nanos, |f| f.time_ns)
        } else {
            shown - 1
        };
        real_wait(next_time - now, speed)
    }

    fn keeps_up(&self, speed: f64) -> bool {
        keeps_up(self.decode_nanos_per_frame, self.frame_nanos, speed)
    }

    /// How long until the clock reaches footage again (bounded by the idle wait, since
    /// new footage may be recorded meanwhile).
    fn until_footage(&mut self, t: i64, speed: f64) -> Duration {
        let Some(index) = self.index.as_mut() else {
            return IDLE_WAIT;
        };
        let edge = if speed > 0.0 {
            index.next_after(t).map(|s| s.map(|s| s.start_ns))
        } else {
            index.previous_before(t).map(|s| s.map(|s| s.end_ns - 1))
        };
        match edge {
            Ok(Some(e)) => real_wait(e - t, speed),
            Ok(None) => IDLE_WAIT,
            Err(err) => {
                tracing::debug!(error = %err, "index query failed");
                IDLE_WAIT
            }
        }
    }

    // ----- steps ----------------------------------------------------------------------

    fn step(&mut self, frames: i32) {
        self.set_state(PlayerState::Seeking);
        match self.step_inner(frames) {
            Ok(Some((key, index))) => {
                self.publish(key, index, true, false);
                if let Some(shown) = self.shown {
                    let generation = self
                        .clock
                        .seek_generation(WallNanos(shown.time_ns), SeekMode::Exact);
                    // Our own seek: already served.
                    self.seen_generation = generation;
                    self.target = None;
                    self.set_served(generation);
                }
                self.was_paused = true;
                self.set_state(PlayerState::Showing);
                self.last_error = None;
            }
            Ok(None) => self.set_state(PlayerState::NoFootage),
            Err(Interrupt::Cancelled) => {}
            Err(Interrupt::Failed(err)) => self.fail(&err),
        }
    }

    fn step_inner(&mut self, frames: i32) -> Result<Option<(GopKey, usize)>, Interrupt> {
        let from = match self.shown {
            Some(s) => s.time_ns,
            None => self.clock.now().0,
        };
        let Found::Frame { key, index } = self.find(from, true, None)? else {
            return Ok(None);
        };
        let mut at = (key, index);
        for _ in 0..frames.unsigned_abs() {
            let next = if frames > 0 {
                self.next_frame(at)?
            } else {
                self.previous_frame(at)?
            };
            match next {
                Some(n) => at = n,
                None => break, // the end (or start) of the footage
            }
        }
        Ok(Some(at))
    }

    fn segment_of(&mut self, id: i64) -> Result<Option<Segment>, PlaybackError> {
        self.index()?.segment(id)
    }

    fn next_frame(
        &mut self,
        (key, i): (GopKey, usize),
    ) -> Result<Option<(GopKey, usize)>, Interrupt> {
        let Some(segment) = self.segment_of(key.segment_id)? else {
            return Ok(None);
        };
        let focus = self.frame_time(key, i).saturating_add(1);
        self.decode_until(&segment, key, None, focus, |g| g.want_index(i + 1))?;
        if self.picture(key, i + 1).is_some() {
            return Ok(Some((key, i + 1)));
        }
        let index = self.index()?;
        let (_, next_kf) = index.keyframe_around(&segment, key.keyframe_ns)?;
        let (segment, next_key) = match next_kf {
            Some(k) => (
                segment.clone(),
                GopKey {
                    segment_id: segment.id,
                    keyframe_ns: k,
                },
            ),
            None => {
                let Some(next) = index.next_after(segment.start_ns)? else {
                    return Ok(None);
                };
                let first = index
                    .keyframes(&next)?
                    .first()
                    .copied()
                    .unwrap_or(next.start_ns);
                let key = GopKey {
                    segment_id: next.id,
                    keyframe_ns: first,
                };
                (next, key)
            }
        };
        self.decode_until(&segment, next_key, None, next_key.keyframe_ns, |g| {
            g.want_index(0)
        })?;
        Ok(self.picture(next_key, 0).map(|_| (next_key, 0)))
    }

    fn previous_frame(
        &mut self,
        (key, i): (GopKey, usize),
    ) -> Result<Option<(GopKey, usize)>, Interrupt> {
        let Some(segment) = self.segment_of(key.segment_id)? else {
            return Ok(None);
        };
        if i > 0 {
            let focus = self.frame_time(key, i - 1);
            self.decode_until(&segment, key, None, focus, |g| g.want_index(i - 1))?;
            return Ok(self.picture(key, i - 1).map(|_| (key, i - 1)));
        }
        let index = self.index()?;
        let kfs = index.keyframes(&segment)?;
        let before = kfs
            .iter()
            .rev()
            .find(|k| **k < key.keyframe_ns - SLOP_NANOS)
            .copied();
        let (segment, prev_key) = match before {
            Some(k) => (
                segment.clone(),
                GopKey {
                    segment_id: segment.id,
                    keyframe_ns: k,
                },
            ),
            None => {
                let Some(prev) = index.previous_before(segment.start_ns + SLOP_NANOS)? else {
                    return Ok(None);
                };
                let last = index
                    .keyframes(&prev)?
                    .last()
                    .copied()
                    .unwrap_or(prev.start_ns);
                let key = GopKey {
                    segment_id: prev.id,
                    keyframe_ns: last,
                };
                (prev, key)
            }
        };
        // The whole previous GOP: its last frame is the one wanted.
        self.decode_until(
            &segment,
            prev_key,
            None,
            i64::MAX,
            Gop::<AvFrame>::want_complete,
        )?;
        Ok(self
            .cache
            .peek(prev_key)
            .and_then(|g| g.frames.len().checked_sub(1))
            .filter(|&last| self.picture(prev_key, last).is_some())
            .map(|last| (prev_key, last)))
    }

    /// Time of frame `index` of a cached GOP (its keyframe time when unknown).
    fn frame_time(&self, key: GopKey, index: usize) -> i64 {
        self.cache
            .peek(key)
            .and_then(|g| g.frames.get(index))
            .map_or(key.keyframe_ns, |f| f.time_ns)
    }
}

/// Whether decoding every frame keeps up with the clock at `speed` (always up to 2×).
/// Forward, a continuing decoder decodes each frame once; reverse decodes each GOP once
/// and then walks the cache: either way one decode per frame of footage, which must
/// take under 80 % of a frame's time at this speed. Unmeasured: it does not.
fn keeps_up(decode_nanos_per_frame: f64, frame_nanos: i64, speed: f64) -> bool {
    if speed.abs() <= KEYFRAMES_ONLY_ABOVE {
        return true;
    }
    #[allow(clippy::cast_precision_loss)]
    let budget = frame_nanos as f64 / speed.abs();
    decode_nanos_per_frame > 0.0 && decode_nanos_per_frame < 0.8 * budget
}

/// Real time for the clock to move `media_nanos` at `speed` (zero when already past).
fn real_wait(media_nanos: i64, speed: f64) -> Duration {
    #[allow(clippy::cast_precision_loss)]
    let secs = media_nanos as f64 / 1e9 / speed;
    if secs.is_finite() && secs > 0.0 {
        Duration::from_secs_f64(secs.min(3600.0))
    } else {
        Duration::ZERO
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyframes_only_above_2x_when_decoding_cannot_keep_up() {
        // 25 fps footage, 8 ms per decode (1080p on this machine).
        let (decode, frame) = (8e6, 40_000_000);
        assert!(keeps_up(decode, frame, 1.0));
        assert!(keeps_up(decode, frame, -2.0));
        assert!(keeps_up(0.0, frame, 2.0), "up to 2x always every frame");
        assert!(keeps_up(decode, frame, 3.0), "8 ms < 0.8 x 13.3 ms");
        assert!(!keeps_up(decode, frame, 4.0), "8 ms is not < 0.8 x 10 ms");
        assert!(!keeps_up(decode, frame, 8.0), "8 ms > 0.8 x 5 ms");
        assert!(!keeps_up(decode, frame, -16.0));
        assert!(keeps_up(1e6, frame, 16.0), "1 ms decodes keep up at 16x");
        assert!(!keeps_up(0.0, frame, 4.0), "unmeasured: keyframes first");
    }

    #[test]
    fn waits_scale_with_speed_and_never_go_negative() {
        assert_eq!(real_wait(40_000_000, 1.0), Duration::from_millis(40));
        assert_eq!(real_wait(40_000_000, 4.0), Duration::from_millis(10));
        assert_eq!(real_wait(-40_000_000, -2.0), Duration::from_millis(20));
        assert_eq!(real_wait(-1, 1.0), Duration::ZERO);
        assert_eq!(real_wait(1, 0.0), Duration::ZERO);
    }
}
