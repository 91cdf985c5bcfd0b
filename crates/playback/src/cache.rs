//! The decoded-GOP cache of one player: the frames of whole (or partly decoded) groups
//! of pictures, so stepping back and reverse play do not decode the same frames again.
//!
//! Owns: byte accounting, least-recently-used eviction by GOP. Pictures are whatever
//! the decoder hands out (FFmpeg's reference-counted frames in the player: caching one
//! copies nothing, evicting it returns its buffer to the decoder's pool). When one GOP
//! alone is larger than the budget (4K with long GOPs), it keeps every frame's time but
//! drops the pictures farthest from where the player is working, preferring to keep
//! the ones before it (reverse play and step-back walk that way). Must not: decode or
//! read files.

/// Default budget of one player's cache.
pub const DEFAULT_BUDGET_BYTES: usize = 256 << 20;

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

/// A decoded picture the cache can hold.
pub trait Picture {
    /// Bytes it keeps in memory.
    fn bytes(&self) -> usize;
}

/// One decoded frame of a GOP: its wall time always, its picture while cached.
#[derive(Debug)]
pub struct CachedFrame<P> {
    pub time_ns: i64,
    pub picture: Option<P>,
}

/// What decoding should do next for a caller's need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Want {
    /// The need is met (or cannot be met by decoding this GOP further).
    Done,
    /// Decode further.
    More,
    /// The frame was decoded once but its picture was dropped: decode the GOP again.
    Redo,
}

/// One GOP's decoded frames, in presentation order.
#[derive(Debug)]
pub struct Gop<P> {
    pub key: GopKey,
    pub frames: Vec<CachedFrame<P>>,
    /// Every frame of the GOP was decoded (decoding reached the next keyframe or the end).
    pub complete: bool,
    bytes: usize,
    last_used: u64,
}

impl<P> Gop<P> {
    /// Index of the latest frame at or before `time_ns`.
    pub fn index_at(&self, time_ns: i64) -> Option<usize> {
        let n = self.frames.partition_point(|f| f.time_ns <= time_ns);
        n.checked_sub(1)
    }

    /// Index of the frame at `time_ns` (within the slop).
    pub fn index_of(&self, time_ns: i64) -> Option<usize> {
        self.index_at(time_ns.saturating_add(SLOP_NANOS))
            .filter(|&i| (self.frames[i].time_ns - time_ns).abs() <= SLOP_NANOS)
    }

    pub fn picture(&self, index: usize) -> Option<&P> {
        self.frames.get(index).and_then(|f| f.picture.as_ref())
    }

    /// Decoding went past `time_ns`: which frame is latest at or before it is known.
    pub fn decoded_past(&self, time_ns: i64) -> bool {
        self.complete
            || self
                .frames
                .last()
                .is_some_and(|f| f.time_ns >= time_ns.saturating_sub(SLOP_NANOS))
    }

    /// The picture for `time_ns` (latest frame at or before) is here.
    pub fn covers(&self, time_ns: i64) -> bool {
        self.decoded_past(time_ns)
            && self
                .index_at(time_ns)
                .is_some_and(|i| self.picture(i).is_some())
    }

    /// Need: the frame for `time_ns`.
    pub fn want_time(&self, time_ns: i64) -> Want {
        if !self.decoded_past(time_ns) {
            return Want::More;
        }
        match self.index_at(time_ns) {
            Some(i) if self.picture(i).is_none() => Want::Redo,
            _ => Want::Done,
        }
    }

    /// Need: the frame at `index` (or the GOP's end when it has fewer frames).
    pub fn want_index(&self, index: usize) -> Want {
        if index < self.frames.len() {
            if self.picture(index).is_some() {
                Want::Done
            } else {
                Want::Redo
            }
        } else if self.complete {
            Want::Done
        } else {
            Want::More
        }
    }

    /// Need: every frame, and the last one's picture.
    pub fn want_complete(&self) -> Want {
        if !self.complete {
            Want::More
        } else if self.frames.last().is_some_and(|f| f.picture.is_none()) {
            Want::Redo
        } else {
            Want::Done
        }
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

/// GOPs, least recently used evicted first once over budget.
#[derive(Debug)]
pub struct GopCache<P> {
    gops: Vec<Gop<P>>,
    budget_bytes: usize,
    bytes: usize,
    tick: u64,
}

impl<P: Picture> GopCache<P> {
    pub fn new(budget_bytes: usize) -> Self {
        Self {
            gops: Vec::new(),
            budget_bytes,
            bytes: 0,
            tick: 0,
        }
    }

    /// Bytes held by cached pictures.
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

    /// The GOP for `key`, counted as a use.
    pub fn get(&mut self, key: GopKey) -> Option<&Gop<P>> {
        self.tick += 1;
        let tick = self.tick;
        let gop = self.gops.iter_mut().find(|g| g.key == key)?;
        gop.last_used = tick;
        Some(gop)
    }

    /// Like [`get`](Self::get) without counting as a use.
    pub fn peek(&self, key: GopKey) -> Option<&Gop<P>> {
        self.gops.iter().find(|g| g.key == key)
    }

    fn entry(&mut self, key: GopKey) -> &mut Gop<P> {
        self.tick += 1;
        let tick = self.tick;
        let i = match self.gops.iter().position(|g| g.key == key) {
            Some(i) => i,
            None => {
                self.gops.push(Gop {
                    key,
                    frames: Vec::new(),
                    complete: false,
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

    /// Adds a decoded frame to `key`'s GOP: after its last frame, or as the picture of a
    /// frame decoded before whose picture was dropped. Then evicts to stay in budget:
    /// other GOPs first (least recently used), then pictures of this GOP farthest from
    /// `focus_ns` (where the player works), those after it first.
    pub fn push_frame(&mut self, key: GopKey, time_ns: i64, picture: P, focus_ns: i64) {
        let size = picture.bytes();
        let gop = self.entry(key);
        match gop.frames.last() {
            Some(last) if last.time_ns >= time_ns - SLOP_NANOS => {
                match gop.index_of(time_ns) {
                    Some(i) if gop.frames[i].picture.is_none() => {
                        gop.frames[i].picture = Some(picture);
                    }
                    // Already there, or a time between known frames (not expected).
                    _ => return,
                }
            }
            _ => gop.frames.push(CachedFrame {
                time_ns,
                picture: Some(picture),
            }),
        }
        gop.bytes += size;
        self.bytes += size;
        self.evict(key, time_ns, focus_ns);
    }

    /// Marks `key`'s GOP as holding every frame's time.
    pub fn set_complete(&mut self, key: GopKey) {
        self.entry(key).complete = true;
    }

    /// Drops a GOP.
    pub fn remove(&mut self, key: GopKey) {
        if let Some(i) = self.gops.iter().position(|g| g.key == key) {
            let gop = self.gops.swap_remove(i);
            self.bytes -= gop.bytes;
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

    fn evict(&mut self, keep: GopKey, just_added_ns: i64, focus_ns: i64) {
        while self.bytes > self.budget_bytes {
            let victim = self
                .gops
                .iter()
                .filter(|g| g.key != keep)
                .min_by_key(|g| g.last_used)
                .map(|g| g.key);
            if let Some(victim) = victim {
                self.remove(victim);
                continue;
            }
            // Only this GOP is left and it is over budget: drop its farthest picture.
            let Some(gop) = self.gops.iter_mut().find(|g| g.key == keep) else {
                return;
            };
            let far = gop
                .frames
                .iter()
                .enumerate()
                .filter(|(_, f)| f.picture.is_some() && f.time_ns != just_added_ns)
                .max_by_key(|(_, f)| {
                    let d = f.time_ns.saturating_sub(focus_ns);
                    if d > 0 { d.saturating_mul(4) } else { -d }
                })
                .map(|(i, _)| i);
            let Some(i) = far else {
                return; // one frame larger than the budget: keep it anyway
            };
            if let Some(picture) = gop.frames[i].picture.take() {
                let size = picture.bytes();
                gop.bytes -= size;
                self.bytes -= size;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A picture of some bytes.
    struct Pic(usize);

    impl Picture for Pic {
        fn bytes(&self) -> usize {
            self.0
        }
    }

    fn frame(bytes: usize) -> Pic {
        Pic(bytes)
    }

    fn key(kf: i64) -> GopKey {
        GopKey {
            segment_id: 1,
            keyframe_ns: kf,
        }
    }

    fn pictures(cache: &GopCache<Pic>, k: GopKey) -> Vec<i64> {
        cache
            .peek(k)
            .map(|g| {
                g.frames
                    .iter()
                    .filter(|f| f.picture.is_some())
                    .map(|f| f.time_ns)
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn accounts_bytes_and_evicts_least_recently_used_gop() {
        let per = 1000;
        let mut cache = GopCache::new(per * 6);
        for kf in [0, 100_000, 200_000] {
            for i in 0..2 {
                cache.push_frame(key(kf), kf + i * 10_000, frame(1000), kf);
            }
        }
        assert_eq!(cache.bytes(), per * 6);
        assert_eq!(cache.len(), 3);
        // Touch the oldest so the middle one is the least recently used.
        assert!(cache.get(key(0)).is_some());
        cache.push_frame(key(300_000), 300_000, frame(1000), 300_000);
        assert_eq!(cache.len(), 3, "one GOP evicted");
        assert!(cache.peek(key(100_000)).is_none(), "LRU GOP went");
        assert!(cache.peek(key(0)).is_some());
        assert_eq!(cache.bytes(), per * 5);
        assert!(cache.bytes() <= cache.budget_bytes());
    }

    #[test]
    fn a_gop_larger_than_the_budget_keeps_times_and_pictures_near_the_focus() {
        let per = 1000;
        let mut cache = GopCache::new(per * 3);
        let k = key(0);
        // Decoding forward towards 50: the oldest pictures go.
        for i in 0..6 {
            cache.push_frame(k, i * 10_000, frame(1000), 50_000);
        }
        cache.set_complete(k);
        assert_eq!(pictures(&cache, k), vec![30_000, 40_000, 50_000]);
        assert!(cache.bytes() <= cache.budget_bytes());
        let gop = cache.peek(k).expect("gop");
        assert_eq!(gop.frames.len(), 6, "every time is kept");
        assert_eq!(gop.want_time(45_000), Want::Done);
        assert_eq!(gop.want_time(15_000), Want::Redo, "picture dropped");
        assert_eq!(gop.want_index(2), Want::Redo);
        assert_eq!(gop.want_complete(), Want::Done);
        // Decoding again towards 10 (stepping back): pictures after it go first.
        cache.push_frame(k, 0, frame(1000), 10_000);
        cache.push_frame(k, 10_000, frame(1000), 10_000);
        assert_eq!(pictures(&cache, k), vec![0, 10_000, 30_000]);
        assert_eq!(cache.peek(k).expect("gop").want_time(12_000), Want::Done);
    }

    #[test]
    fn lookups_find_the_latest_frame_at_or_before() {
        let mut cache = GopCache::new(DEFAULT_BUDGET_BYTES);
        let k = key(1_000_000);
        for t in [1_000_000, 41_000_000, 81_000_000] {
            cache.push_frame(k, t, frame(10), t);
        }
        // A repeated frame is not added twice.
        cache.push_frame(k, 41_000_000, frame(10), 0);
        let gop = cache.peek(k).expect("gop");
        assert_eq!(gop.frames.len(), 3);
        assert_eq!(gop.index_at(999_999), None, "no slop for at-or-before");
        assert_eq!(gop.index_at(1_000_000), Some(0));
        assert_eq!(gop.index_at(40_999_999), Some(0));
        assert_eq!(gop.index_at(41_000_000), Some(1));
        assert_eq!(
            gop.index_of(40_999_500),
            Some(1),
            "matching within the slop"
        );
        assert_eq!(gop.index_of(60_000_000), None);
        assert!(gop.covers(81_000_000));
        assert!(!gop.covers(90_000_000), "later frames not decoded yet");
        assert_eq!(gop.want_time(90_000_000), Want::More);
        assert_eq!(gop.want_index(3), Want::More);
        cache.set_complete(k);
        let gop = cache.peek(k).expect("gop");
        assert!(gop.covers(90_000_000));
        assert_eq!(
            gop.want_index(3),
            Want::Done,
            "no such frame: nothing to decode"
        );
    }

    #[test]
    fn removing_a_segment_returns_its_bytes() {
        let mut cache = GopCache::new(DEFAULT_BUDGET_BYTES);
        cache.push_frame(key(0), 0, frame(4096), 0);
        let other = GopKey {
            segment_id: 2,
            keyframe_ns: 0,
        };
        cache.push_frame(other, 0, frame(4096), 0);
        cache.remove_segment(1);
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.bytes(), 4096);
    }
}
