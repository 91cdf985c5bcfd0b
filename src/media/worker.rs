//! One named thread per displayed stream: open, demux, decode, publish the newest frame,
//! and reconnect with backoff when anything fails.
//!
//! Owns: the connect → live → stalled/failed → reconnect cycle, the stall watchdog,
//! real-time pacing of file sources, and per-stream counters. Must not: touch egui or
//! wgpu (it only calls the repaint notifier), or log a URL with credentials.

use std::net::{TcpStream, ToSocketAddrs as _};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ffmpeg_next as ff;
use ffmpeg_next::media::Type as MediaType;

use super::backoff::Backoff;
use super::convert::FrameConverter;
use super::frame::FrameSlot;
use super::source::StreamSpec;
use super::state::{Failure, StreamState};
use crate::redact::SourceSpec;

/// Called after a frame or state change is published (the UI's `request_repaint`).
pub type Notify = Arc<dyn Fn() + Send + Sync>;

/// Counters a stream worker keeps; read by the UI and tests.
#[derive(Debug, Default)]
pub struct StreamStats {
    pub frames_decoded: AtomicU64,
    /// Frames decoded but replaced before the UI took them.
    pub frames_dropped: AtomicU64,
    pub bytes_received: AtomicU64,
    pub decode_errors: AtomicU64,
    pub connects: AtomicU64,
    pub width: AtomicU32,
    pub height: AtomicU32,
    /// Packet received → frame published, last frame, microseconds.
    pub latency_us: AtomicU64,
}

/// What the worker shares with the rest of the program.
pub struct StreamShared {
    pub slot: FrameSlot,
    pub stats: StreamStats,
    state: Mutex<StreamState>,
    stop: AtomicBool,
    codec: Mutex<String>,
}

impl Default for StreamShared {
    fn default() -> Self {
        Self {
            slot: FrameSlot::default(),
            stats: StreamStats::default(),
            state: Mutex::new(StreamState::Idle),
            stop: AtomicBool::new(false),
            codec: Mutex::new(String::new()),
        }
    }
}

impl StreamShared {
    pub fn state(&self) -> StreamState {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The codec name of the current stream ("h264", "hevc", …), empty before the first connect.
    pub fn codec(&self) -> String {
        self.codec.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Asks the worker to stop; blocking FFmpeg calls return promptly.
    pub fn request_stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    pub fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn set_state(&self, state: StreamState, notify: &Notify) {
        let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if *guard != state {
            match &state {
                StreamState::Reconnecting { reason, .. } => {
                    tracing::warn!(state = state.label(), %reason, "stream state")
                }
                StreamState::Offline { reason } => tracing::error!(%reason, "stream offline"),
                _ => tracing::info!(state = state.label(), "stream state"),
            }
            *guard = state;
            drop(guard);
            notify();
        }
    }
}

/// Interrupts a blocking FFmpeg call when the stream is stopped or when the call has
/// waited longer than its limit (connect timeout, or stall while live).
struct Watchdog {
    epoch: Instant,
    started_ms: AtomicU64,
    limit_ms: AtomicU64,
    tripped: AtomicBool,
}

impl Watchdog {
    fn new(limit: Duration) -> Self {
        let w = Self {
            epoch: Instant::now(),
            started_ms: AtomicU64::new(0),
            limit_ms: AtomicU64::new(0),
            tripped: AtomicBool::new(false),
        };
        w.arm(limit);
        w
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Starts a new wait of at most `limit`.
    fn arm(&self, limit: Duration) {
        self.limit_ms.store(
            u64::try_from(limit.as_millis()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        self.started_ms.store(self.now_ms(), Ordering::Relaxed);
    }

    /// Restarts the current wait (called before each blocking call).
    fn feed(&self) {
        self.started_ms.store(self.now_ms(), Ordering::Relaxed);
    }

    fn expired(&self) -> bool {
        let waited = self
            .now_ms()
            .saturating_sub(self.started_ms.load(Ordering::Relaxed));
        if waited > self.limit_ms.load(Ordering::Relaxed) {
            self.tripped.store(true, Ordering::Relaxed);
            true
        } else {
            false
        }
    }

    fn tripped(&self) -> bool {
        self.tripped.load(Ordering::Relaxed)
    }
}

/// Runs the stream until `shared.request_stop()`; meant as a thread's body.
pub fn run(spec: &StreamSpec, shared: &Arc<StreamShared>, notify: &Notify) {
    let span = tracing::info_span!("camera", camera = %spec.camera_name);
    let _enter = span.enter();
    tracing::info!(source = %crate::redact::redact(&spec.display_source()), "stream worker started");
    let mut backoff = Backoff::default();
    while !shared.stop_requested() {
        shared.set_state(StreamState::Connecting, notify);
        let failure = match session(spec, shared, notify, &mut backoff) {
            Ok(()) => break,
            Err(failure) => failure,
        };
        if shared.stop_requested() {
            break;
        }
        let permanent = match spec.source {
            SourceSpec::File(_) => failure.is_permanent_for_files() || !spec.loop_file,
            SourceSpec::Network(_) => matches!(failure, Failure::BadSource(_) | Failure::NoVideo),
        };
        if permanent {
            shared.set_state(StreamState::Offline { reason: failure }, notify);
            while !shared.stop_requested() {
                std::thread::sleep(Duration::from_millis(50));
            }
            break;
        }
        if failure == Failure::Stalled {
            shared.set_state(StreamState::Stalled, notify);
        }
        let delay = backoff.next_delay();
        let probe = failure.is_transport().then(|| probe_target(spec)).flatten();
        shared.set_state(
            StreamState::Reconnecting {
                reason: failure,
                next_try: Instant::now() + delay,
            },
            notify,
        );
        wait_before_retry(shared, delay, probe.as_deref());
    }
    shared.slot.clear();
    shared.set_state(StreamState::Idle, notify);
    tracing::info!("stream worker stopped");
}

/// host:port to probe with a plain TCP connect while waiting to reconnect.
fn probe_target(spec: &StreamSpec) -> Option<String> {
    match &spec.source {
        SourceSpec::Network(url) => {
            let default_port = if url.scheme == crate::redact::Scheme::Rtsps {
                322
            } else {
                554
            };
            let host = url.host.trim_start_matches('[').trim_end_matches(']');
            let port = url.port.unwrap_or(default_port);
            Some(if host.contains(':') {
                format!("[{host}]:{port}")
            } else {
                format!("{host}:{port}")
            })
        }
        SourceSpec::File(_) => None,
    }
}

/// Sleeps `delay`, waking early on stop, or — when the camera's port was unreachable —
/// as soon as a TCP connect to it succeeds, so a returning camera is back within a
/// fraction of a second instead of a whole backoff step.
fn wait_before_retry(shared: &StreamShared, delay: Duration, probe: Option<&str>) {
    let until = Instant::now() + delay;
    let mut next_probe = Instant::now() + Duration::from_millis(250);
    while Instant::now() < until && !shared.stop_requested() {
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

/// Sleeps until `deadline` in short steps so a stop request is seen quickly.
fn sleep_until(shared: &StreamShared, deadline: Instant) {
    loop {
        let now = Instant::now();
        if now >= deadline || shared.stop_requested() {
            return;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(20)));
    }
}

/// Keeps file playback at real time.
struct Pacer {
    base: Option<(Instant, i64)>,
}

impl Pacer {
    /// When the frame with `pts_nanos` should be shown.
    fn due(&mut self, pts_nanos: i64) -> Instant {
        let now = Instant::now();
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

    fn restart(&mut self) {
        self.base = None;
    }
}

/// One connection's life: returns Ok on stop, or the failure that ended it.
fn session(
    spec: &StreamSpec,
    shared: &Arc<StreamShared>,
    notify: &Notify,
    backoff: &mut Backoff,
) -> Result<(), Failure> {
    if let SourceSpec::File(path) = &spec.source {
        let meta = std::fs::metadata(path).map_err(|_| Failure::FileNotFound)?;
        if meta.len() == 0 {
            return Err(Failure::NotVideo);
        }
    }
    let watchdog = Arc::new(Watchdog::new(spec.timeouts.open));
    let interrupt = {
        let watchdog = Arc::clone(&watchdog);
        let shared = Arc::clone(shared);
        move || shared.stop_requested() || watchdog.expired()
    };
    shared.stats.connects.fetch_add(1, Ordering::Relaxed);
    let mut input = ff::format::input_with_interrupt_and_dictionary(
        &spec.ffmpeg_url(),
        interrupt,
        spec.ffmpeg_options(),
    )
    .map_err(|e| Failure::from_ffmpeg(&e, watchdog.tripped(), false))?;
    if shared.stop_requested() {
        return Ok(());
    }
    let (video_index, time_base, parameters) = {
        let stream = input
            .streams()
            .best(MediaType::Video)
            .ok_or(Failure::NoVideo)?;
        (stream.index(), stream.time_base(), stream.parameters())
    };
    let codec_name = parameters.id().name().to_owned();
    *shared.codec.lock().unwrap_or_else(|e| e.into_inner()) = codec_name.clone();
    let mut context = ff::codec::context::Context::from_parameters(parameters)
        .map_err(|e| Failure::Other(format!("decoder setup failed: {e}")))?;
    // One thread per wall tile: frame threading would add a frame of delay per thread.
    context.set_threading(ff::codec::threading::Config::count(1));
    let mut decoder = context
        .decoder()
        .video()
        .map_err(|_| Failure::UnsupportedCodec(codec_name.clone()))?;
    tracing::info!(codec = %codec_name, "stream opened");

    let mut converter = FrameConverter::default();
    let mut decoded = ff::util::frame::video::Video::empty();
    let mut pacer = Pacer { base: None };
    let mut live = false;
    let mut consecutive_errors = 0u32;
    let mut seq = 0u64;
    let pace = matches!(spec.source, SourceSpec::File(_)) && spec.loop_file;
    let nanos_per_tick =
        f64::from(time_base.numerator()) * 1e9 / f64::from(time_base.denominator().max(1));
    // Until the first frame, the open timeout applies; then the stall timeout.
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
                decoder.flush();
                pacer.restart();
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
        if packet.stream() != video_index {
            continue;
        }
        let received_at = Instant::now();
        shared
            .stats
            .bytes_received
            .fetch_add(packet.size() as u64, Ordering::Relaxed);
        if decoder.send_packet(&packet).is_err() {
            consecutive_errors += 1;
            shared.stats.decode_errors.fetch_add(1, Ordering::Relaxed);
            if consecutive_errors > 100 {
                return Err(Failure::Other(
                    "the stream does not decode (corrupt data)".to_owned(),
                ));
            }
            continue;
        }
        while decoder.receive_frame(&mut decoded).is_ok() {
            consecutive_errors = 0;
            shared.stats.frames_decoded.fetch_add(1, Ordering::Relaxed);
            let pts_ticks = decoded.timestamp().or(decoded.pts()).unwrap_or(0);
            #[allow(clippy::cast_possible_truncation)]
            let pts_nanos = (pts_ticks as f64 * nanos_per_tick) as i64;
            if pace {
                let due = pacer.due(pts_nanos);
                sleep_until(shared, due);
                if shared.stop_requested() {
                    return Ok(());
                }
            }
            let mut frame = shared.slot.take_buffer();
            if let Err(msg) = converter.convert(&decoded, &mut frame) {
                shared.slot.recycle(frame);
                shared.stats.decode_errors.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(%msg, "frame skipped");
                continue;
            }
            seq += 1;
            frame.seq = seq;
            frame.pts_nanos = pts_nanos;
            frame.received_at = received_at;
            frame.decoded_at = Instant::now();
            shared.stats.width.store(frame.width, Ordering::Relaxed);
            shared.stats.height.store(frame.height, Ordering::Relaxed);
            let latency = frame.decoded_at.saturating_duration_since(received_at);
            shared.stats.latency_us.store(
                u64::try_from(latency.as_micros()).unwrap_or(u64::MAX),
                Ordering::Relaxed,
            );
            if shared.slot.publish(frame) {
                shared.stats.frames_dropped.fetch_add(1, Ordering::Relaxed);
            }
            if !live {
                live = true;
                backoff.reset();
                watchdog.arm(spec.timeouts.stall);
                shared.set_state(StreamState::Live, notify);
            } else {
                notify();
            }
        }
    }
}
