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
use super::queue::PacketQueue;
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

/// What a decoder shares with the rest of the program.
pub struct StreamShared {
    pub slot: FrameSlot,
    pub stats: StreamStats,
    ingest: Arc<IngestShared>,
    stop: AtomicBool,
    keyframe_only: AtomicBool,
    queue: std::sync::Mutex<Option<Arc<PacketQueue>>>,
    overflows_seen: AtomicU64,
    hardware: AtomicBool,
}

impl StreamShared {
    pub fn new(ingest: Arc<IngestShared>) -> Self {
        Self {
            slot: FrameSlot::default(),
            stats: StreamStats::default(),
            ingest,
            stop: AtomicBool::new(false),
            keyframe_only: AtomicBool::new(false),
            queue: std::sync::Mutex::new(None),
            overflows_seen: AtomicU64::new(0),
            hardware: AtomicBool::new(false),
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
    /// The hardware device frames are decoded on, if any (kept alive with the decoder).
    hw: Option<super::hwaccel::HwDevice>,
}

/// Opens a decoder for `parameters`: on a hardware device when allowed and one works,
/// else in software.
fn open_decoder(
    parameters: ff::codec::Parameters,
    info: &StreamInfo,
    generation: u64,
    try_hw: bool,
) -> Option<Open> {
    let codec = parameters.id();
    let mut context = ff::codec::context::Context::from_parameters(parameters).ok()?;
    // One thread per wall tile: frame threading would add a frame of delay per thread.
    context.set_threading(ff::codec::threading::Config::count(1));
    let mut hw = None;
    if try_hw && super::hwaccel::allowed() {
        match super::hwaccel::open_for(codec) {
            Ok((device, pix_fmt)) => match super::hwaccel::attach(&mut context, &device, pix_fmt) {
                Ok(()) => {
                    tracing::info!(device = %device.name(), "hardware decoding");
                    hw = Some(device);
                }
                Err(err) => tracing::info!(%err, "hardware decoding unavailable; software"),
            },
            Err(err) => tracing::debug!(%err, "no hardware decoder; software"),
        }
    }
    let decoder = context.decoder().video().ok()?;
    let (num, den) = info.time_base;
    Some(Open {
        decoder,
        generation,
        nanos_per_tick: f64::from(num) * 1e9 / f64::from(den.max(1)),
        hw,
    })
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
    let mut open: Option<Open> = None;
    let mut converter = FrameConverter::default();
    let mut decoded = ff::util::frame::video::Video::empty();
    let mut downloaded = ff::util::frame::video::Video::empty();
    // Cleared for good on the first hardware error: this stream decodes in software.
    let mut try_hw = true;
    let mut need_key = true;
    let mut seq = 0u64;
    let mut first_published = false;
    let mut consecutive_errors = 0u32;
    while !shared.stop_requested() {
        let Some(item) = queue.pop(Duration::from_millis(200)) else {
            continue;
        };
        // A new connection (or the first one): open a decoder for its parameters.
        if open
            .as_ref()
            .is_none_or(|o| o.generation != item.generation)
        {
            open = ingest
                .parameters()
                .filter(|(_, _, generation)| *generation == item.generation)
                .and_then(|(params, info, generation)| {
                    open_decoder(params, &info, generation, try_hw)
                });
            shared.hardware.store(
                open.as_ref().is_some_and(|o| o.hw.is_some()),
                Ordering::Relaxed,
            );
            need_key = true;
            if open.is_none() {
                shared.stats.decode_errors.fetch_add(1, Ordering::Relaxed);
                continue;
            }
        }
        let Some(o) = open.as_mut() else { continue };
        // Keyframe-only mode: non-key packets are never decoded. Leaving it (or after a
        // reconnect) decoding resumes at the next keyframe, never mid-GOP.
        if !item.is_key() && (need_key || shared.keyframe_only()) {
            need_key = true;
            continue;
        }
        need_key = false;
        let decode_started = Instant::now();
        if o.decoder.send_packet(item.packet.as_ref()).is_err() {
            shared.stats.decode_errors.fetch_add(1, Ordering::Relaxed);
            if o.hw.is_some() {
                tracing::warn!("hardware decoder failed; falling back to software");
                try_hw = false;
                open = None;
                continue;
            }
            consecutive_errors += 1;
            if consecutive_errors > 50 {
                // Corrupt beyond recovery: start over at the next keyframe.
                o.decoder.flush();
                need_key = true;
                consecutive_errors = 0;
            }
            continue;
        }
        while o.decoder.receive_frame(&mut decoded).is_ok() {
            consecutive_errors = 0;
            let decode_us = u64::try_from(decode_started.elapsed().as_micros()).unwrap_or(u64::MAX);
            shared
                .stats
                .decode_us
                .fetch_add(decode_us, Ordering::Relaxed);
            shared.stats.frames_decoded.fetch_add(1, Ordering::Relaxed);
            // Catching up through the keyframe cache: show the keyframe at once, then
            // only the newest cached frame, so the picture is current without flicker.
            if item.from_cache && first_published && queue.cache_pending() {
                continue;
            }
            let source = if super::hwaccel::is_hw_frame(&decoded) {
                if let Err(err) = super::hwaccel::download(&decoded, &mut downloaded) {
                    tracing::warn!(%err, "falling back to software decoding");
                    try_hw = false;
                    break;
                }
                &downloaded
            } else {
                &decoded
            };
            // ffmpeg-next reads the format as its enum: a format this build does not
            // know is a skipped frame, never an invalid enum.
            if let Err(unknown) = super::hwaccel::frame_format(source) {
                shared.stats.decode_errors.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(format = %unknown, "frame in an unknown pixel format skipped");
                continue;
            }
            let mut frame = shared.slot.take_buffer();
            if let Err(msg) = converter.convert(source, &mut frame) {
                shared.slot.recycle(frame);
                shared.stats.decode_errors.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(%msg, "frame skipped");
                continue;
            }
            seq += 1;
            frame.seq = seq;
            let pts_ticks = decoded.timestamp().or(decoded.pts()).unwrap_or(0);
            #[allow(clippy::cast_possible_truncation)]
            let pts_nanos = (pts_ticks as f64 * o.nanos_per_tick) as i64;
            frame.pts_nanos = pts_nanos;
            frame.received_at = item.received_at;
            // On the ingest's clock, as `received_at` is.
            frame.decoded_at = ingest.clock().monotonic();
            shared.stats.width.store(frame.width, Ordering::Relaxed);
            shared.stats.height.store(frame.height, Ordering::Relaxed);
            let latency = frame.decoded_at.saturating_duration_since(item.received_at);
            shared.stats.latency_us.store(
                u64::try_from(latency.as_micros()).unwrap_or(u64::MAX),
                Ordering::Relaxed,
            );
            if shared.slot.publish(frame) {
                shared.stats.frames_dropped.fetch_add(1, Ordering::Relaxed);
            }
            if !first_published {
                first_published = true;
                let us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                shared
                    .stats
                    .first_frame_us
                    .store(us.max(1), Ordering::Relaxed);
                tracing::debug!(first_frame_ms = us / 1000, "first frame");
            }
            notify();
        }
        if !try_hw && open.as_ref().is_some_and(|o| o.hw.is_some()) {
            // Reopen in software at the next packet (which waits for a keyframe).
            open = None;
        }
    }
    ingest.unsubscribe(&queue);
    shared.slot.clear();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::QueuedPacket;

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
}
