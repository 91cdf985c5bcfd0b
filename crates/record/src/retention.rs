//! Retention: delete the oldest footage when it is older than its camera's maximum age,
//! when the archive is over its size quota, or when the disk runs low.
//!
//! Owns: choosing what to delete (complete segments, oldest first, never one that
//! overlaps a bookmark), deleting it (row, then file), and refusing to delete by age
//! while the clock cannot be trusted. Must not: touch a segment that is still being
//! written.
//!
//! # An implausible clock pauses age-based deletion
//!
//! Age is measured from the wall clock, which a person or NTP can move. A clock a year
//! ahead would make the whole archive "too old". So deletion by age pauses (the pass's
//! [`RetentionReport::age_paused`] says why, with both times, and a warning is logged)
//! while either holds:
//!
//! - **The wall clock jumped** ([`AgePause::ClockJumped`], needs a [`Retention`] kept
//!   across passes): since its first pass, the wall clock moved more or less than the
//!   monotonic clock, by over [`JUMP_TOLERANCE`]. The pause lasts while that
//!   discrepancy stands (a clock set back ends it; a clock that stays moved pauses age
//!   deletion until the next start).
//! - **"Now" is far past the newest footage** ([`AgePause::FarPastNewestFootage`], at
//!   any pass): when the archive's newest footage ends more than [`FAR_PAST_LIMIT`]
//!   (one day) before now, the clock is more likely wrong (set ahead, a dead RTC
//!   battery) than the whole site silent for a day; deleting by age would take as much
//!   footage as the clock is ahead. Every camera with a maximum age keeps its footage
//!   until footage newer than that is recorded (a running recorder does so within a
//!   minute, which ends the pause when the clock was right after all).
//!
//! Deletion for the quota or for free space (oldest first) needs no clock and goes on.
//!
//! # Bounds
//!
//! - One pass deletes at most [`PassLimit`] (2000 segments or 100 GB); the report's
//!   `limited` says when it stopped there, and the log says so.
//! - The free-space rule never deletes footage the quota keeps: with a quota, only the
//!   quota deletes; a disk filled by something else while the archive is within its
//!   quota is reported (`space_kept_for_quota`), and recorders pause on the full disk.
//! - A segment is deleted only if no bookmark overlaps it when its row is deleted (the
//!   bookmarks are read in the delete statement itself).
//! - Only rows whose path passes [`crate::segment_path::check`] are acted on.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

use vigil_store::{Segment, Store, StoreError};
use vigil_time::{
    NANOS_PER_DAY, NANOS_PER_HOUR, NANOS_PER_MIN, NANOS_PER_SEC, SharedClock, WallNanos,
};

/// The wall clock may drift from the monotonic clock by this much between passes before
/// retention calls it a jump (NTP slews and small steps stay under it).
pub const JUMP_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// "Now" may be this far past the archive's newest footage before deleting by age is
/// refused (see the module's documentation).
pub const FAR_PAST_LIMIT: Duration = Duration::from_secs(24 * 3600);

/// What may be kept.
#[derive(Clone, Debug, Default)]
pub struct RetentionPolicy {
    /// Per-camera maximum age of footage.
    pub max_age: HashMap<String, Duration>,
    /// All cameras together may use at most this many bytes.
    pub quota_bytes: Option<u64>,
    /// Keep at least this much free on the storage file system (never by deleting
    /// footage within the quota, when there is one).
    pub min_free_bytes: u64,
    /// The most one pass deletes.
    pub pass_limit: PassLimit,
}

/// The most one retention pass deletes; the rest waits for the next pass (a minute
/// later, or two seconds while a disk is full), so that one wrong setting or one wrong
/// clock reading cannot empty the archive at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PassLimit {
    pub segments: usize,
    pub bytes: u64,
}

impl Default for PassLimit {
    /// 2000 segments (over a day of one camera in 1-minute segments) or 100 GB.
    fn default() -> Self {
        Self {
            segments: 2000,
            bytes: 100_000_000_000,
        }
    }
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
    /// Deletion by age did not run (for some or all cameras) because the clock is
    /// implausible, and why; quota and free-space deletion ran regardless.
    pub age_paused: Option<AgePause>,
    /// Rows whose path is not `<camera id>/<digits>.mp4` inside the storage folder:
    /// nothing was deleted for them ("row <id> '<path>': why").
    pub refused: Vec<String>,
    /// The pass stopped at [`PassLimit`]: more is due and goes in the next pass.
    pub limited: bool,
    /// The disk is low on space but the archive is within its quota: something else
    /// fills the disk, and no footage was deleted for it.
    pub space_kept_for_quota: bool,
}

/// Why deletion by age was refused in a pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AgePause {
    /// The wall clock reads `now`, but by the monotonic clock it should read `expected`
    /// (the wall reading at retention's first pass plus the time since): someone or
    /// something set it. Paused for every camera.
    ClockJumped { now: WallNanos, expected: WallNanos },
    /// The wall clock reads `now`, far past the archive's `newest` footage: deleting
    /// by age would delete everything of `cameras`, which are kept.
    FarPastNewestFootage {
        now: WallNanos,
        newest: WallNanos,
        cameras: Vec<String>,
    },
}

impl fmt::Display for AgePause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ClockJumped { now, expected } => {
                let by = now.nanos_since(*expected);
                let way = if by >= 0 { "ahead" } else { "back" };
                write!(
                    f,
                    "the wall clock reads {now} but the monotonic clock says {expected}: it \
                     jumped {} {way} since retention started; deleting by age is paused \
                     until they agree again (quota and free space still apply)",
                    span_text(by)
                )
            }
            Self::FarPastNewestFootage {
                now,
                newest,
                cameras,
            } => write!(
                f,
                "the wall clock reads {now}, {} after the newest footage ({newest}): the \
                 clock is likely wrong, and deleting by age would take that much footage of \
                 {}; paused until newer footage is recorded (the quota still applies)",
                span_text(now.nanos_since(*newest)),
                cameras.join(", ")
            ),
        }
    }
}

/// A length of time for a person: "365 d", "3 h", "12 min", "40 s".
fn span_text(nanos: i64) -> String {
    let abs = nanos.unsigned_abs();
    let (unit, name) = [
        (NANOS_PER_DAY, "d"),
        (NANOS_PER_HOUR, "h"),
        (NANOS_PER_MIN, "min"),
    ]
    .into_iter()
    .find(|(unit, _)| abs >= unit.unsigned_abs())
    .unwrap_or((NANOS_PER_SEC, "s"));
    format!("{} {name}", abs / unit.unsigned_abs())
}

fn nanos_i64(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

/// Retention over one run of the app or recorder: reads the clock and remembers its
/// readings at the first pass, to tell when the wall clock jumped.
#[derive(Debug)]
pub struct Retention {
    clock: SharedClock,
    /// The wall and monotonic readings at the first pass.
    first: Option<(WallNanos, Instant)>,
    /// The last pass's pause, to log only changes.
    paused: Option<AgePause>,
}

impl Retention {
    pub fn new(clock: SharedClock) -> Self {
        Self {
            clock,
            first: None,
            paused: None,
        }
    }

    /// The clock it reads.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// One pass at the clock's "now"; deletion by age pauses while the wall clock
    /// disagrees with the monotonic one since the first pass, or reads far past the
    /// newest footage (see the module's documentation).
    pub fn pass(
        &mut self,
        store: &Store,
        policy: &RetentionPolicy,
    ) -> Result<RetentionReport, StoreError> {
        let (now, mono) = crate::clock::readings(&*self.clock);
        let (first_wall, first_mono) = *self.first.get_or_insert((now, mono));
        let expected =
            first_wall.saturating_add_nanos(nanos_i64(mono.saturating_duration_since(first_mono)));
        let jumped =
            u128::from(now.nanos_since(expected).unsigned_abs()) > JUMP_TOLERANCE.as_nanos();
        let pause = jumped.then_some(AgePause::ClockJumped { now, expected });
        let report = run(store, policy, now.0, pause)?;
        if report.age_paused != self.paused {
            match &report.age_paused {
                Some(why) => tracing::warn!(reason = %why, "retention: deleting by age paused"),
                None => {
                    tracing::info!("retention: deleting by age resumes, the clock agrees again")
                }
            }
            self.paused.clone_from(&report.age_paused);
        }
        Ok(report)
    }
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

/// One retention pass at wall time `now_ns`, on its own: deletion by age pauses when
/// `now_ns` is far past the newest footage (a jump between passes needs [`Retention`]).
///
/// Reads only what it may delete (per-camera age: that camera's oldest rows through the
/// `(camera, start_ns)` index; quota and free space: the oldest rows page by page), so a
/// pass over a large archive that has nothing to do costs a few queries.
pub fn apply(
    store: &Store,
    policy: &RetentionPolicy,
    now_ns: i64,
) -> Result<RetentionReport, StoreError> {
    let report = run(store, policy, now_ns, None)?;
    if let Some(why) = &report.age_paused {
        tracing::warn!(reason = %why, "retention: deleting by age paused");
    }
    Ok(report)
}

/// Cameras whose deletion by age pauses at `now_ns`: all with a maximum age, when "now"
/// is more than [`FAR_PAST_LIMIT`] past the archive's newest footage.
fn far_past(
    store: &Store,
    policy: &RetentionPolicy,
    now_ns: i64,
) -> Result<Option<AgePause>, StoreError> {
    if policy.max_age.is_empty() {
        return Ok(None);
    }
    let Some(newest_ns) = store.camera_extents()?.iter().map(|e| e.end_ns).max() else {
        return Ok(None);
    };
    if now_ns.saturating_sub(newest_ns) <= nanos_i64(FAR_PAST_LIMIT) {
        return Ok(None);
    }
    let mut cameras: Vec<String> = policy.max_age.keys().cloned().collect();
    cameras.sort();
    Ok(Some(AgePause::FarPastNewestFootage {
        now: WallNanos(now_ns),
        newest: WallNanos(newest_ns),
        cameras,
    }))
}

/// One pass; `jumped` tells that the wall clock jumped (no deletion by age at all).
fn run(
    store: &Store,
    policy: &RetentionPolicy,
    now_ns: i64,
    jumped: Option<AgePause>,
) -> Result<RetentionReport, StoreError> {
    let mut report = RetentionReport {
        age_paused: match jumped {
            Some(pause) => Some(pause),
            None => far_past(store, policy, now_ns)?,
        },
        ..RetentionReport::default()
    };
    let protected = Protected::load(store)?;
    let mut paths = crate::segment_path::Checker::new(store.dir());
    let mut cameras: Vec<(&String, &Duration)> = match &report.age_paused {
        Some(AgePause::ClockJumped { .. }) => Vec::new(),
        Some(AgePause::FarPastNewestFootage { cameras: kept, .. }) => policy
            .max_age
            .iter()
            .filter(|(camera, _)| !kept.contains(camera))
            .collect(),
        None => policy.max_age.iter().collect(),
    };
    cameras.sort();
    for (camera, age) in cameras {
        let cutoff = now_ns.saturating_sub(nanos_i64(*age));
        let mut doomed = Vec::new();
        for segment in store.complete_segments_ending_before(camera, cutoff)? {
            if !admit(&mut paths, &segment, &mut report) {
                continue;
            }
            if protected.covers(&segment) {
                report.protected += 1;
            } else {
                doomed.push(segment);
            }
        }
        delete_batch(store, &doomed, policy.pass_limit, &mut report)?;
        if report.limited {
            break;
        }
    }
    let mut total = store.total_bytes()?;
    let over_quota = |total: u64| policy.quota_bytes.is_some_and(|q| total > q);
    let low_space = || {
        policy.min_free_bytes > 0
            && free_bytes(store.dir()).unwrap_or(u64::MAX) < policy.min_free_bytes
    };
    let mut cursor = (i64::MIN, i64::MIN);
    let mut page = std::collections::VecDeque::new();
    while !report.limited {
        // With a quota, free space never deletes footage the quota keeps.
        let need_space = low_space();
        let for_space = need_space && policy.quota_bytes.is_none();
        if need_space && !for_space && !over_quota(total) {
            report.space_kept_for_quota = true;
        }
        if !over_quota(total) && !for_space {
            break;
        }
        let mut batch = Vec::new();
        while over_quota(total) || (for_space && batch.len() < SPACE_BATCH) {
            if page.is_empty() {
                page.extend(store.complete_segments_after(cursor, PAGE)?);
            }
            let Some(segment) = page.pop_front() else {
                break;
            };
            cursor = (segment.start_ns, segment.id);
            if protected.covers(&segment) || !admit(&mut paths, &segment, &mut report) {
                continue;
            }
            total = total.saturating_sub(segment.bytes);
            batch.push(segment);
        }
        if batch.is_empty() {
            report.target_missed = true;
            break;
        }
        delete_batch(store, &batch, policy.pass_limit, &mut report)?;
    }
    if !report.deleted.is_empty() {
        tracing::info!(
            segments = report.deleted.len(),
            bytes = report.freed_bytes,
            protected = report.protected,
            "retention deleted the oldest footage"
        );
    }
    if report.limited {
        tracing::warn!(
            max_segments = policy.pass_limit.segments,
            max_bytes = policy.pass_limit.bytes,
            "retention stopped at its limit for one pass; the rest goes in the next pass"
        );
    }
    if report.space_kept_for_quota {
        tracing::warn!(
            quota = policy.quota_bytes,
            "the storage disk is low on space but the archive is within its quota: something else fills the disk (or the quota is larger than the disk); no footage is deleted for it"
        );
    }
    if report.target_missed {
        tracing::warn!(
            "retention cannot free enough space: what is left is bookmarked or recording"
        );
    }
    Ok(report)
}

/// True when `segment`'s path may be acted on (see [`crate::segment_path`]); a refused
/// row is named in the report and the log, and nothing is deleted for it.
fn admit(
    paths: &mut crate::segment_path::Checker,
    segment: &Segment,
    report: &mut RetentionReport,
) -> bool {
    match paths.check(&segment.camera, &segment.file) {
        crate::segment_path::Checked::Refused(why) => {
            let text = format!("row {}: {why}", segment.id);
            if !report.refused.contains(&text) {
                tracing::error!(row = %text, "retention refuses an index row: its path is not a segment inside the storage folder; nothing deleted for it");
                report.refused.push(text);
            }
            false
        }
        _ => true,
    }
}

/// Rows first (one transaction), then files: a crash in between leaves files without
/// rows, which reconciliation indexes again (nothing points at a missing file). When
/// the disk is so full that SQLite cannot commit, each file goes first to make room.
fn delete_batch(
    store: &Store,
    segments: &[Segment],
    limit: PassLimit,
    report: &mut RetentionReport,
) -> Result<(), StoreError> {
    // What this pass may still delete.
    let mut count = report.deleted.len();
    let mut bytes = report.freed_bytes;
    let fits = segments
        .iter()
        .take_while(|s| {
            let ok = count < limit.segments && bytes.saturating_add(s.bytes) <= limit.bytes;
            if ok {
                count += 1;
                bytes = bytes.saturating_add(s.bytes);
            }
            ok
        })
        .count();
    if fits < segments.len() {
        report.limited = true;
    }
    let segments = &segments[..fits];
    if segments.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = segments.iter().map(|s| s.id).collect();
    let gone: Vec<&Segment> = match store.delete_segments(&ids) {
        Ok(deleted) => {
            let gone: Vec<&Segment> = segments
                .iter()
                .filter(|s| deleted.contains(&s.id))
                .collect();
            report.protected += segments.len() - gone.len();
            for segment in &gone {
                remove_file(&store.dir().join(&segment.file));
            }
            gone
        }
        Err(err) if err.is_disk_full() => {
            let mut gone = Vec::new();
            for segment in segments {
                if store.is_bookmarked(&segment.camera, segment.start_ns, segment.end_ns)? {
                    report.protected += 1;
                    continue;
                }
                remove_file(&store.dir().join(&segment.file));
                store.delete_segment(segment.id)?;
                gone.push(segment);
            }
            gone
        }
        Err(err) => return Err(err),
    };
    for segment in gone {
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
    use vigil_time::NANOS_PER_DAY;

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

    /// A clock that reads a year past the archive's newest footage (say, set wrong
    /// before the app started): deleting by age is refused for every camera with a
    /// maximum age, with both times; within a day of the newest footage, age retention
    /// runs as usual.
    #[test]
    fn now_far_past_the_newest_footage_keeps_what_age_would_wipe_out() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut store = Store::open(dir.path()).expect("open");
        for i in 0..6 {
            add(&mut store, "a", i * 60, 100);
        }
        add(&mut store, "b", 0, 100);
        let mut policy = RetentionPolicy::default();
        policy
            .max_age
            .insert("a".to_owned(), Duration::from_secs(200));
        policy
            .max_age
            .insert("b".to_owned(), Duration::from_secs(400 * 86_400));
        let newest = WallNanos(360 * SEC);
        let year_later = 365 * NANOS_PER_DAY;
        let report = apply(&store, &policy, year_later).expect("apply");
        assert!(report.deleted.is_empty(), "{report:?}");
        let why = report.age_paused.expect("a reason");
        assert_eq!(
            why,
            AgePause::FarPastNewestFootage {
                now: WallNanos(year_later),
                newest,
                cameras: vec!["a".to_owned(), "b".to_owned()],
            }
        );
        let text = why.to_string();
        for needle in [
            WallNanos(year_later).to_string(),
            newest.to_string(),
            "364 d after".to_owned(),
        ] {
            assert!(text.contains(&needle), "{needle} in: {text}");
        }
        // The quota still deletes, oldest first.
        policy.quota_bytes = Some(600);
        let report = apply(&store, &policy, year_later).expect("apply");
        assert_eq!(report.deleted, vec![format!("a/{}.mp4", 0)]);
        policy.quota_bytes = None;
        // Two hours after the newest footage: "a" keeps its last 200 s.
        let report = apply(&store, &policy, newest.0 + 2 * 3600 * SEC).expect("apply");
        assert_eq!(report.age_paused, None);
        assert_eq!(report.deleted.len(), 5, "{report:?}");
    }

    #[test]
    fn one_pass_deletes_at_most_its_limit_and_says_so() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut store = Store::open(dir.path()).expect("open");
        for i in 0..10 {
            add(&mut store, "a", i * 60, 100);
        }
        let mut policy = RetentionPolicy {
            quota_bytes: Some(0),
            ..RetentionPolicy::default()
        };
        policy.pass_limit.segments = 3;
        let report = apply(&store, &policy, 1000 * SEC).expect("apply");
        assert_eq!(report.deleted.len(), 3, "{report:?}");
        assert!(report.limited);
        policy.pass_limit = PassLimit {
            segments: 100,
            bytes: 250,
        };
        let report = apply(&store, &policy, 1000 * SEC).expect("apply");
        assert_eq!(
            (report.deleted.len(), report.freed_bytes),
            (2, 200),
            "{report:?}"
        );
        assert!(report.limited);
        assert_eq!(store.segments(None).expect("left").len(), 5);
        // By age too.
        policy.quota_bytes = None;
        policy.pass_limit.segments = 1;
        policy
            .max_age
            .insert("a".to_owned(), Duration::from_secs(60));
        let report = apply(&store, &policy, 660 * SEC).expect("apply");
        assert_eq!(report.deleted.len(), 1, "{report:?}");
        assert!(report.limited);
    }

    /// The clock reads 20 days past the newest footage, with a 30-day maximum age:
    /// deleting by age would take 20 days of footage for a clock that is likely wrong.
    #[test]
    fn a_clock_weeks_past_the_newest_footage_deletes_nothing_by_age() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut store = Store::open(dir.path()).expect("open");
        let day_s = NANOS_PER_DAY / SEC;
        for d in 0..40 {
            add(&mut store, "a", d * day_s, 100);
        }
        let newest_ns = (39 * day_s + 60) * SEC;
        let mut policy = RetentionPolicy::default();
        policy
            .max_age
            .insert("a".to_owned(), Duration::from_secs(30 * 86_400));
        let report = apply(&store, &policy, newest_ns + 20 * NANOS_PER_DAY).expect("apply");
        assert!(report.deleted.is_empty(), "{report:?}");
        assert!(
            matches!(
                report.age_paused,
                Some(AgePause::FarPastNewestFootage { .. })
            ),
            "{report:?}"
        );
        // Within a day of the newest footage, age retention runs.
        let report = apply(&store, &policy, newest_ns + 3600 * SEC).expect("apply");
        assert_eq!(report.age_paused, None);
        assert_eq!(report.deleted.len(), 10, "{report:?}");
    }

    /// Something else fills the disk: the free-space rule deletes no footage that the
    /// quota keeps, and says so; without a quota it deletes, within its pass limit.
    #[test]
    fn free_space_never_deletes_what_the_quota_keeps() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut store = Store::open(dir.path()).expect("open");
        for i in 0..6 {
            add(&mut store, "a", i * 60, 100);
        }
        let mut policy = RetentionPolicy {
            quota_bytes: Some(10_000),
            // More free space than any disk has: the disk is "full".
            min_free_bytes: u64::MAX,
            ..RetentionPolicy::default()
        };
        let report = apply(&store, &policy, 1000 * SEC).expect("apply");
        assert!(report.deleted.is_empty(), "{report:?}");
        assert!(report.space_kept_for_quota, "{report:?}");
        // Over the quota, only down to the quota.
        policy.quota_bytes = Some(450);
        let report = apply(&store, &policy, 1000 * SEC).expect("apply");
        assert_eq!(report.deleted.len(), 2, "{report:?}");
        // No quota: free space decides, one bounded pass at a time.
        policy.quota_bytes = None;
        policy.pass_limit.segments = 2;
        let report = apply(&store, &policy, 1000 * SEC).expect("apply");
        assert_eq!(report.deleted.len(), 2, "{report:?}");
        assert!(report.limited);
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
