//! Wrong credentials against a real RTSP server that requires them (GStreamer with
//! RTSPAuth): cameras lock an account after a few failed logins, so Vigil waits much
//! longer after a 401 than after a network failure — at least 60 s from the third one
//! on — and the tile says so. Time runs on a `SimClock`: the test moves it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::{RtspServer, no_notify, wait_for};
use vigil_config::redact::{Credentials, parse_source};
use vigil_media::{Engine, Failure, StreamSpec, StreamState, Timeouts, Transport};
use vigil_time::{Clock as _, SimClock, WallNanos};

#[test]
fn wrong_credentials_back_off_a_minute_from_the_third_failure() {
    let server = RtspServer::start(
        0,
        &[
            "--mount",
            "cam1",
            "--auth",
            "basic",
            "--user",
            "admin",
            "--password",
            "right",
        ],
    );
    let clock = SimClock::new(WallNanos(1_780_000_000_000_000_000));
    let mut engine = Engine::with_clock(no_notify(), Arc::clone(&clock) as _);
    let spec = StreamSpec {
        camera_id: "door".into(),
        camera_name: "Door".into(),
        stream: "main".into(),
        source: parse_source(&server.url("cam1")).unwrap(),
        transport: Transport::Tcp,
        credentials: Some(Credentials {
            username: "admin".into(),
            password: "wrong".into(),
        }),
        loop_file: false,
        timeouts: Timeouts::default(),
    };
    let stream = engine.ensure(&spec);
    let ingest = Arc::clone(stream.ingest());

    let mut delays = Vec::new();
    for attempt in 1..=4u64 {
        let next_try = wait_for(Duration::from_secs(15), || match stream.state() {
            StreamState::Reconnecting {
                reason: Failure::WrongCredentials,
                next_try,
            } if ingest.stats.connects.load(Ordering::SeqCst) == attempt => Some(next_try),
            _ => None,
        })
        .unwrap_or_else(|| panic!("attempt {attempt}: {:?}", stream.state()));
        let now = clock.monotonic();
        let delay = next_try.saturating_duration_since(now);
        delays.push(delay);
        if attempt == 3 {
            // The tile says why and when, in whole seconds.
            let text = stream.state().describe(now);
            let expected = format!(
                "wrong user name or password (401); next try in {} s",
                delay.as_secs_f64().ceil()
            );
            assert_eq!(text, expected);
            // A second before the next try, nothing is tried.
            clock.advance(delay - Duration::from_secs(1));
            let started = Instant::now();
            while started.elapsed() < Duration::from_millis(300) {
                std::thread::sleep(Duration::from_millis(20));
            }
            assert_eq!(ingest.stats.connects.load(Ordering::SeqCst), 3);
            clock.advance(Duration::from_secs(1) + Duration::from_millis(1));
        } else {
            clock.advance(delay + Duration::from_millis(1));
        }
    }
    engine.shutdown(Duration::from_secs(5));
    // Far longer than a network failure's first retries (0.5 s, 1 s)…
    assert!(
        delays[0] >= Duration::from_secs(10),
        "first 401 retried after {:?}",
        delays[0]
    );
    // …and at least a minute from the third failure on.
    for delay in &delays[2..] {
        assert!(*delay >= Duration::from_secs(60), "{delays:?}");
    }
}
