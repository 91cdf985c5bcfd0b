//! One camera's detection worker (`vigil-detect-<camera>`): the frames of the camera's
//! smallest stream arrive through the decoder's tap (a bounded channel; a full channel
//! drops the frame, never blocks the decoder), are run through `vigil-detect`, and what
//! starts and ends comes back as [`Report`]s in wall time, with the moving cells for
//! the overlay and a small picture of the frame that started an event. The frame
//! buffers go back to the tap once looked at ([`copy_into`]), so a running detector
//! copies pictures without allocating picture buffers.
//!
//! Owns: the thread, its `Detector` and the media-time → wall-time mapping. Must not:
//! decode (frames come from the tile's decoder), touch the index or decide alarms.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError};

use vigil_detect::{Detector, EventKind, Luma, Settings};
use vigil_frame::VideoFrame;
use vigil_media::FrameTap;
use vigil_time::{NANOS_PER_SEC, SharedClock, WallNanos};

/// Frames waiting for the detector; beyond this the decoder's newest are dropped.
const FRAME_QUEUE: usize = 4;
/// Reports waiting for the core's next step.
const REPORT_QUEUE: usize = 64;
/// How often an idle worker looks whether it should stop.
const LOOK_EVERY: Duration = Duration::from_millis(100);
/// A thumbnail is at most this wide.
pub const THUMB_WIDTH_PX: u32 = 160;

/// A small RGBA picture of the frame that raised an alert, kept in memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thumbnail {
    pub width_px: u32,
    pub height_px: u32,
    /// `width_px × height_px × 4` bytes, row-major.
    pub rgba: Vec<u8>,
}

impl Thumbnail {
    /// `frame` scaled to at most [`THUMB_WIDTH_PX`] wide.
    pub fn of(frame: &VideoFrame) -> Self {
        let rgb = crate::snapshot::frame_to_rgb(frame);
        let width = frame.width.clamp(1, THUMB_WIDTH_PX);
        let height = (u64::from(frame.height) * u64::from(width) / u64::from(frame.width.max(1)))
            .clamp(1, 4096);
        let height = u32::try_from(height).unwrap_or(1);
        let small = image::imageops::thumbnail(&rgb, width, height);
        let rgba = image::DynamicImage::ImageRgb8(small).into_rgba8();
        Self {
            width_px: rgba.width(),
            height_px: rgba.height(),
            rgba: rgba.into_raw(),
        }
    }
}

/// What a detection worker tells the core.
#[derive(Clone, Debug)]
pub enum Report {
    /// An event began at `start` (it is known some time later: the minimum duration or
    /// the settling time).
    Started {
        kind: EventKind,
        start: WallNanos,
        thumbnail: Option<Arc<Thumbnail>>,
    },
    /// An event ended.
    Ended {
        kind: EventKind,
        start: WallNanos,
        end: WallNanos,
    },
    /// The cells that moved in the newest frame (row-major, `vigil_detect::GRID_W` × `GRID_H`).
    Cells(Arc<Vec<bool>>),
}

/// A running detection worker.
pub struct Worker {
    frames: Sender<Box<VideoFrame>>,
    /// Buffers the worker is done with, for the tap to copy the next frame into.
    spare: Receiver<Box<VideoFrame>>,
    reports: Receiver<Report>,
    thread: Option<JoinHandle<()>>,
    stop: Arc<AtomicBool>,
    pub settings: Settings,
}

impl Worker {
    /// Starts the worker for `camera` with validated `settings`.
    pub fn start(camera: &str, settings: Settings, clock: SharedClock) -> std::io::Result<Self> {
        let (frames, frames_rx) = crossbeam_channel::bounded::<Box<VideoFrame>>(FRAME_QUEUE);
        let (reports_tx, reports) = crossbeam_channel::bounded(REPORT_QUEUE);
        // One more spare than can wait: the one the worker is looking at.
        let (spare_tx, spare) = crossbeam_channel::bounded::<Box<VideoFrame>>(FRAME_QUEUE + 1);
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let camera = camera.to_owned();
            let settings = settings.clone();
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name(format!("vigil-detect-{camera}"))
                .spawn(move || {
                    let channels = Channels {
                        frames: &frames_rx,
                        spare: &spare_tx,
                        reports: &reports_tx,
                    };
                    run(&camera, &settings, &clock, &channels, &stop);
                })?
        };
        Ok(Self {
            frames,
            spare,
            reports,
            stop,
            thread: Some(thread),
            settings,
        })
    }

    /// The tap to set on the decoder of the camera's smallest stream.
    pub fn tap(&self) -> FrameTap {
        tap_into(self.frames.clone(), self.spare.clone())
    }

    /// Reports since the last call.
    pub fn take_reports(&self) -> Vec<Report> {
        self.reports.try_iter().collect()
    }
}

/// A tap that copies each frame into a spare buffer (a new one when none is spare) and
/// queues it for the worker, dropping it when the worker is behind.
fn tap_into(frames: Sender<Box<VideoFrame>>, spare: Receiver<Box<VideoFrame>>) -> FrameTap {
    Arc::new(move |frame: &VideoFrame| {
        if frames.is_full() {
            return;
        }
        let copy = match spare.try_recv() {
            Ok(mut buffer) => {
                copy_into(&mut buffer, frame);
                buffer
            }
            Err(_) => Box::new(frame.clone()),
        };
        match frames.try_send(copy) {
            Ok(()) | Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {}
        }
    })
}

impl Drop for Worker {
    fn drop(&mut self) {
        // The decoder's tap may still hold a sender: the flag ends the thread within
        // one look, without the caller waiting for it.
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take()
            && thread.is_finished()
            && thread.join().is_err()
        {
            tracing::error!("a detection thread panicked");
        }
    }
}

/// Makes `into` a copy of `from`, keeping `into`'s plane allocations when they are
/// large enough (the same stream's next frame always is).
pub fn copy_into(into: &mut VideoFrame, from: &VideoFrame) {
    for (dst, src) in into.planes.iter_mut().zip(&from.planes) {
        dst.data.clone_from(&src.data);
        dst.stride = src.stride;
        dst.width = src.width;
        dst.height = src.height;
    }
    into.layout = from.layout;
    into.width = from.width;
    into.height = from.height;
    into.colour = from.colour;
    into.pts_nanos = from.pts_nanos;
    into.seq = from.seq;
    into.received_at = from.received_at;
    into.decoded_at = from.decoded_at;
}

/// A frame being looked at; its buffer goes back to the tap when dropped (a full spare
/// channel drops it instead).
struct Recycled<'a> {
    frame: Box<VideoFrame>,
    spare: &'a Sender<Box<VideoFrame>>,
}

impl std::ops::Deref for Recycled<'_> {
    type Target = VideoFrame;
    fn deref(&self) -> &VideoFrame {
        &self.frame
    }
}

impl Drop for Recycled<'_> {
    fn drop(&mut self) {
        // The placeholder has no picture buffers: nothing large is allocated.
        let frame = std::mem::take(&mut self.frame);
        let _ = self.spare.try_send(frame);
    }
}

/// The worker's ends of its channels.
struct Channels<'a> {
    frames: &'a Receiver<Box<VideoFrame>>,
    spare: &'a Sender<Box<VideoFrame>>,
    reports: &'a Sender<Report>,
}

/// Media seconds since `base` on the clock's monotonic reading (negative before it).
fn secs_since(base: Instant, at: Instant) -> f64 {
    match at.checked_duration_since(base) {
        Some(d) => d.as_secs_f64(),
        None => -base.duration_since(at).as_secs_f64(),
    }
}

fn run(
    camera: &str,
    settings: &Settings,
    clock: &SharedClock,
    channels: &Channels<'_>,
    stop: &AtomicBool,
) {
    let Channels {
        frames,
        spare,
        reports,
    } = *channels;
    let span = tracing::info_span!("detect", camera = %camera);
    let _enter = span.enter();
    tracing::info!("detection started");
    let (base_wall, base_mono) = (clock.wall(), clock.monotonic());
    #[allow(clippy::cast_possible_truncation)]
    let wall_of =
        |t_secs: f64| base_wall.saturating_add_nanos((t_secs * NANOS_PER_SEC as f64) as i64);
    let mut detector = Detector::new(settings);
    let mut active: Vec<EventKind> = Vec::new();
    let mut last_t = f64::NEG_INFINITY;
    let mut refused = false;
    let send = |report: Report| {
        if reports.try_send(report).is_err() {
            tracing::warn!("detection reports not taken: one dropped");
        }
    };
    while !stop.load(Ordering::Relaxed) {
        let frame = match frames.recv_timeout(LOOK_EVERY) {
            Ok(frame) => frame,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let frame = Recycled { frame, spare };
        let t_secs = secs_since(base_mono, frame.received_at);
        if t_secs <= last_t {
            continue;
        }
        last_t = t_secs;
        let plane = &frame.planes[0];
        let luma = Luma {
            width: frame.width as usize,
            height: frame.height as usize,
            stride: plane.stride,
            data: &plane.data,
        };
        let ended = match detector.push(t_secs, &luma) {
            Ok(ended) => ended,
            Err(err) => {
                if !refused {
                    tracing::warn!(%err, "frame not usable for detection");
                    refused = true;
                }
                continue;
            }
        };
        if detector.frames() % 250 == 1 {
            tracing::debug!(
                frames = detector.frames(),
                t_secs,
                area = detector.motion().area(),
                "detecting"
            );
        }
        send(Report::Cells(Arc::new(
            detector.motion().moving_cells().to_vec(),
        )));
        for (kind, start_secs) in detector.active() {
            if !active.contains(&kind) {
                active.push(kind);
                tracing::info!(kind = kind.as_str(), "detection started an event");
                send(Report::Started {
                    kind,
                    start: wall_of(start_secs),
                    thumbnail: Some(Arc::new(Thumbnail::of(&frame))),
                });
            }
        }
        for event in ended {
            let start = wall_of(event.start_secs);
            if !active.contains(&event.kind) {
                // Over as soon as confirmed (a moved camera): it starts and ends here.
                send(Report::Started {
                    kind: event.kind,
                    start,
                    thumbnail: Some(Arc::new(Thumbnail::of(&frame))),
                });
            }
            active.retain(|k| *k != event.kind);
            tracing::info!(kind = event.kind.as_str(), "detection ended an event");
            send(Report::Ended {
                kind: event.kind,
                start,
                end: wall_of(event.end_secs),
            });
        }
    }
    let now = secs_since(base_mono, clock.monotonic());
    for event in detector.finish() {
        send(Report::Ended {
            kind: event.kind,
            start: wall_of(event.start_secs),
            end: wall_of(event.end_secs.min(now)),
        });
    }
    tracing::info!("detection stopped");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(width: u32, height: u32, luma: u8, seq: u64) -> VideoFrame {
        let mut frame = VideoFrame {
            width,
            height,
            seq,
            ..VideoFrame::default()
        };
        let (w, h) = (width as usize, height as usize);
        frame.planes[0].fill_from(&vec![luma; w * h], w, width, height);
        frame.planes[1].fill_from(&vec![128; w * h / 4], w / 2, width / 2, height / 2);
        frame.planes[2].fill_from(&vec![128; w * h / 4], w / 2, width / 2, height / 2);
        frame
    }

    #[test]
    fn copy_into_copies_everything_and_keeps_large_enough_buffers() {
        let mut into = frame(64, 48, 10, 1);
        let before = into.planes[0].data.as_ptr();
        let from = frame(32, 24, 200, 7);
        copy_into(&mut into, &from);
        assert_eq!(into.planes[0].data.as_ptr(), before, "the buffer was kept");
        assert_eq!((into.width, into.height, into.seq), (32, 24, 7));
        for (a, b) in into.planes.iter().zip(&from.planes) {
            assert_eq!(
                (&a.data, a.stride, a.width, a.height),
                (&b.data, b.stride, b.width, b.height)
            );
        }
    }

    #[test]
    fn the_tap_copies_into_a_spare_buffer_when_there_is_one() {
        let (frames_tx, frames) = crossbeam_channel::bounded(4);
        let (spare_tx, spare) = crossbeam_channel::bounded(4);
        let tap = tap_into(frames_tx, spare);
        tap(&frame(64, 48, 10, 1));
        let first = frames.try_recv().expect("queued");
        let buffer = first.planes[0].data.as_ptr();
        spare_tx.send(first).expect("spare");
        tap(&frame(64, 48, 99, 2));
        let second = frames.try_recv().expect("queued");
        assert_eq!(
            second.planes[0].data.as_ptr(),
            buffer,
            "the spare buffer was reused"
        );
        assert_eq!((second.seq, second.planes[0].data[0]), (2, 99));
    }

    #[test]
    fn frames_looked_at_come_back_to_the_tap_for_the_next_copy() {
        let worker =
            Worker::start("yard", Settings::default(), vigil_time::real_clock()).expect("worker");
        let tap = worker.tap();
        let wait_for_spares = |n: usize| {
            let deadline = Instant::now() + Duration::from_secs(10);
            while worker.spare.len() != n {
                assert!(
                    Instant::now() < deadline,
                    "spares stayed at {}",
                    worker.spare.len()
                );
                std::thread::sleep(Duration::from_millis(5));
            }
        };
        assert_eq!(worker.spare.len(), 0);
        tap(&frame(64, 48, 10, 1));
        wait_for_spares(1);
    }
}
