//! The running streams: one ingest per connected camera stream, one decoder per
//! displayed stream. Ingests nobody watches linger for a grace period so switching back
//! is instant (their keyframe cache gives a picture at once), then close.
//!
//! Owns: worker threads and their handles, and joining them, and the clock the ingests
//! read (the grace period is counted on it too). Must not: block the caller on a worker
//! (stopping only sets flags; joins happen later or at shutdown).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::decoder::{self, StreamShared};
use super::ingest::{self, IngestShared, Notify};
use super::source::{StreamKey, StreamSpec};
use vigil_time::{SharedClock, real_clock};

/// How long an ingest without decoders stays connected.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(10);

struct IngestEntry {
    spec: StreamSpec,
    shared: Arc<IngestShared>,
    thread: JoinHandle<()>,
    unwatched_since: Option<Instant>,
}

struct DecoderEntry {
    shared: Arc<StreamShared>,
    thread: JoinHandle<()>,
}

/// Starts and stops ingests and decoders.
pub struct Engine {
    ingests: HashMap<StreamKey, IngestEntry>,
    decoders: HashMap<StreamKey, DecoderEntry>,
    stopping: Vec<JoinHandle<()>>,
    notify: Notify,
    grace: Duration,
    clock: SharedClock,
}

impl Engine {
    /// `notify` is called from workers whenever a new frame or state is ready. Runs on
    /// the operating system's clock.
    pub fn new(notify: Notify) -> Self {
        Self::with_clock(notify, real_clock())
    }

    /// [`Self::new`] on `clock`: every ingest's timeouts, retries, file pacing and
    /// packet times, and the grace period, follow it. A recorder of these streams must
    /// be given the same clock.
    pub fn with_clock(notify: Notify, clock: SharedClock) -> Self {
        // FFmpeg's own log can quote URLs: it goes through redaction into tracing, at
        // `fatal` unless VIGIL_FFMPEG_LOG raises it.
        crate::ffmpeg_log::init();
        Self {
            ingests: HashMap::new(),
            decoders: HashMap::new(),
            stopping: Vec::new(),
            notify,
            grace: DEFAULT_GRACE,
            clock,
        }
    }

    /// The clock the engine's streams follow.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// Changes how long unwatched ingests stay connected.
    pub fn set_grace(&mut self, grace: Duration) {
        self.grace = grace;
    }

    /// Makes sure `spec`'s stream is connected (without decoding it); restarts the
    /// connection when the spec changed.
    pub fn ensure_ingest(&mut self, spec: &StreamSpec) -> Arc<IngestShared> {
        let key = spec.key();
        if let Some(entry) = self.ingests.get(&key)
            && entry.spec == *spec
            && !entry.thread.is_finished()
        {
            return Arc::clone(&entry.shared);
        }
        self.stop_stream(&key);
        let shared = Arc::new(IngestShared::with_clock(
            Arc::clone(&self.notify),
            Arc::clone(&self.clock),
        ));
        let thread = {
            let spec = spec.clone();
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name(format!("vigil-in-{key}"))
                .spawn(move || ingest::run(&spec, &shared))
        };
        match thread {
            Ok(thread) => {
                self.ingests.insert(
                    key,
                    IngestEntry {
                        spec: spec.clone(),
                        shared: Arc::clone(&shared),
                        thread,
                        unwatched_since: Some(self.clock.monotonic()),
                    },
                );
            }
            Err(err) => {
                tracing::error!(camera = %spec.camera_name, %err, "cannot start an ingest thread")
            }
        }
        shared
    }

    /// Makes sure `spec`'s stream is connected and decoded; returns the decoder's state.
    pub fn ensure(&mut self, spec: &StreamSpec) -> Arc<StreamShared> {
        let key = spec.key();
        let ingest = self.ensure_ingest(spec);
        if let Some(entry) = self.decoders.get(&key)
            && Arc::ptr_eq(entry.shared.ingest(), &ingest)
            && !entry.thread.is_finished()
        {
            return Arc::clone(&entry.shared);
        }
        self.stop_decoder(&key);
        let shared = Arc::new(StreamShared::new(ingest));
        let thread = {
            let shared = Arc::clone(&shared);
            let notify = Arc::clone(&self.notify);
            let (name, stream) = (spec.camera_name.clone(), spec.stream.clone());
            std::thread::Builder::new()
                .name(format!("vigil-dec-{key}"))
                .spawn(move || decoder::run(&name, &stream, &shared, &notify))
        };
        match thread {
            Ok(thread) => {
                if let Some(entry) = self.ingests.get_mut(&key) {
                    entry.unwatched_since = None;
                }
                self.decoders.insert(
                    key,
                    DecoderEntry {
                        shared: Arc::clone(&shared),
                        thread,
                    },
                );
            }
            Err(err) => {
                tracing::error!(camera = %spec.camera_name, %err, "cannot start a decoder thread")
            }
        }
        shared
    }

    /// The decoder of a displayed stream.
    pub fn stream(&self, key: &StreamKey) -> Option<&Arc<StreamShared>> {
        self.decoders.get(key).map(|d| &d.shared)
    }

    /// The connection of a stream, decoded or not.
    pub fn ingest(&self, key: &StreamKey) -> Option<&Arc<IngestShared>> {
        self.ingests.get(key).map(|i| &i.shared)
    }

    /// Stops decoding `key`; its connection stays for the grace period.
    pub fn stop_decoder(&mut self, key: &StreamKey) {
        if let Some(entry) = self.decoders.remove(key) {
            entry.shared.request_stop();
            self.stopping.push(entry.thread);
            if let Some(ingest) = self.ingests.get_mut(key) {
                ingest.unwatched_since = Some(self.clock.monotonic());
            }
        }
    }

    /// Stops decoding and disconnects `key` at once.
    pub fn stop_stream(&mut self, key: &StreamKey) {
        self.stop_decoder(key);
        if let Some(entry) = self.ingests.remove(key) {
            entry.shared.request_stop();
            self.stopping.push(entry.thread);
        }
    }

    /// Stops every stream of `camera_id`.
    pub fn stop_camera(&mut self, camera_id: &str) {
        let keys: Vec<StreamKey> = self
            .ingests
            .keys()
            .filter(|k| k.camera_id == camera_id)
            .cloned()
            .collect();
        for key in keys {
            self.stop_stream(&key);
        }
    }

    /// Keeps decoding exactly `wanted`; keeps `pinned` connected without decoding;
    /// closes connections unwatched for longer than the grace period.
    pub fn retain(&mut self, wanted: &HashSet<StreamKey>, pinned: &HashSet<StreamKey>) {
        let unwanted: Vec<StreamKey> = self
            .decoders
            .keys()
            .filter(|k| !wanted.contains(*k))
            .cloned()
            .collect();
        for key in unwanted {
            self.stop_decoder(&key);
        }
        let now = self.clock.monotonic();
        let expired: Vec<StreamKey> = self
            .ingests
            .iter_mut()
            .filter_map(|(key, entry)| {
                if wanted.contains(key) || pinned.contains(key) {
                    entry.unwatched_since = None;
                    return None;
                }
                let since = *entry.unwatched_since.get_or_insert(now);
                (now.duration_since(since) >= self.grace).then(|| key.clone())
            })
            .collect();
        for key in expired {
            tracing::debug!(stream = %key, "closing unwatched stream after grace period");
            self.stop_stream(&key);
        }
        self.reap();
    }

    /// Worker threads alive (ingests, decoders, and those still stopping).
    pub fn thread_count(&self) -> usize {
        self.ingests.len()
            + self.decoders.len()
            + self.stopping.iter().filter(|t| !t.is_finished()).count()
    }

    fn reap(&mut self) {
        let (done, pending): (Vec<_>, Vec<_>) =
            self.stopping.drain(..).partition(|t| t.is_finished());
        for thread in done {
            thread.join().ok();
        }
        self.stopping = pending;
    }

    /// Stops every worker and waits up to `timeout` for them to end.
    pub fn shutdown(&mut self, timeout: Duration) {
        let keys: Vec<StreamKey> = self.ingests.keys().cloned().collect();
        for key in keys {
            self.stop_stream(&key);
        }
        let decoders: Vec<StreamKey> = self.decoders.keys().cloned().collect();
        for key in decoders {
            self.stop_decoder(&key);
        }
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline && self.stopping.iter().any(|t| !t.is_finished()) {
            std::thread::sleep(Duration::from_millis(10));
        }
        self.reap();
        if !self.stopping.is_empty() {
            tracing::warn!(
                threads = self.stopping.len(),
                "stream threads still busy at shutdown"
            );
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.shutdown(Duration::from_secs(2));
    }
}
