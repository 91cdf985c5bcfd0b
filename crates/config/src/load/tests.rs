//! Unit tests for `load`: error positions and messages for bad site files.
//! Must not: depend on files outside a temporary directory.

use super::*;
use crate::site::Transport;
use std::path::PathBuf;

const SPEC_EXAMPLE: &str = r#"schema_version = 1
name = "Main site"

[[cameras]]
id = "lobby"
name = "Lobby"
source = "rtsp://10.0.0.5:554/Streaming/Channels/101"
transport = "tcp"
username = "admin"
enabled = true

[[cameras]]
id = "yard"
name = "Yard"
source = "/srv/demo/yard.mp4"
loop_file = true

[[cameras]]
id = "gate"
name = "Gate"
source = "rtsps://[fe80::2]:322/live"
transport = "udp"

[[layouts]]
name = "Entrance"
kind = "custom"
cols = 3
rows = 3
tiles = [ {col=0,row=0,w=2,h=2,camera="lobby"}, {col=2,row=0,camera="yard"} ]

[wall]
layout = "2x2"
assignment = ["lobby", "yard", "", "gate"]
show_stats = false
"#;

fn path() -> PathBuf {
    PathBuf::from("/home/u/.config/vigil/site.toml")
}

fn parse_err(text: &str) -> ConfigError {
    parse_site(&path(), text).expect_err("should fail")
}

fn location(err: &ConfigError) -> Option<LineCol> {
    match err {
        ConfigError::Syntax { location, .. } | ConfigError::NewerSchema { location, .. } => {
            *location
        }
        ConfigError::Invalid { issues, .. } => issues.first().and_then(|i| i.location),
        _ => None,
    }
}

fn lc(line: usize, column: usize) -> Option<LineCol> {
    Some(LineCol { line, column })
}

#[test]
fn spec_example_loads() {
    let site = parse_site(&path(), SPEC_EXAMPLE).expect("valid");
    assert_eq!(site.name, "Main site");
    assert_eq!(site.cameras.len(), 3);
    assert_eq!(site.cameras[0].username.as_deref(), Some("admin"));
    assert_eq!(site.cameras[2].transport, Transport::Udp);
    assert_eq!(site.layouts[0].tiles[1].w, 1);
    assert_eq!(site.wall.assignment[3], Some("gate".into()));
}

#[test]
fn syntax_error_reports_line_and_column() {
    for n in [1usize, 2, 5, 17] {
        let mut text = String::from("schema_version = 1\n");
        text.push_str(&"# comment\n".repeat(n.saturating_sub(2)));
        if n == 1 {
            text = String::new();
        }
        text.push_str("name = \"unterminated\n");
        let err = parse_err(&text);
        assert!(matches!(err, ConfigError::Syntax { .. }), "{err}");
        let loc = location(&err).expect("location");
        assert_eq!(loc.line, n.max(1), "{err}");
        assert!(
            err.to_string()
                .starts_with(&format!("/home/u/.config/vigil/site.toml:{}:", loc.line)),
            "{err}"
        );
    }
    let err = parse_err("schema_version = 1\n\nname = = \"x\"\n");
    assert_eq!(location(&err).map(|l| l.line), Some(3), "{err}");
}

#[test]
fn unknown_key_names_key_and_line() {
    let text = SPEC_EXAMPLE.replace("transport = \"udp\"", "trasport = \"udp\"");
    let err = parse_err(&text);
    let msg = err.to_string();
    assert!(msg.contains("unknown field `trasport`"), "{msg}");
    assert!(msg.contains("expected one of"), "{msg}");
    assert_eq!(location(&err), lc(22, 1), "{msg}");
    assert!(
        msg.starts_with("/home/u/.config/vigil/site.toml:22:1: unknown field `trasport`"),
        "{msg}"
    );

    let err = parse_err("schema_version = 1\n[wall]\nlayuot = \"2x2\"\n");
    assert!(err.to_string().contains("`layuot`"));
    assert_eq!(location(&err), lc(3, 1));
    let err = parse_err("schema_version = 1\ncolour = 1\n");
    assert_eq!(location(&err), lc(2, 1), "{err}");
}

#[test]
fn wrong_type_is_reported_with_position() {
    let err = parse_err("schema_version = 1\nname = 5\n");
    let msg = err.to_string();
    assert!(
        msg.contains("invalid type") && msg.contains("string"),
        "{msg}"
    );
    assert_eq!(location(&err), lc(2, 8));
    let text = SPEC_EXAMPLE.replace("cols = 3", "cols = \"3\"");
    let err = parse_err(&text);
    assert_eq!(location(&err).map(|l| l.line), Some(27), "{err}");
    let text = SPEC_EXAMPLE.replace("transport = \"tcp\"", "transport = \"quic\"");
    let err = parse_err(&text);
    assert!(err.to_string().contains("quic"), "{err}");
    assert_eq!(location(&err).map(|l| l.line), Some(8), "{err}");
    let err = parse_err("schema_version = \"1\"\n");
    assert_eq!(location(&err).map(|l| l.line), Some(1), "{err}");
}

#[test]
fn newer_schema_version() {
    let err = parse_err("schema_version = 2\nfuture_key = true\n[[holograms]]\nx = 1\n");
    assert!(
        matches!(
            err,
            ConfigError::NewerSchema {
                found: 2,
                supported: 1,
                ..
            }
        ),
        "{err}"
    );
    let msg = err.to_string();
    assert!(msg.contains("written by a newer Vigil"), "{msg}");
    assert!(
        msg.starts_with("/home/u/.config/vigil/site.toml:1:18:"),
        "{msg}"
    );
    let err = parse_err("schema_version = 0\n");
    assert!(
        err.to_string().contains("invalid schema_version 0"),
        "{err}"
    );
    let err = parse_err("name = \"x\"\n");
    assert!(
        err.to_string().contains("missing `schema_version = 1`"),
        "{err}"
    );
}

#[test]
fn empty_file_is_an_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("site.toml");
    std::fs::write(&file, b"").expect("write");
    let err = load_site(&file).expect_err("empty");
    assert!(matches!(err, ConfigError::Empty { .. }));
    assert!(err.to_string().contains("empty site file"), "{err}");
    assert!(matches!(parse_err(" \n\t\n"), ConfigError::Empty { .. }));
}

#[test]
fn read_errors() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let missing = tmp.path().join("nope.toml");
    let err = load_site(&missing).expect_err("missing");
    assert!(matches!(err, ConfigError::Read { .. }));
    assert!(err.to_string().contains("nope.toml"), "{err}");

    let bad_utf8 = tmp.path().join("bin.toml");
    std::fs::write(&bad_utf8, b"schema_version = 1\nname = \"\xff\"\n").expect("write");
    let err = load_site(&bad_utf8).expect_err("utf8");
    assert!(
        matches!(
            err,
            ConfigError::NotUtf8 {
                location: LineCol { line: 2, column: 9 },
                ..
            }
        ),
        "{err}"
    );

    let big = tmp.path().join("big.toml");
    let file = std::fs::File::create(&big).expect("create");
    file.set_len(MAX_SITE_FILE_BYTES + 1).expect("set_len");
    assert!(matches!(load_site(&big), Err(ConfigError::TooLarge { .. })));

    let bom = tmp.path().join("bom.toml");
    std::fs::write(&bom, "\u{feff}schema_version = 1\n").expect("write");
    assert!(load_site(&bom).is_ok());
}

#[test]
fn duplicate_ids_name_the_camera_and_line() {
    let text = SPEC_EXAMPLE.replace("id = \"gate\"", "id = \"lobby\"");
    let err = parse_err(&text);
    let ConfigError::Invalid { issues, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(issues[0].message, "duplicate camera id `lobby`");
    assert_eq!(issues[0].location, lc(19, 6));
    assert!(
        err.to_string()
            .starts_with("/home/u/.config/vigil/site.toml:19:6: duplicate camera id `lobby`")
    );
}

#[test]
fn source_with_credentials_is_rejected_without_leaking() {
    let text = SPEC_EXAMPLE.replace("rtsp://10.0.0.5", "rtsp://admin:Tr0ub4dor%40x@10.0.0.5");
    let err = parse_err(&text);
    let msg = format!("{err} {err:?}");
    assert!(
        msg.contains("camera `lobby`") && msg.contains("credential store"),
        "{msg}"
    );
    assert!(msg.contains(":7:10: "), "{msg}");
    assert!(!msg.contains("Tr0ub4dor"), "{msg}");
    let text = SPEC_EXAMPLE.replace("rtsps://[fe80::2]", "ftp://u:Tr0ub4dor@[fe80::2]");
    let msg = parse_err(&text).to_string();
    assert!(
        msg.contains("unsupported scheme `ftp`") && msg.contains(":21:10: "),
        "{msg}"
    );
    assert!(!msg.contains("Tr0ub4dor"), "{msg}");
}

#[test]
fn toml_messages_are_redacted_too() {
    // A URL inside a wrong-typed value may be echoed by the parser; it must be redacted.
    let err = parse_err("schema_version = 1\n[wall]\nshow_stats = \"rtsp://a:Pw0rd123@h/s\"\n");
    assert!(!format!("{err} {err:?}").contains("Pw0rd123"), "{err}");
}

#[test]
fn semantic_errors_point_at_lines() {
    let text = SPEC_EXAMPLE.replace("layout = \"2x2\"", "layout = \"Exit\"");
    let err = parse_err(&text);
    assert!(err.to_string().contains("unknown layout `Exit`"), "{err}");
    assert_eq!(location(&err), lc(32, 10));

    let text = SPEC_EXAMPLE.replace("\"\", \"gate\"]", "\"\", \"ghost\"]");
    let err = parse_err(&text);
    assert!(err.to_string().contains("unknown camera `ghost`"), "{err}");
    assert_eq!(location(&err), lc(33, 36));

    let text = SPEC_EXAMPLE.replace(
        "{col=2,row=0,camera=\"yard\"}",
        "{col=1,row=1,camera=\"yard\"}",
    );
    let err = parse_err(&text);
    assert!(err.to_string().contains("tile 2 overlaps tile 1"), "{err}");
    assert_eq!(location(&err), lc(29, 49));

    let text = SPEC_EXAMPLE.replace("name = \"Entrance\"", "name = \"3x3\"");
    let err = parse_err(&text);
    assert_eq!(location(&err), lc(25, 8), "{err}");

    let text = SPEC_EXAMPLE.replace("rows = 3", "rows = 9");
    let err = parse_err(&text);
    // The grid-size issue points at `cols`, the line before `rows`.
    assert_eq!(location(&err).map(|l| l.line), Some(27), "{err}");
}

#[test]
fn every_issue_is_reported() {
    let text = SPEC_EXAMPLE
        .replace("id = \"gate\"", "id = \"lobby\"")
        .replace("layout = \"2x2\"", "layout = \"Exit\"");
    let ConfigError::Invalid { issues, .. } = parse_err(&text) else {
        panic!("invalid")
    };
    // Duplicate id, unknown layout, and the assignment's "gate" no longer exists.
    assert_eq!(issues.len(), 3, "{issues:?}");
    let lines: Vec<_> = issues.iter().map(|i| i.location.map(|l| l.line)).collect();
    assert_eq!(lines, [Some(19), Some(32), Some(33)]);
}

const RECORDING_EXAMPLE: &str = r#"schema_version = 1

[storage]
path = "/srv/vigil"
quota_gb = 500.0

[[cameras]]
id = "lobby"
name = "Lobby"
source = "rtsp://10.0.0.5/s"

[cameras.recording]
mode = "continuous"
max_age_days = 30

[[cameras]]
id = "gate"
name = "Gate"
source = "/srv/demo/gate.mp4"

[cameras.recording]
mode = "events"
pre_roll_s = 5
post_roll_s = 10

[[cameras]]
id = "yard"
name = "Yard"
source = "/srv/demo/yard.mp4"
"#;

#[test]
fn recording_settings_load_with_defaults() {
    use crate::{RecordingMode, StorageConfig};
    let site = parse_site(&path(), RECORDING_EXAMPLE).expect("valid");
    assert_eq!(
        site.storage,
        Some(StorageConfig {
            path: Some("/srv/vigil".into()),
            quota_gb: Some(500.0),
        })
    );
    assert_eq!(
        site.storage.as_ref().and_then(StorageConfig::quota_bytes),
        Some(500_000_000_000)
    );
    let lobby = site.cameras[0].recording.as_ref().expect("lobby records");
    assert_eq!(lobby.mode, RecordingMode::Continuous);
    assert_eq!(lobby.max_age_days, Some(30.0));
    assert_eq!((lobby.pre_roll_s, lobby.post_roll_s), (5.0, 10.0));
    assert_eq!(site.cameras[1].recording_mode(), RecordingMode::Events);
    // No table: not recorded.
    assert_eq!(site.cameras[2].recording, None);
    assert_eq!(site.cameras[2].recording_mode(), RecordingMode::Off);
    // A table without a mode records continuously.
    let text = "schema_version = 1\n[[cameras]]\nid = \"a\"\nname = \"A\"\nsource = \"a.mp4\"\n[cameras.recording]\nmax_age_days = 2\n";
    let site = parse_site(&path(), text).expect("valid");
    assert_eq!(site.cameras[0].recording_mode(), RecordingMode::Continuous);
}

#[test]
fn recording_settings_errors_are_located() {
    // A misspelt mode: the parser names the choices, at the value.
    let text = RECORDING_EXAMPLE.replace("mode = \"events\"", "mode = \"motion\"");
    let err = parse_err(&text);
    let msg = err.to_string();
    assert!(msg.contains("unknown variant `motion`"), "{msg}");
    assert!(msg.contains("`off`, `continuous`, `events`"), "{msg}");
    assert_eq!(location(&err), lc(22, 8), "{msg}");
    // An unknown key inside the table.
    let text = RECORDING_EXAMPLE.replace("pre_roll_s = 5", "preroll_s = 5");
    let err = parse_err(&text);
    assert!(
        err.to_string().contains("unknown field `preroll_s`"),
        "{err}"
    );
    assert_eq!(location(&err), lc(23, 1), "{err}");
    let err = parse_err(&RECORDING_EXAMPLE.replace("quota_gb = 500.0", "quota = 500.0"));
    assert_eq!(location(&err), lc(5, 1), "{err}");
    // Semantic errors point at the value.
    let text = RECORDING_EXAMPLE.replace("post_roll_s = 10", "post_roll_s = -3");
    let err = parse_err(&text);
    let msg = err.to_string();
    assert!(
        msg.starts_with("/home/u/.config/vigil/site.toml:24:15: camera `gate`: recording.post_roll_s must be 0 to 3600 seconds (it is -3)"),
        "{msg}"
    );
    let text = RECORDING_EXAMPLE.replace("max_age_days = 30", "max_age_days = 0");
    assert_eq!(location(&parse_err(&text)), lc(14, 16));
    let text = RECORDING_EXAMPLE.replace("quota_gb = 500.0", "quota_gb = -1");
    let err = parse_err(&text);
    assert_eq!(location(&err), lc(5, 12), "{err}");
    assert!(err.to_string().contains("quota_gb must be"), "{err}");
    let text = RECORDING_EXAMPLE.replace("path = \"/srv/vigil\"", "path = \"\"");
    let err = parse_err(&text);
    assert_eq!(location(&err), lc(4, 8), "{err}");
    assert!(err.to_string().contains("storage: path is empty"), "{err}");
    // Wrong type.
    let text = RECORDING_EXAMPLE.replace("max_age_days = 30", "max_age_days = \"30\"");
    assert_eq!(location(&parse_err(&text)).map(|l| l.line), Some(14));
}

/// `rtsp:user:pw@host` and `rtsp:/host` (no `//`) were taken as file paths; they are
/// refused at the source's line:column, without the password.
#[test]
fn sources_without_slashes_are_refused_at_their_position() {
    for source in [
        "rtsp:admin:hunter2@10.0.0.5/s",
        "rtsp:/10.0.0.5/s",
        "rtsps:cam",
    ] {
        let text = format!(
            "schema_version = 1\n\n[[cameras]]\nid = \"lobby\"\nname = \"Lobby\"\nsource = \"{source}\"\n"
        );
        let err = parse_err(&text);
        assert_eq!(
            location(&err),
            Some(LineCol {
                line: 6,
                column: 10
            }),
            "{err}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains("site.toml:6:10: camera `lobby`: `rtsp"),
            "{msg}"
        );
        assert!(msg.contains("is not followed by `//`"), "{msg}");
        assert!(!msg.contains("hunter2"), "{msg}");
    }
}

#[test]
fn retention_below_a_sane_floor_is_refused_at_its_line() {
    let text = "schema_version = 1\n\
        [storage]\n\
        quota_gb = 0.5\n\
        [[cameras]]\n\
        id = \"door\"\n\
        name = \"Door\"\n\
        source = \"rtsp://door/live\"\n\
        [cameras.recording]\n\
        mode = \"continuous\"\n\
        max_age_days = 0.25\n";
    let err = parse_err(text);
    let msg = err.to_string();
    let ConfigError::Invalid { issues, .. } = &err else {
        panic!("{msg}")
    };
    let found: Vec<(Option<LineCol>, &str)> = issues
        .iter()
        .map(|i| (i.location, i.message.as_str()))
        .collect();
    assert!(
        found
            .iter()
            .any(|(at, m)| *at == lc(10, 16) && m.contains("at least 1 day")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(at, m)| *at == lc(3, 12) && m.contains("at least 1 GB")),
        "{found:?}"
    );
    // At the floor: accepted.
    let ok = text
        .replace("quota_gb = 0.5", "quota_gb = 1")
        .replace("max_age_days = 0.25", "max_age_days = 1");
    parse_site(&path(), &ok).expect("1 day and 1 GB are fine");
}

#[test]
fn snapshot_folder_loads_and_its_errors_are_located() {
    let text = "schema_version = 1\n\n[snapshots]\ndir = \"/srv/snapshots\"\n";
    let site = parse_site(&path(), text).expect("valid");
    assert_eq!(
        site.snapshots.and_then(|s| s.dir).as_deref(),
        Some("/srv/snapshots")
    );
    let err = parse_err(&text.replace("/srv/snapshots", "snaps"));
    let msg = err.to_string();
    assert_eq!(location(&err), lc(4, 7), "{msg}");
    assert!(
        msg.starts_with(
            "/home/u/.config/vigil/site.toml:4:7: snapshots: dir `snaps` must be absolute"
        ),
        "{msg}"
    );
    let err = parse_err(&text.replace("dir =", "folder ="));
    assert!(err.to_string().contains("unknown field `folder`"), "{err}");
    assert_eq!(location(&err), lc(4, 1), "{err}");
}

#[test]
fn credentials_store_is_read_and_a_bad_one_is_located() {
    let text = "schema_version = 1\n\n[credentials]\nstore = \"vault\"\n";
    let site = parse_site(&path(), text).expect("valid");
    assert_eq!(site.password_store(), crate::PasswordStoreKind::Vault);
    let site = parse_site(&path(), "schema_version = 1\n").expect("valid");
    assert_eq!(site.password_store(), crate::PasswordStoreKind::Auto);
    let err = parse_err("schema_version = 1\n\n[credentials]\nstore = \"plain\"\n");
    let msg = err.to_string();
    assert!(msg.contains("unknown variant `plain`"), "{msg}");
    assert!(msg.contains("`auto`, `keyring`, `vault`, `file`"), "{msg}");
    assert_eq!(location(&err), lc(4, 9), "{msg}");
    let err = parse_err("schema_version = 1\n\n[credentials]\nstor = \"vault\"\n");
    assert!(err.to_string().contains("unknown field `stor`"), "{err}");
    assert_eq!(location(&err), lc(4, 1), "{err}");
}

#[test]
fn detection_settings_load_and_errors_are_located() {
    let text = "schema_version = 1\n[[cameras]]\nid = \"a\"\nname = \"A\"\nsource = \"a.mp4\"\n[cameras.detection]\nsensitivity = 0.7\ntamper = false\n[[cameras.detection.zones]]\nkind = \"exclude\"\nrect = [0.0, 0.0, 0.5, 0.5]\n";
    let site = parse_site(&path(), text).expect("valid");
    let detection = site.cameras[0].detection.as_ref().expect("detection");
    assert!((detection.sensitivity - 0.7).abs() < 1e-6);
    assert!(!detection.tamper && detection.motion);
    assert_eq!(detection.zones.len(), 1);
    // Absent: nothing detected.
    let plain = "schema_version = 1\n[[cameras]]\nid = \"a\"\nname = \"A\"\nsource = \"a.mp4\"\n";
    assert_eq!(
        parse_site(&path(), plain).expect("valid").cameras[0].detection,
        None
    );
    // A value out of range points at it, with the site file's wording.
    let err = parse_err(&text.replace("sensitivity = 0.7", "sensitivity = 1.5"));
    assert_eq!(location(&err), lc(7, 15), "{err}");
    assert!(
        err.to_string()
            .contains("camera `a`: detection: sensitivity = 1.5 is out of range"),
        "{err}"
    );
    // An unknown key is refused at the key.
    let err = parse_err(&text.replace("tamper = false", "tamperr = false"));
    assert!(err.to_string().contains("unknown field `tamperr`"), "{err}");
    assert_eq!(location(&err).map(|l| l.line), Some(8), "{err}");
    // Alert rules name a kind; an unknown kind is refused.
    let rules =
        format!("{text}[cameras.alerts.motion]\nseverity = \"critical\"\naction = \"log\"\n");
    let ruled = parse_site(&path(), &rules).expect("valid rules");
    let rule = ruled.cameras[0].alerts["motion"];
    assert_eq!(rule.severity, Some(crate::AlertSeverity::Critical));
    assert_eq!(rule.action, Some(crate::AlertAction::Log));
    let err = parse_err(&rules.replace("alerts.motion", "alerts.motoin"));
    assert!(
        err.to_string()
            .contains("alerts.motoin: no such event kind"),
        "{err}"
    );
    // Written back, it reads the same.
    let written = toml::to_string(&site).expect("serialise");
    let again = parse_site(&path(), &written).expect("round trip");
    assert_eq!(again.cameras[0].detection, site.cameras[0].detection);
}

const WALL_WINDOW: &str = r#"
[[wall_windows]]
name = "Monitor 2"
layout = "Entrance"
assignment = ["gate", ""]

[wall_windows.window]
x = 1920.0
y = 0.0
width = 1280.0
height = 720.0
fullscreen = true
monitor_width = 1920.0
monitor_height = 1080.0
"#;

#[test]
fn wall_windows_round_trip() {
    let text = format!("{SPEC_EXAMPLE}{WALL_WINDOW}");
    let site = parse_site(&path(), &text).expect("valid wall window");
    let window = site.wall_window("Monitor 2").expect("loaded");
    assert_eq!(window.layout, "Entrance");
    assert_eq!(window.assignment, [Some("gate".into()), None]);
    let placement = window.window.expect("placement");
    assert_eq!((placement.x, placement.width), (1920.0, 1280.0));
    assert!(placement.fullscreen && !placement.maximized);
    assert_eq!(placement.monitor_height, Some(1080.0));
    let written = crate::site_to_toml(&site).expect("serialise");
    let again = parse_site(&path(), &written).expect("round trip");
    assert_eq!(again, site);
    // A site without extra windows writes no `wall_windows` at all.
    let plain = parse_site(&path(), SPEC_EXAMPLE).expect("valid");
    assert!(plain.wall_windows.is_empty());
    assert!(
        !crate::site_to_toml(&plain)
            .expect("serialise")
            .contains("wall_windows")
    );
}

#[test]
fn wall_window_errors_name_the_window_and_line() {
    let base = format!("{SPEC_EXAMPLE}{WALL_WINDOW}");
    let line_of = |needle: &str| {
        base.lines()
            .position(|l| l.contains(needle))
            .expect("needle in text")
            + 1
    };
    let text = base.replace(
        "layout = \"Entrance\"\nassignment",
        "layout = \"6x6\"\nassignment",
    );
    let err = parse_err(&text);
    assert!(
        err.to_string()
            .contains("wall window `Monitor 2`: unknown layout `6x6`"),
        "{err}"
    );
    assert_eq!(
        location(&err).map(|l| l.line),
        Some(line_of("layout = \"Entrance\""))
    );

    let text = base.replace("[\"gate\", \"\"]", "[\"gate\", \"ghost\"]");
    let err = parse_err(&text);
    assert!(
        err.to_string()
            .contains("wall window `Monitor 2`: assignment 2: unknown camera `ghost`"),
        "{err}"
    );
    assert_eq!(
        location(&err).map(|l| l.line),
        Some(line_of("[\"gate\", \"\"]"))
    );

    let text = base.replace("[\"gate\", \"\"]", "[\"gate\", \"\", \"yard\"]");
    let err = parse_err(&text);
    assert!(
        err.to_string()
            .contains("assignment lists 3 cameras but layout `Entrance` has 2 tiles"),
        "{err}"
    );

    let text = base.replace("width = 1280.0", "width = -5.0");
    let err = parse_err(&text);
    assert!(
        err.to_string()
            .contains("window.width must be 1 to 100000 points (it is -5)"),
        "{err}"
    );

    let text = format!("{base}{WALL_WINDOW}");
    let err = parse_err(&text);
    assert!(
        err.to_string()
            .contains("wall window `Monitor 2`: another wall window has this name"),
        "{err}"
    );
}
