//! Retention: delete the oldest footage when it is older than its camera's maximum age,
//! when the archive is over its size quota, or when the disk runs low.
//!
//! Owns: choosing what to delete (complete segments, oldest first, never one that
//! overlaps a bookmark) and deleting it (row, then file). Must not: touch a segment
//! that is still being written.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use vigil_store::{Segment, Store, StoreError};

/// What may be kept.
#[derive(Clone, Debug, Default)]
pub struct RetentionPolicy {
    /// Per-camera maximum age of footage.
    pub max_age: HashMap<String, Duration>,
    /// All cameras together may use at most this many bytes.
    pub quota_bytes: Option<u64>,
    /// Keep at least this much free on the storage file system.
    pub min_free_bytes: u64,
}

/// What a pass deleted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RetentionReport {
    pub deleted: Vec<String>,
    pub freed_bytes: u64,
    /// Segments that would have gone but overlap a bookmark.
    pub protected: usize,
    /// The quota or free-space target could not be reached (everything left is
    /// bookmarked or still recording).
    pub target_missed: bool,
}

/// Bytes available on the file system that holds `path`.
pub fn free_bytes(path: &Path) -> std::io::Result<u64> {
    let st = nix::sys::statvfs::statvfs(path).map_err(std::io::Error::from)?;
    #[allow(clippy::useless_conversion)]
    Ok(u64::from(st.blocks_available()).saturating_mul(u64::from(st.fragment_size())))
}

/// Bookmarked ranges per camera, loaded once per pass.
struct Protected(HashMap<String, Vec<(i64, i64)>>);

impl Protected {
    fn load(store: &Store) -> Result<Self, StoreError> {
        let mut map: HashMap<String, Vec<(i64, i64)>> = HashMap::new();
        for b in store.bookmarks(None)? {
            map.entry(b.camera)
                .or_default()
                .push((b.start_ns, b.end_ns));
        }
        Ok(Self(map))
    }

    fn covers(&self, segment: &Segment) -> bool {
        self.0.get(&segment.camera).is_some_and(|ranges| {
            ranges
                .iter()
                .any(|(s, e)| *s <= segment.end_ns && *e >= segment.start_ns)
        })
    }
}

/// Segments deleted per transaction while freeing disk space (the space a file frees
/// is only known once it is gone: hard-linked files free nothing until the last link).
const SPACE_BATCH: usize = 16;
/// Rows read per query while walking the archive oldest first.
const PAGE: usize = 512;

/// One retention pass at wall time `now_ns`.
///
/// Reads only what it may delete (per-camera age: that camera's oldest rows through the
/// `(camera, start_ns)` index; quota and free space: the oldest rows page by page), so a
/// pass over a large archive that has nothing to do costs a few queries.
pub fn apply(
    store: &Store,
    policy: &RetentionPolicy,
    now_ns: i64,
) -> Result<RetentionReport, StoreError> {
    let mut report = RetentionReport::default();
    let protected = Protected::load(store)?;
    let mut cameras: Vec<(&String, &Duration)> = policy.max_age.iter().collect();
    cameras.sort();
    for (camera, age) in cameras {
        let age_ns = i64::try_from(age.as_nanos()).unwrap_or(i64::MAX);
        let cutoff = now_ns.saturating_sub(age_ns);
        let mut doomed = Vec::new();
        for segment in store.complete_segments_ending_before(camera, cutoff)? {
            if protected.covers(&segment) {
                report.protected += 1;
            } else {
                doomed.push(segment);
            }
        }
        delete_batch(store, &doomed, &mut report)?;
    }
    let mut total = store.total_bytes()?;
    let over_quota = |total: u64| policy.quota_bytes.is_some_and(|q| total > q);
    let low_space = || {
        policy.min_free_bytes > 0
            && free_bytes(store.dir()).unwrap_or(u64::MAX) < policy.min_free_bytes
    };
    let mut cursor = (i64::MIN, i64::MIN);
    let mut page = std::collections::VecDeque::new();
    loop {
        let need_space = low_space();
        if !over_quota(total) && !need_space {
            break;
        }
        let mut batch = Vec::new();
        while over_quota(total) || (need_space && batch.len() < SPACE_BATCH) {
            if page.is_empty() {
                page.extend(store.complete_segments_after(cursor, PAGE)?);
            }
            let Some(segment) = page.pop_front() else {
                break;
            };
            cursor = (segment.start_ns, segment.id);
            if protected.covers(&segment) {
                continue;
            }
            total = total.saturating_sub(segment.bytes);
            batch.push(segment);
        }
        if batch.is_empty() {
            report.target_missed = true;
            break;
        }
        delete_batch(store, &batch, &mut report)?;
    }
    if !report.deleted.is_empty() {
        tracing::info!(
            segments = report.deleted.len(),
            bytes = report.freed_bytes,
            protected = report.protected,
            "retention deleted the oldest footage"
        );
    }
    if report.target_missed {
        tracing::warn!(
            "retention cannot free enough space: what is left is bookmarked or recording"
        );
    }
    Ok(report)
}

/// Rows first (one transaction), then files: a crash in between leaves files without
/// rows, which reconciliation indexes again (nothing points at a missing file). When
/// the disk is so full that SQLite cannot commit, each file goes first to make room.
fn delete_batch(
    store: &Store,
    segments: &[Segment],
    report: &mut RetentionReport,
) -> Result<(), StoreError> {
    if segments.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = segments.iter().map(|s| s.id).collect();
    match store.delete_segments(&ids) {
        Ok(()) => {
            for segment in segments {
                remove_file(&store.dir().join(&segment.file));
            }
        }
        Err(err) if err.is_disk_full() => {
            for segment in segments {
                remove_file(&store.dir().join(&segment.file));
                store.delete_segment(segment.id)?;
            }
        }
        Err(err) => return Err(err),
    }
    for segment in segments {
        report.deleted.push(segment.file.clone());
        report.freed_bytes += segment.bytes;
    }
    Ok(())
}

fn remove_file(path: &Path) {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => {
            tracing::warn!(file = %path.display(), %err, "cannot delete a segment file; reconciliation will index it again")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: i64 = 1_000_000_000;

    fn add(store: &mut Store, camera: &str, start_s: i64, bytes: u64) -> i64 {
        let file = format!("{camera}/{}.mp4", start_s * SEC);
        std::fs::create_dir_all(store.dir().join(camera)).expect("dir");
        std::fs::write(store.dir().join(&file), vec![0u8; 10]).expect("file");
        let id = store
            .insert_segment(&vigil_store::NewSegment {
                camera: camera.to_owned(),
                file,
                start_ns: start_s * SEC,
                source_dts: 0,
                time_base: (1, 90_000),
                bytes,
                codec: "h264".to_owned(),
                width: 640,
                height: 360,
                trigger: vigil_store::SegmentTrigger::Continuous,
            })
            .expect("insert");
        store
            .segment_progress(id, (start_s + 60) * SEC, bytes, &[], true)
            .expect("close");
        id
    }

    #[test]
    fn age_and_quota_delete_oldest_first_and_spare_bookmarks() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut store = Store::open(dir.path()).expect("open");
        for i in 0..6 {
            add(&mut store, "a", i * 60, 100);
        }
        add(&mut store, "b", 0, 100);
        // The oldest of "a" is bookmarked.
        store
            .add_bookmark("a", 10 * SEC, 20 * SEC, "keep")
            .expect("bm");
        let mut policy = RetentionPolicy::default();
        policy
            .max_age
            .insert("a".to_owned(), Duration::from_secs(200));
        // now = 420 s: "a" segments ending before 220 s are too old: starts 0, 60, 120.
        let report = apply(&store, &policy, 420 * SEC).expect("apply");
        assert_eq!(
            report.deleted,
            vec![
                format!("a/{}.mp4", 60 * SEC),
                format!("a/{}.mp4", 120 * SEC)
            ]
        );
        assert_eq!(report.protected, 1);
        assert!(!dir.path().join(format!("a/{}.mp4", 60 * SEC)).exists());
        // Quota: 5 segments left (500 bytes); keep 300 -> the two oldest unprotected go:
        // b/0 (start 0), then a/180.
        policy.max_age.clear();
        policy.quota_bytes = Some(300);
        let report = apply(&store, &policy, 420 * SEC).expect("apply");
        assert_eq!(
            report.deleted,
            vec![format!("b/{}.mp4", 0), format!("a/{}.mp4", 180 * SEC)]
        );
        assert!(!report.target_missed);
        // A quota nothing can meet: everything unprotected goes, the bookmark stays.
        policy.quota_bytes = Some(0);
        let report = apply(&store, &policy, 420 * SEC).expect("apply");
        assert!(report.target_missed);
        let left = store.segments(None).expect("segments");
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].start_ns, 0);
    }
}
