//! The set of running stream workers: start the streams the wall shows, stop the rest.
//!
//! Owns: worker threads and their handles, and joining them on shutdown. Must not:
//! block the caller on a worker (stopping only sets a flag; joins happen at shutdown).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::source::StreamSpec;
use super::worker::{self, Notify, StreamShared};

struct Running {
    spec: StreamSpec,
    shared: Arc<StreamShared>,
    thread: JoinHandle<()>,
}

/// Starts and stops one worker per displayed camera.
pub struct Engine {
    running: HashMap<String, Running>,
    stopping: Vec<JoinHandle<()>>,
    notify: Notify,
}

impl Engine {
    /// `notify` is called from workers whenever a new frame or state is ready.
    pub fn new(notify: Notify) -> Self {
        ffmpeg_next::init().ok();
        // FFmpeg's own log goes straight to stderr and can quote URLs: keep it quiet
        // unless asked for; Vigil reports every failure itself.
        let level = if std::env::var_os("VIGIL_FFMPEG_LOG").is_some() {
            ffmpeg_next::util::log::Level::Info
        } else {
            ffmpeg_next::util::log::Level::Fatal
        };
        ffmpeg_next::util::log::set_level(level);
        Self {
            running: HashMap::new(),
            stopping: Vec::new(),
            notify,
        }
    }

    /// Makes sure a worker runs for `spec`; restarts it when the spec changed.
    pub fn ensure(&mut self, spec: &StreamSpec) -> Arc<StreamShared> {
        if let Some(running) = self.running.get(&spec.camera_id)
            && running.spec == *spec
            && !running.thread.is_finished()
        {
            return Arc::clone(&running.shared);
        }
        self.stop(&spec.camera_id);
        let shared = Arc::new(StreamShared::default());
        let thread_name = format!("vigil-stream-{}", spec.camera_id);
        let thread = {
            let spec = spec.clone();
            let shared = Arc::clone(&shared);
            let notify = Arc::clone(&self.notify);
            std::thread::Builder::new()
                .name(thread_name)
                .spawn(move || worker::run(&spec, &shared, &notify))
        };
        match thread {
            Ok(thread) => {
                self.running.insert(
                    spec.camera_id.clone(),
                    Running {
                        spec: spec.clone(),
                        shared: Arc::clone(&shared),
                        thread,
                    },
                );
            }
            Err(err) => {
                tracing::error!(camera = %spec.camera_name, %err, "cannot start a stream thread");
            }
        }
        shared
    }

    /// The shared state of a running stream.
    pub fn stream(&self, camera_id: &str) -> Option<&Arc<StreamShared>> {
        self.running.get(camera_id).map(|r| &r.shared)
    }

    /// Stops every worker whose camera is not in `wanted`.
    pub fn retain(&mut self, wanted: &HashSet<String>) {
        let unwanted: Vec<String> = self
            .running
            .keys()
            .filter(|id| !wanted.contains(*id))
            .cloned()
            .collect();
        for id in unwanted {
            self.stop(&id);
        }
        self.reap();
    }

    /// Asks one worker to stop; it is joined later.
    pub fn stop(&mut self, camera_id: &str) {
        if let Some(running) = self.running.remove(camera_id) {
            running.shared.request_stop();
            self.stopping.push(running.thread);
        }
    }

    /// Number of worker threads alive (running or still stopping).
    pub fn thread_count(&self) -> usize {
        self.running.len() + self.stopping.iter().filter(|t| !t.is_finished()).count()
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
        let ids: Vec<String> = self.running.keys().cloned().collect();
        for id in ids {
            self.stop(&id);
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
