//! Reconnect delays: exponential backoff with jitter, capped; and a far slower one after
//! wrong credentials, since cameras lock an account after a few failed logins.
//!
//! Owns only the arithmetic; the worker decides when to call it. Must not sleep.

use std::time::Duration;

/// Waits after the first and second wrong-credentials answer in a row.
const CREDENTIALS_FIRST: [Duration; 2] = [Duration::from_secs(10), Duration::from_secs(20)];
/// The wait after the third, doubling with each further one up to
/// [`CREDENTIALS_MAX`].
pub const CREDENTIALS_THIRD: Duration = Duration::from_secs(60);
const CREDENTIALS_MAX: Duration = Duration::from_secs(15 * 60);

/// Exponential backoff from `min` doubling to `max`, each delay jittered by ±20 %.
#[derive(Clone, Debug)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    attempt: u32,
    /// Wrong-credentials answers since the last success.
    credential_failures: u32,
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
            credential_failures: 0,
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

    /// The delay before the next try after the camera refused the credentials: 10 s,
    /// 20 s, then at least [`CREDENTIALS_THIRD`], doubling to 15 minutes. Jitter only
    /// lengthens these, so no try comes sooner than its step.
    pub fn next_delay_after_wrong_credentials(&mut self) -> Duration {
        self.credential_failures = self.credential_failures.saturating_add(1);
        let base = match self.credential_failures {
            0 | 1 => CREDENTIALS_FIRST[0],
            2 => CREDENTIALS_FIRST[1],
            n => CREDENTIALS_THIRD
                .saturating_mul(2u32.saturating_pow((n - 3).min(16)))
                .min(CREDENTIALS_MAX),
        };
        base.mul_f64(1.0 + 0.2 * fastrand::f64())
    }

    /// Call after a successful connection.
    pub fn reset(&mut self) {
        self.attempt = 0;
        self.credential_failures = 0;
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
    fn wrong_credentials_wait_far_longer_and_never_less_than_their_step() {
        let mut b = Backoff::default();
        let delays: Vec<Duration> = (0..10)
            .map(|_| b.next_delay_after_wrong_credentials())
            .collect();
        assert!(delays[0] >= Duration::from_secs(10) && delays[0] <= Duration::from_secs(12));
        assert!(delays[1] >= Duration::from_secs(20));
        for (i, d) in delays[2..].iter().enumerate() {
            assert!(*d >= CREDENTIALS_THIRD, "failure {}: {d:?}", i + 3);
        }
        assert!(delays[3] >= Duration::from_secs(120));
        assert!(delays[9] <= Duration::from_secs(18 * 60), "{:?}", delays[9]);
        b.reset();
        assert!(b.next_delay_after_wrong_credentials() <= Duration::from_secs(12));
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
