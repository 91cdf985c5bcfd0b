//! The Cameras panel's *Test*: opens a camera's stream on a named worker thread
//! (`vigil-probe`), through the same ingest and decoder as the wall, and measures what
//! the installer needs to know: codec, resolution, frame rate, keyframe interval (from
//! the keyframes' timestamps over a few seconds) and the time to the first picture.
//! With credentials given it also opens the stream without them, and says whether the
//! camera lets anonymous viewers in ([`AnonymousAttempt`], which the security check in
//! [`crate::posture`] uses too).
//!
//! Owns: the worker, its own [`Engine`] (nothing is shared with the wall's streams), and
//! the [`ProbeReport`] it fills in. Must not: touch the site or the credential store, or
//! run on the caller's thread (starting returns at once; dropping asks it to stop).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use vigil_config::redact::{Credentials, parse_source};
use vigil_config::{CameraConfig, CredentialStore};
use vigil_frame::VideoFrame;
use vigil_media::{Engine, Failure, MAIN_STREAM, Notify, StreamSpec, StreamState, Timeouts};

/// Keyframe intervals and the frame rate are measured over this long after the first
/// picture.
pub const MEASURE_FOR: Duration = Duration::from_secs(4);
/// Without a picture after this long, the test gives up.
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(12);
/// How long the anonymous try may take.
const ANONYMOUS_FOR: Duration = Duration::from_secs(6);

/// Whether the stream also opens without credentials.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Anonymous {
    /// Not tried (no credentials were given, or the main test has not got that far).
    #[default]
    NotTried,
    Trying,
    /// The stream opened without credentials: anyone on the network can watch.
    Accepted,
    /// The camera refused it (the answer that should be).
    Refused(String),
}

/// Where the test stands.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ProbeStage {
    #[default]
    Opening,
    /// Pictures arrive; figures are still being measured.
    Measuring,
    /// Measured; the preview keeps playing until the test is dropped.
    Done,
    /// The stream did not open or play, and why.
    Failed(String),
}

/// What the test found so far.
#[derive(Clone, Debug, Default)]
pub struct ProbeReport {
    pub stage: ProbeStage,
    pub codec: Option<String>,
    pub width: u32,
    pub height: u32,
    /// Pictures decoded per second, measured.
    pub fps: Option<f64>,
    /// Seconds between keyframes, measured (the mean of the intervals seen).
    pub keyframe_interval_secs: Option<f64>,
    /// From starting the test to the first decoded picture.
    pub first_frame_ms: Option<u64>,
    pub anonymous: Anonymous,
    /// The newest picture, for the preview, and its sequence number (a new number is a
    /// new picture to upload).
    pub frame: Option<Arc<VideoFrame>>,
}

/// The spec of `camera`'s main stream with `credentials` (empty ones count as none).
pub fn main_spec(
    camera: &CameraConfig,
    credentials: Option<Credentials>,
) -> Result<StreamSpec, String> {
    let source = parse_source(&camera.source).map_err(|e| e.to_string())?;
    Ok(StreamSpec {
        camera_id: camera.id.to_string(),
        camera_name: camera.name.clone(),
        stream: MAIN_STREAM.to_owned(),
        source,
        transport: camera.transport,
        credentials: credentials.filter(|c| !c.username.is_empty() || !c.password.is_empty()),
        loop_file: camera.loop_file,
        timeouts: Timeouts::default(),
    })
}

/// A running test; dropping it stops the worker (without waiting for it).
pub struct StreamProbe {
    report: Arc<Mutex<ProbeReport>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

fn lock(report: &Mutex<ProbeReport>) -> MutexGuard<'_, ProbeReport> {
    report.lock().unwrap_or_else(|e| e.into_inner())
}

impl StreamProbe {
    /// Starts testing `camera`'s main stream with `password` (and the camera's user
    /// name), or with the credential store's password for it when `password` is
    /// `None`. `notify` is called when the report changed.
    pub fn start(
        camera: &CameraConfig,
        password: Option<String>,
        store: &CredentialStore,
        notify: Notify,
    ) -> Result<Self, String> {
        let credentials = match password {
            Some(password) => Some(Credentials {
                username: camera.username.clone().unwrap_or_default(),
                password,
            }),
            None => store.for_camera(camera),
        };
        let spec = main_spec(camera, credentials)?;
        let report = Arc::new(Mutex::new(ProbeReport::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (report, stop) = (Arc::clone(&report), Arc::clone(&stop));
            std::thread::Builder::new()
                .name("vigil-probe".to_owned())
                .spawn(move || {
                    let _span = tracing::info_span!("probe", camera = %spec.camera_id).entered();
                    run(&spec, &report, &stop, &notify);
                })
                .map_err(|e| format!("cannot start the test: {e}"))?
        };
        Ok(Self {
            report,
            stop,
            thread: Some(thread),
        })
    }

    /// What the test found so far.
    pub fn report(&self) -> ProbeReport {
        lock(&self.report).clone()
    }

    /// Whether the worker still runs.
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }
}

impl Drop for StreamProbe {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Not joined: its engine stops its workers without waiting for a camera.
        self.thread.take();
    }
}

/// Keyframe timestamps → the mean interval, in seconds.
fn mean_interval_secs(keyframe_secs: &[f64]) -> Option<f64> {
    let steps: Vec<f64> = keyframe_secs
        .windows(2)
        .map(|w| w[1] - w[0])
        // A looping file starts again at zero.
        .filter(|d| *d > 0.0)
        .collect();
    #[allow(clippy::cast_precision_loss)]
    (!steps.is_empty()).then(|| steps.iter().sum::<f64>() / steps.len() as f64)
}

fn failed(state: &StreamState) -> Option<Failure> {
    match state {
        StreamState::Offline { reason } | StreamState::Reconnecting { reason, .. } => {
            Some(reason.clone())
        }
        _ => None,
    }
}

/// What became of opening a stream without credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// It played: anyone on the network can watch.
    Opened,
    /// The camera (or the network) said no, and how.
    Failed(Failure),
    /// Neither within the time allowed.
    NoAnswer,
}

/// One try at a camera's stream without credentials, on an engine of its own (nothing
/// is shared with the wall). Used by the *Test* above and by the security check
/// ([`crate::posture`]). Dropping it stops the try.
pub struct AnonymousAttempt {
    engine: Engine,
    key: vigil_media::StreamKey,
    since: Instant,
    limit: Duration,
}

impl AnonymousAttempt {
    /// Starts opening `spec`'s stream without its credentials; gives up after `limit`.
    pub fn start(spec: &StreamSpec, limit: Duration) -> Self {
        let mut bare = spec.clone();
        bare.credentials = None;
        bare.camera_id = format!("{}-anonymous", spec.camera_id);
        let mut engine = Engine::new(Arc::new(|| {}));
        engine.ensure_ingest(&bare);
        Self {
            engine,
            key: bare.key(),
            since: Instant::now(),
            limit,
        }
    }

    /// The outcome, once there is one (`None`: still trying).
    pub fn poll(&mut self) -> Option<AttemptOutcome> {
        let state = self.engine.ingest(&self.key).map(|i| i.state());
        let outcome = match &state {
            Some(StreamState::Live) => Some(AttemptOutcome::Opened),
            Some(s) => failed(s).map(AttemptOutcome::Failed),
            None => Some(AttemptOutcome::Failed(Failure::Other(
                "could not try".to_owned(),
            ))),
        };
        outcome.or_else(|| (self.since.elapsed() >= self.limit).then_some(AttemptOutcome::NoAnswer))
    }

    /// Waits on the caller's thread for the outcome (at most the limit).
    pub fn wait(mut self) -> AttemptOutcome {
        loop {
            if let Some(outcome) = self.poll() {
                return outcome;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for AnonymousAttempt {
    fn drop(&mut self) {
        self.engine.shutdown(Duration::from_millis(500));
    }
}

fn run(spec: &StreamSpec, report: &Mutex<ProbeReport>, stop: &AtomicBool, notify: &Notify) {
    let started = Instant::now();
    let mut engine = Engine::new(Arc::clone(notify));
    let stream = engine.ensure(spec);
    let ingest = Arc::clone(stream.ingest());
    let packets = ingest.subscribe(8 << 20, Duration::from_secs(2));
    let mut keyframes: Vec<f64> = Vec::new();
    let mut first_frame: Option<Instant> = None;
    let mut frames_since_first = 0u64;
    let mut anonymous: Option<AnonymousAttempt> = None;
    while !stop.load(Ordering::SeqCst) {
        // Keyframe times from the stream's own timestamps.
        while let Some(packet) = packets.pop(Duration::ZERO) {
            if packet.from_cache || !packet.is_key() {
                continue;
            }
            if let (Some(pts), Some(info)) = (packet.packet.pts(), ingest.info()) {
                let (num, den) = info.time_base;
                if den != 0 {
                    #[allow(clippy::cast_precision_loss)]
                    keyframes.push(pts as f64 * f64::from(num) / f64::from(den));
                }
            }
        }
        let frame = stream.slot.take_latest();
        let mut r = lock(report);
        if let Some(frame) = frame {
            if first_frame.is_none() {
                let now = Instant::now();
                first_frame = Some(now);
                r.first_frame_ms = Some(
                    u64::try_from(now.duration_since(started).as_millis()).unwrap_or(u64::MAX),
                );
                r.stage = ProbeStage::Measuring;
                tracing::info!(ms = r.first_frame_ms, "test: first picture");
            } else {
                frames_since_first += 1;
            }
            (r.width, r.height) = (frame.width, frame.height);
            r.codec = Some(stream.codec()).filter(|c| !c.is_empty());
            r.frame = Some(Arc::new(*frame));
        }
        if let Some(first) = first_frame {
            let secs = first.elapsed().as_secs_f64();
            if secs >= 1.0 {
                #[allow(clippy::cast_precision_loss)]
                {
                    r.fps = Some(frames_since_first as f64 / secs);
                }
            }
            r.keyframe_interval_secs = mean_interval_secs(&keyframes);
            if r.stage == ProbeStage::Measuring && first.elapsed() >= MEASURE_FOR {
                r.stage = ProbeStage::Done;
                tracing::info!(
                    codec = ?r.codec, width = r.width, height = r.height, fps = ?r.fps,
                    keyframe_interval_secs = ?r.keyframe_interval_secs, "test: measured"
                );
            }
            // With the stream open, try it without credentials.
            if spec.credentials.is_some() && r.anonymous == Anonymous::NotTried {
                anonymous = Some(AnonymousAttempt::start(spec, ANONYMOUS_FOR));
                r.anonymous = Anonymous::Trying;
            }
        } else if let Some(why) = failed(&stream.state()) {
            r.stage = ProbeStage::Failed(why.to_string());
        } else if started.elapsed() >= GIVE_UP_AFTER {
            r.stage = ProbeStage::Failed(format!("no picture after {} s", GIVE_UP_AFTER.as_secs()));
        }
        if r.anonymous == Anonymous::Trying
            && let Some(outcome) = anonymous.as_mut().and_then(AnonymousAttempt::poll)
        {
            let outcome = match outcome {
                AttemptOutcome::Opened => {
                    tracing::warn!("test: the camera accepts anonymous viewers");
                    Anonymous::Accepted
                }
                AttemptOutcome::Failed(why) => Anonymous::Refused(why.to_string()),
                AttemptOutcome::NoAnswer => {
                    Anonymous::Refused("no answer without credentials".to_owned())
                }
            };
            r.anonymous = outcome;
            anonymous = None;
        }
        let give_up = matches!(r.stage, ProbeStage::Failed(_));
        drop(r);
        notify();
        if give_up {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    ingest.unsubscribe(&packets);
    drop(anonymous);
    engine.shutdown(Duration::from_secs(2));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyframe_interval_is_the_mean_of_forward_steps() {
        assert_eq!(mean_interval_secs(&[]), None);
        assert_eq!(mean_interval_secs(&[3.0]), None);
        assert_eq!(mean_interval_secs(&[0.0, 2.0, 4.0, 6.0]), Some(2.0));
        // A file looping back to 0 does not count a negative interval.
        assert_eq!(mean_interval_secs(&[8.0, 9.0, 0.0, 1.0]), Some(1.0));
    }
}
