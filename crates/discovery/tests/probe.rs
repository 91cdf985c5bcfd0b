//! `vigil_discovery::probe` over real sockets: the prober in one network namespace,
//! responders the tests start in another, joined by a veth pair (root only; skipped
//! with a note otherwise).

mod support;

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use support::{DEVICE_IP, Link, Responder, fixture_reply, in_netns, reply};
use vigil_discovery::{Discovery, Error, ProbeOptions, probe};

fn options(secs: f64) -> ProbeOptions {
    ProbeOptions {
        duration: Duration::from_secs_f64(secs),
        ..ProbeOptions::default()
    }
}

fn run(link: &Link, options: &ProbeOptions) -> Discovery {
    in_netns(&link.prober_ns, || probe(options)).expect("probe runs")
}

#[test]
fn a_responder_with_the_fixture_is_found() {
    let Some(link) = Link::new() else { return };
    let responder = Responder::start(
        &link,
        Box::new(|seen, socket, _| {
            reply(socket, seen, &fixture_reply(&seen.message_id, None, None))
        }),
    );
    // No interface named: the default takes the veth (lo is loopback).
    let found = run(&link, &options(1.0));
    let probes = responder.finish();

    assert_eq!(found.devices.len(), 1, "{found:?}");
    let device = &found.devices[0];
    assert_eq!(device.address, IpAddr::V4(DEVICE_IP));
    assert_eq!(device.endpoint, "uuid:c9790c3a-701b-464d-a189-0060351c8ada");
    assert_eq!(device.name.as_deref(), Some("PREDATOR"));
    assert_eq!(device.hardware.as_deref(), Some("HD_PREDATOR"));
    assert_eq!(device.xaddrs, ["http://10.77.0.2/onvif/device_service"]);
    assert_eq!(device.types, ["dn:NetworkVideoTransmitter", "tds:Device"]);
    assert_eq!(device.scopes.len(), 7);
    assert_eq!((found.malformed, found.ignored), (0, 0));
    assert!(!found.truncated);
    let names: Vec<&str> = found.interfaces.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, [link.prober_if.as_str()]);
    assert!(found.duration >= Duration::from_secs(1));
    assert!(
        found.duration < Duration::from_millis(1500),
        "{:?}",
        found.duration
    );

    // What went out: a Probe for video transmitters, sent twice with one fresh
    // MessageID (the repeat answered once), from the prober's address, and nothing else.
    assert_eq!(probes.len(), 2, "{probes:?}");
    let first = &probes[0];
    assert_eq!(first.message_id, probes[1].message_id);
    assert!(
        first.message_id.starts_with("urn:uuid:"),
        "{}",
        first.message_id
    );
    assert_eq!(first.from.ip(), IpAddr::V4(support::PROBER_IP));
    assert!(first.text.contains("dn:NetworkVideoTransmitter"));
    assert!(first.text.contains("/discovery/Probe</"));
    assert!(!first.text.to_lowercase().contains("password"));
}

#[test]
fn the_probe_goes_out_of_the_chosen_interfaces_only() {
    let Some(mut link) = Link::new() else { return };
    let (second_ns, second_if, second_ip) = {
        let network = link.add_network();
        (
            network.device_ns.clone(),
            network.prober_if.clone(),
            network.device_ip,
        )
    };
    let answer = |endpoint: &'static str| -> support::Answer {
        Box::new(move |seen, socket, _| {
            reply(
                socket,
                seen,
                &fixture_reply(&seen.message_id, Some(endpoint), None),
            );
        })
    };
    let first = Responder::start(&link, answer("urn:uuid:first"));
    let second = Responder::start_in(&second_ns, second_ip, answer("urn:uuid:second"));

    let only_second = ProbeOptions {
        interfaces: vec![second_if.clone()],
        ..options(0.6)
    };
    let found = run(&link, &only_second);
    let endpoints: Vec<&str> = found.devices.iter().map(|d| d.endpoint.as_str()).collect();
    assert_eq!(endpoints, ["urn:uuid:second"]);
    assert_eq!(found.devices[0].address, IpAddr::V4(second_ip));

    // By default: every up, multicast, non-loopback interface, so both networks.
    let found = run(&link, &options(0.6));
    let mut endpoints: Vec<&str> = found.devices.iter().map(|d| d.endpoint.as_str()).collect();
    endpoints.sort_unstable();
    assert_eq!(endpoints, ["urn:uuid:first", "urn:uuid:second"]);
    let mut names: Vec<&str> = found.interfaces.iter().map(|i| i.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, [link.prober_if.as_str(), second_if.as_str()]);

    let first_saw = first.finish();
    let second_saw = second.finish();
    assert_eq!(
        first_saw.len(),
        2,
        "only the default probe, twice: {first_saw:?}"
    );
    assert_eq!(
        second_saw.len(),
        4,
        "both probes, twice each: {second_saw:?}"
    );
}

#[test]
fn each_probe_has_a_fresh_message_id() {
    let Some(link) = Link::new() else { return };
    let responder = Responder::start(&link, Box::new(|_, _, _| {}));
    let options = ProbeOptions {
        interfaces: vec![link.prober_if.clone()],
        ..options(0.3)
    };
    run(&link, &options);
    run(&link, &options);
    let probes = responder.finish();
    let mut ids: Vec<&str> = probes.iter().map(|p| p.message_id.as_str()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 2, "{probes:?}");
}

#[test]
fn a_flood_is_bounded_in_devices_and_time() {
    let Some(link) = Link::new() else { return };
    // Distinct devices as fast as the socket takes them, for 3 s or until stopped.
    let _responder = Responder::start(
        &link,
        Box::new(|seen, socket, stop| {
            let until = Instant::now() + Duration::from_secs(3);
            let mut n = 0u64;
            while Instant::now() < until && !stop.load(Ordering::Relaxed) {
                let endpoint = format!("urn:uuid:flood-{n}");
                let _ = socket.send_to(
                    fixture_reply(&seen.message_id, Some(&endpoint), None).as_bytes(),
                    seen.from,
                );
                n += 1;
            }
        }),
    );
    let started = Instant::now();
    let found = run(&link, &options(1.5));
    let took = started.elapsed();
    eprintln!(
        "flood: {} devices kept, truncated {}, {} malformed, returned after {took:?}",
        found.devices.len(),
        found.truncated,
        found.malformed
    );
    assert_eq!(found.devices.len(), vigil_discovery::DEFAULT_MAX_DEVICES);
    assert!(found.truncated);
    assert!(took < Duration::from_millis(2000), "took {took:?}");
}

#[test]
fn the_datagram_cap_ends_listening_early() {
    let Some(link) = Link::new() else { return };
    // The same device over and over: merged, never more than one.
    let _responder = Responder::start(
        &link,
        Box::new(|seen, socket, stop| {
            let payload = fixture_reply(&seen.message_id, None, None);
            let until = Instant::now() + Duration::from_secs(10);
            while Instant::now() < until && !stop.load(Ordering::Relaxed) {
                let _ = socket.send_to(payload.as_bytes(), seen.from);
            }
        }),
    );
    let options = ProbeOptions {
        max_datagrams: 300,
        ..options(10.0)
    };
    let started = Instant::now();
    let found = run(&link, &options);
    eprintln!(
        "300-datagram cap under a flood: returned after {:?} of a 10 s probe",
        started.elapsed()
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(found.truncated);
    assert_eq!(found.devices.len(), 1, "merged by endpoint");
}

#[test]
fn malformed_replies_are_counted_and_the_others_listed() {
    let Some(link) = Link::new() else { return };
    let _responder = Responder::start(
        &link,
        Box::new(|seen, socket, _| {
            let good = fixture_reply(&seen.message_id, None, None);
            reply(socket, seen, &good[..good.len() / 2]); // cut short
            reply(socket, seen, "\u{0}\u{1}binary junk");
            let dtd = good.replace(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                "<!DOCTYPE x [<!ENTITY a \"aaaa\">]>",
            );
            reply(socket, seen, &dtd);
            reply(socket, seen, &good);
        }),
    );
    let found = run(&link, &options(0.8));
    assert_eq!(found.malformed, 3, "{found:?}");
    assert_eq!(found.devices.len(), 1);
    assert_eq!(found.devices[0].name.as_deref(), Some("PREDATOR"));
}

#[test]
fn replies_to_another_message_are_ignored() {
    let Some(link) = Link::new() else { return };
    let _responder = Responder::start(
        &link,
        Box::new(|seen, socket, _| {
            let other = "urn:uuid:00000000-0000-4000-8000-000000000000";
            reply(
                socket,
                seen,
                &fixture_reply(other, Some("urn:uuid:spoofed"), None),
            );
            let no_relates_to = fixture_reply("", Some("urn:uuid:unrelated"), None)
                .replace("<wsa:RelatesTo></wsa:RelatesTo>", "");
            reply(socket, seen, &no_relates_to);
            reply(
                socket,
                seen,
                &fixture_reply(&seen.message_id, Some("urn:uuid:real"), None),
            );
        }),
    );
    let found = run(&link, &options(0.8));
    let endpoints: Vec<&str> = found.devices.iter().map(|d| d.endpoint.as_str()).collect();
    assert_eq!(endpoints, ["urn:uuid:real"]);
    assert_eq!((found.ignored, found.malformed), (2, 0));
}

#[test]
fn the_same_endpoint_twice_is_one_device() {
    let Some(link) = Link::new() else { return };
    let _responder = Responder::start(
        &link,
        Box::new(|seen, socket, _| {
            let first = fixture_reply(
                &seen.message_id,
                None,
                Some("onvif://www.onvif.org/location/hall"),
            );
            reply(socket, seen, &first);
            let second = fixture_reply(&seen.message_id, None, None).replace(
                "http://10.77.0.2/onvif/device_service",
                "https://10.77.0.2/onvif/device_service",
            );
            reply(socket, seen, &second);
        }),
    );
    let found = run(&link, &options(0.8));
    assert_eq!(found.devices.len(), 1, "{found:?}");
    let device = &found.devices[0];
    assert_eq!(
        device.xaddrs,
        [
            "http://10.77.0.2/onvif/device_service",
            "https://10.77.0.2/onvif/device_service"
        ]
    );
    assert_eq!(
        device.name.as_deref(),
        Some("PREDATOR"),
        "from the second reply"
    );
    assert_eq!(device.scopes[0], "onvif://www.onvif.org/location/hall");
    assert_eq!(device.scopes.len(), 8);
}

/// Every character a terminal or a label could be tricked by.
fn is_hostile(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[test]
fn hostile_scopes_are_cleaned() {
    let Some(link) = Link::new() else { return };
    let _responder = Responder::start(
        &link,
        Box::new(|seen, socket, _| {
            // Percent-encoded RLO, BEL, ESC and a newline in the name; a raw RLO and an
            // isolate in the hardware; an ANSI escape as a character reference in the
            // endpoint; a C1 control in an XAddr.
            let scopes = "onvif://www.onvif.org/name/Gate%E2%80%AEgpj.exe%07%1B%5B31m%0Ax \
                          onvif://www.onvif.org/hardware/\u{202E}Model\u{2066}9 \
                          onvif://www.onvif.org/location/\u{202D}yard&#x1b;";
            let xml = fixture_reply(
                &seen.message_id,
                Some("urn:uuid:ev&#x1b;[2Jil"),
                Some(scopes),
            )
            .replace("http://10.77.0.2/", "http://10.77.0.2/\u{0085}");
            reply(socket, seen, &xml);
        }),
    );
    let found = run(&link, &options(0.8));
    assert_eq!(found.devices.len(), 1, "{found:?}");
    let device = &found.devices[0];
    assert_eq!(device.name.as_deref(), Some("Gategpj.exe[31mx"));
    assert_eq!(device.hardware.as_deref(), Some("Model9"));
    assert_eq!(device.endpoint, "urn:uuid:ev[2Jil");
    assert_eq!(device.xaddrs, ["http://10.77.0.2/onvif/device_service"]);
    let mut texts = vec![device.endpoint.clone()];
    texts.extend(device.xaddrs.iter().cloned());
    texts.extend(device.scopes.iter().cloned());
    texts.extend(device.types.iter().cloned());
    texts.extend(device.name.iter().cloned());
    texts.extend(device.hardware.iter().cloned());
    for text in &texts {
        assert!(!text.chars().any(is_hostile), "{text:?}");
    }
    assert!(
        device
            .scopes
            .contains(&"onvif://www.onvif.org/location/yard".to_owned()),
        "{:?}",
        device.scopes
    );
}

#[test]
fn a_cancel_stops_listening() {
    let Some(link) = Link::new() else { return };
    let cancel = Arc::new(AtomicBool::new(false));
    let options = ProbeOptions {
        cancel: Some(Arc::clone(&cancel)),
        ..options(20.0)
    };
    let started = Instant::now();
    let found = std::thread::scope(|scope| {
        let prober = std::thread::Builder::new()
            .name("test-probe".to_owned())
            .spawn_scoped(scope, || run(&link, &options))
            .expect("spawn");
        std::thread::sleep(Duration::from_millis(300));
        cancel.store(true, Ordering::Relaxed);
        prober.join().expect("join")
    });
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(found.devices.is_empty());
}

#[test]
fn bad_options_and_unknown_interfaces_are_errors() {
    let err = probe(&ProbeOptions {
        interfaces: vec!["no-such-if0".to_owned()],
        ..options(1.0)
    })
    .expect_err("unknown interface");
    assert!(matches!(err, Error::UnknownInterface { .. }), "{err}");
    assert!(err.to_string().contains("no-such-if0"), "{err}");
    for secs in [0.0, 30.5] {
        let err = probe(&options(secs)).expect_err("duration");
        assert!(matches!(err, Error::Duration { .. }), "{err}");
    }
    let err = probe(&ProbeOptions {
        max_datagrams: 0,
        ..options(1.0)
    })
    .expect_err("caps");
    assert!(matches!(err, Error::Caps), "{err}");
}
