//! The decode budget: when decoders fall behind real time, switch the least important
//! tiles to keyframe-only decoding, smallest first; restore them when load falls.
//!
//! Owns: the decision only (pure, time passed in). Must not: touch decoders itself.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use super::source::StreamKey;

/// What the budget knows about one decoded stream.
#[derive(Clone, Debug)]
pub struct BudgetInput {
    pub key: StreamKey,
    /// Tile area in physical pixels (the stream's largest tile).
    pub area_px: f32,
    /// Camera priority from the site file: higher keeps full rate longer.
    pub priority: i32,
    /// Maximised or alarmed: never degraded.
    pub protected: bool,
    /// The decoder is behind real time (queue lagging or skipping to keyframes).
    pub behind: bool,
}

/// Degrades one stream at a time under load and restores one at a time when calm.
#[derive(Debug, Default)]
pub struct DecodeBudget {
    degraded: Vec<StreamKey>,
    last_change: Option<Instant>,
    calm_since: Option<Instant>,
}

/// Wait at least this long between two degradations (let the last one take effect).
const DEGRADE_EVERY: Duration = Duration::from_millis(500);
/// Restore one stream after this long without any stream behind.
const RESTORE_AFTER_CALM: Duration = Duration::from_secs(5);

impl DecodeBudget {
    /// Streams that should decode keyframes only, given the current state.
    pub fn update(&mut self, now: Instant, inputs: &[BudgetInput]) -> HashSet<StreamKey> {
        // Forget streams that are gone, and never keep a protected one degraded.
        self.degraded
            .retain(|k| inputs.iter().any(|i| &i.key == k && !i.protected));
        let overloaded = inputs.iter().any(|i| i.behind);
        let since_change = self
            .last_change
            .map_or(Duration::MAX, |t| now.saturating_duration_since(t));
        if overloaded {
            self.calm_since = None;
            if since_change >= DEGRADE_EVERY {
                let candidate = inputs
                    .iter()
                    .filter(|i| !i.protected && !self.degraded.contains(&i.key))
                    .min_by(|a, b| {
                        a.priority
                            .cmp(&b.priority)
                            .then(a.area_px.total_cmp(&b.area_px))
                            .then(a.key.cmp(&b.key))
                    });
                if let Some(c) = candidate {
                    tracing::info!(stream = %c.key, "decoders behind real time: keyframes only");
                    self.degraded.push(c.key.clone());
                    self.last_change = Some(now);
                }
            }
        } else if !self.degraded.is_empty() {
            let calm = *self.calm_since.get_or_insert(now);
            if now.saturating_duration_since(calm) >= RESTORE_AFTER_CALM
                && since_change >= RESTORE_AFTER_CALM
            {
                if let Some(key) = self.degraded.pop() {
                    tracing::info!(stream = %key, "load fell: full frame rate again");
                }
                self.last_change = Some(now);
                self.calm_since = Some(now);
            }
        }
        self.degraded.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(cam: &str, area: f32, behind: bool) -> BudgetInput {
        BudgetInput {
            key: StreamKey {
                camera_id: cam.into(),
                stream: "main".into(),
            },
            area_px: area,
            priority: 0,
            protected: false,
            behind,
        }
    }

    #[test]
    fn degrades_smallest_first_then_restores_largest_first() {
        let mut b = DecodeBudget::default();
        let t0 = Instant::now();
        let mut inputs = vec![
            input("big", 1000.0, true),
            input("small", 10.0, false),
            input("mid", 100.0, false),
        ];
        let d = b.update(t0, &inputs);
        assert_eq!(d.len(), 1);
        assert!(d.contains(&inputs[1].key), "smallest first");
        // Still overloaded but too soon: no change.
        assert_eq!(b.update(t0 + Duration::from_millis(200), &inputs).len(), 1);
        let d = b.update(t0 + Duration::from_secs(1), &inputs);
        assert!(
            d.contains(&inputs[2].key) && d.len() == 2,
            "then the next smallest"
        );
        // Calm: restores one at a time, the last degraded first.
        for i in &mut inputs {
            i.behind = false;
        }
        let t1 = t0 + Duration::from_secs(2);
        assert_eq!(b.update(t1, &inputs).len(), 2);
        let d = b.update(t1 + Duration::from_secs(5), &inputs);
        assert_eq!(d.len(), 1);
        assert!(
            d.contains(&inputs[1].key),
            "the larger one comes back first"
        );
        let d = b.update(t1 + Duration::from_secs(10), &inputs);
        assert!(d.is_empty());
    }

    #[test]
    fn protected_and_priority_are_respected() {
        let mut b = DecodeBudget::default();
        let t0 = Instant::now();
        let mut small_protected = input("alarm", 10.0, true);
        small_protected.protected = true;
        let mut important = input("vip", 20.0, false);
        important.priority = 5;
        let normal = input("normal", 500.0, false);
        let inputs = vec![small_protected.clone(), important.clone(), normal.clone()];
        let d = b.update(t0, &inputs);
        assert!(
            d.contains(&normal.key),
            "low priority before small but important: {d:?}"
        );
        let d = b.update(t0 + Duration::from_secs(1), &inputs);
        assert!(d.contains(&important.key));
        let d = b.update(t0 + Duration::from_secs(2), &inputs);
        assert!(
            !d.contains(&small_protected.key),
            "protected tiles keep full rate"
        );
    }
}
