//! Frame steps: from the shown frame, one frame at a time, inside a GOP by index,
//! forward into the next GOP or segment (across a gap), back into the previous GOP
//! (decoded whole once, then walked in the cache).

use super::{Found, Interrupt, Output, PlayerLogic};
use crate::PlayerState;
use crate::cache::{Gop, GopKey, SLOP_NANOS};
use crate::footage::Footage;
use vigil_time::WallNanos;

impl<F: Footage, O: Output<F::Picture>> PlayerLogic<F, O> {
    /// Moves `frames` from the shown frame, publishes it, and seeks the clock there
    /// (Exact) so the other players follow — unless a newer request came meanwhile.
    pub(super) fn step(&mut self, frames: i32) {
        self.set_state(PlayerState::Seeking);
        match self.step_inner(frames) {
            Ok(Some((key, index))) => {
                if self.publish(key, index, true, false) {
                    if let Some(shown) = self.shown
                        && let Some(generation) =
                            self.clock.answer_step(self.seen, WallNanos(shown))
                    {
                        // Our own seek: already served.
                        self.seen = generation;
                    }
                    self.was_paused = true;
                    self.set_state(PlayerState::Showing);
                    self.last_error = None;
                }
            }
            Ok(None) => self.set_state(PlayerState::NoFootage),
            Err(Interrupt::Cancelled) => return,
            Err(Interrupt::Failed(err)) => self.fail(&err),
        }
        self.answered(self.seen);
    }

    fn step_inner(&mut self, frames: i32) -> Result<Option<(GopKey, usize)>, Interrupt> {
        let from = match self.shown {
            Some(s) => s,
            None => self.clock.now().0,
        };
        let Found::Frame { key, index } = self.find(from, true, None)? else {
            return Ok(None);
        };
        let mut at = (key, index);
        for _ in 0..frames.unsigned_abs() {
            let next = if frames > 0 {
                self.next_frame(at)?
            } else {
                self.previous_frame(at)?
            };
            match next {
                Some(n) => at = n,
                None => break, // the end (or start) of the footage
            }
        }
        Ok(Some(at))
    }

    fn next_frame(
        &mut self,
        (key, i): (GopKey, usize),
    ) -> Result<Option<(GopKey, usize)>, Interrupt> {
        let Some(segment) = self.footage.segment(key.segment_id)? else {
            return Ok(None);
        };
        let focus = self.frame_time(key, i).saturating_add(1);
        self.decode_until(&segment, key, None, focus, |g| g.want_index(i + 1))?;
        if self.picture(key, i + 1).is_some() {
            return Ok(Some((key, i + 1)));
        }
        let (_, next_kf) = self.footage.keyframe_around(&segment, key.keyframe_ns)?;
        let (segment, next_key) = match next_kf {
            Some(k) => (
                segment.clone(),
                GopKey {
                    segment_id: segment.id,
                    keyframe_ns: k,
                },
            ),
            None => {
                // Into the next segment, across a gap if there is one.
                let Some(next) = self.footage.next_after(segment.start_ns)? else {
                    return Ok(None);
                };
                let first = self
                    .footage
                    .keyframes(&next)?
                    .first()
                    .copied()
                    .unwrap_or(next.start_ns);
                let key = GopKey {
                    segment_id: next.id,
                    keyframe_ns: first,
                };
                (next, key)
            }
        };
        self.decode_until(&segment, next_key, None, next_key.keyframe_ns, |g| {
            g.want_index(0)
        })?;
        Ok(self.picture(next_key, 0).map(|_| (next_key, 0)))
    }

    fn previous_frame(
        &mut self,
        (key, i): (GopKey, usize),
    ) -> Result<Option<(GopKey, usize)>, Interrupt> {
        let Some(segment) = self.footage.segment(key.segment_id)? else {
            return Ok(None);
        };
        if i > 0 {
            let focus = self.frame_time(key, i - 1);
            self.decode_until(&segment, key, None, focus, |g| g.want_index(i - 1))?;
            return Ok(self.picture(key, i - 1).map(|_| (key, i - 1)));
        }
        let before = self
            .footage
            .keyframes(&segment)?
            .iter()
            .rev()
            .find(|k| **k < key.keyframe_ns - SLOP_NANOS)
            .copied();
        let (segment, prev_key) = match before {
            Some(k) => (
                segment.clone(),
                GopKey {
                    segment_id: segment.id,
                    keyframe_ns: k,
                },
            ),
            None => {
                let Some(prev) = self
                    .footage
                    .previous_before(segment.start_ns + SLOP_NANOS)?
                else {
                    return Ok(None);
                };
                let last = self
                    .footage
                    .keyframes(&prev)?
                    .last()
                    .copied()
                    .unwrap_or(prev.start_ns);
                let key = GopKey {
                    segment_id: prev.id,
                    keyframe_ns: last,
                };
                (prev, key)
            }
        };
        // The whole previous GOP: its last frame is the one wanted.
        self.decode_until(
            &segment,
            prev_key,
            None,
            i64::MAX,
            Gop::<F::Picture>::want_complete,
        )?;
        Ok(self
            .cache
            .peek(prev_key)
            .and_then(|g| g.frames.len().checked_sub(1))
            .filter(|&last| self.picture(prev_key, last).is_some())
            .map(|last| (prev_key, last)))
    }

    /// Time of frame `index` of a cached GOP (its keyframe time when unknown).
    fn frame_time(&self, key: GopKey, index: usize) -> i64 {
        self.cache
            .peek(key)
            .and_then(|g| g.frames.get(index))
            .map_or(key.keyframe_ns, |f| f.time_ns)
    }
}
