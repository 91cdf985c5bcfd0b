//! The index's schema and its migrations: one SQL script per version, applied in order
//! inside a transaction, the version kept in SQLite's `user_version`.
//!
//! Owns: table definitions. Must not: change a released migration (add a new one).

use rusqlite::Connection;

use super::StoreError;

/// Each entry takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 0 → 1: segments with their keyframe index, gaps, bookmarks.
    r"
    CREATE TABLE segment (
        -- AUTOINCREMENT: an id is never reused after retention deletes a row
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        camera        TEXT    NOT NULL,
        -- path relative to the storage folder: <camera>/<start_ns>.mp4
        file          TEXT    NOT NULL UNIQUE,
        -- wall clock, UTC nanoseconds: first frame, and end of the last durable frame
        start_ns      INTEGER NOT NULL,
        end_ns        INTEGER NOT NULL,
        -- media time: the source's first dts and time base (the file starts at dts 0)
        source_dts    INTEGER NOT NULL,
        tb_num        INTEGER NOT NULL,
        tb_den        INTEGER NOT NULL,
        -- bytes of the file that are durable and described by this row
        bytes         INTEGER NOT NULL,
        -- 'recording' while being written (end/bytes = last fsynced fragment), then 'complete'
        state         TEXT    NOT NULL CHECK (state IN ('recording', 'complete')),
        codec         TEXT    NOT NULL,
        width         INTEGER NOT NULL,
        height        INTEGER NOT NULL,
        trigger       TEXT    NOT NULL CHECK (trigger IN ('continuous', 'event', 'recovered')),
        CHECK (end_ns >= start_ns)
    );
    CREATE INDEX segment_camera_start ON segment (camera, start_ns);
    CREATE INDEX segment_start ON segment (start_ns);
    -- time -> byte offset of the fragment (moof) that starts with this keyframe
    CREATE TABLE keyframe (
        segment_id    INTEGER NOT NULL REFERENCES segment (id) ON DELETE CASCADE,
        time_ns       INTEGER NOT NULL,
        byte_offset   INTEGER NOT NULL,
        PRIMARY KEY (segment_id, time_ns)
    ) WITHOUT ROWID;
    CREATE TABLE gap (
        id            INTEGER PRIMARY KEY,
        camera        TEXT    NOT NULL,
        start_ns      INTEGER NOT NULL,
        -- NULL while the gap is still open (e.g. disk still full)
        end_ns        INTEGER,
        reason        TEXT    NOT NULL
                      CHECK (reason IN ('camera_offline', 'disk_full', 'not_running', 'io_error'))
    );
    CREATE INDEX gap_camera_start ON gap (camera, start_ns);
    CREATE TABLE bookmark (
        id            INTEGER PRIMARY KEY,
        camera        TEXT    NOT NULL,
        start_ns      INTEGER NOT NULL,
        end_ns        INTEGER NOT NULL,
        note          TEXT    NOT NULL DEFAULT '',
        created_ns    INTEGER NOT NULL,
        CHECK (end_ns >= start_ns)
    );
    CREATE INDEX bookmark_camera_start ON bookmark (camera, start_ns);
    ",
    // 1 → 2: events (triggers, later alarms) for the timeline; a covering index for the
    // timeline's range queries (camera, start, end: answered from the index alone).
    r"
    CREATE TABLE event (
        id            INTEGER PRIMARY KEY,
        camera        TEXT    NOT NULL,
        -- wall clock, UTC nanoseconds; end_ns NULL: an instant, or still going on
        time_ns       INTEGER NOT NULL,
        end_ns        INTEGER,
        -- 'trigger' (EventTrigger), more kinds as alerts arrive
        kind          TEXT    NOT NULL,
        note          TEXT    NOT NULL DEFAULT '',
        CHECK (end_ns IS NULL OR end_ns >= time_ns)
    );
    CREATE INDEX event_camera_time ON event (camera, time_ns);
    CREATE INDEX event_time ON event (time_ns);
    DROP INDEX segment_camera_start;
    CREATE INDEX segment_camera_span ON segment (camera, start_ns, end_ns);
    ",
    // 2 → 3: small facts about the archive (`storage_id`: the storage folder's
    // identity, also kept in the folder's meta file, compared at every writer's start);
    // a gap may say the recorder fell behind (SQLite cannot change a CHECK in place:
    // the table is copied).
    r"
    CREATE TABLE meta (
        key           TEXT    PRIMARY KEY,
        value         TEXT    NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE gap_v3 (
        id            INTEGER PRIMARY KEY,
        camera        TEXT    NOT NULL,
        start_ns      INTEGER NOT NULL,
        end_ns        INTEGER,
        reason        TEXT    NOT NULL
                      CHECK (reason IN ('camera_offline', 'disk_full', 'not_running', 'io_error',
                                        'recorder_behind'))
    );
    INSERT INTO gap_v3 (id, camera, start_ns, end_ns, reason)
        SELECT id, camera, start_ns, end_ns, reason FROM gap;
    DROP TABLE gap;
    ALTER TABLE gap_v3 RENAME TO gap;
    CREATE INDEX gap_camera_start ON gap (camera, start_ns);
    ",
    // 3 → 4: an event's severity (alerts: motion, tamper, camera health); the
    // triggers and seeded events from before are `info`.
    r"
    ALTER TABLE event ADD COLUMN severity TEXT NOT NULL DEFAULT 'info'
        CHECK (severity IN ('info', 'warning', 'critical'));
    ",
    // 4 → 5: the operator audit trail, a hash chain (`audit.rs`). Append-only: the
    // triggers refuse updates and deletes (a hand edit that drops them is what
    // `vigil audit verify` finds). AUTOINCREMENT: the sequence remembers the highest id.
    r"
    CREATE TABLE audit (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        -- wall clock, UTC nanoseconds
        time_ns       INTEGER NOT NULL,
        operator      TEXT    NOT NULL,
        role          TEXT    NOT NULL,
        action        TEXT    NOT NULL,
        target        TEXT    NOT NULL DEFAULT '',
        details       TEXT    NOT NULL DEFAULT '',
        -- lower-case hex SHA-256: the previous entry's hash, and this entry's
        prev_hash     TEXT    NOT NULL,
        hash          TEXT    NOT NULL
    );
    CREATE INDEX audit_time ON audit (time_ns);
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
    ",
];

/// The version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings `conn` to [`SCHEMA_VERSION`]; refuses an index written by a newer Vigil.
pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let found: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            found,
            known: SCHEMA_VERSION,
        });
    }
    for (version, script) in MIGRATIONS.iter().enumerate().skip(found.max(0) as usize) {
        tracing::info!(
            from = version,
            to = version + 1,
            "migrating the recording index"
        );
        tx.execute_batch(script)?;
        tx.pragma_update(None, "user_version", version as i64 + 1)?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_a_version_1_index_keeping_its_rows() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join(crate::INDEX_FILE);
        {
            let conn = Connection::open(&path).expect("open");
            conn.execute_batch(MIGRATIONS[0]).expect("v1");
            conn.pragma_update(None, "user_version", 1)
                .expect("version");
            conn.execute(
                "INSERT INTO segment (camera, file, start_ns, end_ns, source_dts, tb_num, tb_den,
                                      bytes, state, codec, width, height, trigger)
                 VALUES ('cam', 'cam/1000.mp4', 1000, 2000, 0, 1, 90000, 10, 'complete',
                         'h264', 640, 360, 'continuous')",
                [],
            )
            .expect("row");
            conn.execute(
                "INSERT INTO gap (camera, start_ns, end_ns, reason) VALUES ('cam', 0, 1000, 'not_running')",
                [],
            )
            .expect("gap");
        }
        let store = crate::Store::open(dir.path()).expect("migrate");
        assert_eq!(store.schema_version().expect("version"), SCHEMA_VERSION);
        assert_eq!(store.storage_id().expect("id"), None, "no identity yet");
        let segments = store.segments(Some("cam")).expect("segments");
        assert_eq!((segments[0].start_ns, segments[0].end_ns), (1000, 2000));
        assert_eq!(store.gaps(None).expect("gaps").len(), 1);
        store
            .insert_gap("cam", 2000, Some(2500), crate::GapReason::RecorderBehind)
            .expect("a gap the migration allows");
        let id = store
            .add_event("cam", 1500, None, "trigger", "door")
            .expect("event");
        let events = store.events(Some("cam"), 0, 3000).expect("events");
        assert_eq!(events.len(), 1);
        assert_eq!((events[0].id, events[0].kind.as_str()), (id, "trigger"));
        assert_eq!(
            store.recorded_ranges("cam", 0, 3000, 0).expect("ranges"),
            vec![(1000, 2000)]
        );
        drop(store);
        // Opening again does not migrate again.
        let store = crate::Store::open(dir.path()).expect("reopen");
        assert_eq!(store.events(None, 0, 3000).expect("events").len(), 1);
        // The range queries use the indexes.
        let plan: Vec<String> = {
            let mut stmt = store
                .conn
                .prepare(
                    "EXPLAIN QUERY PLAN SELECT start_ns, end_ns FROM segment
                     WHERE camera = 'cam' AND start_ns >= 0 AND start_ns < 10 AND end_ns > 0",
                )
                .expect("plan");
            stmt.query_map([], |r| r.get::<_, String>(3))
                .expect("rows")
                .collect::<Result<_, _>>()
                .expect("plan rows")
        };
        assert!(
            plan.iter()
                .any(|p| p.contains("COVERING INDEX segment_camera_span")),
            "{plan:?}"
        );
    }
}
