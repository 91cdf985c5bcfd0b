//! Retention: delete the oldest footage when it is older than its camera's maximum age,
//! when the archive is over its size quota, or when the disk runs low.
//!
//! Owns: choosing what to delete (complete segments, oldest first, never one that
//! overlaps a bookmark) and deleting it (row, then file). Must not: touch a segment
//! that is still being written.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use super::{Segment, Store, StoreError};

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

/// One retention pass at wall time `now_ns`.
pub fn apply(
    store: &Store,
    policy: &RetentionPolicy,
    now_ns: i64,
) -> Result<RetentionReport, StoreError> {
    let mut report = RetentionReport::default();
    let mut candidates: Vec<Segment> = Vec::new();
    for segment in store.segments(None)? {
        if segment.recording {
            continue;
        }
        if store.is_bookmarked(&segment.camera, segment.start_ns, segment.end_ns)? {
            report.protected += usize::from(too_old(policy, &segment, now_ns));
            continue;
        }
        candidates.push(segment);
    }
    // Oldest first (segments() is ordered by start).
    let mut rest = Vec::new();
    for segment in candidates {
        if too_old(policy, &segment, now_ns) {
            delete(store, &segment, &mut report)?;
        } else {
            rest.push(segment);
        }
    }
    let mut rest = rest.into_iter();
    if let Some(quota) = policy.quota_bytes {
        while store.total_bytes()? > quota {
            let Some(segment) = rest.next() else {
                report.target_missed = true;
                break;
            };
            delete(store, &segment, &mut report)?;
        }
    }
    if policy.min_free_bytes > 0 {
        while free_bytes(store.dir()).unwrap_or(u64::MAX) < policy.min_free_bytes {
            let Some(segment) = rest.next() else {
                report.target_missed = true;
                break;
            };
            delete(store, &segment, &mut report)?;
        }
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

fn too_old(policy: &RetentionPolicy, segment: &Segment, now_ns: i64) -> bool {
    policy.max_age.get(&segment.camera).is_some_and(|age| {
        let age_ns = i64::try_from(age.as_nanos()).unwrap_or(i64::MAX);
        segment.end_ns < now_ns.saturating_sub(age_ns)
    })
}

/// Row first, then file: a crash in between leaves a file without a row, which
/// reconciliation indexes again (nothing points at a missing file). When the disk is so
/// full that SQLite cannot commit, the file goes first to make room.
fn delete(
    store: &Store,
    segment: &Segment,
    report: &mut RetentionReport,
) -> Result<(), StoreError> {
    let path = store.dir().join(&segment.file);
    match store.delete_segment(segment.id) {
        Ok(()) => remove_file(&path),
        Err(err) if err.is_disk_full() => {
            remove_file(&path);
            store.delete_segment(segment.id)?;
        }
        Err(err) => return Err(err),
    }
    report.deleted.push(segment.file.clone());
    report.freed_bytes += segment.bytes;
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
    use crate::store::{NewSegment, SegmentTrigger};

    const SEC: i64 = 1_000_000_000;

    fn add(store: &mut Store, camera: &str, start_s: i64, bytes: u64) -> i64 {
        let file = format!("{camera}/{}.mp4", start_s * SEC);
        std::fs::create_dir_all(store.dir().join(camera)).expect("dir");
        std::fs::write(store.dir().join(&file), vec![0u8; 10]).expect("file");
        let id = store
            .insert_segment(&NewSegment {
                camera: camera.to_owned(),
                file,
                start_ns: start_s * SEC,
                source_dts: 0,
                time_base: (1, 90_000),
                bytes,
                codec: "h264".to_owned(),
                width: 1,
                height: 1,
                trigger: SegmentTrigger::Continuous,
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
