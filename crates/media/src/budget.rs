//! The decode budget: when decoders fall behind real time, switch the least important
//! tiles to keyframe-only decoding, smallest first; restore them when load falls.
//! Hardware and software decoders are two budgets: a GPU decoder that cannot keep up is
//! relieved by degrading hardware streams, a busy CPU by degrading software ones, each
//! at its own pace, so one resource running out never degrades streams on the other.
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
    /// Decoded on a hardware device (counted in the hardware budget).
    pub hardware: bool,
}

/// Two budgets, hardware and software, each degrading one stream at a time under its
/// own load and restoring one at a time when it is calm.
#[derive(Debug, Default)]
pub struct DecodeBudget {
    software: Pool,
    hardware: Pool,
}

/// Streams degraded per kind of decoder.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Degraded {
    pub hardware: usize,
    pub software: usize,
}

/// One kind of decoder's budget.
#[derive(Debug, Default)]
struct Pool {
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
        let (hardware, software): (Vec<_>, Vec<_>) =
            inputs.iter().cloned().partition(|i| i.hardware);
        let mut degraded = self.hardware.update(now, &hardware, "hardware");
        degraded.extend(self.software.update(now, &software, "software"));
        degraded
    }

    /// How many streams each budget holds at keyframes only.
    pub fn degraded(&self) -> Degraded {
        Degraded {
            hardware: self.hardware.degraded.len(),
            software: self.software.degraded.len(),
        }
    }
}

impl Pool {
    fn update(&mut self, now: Instant, inputs: &[BudgetInput], kind: &str) -> HashSet<StreamKey> {
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
                    tracing::info!(stream = %c.key, decoders = kind, "decoders behind real time: keyframes only");
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
                    tracing::info!(stream = %key, decoders = kind, "load fell: full frame rate again");
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
            hardware: false,
        }
    }

    #[test]
    fn hardware_and_software_are_budgeted_separately() {
        let mut b = DecodeBudget::default();
        let t0 = Instant::now();
        // A small hardware stream and a large software one; the CPU is what is short.
        let mut gpu = input("gpu-small", 10.0, false);
        gpu.hardware = true;
        let cpu_big = input("cpu-big", 1000.0, true);
        let cpu_mid = input("cpu-mid", 100.0, false);
        let inputs = vec![gpu.clone(), cpu_big.clone(), cpu_mid.clone()];
        let d = b.update(t0, &inputs);
        assert!(
            !d.contains(&gpu.key),
            "a busy CPU never degrades a hardware stream: {d:?}"
        );
        assert!(
            d.contains(&cpu_mid.key),
            "the smallest software stream: {d:?}"
        );
        assert_eq!(
            b.degraded(),
            Degraded {
                hardware: 0,
                software: 1
            }
        );
        // Now the GPU falls behind too: it is relieved at once, not after the CPU's wait.
        gpu.behind = true;
        let inputs = vec![gpu.clone(), cpu_big, cpu_mid];
        let d = b.update(t0 + Duration::from_millis(100), &inputs);
        assert!(d.contains(&gpu.key), "{d:?}");
        assert_eq!(
            b.degraded(),
            Degraded {
                hardware: 1,
                software: 1
            }
        );
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
