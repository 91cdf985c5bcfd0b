//! One camera's detection worker (`vigil-detect-<camera>`): the frames of the camera's
//! smallest stream arrive through the decoder's tap (a bounded channel; a full channel
//! drops the frame, never blocks the decoder), are run through `vigil-detect`, and what
//! starts and ends comes back as [`Report`]s in wall time, with the moving cells for
//! the overlay and a small picture of the frame that started an event.
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
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let camera = camera.to_owned();
            let settings = settings.clone();
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name(format!("vigil-detect-{camera}"))
                .spawn(move || run(&camera, &settings, &clock, &frames_rx, &reports_tx, &stop))?
        };
        Ok(Self {
            frames,
            reports,
            stop,
            thread: Some(thread),
            settings,
        })
    }

    /// The tap to set on the decoder of the camera's smallest stream.
    pub fn tap(&self) -> FrameTap {
        let frames = self.frames.clone();
        Arc::new(move |frame: &VideoFrame| {
            if frames.is_full() {
                return;
            }
            match frames.try_send(Box::new(frame.clone())) {
                Ok(()) | Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {}
            }
        })
    }

    /// Reports since the last call.
    pub fn take_reports(&self) -> Vec<Report> {
        self.reports.try_iter().collect()
    }
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
    frames: &Receiver<Box<VideoFrame>>,
    reports: &Sender<Report>,
    stop: &AtomicBool,
) {
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
