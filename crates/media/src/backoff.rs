//! Reconnect delays: exponential backoff with jitter, capped.
//!
//! Owns only the arithmetic; the worker decides when to call it. Must not sleep.

use std::time::Duration;

/// Exponential backoff from `min` doubling to `max`, each delay jittered by ±20 %.
#[derive(Clone, Debug)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    attempt: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(Duration::from_millis(500), Duration::from_secs(10))
    }
}

impl Backoff {
    pub fn new(min: Duration, max: Duration) -> Self {
        Self {
            min,
            max: max.max(min),
            attempt: 0,
        }
    }

    /// Failed attempts since the last success.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The delay before the next try; advances the attempt counter.
    pub fn next_delay(&mut self) -> Duration {
        let base = self.base_delay(self.attempt);
        self.attempt = self.attempt.saturating_add(1);
        let jitter = 0.8 + 0.4 * fastrand::f64();
        base.mul_f64(jitter).clamp(self.min.mul_f64(0.8), self.max)
    }

    /// Call after a successful connection.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    fn base_delay(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.min(16));
        self.min.saturating_mul(factor).min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_then_caps_with_jitter() {
        let mut b = Backoff::default();
        let delays: Vec<Duration> = (0..12).map(|_| b.next_delay()).collect();
        assert!(delays[0] >= Duration::from_millis(400) && delays[0] <= Duration::from_millis(600));
        assert!(
            delays[2] >= Duration::from_millis(1600) && delays[2] <= Duration::from_millis(2400)
        );
        for d in &delays[6..] {
            assert!(*d <= Duration::from_secs(10), "{d:?} over the cap");
            assert!(*d >= Duration::from_secs(8), "{d:?} far under the cap");
        }
        b.reset();
        assert_eq!(b.attempt(), 0);
        assert!(b.next_delay() <= Duration::from_millis(600));
    }

    #[test]
    fn jitter_spreads_delays() {
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..20 {
            let mut b = Backoff::default();
            seen.insert(b.next_delay().as_millis());
        }
        assert!(seen.len() > 5, "jitter should vary delays: {seen:?}");
    }
}
