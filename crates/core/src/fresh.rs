//! Pictures waiting for their GPU upload, oldest first.
//!
//! The app uploads what the core marked fresh within a time budget per UI frame
//! (`UPLOAD_TIME_BUDGET` in the driver), so the pictures left over wait for the next
//! frame. Ordering by the time a picture first became fresh means a camera that waited
//! is served before one whose picture just changed: no camera starves, however many
//! deliver at once. This module owns only that bookkeeping; it never touches the GPU.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::Instant;

/// Keys (cameras, review tiles) whose shown picture changed since it was last uploaded.
#[derive(Debug)]
pub(crate) struct Fresh<K> {
    since: HashMap<K, Instant>,
}

impl<K> Default for Fresh<K> {
    fn default() -> Self {
        Self {
            since: HashMap::new(),
        }
    }
}

impl<K: Eq + Hash + Clone + Ord> Fresh<K> {
    /// The key's shown picture changed at `now`. A key already waiting keeps its place.
    pub(crate) fn mark(&mut self, key: K, now: Instant) {
        self.since.entry(key).or_insert(now);
    }

    pub(crate) fn remove(&mut self, key: &K) {
        self.since.remove(key);
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.since.len()
    }

    /// Hands keys to `each`, oldest first, until it returns false (no time left). The
    /// key just handed over is done either way; the ones not reached stay for the next
    /// call. At least one key is handed over per call when any waits.
    pub(crate) fn drain_while(&mut self, mut each: impl FnMut(&K) -> bool) {
        let mut waiting: Vec<(Instant, K)> =
            self.since.iter().map(|(k, t)| (*t, k.clone())).collect();
        waiting.sort();
        for (_, key) in waiting {
            self.since.remove(&key);
            if !each(&key) {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn oldest_first_and_the_rest_wait() {
        let t0 = Instant::now();
        let mut fresh = Fresh::default();
        fresh.mark("b", t0 + Duration::from_millis(1));
        fresh.mark("a", t0 + Duration::from_millis(2));
        fresh.mark("c", t0);
        let mut seen = Vec::new();
        fresh.drain_while(|k| {
            seen.push(*k);
            seen.len() < 2
        });
        assert_eq!(seen, ["c", "b"]);
        assert_eq!(fresh.len(), 1);
    }

    #[test]
    fn a_waiting_camera_is_not_overtaken_by_newer_pictures() {
        // One upload per frame, three cameras delivering every frame: each is served
        // within three frames, in turn.
        let t0 = Instant::now();
        let mut fresh = Fresh::default();
        let mut served = Vec::new();
        for frame in 0..9u64 {
            let now = t0 + Duration::from_millis(frame * 20);
            for cam in ["x", "y", "z"] {
                fresh.mark(cam, now);
            }
            fresh.drain_while(|k| {
                served.push(*k);
                false
            });
        }
        for window in served.windows(3) {
            let mut w = window.to_vec();
            w.sort_unstable();
            assert_eq!(w, ["x", "y", "z"], "served in turn: {served:?}");
        }
    }

    #[test]
    fn at_least_one_per_call() {
        let mut fresh = Fresh::default();
        fresh.mark(1, Instant::now());
        let mut n = 0;
        fresh.drain_while(|_| {
            n += 1;
            false
        });
        assert_eq!(n, 1);
        fresh.drain_while(|_| panic!("nothing waits"));
    }
}
