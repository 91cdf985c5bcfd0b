//! Startup repair: make the files in the storage folder and the index agree again after
//! a crash, a power cut or someone's hands in the folder.
//!
//! Owns: trimming torn fragments, closing rows left `recording`, indexing segment files
//! that have no row, removing rows whose file is gone, and reporting all of it.
//! Must not: delete footage it cannot account for — files it does not recognise are
//! reported and left alone; only header-only files (no footage in them) are removed.

use std::collections::HashSet;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use ffmpeg_next as ff;

use super::mp4::{self, Scan};
use crate::segment_path::{self, Checked, is_camera_id, is_segment_name};
use vigil_media::track::VideoTrack;
use vigil_store::{INDEX_FILE, NewSegment, Segment, SegmentTrigger, Store, StoreError};

/// What reconciliation did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Rows left `recording` by a writer that died, now closed.
    pub closed: Vec<String>,
    /// Files cut back to their last durable fragment: (file, bytes before, bytes after).
    pub trimmed: Vec<(String, u64, u64)>,
    /// Segment files found without a row, now indexed.
    pub recovered: Vec<String>,
    /// Segment files without any footage (header only: killed before the first
    /// fragment was durable), removed with their row if they had one.
    pub removed_empty: Vec<String>,
    /// Rows whose file was missing: that footage is gone; the rows were removed.
    pub missing: Vec<String>,
    /// Files and folders Vigil did not write; left alone.
    pub unknown: Vec<PathBuf>,
    /// Rows whose path is not `<camera id>/<digits>.mp4` inside the storage folder:
    /// never followed, left as they are ("row <id> '<path>': why").
    pub refused: Vec<String>,
}

impl ReconcileReport {
    /// True when nothing needed repair.
    pub fn is_clean(&self) -> bool {
        *self == Self::default()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot repair {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ReconcileError + '_ {
    move |source| ReconcileError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Brings the index and the files in `store.dir()` back in line. Run it before any
/// recorder starts writing into the folder.
pub fn reconcile(store: &mut Store) -> Result<ReconcileReport, ReconcileError> {
    let mut report = ReconcileReport::default();
    let dir = store.dir().to_path_buf();
    let rows = store.segments(None)?;
    for row in &rows {
        check_row(store, &dir, row, &mut report)?;
    }
    // Files with a row (one lookup per file on disk, not one query).
    let indexed: HashSet<String> = rows.into_iter().map(|r| r.file).collect();
    index_orphans(store, &dir, &indexed, &mut report)?;
    log_report(&report);
    Ok(report)
}

fn log_report(report: &ReconcileReport) {
    for file in &report.closed {
        tracing::warn!(%file, "segment left open by a crash: closed at its last durable fragment");
    }
    for (file, from, to) in &report.trimmed {
        tracing::warn!(%file, from, to, "torn fragment trimmed");
    }
    for file in &report.recovered {
        tracing::warn!(%file, "segment file without an index row: indexed");
    }
    for file in &report.removed_empty {
        tracing::warn!(%file, "segment file with no footage and no row: removed");
    }
    for file in &report.missing {
        tracing::error!(%file, "indexed segment file is missing: its footage is lost; row removed");
    }
    for why in &report.refused {
        tracing::error!(row = %why, "index row refused: its path is not a segment inside the storage folder; left alone");
    }
    for path in &report.unknown {
        tracing::warn!(path = %path.display(), "file in the storage folder that Vigil did not write: left alone");
    }
}

fn check_row(
    store: &mut Store,
    dir: &Path,
    row: &Segment,
    report: &mut ReconcileReport,
) -> Result<(), ReconcileError> {
    let path = match segment_path::check(dir, &row.camera, &row.file) {
        Checked::Inside(path) => path,
        Checked::Missing => {
            store.delete_segment(row.id)?;
            report.missing.push(row.file.clone());
            return Ok(());
        }
        Checked::Refused(why) => {
            report.refused.push(format!("row {}: {why}", row.id));
            return Ok(());
        }
    };
    let len = std::fs::metadata(&path).map_err(io_err(&path))?.len();
    if !row.recording && len == row.bytes {
        return Ok(());
    }
    // Keep what the row says is durable, and never more than is whole on disk.
    let scan = mp4::scan(&path).map_err(io_err(&path))?;
    let keep = row.bytes.min(scan.whole_len);
    let fragments = scan
        .boxes
        .iter()
        .filter(|b| &b.kind == b"moof" && b.offset + b.size < keep)
        .count();
    if fragments == 0 {
        // Killed before its first fragment was durable: no footage, nothing to index.
        store.delete_segment(row.id)?;
        std::fs::remove_file(&path).map_err(io_err(&path))?;
        report.removed_empty.push(row.file.clone());
        return Ok(());
    }
    if len != keep {
        truncate(&path, keep)?;
        report.trimmed.push((row.file.clone(), len, keep));
    }
    let mut end_ns = row.end_ns;
    if keep < row.bytes {
        // The index claimed more than the file holds (not our write order: a damaged
        // file). Measure what is left.
        tracing::error!(file = %row.file, claimed = row.bytes, whole = keep, "segment shorter than its index row");
        end_ns = probe(&path, &mp4::scan(&path).map_err(io_err(&path))?)
            .map_or(row.start_ns, |p| row.start_ns + p.duration_ns);
    }
    store.segment_progress(row.id, end_ns, keep, &[], true)?;
    if row.recording {
        report.closed.push(row.file.clone());
    }
    Ok(())
}

fn truncate(path: &Path, len: u64) -> Result<(), ReconcileError> {
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(io_err(path))?;
    file.set_len(len).map_err(io_err(path))?;
    file.sync_all().map_err(io_err(path))
}

fn index_orphans(
    store: &mut Store,
    dir: &Path,
    indexed: &HashSet<String>,
    report: &mut ReconcileReport,
) -> Result<(), ReconcileError> {
    let entries = std::fs::read_dir(dir).map_err(io_err(dir))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(INDEX_FILE) || name == super::lock::LOCK_FILE {
            continue;
        }
        // A link is not followed: a folder linked from elsewhere is not Vigil's.
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if !is_dir || !is_camera_id(&name) {
            report.unknown.push(path);
            continue;
        }
        let files = std::fs::read_dir(&path).map_err(io_err(&path))?;
        for file in files.flatten() {
            let file_path = file.path();
            let file_name = file.file_name().to_string_lossy().into_owned();
            let is_file = file.file_type().is_ok_and(|t| t.is_file());
            let start_ns = file_name
                .strip_suffix(".mp4")
                .and_then(|s| s.parse::<i64>().ok());
            let Some(start_ns) = start_ns.filter(|_| is_file && is_segment_name(&file_name)) else {
                report.unknown.push(file_path);
                continue;
            };
            let rel = format!("{name}/{file_name}");
            if indexed.contains(&rel) {
                continue;
            }
            index_orphan(store, &name, &rel, &file_path, start_ns, report)?;
        }
    }
    Ok(())
}

fn index_orphan(
    store: &mut Store,
    camera: &str,
    rel: &str,
    path: &Path,
    start_ns: i64,
    report: &mut ReconcileReport,
) -> Result<(), ReconcileError> {
    let scan = mp4::scan(path).map_err(io_err(path))?;
    if scan.whole_len != scan.file_len {
        truncate(path, scan.whole_len)?;
        report
            .trimmed
            .push((rel.to_owned(), scan.file_len, scan.whole_len));
    }
    let probed = if scan.has_header() && scan.fragments() > 0 {
        probe(path, &scan)
    } else {
        None
    };
    let Some(probed) = probed else {
        std::fs::remove_file(path).map_err(io_err(path))?;
        report.removed_empty.push(rel.to_owned());
        return Ok(());
    };
    let id = store.insert_segment(&NewSegment {
        camera: camera.to_owned(),
        file: rel.to_owned(),
        start_ns,
        source_dts: 0,
        time_base: probed.time_base,
        bytes: scan.whole_len,
        codec: probed.codec.clone(),
        width: probed.width,
        height: probed.height,
        trigger: SegmentTrigger::Recovered,
    })?;
    let keyframes: Vec<(i64, u64)> = probed
        .keyframes
        .iter()
        .map(|(t, off)| (start_ns + t, *off))
        .collect();
    store.segment_progress(
        id,
        start_ns + probed.duration_ns,
        scan.whole_len,
        &keyframes,
        true,
    )?;
    report.recovered.push(rel.to_owned());
    Ok(())
}

/// What FFmpeg reads in a segment file.
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    pub codec: String,
    pub width: u32,
    pub height: u32,
    pub time_base: (i32, i32),
    /// From the first packet's dts to the end of the last packet.
    pub duration_ns: i64,
    pub packets: u64,
    /// (offset from the start in ns, byte offset of the fragment) of each keyframe that
    /// starts a fragment.
    pub keyframes: Vec<(i64, u64)>,
}

/// Reads every packet of a segment file (no decoding).
pub fn probe(path: &Path, scan: &Scan) -> Option<Probe> {
    let mut input = ff::format::input(path).ok()?;
    let VideoTrack {
        index,
        time_base: tb,
        width,
        height,
        codec,
        ..
    } = VideoTrack::of(&input)?;
    let ns = |ticks: i64| -> i64 {
        i64::try_from(
            i128::from(ticks) * i128::from(tb.numerator()) * 1_000_000_000
                / i128::from(tb.denominator().max(1)),
        )
        .unwrap_or(0)
    };
    let mut first = None;
    let mut end = 0i64;
    let mut packets = 0;
    let mut keyframes = Vec::new();
    for (s, packet) in input.packets() {
        if s.index() != index {
            continue;
        }
        let dts = packet.dts().or(packet.pts()).unwrap_or(0);
        let first_dts = *first.get_or_insert(dts);
        end = end.max(dts + packet.duration().max(0));
        packets += 1;
        if packet.is_key()
            && let Ok(pos) = u64::try_from(packet.position())
            && let Some(moof) = scan.fragment_at(pos)
            && keyframes.last().is_none_or(|(_, o)| *o != moof)
        {
            keyframes.push((ns(dts - first_dts), moof));
        }
    }
    let first = first?;
    Some(Probe {
        codec,
        width,
        height,
        time_base: (tb.numerator(), tb.denominator()),
        duration_ns: ns(end - first),
        packets,
        keyframes,
    })
}
