//! `vigil discover` as a user runs it: the real binary in one network namespace, a
//! WS-Discovery responder the test starts in another (veth pair, root only; skipped
//! with a note otherwise), the JSON and the summary checked. Usage errors need no root.

#[path = "../crates/discovery/tests/support/mod.rs"]
mod support;

use std::process::{Command, Output};

use support::{Link, Responder, fixture_reply, reply};

fn vigil_in(netns: Option<&str>, home: &std::path::Path, args: &[&str]) -> Output {
    let mut command = match netns {
        Some(ns) => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", ns, env!("CARGO_BIN_EXE_vigil")]);
            c
        }
        None => Command::new(env!("CARGO_BIN_EXE_vigil")),
    };
    command
        .args(args)
        .env("VIGIL_CONFIG_DIR", home.join("config"))
        .env("VIGIL_DATA_DIR", home.join("data"))
        .output()
        .expect("run vigil")
}

#[test]
fn discover_lists_a_responder_as_json_and_text() {
    let Some(link) = Link::new() else { return };
    let _responder = Responder::start(
        &link,
        Box::new(|seen, socket, _| {
            reply(socket, seen, "<not xml");
            let other = fixture_reply("urn:uuid:someone-else", Some("urn:uuid:x"), None);
            reply(socket, seen, &other);
            let scopes = "onvif://www.onvif.org/name/Front%20Gate%E2%80%AE \
                          onvif://www.onvif.org/hardware/IPC%1B%5B31m-9";
            reply(
                socket,
                seen,
                &fixture_reply(&seen.message_id, None, Some(scopes)),
            );
        }),
    );
    let home = tempfile::tempdir().expect("tempdir");
    let json_path = home.path().join("found.json");
    let json_arg = json_path.to_string_lossy().into_owned();
    let started = std::time::Instant::now();
    let out = vigil_in(
        Some(&link.prober_ns),
        home.path(),
        &[
            "discover",
            "--interface",
            &link.prober_if,
            "--seconds",
            "1",
            "--json",
            &json_arg,
        ],
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");

    let text = std::fs::read_to_string(&json_path).expect("json written");
    let value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let devices = value["devices"].as_array().expect("devices");
    assert_eq!(devices.len(), 1, "{text}");
    let device = &devices[0];
    assert_eq!(device["address"], "10.77.0.2");
    assert_eq!(
        device["endpoint"],
        "uuid:c9790c3a-701b-464d-a189-0060351c8ada"
    );
    assert_eq!(
        device["xaddrs"],
        serde_json::json!(["http://10.77.0.2/onvif/device_service"])
    );
    assert_eq!(device["name"], "Front Gate");
    assert_eq!(device["hardware"], "IPC[31m-9");
    assert_eq!(device["scopes"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        device["types"],
        serde_json::json!(["dn:NetworkVideoTransmitter", "tds:Device"])
    );
    assert_eq!(value["malformed"], 1);
    assert_eq!(value["ignored"], 1);
    assert_eq!(value["truncated"], false);
    assert_eq!(value["interfaces"], serde_json::json!([link.prober_if]));
    assert_eq!(value["seconds"], 1);

    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with(&format!(
            "Probed {} (10.77.0.1) for 1 s: 1 device\n",
            link.prober_if
        )),
        "{stdout}"
    );
    assert!(stdout.contains("10.77.0.2"), "{stdout}");
    assert!(stdout.contains("Front Gate  [IPC[31m-9]"), "{stdout}");
    assert!(stdout.contains("1 malformed reply skipped"), "{stdout}");
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{202e}'),
        "{stdout:?}"
    );
}

#[test]
fn discover_usage_and_interface_errors() {
    let home = tempfile::tempdir().expect("tempdir");
    for seconds in ["0", "31", "x"] {
        let out = vigil_in(None, home.path(), &["discover", "--seconds", seconds]);
        assert_eq!(out.status.code(), Some(2), "--seconds {seconds}: {out:?}");
    }
    let out = vigil_in(
        None,
        home.path(),
        &["discover", "--interface", "no-such-if0", "--seconds", "1"],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no network interface named 'no-such-if0'"),
        "{err}"
    );
}
