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
