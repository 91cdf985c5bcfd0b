//! Encoded packets on their way from an ingest to one decoder: bounded by bytes and by
//! age; a consumer that falls behind skips to the next keyframe, never resumes mid-GOP.
//!
//! Owns: the per-subscriber packet queue and its overflow policy. Must not: decode or
//! block the producer (pushing never waits).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// One encoded video packet as an ingest received it.
#[derive(Clone)]
pub struct QueuedPacket {
    pub packet: Arc<ffmpeg_next::Packet>,
    pub received_at: Instant,
    /// The ingest's connection number: a new one means new codec parameters.
    pub generation: u64,
    /// True for packets replayed from the keyframe cache when the decoder attached.
    pub from_cache: bool,
}

impl QueuedPacket {
    pub fn is_key(&self) -> bool {
        self.packet.is_key()
    }

    pub fn size(&self) -> usize {
        self.packet.size()
    }
}

#[derive(Default)]
struct Inner {
    items: VecDeque<QueuedPacket>,
    bytes: usize,
    waiting_for_key: bool,
    closed: bool,
}

/// A queue with a byte budget and an age limit.
pub struct PacketQueue {
    inner: Mutex<Inner>,
    ready: Condvar,
    max_bytes: usize,
    max_age: Duration,
    /// Packets thrown away because the consumer was behind (never decoded).
    pub skipped: AtomicU64,
    /// Times the consumer fell behind and had to skip to a keyframe.
    pub overflows: AtomicU64,
}

impl PacketQueue {
    pub fn new(max_bytes: usize, max_age: Duration) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            ready: Condvar::new(),
            max_bytes,
            max_age,
            skipped: AtomicU64::new(0),
            overflows: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a packet. When the queue is over budget (too many bytes, or its oldest
    /// packet too old) everything queued is dropped and packets are skipped until the
    /// next keyframe.
    pub fn push(&self, item: QueuedPacket) {
        let mut inner = self.lock();
        if inner.closed {
            return;
        }
        let too_old = inner.items.front().is_some_and(|oldest| {
            item.received_at
                .saturating_duration_since(oldest.received_at)
                > self.max_age
        });
        if !item.from_cache && (inner.bytes + item.size() > self.max_bytes || too_old) {
            let dropped = inner.items.len() as u64;
            inner.items.clear();
            inner.bytes = 0;
            inner.waiting_for_key = true;
            self.skipped.fetch_add(dropped, Ordering::Relaxed);
            self.overflows.fetch_add(1, Ordering::Relaxed);
        }
        if inner.waiting_for_key {
            if !item.is_key() {
                self.skipped.fetch_add(1, Ordering::Relaxed);
                return;
            }
            inner.waiting_for_key = false;
        }
        inner.bytes += item.size();
        inner.items.push_back(item);
        drop(inner);
        self.ready.notify_one();
    }

    /// Takes the oldest packet, waiting up to `timeout`.
    pub fn pop(&self, timeout: Duration) -> Option<QueuedPacket> {
        let mut inner = self.lock();
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(item) = inner.items.pop_front() {
                inner.bytes = inner.bytes.saturating_sub(item.size());
                return Some(item);
            }
            if inner.closed {
                return None;
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            inner = self
                .ready
                .wait_timeout(inner, deadline - now)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }

    /// True when more packets from the keyframe cache are still queued.
    pub fn cache_pending(&self) -> bool {
        self.lock().items.front().is_some_and(|p| p.from_cache)
    }

    /// Packets waiting.
    pub fn len(&self) -> usize {
        self.lock().items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How long the oldest waiting packet has waited.
    pub fn lag(&self) -> Duration {
        self.lock()
            .items
            .front()
            .map_or(Duration::ZERO, |p| p.received_at.elapsed())
    }

    /// Stops the queue: pops return what is left, then None.
    pub fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(size: usize, key: bool, at: Instant) -> QueuedPacket {
        let mut p = ffmpeg_next::Packet::new(size);
        if key {
            p.set_flags(ffmpeg_next::codec::packet::Flags::KEY);
        }
        QueuedPacket {
            packet: Arc::new(p),
            received_at: at,
            generation: 1,
            from_cache: false,
        }
    }

    #[test]
    fn overflow_skips_to_the_next_keyframe() {
        let q = PacketQueue::new(1000, Duration::from_secs(10));
        let t = Instant::now();
        q.push(packet(400, true, t));
        q.push(packet(400, false, t));
        // Over budget: everything goes, and non-key packets are skipped until a key.
        q.push(packet(400, false, t));
        assert_eq!(q.len(), 0);
        q.push(packet(100, false, t));
        assert_eq!(q.len(), 0);
        q.push(packet(100, true, t));
        q.push(packet(100, false, t));
        assert_eq!(q.len(), 2);
        assert!(q.pop(Duration::ZERO).expect("key").is_key());
        assert_eq!(q.overflows.load(Ordering::Relaxed), 1);
        assert_eq!(q.skipped.load(Ordering::Relaxed), 4);
    }

    #[test]
    fn old_packets_count_as_falling_behind() {
        let q = PacketQueue::new(1 << 20, Duration::from_millis(500));
        let t = Instant::now();
        q.push(packet(10, true, t));
        q.push(packet(10, false, t + Duration::from_millis(100)));
        q.push(packet(10, false, t + Duration::from_millis(700)));
        assert_eq!(
            q.len(),
            0,
            "a consumer 700 ms behind is dropped to the next keyframe"
        );
        assert_eq!(q.overflows.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn pop_waits_and_close_ends() {
        let q = Arc::new(PacketQueue::new(1 << 20, Duration::from_secs(1)));
        let producer = {
            let q = Arc::clone(&q);
            std::thread::Builder::new()
                .name("test-producer".to_owned())
                .spawn(move || {
                    std::thread::sleep(Duration::from_millis(30));
                    q.push(packet(10, true, Instant::now()));
                    q.close();
                })
                .expect("spawn")
        };
        assert!(q.pop(Duration::from_secs(2)).is_some());
        assert!(q.pop(Duration::from_secs(2)).is_none());
        producer.join().expect("join");
    }
}
