//! Hostile devices: a DTD with entities, a 10 MB body, 10 000-deep nesting, control
//! characters and bidi overrides in the manufacturer's name, and a device that never
//! answers. Each must end in a clear error naming the call and the host, or in escaped
//! output, quickly and without reading more than the cap.

mod common;

use std::time::{Duration, Instant};

use common::sim::{Reply, Sim, SimConfig};
use vigil_onvif::sanitize::is_unsafe_char;
use vigil_onvif::xml::XmlError;
use vigil_onvif::{Client, ClientConfig, Credentials, ErrorKind, OnvifError, inspect};

const ENVELOPE_START: &str = r#"<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><SOAP-ENV:Body>"#;
const ENVELOPE_END: &str = "</SOAP-ENV:Body></SOAP-ENV:Envelope>";

/// GetDeviceInformation against a device that answers it with `reply`, timed.
fn device_information(
    reply: Reply,
    timeout: Duration,
) -> (Result<String, OnvifError>, Duration, String) {
    let sim = Sim::start(SimConfig {
        overrides: vec![("GetDeviceInformation".into(), reply)],
        ..SimConfig::default()
    });
    let config = ClientConfig {
        timeout,
        ..ClientConfig::default()
    };
    let client = Client::connect(&sim.host(), Some(Credentials::new("admin", "9999")), config)
        .expect("connect");
    let started = Instant::now();
    let result = client.get_device_information().map(|i| i.manufacturer);
    (result, started.elapsed(), sim.host())
}

fn assert_names_call_and_host(err: &OnvifError, host: &str) {
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("ONVIF GetDeviceInformation on {host}: ")),
        "{text}"
    );
}

#[test]
fn a_dtd_with_entities_is_refused() {
    let laughs = format!(
        r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"><!ENTITY xxe SYSTEM "file:///etc/passwd">]>{}<tds:GetDeviceInformationResponse><tds:Manufacturer>&lol4;&xxe;</tds:Manufacturer></tds:GetDeviceInformationResponse>{}"#,
        &ENVELOPE_START[ENVELOPE_START.find("<SOAP-ENV:Envelope").unwrap_or(0)..],
        ENVELOPE_END
    );
    let (result, elapsed, host) =
        device_information(Reply::Body(laughs.into_bytes()), Duration::from_secs(5));
    let err = result.expect_err("refused");
    assert_eq!(err.kind, ErrorKind::Xml(XmlError::Doctype));
    assert_names_call_and_host(&err, &host);
    assert!(err.to_string().contains("DTD"), "{err}");
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
}

#[test]
fn an_undeclared_entity_is_refused() {
    let body = format!(
        "{ENVELOPE_START}<tds:GetDeviceInformationResponse><tds:Manufacturer>&xxe;</tds:Manufacturer></tds:GetDeviceInformationResponse>{ENVELOPE_END}"
    );
    let (result, _, _) = device_information(Reply::Body(body.into_bytes()), Duration::from_secs(5));
    assert_eq!(
        result.expect_err("refused").kind,
        ErrorKind::Xml(XmlError::UndefinedEntity { name: "xxe".into() })
    );
}

#[test]
fn a_10_mb_body_stops_at_the_cap() {
    let mut body = String::with_capacity(10 * 1024 * 1024 + 512);
    body.push_str(ENVELOPE_START);
    body.push_str("<tds:GetDeviceInformationResponse><tds:Manufacturer>");
    while body.len() < 10 * 1024 * 1024 {
        body.push_str("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n");
    }
    body.push_str("</tds:Manufacturer></tds:GetDeviceInformationResponse>");
    body.push_str(ENVELOPE_END);
    let (result, elapsed, host) =
        device_information(Reply::Body(body.into_bytes()), Duration::from_secs(5));
    let err = result.expect_err("too large");
    assert_eq!(
        err.kind,
        ErrorKind::TooLarge {
            limit_bytes: 1024 * 1024
        }
    );
    assert_names_call_and_host(&err, &host);
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}

#[test]
fn deep_nesting_is_refused() {
    let depth = 10_000;
    let body = format!(
        "{ENVELOPE_START}<tds:GetDeviceInformationResponse>{}{}</tds:GetDeviceInformationResponse>{ENVELOPE_END}",
        "<x>".repeat(depth),
        "</x>".repeat(depth)
    );
    let (result, elapsed, host) =
        device_information(Reply::Body(body.into_bytes()), Duration::from_secs(5));
    let err = result.expect_err("too deep");
    assert_eq!(err.kind, ErrorKind::Xml(XmlError::TooDeep { limit: 64 }));
    assert_names_call_and_host(&err, &host);
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
}

#[test]
fn control_characters_and_bidi_overrides_are_escaped() {
    // Raw C0/C1 controls and bidi overrides, and the same as character references.
    let hostile = "Acme\u{1b}[2J\u{202E}gnp.exe\u{202C}\u{7}&#x202E;&#x2066;\u{85}\u{200F}Cams";
    let template = include_str!("fixtures/GetDeviceInformation.xml");
    let body = template.replace(
        "<tds:Manufacturer>Mockup Manufacturer</tds:Manufacturer>",
        &format!("<tds:Manufacturer>{hostile}</tds:Manufacturer>"),
    );
    assert_ne!(body, template);
    let (result, _, _) = device_information(Reply::Body(body.into_bytes()), Duration::from_secs(5));
    let shown = result.expect("parsed and escaped");
    assert_eq!(
        shown,
        "Acme\\u{001B}[2J\\u{202E}gnp.exe\\u{202C}\\u{0007}\\u{202E}\\u{2066}\\u{0085}\\u{200F}Cams"
    );
    assert!(!shown.chars().any(is_unsafe_char));

    // The same name reaches inspect's identity escaped.
    let sim = Sim::start(SimConfig {
        overrides: vec![(
            "GetDeviceInformation".into(),
            Reply::Body(
                template
                    .replace("Mockup Model", "Model\u{202E}X\u{1b}]0;title\u{7}")
                    .into_bytes(),
            ),
        )],
        ..SimConfig::default()
    });
    let inspection = inspect(&sim.host(), "admin", "9999").expect("inspect");
    assert_eq!(
        inspection.device.model,
        "Model\\u{202E}X\\u{001B}]0;title\\u{0007}"
    );
}

#[test]
fn a_device_that_never_answers_times_out() {
    let (result, elapsed, host) = device_information(Reply::Hang, Duration::from_millis(800));
    let err = result.expect_err("timeout");
    assert!(matches!(err.kind, ErrorKind::Timeout { .. }), "{err}");
    assert_names_call_and_host(&err, &host);
    assert!(err.to_string().contains("no answer within 0.8 s"), "{err}");
    assert!(
        elapsed >= Duration::from_millis(700) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
}

/// The deadline covers the body: a device that trickles its answer still ends in time.
#[test]
fn a_device_that_trickles_its_answer_times_out() {
    let (result, elapsed, host) = device_information(Reply::Drip, Duration::from_millis(800));
    let err = result.expect_err("timeout");
    assert!(matches!(err.kind, ErrorKind::Timeout { .. }), "{err}");
    assert_names_call_and_host(&err, &host);
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[test]
fn nothing_listening_is_a_clear_error() {
    // A port that was just free: bind, read it, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let err = inspect(&format!("127.0.0.1:{port}"), "admin", "x").expect_err("refused");
    assert!(matches!(err.kind, ErrorKind::Unreachable { .. }), "{err}");
    assert!(
        err.to_string().starts_with(&format!(
            "ONVIF GetSystemDateAndTime on 127.0.0.1:{port}: cannot reach the device"
        )),
        "{err}"
    );
}
