//! The security check's network half against real peers: GStreamer's RTSP server
//! (tests/support/rtsp_server.py) with and without authentication, and the simulated
//! ONVIF device of `crates/onvif/tests/common/sim.rs` without authentication and with a
//! skewed clock, then with authentication and a right clock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../onvif/tests/common/sim.rs"]
mod sim;

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

use sim::{Auth, Sim, SimConfig};
use vigil_config::redact::Credentials;
use vigil_config::{CameraConfig, CameraId, DeviceInfo};
use vigil_core::posture::{CheckKind, PostureOptions, Status, check_camera};

/// The RTSP server, killed on drop.
struct Rtsp(Child, u16);

impl Drop for Rtsp {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn rtsp(args: &[&str]) -> Rtsp {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/support/rtsp_server.py"
    );
    let mut child = Command::new("/usr/bin/python3")
        .arg(script)
        .args(["--mount", "cam1", "--exit-on-stdin-eof"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the RTSP server (scripts/deps.sh)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .strip_prefix("READY port=")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("the RTSP server did not start: {line:?}"));
    Rtsp(child, port)
}

fn camera(source: &str, user: &str, onvif: Option<String>) -> CameraConfig {
    let text = format!(
        "schema_version = 1\n[[cameras]]\nid = \"door\"\nname = \"Door\"\nsource = \"{source}\"\nusername = \"{user}\"\n"
    );
    let site: vigil_config::Site = toml_site(&text);
    let mut camera = site.cameras.into_iter().next().unwrap();
    assert_eq!(camera.id, CameraId::from("door"));
    camera.device = onvif.map(|host| DeviceInfo {
        onvif: Some(host),
        ..DeviceInfo::default()
    });
    camera
}

fn toml_site(text: &str) -> vigil_config::Site {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("site.toml");
    std::fs::write(&path, text).unwrap();
    vigil_config::load_site(&path).expect("the site loads")
}

fn login(user: &str) -> Credentials {
    Credentials {
        username: user.into(),
        password: "right-pass".into(),
    }
}

fn status(report: &vigil_core::PostureReport, check: CheckKind) -> (Status, String) {
    let f = report.finding(check).expect("finding");
    (f.status, f.message.clone())
}

#[test]
fn rtsp_with_and_without_authentication() {
    let locked = rtsp(&[
        "--auth",
        "digest",
        "--user",
        "admin",
        "--password",
        "right-pass",
    ]);
    let cam = camera(
        &format!("rtsp://127.0.0.1:{}/cam1", locked.1),
        "admin",
        None,
    );
    let report = check_camera(&cam, Some(&login("admin")), &PostureOptions::default());
    assert_eq!(
        status(&report, CheckKind::RtspAnonymous).0,
        Status::Ok,
        "{report:?}"
    );
    assert_eq!(status(&report, CheckKind::DefaultUser).0, Status::Warning);
    let (s, message) = status(&report, CheckKind::PlainTransport);
    assert_eq!(s, Status::Warning);
    assert!(message.contains("rtsp:// (not rtsps://)"), "{message}");
    assert_eq!(
        status(&report, CheckKind::OnvifAnonymous).0,
        Status::NotChecked
    );

    let open = rtsp(&[]);
    let cam = camera(
        &format!("rtsp://127.0.0.1:{}/cam1", open.1),
        "viewer-7",
        None,
    );
    let report = check_camera(&cam, Some(&login("viewer-7")), &PostureOptions::default());
    assert_eq!(
        status(&report, CheckKind::RtspAnonymous).0,
        Status::Warning,
        "{report:?}"
    );
    assert_eq!(status(&report, CheckKind::DefaultUser).0, Status::Ok);
}

#[test]
fn onvif_without_authentication_and_skewed_then_locked_and_right() {
    let open = Sim::start(SimConfig {
        auth: Auth::None,
        clock_offset_secs: 42,
        ..SimConfig::default()
    });
    let cam = camera("rtsp://127.0.0.1:9/none", "admin", Some(open.host()));
    let report = check_camera(&cam, Some(&login("admin")), &PostureOptions::default());
    assert_eq!(
        status(&report, CheckKind::OnvifAnonymous).0,
        Status::Warning,
        "{report:?}"
    );
    let (s, message) = status(&report, CheckKind::ClockSkew);
    assert_eq!(s, Status::Warning, "{message}");
    assert!(
        ["+41 s", "+42 s", "+43 s"]
            .iter()
            .any(|t| message.contains(t)),
        "{message}"
    );
    let (s, message) = status(&report, CheckKind::PlainTransport);
    assert_eq!(s, Status::Warning);
    assert!(
        message.contains("ONVIF offers only plain HTTP"),
        "{message}"
    );
    let firmware = report.firmware.clone().expect("firmware recorded");
    assert_eq!(status(&report, CheckKind::Firmware).0, Status::Review);
    assert!(status(&report, CheckKind::Firmware).1.contains(&firmware));
    assert_eq!(
        status(&report, CheckKind::RtspAnonymous).0,
        Status::NotChecked
    );

    let locked = Sim::start(SimConfig {
        password: "right-pass".into(),
        ..SimConfig::default()
    });
    let cam = camera("rtsp://127.0.0.1:9/none", "admin", Some(locked.host()));
    let report = check_camera(&cam, Some(&login("admin")), &PostureOptions::default());
    assert_eq!(
        status(&report, CheckKind::OnvifAnonymous).0,
        Status::Ok,
        "{report:?}"
    );
    assert_eq!(
        status(&report, CheckKind::ClockSkew).0,
        Status::Ok,
        "{report:?}"
    );
    assert_eq!(
        status(&report, CheckKind::Firmware).0,
        Status::Review,
        "{report:?}"
    );
    // The anonymous GetDeviceInformation really went out, and was refused.
    assert!(
        locked
            .requests_for("GetDeviceInformation")
            .iter()
            .any(|r| !r.authenticated)
    );
}
