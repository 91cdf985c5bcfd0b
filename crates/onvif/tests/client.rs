//! The client against the simulated device (`common/sim.rs`), which answers with
//! real-format responses: identity, services, profiles, stream URIs, the proposal and
//! its warnings, PTZ requests, pull-point events, authentication (WS-Security with the
//! clock offset, HTTP Digest) and its failures.

mod common;

use std::time::Duration;

use common::sim::{Auth, Reply, Sim, SimConfig, element_attribute, element_text};
use vigil_onvif::{
    Client, ClientConfig, Credentials, ErrorKind, InspectOptions, MediaService, PtzSpeed, Warning,
    inspect, inspect_with,
};

fn admin() -> Option<Credentials> {
    Some(Credentials::new("admin", "9999"))
}

fn connect(sim: &Sim) -> Client {
    Client::connect(&sim.host(), admin(), ClientConfig::default()).expect("connect")
}

#[test]
fn device_calls_parse_the_real_format_responses() {
    let sim = Sim::start(SimConfig::default());
    let client = connect(&sim);
    let base = format!("http://{}/onvif/services", sim.host());
    let services = client.services();
    assert_eq!(services.device, base);
    assert_eq!(services.media.as_deref(), Some(base.as_str()));
    assert_eq!(services.ptz.as_deref(), Some(base.as_str()));
    assert_eq!(services.events.as_deref(), Some(base.as_str()));
    assert_eq!(services.media2, None);

    let info = client.get_device_information().expect("device information");
    assert_eq!(info.manufacturer, "Mockup Manufacturer");
    assert_eq!(info.model, "Mockup Model");
    assert_eq!(info.firmware, "Mockup_15_14_13");
    assert_eq!(info.serial, "00000000");
    assert_eq!(info.hardware_id, "MOCKUP");

    let interfaces = client.get_network_interfaces().expect("interfaces");
    assert_eq!(interfaces.len(), 1);
    assert_eq!(interfaces[0].mac.as_deref(), Some("28:57:be:65:7d:d5"));

    let caps = client.get_capabilities().expect("capabilities");
    assert_eq!(caps.media.as_deref(), Some(base.as_str()));

    let profiles = client.get_profiles(MediaService::Media).expect("profiles");
    let tokens: Vec<&str> = profiles.iter().map(|p| p.token.as_str()).collect();
    assert_eq!(tokens, ["main", "sub", "mjpeg"]);
    let main = profiles[0].video.as_ref().expect("main video");
    assert_eq!(
        (
            main.codec.as_str(),
            main.width,
            main.height,
            main.fps,
            main.gop,
            main.bitrate_kbps
        ),
        ("H264", 1920, 1080, Some(5.0), Some(30), Some(1000))
    );
    assert_eq!(profiles[0].ptz_configuration.as_deref(), Some("default"));
    assert_eq!(profiles[1].ptz_configuration, None);

    assert_eq!(
        client
            .get_stream_uri(MediaService::Media, "sub")
            .expect("uri"),
        "rtsp://127.0.0.1:8554/sub"
    );
    let snapshot = client
        .get_snapshot_uri(MediaService::Media, "main")
        .expect("snapshot");
    assert_eq!(
        snapshot,
        format!(
            "http://{}/onvif-cgi/jpg/image.cgi?resolution=800x600&compression=20&camera=1",
            sim.host()
        )
    );
    // Every authenticated request passed the device's digest check.
    assert!(sim.requests().iter().all(|r| r.authenticated));
    let profile_request = &sim.requests_for("GetStreamUri")[0];
    assert_eq!(
        element_text(&profile_request.body, "Protocol"),
        Some("RTSP")
    );
    assert_eq!(
        element_text(&profile_request.body, "Stream"),
        Some("RTP-Unicast")
    );
}

#[test]
fn inspect_proposes_main_and_sub_and_warns() {
    let sim = Sim::start(SimConfig {
        uri_credentials: true,
        ..SimConfig::default()
    });
    let inspection = inspect(&sim.host(), "admin", "9999").expect("inspect");
    assert_eq!(inspection.device.manufacturer, "Mockup Manufacturer");
    assert_eq!(inspection.device.mac.as_deref(), Some("28:57:be:65:7d:d5"));
    assert_eq!(inspection.device.hardware_id, "MOCKUP");
    // Highest resolution among H.264/H.265 (the 2560×1440 JPEG profile is not it);
    // the smallest below it for the sub-stream.
    assert_eq!(inspection.proposal.main.as_deref(), Some("main"));
    assert_eq!(inspection.proposal.sub.as_deref(), Some("sub"));
    // The device put credentials into its stream URIs; they are gone.
    for p in &inspection.profiles {
        let uri = p.stream_uri.as_deref().expect("stream uri");
        assert_eq!(uri, format!("rtsp://127.0.0.1:8554/{}", p.profile.token));
        assert!(!uri.contains("9999") && !uri.contains('@'));
    }
    assert!(inspection.snapshot_uri.is_some());
    let w = &inspection.warnings;
    // main: GOP 30 at 5 fps = 6 s between keyframes; sub: 20 at 10 fps = 2 s (not over).
    assert!(w.iter().any(|w| matches!(w, Warning::SlowKeyframes { profile, interval_secs } if profile == "main" && (*interval_secs - 6.0).abs() < 1e-9)), "{w:?}");
    assert!(
        !w.iter()
            .any(|w| matches!(w, Warning::SlowKeyframes { profile, .. } if profile == "sub"))
    );
    assert!(w.iter().any(
        |w| matches!(w, Warning::H265 { profile, hardware_decoder: None } if profile == "sub")
    ));
    assert!(
        w.iter()
            .any(|w| w.to_string()
                == "H.265: check this machine has a hardware decoder (profile sub)")
    );
    assert!(w.contains(&Warning::PlainHttpOnly));
    assert!(!w.contains(&Warning::NoSubStream));
    assert!(
        !w.iter().any(|w| matches!(w, Warning::ClockOff { .. })),
        "{w:?}"
    );
    assert!(inspection.clock_offset_secs.abs() < 2.0);

    // A caller that knows this machine decodes H.265 in hardware gets no such warning.
    let with_hw = inspect_with(
        &sim.host(),
        admin(),
        &InspectOptions {
            h265_hardware_decoder: Some(true),
            ..InspectOptions::default()
        },
    )
    .expect("inspect");
    assert!(
        !with_hw
            .warnings
            .iter()
            .any(|w| matches!(w, Warning::H265 { .. }))
    );
}

#[test]
fn a_single_profile_means_no_sub_stream() {
    let sim = Sim::start(SimConfig {
        three_profiles: false,
        ..SimConfig::default()
    });
    let inspection = inspect(&sim.host(), "admin", "9999").expect("inspect");
    assert_eq!(inspection.proposal.main.as_deref(), Some("main"));
    assert_eq!(inspection.proposal.sub.as_deref(), Some("main"));
    assert!(inspection.warnings.contains(&Warning::NoSubStream));
}

/// The device's clock is an hour ahead and it refuses a `Created` more than 5 s off its
/// own clock: only a client that corrects by the measured offset gets in.
#[test]
fn the_clock_offset_corrects_created_and_is_reported() {
    let sim = Sim::start(SimConfig {
        clock_offset_secs: 3600,
        ..SimConfig::default()
    });
    let inspection = inspect(&sim.host(), "admin", "9999").expect("inspect");
    assert!((inspection.clock_offset_secs - 3600.0).abs() < 2.0);
    assert!(
        inspection
            .warnings
            .iter()
            .any(|w| matches!(w, Warning::ClockOff { offset_secs } if *offset_secs > 3590.0))
    );
    assert!(sim.requests().iter().all(|r| r.authenticated));

    // Without the correction the same device refuses the digest.
    let mut client = Client::new(&sim.host(), admin(), ClientConfig::default()).expect("client");
    client.set_clock_offset(chrono::TimeDelta::zero());
    let err = client.get_device_information().expect_err("stale Created");
    assert!(err.is_unauthorized(), "{err}");
}

#[test]
fn a_wrong_password_is_a_clear_error() {
    let sim = Sim::start(SimConfig::default());
    let err = inspect(&sim.host(), "admin", "s3cret-guess").expect_err("refused");
    assert!(err.is_unauthorized(), "{err}");
    let text = err.to_string();
    assert!(text.contains(&sim.host()), "{text}");
    assert!(text.contains("GetServices"), "{text}");
    assert!(text.contains("wrong user name or password"), "{text}");
    assert!(text.contains("Sender not Authorized"), "{text}");
    assert!(
        !text.contains("s3cret-guess") && !text.contains("9999"),
        "{text}"
    );
}

#[test]
fn http_digest_is_answered_and_a_wrong_password_refused() {
    // A password that cannot turn up by chance in the header's hex digests.
    let sim = Sim::start(SimConfig {
        auth: Auth::HttpDigest,
        password: "door-Key#7".into(),
        ..SimConfig::default()
    });
    let inspection = inspect(&sim.host(), "admin", "door-Key#7").expect("inspect over HTTP Digest");
    assert_eq!(inspection.proposal.main.as_deref(), Some("main"));
    let requests = sim.requests();
    // Each call: a 401 with the challenge, then the answer, which the device accepted.
    assert!(
        requests
            .iter()
            .any(|r| r.authorization.is_none() && !r.authenticated)
    );
    let answered: Vec<_> = requests
        .iter()
        .filter(|r| r.authorization.is_some())
        .collect();
    assert!(!answered.is_empty());
    assert!(answered.iter().all(|r| r.authenticated));
    assert!(answered.iter().all(|r| {
        !r.authorization
            .as_deref()
            .unwrap_or("")
            .contains("door-Key#7")
    }));

    let err = inspect(&sim.host(), "admin", "nope").expect_err("refused");
    assert!(err.is_unauthorized(), "{err}");
    assert!(err.to_string().contains("HTTP Digest"), "{err}");
    assert!(err.to_string().contains("GetSystemDateAndTime"), "{err}");
}

#[test]
fn get_capabilities_is_the_fallback_for_old_firmware() {
    let sim = Sim::start(SimConfig {
        no_get_services: true,
        ..SimConfig::default()
    });
    let client = connect(&sim);
    assert!(client.services().ptz.is_some());
    assert_eq!(sim.requests_for("GetCapabilities").len(), 1);
}

#[test]
fn a_soap_fault_names_code_reason_call_and_host() {
    let sim = Sim::start(SimConfig {
        overrides: vec![(
            "GetSnapshotUri".into(),
            Reply::Status(500, include_bytes!("fixtures/Error.xml").to_vec()),
        )],
        ..SimConfig::default()
    });
    let client = connect(&sim);
    let err = client
        .get_snapshot_uri(MediaService::Media, "main")
        .expect_err("fault");
    assert_eq!(
        err.kind,
        ErrorKind::Fault {
            code: "fault code / ter:fault subcode / ter:fault subcode".into(),
            reason: "fault reason".into()
        }
    );
    assert_eq!(
        err.to_string(),
        format!(
            "ONVIF GetSnapshotUri on {}: the device answered with a SOAP fault: fault code / ter:fault subcode / ter:fault subcode: fault reason",
            sim.host()
        )
    );
    // inspect carries on without the snapshot and says why.
    let inspection = inspect(&sim.host(), "admin", "9999").expect("inspect");
    assert_eq!(inspection.snapshot_uri, None);
    assert!(inspection.warnings.iter().any(
        |w| w.to_string().contains("no snapshot URI") && w.to_string().contains("fault reason")
    ));
}

#[test]
fn ptz_calls_send_the_right_speeds_and_tokens() {
    let sim = Sim::start(SimConfig::default());
    let client = connect(&sim);
    client
        .ptz_continuous_move(
            "main",
            PtzSpeed {
                pan: 0.5,
                tilt: -0.25,
                zoom: 0.125,
            },
            Some(Duration::from_millis(1500)),
        )
        .expect("move");
    client
        .ptz_continuous_move(
            "main",
            PtzSpeed {
                pan: 7.0,
                tilt: f32::NAN,
                zoom: -1.0,
            },
            None,
        )
        .expect("clamped move");
    client.ptz_stop("main").expect("stop");
    let presets = client.ptz_get_presets("main").expect("presets");
    assert_eq!(presets.len(), 46);
    assert_eq!(
        (presets[0].token.as_str(), presets[0].name.as_str()),
        ("P001", "P001")
    );
    client.ptz_goto_preset("main", "P003", None).expect("goto");
    assert_eq!(
        client
            .ptz_set_preset("main", Some("Gate & door"))
            .expect("set"),
        "20"
    );
    client.ptz_goto_home("main").expect("home");

    let moves = sim.requests_for("ContinuousMove");
    assert_eq!(moves.len(), 2);
    let m = &moves[0].body;
    assert_eq!(element_text(m, "ProfileToken"), Some("main"));
    assert_eq!(element_attribute(m, "PanTilt", "x"), Some("0.5"));
    assert_eq!(element_attribute(m, "PanTilt", "y"), Some("-0.25"));
    assert_eq!(element_attribute(m, "Zoom", "x"), Some("0.125"));
    assert_eq!(element_text(m, "Timeout"), Some("PT1.500S"));
    let m = &moves[1].body;
    assert_eq!(element_attribute(m, "PanTilt", "x"), Some("1"));
    assert_eq!(element_attribute(m, "PanTilt", "y"), Some("0"));
    assert_eq!(element_attribute(m, "Zoom", "x"), Some("-1"));
    assert_eq!(element_text(m, "Timeout"), None);
    let stop = &sim.requests_for("Stop")[0].body;
    assert_eq!(element_text(stop, "PanTilt"), Some("true"));
    assert_eq!(element_text(stop, "Zoom"), Some("true"));
    assert_eq!(
        element_text(&sim.requests_for("GotoPreset")[0].body, "PresetToken"),
        Some("P003")
    );
    assert_eq!(
        element_text(&sim.requests_for("SetPreset")[0].body, "PresetName"),
        Some("Gate &amp; door")
    );
    assert_eq!(sim.requests_for("GotoHomePosition").len(), 1);
    assert!(sim.requests().iter().all(|r| r.authenticated));
}

#[test]
fn pull_point_messages_parse() {
    let sim = Sim::start(SimConfig::default());
    let client = connect(&sim);
    let pull_point = client
        .create_pull_point_subscription(Duration::from_secs(60))
        .expect("subscribe");
    assert_eq!(
        pull_point.address,
        format!("http://{}/onvif/subscription?Idx=7", sim.host())
    );
    assert!(pull_point.termination_time.is_some());
    let messages = client
        .pull_messages(&pull_point, Duration::from_secs(1), 10)
        .expect("pull");
    assert_eq!(messages.len(), 2);
    for m in &messages {
        assert_eq!(m.topic, "tns1:RuleEngine/CellMotionDetector/Motion");
        assert_eq!(m.data, [("IsMotion".to_owned(), "true".to_owned())]);
        assert_eq!(m.source.len(), 3);
        assert_eq!(m.source[2], ("Rule".to_owned(), "000".to_owned()));
        assert!(m.utc_time.is_some());
    }
    client.unsubscribe(&pull_point).expect("unsubscribe");
    let pull = &sim.requests_for("PullMessages")[0];
    assert_eq!(pull.path, "/onvif/subscription?Idx=7");
    assert_eq!(element_text(&pull.body, "Timeout"), Some("PT1S"));
    assert_eq!(element_text(&pull.body, "MessageLimit"), Some("10"));
    assert_eq!(
        element_text(&pull.body, "To"),
        Some(pull_point.address.replace('&', "&amp;").as_str())
    );
    assert_eq!(
        sim.requests_for("Unsubscribe")[0].path,
        "/onvif/subscription?Idx=7"
    );
}

/// A device that offers Media2: inspect uses it (GovLength is an attribute there, the
/// stream URI a bare `Uri`), proposes the 4K H.265 main and the H.264 sub.
#[test]
fn media2_is_used_when_offered() {
    let sim = Sim::start(SimConfig {
        media2: true,
        ..SimConfig::default()
    });
    let inspection = inspect(&sim.host(), "admin", "9999").expect("inspect");
    assert_eq!(inspection.media, MediaService::Media2);
    assert_eq!(
        inspection.services.media2,
        Some(format!("http://{}/onvif/media2", sim.host()))
    );
    let tokens: Vec<&str> = inspection
        .profiles
        .iter()
        .map(|p| p.profile.token.as_str())
        .collect();
    assert_eq!(tokens, ["Profile_1", "Profile_2"]);
    let main = inspection.profiles[0]
        .profile
        .video
        .as_ref()
        .expect("video");
    assert_eq!(
        (
            main.codec.as_str(),
            main.width,
            main.height,
            main.fps,
            main.gop,
            main.bitrate_kbps
        ),
        ("H265", 3840, 2160, Some(25.0), Some(50), Some(8192))
    );
    assert!(inspection.profiles[0].profile.ptz_configuration.is_some());
    assert_eq!(inspection.proposal.main.as_deref(), Some("Profile_1"));
    assert_eq!(inspection.proposal.sub.as_deref(), Some("Profile_2"));
    assert_eq!(
        inspection.profiles[1].stream_uri.as_deref(),
        Some("rtsp://127.0.0.1:8554/Profile_2")
    );
    assert_eq!(
        inspection.snapshot_uri,
        Some(format!(
            "http://{}/onvif/snapshot?token=Profile_1",
            sim.host()
        ))
    );
    assert!(
        inspection
            .warnings
            .iter()
            .any(|w| matches!(w, Warning::H265 { profile, .. } if profile == "Profile_1"))
    );
    // Media2 requests went to the Media2 address, in its namespace.
    let uri_requests = sim.requests_for("GetStreamUri");
    assert!(
        uri_requests
            .iter()
            .all(|r| r.path == "/onvif/media2" && r.body.contains("<tr2:GetStreamUri>"))
    );
    assert_eq!(
        element_text(&uri_requests[0].body, "Protocol"),
        Some("RTSP")
    );
}

/// Firmware that wants credentials for GetSystemDateAndTime too: the client asks again
/// with them (its clock is right here, so the device takes the digest).
#[test]
fn a_clock_call_that_needs_credentials_is_asked_again_with_them() {
    let sim = Sim::start(SimConfig {
        clock_needs_auth: true,
        ..SimConfig::default()
    });
    let inspection = inspect(&sim.host(), "admin", "9999").expect("inspect");
    assert_eq!(inspection.proposal.main.as_deref(), Some("main"));
    let clock = sim.requests_for("GetSystemDateAndTime");
    assert_eq!(clock.len(), 2);
    assert!(!clock[0].authenticated && clock[1].authenticated);
}
