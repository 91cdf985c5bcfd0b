//! The recording index: an SQLite database (`index.sqlite3`) in the storage folder that
//! lists segments (with their keyframe index), gaps, events, bookmarks and the operator
//! audit trail (`audit`), and answers the timeline's range queries.
//!
//! Owns: the schema and its migrations, and every SQL statement. Must not: read or
//! write media files (scanning, repairing and deleting them is `vigil-record`'s), or
//! decide when to record.
//!
//! Times are wall-clock UTC nanoseconds (`i64`, the same number as
//! `vigil_time::WallNanos`). Invariants (docs/recording.md): a segment's row is inserted
//! only after its file and header are durable; a row's `bytes`/`end_ns` only ever
//! describe fsynced data; a row never points at a missing file once reconciled.

pub mod audit;
mod ranges;
mod schema;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension as _, params};

pub use audit::{AuditCheck, AuditEntry, AuditReader, BrokenEntry, NewAuditEntry};
pub use ranges::CameraExtent;
pub use schema::SCHEMA_VERSION;

/// Keyframe rows per INSERT statement in bulk inserts.
const KEY_ROWS: usize = 30;

/// Name of the index file inside the storage folder.
pub const INDEX_FILE: &str = "index.sqlite3";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("recording index: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("recording index {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the recording index has schema version {found}, newer than this Vigil knows ({known}); use a newer Vigil"
    )]
    NewerSchema { found: i64, known: i64 },
    #[error("recording index: unexpected value '{0}' in the database")]
    BadValue(String),
}

impl StoreError {
    /// True when SQLite says the file is not a database or is damaged.
    pub fn is_damaged(&self) -> bool {
        matches!(self, StoreError::Sql(rusqlite::Error::SqliteFailure(e, _))
            if matches!(e.code, rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt))
    }

    /// True when the failure is the disk (or the database) being full.
    pub fn is_disk_full(&self) -> bool {
        match self {
            StoreError::Sql(rusqlite::Error::SqliteFailure(e, _)) => {
                e.code == rusqlite::ErrorCode::DiskFull
            }
            StoreError::Io { source, .. } => source.raw_os_error() == Some(libc::ENOSPC),
            _ => false,
        }
    }
}

/// What a damaged index was renamed to, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetAside {
    pub path: PathBuf,
    pub why: String,
}

/// `index.sqlite3.corrupt-<UTC seconds>`: a damaged index set aside.
const CORRUPT_SUFFIX: &str = ".corrupt-";

/// Renames the index in `dir` (and its `-wal`, `-shm`) aside; returns the new name.
fn set_aside(dir: &Path) -> Result<PathBuf, StoreError> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut n = 0;
    let aside = loop {
        let name = match n {
            0 => format!("{INDEX_FILE}{CORRUPT_SUFFIX}{secs}"),
            n => format!("{INDEX_FILE}{CORRUPT_SUFFIX}{secs}-{n}"),
        };
        if !dir.join(&name).exists() {
            break name;
        }
        n += 1;
    };
    for suffix in ["", "-wal", "-shm"] {
        let from = dir.join(format!("{INDEX_FILE}{suffix}"));
        if !from.exists() {
            continue;
        }
        std::fs::rename(&from, dir.join(format!("{aside}{suffix}"))).map_err(|source| {
            StoreError::Io {
                path: from.clone(),
                source,
            }
        })?;
    }
    Ok(dir.join(aside))
}

/// Why there is no footage for a while.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GapReason {
    CameraOffline,
    DiskFull,
    NotRunning,
    IoError,
    /// The recorder's packet queue overflowed: what the camera sent meanwhile is lost.
    RecorderBehind,
}

impl GapReason {
    pub fn as_str(self) -> &'static str {
        match self {
            GapReason::CameraOffline => "camera_offline",
            GapReason::DiskFull => "disk_full",
            GapReason::NotRunning => "not_running",
            GapReason::IoError => "io_error",
            GapReason::RecorderBehind => "recorder_behind",
        }
    }

    /// The reason for a person.
    pub fn describe(self) -> &'static str {
        match self {
            GapReason::CameraOffline => "camera offline",
            GapReason::DiskFull => "disk full",
            GapReason::NotRunning => "not running",
            GapReason::IoError => "write error",
            GapReason::RecorderBehind => "recorder fell behind",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "camera_offline" => GapReason::CameraOffline,
            "disk_full" => GapReason::DiskFull,
            "not_running" => GapReason::NotRunning,
            "io_error" => GapReason::IoError,
            "recorder_behind" => GapReason::RecorderBehind,
            other => return Err(StoreError::BadValue(other.to_owned())),
        })
    }
}

/// Why a segment was recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegmentTrigger {
    Continuous,
    Event,
    /// Found on disk without a row and indexed by reconciliation.
    Recovered,
}

impl SegmentTrigger {
    fn as_str(self) -> &'static str {
        match self {
            SegmentTrigger::Continuous => "continuous",
            SegmentTrigger::Event => "event",
            SegmentTrigger::Recovered => "recovered",
        }
    }
}

/// A segment about to be written (its file and header already durable).
#[derive(Clone, Debug)]
pub struct NewSegment {
    pub camera: String,
    /// Relative to the storage folder.
    pub file: String,
    pub start_ns: i64,
    pub source_dts: i64,
    pub time_base: (i32, i32),
    pub bytes: u64,
    pub codec: String,
    pub width: u32,
    pub height: u32,
    pub trigger: SegmentTrigger,
}

/// A finished segment to index in bulk: its row, end and keyframes.
#[derive(Clone, Debug)]
pub struct CompleteSegment {
    pub segment: NewSegment,
    pub end_ns: i64,
    /// (wall time, byte offset of the fragment) of each keyframe row.
    pub keyframes: Vec<(i64, u64)>,
}

/// One row of `segment`.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    pub id: i64,
    pub camera: String,
    pub file: String,
    pub start_ns: i64,
    pub end_ns: i64,
    pub bytes: u64,
    /// Still being written (or the writer died: reconciliation closes it).
    pub recording: bool,
    pub codec: String,
}

/// One row of `gap`.
#[derive(Clone, Debug, PartialEq)]
pub struct Gap {
    pub id: i64,
    pub camera: String,
    pub start_ns: i64,
    /// None while the gap is still open.
    pub end_ns: Option<i64>,
    pub reason: GapReason,
}

/// A protected time range: retention never deletes footage that overlaps it.
#[derive(Clone, Debug, PartialEq)]
pub struct Bookmark {
    pub id: i64,
    pub camera: String,
    pub start_ns: i64,
    pub end_ns: i64,
    pub note: String,
}

/// One row of `event`: something that happened on a camera (a trigger, later alarms).
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub id: i64,
    pub camera: String,
    pub time_ns: i64,
    /// None for an instant (or an event still going on).
    pub end_ns: Option<i64>,
    /// `trigger` for `EventTrigger::trigger`; more kinds as alerts arrive.
    pub kind: String,
    pub note: String,
    pub severity: Severity,
}

/// How much an event matters (`event.severity`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    #[default]
    Info,
    Warning,
    Critical,
}

impl Severity {
    /// The name in the index.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }

    /// From the index's name; anything unknown reads as `info`.
    pub fn parse(name: &str) -> Self {
        match name {
            "warning" => Self::Warning,
            "critical" => Self::Critical,
            _ => Self::Info,
        }
    }
}

/// A connection to the index. Each recorder thread opens its own (WAL lets them share).
pub struct Store {
    conn: Connection,
    dir: PathBuf,
}

pub(crate) const SEGMENT_COLUMNS: &str = "id, camera, file, start_ns, end_ns, bytes, state, codec";

pub(crate) fn segment_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Segment> {
    let state: String = r.get(6)?;
    Ok(Segment {
        id: r.get(0)?,
        camera: r.get(1)?,
        file: r.get(2)?,
        start_ns: r.get(3)?,
        end_ns: r.get(4)?,
        bytes: r.get::<_, i64>(5)?.max(0).unsigned_abs(),
        recording: state == "recording",
        codec: r.get(7)?,
    })
}

/// A `bookmark` row selected as `id, camera, start_ns, end_ns, note`.
fn bookmark_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Bookmark> {
    Ok(Bookmark {
        id: r.get(0)?,
        camera: r.get(1)?,
        start_ns: r.get(2)?,
        end_ns: r.get(3)?,
        note: r.get(4)?,
    })
}

/// Reads `gap` rows selected as `id, camera, start_ns, end_ns, reason`.
fn read_gaps(
    stmt: &mut rusqlite::Statement<'_>,
    params: impl rusqlite::Params,
) -> Result<Vec<Gap>, StoreError> {
    let rows = stmt.query_map(params, |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, Option<i64>>(3)?,
            r.get::<_, String>(4)?,
        ))
    })?;
    rows.map(|row| {
        let (id, camera, start_ns, end_ns, reason) = row?;
        Ok(Gap {
            id,
            camera,
            start_ns,
            end_ns,
            reason: GapReason::parse(&reason)?,
        })
    })
    .collect()
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// How long a connection waits for another one's lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs `op` again while SQLite answers "database is locked" without having waited
/// (lock changes the busy handler does not cover), for up to [`BUSY_TIMEOUT`].
fn when_not_busy<T, E>(mut op: impl FnMut() -> Result<T, E>) -> Result<T, StoreError>
where
    StoreError: From<E>,
{
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        let err = match op() {
            Ok(value) => return Ok(value),
            Err(err) => StoreError::from(err),
        };
        let busy = matches!(
            &err,
            StoreError::Sql(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
        );
        if !busy || std::time::Instant::now() >= deadline {
            return Err(err);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Store {
    /// Opens (creating if needed) the index in `dir` and migrates it.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut conn = Connection::open(dir.join(INDEX_FILE))?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Switching a new index to WAL takes an exclusive lock and answers "database is
        // locked" at once, without waiting, while another connection (the recorder,
        // the app) opens it too: retried like a busy wait.
        when_not_busy(|| conn.pragma_update(None, "journal_mode", "WAL"))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        when_not_busy(|| schema::migrate(&mut conn))?;
        Ok(Self {
            conn,
            dir: dir.to_path_buf(),
        })
    }

    /// [`Self::open`] for the folder's writer, after `PRAGMA quick_check`: an index that
    /// is not a database, or fails the check, is renamed aside (with its `-wal` and
    /// `-shm`) to `index.sqlite3.corrupt-<UTC seconds>`, never deleted, and a new empty
    /// index is opened in its place; the caller rebuilds it from the segment files
    /// (reconciliation) and tells the person what [`SetAside`] says.
    pub fn open_checked(dir: &Path) -> Result<(Self, Option<SetAside>), StoreError> {
        let why = match Self::open(dir) {
            Ok(store) => match store.quick_check() {
                Ok(()) => return Ok((store, None)),
                Err(why) => why,
            },
            Err(err) if err.is_damaged() => err.to_string(),
            Err(err) => return Err(err),
        };
        let aside = set_aside(dir)?;
        tracing::error!(index = %aside.display(), reason = %why, "the recording index is damaged: set aside, rebuilding it from the segment files");
        let store = Self::open(dir)?;
        Ok((store, Some(SetAside { path: aside, why })))
    }

    /// `PRAGMA quick_check`: `Err` with SQLite's findings when the file is damaged.
    pub fn quick_check(&self) -> Result<(), String> {
        let rows: Result<Vec<String>, rusqlite::Error> = self
            .conn
            .prepare("PRAGMA quick_check")
            .and_then(|mut stmt| stmt.query_map([], |r| r.get(0))?.collect());
        match rows {
            Ok(rows) if rows.len() == 1 && rows[0] == "ok" => Ok(()),
            Ok(rows) => Err(format!(
                "quick_check: {}",
                rows.into_iter().take(3).collect::<Vec<_>>().join("; ")
            )),
            Err(err) => Err(format!("quick_check: {err}")),
        }
    }

    /// Health of the index in `dir` for `vigil doctor`, read only (nothing created or
    /// changed): `Ok(false)` when there is no index, `Ok(true)` when it passes
    /// `quick_check`, `Err` with what is wrong.
    pub fn check_file(dir: &Path) -> Result<bool, String> {
        let path = dir.join(INDEX_FILE);
        if !path.exists() {
            return Ok(false);
        }
        let conn = Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| e.to_string())?;
        let rows: Vec<String> = conn
            .prepare("PRAGMA quick_check")
            .and_then(|mut stmt| stmt.query_map([], |r| r.get(0))?.collect())
            .map_err(|e| e.to_string())?;
        if rows.len() == 1 && rows[0] == "ok" {
            Ok(true)
        } else {
            Err(rows.into_iter().take(3).collect::<Vec<_>>().join("; "))
        }
    }

    /// Damaged indexes set aside in `dir` by [`Self::open_checked`], oldest first.
    pub fn set_aside_files(dir: &Path) -> Vec<PathBuf> {
        let prefix = format!("{INDEX_FILE}{CORRUPT_SUFFIX}");
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| {
                        p.file_name().is_some_and(|n| {
                            let n = n.to_string_lossy();
                            n.starts_with(&prefix) && !n.ends_with("-wal") && !n.ends_with("-shm")
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        found.sort();
        found
    }

    /// The storage folder this index describes.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The schema version found in the file.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// The storage folder's identity as this index knows it (`None`: never set, an
    /// index from before identities, or a new one).
    pub fn storage_id(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'storage_id'", [], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Records the storage folder's identity.
    pub fn set_storage_id(&self, id: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('storage_id', ?1)",
            [id],
        )?;
        Ok(())
    }

    /// Number of segment rows.
    pub fn segment_count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM segment", [], |r| r.get(0))?;
        Ok(n.max(0).unsigned_abs())
    }

    /// Adds a segment in state `recording`, its end at its start.
    pub fn insert_segment(&self, s: &NewSegment) -> Result<i64, StoreError> {
        self.conn.execute(
            "INSERT INTO segment (camera, file, start_ns, end_ns, source_dts, tb_num, tb_den,
                                  bytes, state, codec, width, height, trigger)
             VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7, 'recording', ?8, ?9, ?10, ?11)",
            params![
                s.camera,
                s.file,
                s.start_ns,
                s.source_dts,
                s.time_base.0,
                s.time_base.1,
                to_i64(s.bytes),
                s.codec,
                s.width,
                s.height,
                s.trigger.as_str()
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Records that the segment is durable up to `bytes` / `end_ns`, with the keyframes
    /// of the new fragments; `complete` closes it. One transaction.
    pub fn segment_progress(
        &mut self,
        id: i64,
        end_ns: i64,
        bytes: u64,
        keyframes: &[(i64, u64)],
        complete: bool,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE segment SET end_ns = max(start_ns, ?2), bytes = ?3,
                    state = CASE WHEN ?4 THEN 'complete' ELSE state END
             WHERE id = ?1",
            params![id, end_ns, to_i64(bytes), complete],
        )?;
        for (time_ns, offset) in keyframes {
            tx.execute(
                "INSERT OR REPLACE INTO keyframe (segment_id, time_ns, byte_offset) VALUES (?1, ?2, ?3)",
                params![id, time_ns, to_i64(*offset)],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Adds finished segments (files already durable) with their keyframes, in one
    /// transaction. For bulk indexing (`vigil archive seed`).
    pub fn insert_complete_segments(
        &mut self,
        segments: &[CompleteSegment],
    ) -> Result<(), StoreError> {
        // The keyframes' parent rows are inserted right before them: checking the
        // foreign key for each of millions of keyframe rows only costs time.
        self.conn.pragma_update(None, "foreign_keys", "OFF")?;
        let result = self.insert_complete_segments_tx(segments);
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        result
    }

    fn insert_complete_segments_tx(
        &mut self,
        segments: &[CompleteSegment],
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut seg = tx.prepare_cached(
                "INSERT INTO segment (camera, file, start_ns, end_ns, source_dts, tb_num, tb_den,
                                      bytes, state, codec, width, height, trigger)
                 VALUES (?1, ?2, ?3, max(?3, ?4), ?5, ?6, ?7, ?8, 'complete', ?9, ?10, ?11, ?12)",
            )?;
            let mut key = tx.prepare_cached(
                "INSERT OR REPLACE INTO keyframe (segment_id, time_ns, byte_offset) VALUES (?1, ?2, ?3)",
            )?;
            // Keyframes go in KEY_ROWS at a time: one statement step for many rows.
            let many = format!(
                "INSERT OR REPLACE INTO keyframe (segment_id, time_ns, byte_offset) VALUES {}",
                vec!["(?, ?, ?)"; KEY_ROWS].join(", ")
            );
            let mut keys = tx.prepare_cached(&many)?;
            for CompleteSegment {
                segment: s,
                end_ns,
                keyframes,
            } in segments
            {
                seg.execute(params![
                    s.camera,
                    s.file,
                    s.start_ns,
                    end_ns,
                    s.source_dts,
                    s.time_base.0,
                    s.time_base.1,
                    to_i64(s.bytes),
                    s.codec,
                    s.width,
                    s.height,
                    s.trigger.as_str()
                ])?;
                let id = tx.last_insert_rowid();
                let mut chunks = keyframes.chunks_exact(KEY_ROWS);
                for chunk in &mut chunks {
                    let values: Vec<i64> = chunk
                        .iter()
                        .flat_map(|(time_ns, offset)| [id, *time_ns, to_i64(*offset)])
                        .collect();
                    keys.execute(rusqlite::params_from_iter(values))?;
                }
                for (time_ns, offset) in chunks.remainder() {
                    key.execute(params![id, time_ns, to_i64(*offset)])?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The first segment start of a camera, if it has footage.
    pub fn first_start(&self, camera: &str) -> Result<Option<i64>, StoreError> {
        Ok(self.conn.query_row(
            "SELECT min(start_ns) FROM segment WHERE camera = ?1",
            [camera],
            |r| r.get(0),
        )?)
    }

    /// Every segment (of one camera, or all), oldest first.
    pub fn segments(&self, camera: Option<&str>) -> Result<Vec<Segment>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {SEGMENT_COLUMNS} FROM segment WHERE ?1 IS NULL OR camera = ?1
             ORDER BY start_ns, id"
        ))?;
        let rows = stmt.query_map([camera], segment_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn segment(&self, id: i64) -> Result<Option<Segment>, StoreError> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {SEGMENT_COLUMNS} FROM segment WHERE id = ?1"),
                [id],
                segment_from_row,
            )
            .optional()?)
    }

    /// The segment row of a file (relative path), if any.
    pub fn segment_by_file(&self, file: &str) -> Result<Option<Segment>, StoreError> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {SEGMENT_COLUMNS} FROM segment WHERE file = ?1"),
                [file],
                segment_from_row,
            )
            .optional()?)
    }

    /// Removes a segment's row (and its keyframes). The caller deals with the file.
    pub fn delete_segment(&self, id: i64) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM segment WHERE id = ?1", [id])?;
        Ok(())
    }

    /// Removes several segments' rows (and keyframes) in one transaction, except those
    /// a bookmark overlaps: the bookmarks are read inside the same statement, so one
    /// added by another connection since the caller chose the segments is honoured.
    /// Returns the ids actually removed (their files may go).
    pub fn delete_segments(&self, ids: &[i64]) -> Result<Vec<i64>, StoreError> {
        let tx = self.conn.unchecked_transaction()?;
        let mut deleted = Vec::with_capacity(ids.len());
        {
            let mut stmt = tx.prepare_cached(
                "DELETE FROM segment WHERE id = ?1 AND NOT EXISTS (
                     SELECT 1 FROM bookmark b WHERE b.camera = segment.camera
                        AND b.start_ns <= segment.end_ns AND b.end_ns >= segment.start_ns)",
            )?;
            for id in ids {
                if stmt.execute([id])? == 1 {
                    deleted.push(*id);
                }
            }
        }
        tx.commit()?;
        Ok(deleted)
    }

    /// A camera's complete segments that end before `end_before_ns`, oldest first
    /// (through the `(camera, start_ns)` index: a segment starts before it ends).
    pub fn complete_segments_ending_before(
        &self,
        camera: &str,
        end_before_ns: i64,
    ) -> Result<Vec<Segment>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {SEGMENT_COLUMNS} FROM segment
             WHERE camera = ?1 AND start_ns < ?2 AND end_ns < ?2 AND state = 'complete'
             ORDER BY start_ns, id"
        ))?;
        let rows = stmt.query_map(params![camera, end_before_ns], segment_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Up to `limit` complete segments of all cameras after `(start_ns, id)` in
    /// (start, id) order: the archive oldest first, one page at a time.
    pub fn complete_segments_after(
        &self,
        after: (i64, i64),
        limit: usize,
    ) -> Result<Vec<Segment>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {SEGMENT_COLUMNS} FROM segment
             WHERE (start_ns > ?1 OR (start_ns = ?1 AND id > ?2)) AND state = 'complete'
             ORDER BY start_ns, id LIMIT ?3"
        ))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![after.0, after.1, limit], segment_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// `camera`'s first segment that starts after `time_ns` (through the
    /// `(camera, start_ns)` index): where footage resumes after a gap.
    pub fn segment_after(&self, camera: &str, time_ns: i64) -> Result<Option<Segment>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {SEGMENT_COLUMNS} FROM segment
                 WHERE camera = ?1 AND start_ns > ?2 AND end_ns > start_ns
                 ORDER BY start_ns, id LIMIT 1"
            ))?
            .query_row(params![camera, time_ns], segment_from_row)
            .optional()?)
    }

    /// `camera`'s last segment that starts before `time_ns` and ends at or before it:
    /// where footage was before a gap (segments of one camera do not overlap).
    pub fn segment_before(
        &self,
        camera: &str,
        time_ns: i64,
    ) -> Result<Option<Segment>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {SEGMENT_COLUMNS} FROM segment
                 WHERE camera = ?1 AND start_ns < ?2 AND end_ns <= ?2 AND end_ns > start_ns
                 ORDER BY start_ns DESC, id DESC LIMIT 1"
            ))?
            .query_row(params![camera, time_ns], segment_from_row)
            .optional()?)
    }

    /// Keyframes of a segment: (wall time, byte offset of the fragment), in time order.
    pub fn keyframes(&self, segment_id: i64) -> Result<Vec<(i64, u64)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT time_ns, byte_offset FROM keyframe WHERE segment_id = ?1 ORDER BY time_ns",
        )?;
        let rows = stmt.query_map([segment_id], |r| {
            Ok((r.get(0)?, r.get::<_, i64>(1)?.max(0).unsigned_abs()))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The end of the camera's newest footage.
    pub fn last_end(&self, camera: &str) -> Result<Option<i64>, StoreError> {
        Ok(self.conn.query_row(
            "SELECT max(end_ns) FROM segment WHERE camera = ?1",
            [camera],
            |r| r.get(0),
        )?)
    }

    /// Bytes of all segments.
    pub fn total_bytes(&self) -> Result<u64, StoreError> {
        let n: i64 =
            self.conn
                .query_row("SELECT coalesce(sum(bytes), 0) FROM segment", [], |r| {
                    r.get(0)
                })?;
        Ok(n.max(0).unsigned_abs())
    }

    pub fn insert_gap(
        &self,
        camera: &str,
        start_ns: i64,
        end_ns: Option<i64>,
        reason: GapReason,
    ) -> Result<i64, StoreError> {
        self.conn.execute(
            "INSERT INTO gap (camera, start_ns, end_ns, reason) VALUES (?1, ?2, ?3, ?4)",
            params![camera, start_ns, end_ns, reason.as_str()],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Ends an open gap.
    pub fn close_gap(&self, id: i64, end_ns: i64) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE gap SET end_ns = max(start_ns, ?2) WHERE id = ?1",
            params![id, end_ns],
        )?;
        Ok(())
    }

    /// Gaps (of one camera, or all), oldest first.
    pub fn gaps(&self, camera: Option<&str>) -> Result<Vec<Gap>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, camera, start_ns, end_ns, reason FROM gap
             WHERE ?1 IS NULL OR camera = ?1 ORDER BY start_ns, id",
        )?;
        read_gaps(&mut stmt, [camera])
    }

    /// Protects `camera`'s footage between `start_ns` and `end_ns` from retention.
    pub fn add_bookmark(
        &self,
        camera: &str,
        start_ns: i64,
        end_ns: i64,
        note: &str,
    ) -> Result<i64, StoreError> {
        let now = vigil_time::WallNanos::now().0;
        self.conn.execute(
            "INSERT INTO bookmark (camera, start_ns, end_ns, note, created_ns)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![camera, start_ns, end_ns.max(start_ns), note, now],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn remove_bookmark(&self, id: i64) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM bookmark WHERE id = ?1", [id])?;
        Ok(())
    }

    pub fn bookmarks(&self, camera: Option<&str>) -> Result<Vec<Bookmark>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, camera, start_ns, end_ns, note FROM bookmark
             WHERE ?1 IS NULL OR camera = ?1 ORDER BY start_ns, id",
        )?;
        let rows = stmt.query_map([camera], bookmark_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// True when a bookmark of `camera` overlaps [start_ns, end_ns].
    pub fn is_bookmarked(
        &self,
        camera: &str,
        start_ns: i64,
        end_ns: i64,
    ) -> Result<bool, StoreError> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM bookmark
                            WHERE camera = ?1 AND start_ns <= ?3 AND end_ns >= ?2)",
            params![camera, start_ns, end_ns],
            |r| r.get(0),
        )?)
    }
}

/// Index rows for the store's unit tests (here, `ranges`, `retention`).
#[cfg(test)]
pub(crate) mod test_support {
    use super::{NewSegment, SegmentTrigger, Store};

    /// A continuous H.264 segment of `camera` starting at `start_ns`, in
    /// `<camera>/<start_ns>.mp4`.
    pub fn new_segment(camera: &str, start_ns: i64, bytes: u64) -> NewSegment {
        NewSegment {
            camera: camera.to_owned(),
            file: format!("{camera}/{start_ns}.mp4"),
            start_ns,
            source_dts: 0,
            time_base: (1, 90_000),
            bytes,
            codec: "h264".to_owned(),
            width: 640,
            height: 360,
            trigger: SegmentTrigger::Continuous,
        }
    }

    /// Inserts that segment and closes it at `end_ns`; returns its id.
    pub fn add_closed(
        store: &mut Store,
        camera: &str,
        start_ns: i64,
        end_ns: i64,
        bytes: u64,
    ) -> i64 {
        let id = store
            .insert_segment(&new_segment(camera, start_ns, bytes))
            .expect("insert");
        store
            .segment_progress(id, end_ns, bytes, &[], true)
            .expect("close");
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_connections_opening_a_new_index_at_once_all_succeed() {
        // The recorder, the app and a test open a new index at the same moment: the
        // switch to WAL must not fail one of them with "database is locked".
        for round in 0..30 {
            let dir = tempfile::tempdir().expect("tempdir");
            let start = std::sync::Arc::new(std::sync::Barrier::new(6));
            let openers: Vec<_> = (0..6)
                .map(|i| {
                    let dir = dir.path().to_path_buf();
                    let start = std::sync::Arc::clone(&start);
                    std::thread::Builder::new()
                        .name(format!("opener-{i}"))
                        .spawn(move || {
                            start.wait();
                            Store::open(&dir).map(|_| ())
                        })
                        .expect("spawn")
                })
                .collect();
            for opener in openers {
                let opened = opener.join().expect("no panic");
                assert!(opened.is_ok(), "round {round}: {opened:?}");
            }
        }
    }

    fn segment(camera: &str, start_ns: i64) -> NewSegment {
        test_support::new_segment(camera, start_ns, 100)
    }

    #[test]
    fn migrates_once_and_reopens() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("open");
        assert_eq!(store.schema_version().expect("version"), SCHEMA_VERSION);
        let id = store
            .insert_segment(&segment("cam", 1_000))
            .expect("insert");
        drop(store);
        let store = Store::open(dir.path()).expect("reopen");
        assert_eq!(
            store.segment(id).expect("query").expect("row").start_ns,
            1_000
        );
    }

    #[test]
    fn refuses_a_newer_schema() {
        let dir = tempfile::tempdir().expect("tempdir");
        drop(Store::open(dir.path()).expect("open"));
        let conn = Connection::open(dir.path().join(INDEX_FILE)).expect("conn");
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .expect("bump");
        drop(conn);
        let err = Store::open(dir.path()).err().expect("must refuse");
        assert!(matches!(err, StoreError::NewerSchema { .. }), "{err}");
    }

    #[test]
    fn progress_moves_end_and_adds_keyframes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(dir.path()).expect("open");
        let id = store
            .insert_segment(&segment("cam", 1_000))
            .expect("insert");
        store
            .segment_progress(id, 2_000, 500, &[(1_000, 100)], false)
            .expect("progress");
        store
            .segment_progress(id, 3_000, 900, &[(2_000, 500)], true)
            .expect("complete");
        let row = store.segment(id).expect("q").expect("row");
        assert_eq!((row.end_ns, row.bytes, row.recording), (3_000, 900, false));
        assert_eq!(
            store.keyframes(id).expect("kf"),
            vec![(1_000, 100), (2_000, 500)]
        );
        assert_eq!(store.last_end("cam").expect("end"), Some(3_000));
        store.delete_segment(id).expect("delete");
        assert!(store.keyframes(id).expect("kf").is_empty(), "cascade");
    }

    #[test]
    fn segment_after_and_before_skip_gaps_and_other_cameras() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(dir.path()).expect("open");
        for (camera, start, end) in [
            ("cam", 100, 200),
            ("cam", 200, 300),
            ("other", 350, 400),
            ("cam", 500, 600),
        ] {
            let id = store
                .insert_segment(&segment(camera, start))
                .expect("insert");
            store
                .segment_progress(id, end, 100, &[], true)
                .expect("end");
        }
        let after = |t| {
            store
                .segment_after("cam", t)
                .expect("q")
                .map(|s| s.start_ns)
        };
        assert_eq!(after(0), Some(100));
        assert_eq!(after(150), Some(200));
        assert_eq!(
            after(300),
            Some(500),
            "across the gap, not the other camera"
        );
        assert_eq!(after(500), None);
        let before = |t| {
            store
                .segment_before("cam", t)
                .expect("q")
                .map(|s| s.start_ns)
        };
        assert_eq!(before(450), Some(200));
        assert_eq!(
            before(250),
            Some(100),
            "the segment holding 250 is not before it"
        );
        assert_eq!(before(100), None);
    }

    #[test]
    fn a_damaged_index_is_set_aside_never_deleted() {
        // Not a database at all.
        let dir = tempfile::tempdir().expect("tempdir");
        let garbage = vec![0x5Au8; 4096];
        std::fs::write(dir.path().join(INDEX_FILE), &garbage).expect("garbage");
        assert!(Store::check_file(dir.path()).is_err());
        let (store, aside) = Store::open_checked(dir.path()).expect("open");
        let aside = aside.expect("set aside");
        assert_eq!(std::fs::read(&aside.path).expect("kept"), garbage);
        assert_eq!(Store::set_aside_files(dir.path()), vec![aside.path.clone()]);
        assert_eq!(store.segment_count().expect("empty"), 0);
        drop(store);
        assert_eq!(Store::check_file(dir.path()), Ok(true));

        // A database whose pages were overwritten.
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let mut store = Store::open(dir.path()).expect("open");
            for i in 0..400 {
                test_support::add_closed(&mut store, "cam", i * 100, i * 100 + 50, 10);
            }
            store
                .conn
                .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
                .expect("checkpoint");
        }
        let path = dir.path().join(INDEX_FILE);
        let mut bytes = std::fs::read(&path).expect("read");
        assert!(bytes.len() > 4 * 4096, "{}", bytes.len());
        for b in &mut bytes[2 * 4096..4 * 4096] {
            *b = 0xEE;
        }
        std::fs::write(&path, &bytes).expect("garble pages");
        let (_, aside) = Store::open_checked(dir.path()).expect("open");
        let aside = aside.expect("quick_check finds the damage");
        assert_eq!(std::fs::read(&aside.path).expect("kept"), bytes);
        // A sound index is left as it is.
        let (_, again) = Store::open_checked(dir.path()).expect("open");
        assert_eq!(again, None);
    }

    /// Retention picks segments, then a bookmark is added on another connection
    /// before it deletes them: the bookmarked one stays (checked inside the delete).
    #[test]
    fn a_bookmark_added_while_a_pass_runs_is_honoured() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut retention = Store::open(dir.path()).expect("open");
        let a = test_support::add_closed(&mut retention, "cam", 0, 100, 10);
        let b = test_support::add_closed(&mut retention, "cam", 100, 200, 10);
        let picked: Vec<i64> = retention
            .segments(None)
            .expect("segments")
            .iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(picked, vec![a, b]);
        let reviewer = Store::open(dir.path()).expect("second connection");
        reviewer.add_bookmark("cam", 150, 160, "keep").expect("bm");
        let deleted = retention.delete_segments(&picked).expect("delete");
        assert_eq!(deleted, vec![a]);
        assert!(
            retention.segment(b).expect("q").is_some(),
            "bookmarked kept"
        );
    }

    #[test]
    fn gaps_and_bookmarks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("open");
        let gap = store
            .insert_gap("cam", 10, None, GapReason::DiskFull)
            .expect("gap");
        store.close_gap(gap, 20).expect("close");
        let gaps = store.gaps(Some("cam")).expect("gaps");
        assert_eq!(gaps[0].end_ns, Some(20));
        assert_eq!(gaps[0].reason, GapReason::DiskFull);
        store.add_bookmark("cam", 100, 200, "door").expect("bm");
        assert!(store.is_bookmarked("cam", 150, 300).expect("q"));
        assert!(store.is_bookmarked("cam", 0, 100).expect("q"));
        assert!(!store.is_bookmarked("cam", 201, 300).expect("q"));
        assert!(!store.is_bookmarked("other", 150, 160).expect("q"));
    }
}
