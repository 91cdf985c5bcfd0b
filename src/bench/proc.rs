//! Process figures the benchmark reports, read from Linux's `/proc` and `getrusage`.
//!
//! Must not: be used on any display path (it reads files).

use std::time::Duration;

/// CPU time of this process (all threads, user + system), as `getrusage` reports it.
pub fn process_cpu() -> Duration {
    use nix::sys::resource::{UsageWho, getrusage};
    getrusage(UsageWho::RUSAGE_SELF).map_or(Duration::ZERO, |u| {
        let tv = |t: nix::sys::time::TimeVal| {
            Duration::from_secs(u64::try_from(t.tv_sec()).unwrap_or(0))
                + Duration::from_micros(u64::try_from(t.tv_usec()).unwrap_or(0))
        };
        tv(u.user_time()) + tv(u.system_time())
    })
}

/// CPU time of every thread of this process whose name starts with `prefix`, from
/// `/proc/self/task/*/schedstat` (nanoseconds on the CPU).
pub fn threads_cpu(prefix: &str) -> Duration {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    tasks
        .flatten()
        .filter(|t| {
            std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.starts_with(prefix))
        })
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| {
            s.split_whitespace()
                .next()
                .and_then(|n| n.parse::<u64>().ok())
        })
        .map(Duration::from_nanos)
        .sum()
}

/// Peak resident set size of this process in MiB (`VmHWM`).
pub fn peak_rss_mb() -> f64 {
    status_kib("VmHWM:").map_or(0.0, |kib| kib as f64 / 1024.0)
}

/// Current resident set size in MiB (`VmRSS`).
pub fn rss_mb() -> f64 {
    status_kib("VmRSS:").map_or(0.0, |kib| kib as f64 / 1024.0)
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_plausible() {
        // Work until the process's CPU time has grown by 20 ms: on a busy machine that
        // takes longer in wall time, never less CPU. A broken reading never grows.
        let before = process_cpu();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let mut x = 0u64;
        while process_cpu() < before + Duration::from_millis(20) {
            for _ in 0..100_000 {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
            }
            assert!(
                std::time::Instant::now() < deadline,
                "process CPU time did not grow while spinning"
            );
        }
        assert!(peak_rss_mb() > 1.0 && peak_rss_mb() >= rss_mb() * 0.99);
        assert_eq!(threads_cpu("no-such-thread-name"), Duration::ZERO);
    }
}
