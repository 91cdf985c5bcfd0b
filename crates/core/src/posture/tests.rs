//! The pure half of the security check: observations → findings.

use super::*;

fn camera_seen() -> Observations {
    Observations {
        source: SourceKind::Rtsp,
        rtsp_anonymous: Seen::Yes(false),
        onvif: Some("10.0.0.5".into()),
        onvif_anonymous: Seen::Yes(false),
        onvif_services: Seen::Yes(vec![
            "https://10.0.0.5/onvif/device_service".into(),
            "http://10.0.0.5/onvif/media".into(),
        ]),
        clock_offset_secs: Seen::Yes(1.2),
        username: Some("vigil-viewer".into()),
        device: Some(DeviceSeen {
            manufacturer: "Acme".into(),
            model: "Dome 5".into(),
            firmware: "V5.7.3 build 220112".into(),
        }),
    }
}

fn status(o: &Observations, check: CheckKind) -> (Status, String) {
    let f = evaluate(o)
        .into_iter()
        .find(|f| f.check == check)
        .expect("every check has a finding");
    (f.status, f.message)
}

#[test]
fn one_finding_per_check_in_order() {
    let findings = evaluate(&camera_seen());
    let kinds: Vec<CheckKind> = findings.iter().map(|f| f.check).collect();
    assert_eq!(kinds, CheckKind::ALL);
}

#[test]
fn default_user_names_are_recognised_in_any_case() {
    for user in [
        "admin",
        "ADMIN",
        " Admin ",
        "root",
        "Administrator",
        "888888",
        "666666",
        "Supervisor",
        "service",
        "user",
    ] {
        assert!(is_default_user(user), "{user}");
    }
    for user in ["vigil-viewer", "admin2x", "ops.nightshift", "", "8888888"] {
        assert!(!is_default_user(user), "{user}");
    }
    let mut o = camera_seen();
    o.username = Some("Admin".into());
    let (s, message) = status(&o, CheckKind::DefaultUser);
    assert_eq!(s, Status::Warning);
    assert!(message.contains("\"Admin\""), "{message}");
    o.username = None;
    assert_eq!(status(&o, CheckKind::DefaultUser).0, Status::NotChecked);
    assert_eq!(status(&camera_seen(), CheckKind::DefaultUser).0, Status::Ok);
}

#[test]
fn anonymous_access_is_a_warning_and_refusal_is_ok() {
    let mut o = camera_seen();
    assert_eq!(status(&o, CheckKind::RtspAnonymous).0, Status::Ok);
    assert_eq!(status(&o, CheckKind::OnvifAnonymous).0, Status::Ok);
    o.rtsp_anonymous = Seen::Yes(true);
    o.onvif_anonymous = Seen::Yes(true);
    assert_eq!(status(&o, CheckKind::RtspAnonymous).0, Status::Warning);
    assert_eq!(status(&o, CheckKind::OnvifAnonymous).0, Status::Warning);
    o.rtsp_anonymous = Seen::No("connection refused".into());
    let (s, why) = status(&o, CheckKind::RtspAnonymous);
    assert_eq!(
        (s, why.as_str()),
        (Status::NotChecked, "connection refused")
    );
    o.onvif = None;
    assert_eq!(status(&o, CheckKind::OnvifAnonymous).0, Status::NotChecked);
}

#[test]
fn plain_transport_names_what_is_plain() {
    // rtsp:// source, ONVIF with an https device service: the video is the problem.
    let o = camera_seen();
    let (s, message) = status(&o, CheckKind::PlainTransport);
    assert_eq!(s, Status::Warning);
    assert!(message.contains("rtsp:// (not rtsps://)"), "{message}");
    assert!(message.contains("ONVIF offers HTTPS"), "{message}");
    assert!(!message.contains("plain HTTP"), "{message}");
    // rtsps:// source, ONVIF over http only: ONVIF is the problem.
    let mut o = camera_seen();
    o.source = SourceKind::Rtsps;
    o.onvif_services = Seen::Yes(vec!["http://10.0.0.5/onvif/device_service".into()]);
    let (s, message) = status(&o, CheckKind::PlainTransport);
    assert_eq!(s, Status::Warning);
    assert!(
        message.contains("ONVIF offers only plain HTTP"),
        "{message}"
    );
    assert!(
        message.contains("the video source is rtsps://"),
        "{message}"
    );
    assert!(!message.contains("rtsp:// (not"), "{message}");
    // Both encrypted: ok.
    o.onvif_services = Seen::Yes(vec!["HTTPS://10.0.0.5/onvif/device_service".into()]);
    assert_eq!(status(&o, CheckKind::PlainTransport).0, Status::Ok);
    // ONVIF unknown, rtsps: ok for what was seen, and says ONVIF was not checked.
    o.onvif_services = Seen::No("timeout".into());
    let (s, message) = status(&o, CheckKind::PlainTransport);
    assert_eq!(s, Status::Ok);
    assert!(message.contains("ONVIF not checked: timeout"), "{message}");
    // A file: nothing to check.
    let mut o = camera_seen();
    o.source = SourceKind::File;
    o.onvif = None;
    assert_eq!(status(&o, CheckKind::PlainTransport).0, Status::NotChecked);
}

#[test]
fn clock_skew_over_five_seconds_either_way_is_a_warning() {
    let mut o = camera_seen();
    for (offset, expected) in [
        (0.0, Status::Ok),
        (5.0, Status::Ok),
        (-4.9, Status::Ok),
        (5.1, Status::Warning),
        (-30.0, Status::Warning),
        (86_400.0, Status::Warning),
    ] {
        o.clock_offset_secs = Seen::Yes(offset);
        assert_eq!(status(&o, CheckKind::ClockSkew).0, expected, "{offset}");
    }
    o.clock_offset_secs = Seen::Yes(-30.0);
    assert!(status(&o, CheckKind::ClockSkew).1.contains("-30 s"));
    o.clock_offset_secs = Seen::No("no UTC time".into());
    assert_eq!(status(&o, CheckKind::ClockSkew).0, Status::NotChecked);
}

#[test]
fn firmware_is_recorded_for_review() {
    let (s, message) = status(&camera_seen(), CheckKind::Firmware);
    assert_eq!(s, Status::Review);
    assert!(
        message.contains("V5.7.3 build 220112 (Acme Dome 5)"),
        "{message}"
    );
    let mut o = camera_seen();
    o.device = None;
    assert_eq!(status(&o, CheckKind::Firmware).0, Status::NotChecked);
}

#[test]
fn a_demo_file_has_nothing_to_check() {
    let o = Observations {
        source: SourceKind::File,
        rtsp_anonymous: Seen::No("a file, not a camera".into()),
        onvif: None,
        onvif_anonymous: Seen::No("no ONVIF address".into()),
        onvif_services: Seen::No("no ONVIF address".into()),
        clock_offset_secs: Seen::No("no ONVIF address".into()),
        username: None,
        device: None,
    };
    let findings = evaluate(&o);
    assert!(
        findings.iter().all(|f| f.status == Status::NotChecked),
        "{findings:?}"
    );
}
