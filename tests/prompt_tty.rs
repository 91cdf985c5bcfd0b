//! Secrets typed at the command line's prompts are not echoed: `vigil roles
//! set-password` and `vigil onvif inspect` run on a real pseudo-terminal
//! (tests/support/pty_run.py) and the typed text must not come back on it.

use std::process::Command;

const SECRET: &str = "Sëcret p@ss:/%#?\" word";

/// Runs `args` on a pseudo-terminal, typing `lines`; the terminal's text and exit code.
fn on_pty(lines: &[String], args: &[&str], dir: &std::path::Path) -> (String, i64) {
    let out = Command::new("/usr/bin/python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/pty_run.py"
        ))
        .arg(serde_json::to_string(lines).expect("json"))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .current_dir(dir)
        .env_remove("VIGIL_ROLE_PASSWORD")
        .env_remove("VIGIL_ONVIF_PASSWORD")
        .output()
        .expect("run pty_run.py");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("pty_run.py JSON");
    (
        v["output"].as_str().expect("output").to_owned(),
        v["code"].as_i64().expect("code"),
    )
}

#[test]
fn a_role_password_typed_twice_is_not_echoed_and_is_stored_hashed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = tmp.path().join("site.toml");
    std::fs::write(&site, "schema_version = 1\nname = \"x\"\n").expect("site");
    let typed = vec![format!("{SECRET}\n"), format!("{SECRET}\n")];
    let (output, code) = on_pty(
        &typed,
        &[
            "roles",
            "set-password",
            "--role",
            "installer",
            "--config",
            "site.toml",
        ],
        tmp.path(),
    );
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("New Installer password:"), "{output}");
    assert!(output.contains("again"), "{output}");
    assert!(
        !output.contains("cret"),
        "the password was echoed: {output:?}"
    );
    let text = std::fs::read_to_string(&site).expect("site");
    assert!(text.contains("$argon2id$"), "{text}");
    assert!(!text.contains("cret"), "{text}");
}

#[test]
fn two_different_role_passwords_change_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = tmp.path().join("site.toml");
    let before = "schema_version = 1\nname = \"x\"\n";
    std::fs::write(&site, before).expect("site");
    let typed = vec![format!("{SECRET}\n"), "other\n".to_owned()];
    let (output, code) = on_pty(
        &typed,
        &[
            "roles",
            "set-password",
            "--role",
            "reviewer",
            "--config",
            "site.toml",
        ],
        tmp.path(),
    );
    assert_ne!(code, 0, "{output}");
    assert!(output.contains("differ"), "{output}");
    assert!(
        !output.contains("cret") && !output.contains("other"),
        "{output:?}"
    );
    assert_eq!(std::fs::read_to_string(&site).expect("site"), before);
}

#[test]
fn an_onvif_password_is_asked_without_echo() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // Nothing listens on a fresh loopback port: the command fails after the prompt.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let host = format!("127.0.0.1:{port}");
    let (output, code) = on_pty(
        &[format!("{SECRET}\n")],
        &["onvif", "inspect", "--host", &host, "--user", "admin"],
        tmp.path(),
    );
    assert_ne!(code, 0, "{output}");
    assert!(
        output.contains(&format!("Password for admin on {host}:")),
        "{output}"
    );
    assert!(output.contains("cannot reach the device"), "{output}");
    assert!(
        !output.contains("cret"),
        "the password was echoed: {output:?}"
    );
}
