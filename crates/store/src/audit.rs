//! The audit trail: the index's `audit` table, where every operator action is appended
//! as a hash chain. Each entry's `hash` is SHA-256 over a canonical encoding of the
//! entry (its id, time, operator, role, action, target, details) and the previous
//! entry's hash, so changing or removing any entry breaks every hash after it.
//!
//! Owns: the canonical encoding, appending (in one `BEGIN IMMEDIATE` transaction, so two
//! writers cannot fork the chain), reading and verifying. Must not: decide what is
//! audited (`vigil-core` does), or ever update or delete a row — the table's triggers
//! refuse both, so only someone who edits the file by hand can, and `verify` sees it.
//!
//! The chain proves the trail was not changed by Vigil or by an edit that did not
//! recompute every later hash. Someone who can rewrite the whole file can recompute
//! them too: write down (or send elsewhere) the head hash that `vigil audit verify`
//! prints to detect that.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension as _, params};
use sha2::{Digest as _, Sha256};

use crate::{INDEX_FILE, Store, StoreError};

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Names the encoding, so a future format cannot be confused with this one.
const ENCODING_TAG: &[u8] = b"vigil-audit-v1";

/// An action about to be recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAuditEntry {
    /// Wall clock, UTC nanoseconds.
    pub time_ns: i64,
    /// Who did it (the operating-system user the app runs as).
    pub operator: String,
    /// The role they held (`guard`, `reviewer`, `installer`).
    pub role: String,
    /// What was done (`bookmark_add`, `export`, `review_open`, `role_switch`, …).
    pub action: String,
    /// What it was done to: camera ids (comma-separated), a bookmark, a setting.
    pub target: String,
    /// Anything else worth keeping (a note, a range, a reason).
    pub details: String,
}

/// One row of `audit`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub time_ns: i64,
    pub operator: String,
    pub role: String,
    pub action: String,
    pub target: String,
    pub details: String,
    /// Lower-case hex SHA-256.
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntry {
    /// The cameras the entry is about (its target's comma-separated ids).
    pub fn cameras(&self) -> impl Iterator<Item = &str> {
        self.target
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
}

/// The outcome of checking the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditCheck {
    /// Every entry's hash matches; `head` is the last entry's hash (the genesis hash
    /// for an empty trail).
    Intact { entries: u64, head: String },
    /// The first entry that does not match, and why.
    Broken { entry: BrokenEntry, why: String },
}

/// What names a broken entry for a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokenEntry {
    pub id: i64,
    pub time_ns: i64,
    pub action: String,
}

/// SHA-256 over the canonical encoding: the tag, then each field as its byte length
/// (8 bytes, big-endian) followed by its bytes; numbers as decimal text.
pub fn entry_hash(id: i64, entry: &NewAuditEntry, prev_hash: &str) -> String {
    let mut hasher = Sha256::new();
    let id = id.to_string();
    let time = entry.time_ns.to_string();
    for field in [
        ENCODING_TAG,
        id.as_bytes(),
        time.as_bytes(),
        entry.operator.as_bytes(),
        entry.role.as_bytes(),
        entry.action.as_bytes(),
        entry.target.as_bytes(),
        entry.details.as_bytes(),
        prev_hash.as_bytes(),
    ] {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field);
    }
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

const COLUMNS: &str = "id, time_ns, operator, role, action, target, details, prev_hash, hash";

fn entry_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        id: r.get(0)?,
        time_ns: r.get(1)?,
        operator: r.get(2)?,
        role: r.get(3)?,
        action: r.get(4)?,
        target: r.get(5)?,
        details: r.get(6)?,
        prev_hash: r.get(7)?,
        hash: r.get(8)?,
    })
}

impl Store {
    /// Appends `entry` to the chain and returns it as stored.
    pub fn append_audit(&self, entry: &NewAuditEntry) -> Result<AuditEntry, StoreError> {
        let tx = rusqlite::Transaction::new_unchecked(
            &self.conn,
            rusqlite::TransactionBehavior::Immediate,
        )?;
        // The id is chosen here because it is hashed: one past the highest ever used
        // (AUTOINCREMENT's sequence), so a removed last entry leaves a visible hole.
        let seq: i64 = tx
            .query_row(
                "SELECT seq FROM sqlite_sequence WHERE name = 'audit'",
                [],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0);
        let prev_hash: String = tx
            .query_row("SELECT hash FROM audit ORDER BY id DESC LIMIT 1", [], |r| {
                r.get(0)
            })
            .optional()?
            .unwrap_or_else(|| GENESIS_HASH.to_owned());
        let id = seq + 1;
        let hash = entry_hash(id, entry, &prev_hash);
        tx.execute(
            "INSERT INTO audit (id, time_ns, operator, role, action, target, details, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                id,
                entry.time_ns,
                entry.operator,
                entry.role,
                entry.action,
                entry.target,
                entry.details,
                prev_hash,
                hash
            ],
        )?;
        tx.commit()?;
        Ok(AuditEntry {
            id,
            time_ns: entry.time_ns,
            operator: entry.operator.clone(),
            role: entry.role.clone(),
            action: entry.action.clone(),
            target: entry.target.clone(),
            details: entry.details.clone(),
            prev_hash,
            hash,
        })
    }

    /// The newest `limit` entries, oldest first.
    pub fn audit_tail(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        tail(&self.conn, limit)
    }

    /// Checks the chain (see [`verify_chain`]).
    pub fn verify_audit(&self) -> Result<AuditCheck, StoreError> {
        verify_chain(&self.conn)
    }
}

fn tail(conn: &Connection, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM (SELECT {COLUMNS} FROM audit ORDER BY id DESC LIMIT ?1) ORDER BY id"
    ))?;
    let rows = stmt.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], entry_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Walks the chain oldest first: each entry's `prev_hash` must be the hash of the entry
/// before it (the genesis hash for the first), and its `hash` must be what its fields
/// hash to. The highest id ever used must be the last entry's (a removed last entry).
pub fn verify_chain(conn: &Connection) -> Result<AuditCheck, StoreError> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM audit ORDER BY id"))?;
    let mut rows = stmt.query([])?;
    let mut expected_prev = GENESIS_HASH.to_owned();
    let mut previous: Option<AuditEntry> = None;
    let mut entries = 0u64;
    while let Some(row) = rows.next()? {
        let e = entry_from_row(row)?;
        let broken = |why: String| AuditCheck::Broken {
            entry: BrokenEntry {
                id: e.id,
                time_ns: e.time_ns,
                action: e.action.clone(),
            },
            why,
        };
        if e.prev_hash != expected_prev {
            let why = match &previous {
                None => "it should be the first entry, but its previous hash is not the genesis hash: entries before it were removed".to_owned(),
                Some(p) if p.id + 1 != e.id => format!(
                    "entries {} to {} before it were removed (its previous hash is not entry {}'s hash)",
                    p.id + 1,
                    e.id - 1,
                    p.id
                ),
                Some(p) => format!(
                    "its previous hash does not match entry {}'s hash: entry {} was changed or replaced",
                    p.id, p.id
                ),
            };
            return Ok(broken(why));
        }
        let fields = NewAuditEntry {
            time_ns: e.time_ns,
            operator: e.operator.clone(),
            role: e.role.clone(),
            action: e.action.clone(),
            target: e.target.clone(),
            details: e.details.clone(),
        };
        if entry_hash(e.id, &fields, &e.prev_hash) != e.hash {
            return Ok(broken(
                "its contents do not match its hash: the entry was changed".to_owned(),
            ));
        }
        expected_prev.clone_from(&e.hash);
        entries += 1;
        previous = Some(e);
    }
    let seq: Option<i64> = conn
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'audit'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    let last_id = previous.as_ref().map_or(0, |p| p.id);
    if let Some(seq) = seq
        && seq > last_id
    {
        return Ok(AuditCheck::Broken {
            entry: BrokenEntry {
                id: last_id + 1,
                time_ns: previous.as_ref().map_or(0, |p| p.time_ns),
                action: "(removed)".to_owned(),
            },
            why: format!(
                "entries {} to {seq} were removed from the end of the trail",
                last_id + 1
            ),
        });
    }
    Ok(AuditCheck::Intact {
        entries,
        head: expected_prev,
    })
}

/// The audit trail of the index in `dir`, opened read only: nothing is created,
/// migrated or changed. An index older than the audit table has an empty trail.
pub struct AuditReader {
    conn: Connection,
    has_table: bool,
}

impl AuditReader {
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let path = dir.join(INDEX_FILE);
        if !path.exists() {
            return Err(StoreError::Io {
                path,
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no recording index here (is this the storage folder?)",
                ),
            });
        }
        let conn = Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let has_table = conn
            .query_row(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit'",
                [],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        Ok(Self { conn, has_table })
    }

    /// Every entry, oldest first.
    pub fn entries(&self) -> Result<Vec<AuditEntry>, StoreError> {
        if !self.has_table {
            return Ok(Vec::new());
        }
        tail(&self.conn, usize::MAX)
    }

    pub fn verify(&self) -> Result<AuditCheck, StoreError> {
        if !self.has_table {
            return Ok(AuditCheck::Intact {
                entries: 0,
                head: GENESIS_HASH.to_owned(),
            });
        }
        verify_chain(&self.conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(action: &str, target: &str) -> NewAuditEntry {
        NewAuditEntry {
            time_ns: 1_700_000_000_000_000_000,
            operator: "alice".to_owned(),
            role: "reviewer".to_owned(),
            action: action.to_owned(),
            target: target.to_owned(),
            details: String::new(),
        }
    }

    fn trail(n: usize) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::open(dir.path()).expect("open");
        for i in 0..n {
            store
                .append_audit(&entry("bookmark_add", &format!("cam{i}")))
                .expect("append");
        }
        (dir, store)
    }

    /// Editing the file as an attacker would: the append-only triggers go first.
    fn tamper(store: &Store, sql: &str) {
        store
            .conn
            .execute_batch(&format!(
                "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; {sql}"
            ))
            .expect("tamper");
    }

    #[test]
    fn a_clean_chain_verifies_and_links_each_entry_to_the_last() {
        let (_dir, store) = trail(3);
        let rows = store.audit_tail(10).expect("rows");
        assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(rows[0].prev_hash, GENESIS_HASH);
        assert_eq!(rows[1].prev_hash, rows[0].hash);
        assert_eq!(rows[2].prev_hash, rows[1].hash);
        assert_eq!(
            store.verify_audit().expect("verify"),
            AuditCheck::Intact {
                entries: 3,
                head: rows[2].hash.clone()
            }
        );
        assert_eq!(store.audit_tail(2).expect("tail")[0].id, 2);
    }

    #[test]
    fn the_hash_covers_every_field_and_field_boundaries() {
        let base = entry("export", "cam1");
        let h = entry_hash(1, &base, GENESIS_HASH);
        let mut other = base.clone();
        other.target = "cam2".to_owned();
        assert_ne!(h, entry_hash(1, &other, GENESIS_HASH));
        assert_ne!(h, entry_hash(2, &base, GENESIS_HASH));
        // Moving a character from one field to the next changes the hash.
        let mut shifted = base.clone();
        shifted.action = "expor".to_owned();
        shifted.target = "tcam1".to_owned();
        assert_ne!(h, entry_hash(1, &shifted, GENESIS_HASH));
    }

    #[test]
    fn the_table_refuses_updates_and_deletes() {
        let (_dir, store) = trail(1);
        assert!(
            store
                .conn
                .execute("UPDATE audit SET target = 'x'", [])
                .is_err()
        );
        assert!(store.conn.execute("DELETE FROM audit", []).is_err());
    }

    #[test]
    fn an_edited_entry_is_named() {
        let (_dir, store) = trail(4);
        tamper(&store, "UPDATE audit SET target = 'cam9' WHERE id = 2");
        let AuditCheck::Broken { entry, why } = store.verify_audit().expect("verify") else {
            panic!("tampering not seen");
        };
        assert_eq!((entry.id, entry.action.as_str()), (2, "bookmark_add"));
        assert!(why.contains("changed"), "{why}");
    }

    #[test]
    fn removed_entries_are_seen_in_the_middle_at_the_start_and_at_the_end() {
        let (_dir, store) = trail(4);
        tamper(&store, "DELETE FROM audit WHERE id = 2");
        let AuditCheck::Broken { entry, why } = store.verify_audit().expect("verify") else {
            panic!("removal not seen");
        };
        assert_eq!(entry.id, 3);
        assert!(why.contains("removed"), "{why}");

        let (_dir, store) = trail(3);
        tamper(&store, "DELETE FROM audit WHERE id = 1");
        assert!(
            matches!(store.verify_audit().expect("verify"), AuditCheck::Broken { entry, .. } if entry.id == 2)
        );

        let (_dir, store) = trail(3);
        tamper(&store, "DELETE FROM audit WHERE id = 3");
        let AuditCheck::Broken { entry, why } = store.verify_audit().expect("verify") else {
            panic!("removal of the last entry not seen");
        };
        assert_eq!(entry.id, 3);
        assert!(why.contains("end"), "{why}");
    }

    #[test]
    fn the_reader_is_read_only_and_sees_the_same_chain() {
        let (dir, store) = trail(2);
        let reader = AuditReader::open(dir.path()).expect("reader");
        assert_eq!(reader.entries().expect("entries").len(), 2);
        assert!(matches!(
            reader.verify().expect("verify"),
            AuditCheck::Intact { entries: 2, .. }
        ));
        assert!(reader.conn.execute("DELETE FROM meta", []).is_err());
        drop(store);
        let empty = tempfile::tempdir().expect("tmp");
        assert!(AuditReader::open(empty.path()).is_err());
    }
}
