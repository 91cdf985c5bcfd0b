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

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The environment variables each command reads (grep the code for `VIGIL_` and
/// `RUST_LOG`), which its `--help` must name.
const READS: &[(&[&str], &[&str])] = &[
    (
        &[],
        &[
            "VIGIL_CONFIG_DIR",
            "VIGIL_DATA_DIR",
            "VIGIL_DEMO_DIR",
            "VIGIL_FFMPEG_LOG",
            "VIGIL_HWACCEL",
            "VIGIL_CAMERA_<ID>_PASSWORD",
            "RUST_LOG",
        ],
    ),
    (&["check-config"], &["VIGIL_CONFIG_DIR", "VIGIL_DATA_DIR"]),
    (
        &["doctor"],
        &[
            "VIGIL_CONFIG_DIR",
            "VIGIL_DATA_DIR",
            "VIGIL_DEMO_DIR",
            "VIGIL_FFMPEG_LOG",
            "VIGIL_HWACCEL",
        ],
    ),
    (
        &["bench", "live"],
        &[
            "VIGIL_CONFIG_DIR",
            "VIGIL_CAMERA_<ID>_PASSWORD",
            "VIGIL_FFMPEG_LOG",
            "VIGIL_HWACCEL",
            "RUST_LOG",
        ],
    ),
    (&["bench", "scrub"], &["VIGIL_HWACCEL", "RUST_LOG"]),
    (&["bench", "timeline"], &["RUST_LOG"]),
    (
        &["archive", "record"],
        &[
            "VIGIL_DATA_DIR",
            "VIGIL_CONFIG_DIR",
            "VIGIL_CAMERA_<ID>_PASSWORD",
            "VIGIL_FFMPEG_LOG",
            "RUST_LOG",
        ],
    ),
    (&["archive", "seed"], &["RUST_LOG"]),
];

#[test]
fn help_of_every_command_names_the_variables_it_reads() {
    let home = tempfile::tempdir().expect("tempdir");
    for (command, vars) in READS {
        let mut args = command.to_vec();
        args.push("--help");
        let out = vigil(home.path(), &args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
        let help = stdout(&out);
        for var in *vars {
            assert!(help.contains(var), "`vigil {args:?}` lacks {var}:\n{help}");
        }
    }
}

#[test]
fn help_states_the_exit_codes_and_the_log_levels() {
    let home = tempfile::tempdir().expect("tempdir");
    let help = stdout(&vigil(home.path(), &["--help"]));
    for line in ["Exit codes:", "0  ok", "1  a problem found", "2  usage"] {
        assert!(help.contains(line), "--help lacks {line:?}:\n{help}");
    }
    assert!(
        help.contains("[possible values: error, warn, info, debug, trace]"),
        "{help}"
    );
    // --log-level is global: a subcommand takes it after its name.
    let help = stdout(&vigil(home.path(), &["doctor", "--help"]));
    assert!(help.contains("--log-level"), "{help}");
}

#[test]
fn a_bad_log_level_is_a_usage_error() {
    let home = tempfile::tempdir().expect("tempdir");
    for args in [
        &["--log-level", "loud", "check-config"][..],
        &["check-config", "--log-level", "loud"][..],
    ] {
        let out = vigil(home.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        let err = stderr(&out);
        assert!(
            err.contains("invalid value 'loud' for '--log-level <LOG_LEVEL>'"),
            "{err}"
        );
        assert!(err.contains("possible values: error, warn, info"), "{err}");
    }
    // A good level after the subcommand is taken.
    let site = home.path().join("site.toml");
    std::fs::write(&site, "schema_version = 1\n").expect("write");
    let site_arg = site.to_string_lossy().into_owned();
    let out = vigil(
        home.path(),
        &["check-config", &site_arg, "--log-level", "debug"],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

#[test]
fn exit_codes_are_as_documented() {
    let home = tempfile::tempdir().expect("tempdir");
    let site = home.path().join("broken.toml");
    std::fs::write(&site, "schema_version = 1\nnot valid toml [\n").expect("write");
    let site_arg = site.to_string_lossy().into_owned();
    let out = vigil(home.path(), &["check-config", &site_arg]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        stdout(&out).contains("2:"),
        "the error names its line: {out:?}"
    );

    let good = home.path().join("site.toml");
    std::fs::write(&good, "schema_version = 1\n").expect("write");
    let good_arg = good.to_string_lossy().into_owned();
    let out = vigil(home.path(), &["check-config", &good_arg]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");

    let out = vigil(home.path(), &["check-config", "--no-such-option"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}
