//! What drawing the wall costs: frames per second, frame time, upload time, and the
//! pictures each camera got onto the screen, over a sliding window and in total.
//!
//! Owns: the UI thread's own timings. Must not: read files or the clock of a worker
//! (it is fed on the UI thread, once per frame).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// How far back the HUD's rates and times look.
pub const WINDOW: Duration = Duration::from_secs(2);

/// One frame's figures.
#[derive(Clone, Copy, Debug)]
struct FrameSample {
    began: Instant,
    /// The previous frame's whole time on the CPU (UI, tessellation, paint, present;
    /// not the wait for vsync), as eframe reports it.
    frame_ms: Option<f32>,
    upload_ms: f32,
    ui_ms: f32,
}

/// The draw path's running figures.
#[derive(Debug, Default)]
pub struct DrawStats {
    recent: VecDeque<FrameSample>,
    /// Every frame's time since the start (for percentiles over a benchmark run).
    pub all_frame_ms: Vec<f32>,
    /// Pictures uploaded per camera since the start (each is drawn in that frame).
    pub uploads: HashMap<String, u64>,
    pub frames: u64,
}

/// The HUD's summary of the last [`WINDOW`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DrawSummary {
    pub repaints_per_s: f32,
    pub frame_ms_p50: f32,
    pub frame_ms_p99: f32,
    pub upload_ms: f32,
    /// Frame time less the UI's own time: tessellation, paint and present.
    pub draw_ms: f32,
}

impl DrawStats {
    /// A frame began at `now`; `frame_ms` is what eframe reports for the one before.
    pub fn frame(&mut self, now: Instant, frame_ms: Option<f32>, upload_ms: f32, ui_ms: f32) {
        self.frames += 1;
        if let Some(ms) = frame_ms {
            self.all_frame_ms.push(ms);
        }
        self.recent.push_back(FrameSample {
            began: now,
            frame_ms,
            upload_ms,
            ui_ms,
        });
        while self
            .recent
            .front()
            .is_some_and(|s| now.duration_since(s.began) > WINDOW)
        {
            self.recent.pop_front();
        }
    }

    /// A picture of `camera` was uploaded to be drawn this frame.
    pub fn uploaded(&mut self, camera: &str) {
        *self.uploads.entry(camera.to_owned()).or_default() += 1;
    }

    /// The figures of the last [`WINDOW`] (zeros before two frames).
    pub fn summary(&self) -> DrawSummary {
        let (Some(first), Some(last)) = (self.recent.front(), self.recent.back()) else {
            return DrawSummary::default();
        };
        let span = last.began.duration_since(first.began).as_secs_f32();
        if span <= 0.0 {
            return DrawSummary::default();
        }
        let mut frame_ms: Vec<f32> = self.recent.iter().filter_map(|s| s.frame_ms).collect();
        frame_ms.sort_by(f32::total_cmp);
        let n = self.recent.len() as f32;
        let mean = |f: fn(&FrameSample) -> f32| self.recent.iter().map(f).sum::<f32>() / n;
        let mean_frame = if frame_ms.is_empty() {
            0.0
        } else {
            frame_ms.iter().sum::<f32>() / frame_ms.len() as f32
        };
        DrawSummary {
            repaints_per_s: (n - 1.0) / span,
            frame_ms_p50: percentile(&frame_ms, 0.5),
            frame_ms_p99: percentile(&frame_ms, 0.99),
            upload_ms: mean(|s| s.upload_ms),
            draw_ms: (mean_frame - mean(|s| s.ui_ms)).max(0.0),
        }
    }
}

/// The nearest-rank `p` quantile of sorted values; 0 for none.
pub fn percentile(sorted: &[f32], p: f32) -> f32 {
    if sorted.is_empty() {
        return 0.0;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let index = ((sorted.len() - 1) as f32 * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// The HUD's line for the whole window.
pub fn hud_line(s: &DrawSummary) -> String {
    format!(
        "draw: {:.1} repaints/s · frame {:.1} ms (p99 {:.1}) · upload {:.1} ms · draw {:.1} ms",
        s.repaints_per_s, s.frame_ms_p50, s.frame_ms_p99, s.upload_ms, s.draw_ms
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_times_cover_the_window() {
        let mut stats = DrawStats::default();
        let start = Instant::now();
        // 25 frames a second for 4 s: the window keeps the last 2 s.
        for n in 0..100u32 {
            let ms = if n % 10 == 0 { 30.0 } else { 10.0 };
            stats.frame(
                start + Duration::from_millis(u64::from(n) * 40),
                Some(ms),
                1.0,
                2.0,
            );
        }
        let s = stats.summary();
        assert!((s.repaints_per_s - 25.0).abs() < 0.5, "{s:?}");
        assert_eq!(s.frame_ms_p50, 10.0);
        assert_eq!(s.frame_ms_p99, 30.0);
        assert_eq!(s.upload_ms, 1.0);
        // Mean frame (46 × 10 + 5 × 30) / 51 ms less 2 ms of UI.
        assert!((s.draw_ms - (610.0 / 51.0 - 2.0)).abs() < 0.01, "{s:?}");
        assert_eq!(stats.all_frame_ms.len(), 100);
    }
}
