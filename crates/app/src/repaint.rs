//! Repaints driven by new pictures, coalesced across tiles and capped at a rate.
//!
//! Every decoder calls the engine's notifier when it publishes a frame; with N cameras
//! that is N × 25 calls a second, out of phase. Asking egui for a repaint on each one
//! redraws the whole window up to N × 25 times a second (on a software renderer, that
//! is where the CPU goes). The gate turns them into at most one pending request, due
//! no sooner than `min_interval` after the last frame began, so the window is drawn at
//! most at the cap and at least as often as new pictures arrive (up to the cap).
//!
//! Owns: the "a new picture is waiting" flag and the time of the last frame. Must not:
//! know egui (the request is a callback, so the gate is tested without a window) or
//! block a decoder thread beyond a short lock.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The default cap: a common display rate.
pub const DEFAULT_CAP_HZ: f64 = 60.0;

/// Asks the UI for a frame within the given delay.
pub type RequestRepaint = Box<dyn Fn(Duration) + Send + Sync>;

#[derive(Debug, Default)]
struct State {
    /// A repaint was requested and its frame has not begun yet.
    pending: bool,
    /// When the last frame began.
    last_frame: Option<Instant>,
    /// Repaint requests made, for the HUD and the benchmark.
    requests: u64,
}

/// Coalesces "a new picture arrived" notifications into repaint requests.
pub struct RepaintGate {
    min_interval: Duration,
    request: RequestRepaint,
    state: Mutex<State>,
}

impl RepaintGate {
    /// A gate that draws at most `cap_hz` times a second for new pictures.
    pub fn new(cap_hz: f64, request: RequestRepaint) -> Self {
        let cap_hz = if cap_hz.is_finite() && cap_hz > 0.0 {
            cap_hz
        } else {
            DEFAULT_CAP_HZ
        };
        Self {
            min_interval: Duration::from_secs_f64(1.0 / cap_hz),
            request,
            state: Mutex::new(State::default()),
        }
    }

    /// A decoder published a new picture at `now`: make sure a frame is due, at the
    /// earliest `min_interval` after the last one began. Called from decoder threads.
    pub fn picture_arrived(&self, now: Instant) {
        let delay = {
            let Ok(mut state) = self.state.lock() else {
                return;
            };
            if state.pending {
                return;
            }
            state.pending = true;
            state.requests += 1;
            state.last_frame.map_or(Duration::ZERO, |last| {
                (last + self.min_interval).saturating_duration_since(now)
            })
        };
        (self.request)(delay);
    }

    /// A frame began at `now` (whatever caused it): the pictures waiting so far are
    /// drawn by it. Called on the UI thread before the core takes the new frames.
    pub fn frame_began(&self, now: Instant) {
        if let Ok(mut state) = self.state.lock() {
            state.pending = false;
            state.last_frame = Some(now);
        }
    }

    /// Repaint requests made so far.
    pub fn requests(&self) -> u64 {
        self.state.lock().map_or(0, |s| s.requests)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// Simulated time: `cameras` decoders at `fps`, out of phase, for `seconds`; the
    /// UI begins a frame when a requested delay runs out. Returns (requests, frames,
    /// frames that found a new picture).
    fn simulate(cameras: u32, fps: f64, seconds: f64, cap_hz: f64) -> (u64, u64, u64) {
        let start = Instant::now();
        let due: Arc<Mutex<Option<Instant>>> = Arc::default();
        let now_cell: Arc<Mutex<Instant>> = Arc::new(Mutex::new(start));
        let gate = {
            let due = Arc::clone(&due);
            let now_cell = Arc::clone(&now_cell);
            RepaintGate::new(
                cap_hz,
                Box::new(move |delay| {
                    let now = *now_cell.lock().expect("now");
                    let mut due = due.lock().expect("due");
                    let at = now + delay;
                    *due = Some(due.map_or(at, |d| d.min(at)));
                }),
            )
        };
        // Every arrival, in time order.
        let mut arrivals: Vec<Instant> = (0..cameras)
            .flat_map(|cam| {
                let phase = f64::from(cam) / f64::from(cameras) / fps;
                (0..)
                    .map(move |n| phase + f64::from(n) / fps)
                    .take_while(move |t| *t < seconds)
                    .map(move |t| start + Duration::from_secs_f64(t))
            })
            .collect();
        arrivals.sort();
        let mut frames = 0;
        let mut useful = 0;
        let mut waiting = false;
        let mut next = 0;
        loop {
            let frame_at = *due.lock().expect("due");
            let arrival_at = arrivals.get(next).copied();
            match (frame_at, arrival_at) {
                (Some(f), a) if a.is_none_or(|a| f <= a) => {
                    *due.lock().expect("due") = None;
                    *now_cell.lock().expect("now") = f;
                    gate.frame_began(f);
                    frames += 1;
                    if std::mem::take(&mut waiting) {
                        useful += 1;
                    }
                }
                (_, Some(a)) => {
                    *now_cell.lock().expect("now") = a;
                    waiting = true;
                    gate.picture_arrived(a);
                    next += 1;
                }
                (None, None) => break,
                // The guard of the first arm covers every `(Some, None)`.
                (Some(_), None) => unreachable!(),
            }
        }
        (gate.requests(), frames, useful)
    }

    #[test]
    fn sixteen_cameras_at_25_fps_repaint_at_most_at_the_cap() {
        let seconds = 10.0;
        let (requests, frames, useful) = simulate(16, 25.0, seconds, 60.0);
        // 400 notifications a second; at most 60 frames a second, plus the first.
        assert!(
            requests as f64 <= 60.0 * seconds + 1.0,
            "{requests} requests"
        );
        assert!(frames as f64 <= 60.0 * seconds + 1.0, "{frames} frames");
        // Never fewer frames than the distinct picture rate (25 a second).
        assert!(
            useful as f64 >= 25.0 * seconds - 1.0,
            "{useful} useful frames"
        );
        assert_eq!(frames, useful, "every frame drew a new picture");
    }

    #[test]
    fn four_cameras_in_phase_repaint_once_per_picture_time() {
        // Four cameras whose frames arrive together draw 25 frames a second, not 100.
        let seconds = 10.0;
        let (requests, frames, _) = simulate_in_phase(4, 25.0, seconds);
        assert!(frames as f64 <= 25.0 * seconds + 1.0, "{frames} frames");
        assert!(frames as f64 >= 25.0 * seconds - 1.0, "{frames} frames");
        assert_eq!(requests, frames);
    }

    /// Cameras that deliver at the same instants (one shared clock upstream).
    fn simulate_in_phase(cameras: u32, fps: f64, seconds: f64) -> (u64, u64, u64) {
        // In phase = out of phase by zero: reuse the model with the phase step 0.
        let start = Instant::now();
        let requested: Arc<Mutex<Vec<Duration>>> = Arc::default();
        let gate = {
            let requested = Arc::clone(&requested);
            RepaintGate::new(
                60.0,
                Box::new(move |d| requested.lock().expect("requested").push(d)),
            )
        };
        let mut frames = 0;
        let ticks = (fps * seconds) as u32;
        for n in 0..ticks {
            let t = start + Duration::from_secs_f64(f64::from(n) / fps);
            let before = requested.lock().expect("requested").len();
            for _ in 0..cameras {
                gate.picture_arrived(t);
            }
            if requested.lock().expect("requested").len() > before {
                // The UI draws the frame as asked (the delay is 0: 40 ms > 1/60 s).
                let delay = *requested.lock().expect("requested").last().expect("one");
                gate.frame_began(t + delay);
                frames += 1;
            }
        }
        (gate.requests(), frames, frames)
    }

    #[test]
    fn a_static_wall_requests_nothing() {
        let requested: Arc<Mutex<u32>> = Arc::default();
        let gate = {
            let requested = Arc::clone(&requested);
            RepaintGate::new(
                60.0,
                Box::new(move |_| *requested.lock().expect("requested") += 1),
            )
        };
        let start = Instant::now();
        for n in 0..100 {
            gate.frame_began(start + Duration::from_millis(n * 16));
        }
        assert_eq!(*requested.lock().expect("requested"), 0);
        assert_eq!(gate.requests(), 0);
    }

    #[test]
    fn the_cap_delays_a_picture_that_comes_right_after_a_frame() {
        let requested: Arc<Mutex<Vec<Duration>>> = Arc::default();
        let gate = {
            let requested = Arc::clone(&requested);
            RepaintGate::new(
                50.0,
                Box::new(move |d| requested.lock().expect("requested").push(d)),
            )
        };
        let start = Instant::now();
        gate.frame_began(start);
        gate.picture_arrived(start + Duration::from_millis(5));
        gate.picture_arrived(start + Duration::from_millis(6));
        assert_eq!(
            *requested.lock().expect("requested"),
            vec![Duration::from_millis(15)]
        );
    }
}
