//! One named thread per camera stream connection: open, demux, keep the packets since the
//! last keyframe, and hand every video packet to the decoders that subscribe.
//!
//! Owns: the connect → live → stalled/failed → reconnect cycle (timeouts decided by the
//! [`watchdog`](super::watchdog), retries when the clock reaches the backoff's next try),
//! real-time pacing of file sources, the keyframe cache and ingest counters. Every
//! decision taken from the time reads the shared [`Clock`]; only the waits between
//! looks (short sleeps) are real time. Must not: decode, touch egui or wgpu, or log a
//! URL with credentials.

use std::net::{TcpStream, ToSocketAddrs as _};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ffmpeg_next as ff;
use ffmpeg_next::media::Type as MediaType;

use super::backoff::Backoff;
use super::queue::{PacketQueue, QueuedPacket};
use super::source::StreamSpec;
use super::state::{Failure, StreamState};
use super::watchdog::Watchdog;
use vigil_config::redact::SourceSpec;
use vigil_time::{SharedClock, real_clock};

/// Called after a frame or state change is published (the UI's `request_repaint`).
pub type Notify = Arc<dyn Fn() + Send + Sync>;

/// Most bytes the keyframe cache holds; a longer GOP is not cached.
const GOP_CACHE_BYTES: usize = 8 << 20;

/// What a connected stream is, as probed on connect.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StreamInfo {
    /// FFmpeg's codec name ("h264", "hevc", …).
    pub codec: String,
    pub width: u32,
    pub height: u32,
    /// Nominal frames per second (0 when the stream does not say).
    pub fps: f64,
    /// The stream's time base as (numerator, denominator).
    pub time_base: (i32, i32),
}

/// Counters an ingest keeps.
#[derive(Debug, Default)]
pub struct IngestStats {
    pub bytes_received: AtomicU64,
    pub packets_received: AtomicU64,
    pub connects: AtomicU64,
}

struct Connected {
    info: StreamInfo,
    parameters: ff::codec::Parameters,
    generation: u64,
}

#[derive(Default)]
struct Fanout {
    subscribers: Vec<Arc<PacketQueue>>,
    gop: Vec<QueuedPacket>,
    gop_bytes: usize,
    gop_valid: bool,
}

/// When the first connection reached each step (for time-to-first-frame figures), on the
/// ingest's clock.
#[derive(Clone, Copy, Debug)]
pub struct IngestTimes {
    pub started: Instant,
    /// The stream was opened (RTSP setup done, parameters known).
    pub opened: Option<Instant>,
    /// The first keyframe arrived.
    pub first_keyframe: Option<Instant>,
}

/// What an ingest shares with decoders, the engine and the UI.
pub struct IngestShared {
    pub stats: IngestStats,
    times: Mutex<IngestTimes>,
    state: Mutex<StreamState>,
    stop: AtomicBool,
    connected: Mutex<Option<Connected>>,
    fanout: Mutex<Fanout>,
    notify: Notify,
    clock: SharedClock,
}

impl IngestShared {
    /// An ingest on the operating system's clock.
    pub fn new(notify: Notify) -> Self {
        Self::with_clock(notify, real_clock())
    }

    /// An ingest whose timeouts, retries and packet times follow `clock`.
    pub fn with_clock(notify: Notify, clock: SharedClock) -> Self {
        Self {
            stats: IngestStats::default(),
            times: Mutex::new(IngestTimes {
                started: clock.monotonic(),
                opened: None,
                first_keyframe: None,
            }),
            state: Mutex::new(StreamState::Idle),
            stop: AtomicBool::new(false),
            connected: Mutex::new(None),
            fanout: Mutex::new(Fanout::default()),
            notify,
            clock,
        }
    }

    /// The clock this ingest reads: [`QueuedPacket::received_at`] and the times in
    /// [`StreamState::Reconnecting`] are its monotonic readings.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    pub fn state(&self) -> StreamState {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// What the current (or last) connection carries.
    pub fn info(&self) -> Option<StreamInfo> {
        self.lock_connected().as_ref().map(|c| c.info.clone())
    }

    /// Codec parameters and connection number, for a decoder to open.
    pub fn parameters(&self) -> Option<(ff::codec::Parameters, StreamInfo, u64)> {
        self.lock_connected()
            .as_ref()
            .map(|c| (c.parameters.clone(), c.info.clone(), c.generation))
    }

    /// When the first connection was opened and its first keyframe arrived.
    pub fn times(&self) -> IngestTimes {
        *self.times.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn mark_time(&self, keyframe: bool) {
        let mut times = self.times.lock().unwrap_or_else(|e| e.into_inner());
        let now = self.clock.monotonic();
        if keyframe {
            times.first_keyframe.get_or_insert(now);
        } else {
            times.opened.get_or_insert(now);
        }
    }

    /// Asks the thread to stop; blocking FFmpeg calls return promptly.
    pub fn request_stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        for queue in &self.lock_fanout().subscribers {
            queue.close();
        }
    }

    pub fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// A queue that receives every video packet from now on, starting with the packets
    /// since the last keyframe (so a new decoder shows a picture at once).
    pub fn subscribe(&self, max_bytes: usize, max_age: Duration) -> Arc<PacketQueue> {
        let queue = Arc::new(PacketQueue::new(max_bytes, max_age));
        let mut fanout = self.lock_fanout();
        if fanout.gop_valid {
            for packet in &fanout.gop {
                queue.push(QueuedPacket {
                    from_cache: true,
                    ..packet.clone()
                });
            }
        }
        fanout.subscribers.push(Arc::clone(&queue));
        queue
    }

    /// Stops sending to `queue`.
    pub fn unsubscribe(&self, queue: &Arc<PacketQueue>) {
        queue.close();
        self.lock_fanout()
            .subscribers
            .retain(|q| !Arc::ptr_eq(q, queue));
    }

    /// True when a keyframe and what follows it are cached.
    pub fn has_cached_keyframe(&self) -> bool {
        self.lock_fanout().gop_valid
    }

    fn set_state(&self, state: StreamState) {
        let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if *guard != state {
            match &state {
                StreamState::Reconnecting { reason, .. } => {
                    tracing::warn!(state = state.label(), %reason, "stream state");
                }
                StreamState::Offline { reason } => tracing::error!(%reason, "stream offline"),
                _ => tracing::info!(state = state.label(), "stream state"),
            }
            *guard = state;
            drop(guard);
            (self.notify)();
        }
    }

    fn distribute(&self, item: QueuedPacket) {
        let mut fanout = self.lock_fanout();
        if item.is_key() {
            fanout.gop.clear();
            fanout.gop_bytes = 0;
            fanout.gop_valid = true;
        }
        if fanout.gop_valid {
            fanout.gop_bytes += item.size();
            if fanout.gop_bytes > GOP_CACHE_BYTES {
                // A GOP this long is not worth caching; wait for the next keyframe.
                fanout.gop.clear();
                fanout.gop_bytes = 0;
                fanout.gop_valid = false;
            } else {
                fanout.gop.push(item.clone());
            }
        }
        for queue in &fanout.subscribers {
            queue.push(item.clone());
        }
    }

    fn clear_cache(&self) {
        let mut fanout = self.lock_fanout();
        fanout.gop.clear();
        fanout.gop_bytes = 0;
        fanout.gop_valid = false;
    }

    fn lock_connected(&self) -> std::sync::MutexGuard<'_, Option<Connected>> {
        self.connected.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_fanout(&self) -> std::sync::MutexGuard<'_, Fanout> {
        self.fanout.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Runs the ingest until `shared.request_stop()`; meant as a thread's body.
pub fn run(spec: &StreamSpec, shared: &Arc<IngestShared>) {
    let span = tracing::info_span!("camera", camera = %spec.camera_name, stream = %spec.stream);
    let _enter = span.enter();
    tracing::info!(source = %vigil_config::redact::redact(&spec.display_source()), "ingest started");
    let mut backoff = Backoff::default();
    let mut generation = 0u64;
    while !shared.stop_requested() {
        shared.set_state(StreamState::Connecting);
        generation += 1;
        let failure = match session(spec, shared, &mut backoff, generation) {
            Ok(()) => break,
            Err(failure) => failure,
        };
        shared.clear_cache();
        if shared.stop_requested() {
            break;
        }
        let permanent = match spec.source {
            SourceSpec::File(_) => failure.is_permanent_for_files() || !spec.loop_file,
            SourceSpec::Network(_) => matches!(failure, Failure::BadSource(_) | Failure::NoVideo),
        };
        if permanent {
            shared.set_state(StreamState::Offline { reason: failure });
            while !shared.stop_requested() {
                std::thread::sleep(Duration::from_millis(50));
            }
            break;
        }
        if failure == Failure::Stalled {
            shared.set_state(StreamState::Stalled);
        }
        // Cameras lock an account after a few failed logins: wait far longer then.
        let delay = if failure == Failure::WrongCredentials {
            backoff.next_delay_after_wrong_credentials()
        } else {
            backoff.next_delay()
        };
        let next_try = shared.clock.monotonic() + delay;
        let probe = failure.is_transport().then(|| probe_target(spec)).flatten();
        shared.set_state(StreamState::Reconnecting {
            reason: failure,
            next_try,
        });
        wait_before_retry(shared, next_try, probe.as_deref());
    }
    shared.set_state(StreamState::Idle);
    tracing::info!("ingest stopped");
}

/// host:port to probe with a plain TCP connect while waiting to reconnect.
fn probe_target(spec: &StreamSpec) -> Option<String> {
    match &spec.source {
        SourceSpec::Network(url) => {
            let default_port = if url.scheme == vigil_config::redact::Scheme::Rtsps {
                322
            } else {
                554
            };
            let port = url.port.unwrap_or(default_port);
            Some(if url.host.contains(':') {
                format!("[{}]:{port}", url.host)
            } else {
                format!("{}:{port}", url.host)
            })
        }
        SourceSpec::File(_) => None,
    }
}

/// Waits until the clock reaches `next_try`, waking early on stop, or — when the
/// camera's port was unreachable — as soon as a TCP connect to it succeeds, so a
/// returning camera is back within a fraction of a second instead of a whole backoff
/// step. The probes' pace is real time (they are network I/O); the retry follows the
/// clock.
fn wait_before_retry(shared: &IngestShared, next_try: Instant, probe: Option<&str>) {
    let mut next_probe = Instant::now() + Duration::from_millis(250);
    while shared.clock.monotonic() < next_try && !shared.stop_requested() {
        std::thread::sleep(Duration::from_millis(25));
        if let Some(target) = probe
            && Instant::now() >= next_probe
        {
            next_probe = Instant::now() + Duration::from_millis(250);
            if port_accepts(target) {
                return;
            }
        }
    }
}

fn port_accepts(target: &str) -> bool {
    let Ok(mut addrs) = target.to_socket_addrs() else {
        return false;
    };
    addrs
        .next()
        .is_some_and(|addr| TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok())
}

/// Keeps file playback at the pace of the clock (real time on the real clock).
struct Pacer {
    base: Option<(Instant, i64)>,
}

impl Pacer {
    /// When the packet with `pts_nanos` is due, on the clock whose reading is `now`.
    fn due(&mut self, pts_nanos: i64, now: Instant) -> Instant {
        let (base_at, base_pts) = *self.base.get_or_insert((now, pts_nanos));
        let offset = pts_nanos.saturating_sub(base_pts);
        let due = if offset >= 0 {
            base_at + Duration::from_nanos(offset.unsigned_abs())
        } else {
            now
        };
        // Far behind (slow machine) or a jump: start the clock again from here.
        if offset < 0 || now.saturating_duration_since(due) > Duration::from_secs(1) {
            self.base = Some((now, pts_nanos));
            return now;
        }
        due
    }
}

/// Sleeps until the clock reaches `deadline`, in short steps so a stop request is seen
/// quickly; returns the clock's reading then.
fn sleep_until(shared: &IngestShared, deadline: Instant) -> Instant {
    loop {
        let now = shared.clock.monotonic();
        if now >= deadline || shared.stop_requested() {
            return now;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(20)));
    }
}

/// One connection's life: returns Ok on stop, or the failure that ended it.
fn session(
    spec: &StreamSpec,
    shared: &Arc<IngestShared>,
    backoff: &mut Backoff,
    generation: u64,
) -> Result<(), Failure> {
    if let SourceSpec::File(path) = &spec.source {
        let meta = std::fs::metadata(path).map_err(|_| Failure::FileNotFound)?;
        if meta.len() == 0 {
            return Err(Failure::NotVideo);
        }
    }
    let watchdog = Arc::new(Watchdog::new(Arc::clone(&shared.clock), spec.timeouts.open));
    let interrupt = {
        let watchdog = Arc::clone(&watchdog);
        let shared = Arc::clone(shared);
        move || shared.stop_requested() || watchdog.expired()
    };
    shared.stats.connects.fetch_add(1, Ordering::Relaxed);
    let redirect = open::RedirectSeen::default();
    let opened = open::open_refusing_redirects(
        &spec.ffmpeg_url(),
        spec.ffmpeg_options(),
        interrupt,
        &redirect,
    );
    if let Some(location) = redirect.take() {
        // Refused before a byte went there: the credentials stay with the camera.
        return Err(Failure::Redirected(vigil_config::redact::redact(&location)));
    }
    let mut input = opened.map_err(|e| Failure::from_ffmpeg(&e, watchdog.tripped(), false))?;
    if shared.stop_requested() {
        return Ok(());
    }
    let (video_index, time_base, parameters, rate) = {
        let stream = input
            .streams()
            .best(MediaType::Video)
            .ok_or(Failure::NoVideo)?;
        (
            stream.index(),
            stream.time_base(),
            stream.parameters(),
            stream.avg_frame_rate(),
        )
    };
    let codec = parameters.id();
    if ff::decoder::find(codec).is_none() {
        return Err(Failure::UnsupportedCodec(codec.name().to_owned()));
    }
    let (width, height) = ff::codec::context::Context::from_parameters(parameters.clone())
        .and_then(|c| c.decoder().video())
        .map(|d| (d.width(), d.height()))
        .unwrap_or((0, 0));
    let info = StreamInfo {
        codec: codec.name().to_owned(),
        width,
        height,
        fps: if rate.denominator() > 0 {
            f64::from(rate)
        } else {
            0.0
        },
        time_base: (time_base.numerator(), time_base.denominator()),
    };
    tracing::info!(codec = %info.codec, width, height, fps = info.fps, "stream opened");
    shared.mark_time(false);
    *shared.lock_connected() = Some(Connected {
        info,
        parameters,
        generation,
    });

    let pace = matches!(spec.source, SourceSpec::File(_)) && spec.loop_file;
    let mut pacer = Pacer { base: None };
    let nanos_per_tick =
        f64::from(time_base.numerator()) * 1e9 / f64::from(time_base.denominator().max(1));
    let mut live = false;
    // Until the first packet, the open timeout applies; then the stall timeout.
    watchdog.arm(spec.timeouts.open);
    loop {
        if shared.stop_requested() {
            return Ok(());
        }
        let mut packet = ff::Packet::empty();
        watchdog.feed();
        match packet.read(&mut input) {
            Ok(()) => {}
            Err(ff::Error::Eof) if pace => {
                input
                    .seek(0, ..)
                    .map_err(|e| Failure::Other(format!("cannot loop the file: {e}")))?;
                pacer.base = None;
                continue;
            }
            Err(ff::Error::Other { errno }) if errno == libc::EAGAIN => {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            }
            Err(e) => {
                if shared.stop_requested() {
                    return Ok(());
                }
                return Err(Failure::from_ffmpeg(&e, watchdog.tripped(), live));
            }
        }
        if packet.stream() != video_index || packet.size() == 0 {
            continue;
        }
        // The packet's arrival, read before the counters move: a test that steps a
        // simulated clock once each packet is counted sees each at its exact time.
        let received_at = if pace {
            let ticks = packet.pts().or(packet.dts()).unwrap_or(0);
            #[allow(clippy::cast_possible_truncation)]
            let due = pacer.due(
                (ticks as f64 * nanos_per_tick) as i64,
                shared.clock.monotonic(),
            );
            let now = sleep_until(shared, due);
            if shared.stop_requested() {
                return Ok(());
            }
            now
        } else {
            shared.clock.monotonic()
        };
        shared
            .stats
            .bytes_received
            .fetch_add(packet.size() as u64, Ordering::Relaxed);
        shared
            .stats
            .packets_received
            .fetch_add(1, Ordering::Relaxed);
        if packet.is_key() {
            shared.mark_time(true);
        }
        shared.distribute(QueuedPacket {
            packet: Arc::new(packet),
            received_at,
            generation,
            from_cache: false,
        });
        if !live {
            live = true;
            backoff.reset();
            watchdog.arm(spec.timeouts.stall);
            shared.set_state(StreamState::Live);
        }
    }
}

mod open;
#[cfg(test)]
mod tests;
