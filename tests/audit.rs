//! `vigil audit verify`, `vigil audit export --csv` and `vigil roles set-password` as a
//! user runs them (the built binary): a trail written through `vigil-store`, then the
//! SQLite file edited the way someone covering their tracks would (rusqlite, the
//! append-only triggers dropped first).

use std::path::Path;
use std::process::{Command, Output};

use vigil_store::{NewAuditEntry, Store};

fn vigil(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vigil"));
    cmd.args(args)
        .env("VIGIL_CONFIG_DIR", home.join("config"))
        .env("VIGIL_DATA_DIR", home.join("data"))
        .env_remove("VIGIL_ROLE_PASSWORD");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run vigil")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const BASE_NS: i64 = 1_764_460_800_000_000_000; // 2025-11-30T00:00:00Z

/// A storage folder whose trail holds five actions; returns it.
fn trail(home: &Path, hostile_target: &str) -> std::path::PathBuf {
    let storage = home.join("storage");
    let store = Store::open(&storage).expect("index");
    let actions = [
        ("role_switch", "reviewer", ""),
        ("review_open", "cam1,cam2", "at 2025-11-29T23:00:00Z"),
        ("bookmark_add", hostile_target, "note"),
        ("export", "cam1", "bundle /tmp/x"),
        ("bookmark_remove", "bookmark 3", ""),
    ];
    for (i, (action, target, details)) in actions.into_iter().enumerate() {
        store
            .append_audit(&NewAuditEntry {
                time_ns: BASE_NS + i as i64 * 1_000_000_000,
                operator: "alice".to_owned(),
                role: "reviewer".to_owned(),
                action: action.to_owned(),
                target: target.to_owned(),
                details: details.to_owned(),
            })
            .expect("append");
    }
    storage
}

fn edit(storage: &Path, sql: &str) {
    let conn =
        rusqlite::Connection::open(storage.join(vigil_store::INDEX_FILE)).expect("open index");
    conn.execute_batch(&format!(
        "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; {sql}"
    ))
    .expect("edit");
}

fn verify(home: &Path, storage: &Path) -> Output {
    vigil(
        home,
        &[
            "audit",
            "verify",
            "--storage",
            storage.to_str().expect("utf-8"),
        ],
        &[],
    )
}

#[test]
fn a_clean_trail_verifies() {
    let home = tempfile::tempdir().expect("tmp");
    let storage = trail(home.path(), "cam2");
    let out = verify(home.path(), &storage);
    assert!(out.status.success(), "{out:?}");
    assert!(stdout(&out).contains("intact: 5 entries"), "{out:?}");
}

#[test]
fn an_edited_row_fails_verification_and_is_named() {
    let home = tempfile::tempdir().expect("tmp");
    let storage = trail(home.path(), "cam2");
    edit(&storage, "UPDATE audit SET target = 'cam9' WHERE id = 4");
    let out = verify(home.path(), &storage);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = stdout(&out);
    assert!(
        text.contains("BROKEN at entry 4 (2025-11-30T00:00:03.000000000Z, export)"),
        "{text}"
    );
}

#[test]
fn a_deleted_row_fails_verification() {
    let home = tempfile::tempdir().expect("tmp");
    let storage = trail(home.path(), "cam2");
    edit(&storage, "DELETE FROM audit WHERE id = 2");
    let out = verify(home.path(), &storage);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = stdout(&out);
    assert!(text.contains("BROKEN at entry 3"), "{text}");
    assert!(text.contains("removed"), "{text}");

    // The newest entry removed: the id sequence remembers it.
    let home = tempfile::tempdir().expect("tmp");
    let storage = trail(home.path(), "cam2");
    edit(&storage, "DELETE FROM audit WHERE id = 5");
    let out = verify(home.path(), &storage);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(stdout(&out).contains("BROKEN at entry 5"), "{out:?}");
}

#[test]
fn verify_without_an_index_fails_clearly() {
    let home = tempfile::tempdir().expect("tmp");
    let empty = home.path().join("nothing");
    let out = verify(home.path(), &empty);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no recording index here"), "{err}");
}

/// RFC 4180 records, for reading the export back.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut cell = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') if cell.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut cell)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut cell));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => cell.push(c),
        }
    }
    assert!(
        !quoted && cell.is_empty() && record.is_empty(),
        "unterminated CSV"
    );
    records
}

#[test]
fn csv_export_round_trips_a_hostile_target() {
    let home = tempfile::tempdir().expect("tmp");
    let hostile = "=cmd|' /C calc'!A0, \"quoted\"\r\nsecond line";
    let storage = trail(home.path(), hostile);
    let csv = home.path().join("trail.csv");
    let out = vigil(
        home.path(),
        &[
            "audit",
            "export",
            "--csv",
            csv.to_str().expect("utf-8"),
            "--storage",
            storage.to_str().expect("utf-8"),
        ],
        &[],
    );
    assert!(out.status.success(), "{out:?}");
    let text = std::fs::read_to_string(&csv).expect("csv");
    let records = parse_csv(&text);
    assert_eq!(records.len(), 6, "{text}");
    assert!(records.iter().all(|r| r.len() == 9), "{records:?}");
    assert_eq!(records[0][5], "target");
    // The formula is text now; everything else comes back as it was.
    assert_eq!(records[3][5], format!("'{hostile}"));
    assert_eq!(records[3][4], "bookmark_add");
    assert_eq!(records[2][5], "cam1,cam2");
    assert_eq!(records[1][1], "2025-11-30T00:00:00.000000000Z");
    // The hashes in the file are the chain's.
    let store = Store::open(&storage).expect("index");
    let entries = store.audit_tail(10).expect("entries");
    for (record, entry) in records[1..].iter().zip(&entries) {
        assert_eq!(record[0], entry.id.to_string());
        assert_eq!((&record[7], &record[8]), (&entry.prev_hash, &entry.hash));
    }
}

#[test]
fn set_password_stores_an_argon2id_hash_and_never_the_password() {
    let home = tempfile::tempdir().expect("tmp");
    let site = home.path().join("site.toml");
    std::fs::write(&site, "schema_version = 1\nname = \"Depot\"\n").expect("site");
    let password = "corr3ct horse, battery=staple";
    let out = vigil(
        home.path(),
        &[
            "--config",
            site.to_str().expect("utf-8"),
            "roles",
            "set-password",
            "--role",
            "installer",
        ],
        &[("VIGIL_ROLE_PASSWORD", password)],
    );
    assert!(out.status.success(), "{out:?}");
    let text = std::fs::read_to_string(&site).expect("site");
    assert!(text.contains("[roles]"), "{text}");
    assert!(text.contains("installer = \"$argon2id$v=19$"), "{text}");
    assert!(!text.contains("horse"), "{text}");
    assert!(!stdout(&out).contains("horse"));
    let loaded = vigil_config::load_site(&site).expect("loads");
    assert_eq!(loaded.name, "Depot");
    loaded
        .roles
        .check(vigil_config::Role::Installer, password)
        .expect("the password opens Installer");
    assert!(
        loaded
            .roles
            .check(vigil_config::Role::Installer, "wrong")
            .is_err()
    );

    // Guard has no password; the role is not an option's free text.
    let out = vigil(
        home.path(),
        &[
            "--config",
            site.to_str().expect("utf-8"),
            "roles",
            "set-password",
            "--role",
            "guard",
        ],
        &[("VIGIL_ROLE_PASSWORD", "x")],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let out = vigil(
        home.path(),
        &[
            "roles",
            "set-password",
            "--role",
            "installer",
            "--password",
            "x",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "no --password option: {out:?}");
}
