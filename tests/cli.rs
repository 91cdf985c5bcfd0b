//! The `vigil` command line as a user runs it: `--version`, `--help` and `doctor`
//! (text and JSON), the man pages and shell completions, on this machine with its
//! config and data in a temporary folder. Needs what the rest of the suite needs
//! (FFmpeg, lavapipe) and, from scripts/deps.sh, man-db, zsh and fish; no display.

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
        "OS keyring: ",
        "passwords in: ",
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

#[test]
fn help_of_every_command_names_the_variables_it_reads() {
    let home = tempfile::tempdir().expect("tempdir");
    // The table sits next to the help texts (src/cli/env.rs).
    for (command, vars) in vigil::cli::env::READS {
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

/// Runs `shell args… FILE` (a syntax check or a load) on `script`, saved to a file.
fn shell_accepts(shell: &str, args: &[&str], script: &[u8]) -> Output {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("vigil-completion");
    std::fs::write(&file, script).expect("write");
    let file_arg = file.to_string_lossy().into_owned();
    let mut all: Vec<&str> = args.to_vec();
    all.push(&file_arg);
    Command::new(shell)
        .args(&all)
        .output()
        .unwrap_or_else(|e| panic!("run {shell} (scripts/deps.sh installs it): {e}"))
}

#[test]
fn completions_load_in_bash_and_parse_in_zsh_and_fish() {
    let home = tempfile::tempdir().expect("tempdir");
    let bash = vigil(home.path(), &["generate", "completions", "--shell", "bash"]);
    assert!(bash.status.success(), "{bash:?}");
    // `bash -c 'source FILE && complete -p vigil'`: the script loads and registers.
    let out = shell_accepts(
        "bash",
        &["-c", "source \"$0\" && complete -p vigil"],
        &bash.stdout,
    );
    assert!(out.status.success(), "{out:?}");
    assert!(stdout(&out).contains("-F _vigil vigil"), "{out:?}");

    let zsh = vigil(home.path(), &["generate", "completions", "--shell", "zsh"]);
    assert!(zsh.status.success(), "{zsh:?}");
    assert!(stdout(&zsh).starts_with("#compdef vigil"), "{zsh:?}");
    let out = shell_accepts("zsh", &["-n"], &zsh.stdout);
    assert!(out.status.success(), "zsh -n: {out:?}");

    let fish = vigil(home.path(), &["generate", "completions", "--shell", "fish"]);
    assert!(fish.status.success(), "{fish:?}");
    let out = shell_accepts("fish", &["--no-execute"], &fish.stdout);
    assert!(out.status.success(), "fish --no-execute: {out:?}");

    let out = vigil(home.path(), &["generate", "completions", "--shell", "tcsh"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn man_pages_render_with_man() {
    let home = tempfile::tempdir().expect("tempdir");
    let dir = home.path().join("man");
    let dir_arg = dir.to_string_lossy().into_owned();
    let out = vigil(home.path(), &["generate", "man", "--out", &dir_arg]);
    assert!(out.status.success(), "{out:?}");
    // `generate` is for packagers: not in --help, not a page.
    assert!(!stdout(&vigil(home.path(), &["--help"])).contains("generate"));
    assert!(!dir.join("vigil-generate.1").exists());
    for (page, wants) in [
        (
            "vigil.1",
            &[
                "EXIT STATUS",
                "ENVIRONMENT",
                "VIGIL_CAMERA_<ID>_PASSWORD",
                "--quiet",
            ][..],
        ),
        (
            "vigil-doctor.1",
            &["EXIT STATUS", "VIGIL_DEMO_DIR", "--json"][..],
        ),
        ("vigil-bench-scrub.1", &["EXIT STATUS", "--seeks"][..]),
    ] {
        let out = Command::new("man")
            .arg("-l")
            .arg(dir.join(page))
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "200")
            .output()
            .expect("run man (scripts/deps.sh installs man-db)");
        assert!(out.status.success(), "{page}: {out:?}");
        let text = stdout(&out);
        for want in wants {
            assert!(text.contains(want), "{page} lacks {want}:\n{text}");
        }
    }
}
