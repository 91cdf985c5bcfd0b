//! Startup repair: make the files in the storage folder and the index agree again after
//! a crash, a power cut or someone's hands in the folder.
//!
//! Owns: trimming torn fragments, closing rows left `recording`, indexing segment files
//! that have no row, removing rows whose file is gone, and reporting all of it.
//! Must not: cut or delete a file it cannot account for. Only a file that the index
//! says Vigil wrote, laid out as Vigil writes segments, is trimmed, and only after the
//! bytes the row says are durable; a file named like a segment that is someone else's
//! or damaged is moved into `<storage>/quarantine/` with the reason beside it; other
//! files are reported and left alone; only Vigil's header-only files (no footage in
//! them) are removed.

use std::collections::HashSet;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use ffmpeg_next as ff;

use super::mp4::{self, Scan};
use crate::segment_path::{self, Checked, is_camera_id, is_segment_name};
use vigil_media::track::VideoTrack;
use vigil_store::{INDEX_FILE, NewSegment, Segment, SegmentTrigger, Store, StoreError};

/// Folder inside the storage folder where files that are not Vigil's, or are damaged,
/// are moved instead of being cut or deleted. No camera records under this id.
pub const QUARANTINE_DIR: &str = "quarantine";

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
    /// Files moved into `<storage>/quarantine/` (not Vigil's, or damaged), with why.
    pub quarantined: Vec<(String, String)>,
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
    let mut paths = segment_path::Checker::new(&dir);
    for row in &rows {
        check_row(store, &dir, &mut paths, row, &mut report)?;
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
    for (file, why) in &report.quarantined {
        tracing::warn!(%file, reason = %why, "not a segment Vigil can repair: moved into the quarantine, not cut or deleted");
    }
    for path in &report.unknown {
        tracing::warn!(path = %path.display(), "file in the storage folder that Vigil did not write: left alone");
    }
}

fn check_row(
    store: &mut Store,
    dir: &Path,
    paths: &mut segment_path::Checker,
    row: &Segment,
    report: &mut ReconcileReport,
) -> Result<(), ReconcileError> {
    let path = match paths.check(&row.camera, &row.file) {
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
    let scan = mp4::scan(&path).map_err(io_err(&path))?;
    if let Err(why) = mp4::check_fragmented(&path, &scan) {
        return set_row_aside(store, dir, row, &path, &why, report);
    }
    // The torn tail is what follows the row's durable bytes, which end at a box
    // boundary; a file whose whole boxes end before that is damaged, not torn.
    let keep = row.bytes;
    let located = keep <= scan.whole_len && scan.boxes.iter().any(|b| b.offset + b.size == keep);
    if !located {
        let why = format!(
            "damaged: the index says its first {keep} bytes are durable, but its whole boxes \
             end at byte {} of {len}",
            scan.whole_len
        );
        return set_row_aside(store, dir, row, &path, &why, report);
    }
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
    store.segment_progress(row.id, row.end_ns, keep, &[], true)?;
    if row.recording {
        report.closed.push(row.file.clone());
    }
    Ok(())
}

/// Moves a row's file into the quarantine and removes the row (it points at nothing
/// any more; the footage, if any, is in the quarantine).
fn set_row_aside(
    store: &mut Store,
    dir: &Path,
    row: &Segment,
    path: &Path,
    why: &str,
    report: &mut ReconcileReport,
) -> Result<(), ReconcileError> {
    quarantine(dir, path, &row.file, why)?;
    store.delete_segment(row.id)?;
    report.quarantined.push((row.file.clone(), why.to_owned()));
    Ok(())
}

/// Moves `path` (`rel` in the storage folder) to `<storage>/quarantine/<rel>` (a
/// number added when that name is taken), with `<name>.reason.txt` beside it.
fn quarantine(dir: &Path, path: &Path, rel: &str, why: &str) -> Result<(), ReconcileError> {
    let rel_path = Path::new(rel);
    let folder = dir
        .join(QUARANTINE_DIR)
        .join(rel_path.parent().unwrap_or(Path::new("")));
    std::fs::create_dir_all(&folder).map_err(io_err(&folder))?;
    let name = rel_path
        .file_name()
        .map_or_else(|| "file".to_owned(), |n| n.to_string_lossy().into_owned());
    let mut target = folder.join(&name);
    let mut n = 1;
    while target.exists() {
        target = folder.join(format!("{name}.{n}"));
        n += 1;
    }
    std::fs::rename(path, &target).map_err(io_err(path))?;
    let reason_path = folder.join(format!(
        "{}.reason.txt",
        target
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    ));
    let text = format!(
        "Vigil moved this file here from {rel} at {} instead of cutting or deleting it:\n{why}\n",
        vigil_time::WallNanos::now()
    );
    std::fs::write(&reason_path, text).map_err(io_err(&reason_path))?;
    tracing::warn!(file = %rel, to = %target.display(), reason = %why, "file set aside into the quarantine");
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
        if name.starts_with(INDEX_FILE)
            || name == super::lock::LOCK_FILE
            || name == QUARANTINE_DIR
            || name == crate::identity::META_FILE
        {
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
            index_orphan(store, dir, &name, &rel, &file_path, start_ns, report)?;
        }
    }
    Ok(())
}

fn index_orphan(
    store: &mut Store,
    dir: &Path,
    camera: &str,
    rel: &str,
    path: &Path,
    start_ns: i64,
    report: &mut ReconcileReport,
) -> Result<(), ReconcileError> {
    let scan = mp4::scan(path).map_err(io_err(path))?;
    let mut set_aside = |why: String| -> Result<(), ReconcileError> {
        quarantine(dir, path, rel, &why)?;
        report.quarantined.push((rel.to_owned(), why));
        Ok(())
    };
    if let Err(why) = mp4::check_fragmented(path, &scan) {
        return set_aside(why);
    }
    if scan.whole_len != scan.file_len {
        // Vigil indexes a segment as soon as its header is durable: a torn file
        // without a row is not one it was writing.
        return set_aside(format!(
            "its last {} bytes are torn and no index row says Vigil wrote it",
            scan.file_len - scan.whole_len
        ));
    }
    if scan.fragments() == 0 {
        // Vigil's header alone (killed before the row): no footage in it.
        std::fs::remove_file(path).map_err(io_err(path))?;
        report.removed_empty.push(rel.to_owned());
        return Ok(());
    }
    let Some(probed) = probe(path, &scan) else {
        return set_aside("FFmpeg cannot read its packets".to_owned());
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
