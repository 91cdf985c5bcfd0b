//! The decoded-GOP cache of one player: whole (or partly decoded) groups of pictures,
//! so stepping back and reverse play do not decode the same frames again.
//!
//! Owns: byte accounting (planes + frame headers), least-recently-used eviction by GOP,
//! and a small pool of evicted frames whose buffers the decoder reuses. Must not: decode
//! or read files.

use crate::media::frame::VideoFrame;

/// Default budget of one player's cache.
pub const DEFAULT_BUDGET_BYTES: usize = 256 << 20;

/// Most evicted frames kept for their buffers.
const SPARE_FRAMES: usize = 32;

/// Two frame times closer than this are the same frame when matching a frame or a
/// keyframe by its time (the writer and the reader may convert timestamps through
/// different time bases). "At or before `t`" comparisons use no slop.
pub const SLOP_NANOS: i64 = 1_000;

/// Which GOP: a segment and the wall time of its keyframe in the keyframe index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GopKey {
    pub segment_id: i64,
    pub keyframe_ns: i64,
}

/// One GOP's decoded frames, in presentation order.
#[derive(Debug)]
pub struct Gop {
    pub key: GopKey,
    /// `pts_nanos` is the wall time.
    pub frames: Vec<VideoFrame>,
    /// Every frame of the GOP is here (decoding reached the next keyframe or the end).
    pub complete: bool,
    /// Frames were decoded but not kept because the GOP alone exceeds the budget.
    pub truncated: bool,
    bytes: usize,
    last_used: u64,
}

impl Gop {
    /// Index of the latest frame at or before `time_ns`.
    pub fn index_at(&self, time_ns: i64) -> Option<usize> {
        let n = self.frames.partition_point(|f| f.pts_nanos <= time_ns);
        n.checked_sub(1)
    }

    /// Index of the frame at `time_ns` (within the slop).
    pub fn index_of(&self, time_ns: i64) -> Option<usize> {
        self.index_at(time_ns)
            .filter(|&i| (self.frames[i].pts_nanos - time_ns).abs() <= SLOP_NANOS)
    }

    /// True when the frame for `time_ns` is known to be here: a later frame was decoded,
    /// or the GOP is complete.
    pub fn covers(&self, time_ns: i64) -> bool {
        self.index_at(time_ns).is_some()
            && (self.complete
                || self
                    .frames
                    .last()
                    .is_some_and(|f| f.pts_nanos >= time_ns.saturating_sub(SLOP_NANOS)))
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

/// Bytes a frame holds in memory.
pub fn frame_bytes(frame: &VideoFrame) -> usize {
    std::mem::size_of::<VideoFrame>()
        + frame
            .planes
            .iter()
            .map(|p| p.data.capacity())
            .sum::<usize>()
}

/// GOPs, least recently used evicted first once over budget.
#[derive(Debug)]
pub struct GopCache {
    gops: Vec<Gop>,
    budget_bytes: usize,
    bytes: usize,
    tick: u64,
    spare: Vec<VideoFrame>,
}

impl GopCache {
    pub fn new(budget_bytes: usize) -> Self {
        Self {
            gops: Vec::new(),
            budget_bytes,
            bytes: 0,
            tick: 0,
            spare: Vec::new(),
        }
    }

    /// Bytes held by cached frames (spare buffers not counted: at most a few frames).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn budget_bytes(&self) -> usize {
        self.budget_bytes
    }

    pub fn len(&self) -> usize {
        self.gops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.gops.is_empty()
    }

    pub fn get(&mut self, key: GopKey) -> Option<&Gop> {
        self.tick += 1;
        let tick = self.tick;
        let gop = self.gops.iter_mut().find(|g| g.key == key)?;
        gop.last_used = tick;
        Some(gop)
    }

    /// Like [`get`](Self::get) without counting as a use.
    pub fn peek(&self, key: GopKey) -> Option<&Gop> {
        self.gops.iter().find(|g| g.key == key)
    }

    /// The GOP for `key`, created empty when missing (decoding starts it again).
    pub fn entry(&mut self, key: GopKey) -> &mut Gop {
        self.tick += 1;
        let tick = self.tick;
        let i = match self.gops.iter().position(|g| g.key == key) {
            Some(i) => i,
            None => {
                self.gops.push(Gop {
                    key,
                    frames: Vec::new(),
                    complete: false,
                    truncated: false,
                    bytes: 0,
                    last_used: tick,
                });
                self.gops.len() - 1
            }
        };
        let gop = &mut self.gops[i];
        gop.last_used = tick;
        gop
    }

    /// Adds a decoded frame to `key`'s GOP (after its last frame; an earlier or equal
    /// time is ignored), evicting other GOPs to stay in budget. Returns false when the
    /// frame was not kept (the GOP alone would exceed the budget).
    pub fn push_frame(&mut self, key: GopKey, frame: VideoFrame) -> bool {
        let size = frame_bytes(&frame);
        let budget = self.budget_bytes;
        let gop = self.entry(key);
        if gop
            .frames
            .last()
            .is_some_and(|f| f.pts_nanos >= frame.pts_nanos)
        {
            self.recycle(frame);
            return true;
        }
        if gop.bytes + size > budget {
            gop.truncated = true;
            self.recycle(frame);
            return false;
        }
        gop.frames.push(frame);
        gop.bytes += size;
        self.bytes += size;
        self.evict_except(key);
        true
    }

    /// Marks `key`'s GOP as holding every frame.
    pub fn set_complete(&mut self, key: GopKey) {
        let gop = self.entry(key);
        gop.complete = !gop.truncated;
    }

    /// Drops a GOP (e.g. it is being decoded again from its keyframe).
    pub fn remove(&mut self, key: GopKey) {
        if let Some(i) = self.gops.iter().position(|g| g.key == key) {
            let gop = self.gops.swap_remove(i);
            self.bytes -= gop.bytes;
            for f in gop.frames {
                self.recycle(f);
            }
        }
    }

    /// Drops every GOP of a segment (its file changed: it is still being recorded).
    pub fn remove_segment(&mut self, segment_id: i64) {
        let keys: Vec<GopKey> = self
            .gops
            .iter()
            .filter(|g| g.key.segment_id == segment_id)
            .map(|g| g.key)
            .collect();
        for key in keys {
            self.remove(key);
        }
    }

    /// A frame whose buffers can be reused, if any was evicted.
    pub fn take_spare(&mut self) -> VideoFrame {
        self.spare.pop().unwrap_or_default()
    }

    pub fn recycle(&mut self, frame: VideoFrame) {
        if self.spare.len() < SPARE_FRAMES {
            self.spare.push(frame);
        }
    }

    fn evict_except(&mut self, keep: GopKey) {
        while self.bytes > self.budget_bytes {
            let Some(victim) = self
                .gops
                .iter()
                .filter(|g| g.key != keep)
                .min_by_key(|g| g.last_used)
                .map(|g| g.key)
            else {
                return;
            };
            self.remove(victim);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(pts_nanos: i64, bytes: usize) -> VideoFrame {
        let mut f = VideoFrame {
            pts_nanos,
            ..Default::default()
        };
        f.planes[0].fill_from(
            &vec![0u8; bytes],
            bytes,
            u32::try_from(bytes).unwrap_or(0),
            1,
        );
        f
    }

    fn key(kf: i64) -> GopKey {
        GopKey {
            segment_id: 1,
            keyframe_ns: kf,
        }
    }

    #[test]
    fn accounts_bytes_and_evicts_least_recently_used_gop() {
        let per = frame_bytes(&frame(0, 1000));
        let mut cache = GopCache::new(per * 6);
        for kf in [0, 100, 200] {
            for i in 0..2 {
                assert!(cache.push_frame(key(kf), frame(kf + i * 10, 1000)));
            }
        }
        assert_eq!(cache.bytes(), per * 6);
        assert_eq!(cache.len(), 3);
        // Touch the oldest so the middle one is the least recently used.
        assert!(cache.get(key(0)).is_some());
        cache.push_frame(key(300), frame(300, 1000));
        assert_eq!(cache.len(), 3, "one GOP evicted");
        assert!(cache.peek(key(100)).is_none(), "LRU GOP went");
        assert!(cache.peek(key(0)).is_some());
        assert!(cache.bytes() <= cache.budget_bytes());
        assert_eq!(cache.bytes(), per * 5);
    }

    #[test]
    fn a_gop_larger_than_the_budget_is_truncated_not_grown() {
        let per = frame_bytes(&frame(0, 1000));
        let mut cache = GopCache::new(per * 2);
        assert!(cache.push_frame(key(0), frame(0, 1000)));
        assert!(cache.push_frame(key(0), frame(10, 1000)));
        assert!(!cache.push_frame(key(0), frame(20, 1000)));
        cache.set_complete(key(0));
        let gop = cache.peek(key(0)).expect("gop");
        assert!(gop.truncated && !gop.complete);
        assert_eq!(cache.bytes(), per * 2);
    }

    #[test]
    fn lookups_find_the_latest_frame_at_or_before() {
        let mut cache = GopCache::new(DEFAULT_BUDGET_BYTES);
        for t in [1_000_000, 41_000_000, 81_000_000] {
            cache.push_frame(key(1_000_000), frame(t, 10));
        }
        // Out of order and duplicate frames are not added.
        cache.push_frame(key(1_000_000), frame(41_000_000, 10));
        let gop = cache.peek(key(1_000_000)).expect("gop");
        assert_eq!(gop.frames.len(), 3);
        assert_eq!(gop.index_at(999_999), None, "no slop for at-or-before");
        assert_eq!(gop.index_at(1_000_000), Some(0));
        assert_eq!(gop.index_at(40_999_999), Some(0));
        assert_eq!(gop.index_at(41_000_000), Some(1));
        assert_eq!(gop.index_of(41_000_500), Some(1));
        assert_eq!(gop.index_of(60_000_000), None);
        assert!(gop.covers(81_000_000));
        assert!(!gop.covers(90_000_000), "later frames not decoded yet");
        cache.set_complete(key(1_000_000));
        assert!(cache.peek(key(1_000_000)).expect("gop").covers(90_000_000));
    }

    #[test]
    fn removing_recycles_buffers_and_bytes() {
        let mut cache = GopCache::new(DEFAULT_BUDGET_BYTES);
        cache.push_frame(key(0), frame(0, 4096));
        cache.push_frame(
            GopKey {
                segment_id: 2,
                keyframe_ns: 0,
            },
            frame(0, 4096),
        );
        cache.remove_segment(1);
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.bytes(), frame_bytes(&frame(0, 4096)));
        let spare = cache.take_spare();
        assert!(spare.planes[0].data.capacity() >= 4096, "buffer reused");
    }
}
