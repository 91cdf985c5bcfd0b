//! `vigil bench timeline`: how long the timeline panel takes to show a whole archive —
//! every camera's recorded ranges, gaps, events and bookmarks over its full span,
//! read exactly as the panel's reader thread reads them (`ui::timeline_data::tracks`).
//!
//! Owns: the open (index opened cold, then one read of all tracks) and the refresh
//! timings. Must not: write to the archive.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use serde::Serialize;

use crate::progress::{Mode, Progress};
use vigil_config::CameraId;
use vigil_core::timeline_data::{Row, tracks};
use vigil_store::{INDEX_FILE, Store};
use vigil_timeline::{TimeRange, WallNanos};

/// Width of the timeline in points the merge granularity is taken from (a wide window).
const WIDTH_PX: f64 = 1600.0;
/// Refreshes timed after the first read (the panel re-reads every 2 s).
const REFRESHES: usize = 20;

/// The JSON the benchmark writes.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TimelineReport {
    pub archive: String,
    pub cameras: usize,
    /// From the earliest recording to the latest, in days.
    pub span_days: f64,
    /// Recorded ranges drawn (after merging what is closer than 2 points).
    pub ranges: usize,
    pub gaps: usize,
    pub markers: usize,
    /// Index opened cold and every camera's track read once.
    pub open_ms: f64,
    /// The same read again, as the panel's periodic refresh does.
    pub refresh_ms_p50: f64,
    pub refresh_ms_p95: f64,
}

/// Opens `archive`'s index and times reading every camera's track over its span,
/// showing the reads' progress as `progress` says.
pub fn run(archive: &Path, progress: Mode) -> anyhow::Result<TimelineReport> {
    anyhow::ensure!(
        archive.join(INDEX_FILE).is_file(),
        "{} has no recording index ({INDEX_FILE})",
        archive.display()
    );
    let started = Instant::now();
    let store = Store::open(archive)
        .with_context(|| format!("cannot open the index in {}", archive.display()))?;
    let extents = store.camera_extents()?;
    anyhow::ensure!(
        !extents.is_empty(),
        "{} holds no recordings",
        archive.display()
    );
    let from = extents.iter().map(|e| e.start_ns).min().unwrap_or(0);
    let to = extents.iter().map(|e| e.end_ns).max().unwrap_or(0);
    let rows: Vec<Row> = extents
        .iter()
        .map(|e| Row {
            camera: CameraId::from(e.camera.as_str()),
            name: e.camera.clone(),
        })
        .collect();
    // Open gaps end at the newest footage: the figures do not depend on today's date.
    let now = WallNanos(to);
    let range = TimeRange::new(WallNanos(from), WallNanos(to));
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
    let merge = ((range.duration_nanos() as f64 / WIDTH_PX) * 2.0) as i64;
    let mut progress = Progress::start(progress, "bench-timeline", 1 + REFRESHES as u64);
    let first = tracks(&store, &rows, range, merge.max(2_000_000_000), now)?;
    let open_ms = ms(started);
    progress.inc(1);
    let mut refresh = Vec::with_capacity(REFRESHES);
    for _ in 0..REFRESHES {
        let t = Instant::now();
        let again = tracks(&store, &rows, range, merge.max(2_000_000_000), now)?;
        refresh.push(ms(t));
        anyhow::ensure!(again.len() == first.len(), "tracks changed while measuring");
        progress.inc(1);
    }
    progress.finish();
    #[allow(clippy::cast_precision_loss)]
    Ok(TimelineReport {
        archive: archive.display().to_string(),
        cameras: rows.len(),
        span_days: range.duration_nanos() as f64 / 86_400e9,
        ranges: first.iter().map(|t| t.recorded.len()).sum(),
        gaps: first.iter().map(|t| t.gaps.len()).sum(),
        markers: first.iter().map(|t| t.markers.len()).sum(),
        open_ms,
        refresh_ms_p50: super::percentile(&refresh, 0.5),
        refresh_ms_p95: super::percentile(&refresh, 0.95),
    })
}

/// Prints the summary and writes the JSON if asked.
pub fn report(report: &TimelineReport, json: Option<&PathBuf>) -> anyhow::Result<()> {
    println!(
        "timeline over {} cameras × {:.1} days ({} ranges, {} gaps, {} markers): open {:.1} ms, refresh p50 {:.1} ms p95 {:.1} ms",
        report.cameras,
        report.span_days,
        report.ranges,
        report.gaps,
        report.markers,
        report.open_ms,
        report.refresh_ms_p50,
        report.refresh_ms_p95
    );
    if let Some(path) = json {
        let text = serde_json::to_string_pretty(report)?;
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}
