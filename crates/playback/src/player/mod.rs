//! One camera's archive player: [`logic::PlayerLogic`] over the recorded footage
//! ([`Recorded`]), run round by round on a named thread (`vigil-play-<camera id>`) that
//! sleeps on the shared [`PlaybackClock`] between rounds, publishing into a
//! latest-frame slot.
//!
//! Owns: the thread (start, wait, stop, join), the conversion of decoded pictures into
//! slot buffers, and the handle the UI holds. Must not: decide what to show (the logic
//! does), block the caller (requests go through the clock: seeks and steps alike, see
//! `clock.rs`), or poll: the thread waits on the clock until the next frame is due or
//! something changes.

pub(crate) mod logic;

#[cfg(test)]
mod fake;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::PlayerStatus;
use super::cache::DEFAULT_BUDGET_BYTES;
use super::clock::{PlaybackClock, PlayerId};
use super::footage::Recorded;
use super::source::{AvFrame, DECODE_THREADS};
use logic::{Next, Output, PlayerLogic, Shared};
use vigil_frame::FrameSlot;
use vigil_media::Notify;
use vigil_media::convert::FrameConverter;

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

/// How long stopping waits for the thread. A thread still inside a system call that
/// no interrupt reaches (a read on a hung network mount) is left to end on its own,
/// so review never hangs on a disk.
pub const STOP_WAIT: Duration = Duration::from_secs(2);

/// One camera's player; see the module docs. Stopped and joined on drop.
pub struct Player {
    camera: String,
    id: PlayerId,
    shared: Arc<Shared>,
    slot: Arc<FrameSlot>,
    clock: Arc<PlaybackClock>,
    thread: Option<JoinHandle<()>>,
    /// Disconnected (or sent on) when the thread's body has ended.
    ended: Receiver<()>,
}

/// Held by the player thread: says that it ended, also when it panicked.
struct EndSignal(SyncSender<()>);

impl Drop for EndSignal {
    fn drop(&mut self) {
        self.0.try_send(()).ok();
    }
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
        let shared = Arc::new(Shared::default());
        let slot = Arc::new(FrameSlot::default());
        let id = clock.register();
        let (camera, storage) = (camera_id.to_owned(), storage.to_path_buf());
        let (worker_clock, worker_shared, worker_slot) =
            (Arc::clone(&clock), Arc::clone(&shared), Arc::clone(&slot));
        let (ended_tx, ended) = sync_channel(1);
        let thread = std::thread::Builder::new()
            .name(format!("vigil-play-{camera_id}"))
            .spawn(move || {
                let _end = EndSignal(ended_tx);
                let span = tracing::info_span!("player", camera = %camera);
                let _enter = span.enter();
                ffmpeg_next::init().ok();
                // Built on its own thread: FFmpeg's contexts are not `Send`.
                let footage = Recorded::new(
                    &storage,
                    &camera,
                    options.decode_threads,
                    worker_shared.stop.clone(),
                );
                let output = SlotOutput {
                    slot: worker_slot,
                    converter: FrameConverter::default(),
                    seq: 0,
                    notify,
                };
                let logic = PlayerLogic::new(
                    &camera,
                    Arc::clone(&worker_clock),
                    id,
                    Arc::clone(&worker_shared),
                    footage,
                    output,
                    options.cache_bytes,
                );
                run(logic, &worker_clock, &worker_shared);
            })?;
        Ok(Player {
            camera: camera_id.to_owned(),
            id,
            shared,
            slot,
            clock,
            thread: Some(thread),
            ended,
        })
    }

    /// Frames for the GPU upload path; `pts_nanos` is the frame's wall time.
    pub fn slot(&self) -> &FrameSlot {
        &self.slot
    }

    pub fn status(&self) -> PlayerStatus {
        self.shared.status().clone()
    }

    pub fn stats(&self) -> PlayerStats {
        self.shared.stats()
    }

    /// Pauses the clock and moves this camera `frames` frames from its shown frame
    /// (negative: back), across GOPs and segments; then seeks the clock there (Exact)
    /// so the other players follow. The step is a request on the clock, after every
    /// seek made before it.
    pub fn step(&self, frames: i32) {
        if frames == 0 {
            self.clock.pause();
            return;
        }
        if !self.clock.step(self.id, frames) {
            tracing::debug!(camera = %self.camera, "oldest waiting step dropped");
        }
    }

    /// Stops the thread and waits for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.shared.stop.raise();
        self.clock.poke();
        let Some(thread) = self.thread.take() else {
            return;
        };
        match self.ended.recv_timeout(STOP_WAIT) {
            Ok(()) | Err(RecvTimeoutError::Disconnected) => {
                if thread.join().is_err() {
                    tracing::error!(camera = %self.camera, "player thread panicked");
                }
            }
            Err(RecvTimeoutError::Timeout) => tracing::warn!(
                camera = %self.camera,
                "player thread still waiting on the disk after {STOP_WAIT:?}; left to end by itself"
            ),
        }
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The thread: a round of the logic, then a wait on the clock until the next frame is
/// due or something changes, until stopped.
fn run<F, O>(mut logic: PlayerLogic<F, O>, clock: &PlaybackClock, shared: &Shared)
where
    F: super::footage::Footage,
    O: Output<F::Picture>,
{
    while !shared.stopping() {
        match logic.tick() {
            Next::Again => {}
            Next::Wait { epoch, duration } => {
                clock.wait_change(epoch, duration);
            }
        }
    }
    tracing::debug!("player stopped");
}

/// Publishes into the player's slot: the cached picture is converted once into a
/// buffer from the slot's pool (the one copy a shown frame costs).
struct SlotOutput {
    slot: Arc<FrameSlot>,
    converter: FrameConverter,
    seq: u64,
    notify: Notify,
}

impl Output<AvFrame> for SlotOutput {
    fn publish(&mut self, time_ns: i64, picture: &AvFrame) -> Result<(), String> {
        let mut dst = self.slot.take_buffer();
        if let Err(message) = self.converter.convert(picture, &mut dst) {
            self.slot.recycle(dst);
            return Err(message);
        }
        self.seq += 1;
        dst.seq = self.seq;
        dst.pts_nanos = time_ns;
        let now = Instant::now();
        dst.received_at = now;
        dst.decoded_at = now;
        self.slot.publish(dst);
        Ok(())
    }

    fn published(&mut self) {
        (self.notify)();
    }
}
