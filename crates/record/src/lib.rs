//! Recording: one named thread per camera (`vigil-rec-<camera id>`) takes the encoded
//! packets of the camera's ingest and writes them, without transcoding, into fragmented
//! MP4 segments indexed in the store.
//!
//! Owns: when segments start and end (keyframes, ~1 min, reconnects, events with pre-
//! and post-roll), gaps and their reasons, pausing on a full disk and resuming when
//! space returns, and the recorder's visible state; the storage folder's files: startup
//! repair (`reconcile`, with MP4 box scanning in `mp4`), retention (`retention`, the only
//! code that deletes footage) and the one-writer lock (`lock`). Must not: decode, or
//! block the ingest (it reads a bounded queue).
//!
//! Time: a recorder reads one [`Clock`] — by default its ingest's, on which packet
//! arrival times are measured. Segment start times are that clock's wall reading at the
//! first packet's arrival; stalls, retries and event windows are counted on its
//! monotonic reading. Only the waits between looks are real time.

pub mod archive;
mod clock;
pub mod identity;
pub mod lock;
pub mod mp4;
pub mod reconcile;
pub mod retention;
pub mod seed;
pub mod segment_path;
pub mod site;
pub mod writer;

pub use seed::ensure_demo_history;
pub use site::{SiteRecording, SiteRecordingOptions};

#[cfg(test)]
mod clock_tests;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use clock::{readings, wall_ns_of};
use vigil_media::IngestShared;
use vigil_media::queue::{PacketQueue, QueuedPacket};
use vigil_store::{GapReason, SegmentTrigger, Store};
use vigil_time::{Clock, SharedClock};
use writer::file::{RealFiles, SegmentFiles};
use writer::{SegmentStart, SegmentWriter, WriteError};

pub use vigil_config::RecordingMode;

/// How one camera records.
#[derive(Clone, Debug)]
pub struct RecorderConfig {
    pub camera_id: String,
    /// The storage folder (its index is `index.sqlite3` inside).
    pub storage: PathBuf,
    pub mode: RecordingMode,
    /// Segments are cut at the first keyframe after this long.
    pub segment_duration: Duration,
    pub pre_roll: Duration,
    pub post_roll: Duration,
    /// After a full disk, recording resumes once this much is free again.
    pub resume_free_bytes: u64,
    /// How often a paused recorder looks again (disk full, I/O error).
    pub retry_interval: Duration,
    /// A recording camera silent this long (or longer) closes its segment (camera
    /// offline).
    pub stall: Duration,
    /// The recorder's packet queue holds at most this many bytes, and packets at most
    /// this old (`None`: the pre-roll plus 10 s, at least 20 s); beyond, the queue
    /// drops what it holds and resumes at the next keyframe, and the recorder records
    /// a gap ("recorder fell behind").
    pub queue_bytes: usize,
    pub queue_max_age: Option<Duration>,
    /// The clock the recorder reads. `None` (the default): its ingest's
    /// ([`IngestShared::clock`]), on which the packets' arrival times are measured;
    /// another clock must read the same monotonic time.
    pub clock: Option<SharedClock>,
    /// Creates the segment files: the disk ([`RealFiles`]); tests fail chosen writes.
    pub files: Arc<dyn SegmentFiles>,
}

impl RecorderConfig {
    pub fn new(camera_id: &str, storage: impl Into<PathBuf>) -> Self {
        Self {
            camera_id: camera_id.to_owned(),
            storage: storage.into(),
            mode: RecordingMode::Continuous,
            segment_duration: Duration::from_secs(60),
            pre_roll: Duration::from_secs(5),
            post_roll: Duration::from_secs(10),
            resume_free_bytes: 256 << 20,
            retry_interval: Duration::from_secs(2),
            stall: Duration::from_secs(5),
            queue_bytes: 64 << 20,
            queue_max_age: None,
            clock: None,
            files: Arc::new(RealFiles),
        }
    }
}

/// What a recorder is doing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecorderState {
    /// Waiting for the stream (or its next keyframe).
    Waiting,
    /// Events mode between events: keeping the pre-roll in memory.
    Armed,
    Recording,
    /// Stopped by a full disk; resumes by itself when space returns.
    DiskFull,
    /// Stopped by another error; retries.
    Failed(String),
    Stopped,
}

/// A recorder's state for the UI and tests.
#[derive(Clone, Debug)]
pub struct RecorderStatus {
    pub state: RecorderState,
    /// Segments started since the recorder started.
    pub segments: u64,
    /// Wall time (UTC ns) up to which footage is durable and indexed.
    pub durable_end_ns: Option<i64>,
    /// The last error, said for a person.
    pub last_error: Option<String>,
}

struct Shared {
    clock: SharedClock,
    status: Mutex<RecorderStatus>,
    stop: AtomicBool,
    /// Events mode: record until this reading of the clock (post-roll comes on top).
    event_until: Mutex<Option<Instant>>,
    /// Triggers not yet written to the index (the recorder thread writes them).
    events: Mutex<Vec<PendingEvent>>,
}

/// A trigger waiting for the recorder thread to index it.
struct PendingEvent {
    time_ns: i64,
    end_ns: Option<i64>,
    kind: String,
    note: String,
}

/// Most triggers waiting to be indexed; beyond that the oldest are dropped (logged).
const MAX_PENDING_EVENTS: usize = 1024;

impl Shared {
    fn update(&self, f: impl FnOnce(&mut RecorderStatus)) {
        f(&mut self.status.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

/// Starts event recordings on one camera; cheap to clone, for the alert work to hold.
#[derive(Clone)]
pub struct EventTrigger(Arc<Shared>);

impl EventTrigger {
    /// An event happens now and lasts `hold` (0 for an instant): footage from the
    /// pre-roll before now to `hold` + post-roll after now is recorded. Triggers
    /// during an event extend it.
    ///
    /// The trigger is also indexed as an event (`kind = "trigger"`, from now to now +
    /// `hold`) by the recorder thread, in any mode.
    pub fn trigger(&self, hold: Duration) {
        self.trigger_as("trigger", "", hold);
    }

    /// [`Self::trigger`] with the event's kind and a note (alerts: `motion`, …).
    pub fn trigger_as(&self, kind: &str, note: &str, hold: Duration) {
        let wall = self.hold(hold);
        let time_ns = wall.0;
        let hold_ns = i64::try_from(hold.as_nanos()).unwrap_or(i64::MAX);
        let mut events = self.0.events.lock().unwrap_or_else(|e| e.into_inner());
        if events.len() >= MAX_PENDING_EVENTS {
            events.remove(0);
            tracing::warn!("too many triggers waiting to be indexed: the oldest dropped");
        }
        events.push(PendingEvent {
            time_ns,
            end_ns: (hold_ns > 0).then(|| time_ns.saturating_add(hold_ns)),
            kind: kind.to_owned(),
            note: note.to_owned(),
        });
    }
}

impl EventTrigger {
    /// Records around an event that is indexed elsewhere (alerts write their own
    /// rows): footage from the pre-roll before now to `hold` + post-roll after now,
    /// extending a running event; writes no event row. Returns the wall time now.
    pub fn hold(&self, hold: Duration) -> vigil_time::WallNanos {
        let (wall, now) = readings(&*self.0.clock);
        let until = now + hold;
        let mut guard = self.0.event_until.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none_or(|u| u < until) {
            *guard = Some(until);
        }
        wall
    }
}

/// Reads a recorder's status from another thread; cheap to clone.
#[derive(Clone)]
pub struct RecorderWatch(Arc<Shared>);

impl RecorderWatch {
    pub fn status(&self) -> RecorderStatus {
        self.0
            .status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// A camera's recorder thread.
pub struct Recorder {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Recorder {
    /// Starts recording `ingest`'s packets. Run `store::reconcile` on the storage
    /// folder before the first recorder starts.
    pub fn start(config: RecorderConfig, ingest: Arc<IngestShared>) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            clock: config
                .clock
                .clone()
                .unwrap_or_else(|| Arc::clone(ingest.clock())),
            status: Mutex::new(RecorderStatus {
                state: RecorderState::Waiting,
                segments: 0,
                durable_end_ns: None,
                last_error: None,
            }),
            stop: AtomicBool::new(false),
            event_until: Mutex::new(None),
            events: Mutex::new(Vec::new()),
        });
        let thread = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name(format!("vigil-rec-{}", config.camera_id))
                .spawn(move || run(&config, &ingest, &shared))?
        };
        Ok(Self {
            shared,
            thread: Some(thread),
        })
    }

    pub fn status(&self) -> RecorderStatus {
        self.shared
            .status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn trigger(&self) -> EventTrigger {
        EventTrigger(Arc::clone(&self.shared))
    }

    /// A handle that reads this recorder's status from another thread (retention).
    pub fn watch(&self) -> RecorderWatch {
        RecorderWatch(Arc::clone(&self.shared))
    }

    /// Asks the thread to close its segment and end, without waiting for it.
    pub fn request_stop(&self) {
        self.shared.stop.store(true, Ordering::SeqCst);
    }

    /// True once the thread has ended (joining it then does not block).
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Closes the current segment and ends the thread.
    pub fn stop(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("a recorder thread panicked");
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

struct Run<'a> {
    config: &'a RecorderConfig,
    clock: &'a dyn Clock,
    ingest: &'a IngestShared,
    shared: &'a Shared,
    store: Store,
    writer: Option<(SegmentWriter, u64)>,
    /// Why the next gap (before the next segment) happened.
    pending_gap: Option<GapReason>,
    /// A gap row already written and still open (disk full).
    open_gap: Option<i64>,
    /// Events mode: packets from a keyframe on, covering at least the pre-roll.
    preroll: VecDeque<QueuedPacket>,
    /// Since when (monotonic) and why writing is paused.
    paused: Option<(Instant, GapReason)>,
    /// When (monotonic) the last packet was taken from the queue.
    last_packet: Instant,
    /// The queue's overflow count already accounted for.
    overflows_seen: u64,
}

fn run(config: &RecorderConfig, ingest: &Arc<IngestShared>, shared: &Arc<Shared>) {
    let span = tracing::info_span!("recorder", camera = %config.camera_id);
    let _enter = span.enter();
    let store = match Store::open(&config.storage) {
        Ok(store) => store,
        Err(err) => {
            tracing::error!(%err, "recorder cannot open its index");
            shared.update(|s| {
                s.state = RecorderState::Failed(err.to_string());
                s.last_error = Some(err.to_string());
            });
            return;
        }
    };
    if config.mode == RecordingMode::Off {
        shared.update(|s| s.state = RecorderState::Stopped);
        return;
    }
    let max_age = config
        .queue_max_age
        .unwrap_or_else(|| config.pre_roll.max(Duration::from_secs(10)) + Duration::from_secs(10));
    let queue = ingest.subscribe(config.queue_bytes, max_age);
    tracing::info!(mode = ?config.mode, "recorder started");
    let clock = &*shared.clock;
    let mut run = Run {
        config,
        clock,
        ingest,
        shared,
        store,
        writer: None,
        pending_gap: Some(GapReason::NotRunning),
        open_gap: None,
        preroll: VecDeque::new(),
        paused: None,
        last_packet: clock.monotonic(),
        overflows_seen: 0,
    };
    if config.mode == RecordingMode::Events {
        shared.update(|s| s.state = RecorderState::Armed);
    }
    while !shared.stop.load(Ordering::SeqCst) {
        run.index_events();
        run.step(&queue);
    }
    run.index_events();
    if let Err(err) = run.finish_segment() {
        run.failed(&err);
    }
    if let Some(id) = run.open_gap.take()
        && let Err(err) = run.store.close_gap(id, clock.wall().0)
    {
        tracing::warn!(%err, "cannot close the open gap");
    }
    ingest.unsubscribe(&queue);
    shared.update(|s| s.state = RecorderState::Stopped);
    tracing::info!("recorder stopped");
}

impl Run<'_> {
    /// Writes the triggers received since the last look as event rows.
    fn index_events(&mut self) {
        let pending =
            std::mem::take(&mut *self.shared.events.lock().unwrap_or_else(|e| e.into_inner()));
        for event in pending {
            if let Err(err) = self.store.add_event(
                &self.config.camera_id,
                event.time_ns,
                event.end_ns,
                &event.kind,
                &event.note,
            ) {
                tracing::warn!(%err, kind = %event.kind, "cannot index an event");
            }
        }
    }

    /// Time since `at` on the clock's monotonic reading.
    fn since(&self, at: Instant) -> Duration {
        self.clock.monotonic().saturating_duration_since(at)
    }

    fn step(&mut self, queue: &PacketQueue) {
        if let Some((since, reason)) = self.paused {
            // Keep the queue from filling; what arrives now is the gap.
            while queue.pop(Duration::ZERO).is_some() {}
            self.overflows_seen = queue.overflows.load(Ordering::Relaxed);
            if self.since(since) < self.config.retry_interval {
                std::thread::sleep(Duration::from_millis(50));
                return;
            }
            let free = retention::free_bytes(&self.config.storage).unwrap_or(0);
            if reason == GapReason::DiskFull && free < self.config.resume_free_bytes {
                self.paused = Some((self.clock.monotonic(), reason));
                return;
            }
            tracing::info!(free, "recording resumes");
            self.paused = None;
            self.set_state(if self.config.mode == RecordingMode::Events {
                RecorderState::Armed
            } else {
                RecorderState::Waiting
            });
            return;
        }
        let Some(item) = queue.pop(Duration::from_millis(200)) else {
            if self.writer.is_some() && self.since(self.last_packet) >= self.config.stall {
                tracing::warn!("no packets: closing the segment");
                if let Err(err) = self.finish_segment() {
                    self.failed(&err);
                    return;
                }
                self.pending_gap = Some(GapReason::CameraOffline);
                self.set_state(RecorderState::Waiting);
            }
            return;
        };
        self.last_packet = self.clock.monotonic();
        let overflows = queue.overflows.load(Ordering::Relaxed);
        if overflows != self.overflows_seen {
            self.overflows_seen = overflows;
            if let Err(err) = self.fell_behind(queue) {
                self.failed(&err);
                return;
            }
        }
        if let Err(err) = self.handle(&item) {
            self.failed(&err);
        }
    }

    /// The queue overflowed: the packets it dropped are lost. The segment ends at what
    /// was written, and the next one (from the keyframe the queue resumed at) starts
    /// after a gap saying why.
    fn fell_behind(&mut self, queue: &PacketQueue) -> Result<(), WriteError> {
        tracing::warn!(
            skipped = queue.skipped.load(Ordering::Relaxed),
            "the recorder fell behind its camera: packets dropped; a gap is recorded"
        );
        self.preroll.clear();
        if self.writer.is_some() {
            self.finish_segment()?;
        }
        self.pending_gap = Some(GapReason::RecorderBehind);
        Ok(())
    }

    fn set_state(&self, state: RecorderState) {
        self.shared.update(|s| s.state = state);
    }

    fn handle(&mut self, item: &QueuedPacket) -> Result<(), WriteError> {
        if let Some((_, generation)) = &self.writer
            && *generation != item.generation
        {
            tracing::info!("stream reconnected: new segment");
            self.finish_segment()?;
            self.pending_gap = Some(GapReason::CameraOffline);
        }
        match self.config.mode {
            RecordingMode::Off => Ok(()),
            RecordingMode::Continuous => self.continuous(item),
            RecordingMode::Events => self.events(item),
        }
    }

    fn continuous(&mut self, item: &QueuedPacket) -> Result<(), WriteError> {
        if item.is_key()
            && let Some((writer, _)) = &self.writer
            && writer.written_end_ns() - writer.start_ns()
                >= i64::try_from(self.config.segment_duration.as_nanos()).unwrap_or(i64::MAX)
        {
            // A failure here pauses the recorder: no new segment until it resumes.
            self.finish_segment()?;
        }
        if self.writer.is_none() {
            if !item.is_key() {
                return Ok(());
            }
            self.start_segment(item, SegmentTrigger::Continuous)?;
        }
        self.write(item)
    }

    fn events(&mut self, item: &QueuedPacket) -> Result<(), WriteError> {
        let now = self.clock.monotonic();
        let active = self
            .shared
            .event_until
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some_and(|until| now < until + self.config.post_roll);
        if !active {
            if self.writer.is_some() {
                tracing::info!("event over");
                self.finish_segment()?;
                self.set_state(RecorderState::Armed);
            }
            self.keep_preroll(item);
            return Ok(());
        }
        if self.writer.is_some() {
            return self.continuous(item);
        }
        self.keep_preroll(item);
        let Some(first) = self.preroll.front().cloned() else {
            return Ok(()); // no keyframe yet
        };
        tracing::info!(
            pre_roll_secs = self.since(first.received_at).as_secs_f64(),
            "event: recording"
        );
        self.start_segment(&first, SegmentTrigger::Event)?;
        let buffered: Vec<QueuedPacket> = self.preroll.drain(..).collect();
        for packet in &buffered {
            self.write(packet)?;
        }
        Ok(())
    }

    /// Keeps whole GOPs covering at least the pre-roll.
    fn keep_preroll(&mut self, item: &QueuedPacket) {
        if self.preroll.is_empty() && !item.is_key() {
            return;
        }
        self.preroll.push_back(item.clone());
        loop {
            // The second keyframe: drop the first GOP when the rest still covers the
            // pre-roll.
            let second_key = self.preroll.iter().skip(1).position(QueuedPacket::is_key);
            let Some(i) = second_key else { break };
            // The slack covers the time between a trigger and the next packet.
            let keep = self.config.pre_roll + Duration::from_millis(250);
            if self.since(self.preroll[i + 1].received_at) >= keep {
                self.preroll.drain(..=i);
            } else {
                break;
            }
        }
    }

    fn start_segment(
        &mut self,
        first: &QueuedPacket,
        trigger: SegmentTrigger,
    ) -> Result<(), WriteError> {
        let Some((parameters, info, generation)) = self.ingest.parameters() else {
            return Ok(());
        };
        if generation != first.generation {
            return Ok(()); // a packet from before a reconnect
        }
        let start_ns = wall_ns_of(self.clock, first.received_at);
        // Before the new row exists: where the camera's footage ended.
        let previous_end = self.store.last_end(&self.config.camera_id);
        let writer = SegmentWriter::create_in(
            self.config.files.as_ref(),
            &self.store,
            SegmentStart {
                camera: &self.config.camera_id,
                parameters,
                codec: &info.codec,
                width: info.width,
                height: info.height,
                time_base: info.time_base,
                start_ns,
                source_dts: first.packet.dts().or(first.packet.pts()).unwrap_or(0),
                trigger,
            },
        )?;
        self.record_gap(previous_end, start_ns, trigger);
        self.writer = Some((writer, generation));
        self.shared.update(|s| {
            s.state = RecorderState::Recording;
            s.segments += 1;
            s.last_error = None;
        });
        Ok(())
    }

    /// Writes the gap that ends where a new segment starts.
    fn record_gap(
        &mut self,
        previous_end: Result<Option<i64>, vigil_store::StoreError>,
        start_ns: i64,
        trigger: SegmentTrigger,
    ) {
        let result = if let Some(id) = self.open_gap.take() {
            self.store.close_gap(id, start_ns)
        } else if let Some(reason) = self.pending_gap.take()
            && trigger == SegmentTrigger::Continuous
        {
            match previous_end {
                Ok(Some(last_end)) if start_ns > last_end => self
                    .store
                    .insert_gap(&self.config.camera_id, last_end, Some(start_ns), reason)
                    .map(|_| ()),
                Ok(_) => Ok(()),
                Err(err) => Err(err),
            }
        } else {
            Ok(())
        };
        self.pending_gap = None;
        if let Err(err) = result {
            tracing::warn!(%err, "cannot record a gap");
        }
    }

    fn write(&mut self, item: &QueuedPacket) -> Result<(), WriteError> {
        let Some((writer, _)) = &mut self.writer else {
            return Ok(());
        };
        writer.write(&mut self.store, &item.packet)?;
        let end = writer.durable_end_ns();
        self.shared.update(|s| s.durable_end_ns = Some(end));
        Ok(())
    }

    /// Closes the current segment. On an error the writer has already cut the segment
    /// back to its last durable fragment and closed its row there; the caller hands the
    /// error to [`Self::failed`] and starts nothing until the recorder resumes.
    fn finish_segment(&mut self) -> Result<(), WriteError> {
        if let Some((writer, _)) = self.writer.take() {
            let end = writer.written_end_ns();
            writer.finish(&mut self.store)?;
            self.shared.update(|s| s.durable_end_ns = Some(end));
        }
        Ok(())
    }

    /// Stops writing after an error: the segment is cut back to its last durable
    /// fragment, a gap is opened, and the recorder retries later.
    fn failed(&mut self, err: &WriteError) {
        let durable_end = self
            .writer
            .as_ref()
            .map(|(w, _)| w.durable_end_ns())
            .or_else(|| self.store.last_end(&self.config.camera_id).ok().flatten())
            .unwrap_or_else(|| self.clock.wall().0);
        if let Some((writer, _)) = self.writer.take() {
            writer.abandon(&mut self.store);
        }
        self.preroll.clear();
        let reason = if err.is_disk_full() {
            tracing::error!(%err, "disk full: recording stopped until space returns");
            GapReason::DiskFull
        } else {
            tracing::error!(%err, "recording failed; retrying");
            GapReason::IoError
        };
        if self.open_gap.is_none() {
            match self
                .store
                .insert_gap(&self.config.camera_id, durable_end, None, reason)
            {
                Ok(id) => self.open_gap = Some(id),
                // The index may be on the full disk too: write it when space returns.
                Err(e) => tracing::warn!(err = %e, "cannot record the gap yet"),
            }
        }
        self.pending_gap = Some(reason);
        self.paused = Some((self.clock.monotonic(), reason));
        let message = if reason == GapReason::DiskFull {
            format!(
                "disk full in {}: recording stopped until space returns ({err})",
                self.config.storage.display()
            )
        } else {
            err.to_string()
        };
        self.shared.update(|s| {
            s.state = if reason == GapReason::DiskFull {
                RecorderState::DiskFull
            } else {
                RecorderState::Failed(message.clone())
            };
            s.last_error = Some(message);
        });
    }
}
