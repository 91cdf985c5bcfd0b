//! One named thread per displayed stream: take packets from an ingest, decode them
//! (`thread_count = 1`), and publish the newest frame into the latest-frame slot.
//!
//! Owns: the decoder's life across reconnects and parameter changes, keyframe-only
//! mode, catching up from the keyframe cache, and decode counters. Must not: touch the
//! network, egui or wgpu (it only calls the repaint notifier).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ffmpeg_next as ff;

use super::convert::FrameConverter;
use super::ingest::{IngestShared, Notify, StreamInfo};
use super::queue::{PacketQueue, QueuedPacket};
use super::state::StreamState;
use vigil_frame::FrameSlot;

/// A decoder's packet queue holds at most this many bytes…
const QUEUE_BYTES: usize = 4 << 20;
/// …and packets at most this old before it skips to the next keyframe.
const QUEUE_AGE: Duration = Duration::from_millis(1000);

/// Counters a decoder keeps; read by the UI, the budget and tests.
#[derive(Debug, Default)]
pub struct StreamStats {
    pub frames_decoded: AtomicU64,
    /// Frames decoded but replaced in the slot before the UI took them.
    pub frames_dropped: AtomicU64,
    pub decode_errors: AtomicU64,
    pub width: AtomicU32,
    pub height: AtomicU32,
    /// Packet received → frame published, last frame, microseconds.
    pub latency_us: AtomicU64,
    /// Time spent in the decoder, total, microseconds.
    pub decode_us: AtomicU64,
    /// Time from the decoder starting to its first published frame, microseconds.
    pub first_frame_us: AtomicU64,
}

/// Sees every frame a decoder publishes, on the decoder's thread, before the slot
/// takes it (detection reads the tile's frames this way: nothing is decoded twice).
/// It must be quick: copy what it needs and hand it on without blocking.
pub type FrameTap = Arc<dyn Fn(&vigil_frame::VideoFrame) + Send + Sync>;

/// What a decoder shares with the rest of the program.
pub struct StreamShared {
    pub slot: FrameSlot,
    /// Called with every published frame (see [`FrameTap`]).
    tap: std::sync::Mutex<Option<FrameTap>>,
    pub stats: StreamStats,
    ingest: Arc<IngestShared>,
    stop: AtomicBool,
    keyframe_only: AtomicBool,
    queue: std::sync::Mutex<Option<Arc<PacketQueue>>>,
    overflows_seen: AtomicU64,
    hardware: AtomicBool,
    /// Why the stream is decoded in software although hardware decoding was tried.
    software_reason: std::sync::Mutex<Option<String>>,
    /// Tests: act as if on hardware and fail the hardware session at these packets.
    #[cfg(test)]
    simulate_hw: AtomicBool,
    #[cfg(test)]
    simulated_failures: std::sync::Mutex<Vec<u64>>,
    #[cfg(test)]
    packets_sent: AtomicU64,
}

impl StreamShared {
    pub fn new(ingest: Arc<IngestShared>) -> Self {
        Self {
            slot: FrameSlot::default(),
            tap: std::sync::Mutex::new(None),
            stats: StreamStats::default(),
            ingest,
            stop: AtomicBool::new(false),
            keyframe_only: AtomicBool::new(false),
            queue: std::sync::Mutex::new(None),
            overflows_seen: AtomicU64::new(0),
            hardware: AtomicBool::new(false),
            software_reason: std::sync::Mutex::new(None),
            #[cfg(test)]
            simulate_hw: AtomicBool::new(false),
            #[cfg(test)]
            simulated_failures: std::sync::Mutex::new(Vec::new()),
            #[cfg(test)]
            packets_sent: AtomicU64::new(0),
        }
    }

    /// Why this stream is in software although hardware decoding was tried ("hardware
    /// device unavailable: …"); `None` on hardware, before it opened, or when
    /// hardware decoding is off.
    pub fn software_reason(&self) -> Option<String> {
        self.software_reason
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn set_software(&self, reason: Option<String>) {
        self.hardware.store(false, Ordering::Relaxed);
        *self
            .software_reason
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = reason;
    }

    fn set_decoder_kind(&self, open: Option<&Open>) {
        match open {
            Some(o) if o.hw.is_some() => {
                *self
                    .software_reason
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()) = None;
                self.hardware.store(true, Ordering::Relaxed);
            }
            Some(o) => self.set_software(o.software_reason.clone()),
            None => self.hardware.store(false, Ordering::Relaxed),
        }
    }

    /// Tests: the hardware session fails at the `n`th packet sent (1 = the first).
    #[cfg(test)]
    fn simulate_hw_failure_at(&self, packets: &[u64]) {
        self.simulate_hw.store(true, Ordering::Relaxed);
        *self.simulated_failures.lock().expect("lock") = packets.to_vec();
    }

    #[cfg(test)]
    fn simulated_hw_failure(&self) -> Option<String> {
        let n = self.packets_sent.fetch_add(1, Ordering::Relaxed) + 1;
        let mut failures = self.simulated_failures.lock().expect("lock");
        let at = failures.iter().position(|p| *p == n)?;
        failures.remove(at);
        self.simulate_hw
            .store(!failures.is_empty(), Ordering::Relaxed);
        Some(format!("simulated failure at packet {n}"))
    }

    /// Sets (or with `None` removes) the tap that sees every published frame.
    pub fn set_tap(&self, tap: Option<FrameTap>) {
        *self.tap.lock().unwrap_or_else(|e| e.into_inner()) = tap;
    }

    /// True while a tap is set.
    pub fn has_tap(&self) -> bool {
        self.tap.lock().unwrap_or_else(|e| e.into_inner()).is_some()
    }

    fn run_tap(&self, frame: &vigil_frame::VideoFrame) {
        let tap = self.tap.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(tap) = tap {
            tap(frame);
        }
    }

    /// The connection behind this decoder.
    pub fn ingest(&self) -> &Arc<IngestShared> {
        &self.ingest
    }

    /// The stream's state (connecting, live, …), from its ingest.
    pub fn state(&self) -> StreamState {
        self.ingest.state()
    }

    /// The codec name of the current stream ("h264", "hevc", …), empty before a connect.
    pub fn codec(&self) -> String {
        self.ingest.info().map(|i| i.codec).unwrap_or_default()
    }

    /// True while the stream is decoded by a hardware decoder.
    pub fn hardware(&self) -> bool {
        self.hardware.load(Ordering::Relaxed)
    }

    /// Decode only keyframes (a cheap picture under load) or every frame.
    pub fn set_keyframe_only(&self, on: bool) {
        self.keyframe_only.store(on, Ordering::Relaxed);
    }

    pub fn keyframe_only(&self) -> bool {
        self.keyframe_only.load(Ordering::Relaxed)
    }

    /// Packets skipped because this decoder fell behind (never decoded).
    pub fn packets_skipped(&self) -> u64 {
        self.lock_queue()
            .as_ref()
            .map_or(0, |q| q.skipped.load(Ordering::Relaxed))
    }

    /// Times this decoder fell behind real time.
    pub fn overflows(&self) -> u64 {
        self.lock_queue()
            .as_ref()
            .map_or(0, |q| q.overflows.load(Ordering::Relaxed))
    }

    /// Times this decoder fell behind since the last call.
    pub fn take_new_overflows(&self) -> u64 {
        let now = self.overflows();
        now.saturating_sub(self.overflows_seen.swap(now, Ordering::Relaxed))
    }

    /// True when the decoder is behind: its queue lags more than `max_lag`, or it had to
    /// skip to a keyframe since the last call. The skip count is taken first, on every
    /// call: a skip seen while lagging must not be counted again once the lag is gone.
    pub fn falling_behind(&self, max_lag: Duration) -> bool {
        let overflowed = self.take_new_overflows() > 0;
        overflowed || self.lag() > max_lag
    }

    /// How far behind live the decoder is (age of its oldest waiting packet).
    pub fn lag(&self) -> Duration {
        self.lock_queue()
            .as_ref()
            .map_or(Duration::ZERO, |q| q.lag())
    }

    pub fn request_stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(q) = self.lock_queue().as_ref() {
            q.close();
        }
    }

    pub fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn lock_queue(&self) -> std::sync::MutexGuard<'_, Option<Arc<PacketQueue>>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

struct Open {
    decoder: ff::decoder::Video,
    generation: u64,
    nanos_per_tick: f64,
    /// The shared hardware device frames are decoded on, if any (a reference held with
    /// the decoder).
    hw: Option<Arc<super::hwaccel::HwDevice>>,
    /// Why this decoder is in software when hardware was allowed.
    software_reason: Option<String>,
}

/// Opens a decoder for `parameters`: on the shared hardware device when allowed and one
/// works, else in software, at once (a hardware decoder that will not open is replaced
/// by a software one in the same call, so no packet is lost waiting for it).
fn open_decoder(
    parameters: ff::codec::Parameters,
    info: &StreamInfo,
    generation: u64,
    try_hw: bool,
) -> Option<Open> {
    let codec = parameters.id();
    let (num, den) = info.time_base;
    let nanos_per_tick = f64::from(num) * 1e9 / f64::from(den.max(1));
    let new_context = |parameters: ff::codec::Parameters| {
        let mut context = ff::codec::context::Context::from_parameters(parameters).ok()?;
        // One thread per wall tile: frame threading would add a frame of delay per thread.
        context.set_threading(ff::codec::threading::Config::count(1));
        Some(context)
    };
    let mut software_reason = None;
    if try_hw && super::hwaccel::allowed() {
        match super::hwaccel::open_for(codec) {
            Ok((device, pix_fmt)) => {
                let mut context = new_context(parameters.clone())?;
                let opened = super::hwaccel::attach(&mut context, &device, pix_fmt)
                    .and_then(|()| context.decoder().video().map_err(|e| e.to_string()));
                match opened {
                    Ok(decoder) => {
                        tracing::info!(device = %device.name(), "hardware decoding");
                        return Some(Open {
                            decoder,
                            generation,
                            nanos_per_tick,
                            hw: Some(device),
                            software_reason: None,
                        });
                    }
                    Err(err) => {
                        tracing::info!(%err, "hardware decoder did not open; software");
                        software_reason =
                            Some(format!("{} decoder did not open: {err}", device.name()));
                    }
                }
            }
            Err(err) => {
                tracing::debug!(%err, "no hardware decoder; software");
                software_reason = Some(format!("hardware device unavailable: {err}"));
            }
        }
    } else if try_hw {
        software_reason = Some("hardware decoding is off".to_owned());
    }
    let decoder = new_context(parameters)?.decoder().video().ok()?;
    Some(Open {
        decoder,
        generation,
        nanos_per_tick,
        hw: None,
        software_reason,
    })
}

/// Packets kept since the last keyframe for a replay into a software decoder: a GOP
/// longer than this (10 s at 25 fps) waits for the next keyframe instead.
const GOP_KEEP: usize = 250;

/// The hardware session failed while decoding (the reason, for the log and the HUD).
struct HwFailed(String);

/// One decoder thread's state between packets.
struct Worker<'a> {
    shared: &'a StreamShared,
    ingest: Arc<IngestShared>,
    queue: Arc<PacketQueue>,
    notify: &'a Notify,
    started: Instant,
    open: Option<Open>,
    converter: FrameConverter,
    decoded: ff::util::frame::video::Video,
    /// Where hardware frames are downloaded to: reused, so FFmpeg's frame pool on the
    /// device's frames context hands back the same buffers rather than new ones.
    downloads: super::hwaccel::DownloadPool,
    /// Cleared for good on the first hardware error: this stream decodes in software.
    try_hw: bool,
    need_key: bool,
    seq: u64,
    first_published: bool,
    consecutive_errors: u32,
    /// The packets sent since the last keyframe, so a fall back to software replays
    /// them rather than wait for the next keyframe (`None`: more than [`GOP_KEEP`]).
    gop: Option<Vec<QueuedPacket>>,
    /// Frames published since that keyframe (not published again by a replay).
    shown_in_gop: u64,
}

impl Worker<'_> {
    fn run(&mut self) {
        while !self.shared.stop_requested() {
            let Some(item) = self.queue.pop(Duration::from_millis(200)) else {
                continue;
            };
            // A new connection (or the first one): open a decoder for its parameters.
            if self
                .open
                .as_ref()
                .is_none_or(|o| o.generation != item.generation)
            {
                self.reopen(item.generation);
                self.need_key = true;
                if self.open.is_none() {
                    self.shared
                        .stats
                        .decode_errors
                        .fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            }
            // Keyframe-only mode: non-key packets are never decoded. Leaving it (or after
            // a reconnect) decoding resumes at the next keyframe, never mid-GOP.
            if !item.is_key() && (self.need_key || self.shared.keyframe_only()) {
                self.need_key = true;
                continue;
            }
            self.need_key = false;
            if item.is_key() {
                self.gop = Some(Vec::new());
                self.shown_in_gop = 0;
            }
            if let Some(gop) = self.gop.as_mut() {
                if gop.len() < GOP_KEEP {
                    gop.push(item.clone());
                } else {
                    self.gop = None;
                }
            }
            if let Err(HwFailed(reason)) = self.decode(&item, &mut 0) {
                self.fall_back(&reason);
            }
        }
    }

    fn reopen(&mut self, generation: u64) {
        let try_hw = self.try_hw;
        self.open = self
            .ingest
            .parameters()
            .filter(|(_, _, g)| *g == generation)
            .and_then(|(params, info, g)| open_decoder(params, &info, g, try_hw));
        self.shared.set_decoder_kind(self.open.as_ref());
        self.gop = Some(Vec::new());
        self.shown_in_gop = 0;
    }

    /// The hardware session failed: reopen in software at once and replay this GOP's
    /// packets, publishing only the frames not shown yet.
    fn fall_back(&mut self, reason: &str) {
        tracing::warn!(%reason, "hardware decoding failed; software from this GOP on");
        self.try_hw = false;
        let Some(generation) = self.open.as_ref().map(|o| o.generation) else {
            return;
        };
        let gop = self.gop.take();
        let already_shown = self.shown_in_gop;
        self.reopen(generation);
        if let Some(o) = self.open.as_mut() {
            o.software_reason = Some(format!("hardware decoding failed: {reason}"));
        }
        self.shared.set_decoder_kind(self.open.as_ref());
        let Some(packets) = gop.filter(|g| !g.is_empty()) else {
            // Nothing kept (a GOP too long): resume at the next keyframe.
            self.need_key = true;
            return;
        };
        let mut skip = already_shown;
        for packet in &packets {
            // A software decoder has no hardware session to fail.
            let _ = self.decode(packet, &mut skip);
        }
        self.shown_in_gop = already_shown.max(self.shown_in_gop);
        self.gop = Some(packets);
    }

    /// Sends one packet and publishes the frames it yields, leaving out the first `skip`
    /// (already shown before a replay; not counted again either).
    fn decode(&mut self, item: &QueuedPacket, skip: &mut u64) -> Result<(), HwFailed> {
        let shared = self.shared;
        let Some(o) = self.open.as_mut() else {
            return Ok(());
        };
        let decode_started = Instant::now();
        #[cfg(test)]
        if (o.hw.is_some() || shared.simulate_hw.load(Ordering::Relaxed))
            && let Some(reason) = shared.simulated_hw_failure()
        {
            return Err(HwFailed(reason));
        }
        if let Err(err) = o.decoder.send_packet(item.packet.as_ref()) {
            shared.stats.decode_errors.fetch_add(1, Ordering::Relaxed);
            if o.hw.is_some() {
                return Err(HwFailed(err.to_string()));
            }
            self.consecutive_errors += 1;
            if self.consecutive_errors > 50 {
                // Corrupt beyond recovery: start over at the next keyframe.
                o.decoder.flush();
                self.need_key = true;
                self.consecutive_errors = 0;
            }
            return Ok(());
        }
        while o.decoder.receive_frame(&mut self.decoded).is_ok() {
            self.consecutive_errors = 0;
            if *skip > 0 {
                *skip -= 1;
                continue;
            }
            let decode_us = u64::try_from(decode_started.elapsed().as_micros()).unwrap_or(u64::MAX);
            shared
                .stats
                .decode_us
                .fetch_add(decode_us, Ordering::Relaxed);
            shared.stats.frames_decoded.fetch_add(1, Ordering::Relaxed);
            // Catching up through the keyframe cache: show the keyframe at once, then
            // only the newest cached frame, so the picture is current without flicker.
            if item.from_cache && self.first_published && self.queue.cache_pending() {
                continue;
            }
            let hw_frame = super::hwaccel::is_hw_frame(&self.decoded);
            if o.hw.is_some() && !hw_frame && shared.hardware() {
                // get_format found no hardware format for this stream: FFmpeg decodes it
                // in software on the same decoder, which is not lost, only not hardware.
                shared.set_software(Some(
                    "the hardware decoder refused this stream (no hardware format)".to_owned(),
                ));
            }
            let source = if hw_frame {
                match self.downloads.download(&self.decoded) {
                    Ok(frame) => frame,
                    Err(err) => return Err(HwFailed(err)),
                }
            } else {
                &self.decoded
            };
            // ffmpeg-next reads the format as its enum: a format this build does not
            // know is a skipped frame, never an invalid enum.
            if let Err(unknown) = super::hwaccel::frame_format(source) {
                shared.stats.decode_errors.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(format = %unknown, "frame in an unknown pixel format skipped");
                continue;
            }
            let mut frame = shared.slot.take_buffer();
            if let Err(msg) = self.converter.convert(source, &mut frame) {
                shared.slot.recycle(frame);
                shared.stats.decode_errors.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(%msg, "frame skipped");
                continue;
            }
            self.seq += 1;
            frame.seq = self.seq;
            let pts_ticks = self.decoded.timestamp().or(self.decoded.pts()).unwrap_or(0);
            #[allow(clippy::cast_possible_truncation)]
            let pts_nanos = (pts_ticks as f64 * o.nanos_per_tick) as i64;
            frame.pts_nanos = pts_nanos;
            frame.received_at = item.received_at;
            // On the ingest's clock, as `received_at` is.
            frame.decoded_at = self.ingest.clock().monotonic();
            shared.stats.width.store(frame.width, Ordering::Relaxed);
            shared.stats.height.store(frame.height, Ordering::Relaxed);
            let latency = frame.decoded_at.saturating_duration_since(item.received_at);
            shared.stats.latency_us.store(
                u64::try_from(latency.as_micros()).unwrap_or(u64::MAX),
                Ordering::Relaxed,
            );
            shared.run_tap(&frame);
            if shared.slot.publish(frame) {
                shared.stats.frames_dropped.fetch_add(1, Ordering::Relaxed);
            }
            self.shown_in_gop += 1;
            if !self.first_published {
                self.first_published = true;
                let us = u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX);
                shared
                    .stats
                    .first_frame_us
                    .store(us.max(1), Ordering::Relaxed);
                tracing::debug!(first_frame_ms = us / 1000, "first frame");
            }
            (self.notify)();
        }
        Ok(())
    }
}

/// Runs the decoder until `shared.request_stop()`; meant as a thread's body.
pub fn run(camera_name: &str, stream: &str, shared: &Arc<StreamShared>, notify: &Notify) {
    let span = tracing::info_span!("camera", camera = %camera_name, stream = %stream);
    let _enter = span.enter();
    if !super::priority::lower_current_thread(super::priority::DECODER_NICE) {
        tracing::debug!("could not lower the decoder thread's priority");
    }
    let started = Instant::now();
    let ingest = Arc::clone(&shared.ingest);
    let queue = ingest.subscribe(QUEUE_BYTES, QUEUE_AGE);
    *shared.lock_queue() = Some(Arc::clone(&queue));
    if shared.stop_requested() {
        queue.close();
    }
    let mut worker = Worker {
        shared,
        ingest: Arc::clone(&ingest),
        queue: Arc::clone(&queue),
        notify,
        started,
        open: None,
        converter: FrameConverter::default(),
        decoded: ff::util::frame::video::Video::empty(),
        downloads: super::hwaccel::DownloadPool::default(),
        try_hw: true,
        need_key: true,
        seq: 0,
        first_published: false,
        consecutive_errors: 0,
        gop: Some(Vec::new()),
        shown_in_gop: 0,
    };
    worker.run();
    drop(worker);
    ingest.unsubscribe(&queue);
    shared.slot.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(received_at: Instant) -> QueuedPacket {
        let mut p = ff::Packet::new(100);
        p.set_flags(ff::codec::packet::Flags::KEY);
        QueuedPacket {
            packet: Arc::new(p),
            received_at,
            generation: 1,
            from_cache: false,
        }
    }

    #[test]
    fn a_skip_seen_while_lagging_is_not_counted_again_later() {
        let shared = StreamShared::new(Arc::new(IngestShared::new(Arc::new(|| {}))));
        let queue = Arc::new(PacketQueue::new(1 << 20, Duration::from_secs(10)));
        *shared.lock_queue() = Some(Arc::clone(&queue));
        let max_lag = Duration::from_millis(300);
        assert!(!shared.falling_behind(max_lag));
        // A second-old packet waits (lagging) and the decoder skipped once.
        queue.push(packet(Instant::now() - Duration::from_secs(1)));
        queue.overflows.fetch_add(1, Ordering::Relaxed);
        assert!(shared.falling_behind(max_lag));
        // It caught up: nothing waits and nothing new was skipped.
        assert!(queue.pop(Duration::ZERO).is_some());
        assert!(
            !shared.falling_behind(max_lag),
            "the skip seen while lagging was counted again"
        );
    }

    /// 50 frames of 320×240 H.264, a keyframe every 25, no B-frames.
    fn clip(dir: &std::path::Path) -> std::path::PathBuf {
        let path = dir.join("gop25.mp4");
        let status = std::process::Command::new("ffmpeg")
            .args(["-nostdin", "-loglevel", "error", "-y", "-f", "lavfi"])
            .args(["-i", "testsrc2=size=320x240:rate=25", "-frames:v", "50"])
            .args([
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-pix_fmt",
                "yuv420p",
            ])
            .args([
                "-x264-params",
                "bframes=0:keyint=25:min-keyint=25:scenecut=0",
            ])
            .arg(&path)
            .status()
            .expect("ffmpeg");
        assert!(status.success());
        path
    }

    /// Decodes the whole clip on one stream whose hardware session "fails" at the given
    /// packets (none: the plain path), read as fast as the disk allows once the decoder
    /// listens, so every packet reaches it.
    fn decode_clip(
        path: &std::path::Path,
        name: &str,
        fail_at: &[u64],
    ) -> (Arc<StreamShared>, std::thread::JoinHandle<()>) {
        let ingest = Arc::new(IngestShared::new(Arc::new(|| {})));
        let shared = Arc::new(StreamShared::new(Arc::clone(&ingest)));
        if !fail_at.is_empty() {
            shared.simulate_hw_failure_at(fail_at);
        }
        let decoder = {
            let shared = Arc::clone(&shared);
            let name = name.to_owned();
            std::thread::Builder::new()
                .name(format!("test-dec-{name}"))
                .spawn(move || run(&name, "main", &shared, &(Arc::new(|| {}) as Notify)))
                .expect("thread")
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while shared.lock_queue().is_none() {
            assert!(Instant::now() < deadline, "decoder never subscribed");
            std::thread::yield_now();
        }
        let mut spec = crate::StreamSpec::file(name, name, path);
        spec.loop_file = false;
        let ingest_thread = std::thread::Builder::new()
            .name(format!("test-in-{name}"))
            .spawn(move || crate::ingest::run(&spec, &ingest))
            .expect("thread");
        let _ = decoder;
        (shared, ingest_thread)
    }

    #[test]
    fn a_failed_hardware_session_falls_back_without_losing_the_gop() {
        ff::init().ok();
        let dir = tempfile::tempdir().expect("tempdir");
        let path = clip(dir.path());
        // Hardware decoding stays allowed (VIGIL_HWACCEL unset): on a machine without a
        // device every stream is in software from its first packet.
        assert!(crate::hwaccel::allowed());
        let streams = [
            ("plain", vec![]),
            // The session fails on the first keyframe (as a decoder that will not take
            // the stream), and mid-GOP after six frames were shown (a failed download).
            ("fails-first", vec![1]),
            ("fails-mid-gop", vec![7]),
        ]
        .map(|(name, fail_at)| (name, decode_clip(&path, name, &fail_at)));
        let deadline = Instant::now() + Duration::from_secs(20);
        for (name, (shared, _)) in &streams {
            while shared.stats.frames_decoded.load(Ordering::Relaxed) < 50
                && Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            assert_eq!(
                shared.stats.frames_decoded.load(Ordering::Relaxed),
                50,
                "{name}: every frame decoded once, none of the first GOP lost"
            );
            shared.request_stop();
            shared.ingest().request_stop();
        }
        for (_, (_, ingest)) in streams.iter() {
            while !ingest.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        let ttff_us = |shared: &StreamShared| shared.stats.first_frame_us.load(Ordering::Relaxed);
        let software_ttff_us = ttff_us(&streams[0].1.0);
        for (name, (shared, _)) in &streams[1..] {
            assert!(
                ttff_us(shared) <= software_ttff_us + 100_000,
                "{name}: first frame after {} µs, software's after {software_ttff_us} µs",
                ttff_us(shared),
            );
            let reason = shared.software_reason().unwrap_or_default();
            assert!(
                reason.starts_with("hardware decoding failed: simulated"),
                "{reason}"
            );
            assert!(!shared.hardware());
        }
        if crate::hwaccel::open_for(ff::codec::Id::H264).is_err() {
            let reason = streams[0].1.0.software_reason().unwrap_or_default();
            assert!(
                reason.starts_with("hardware device unavailable: "),
                "{reason}"
            );
        }
    }
}
