//! The environment variables Vigil reads and its exit codes, as the command line
//! documents them: one table of the variables ([`VARIABLES`]), one of which command
//! reads which ([`READS`]), and each command's `--help` tail. The top-level `--help`
//! and the man pages' ENVIRONMENT and EXIT STATUS sections are made from the tables;
//! `tests/cli.rs` checks every command's `--help` against [`READS`], and the test
//! below checks that every `VIGIL_*` variable named in the sources is in [`VARIABLES`].
//!
//! Must not: read the environment (the crates that use a variable read it).

/// An environment variable and what it does.
#[derive(Clone, Copy, Debug)]
pub struct EnvVar {
    pub name: &'static str,
    pub meaning: &'static str,
}

/// The camera password variable, `<ID>` being the camera id (upper case, `-` as `_`).
pub const CAMERA_PASSWORD: &str = "VIGIL_CAMERA_<ID>_PASSWORD";

/// The ONVIF password variable of `vigil onvif inspect`.
pub const ONVIF_PASSWORD: &str = "VIGIL_ONVIF_PASSWORD";

/// Every environment variable Vigil reads, in the order the help lists them.
pub const VARIABLES: &[EnvVar] = &[
    EnvVar {
        name: vigil_config::CONFIG_DIR_ENV,
        meaning: "Config directory (site file, credentials) instead of $XDG_CONFIG_HOME/vigil",
    },
    EnvVar {
        name: vigil_config::DATA_DIR_ENV,
        meaning: "Data directory (logs, recordings, snapshots) instead of $XDG_DATA_HOME/vigil",
    },
    EnvVar {
        name: "VIGIL_DEMO_DIR",
        meaning: "Folder of the demo site's clips instead of the installed ones",
    },
    EnvVar {
        name: "VIGIL_FFMPEG_LOG",
        meaning: "FFmpeg's own log level (error, warning, info, verbose, debug, trace; any other value: info); its lines are redacted and go to the log (only fatal ones otherwise)",
    },
    EnvVar {
        name: "VIGIL_HWACCEL",
        meaning: "'off' never tries hardware video decoders (as --software-decoding)",
    },
    EnvVar {
        name: CAMERA_PASSWORD,
        meaning: "Password of camera <ID> (upper case, '-' as '_'); wins over the credentials file",
    },
    EnvVar {
        name: ONVIF_PASSWORD,
        meaning: "Password for `vigil onvif inspect --user` (asked on the terminal otherwise; never an option)",
    },
    EnvVar {
        name: "VIGIL_VAULT_PASSPHRASE",
        meaning: "Passphrase of the encrypted credential vault (when the OS keyring is not used); never give it as an argument",
    },
    EnvVar {
        name: "VIGIL_ROLE_PASSWORD",
        meaning: "The password `vigil roles set-password` stores (hashed) instead of asking for it",
    },
    EnvVar {
        name: "WGPU_BACKEND",
        meaning: "The wgpu backends to try (vulkan, gl, ...) instead of all of them",
    },
    EnvVar {
        name: "RUST_LOG",
        meaning: "Log filter (tracing EnvFilter syntax); overrides --log-level and --quiet",
    },
];

/// Which command reads which variables: the command's words after `vigil` (none for
/// the window), and the variables its `--help` must name. Keep it in step with the
/// code that reads them (`grep -rn 'VIGIL_\|env::var' src crates`).
pub const READS: &[(&[&str], &[&str])] = &[
    (
        &[],
        &[
            "VIGIL_CONFIG_DIR",
            "VIGIL_DATA_DIR",
            "VIGIL_DEMO_DIR",
            "VIGIL_FFMPEG_LOG",
            "VIGIL_HWACCEL",
            CAMERA_PASSWORD,
            ONVIF_PASSWORD,
            "VIGIL_VAULT_PASSPHRASE",
            "VIGIL_ROLE_PASSWORD",
            "WGPU_BACKEND",
            "RUST_LOG",
        ],
    ),
    (&["check-config"], &["VIGIL_CONFIG_DIR", "VIGIL_DATA_DIR"]),
    (&["compliance", "classify"], &["VIGIL_CONFIG_DIR"]),
    (&["compliance", "report"], &["VIGIL_CONFIG_DIR"]),
    (
        &["doctor"],
        &[
            "VIGIL_CONFIG_DIR",
            "VIGIL_DATA_DIR",
            "VIGIL_DEMO_DIR",
            "VIGIL_FFMPEG_LOG",
            "VIGIL_HWACCEL",
            "VIGIL_VAULT_PASSPHRASE",
            "WGPU_BACKEND",
        ],
    ),
    (
        &["bench", "live"],
        &[
            "VIGIL_CONFIG_DIR",
            "VIGIL_FFMPEG_LOG",
            "VIGIL_HWACCEL",
            CAMERA_PASSWORD,
            "VIGIL_VAULT_PASSPHRASE",
            "RUST_LOG",
        ],
    ),
    (&["bench", "scrub"], &["VIGIL_HWACCEL", "RUST_LOG"]),
    (
        &["bench", "wall"],
        &[
            "VIGIL_CONFIG_DIR",
            "VIGIL_DATA_DIR",
            CAMERA_PASSWORD,
            "VIGIL_FFMPEG_LOG",
            "VIGIL_HWACCEL",
            "WGPU_BACKEND",
            "RUST_LOG",
        ],
    ),
    (&["bench", "timeline"], &["RUST_LOG"]),
    (
        &["archive", "record"],
        &[
            "VIGIL_DATA_DIR",
            "VIGIL_CONFIG_DIR",
            "VIGIL_FFMPEG_LOG",
            CAMERA_PASSWORD,
            "VIGIL_VAULT_PASSPHRASE",
            "RUST_LOG",
        ],
    ),
    (
        &["credentials", "migrate"],
        &[
            "VIGIL_CONFIG_DIR",
            "VIGIL_DATA_DIR",
            "VIGIL_VAULT_PASSPHRASE",
            "RUST_LOG",
        ],
    ),
    (&["archive", "seed"], &["RUST_LOG"]),
    (
        &["archive", "list"],
        &["VIGIL_CONFIG_DIR", "VIGIL_DATA_DIR", "RUST_LOG"],
    ),
    (&["verify"], &["RUST_LOG"]),
    (
        &["onvif", "inspect"],
        &[ONVIF_PASSWORD, "VIGIL_HWACCEL", "RUST_LOG"],
    ),
    (
        &["audit", "verify"],
        &["VIGIL_CONFIG_DIR", "VIGIL_DATA_DIR"],
    ),
    (
        &["audit", "export"],
        &["VIGIL_CONFIG_DIR", "VIGIL_DATA_DIR"],
    ),
    (
        &["roles", "set-password"],
        &["VIGIL_CONFIG_DIR", "VIGIL_DATA_DIR", "VIGIL_ROLE_PASSWORD"],
    ),
    (&["detect"], &["VIGIL_FFMPEG_LOG", "RUST_LOG"]),
    (&["discover"], &["RUST_LOG"]),
    (
        &["export"],
        &[
            "VIGIL_DATA_DIR",
            "VIGIL_CONFIG_DIR",
            "VIGIL_FFMPEG_LOG",
            "RUST_LOG",
        ],
    ),
];

/// An exit code and when Vigil returns it.
pub const EXIT_CODES: &[(u8, &str)] = &[
    (0, "ok"),
    (
        1,
        "a problem found (doctor, check-config, verify) or the command failed",
    ),
    (2, "usage: unknown option, bad value"),
];

/// The variables `command` (words after `vigil`) and its subcommands read, in
/// [`VARIABLES`] order.
pub fn read_by(command: &[&str]) -> Vec<EnvVar> {
    VARIABLES
        .iter()
        .filter(|var| {
            READS
                .iter()
                .any(|(path, vars)| path.starts_with(command) && vars.contains(&var.name))
        })
        .copied()
        .collect()
}

/// The top-level `--help` tail: every variable and the exit codes.
pub fn top_after_help() -> String {
    const INDENT: usize = 21;
    let mut text = String::from("Environment:\n");
    for var in VARIABLES {
        text.push_str(&format!("  {}", var.name));
        let mut column = 2 + var.name.len();
        if column >= INDENT - 1 {
            text.push('\n');
            column = 0;
        }
        // Wrap the meaning at 80 columns, continuation lines under its start.
        let mut first = true;
        for word in var.meaning.split(' ') {
            if first {
                text.push_str(&" ".repeat(INDENT - column));
                column = INDENT;
            } else if column + 1 + word.len() > 80 {
                text.push('\n');
                text.push_str(&" ".repeat(INDENT));
                column = INDENT;
            } else {
                text.push(' ');
                column += 1;
            }
            text.push_str(word);
            column += word.len();
            first = false;
        }
        text.push('\n');
    }
    text.push_str("\nExit codes:\n");
    for (code, meaning) in EXIT_CODES {
        text.push_str(&format!("  {code}  {meaning}\n"));
    }
    text.truncate(text.trim_end().len());
    text
}

pub const CHECK_CONFIG_AFTER_HELP: &str = "\
Environment:
  VIGIL_CONFIG_DIR   Config directory, where the default site file (site.toml) is
  VIGIL_DATA_DIR     Data directory (looked up with the config directory)

Exit codes: 0 the site file loads, 1 it does not (the problem is printed), 2 usage.";

pub const DOCTOR_AFTER_HELP: &str = "\
Environment:
  VIGIL_CONFIG_DIR   Config directory checked
  VIGIL_DATA_DIR     Data directory and recording storage checked
  VIGIL_DEMO_DIR     Folder of the demo clips checked
  VIGIL_FFMPEG_LOG   FFmpeg's own log level for the device probes (redacted, stderr)
  VIGIL_HWACCEL      'off' reports hardware decoding as disabled
  VIGIL_VAULT_PASSPHRASE
                     With it, the credential vault is opened to check it (never asked)
  WGPU_BACKEND       The wgpu backends probed (as for the window)

Exit codes: 0 Vigil has what it needs, 1 something needed is missing, 2 usage.";

pub const BENCH_LIVE_AFTER_HELP: &str = "\
Environment:
  VIGIL_CONFIG_DIR   Config directory, where credentials.toml is
  VIGIL_CAMERA_<ID>_PASSWORD
                     Password of the input with camera id <ID> (see --camera-id);
                     wins over the OS keyring, the vault and credentials.toml
  VIGIL_VAULT_PASSPHRASE
                     Passphrase of the credential vault, when passwords are kept there
  VIGIL_FFMPEG_LOG   FFmpeg's own log level (redacted, to the log)
  VIGIL_HWACCEL      'off' never tries hardware video decoders
  RUST_LOG           Log filter; overrides --log-level (default warn)";

pub const BENCH_WALL_AFTER_HELP: &str = "\
Needs a display (Xvfb in CI). Nothing is recorded and the site file is not changed.

Environment:
  VIGIL_CONFIG_DIR   Config directory, where the credentials file is
  VIGIL_DATA_DIR     Data directory (looked up with the config directory)
  VIGIL_CAMERA_<ID>_PASSWORD  A camera's password (overrides the credentials file)
  VIGIL_FFMPEG_LOG   When set, FFmpeg's own log goes to stderr
  VIGIL_HWACCEL      'off' never tries hardware video decoders
  WGPU_BACKEND       Which wgpu backends to try (as for the window)
  RUST_LOG           Log filter; overrides --log-level (default warn)";

pub const BENCH_SCRUB_AFTER_HELP: &str = "\
Progress goes to stderr: a bar on a terminal, else lines such as
`progress bench-scrub-seeks 37/200` (none with --quiet).

Environment:
  VIGIL_HWACCEL      'off' never tries hardware video decoders
  RUST_LOG           Log filter; overrides --log-level (default warn)";

pub const BENCH_TIMELINE_AFTER_HELP: &str = "\
Progress goes to stderr: a bar on a terminal, else lines such as
`progress bench-timeline 7/21` (none with --quiet).

Environment:
  RUST_LOG           Log filter; overrides --log-level (default warn)";

pub const ARCHIVE_RECORD_AFTER_HELP: &str = "\
Environment:
  VIGIL_DATA_DIR     Without --storage, recordings go to its `recordings` folder
  VIGIL_CONFIG_DIR   Config directory, where credentials.toml is
  VIGIL_CAMERA_<ID>_PASSWORD
                     Password of the camera (upper case, '-' as '_'); wins over
                     the OS keyring, the vault and credentials.toml
  VIGIL_VAULT_PASSPHRASE
                     Passphrase of the credential vault, when passwords are kept there
  VIGIL_FFMPEG_LOG   FFmpeg's own log level (redacted, to the log)
  RUST_LOG           Log filter; overrides --log-level";

pub const CREDENTIALS_MIGRATE_AFTER_HELP: &str = "\
Where passwords go: --to, else the site file's [credentials] store (auto: the OS
keyring when its service answers, else the vault credentials.vault in the config
directory). Each password is stored and read back before credentials.toml is rewritten
(atomically) without it; no plain-text copy is kept. See docs/credentials.md.

Environment:
  VIGIL_CONFIG_DIR   Config directory: credentials.toml, credentials.vault, site.toml
  VIGIL_DATA_DIR     Data directory (looked up with the config directory)
  VIGIL_VAULT_PASSPHRASE
                     Passphrase of the vault; without it Vigil asks on the terminal
  RUST_LOG           Log filter; overrides --log-level

Exit codes: 0 done (or nothing to move), 1 a password could not be moved (the file
is unchanged), 2 usage.";

pub const ARCHIVE_SEED_AFTER_HELP: &str = "\
Progress goes to stderr: a bar on a terminal, else lines such as
`progress archive-seed 37/120` (none with --quiet).

Environment:
  RUST_LOG           Log filter; overrides --log-level";

pub const ARCHIVE_LIST_AFTER_HELP: &str = "\
Names come from the site file (--config, or the default one) when it loads; else the
id is shown again.

Environment:
  VIGIL_CONFIG_DIR   Config directory, where the default site file is
  VIGIL_DATA_DIR     Data directory (looked up with the config directory)
  RUST_LOG           Log filter; overrides --log-level";

pub const DETECT_AFTER_HELP: &str = "\
The JSON holds `events` (each with `kind`: motion, tamper_blocked, tamper_defocus or
tamper_moved, and `start_secs`, `end_secs` in media time) and `timing` (decode and
detection milliseconds per frame in the same run). The settings file's keys and the
algorithm are described in docs/detection.md.

Environment:
  VIGIL_FFMPEG_LOG   When set, FFmpeg's own log goes to stderr
  RUST_LOG           Log filter; overrides --log-level

Exit codes: 0 detection ran (with or without events), 1 it could not (the reason is
printed), 2 usage.";

pub const DISCOVER_AFTER_HELP: &str = "\
A WS-Discovery Probe goes to 239.255.255.250:3702 out of each interface; devices answer
to this machine (unicast UDP: a firewall must let the replies in). At most 256 devices
and 4096 replies are read; malformed replies are counted and skipped. The JSON holds
`devices` (each with `address`, `endpoint`, `xaddrs`, `name`, `hardware`, `scopes`,
`types`), `malformed`, `ignored`, `truncated`, `interfaces` and `seconds`
(docs/discovery.md).

Environment:
  RUST_LOG           Log filter; overrides --log-level (debug lists skipped replies)

Exit codes: 0 the probe ran (with or without devices), 1 it could not (no usable
interface, no socket; the reason is printed), 2 usage.";
pub const ONVIF_INSPECT_AFTER_HELP: &str = "\
The JSON holds `device` (manufacturer, model, firmware, serial, hardware_id, mac),
`profiles` (token, name, codec, width, height, fps, gop, bitrate_kbps, ptz,
stream_uri), `snapshot_uri`, `proposal` (main and sub profile tokens: the highest
resolution and the smallest one below it), `warnings` and `clock_offset_secs`. Stream
URIs never carry credentials. See docs/onvif.md.

Environment:
  VIGIL_ONVIF_PASSWORD  The password for --user; without it, asked on the terminal
  VIGIL_HWACCEL      'off': H.265 is reported as having no hardware decoder
  RUST_LOG           Log filter; overrides --log-level

Exit codes: 0 the device answered, 1 it did not (the host, the call and the reason
are printed), 2 usage.";

pub const EXPORT_AFTER_HELP: &str = "\
Each MP4 starts at the keyframe at or before --from; the manifest records how many
seconds into it the requested start lies. The bundle is written to a hidden folder
beside BUNDLE and renamed at the end: a failed or cancelled (Ctrl-C) export leaves
nothing. Progress goes to stderr: a bar on a terminal, else lines such as
`progress export 3/12` (none with --quiet).

Environment:
  VIGIL_DATA_DIR     Data directory holding the signing key (made on first use)
  VIGIL_CONFIG_DIR   Config directory, where the default site file (camera names) is
  VIGIL_FFMPEG_LOG   When set, FFmpeg's own log goes to stderr
  RUST_LOG           Log filter; overrides --log-level

Exit codes: 0 the bundle is written, 1 it is not (the reason is printed), 2 usage.";

pub const VERIFY_AFTER_HELP: &str = "\
Without Vigil: `sha256sum -c SHA256SUMS` and `openssl pkeyutl -verify -pubin -inkey
public_key.pem -rawin -in manifest.json -sigfile manifest.sig` (docs/evidence.md).

Environment:
  RUST_LOG           Log filter; overrides --log-level

Exit codes: 0 the signature and every file match, 1 something does not (each problem
is printed: the file, expected against found), 2 usage.";

pub const AUDIT_VERIFY_AFTER_HELP: &str = "\
Each entry's SHA-256 covers its fields and the previous entry's hash: an entry changed
or removed by hand breaks the chain there. Write the printed head hash down elsewhere
to detect a rewrite of the whole trail (docs/audit.md). The index is opened read only.

Environment:
  VIGIL_CONFIG_DIR   Config directory, where the default site file (storage) is
  VIGIL_DATA_DIR     Data directory, whose `recordings` folder is the default storage

Exit codes: 0 the chain is intact, 1 it is broken (the first broken entry is named)
or cannot be read, 2 usage.";

pub const AUDIT_EXPORT_AFTER_HELP: &str = "\
Columns: id, time (UTC, RFC 3339), operator, role, action, target, details, prev_hash,
hash. The index is opened read only.

Environment:
  VIGIL_CONFIG_DIR   Config directory, where the default site file (storage) is
  VIGIL_DATA_DIR     Data directory, whose `recordings` folder is the default storage

Exit codes: 0 the CSV is written, 1 it is not (the reason is printed), 2 usage.";

pub const COMPLIANCE_CLASSIFY_AFTER_HELP: &str = "\
Status: restricted_vendor, possible_relabel, no_signal_found or unknown; never \"clear\".
A restricted OUI under any name is restricted_vendor; a locally administered MAC, or
none, with nothing else found is unknown. Not legal advice (docs/compliance.md).

Environment:
  VIGIL_CONFIG_DIR   Config directory, where restricted-vendors.toml replaces the
                     built-in rules

Exit codes: 0 the JSON is printed, 1 the rules do not load, 2 usage (a malformed MAC).";

pub const COMPLIANCE_REPORT_AFTER_HELP: &str = "\
CSV columns: camera_id, name, manufacturer, model, firmware, serial, hardware_id, mac,
address, streams, status, evidence, warnings, rules_version, rules_date, generated
(RFC 4180; cells starting with =, +, - or @ get a leading '). The HTML report has the
date, the rules version and the evidence per camera, every device text escaped.

Environment:
  VIGIL_CONFIG_DIR   Config directory: the default site file, and restricted-vendors.toml

Exit codes: 0 the files are written, 1 they are not (the reason is printed), 2 usage.";

pub const ROLES_SET_PASSWORD_AFTER_HELP: &str = "\
A role is reached with its own password or that of a role above it; with no role
password at all the app runs in single-user mode (docs/roles.md).

Environment:
  VIGIL_CONFIG_DIR     Config directory, where the default site file is (or --config)
  VIGIL_DATA_DIR       Data directory (looked up with the config directory)
  VIGIL_ROLE_PASSWORD  The password to store; without it Vigil asks (twice, not echoed)

Exit codes: 0 the hash is saved, 1 it is not (the reason is printed), 2 usage.";

#[cfg(test)]
mod tests {
    use super::*;

    /// The `VIGIL_*` names quoted in `text`'s string literals ("VIGIL_" prefixes and
    /// format strings such as "VIGIL_CAMERA_{id}_PASSWORD" included).
    fn quoted_names(text: &str) -> Vec<String> {
        text.match_indices("\"VIGIL_")
            .filter_map(|(at, _)| {
                let rest = &text[at + 1..];
                let end = rest.find('"')?;
                Some(rest[..end].to_owned())
            })
            .collect()
    }

    /// Whether `name` (as quoted in the code) is one of [`VARIABLES`].
    fn documented(name: &str) -> bool {
        if name == "VIGIL_" {
            return true; // a prefix test, not a variable
        }
        let camera = name.starts_with("VIGIL_CAMERA_") && name.ends_with("_PASSWORD");
        VARIABLES
            .iter()
            .any(|v| v.name == name || (camera && v.name == CAMERA_PASSWORD))
    }

    fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// A new `VIGIL_*` variable read anywhere in the workspace must be documented.
    #[test]
    fn every_variable_in_the_sources_is_documented() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        rust_files(&root.join("src"), &mut files);
        for krate in std::fs::read_dir(root.join("crates"))
            .expect("crates")
            .flatten()
        {
            let src = krate.path().join("src");
            if src.is_dir() {
                rust_files(&src, &mut files);
            }
        }
        assert!(files.len() > 20, "found only {files:?}");
        let mut found = 0;
        let mut missing = Vec::new();
        for file in &files {
            // Tests' own variables (a child process's marker) are not Vigil's: skip
            // test files and the test module that ends a file.
            let name = file.file_name().expect("name").to_string_lossy();
            if name == "tests.rs" || name.ends_with("_tests.rs") {
                continue;
            }
            let text = std::fs::read_to_string(file).expect("read");
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for name in quoted_names(code) {
                found += 1;
                if !documented(&name) {
                    missing.push(format!("{}: {name}", file.display()));
                }
            }
        }
        assert!(found >= 5, "the scan found only {found} names");
        assert!(missing.is_empty(), "not in VARIABLES: {missing:?}");
    }

    #[test]
    fn the_scan_sees_a_new_variable() {
        let names = quoted_names(r#"std::env::var_os("VIGIL_NEW_THING"); x("VIGIL_")"#);
        assert_eq!(names, ["VIGIL_NEW_THING", "VIGIL_"]);
        assert!(!documented("VIGIL_NEW_THING"));
        assert!(documented("VIGIL_CAMERA_LOBBY_PASSWORD"));
    }

    /// The tables agree: the window's entry names every variable, and every name in
    /// [`READS`] is one of [`VARIABLES`].
    #[test]
    fn the_tables_agree() {
        let all: Vec<&str> = VARIABLES.iter().map(|v| v.name).collect();
        let (_, top) = READS.iter().find(|(p, _)| p.is_empty()).expect("top");
        assert_eq!(*top, all.as_slice());
        for (path, vars) in READS {
            for var in *vars {
                assert!(all.contains(var), "{path:?} reads unknown {var}");
            }
        }
        let bench: Vec<&str> = read_by(&["bench"]).iter().map(|v| v.name).collect();
        assert_eq!(
            bench,
            [
                "VIGIL_CONFIG_DIR",
                "VIGIL_DATA_DIR",
                "VIGIL_FFMPEG_LOG",
                "VIGIL_HWACCEL",
                CAMERA_PASSWORD,
                "VIGIL_VAULT_PASSPHRASE",
                "WGPU_BACKEND",
                "RUST_LOG"
            ],
            "the union over bench live, scrub, timeline and wall, in the help's order"
        );
    }

    #[test]
    fn the_top_help_lists_every_variable_and_exit_code() {
        let text = top_after_help();
        let words: Vec<&str> = text.split_whitespace().collect();
        for var in VARIABLES {
            assert!(text.contains(var.name), "{text}");
            let meaning: Vec<&str> = var.meaning.split_whitespace().collect();
            assert!(
                words
                    .windows(meaning.len())
                    .any(|w| w == meaning.as_slice()),
                "{} in {text}",
                var.meaning
            );
        }
        assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
        for line in ["Exit codes:", "0  ok", "1  a problem found", "2  usage"] {
            assert!(text.contains(line), "{text}");
        }
    }
}
