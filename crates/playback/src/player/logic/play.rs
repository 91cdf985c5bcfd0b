//! Paced play in both directions: the frame for the running clock, and how long until
//! the next one is due. Above 2× it shows keyframes only when decoding cannot keep up.

use std::time::Duration;

use super::{Found, IDLE_WAIT, Interrupt, Output, PlayerLogic};
use crate::PlayerState;
use crate::cache::{GopKey, SLOP_NANOS};
use crate::clock::ClockSnapshot;
use crate::footage::Footage;

/// Above this speed, play shows only keyframes when decoding cannot keep up.
const KEYFRAMES_ONLY_ABOVE: f64 = 2.0;

impl<F: Footage, O: Output<F::Picture>> PlayerLogic<F, O> {
    /// Shows the frame for the running clock; returns how long until the next one is due.
    pub(super) fn play_tick(&mut self, snap: &ClockSnapshot) -> Duration {
        let t = snap.now.0;
        let speed = snap.speed;
        let forward = speed > 0.0;
        let segment = match self.footage.locate(t) {
            Ok(s) => s,
            Err(err) => {
                self.fail(&err);
                return IDLE_WAIT;
            }
        };
        let Some(segment) = segment else {
            self.set_state(PlayerState::NoFootage);
            return self.until_footage(t, speed);
        };
        let (key, next_keyframe) = match self.footage.keyframe_around(&segment, t) {
            Ok((k, next)) => (
                GopKey {
                    segment_id: segment.id,
                    keyframe_ns: k,
                },
                next.unwrap_or(segment.end_ns),
            ),
            Err(err) => {
                self.fail(&err);
                return IDLE_WAIT;
            }
        };
        let cached = self.cache.peek(key).is_some_and(|g| g.covers(t));
        let keyframes_only = !cached && !self.keeps_up(speed);
        let (key, index) = match self.find(t, !keyframes_only, Some(snap.generation)) {
            Ok(Found::Frame { key, index }) => (key, index),
            Ok(Found::Gap) => {
                self.set_state(PlayerState::NoFootage);
                return self.until_footage(t, speed);
            }
            Err(Interrupt::Cancelled) => return Duration::ZERO,
            Err(Interrupt::Failed(err)) => {
                self.fail(&err);
                return IDLE_WAIT;
            }
        };
        let Some(time_ns) = self
            .cache
            .peek(key)
            .and_then(|g| g.frames.get(index))
            .map(|f| f.time_ns)
        else {
            return IDLE_WAIT;
        };
        let newer = match self.shown {
            None => true,
            Some(s) if forward => time_ns > s + SLOP_NANOS,
            Some(s) => time_ns < s - SLOP_NANOS,
        };
        if newer && !self.publish(key, index, !keyframes_only, keyframes_only) {
            return IDLE_WAIT;
        }
        self.set_state(PlayerState::Playing);
        self.last_error = None;
        // When is the next frame due?
        let now = self.clock.now().0;
        let shown = self.shown.unwrap_or(time_ns);
        let next_time = if forward && keyframes_only {
            next_keyframe
        } else if forward {
            self.cache
                .peek(key)
                .and_then(|g| g.index_of(shown).and_then(|i| g.frames.get(i + 1)))
                .map_or(shown + self.frame_nanos, |f| f.time_ns)
        } else {
            shown - 1
        };
        real_wait(next_time - now, speed)
    }

    fn keeps_up(&self, speed: f64) -> bool {
        keeps_up(self.decode_nanos_per_frame, self.frame_nanos, speed)
    }

    /// How long until the clock reaches footage again (bounded by the idle wait, since
    /// new footage may be recorded meanwhile).
    fn until_footage(&mut self, t: i64, speed: f64) -> Duration {
        let edge = if speed > 0.0 {
            self.footage.next_after(t).map(|s| s.map(|s| s.start_ns))
        } else {
            self.footage
                .previous_before(t)
                .map(|s| s.map(|s| s.end_ns - 1))
        };
        match edge {
            Ok(Some(e)) => real_wait(e - t, speed),
            Ok(None) => IDLE_WAIT,
            Err(err) => {
                tracing::debug!(error = %err, "index query failed");
                IDLE_WAIT
            }
        }
    }
}

/// Whether decoding every frame keeps up with the clock at `speed` (always up to 2×).
/// Forward, a continuing decoder decodes each frame once; reverse decodes each GOP once
/// and then walks the cache: either way one decode per frame of footage, which must
/// take under 80 % of a frame's time at this speed. Unmeasured: it does not.
fn keeps_up(decode_nanos_per_frame: f64, frame_nanos: i64, speed: f64) -> bool {
    if speed.abs() <= KEYFRAMES_ONLY_ABOVE {
        return true;
    }
    #[allow(clippy::cast_precision_loss)]
    let budget = frame_nanos as f64 / speed.abs();
    decode_nanos_per_frame > 0.0 && decode_nanos_per_frame < 0.8 * budget
}

/// Real time for the clock to move `media_nanos` at `speed` (zero when already past).
fn real_wait(media_nanos: i64, speed: f64) -> Duration {
    #[allow(clippy::cast_precision_loss)]
    let secs = media_nanos as f64 / 1e9 / speed;
    if secs.is_finite() && secs > 0.0 {
        Duration::from_secs_f64(secs.min(3600.0))
    } else {
        Duration::ZERO
    }
}

#[cfg(test)]
mod rules {
    use super::*;

    #[test]
    fn keyframes_only_above_2x_when_decoding_cannot_keep_up() {
        // 25 fps footage, 8 ms per decode (1080p on this machine).
        let (decode, frame) = (8e6, 40_000_000);
        assert!(keeps_up(decode, frame, 1.0));
        assert!(keeps_up(decode, frame, -2.0));
        assert!(keeps_up(0.0, frame, 2.0), "up to 2x always every frame");
        assert!(keeps_up(decode, frame, 3.0), "8 ms < 0.8 x 13.3 ms");
        assert!(!keeps_up(decode, frame, 4.0), "8 ms is not < 0.8 x 10 ms");
        assert!(!keeps_up(decode, frame, 8.0), "8 ms > 0.8 x 5 ms");
        assert!(!keeps_up(decode, frame, -16.0));
        assert!(keeps_up(1e6, frame, 16.0), "1 ms decodes keep up at 16x");
        assert!(!keeps_up(0.0, frame, 4.0), "unmeasured: keyframes first");
    }

    #[test]
    fn waits_scale_with_speed_and_never_go_negative() {
        assert_eq!(real_wait(40_000_000, 1.0), Duration::from_millis(40));
        assert_eq!(real_wait(40_000_000, 4.0), Duration::from_millis(10));
        assert_eq!(real_wait(-40_000_000, -2.0), Duration::from_millis(20));
        assert_eq!(real_wait(-1, 1.0), Duration::ZERO);
        assert_eq!(real_wait(1, 0.0), Duration::ZERO);
    }
}
