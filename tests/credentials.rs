//! `vigil credentials migrate` and `vigil doctor` as a user runs them, with the vault
//! (no OS keyring: the keyring itself is tested in crates/secrets/tests). Config and
//! data live in a temporary folder; the password holds `@ : / % # ? "`, a space and
//! non-ASCII letters and must end up in no file, no output and no log.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const NASTY: &str = "p@ss:w/rd%#?\" ü ñ ß 密码";

fn vigil(home: &Path, args: &[&str], passphrase: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vigil"));
    cmd.args(args)
        .env("VIGIL_CONFIG_DIR", home.join("config"))
        .env("VIGIL_DATA_DIR", home.join("data"))
        // No session bus: the OS keyring does not answer, `auto` means the vault.
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("XDG_RUNTIME_DIR", home.join("no-runtime"))
        .env_remove("VIGIL_VAULT_PASSPHRASE")
        .env_remove("VIGIL_DEMO_DIR")
        .env_remove("WGPU_BACKEND")
        .stdin(Stdio::null());
    if let Some(p) = passphrase {
        cmd.env("VIGIL_VAULT_PASSPHRASE", p);
    }
    cmd.output().expect("run vigil")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn assert_nowhere(home: &Path, outputs: &[&str]) {
    let mut files = Vec::new();
    files_under(home, &mut files);
    for path in &files {
        let bytes = std::fs::read(path).expect("read");
        for needle in [NASTY.as_bytes(), "密码".as_bytes(), b"p@ss"] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "password in {}",
                path.display()
            );
        }
    }
    for out in outputs {
        assert!(
            !out.contains("p@ss") && !out.contains("密码"),
            "leaked: {out}"
        );
    }
}

#[test]
fn migrate_into_the_vault_then_doctor_reports_it() {
    let home = tempfile::tempdir().expect("tempdir");
    let config = home.path().join("config");
    std::fs::create_dir_all(&config).expect("mkdir");
    std::fs::write(
        config.join("site.toml"),
        "schema_version = 1\n\n[credentials]\nstore = \"auto\"\n",
    )
    .expect("site");
    let creds = config.join("credentials.toml");
    let escaped = NASTY.replace('\\', "\\\\").replace('"', "\\\"");
    std::fs::write(
        &creds,
        format!("[cameras.lobby]\nusername = \"admin\"\npassword = \"{escaped}\"\n"),
    )
    .expect("credentials");
    std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o600)).expect("chmod");

    let out = vigil(home.path(), &["doctor"], None);
    let doctor_before = text(&out);
    assert!(
        doctor_before.contains("1 password(s) in plain text"),
        "{doctor_before}"
    );

    // Without a passphrase (no terminal either) nothing moves and the file stays.
    let out = vigil(home.path(), &["credentials", "migrate"], None);
    let refused = text(&out);
    assert_eq!(out.status.code(), Some(1), "{refused}");
    assert!(refused.contains("VIGIL_VAULT_PASSPHRASE"), "{refused}");
    assert!(
        std::fs::read_to_string(&creds)
            .expect("read")
            .contains("密码")
    );

    let out = vigil(
        home.path(),
        &["credentials", "migrate"],
        Some("pass phrase"),
    );
    let migrated = text(&out);
    assert!(out.status.success(), "{migrated}");
    assert!(
        migrated.contains("Moved 1 password(s) into the vault"),
        "{migrated}"
    );
    let vault = config.join("credentials.vault");
    assert_eq!(
        std::fs::metadata(&vault)
            .expect("vault")
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    let file = std::fs::read_to_string(&creds).expect("read");
    assert!(
        file.contains("admin") && !file.contains("password"),
        "{file}"
    );

    let out = vigil(
        home.path(),
        &["credentials", "migrate"],
        Some("pass phrase"),
    );
    let again = text(&out);
    assert!(
        out.status.success() && again.contains("Nothing to move"),
        "{again}"
    );

    let out = vigil(home.path(), &["doctor"], Some("pass phrase"));
    let doctor = text(&out);
    assert!(
        doctor.contains("passwords in: the encrypted vault"),
        "{doctor}"
    );
    assert!(doctor.contains("opens, 1 password(s)"), "{doctor}");
    let out = vigil(home.path(), &["doctor"], Some("wrong"));
    let wrong = text(&out);
    assert!(wrong.contains("wrong passphrase"), "{wrong}");

    assert_nowhere(
        home.path(),
        &[&doctor_before, &refused, &migrated, &again, &doctor, &wrong],
    );
}

#[test]
fn a_bad_store_value_is_located_like_every_site_file_error() {
    let home = tempfile::tempdir().expect("tempdir");
    let config = home.path().join("config");
    std::fs::create_dir_all(&config).expect("mkdir");
    let site = config.join("site.toml");
    std::fs::write(
        &site,
        "schema_version = 1\n\n[credentials]\nstore = \"plain\"\n",
    )
    .expect("site");
    let out = vigil(home.path(), &["check-config"], None);
    let report = text(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(report.contains("site.toml:4:9"), "{report}");
    assert!(
        report.contains("`auto`, `keyring`, `vault`, `file`"),
        "{report}"
    );
}
