//! The OS keyring for real: a private D-Bus session (`dbus-run-session`) with GNOME
//! Keyring's Secret Service unlocked in it (`gnome-keyring-daemon --unlock`), both
//! installed by scripts/deps.sh. The outer test starts that session and runs the inner
//! one (ignored on its own) inside it, with a scratch HOME and no inherited
//! DBUS_SESSION_BUS_ADDRESS, so a plain `cargo test` needs no desktop session.
//!
//! Must not: touch the user's real keyring (the session and its keyrings are private
//! and thrown away) or print a password.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use vigil_config::CredentialStore;
use vigil_config::redact::Credentials;
use vigil_secrets::{
    KeyringStore, PasswordStore, PasswordStoreKind, fill_credentials, migrate, open_store,
};

/// `@ : / % # ? "`, a space and non-ASCII letters.
const NASTY: &str = "p@ss:w/rd%#?\" ü ñ ß 密码";
const INNER_MARKER: &str = "VIGIL_TEST_IN_KEYRING_SESSION";
const SERVICE: &str = "io.github.vigil_vms.Vigil test";

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
}

#[test]
fn keyring_store_read_delete_and_migrate_against_a_real_secret_service() {
    let tools = ["dbus-run-session", "gnome-keyring-daemon"];
    if let Some(missing) = tools.iter().find(|t| !on_path(t)) {
        // CI installs them (scripts/deps.sh); elsewhere say why nothing ran.
        assert!(
            std::env::var_os("CI").is_none(),
            "{missing} is missing: run scripts/deps.sh"
        );
        eprintln!("skipped: {missing} is not installed (scripts/deps.sh installs it)");
        return;
    }
    let scratch = tempfile::tempdir().expect("tempdir");
    let home = scratch.path().join("home");
    let runtime = scratch.path().join("run");
    for dir in [&home, &runtime] {
        std::fs::create_dir_all(dir).expect("mkdir");
        std::fs::set_permissions(
            dir,
            <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o700),
        )
        .expect("chmod");
    }
    let exe = std::env::current_exe().expect("test binary");
    let out = Command::new("dbus-run-session")
        .args([
            "--",
            "sh",
            "-c",
            "printf 'session-pw' | gnome-keyring-daemon --unlock --components=secrets \
             >/dev/null && exec \"$0\" --exact inner_keyring_session --ignored --nocapture \
             --test-threads=1",
        ])
        .arg(&exe)
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_RUNTIME_DIR", &runtime)
        .env(INNER_MARKER, "1")
        .output()
        .expect("dbus-run-session runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "inner test failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    // Nothing the session printed (test output, zbus, the daemon) holds the password.
    for text in [&stdout, &stderr] {
        assert!(
            !text.contains(NASTY) && !text.contains("p@ss"),
            "leaked:\n{text}"
        );
    }
}

/// A `tracing` writer into a shared buffer: every log line of the inner test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
#[ignore = "runs inside the session the test above starts"]
fn inner_keyring_session() {
    if std::env::var_os(INNER_MARKER).is_none() {
        eprintln!("not in a keyring session: run it through the outer test");
        return;
    }
    let logs = Captured::default();
    let sink = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let keyring = KeyringStore::new(SERVICE);
    keyring.probe().expect("the Secret Service answers");

    // Store, read, replace, delete.
    assert_eq!(keyring.get("lobby").expect("get"), None);
    keyring.set("lobby", NASTY).expect("set");
    assert_eq!(keyring.get("lobby").expect("get").as_deref(), Some(NASTY));
    keyring.set("lobby", "replaced").expect("replace");
    assert_eq!(
        keyring.get("lobby").expect("get").as_deref(),
        Some("replaced")
    );
    assert!(keyring.delete("lobby").expect("delete"));
    assert!(!keyring.delete("lobby").expect("delete again"));
    assert_eq!(keyring.get("lobby").expect("get"), None);

    // Migrate a legacy credentials.toml into the keyring.
    let config = tempfile::tempdir().expect("config dir");
    let file = config.path().join("credentials.toml");
    let mut legacy = CredentialStore::new(&file);
    legacy.set(
        "gate-1",
        Credentials {
            username: "admin".into(),
            password: NASTY.into(),
        },
    );
    legacy.save().expect("save legacy");
    assert!(
        std::fs::read_to_string(&file)
            .expect("read")
            .contains("密码")
    );

    let mut opened = open_store(
        PasswordStoreKind::Auto,
        &file,
        KeyringStore::new(SERVICE),
        || panic!("auto picks the keyring here: no vault passphrase is needed"),
    )
    .expect("open");
    assert!(matches!(opened.store, PasswordStore::Keyring(_)));
    let mut creds = CredentialStore::load(&file).expect("load");
    let report = migrate(&mut creds, &mut opened.store).expect("migrate");
    assert_eq!(report.moved, ["gate-1"]);
    assert_eq!(keyring.get("gate-1").expect("get").as_deref(), Some(NASTY));
    // Idempotent: nothing left to move.
    let mut creds = CredentialStore::load(&file).expect("load");
    assert!(
        migrate(&mut creds, &mut opened.store)
            .expect("again")
            .moved
            .is_empty()
    );

    // A new run finds the user name in the file and the password in the keyring.
    let mut run = CredentialStore::load(&file).expect("load");
    assert!(fill_credentials(&mut run, &opened.store, ["gate-1"]).is_empty());
    assert_eq!(
        run.get_with_env("gate-1", |_| None),
        Some(Credentials {
            username: "admin".into(),
            password: NASTY.into(),
        })
    );

    // The password is in no file of the config directory and in no log line.
    let mut files = Vec::new();
    files_under(config.path(), &mut files);
    assert!(!files.is_empty());
    for path in &files {
        let bytes = std::fs::read(path).expect("read");
        for needle in [NASTY.as_bytes(), "密码".as_bytes(), b"p@ss"] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "password left in {}",
                path.display()
            );
        }
    }
    let text = String::from_utf8_lossy(&logs.0.lock().expect("lock")).into_owned();
    assert!(
        text.contains("password moved"),
        "the migration logs: {text}"
    );
    assert!(!text.contains(NASTY) && !text.contains("p@ss") && !text.contains("密码"));
    assert!(keyring.delete("gate-1").expect("cleanup"));
}
