//! The `vigil` command line as a user runs it: `--version`, `--help` and `doctor`
//! (text and JSON), on this machine with its config and data in a temporary folder.
//! Needs what the rest of the suite needs (FFmpeg, lavapipe); no display.

use std::path::Path;
use std::process::{Command, Output};

/// Runs the built `vigil` with its config and data directories in `home`.
fn vigil(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .env("VIGIL_CONFIG_DIR", home.join("config"))
        .env("VIGIL_DATA_DIR", home.join("data"))
        .env_remove("VIGIL_DEMO_DIR")
        .env_remove("WGPU_BACKEND")
        .output()
        .expect("run vigil")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn version_and_help() {
    let home = tempfile::tempdir().expect("tempdir");
    let out = vigil(home.path(), &["--version"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        stdout(&out).trim(),
        format!("vigil {}", env!("CARGO_PKG_VERSION"))
    );

    let out = vigil(home.path(), &["--help"]);
    assert!(out.status.success(), "{out:?}");
    let help = stdout(&out);
    for word in ["doctor", "check-config", "--demo", "--kiosk"] {
        assert!(help.contains(word), "--help lacks {word}:\n{help}");
    }
}

#[test]
fn doctor_passes_here_and_reports_each_part() {
    let home = tempfile::tempdir().expect("tempdir");
    let out = vigil(home.path(), &["doctor"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}\n{out:?}");
    for line in [
        "[ok  ] H.264 decoder: h264",
        "[ok  ] HEVC decoder: hevc",
        "Hardware decoding",
        "GPU (wgpu",
        "Demo clips",
        "OS keyring: not used yet",
        "Recording storage",
        "Vigil has everything it needs here.",
    ] {
        assert!(text.contains(line), "doctor output lacks {line:?}:\n{text}");
    }
    let config = home.path().join("config");
    assert!(
        text.contains(&format!("config    {} (not created yet", config.display())),
        "{text}"
    );
    // The doctor changes nothing: the config directory is still not there.
    assert!(!config.exists());
}

#[test]
fn doctor_json_has_the_facts() {
    let home = tempfile::tempdir().expect("tempdir");
    let out = vigil(home.path(), &["doctor", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["ok"], true, "{json:#}");
    let facts = &json["facts"];
    assert_eq!(facts["vigil_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        facts["paths"]["config_dir"],
        home.path().join("config").to_string_lossy().as_ref()
    );
    assert!(
        facts["gpu"]["adapters"]
            .as_array()
            .is_some_and(|a| !a.is_empty()),
        "{json:#}"
    );
    assert!(
        facts["storage"]["free_bytes"].as_u64().is_some(),
        "{json:#}"
    );
}

#[test]
fn doctor_without_demo_clips_fails_with_advice() {
    let home = tempfile::tempdir().expect("tempdir");
    let empty = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("doctor")
        .env("VIGIL_CONFIG_DIR", home.path().join("config"))
        .env("VIGIL_DATA_DIR", home.path().join("data"))
        .env("VIGIL_DEMO_DIR", empty.path())
        .output()
        .expect("run vigil");
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("MISSING: demo clips missing"), "{text}");
    assert!(text.contains("lobby.mp4"), "{text}");
    assert!(text.contains("apt-get install --reinstall vigil"), "{text}");
    assert!(text.contains("VIGIL_DEMO_DIR"), "{text}");
}

#[test]
fn doctor_notes_a_broken_site_file_but_passes() {
    let home = tempfile::tempdir().expect("tempdir");
    let site = home.path().join("broken.toml");
    std::fs::write(&site, "schema_version = 1\nnot valid toml [\n").expect("write");
    let site_arg = site.to_string_lossy().into_owned();
    let out = vigil(home.path(), &["--config", &site_arg, "doctor"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("note: the site file does not load"), "{text}");
    assert!(text.contains("vigil check-config"), "{text}");
}
