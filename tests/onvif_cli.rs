//! `vigil onvif inspect` as a user runs it, against the simulated ONVIF device of
//! `crates/onvif/tests/common/sim.rs` on loopback: the JSON has the keys and the
//! proposal, and the password appears in no output, no JSON and no stream URI, even
//! though the device puts credentials into its URIs.

#[path = "../crates/onvif/tests/common/sim.rs"]
mod sim;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use sim::{Reply, Sim, SimConfig};

/// A password with every character that breaks naive URL or XML handling.
const PASSWORD: &str = "p@ss:w/rd%#?\" x ünï";

fn vigil(home: &Path, args: &[&str], password: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vigil"));
    command
        .args(args)
        .env("VIGIL_CONFIG_DIR", home.join("config"))
        .env("VIGIL_DATA_DIR", home.join("data"))
        .env_remove("VIGIL_ONVIF_PASSWORD")
        .stdin(Stdio::null());
    if let Some(p) = password {
        command.env("VIGIL_ONVIF_PASSWORD", p);
    }
    command.output().expect("run vigil")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn config() -> SimConfig {
    SimConfig {
        password: PASSWORD.into(),
        uri_credentials: true,
        ..SimConfig::default()
    }
}

#[test]
fn inspect_writes_the_contracts_json_without_the_password() {
    let sim = Sim::start(config());
    let home = tempfile::tempdir().expect("tempdir");
    let json_path = home.path().join("camera.json");
    let json_arg = json_path.to_string_lossy().into_owned();
    let host = sim.host();
    let out = vigil(
        home.path(),
        &[
            "onvif", "inspect", "--host", &host, "--user", "admin", "--json", &json_arg,
        ],
        Some(PASSWORD),
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let json_text = std::fs::read_to_string(&json_path).expect("json written");
    for (what, s) in [
        ("stdout", &stdout),
        ("stderr", &stderr),
        ("json", &json_text),
    ] {
        assert!(!s.contains(PASSWORD), "{what} holds the password:\n{s}");
        assert!(
            !s.contains("p@ss") && !s.contains("p%40ss"),
            "{what} holds part of the password:\n{s}"
        );
    }
    let json: serde_json::Value = serde_json::from_str(&json_text).expect("valid JSON");
    let device = &json["device"];
    for key in ["manufacturer", "model", "firmware", "serial", "mac"] {
        assert!(device.get(key).is_some(), "device.{key} missing: {json}");
    }
    assert_eq!(device["manufacturer"], "Mockup Manufacturer");
    assert_eq!(device["mac"], "28:57:be:65:7d:d5");
    let profiles = json["profiles"].as_array().expect("profiles");
    assert_eq!(profiles.len(), 3);
    for p in profiles {
        for key in [
            "token",
            "name",
            "codec",
            "width",
            "height",
            "fps",
            "gop",
            "stream_uri",
        ] {
            assert!(p.get(key).is_some(), "profiles[].{key} missing: {p}");
        }
        let uri = p["stream_uri"].as_str().expect("stream uri");
        assert!(
            uri.starts_with("rtsp://127.0.0.1:8554/") && !uri.contains('@'),
            "{uri}"
        );
    }
    assert_eq!(profiles[0]["token"], "main");
    assert_eq!(profiles[0]["codec"], "H264");
    assert_eq!(
        (
            profiles[0]["width"].as_u64(),
            profiles[0]["height"].as_u64()
        ),
        (Some(1920), Some(1080))
    );
    assert_eq!(profiles[0]["gop"], 30);
    assert_eq!(json["proposal"]["main"], "main");
    assert_eq!(json["proposal"]["sub"], "sub");
    let warnings: Vec<&str> = json["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(|w| w.as_str())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("keyframe interval 6.0 s")),
        "{warnings:?}"
    );
    assert!(
        warnings.iter().any(|w| w.starts_with("plain HTTP only")),
        "{warnings:?}"
    );
    assert!(
        warnings.iter().any(|w| w.starts_with("H.265")),
        "{warnings:?}"
    );
    // The report on stdout says the same.
    assert!(stdout.contains("Proposal  main main, sub sub"), "{stdout}");
    assert!(
        stdout.contains("Mockup Manufacturer Mockup Model"),
        "{stdout}"
    );
}

#[test]
fn a_wrong_password_names_host_and_call() {
    let sim = Sim::start(config());
    let home = tempfile::tempdir().expect("tempdir");
    let host = sim.host();
    let out = vigil(
        home.path(),
        &["onvif", "inspect", "--host", &host, "--user", "admin"],
        Some("not-it-4711"),
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!(
            "ONVIF GetServices on {host}: wrong user name or password"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("not-it-4711") && !stdout.contains("not-it-4711"));
}

#[test]
fn without_a_password_or_a_terminal_it_says_what_to_set() {
    let sim = Sim::start(config());
    let home = tempfile::tempdir().expect("tempdir");
    let host = sim.host();
    let out = vigil(
        home.path(),
        &["onvif", "inspect", "--host", &host, "--user", "admin"],
        None,
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("set VIGIL_ONVIF_PASSWORD"), "{stderr}");
    // Nothing was sent to the device.
    assert!(sim.requests().is_empty());
    // There is no option for the password.
    let out = vigil(
        home.path(),
        &["onvif", "inspect", "--host", &host, "--password", "x"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_hostile_manufacturer_name_is_escaped_in_the_report_and_json() {
    let hostile = include_str!("../crates/onvif/tests/fixtures/GetDeviceInformation.xml")
        .replace("Mockup Manufacturer", "Evil\u{1b}[2J\u{202E}Corp");
    let sim = Sim::start(SimConfig {
        overrides: vec![(
            "GetDeviceInformation".into(),
            Reply::Body(hostile.into_bytes()),
        )],
        ..config()
    });
    let home = tempfile::tempdir().expect("tempdir");
    let json_path = home.path().join("camera.json");
    let json_arg = json_path.to_string_lossy().into_owned();
    let host = sim.host();
    let out = vigil(
        home.path(),
        &[
            "onvif", "inspect", "--host", &host, "--user", "admin", "--json", &json_arg,
        ],
        Some(PASSWORD),
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("Evil\\u{001B}[2J\\u{202E}Corp"), "{stdout}");
    assert!(!stdout.contains('\u{1b}') && !stdout.contains('\u{202E}'));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).expect("json")).expect("valid");
    assert_eq!(
        json["device"]["manufacturer"],
        "Evil\\u{001B}[2J\\u{202E}Corp"
    );
}
