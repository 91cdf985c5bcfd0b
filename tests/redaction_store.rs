//! Passwords kept where the site keeps them (the credential store; the environment
//! variable lands in the same `Credentials`) never reach a tile's reason, the camera
//! list's state or a log line, whatever they contain: a camera on a closed loopback
//! port, connected through the real engine, with every log line captured through
//! Vigil's logging layer.
//!
//! Its own test binary: it installs the global subscriber the ingest threads log to.

mod common;

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use tracing_subscriber::layer::SubscriberExt as _;
use vigil_config::redact::Credentials;
use vigil_config::{CameraConfig, CredentialStore, Site};
use vigil_core::{Core, CoreOptions, TileContent, Viewport};
use vigil_media::Failure;

use common::capture::Capture;

/// The global capture: Vigil's redacting writer, without timestamps (so two runs can
/// be compared).
fn capture() -> &'static Capture {
    static CAPTURE: OnceLock<Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture = Capture::default();
        let layer = tracing_subscriber::fmt::layer()
            .without_time()
            .with_ansi(false)
            .with_writer(vigil::logging::RedactingMakeWriter(capture.clone()));
        tracing::subscriber::set_global_default(
            tracing_subscriber::registry()
                .with(tracing_subscriber::filter::LevelFilter::TRACE)
                .with(layer),
        )
        .expect("first subscriber");
        capture
    })
}

fn password() -> impl Strategy<Value = String> {
    let ascii = (0x20u8..=0x7e).prop_map(char::from);
    let special = prop::sample::select(" \"'`<>@:/%#?\\&=+;,![]".chars().collect::<Vec<_>>());
    let letters = prop::sample::select(vec!['é', 'ß', 'ж', '中', 'ü', 'Ø', 'ñ']);
    prop::collection::vec(prop_oneof![4 => ascii, 3 => special, 2 => letters], 3..20)
        .prop_map(String::from_iter)
}

/// What the wall, the camera list and the log say about a camera whose password is in
/// the store, until the tile shows "connection refused".
fn reports(password: &str, port: u16) -> Vec<String> {
    capture().0.lock().expect("capture").clear();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut camera = CameraConfig::new(
        "lobby",
        "Lobby",
        format!("rtsp://127.0.0.1:{port}/Streaming/101"),
    );
    camera.username = Some("admin".into());
    let mut site = Site::empty();
    site.cameras.push(camera);
    site.wall.layout = "1x1".into();
    site.wall.assignment = vec![Some("lobby".into())];
    let mut store = CredentialStore::new(&dir.path().join("credentials.toml"));
    store.set(
        "lobby",
        Credentials {
            username: String::new(),
            password: password.into(),
        },
    );
    let mut core = Core::new(
        site,
        store,
        CoreOptions {
            snapshot_dir: dir.path().join("snapshots"),
            site_path: None,
            storage: None,
            demo_history_hours: None,
            clock: vigil_time::real_clock(),
        },
        Arc::new(|| {}),
    );
    core.set_viewport(Viewport {
        width_points: 640.0,
        height_points: 360.0,
        pixels_per_point: 1.0,
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut out = Vec::new();
    loop {
        core.step();
        let view = core.view();
        let refused = view.tiles.iter().find_map(|t| match &t.content {
            TileContent::Live(live) if live.state.reason() == Some(&Failure::ConnectionRefused) => {
                Some(live.state.reason().map(ToString::to_string))
            }
            _ => None,
        });
        if let Some(reason) = refused {
            out.push(reason.unwrap_or_default());
            out.push(format!("{:?}", core.camera_state("lobby")));
            break;
        }
        assert!(Instant::now() < deadline, "no connection-refused tile");
        std::thread::sleep(Duration::from_millis(10));
    }
    core.shutdown(Duration::from_secs(2));
    out.push(String::from_utf8_lossy(&capture().0.lock().expect("capture")).into_owned());
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn store_passwords_never_reach_tiles_the_list_or_logs(password in password()) {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = closed.local_addr().expect("addr").port();
        drop(closed);
        let baseline = reports(&"1".repeat(password.chars().count()), port);
        let outs = reports(&password, port);
        let chars: Vec<char> = password.chars().collect();
        for (out, base) in outs.iter().zip(&baseline) {
            let leaked: Vec<String> = chars
                .windows(3)
                .map(String::from_iter)
                // Digits and spaces alone also make up times ("in 3 s") that differ
                // between two runs.
                .filter(|w| !w.chars().all(|c| c.is_ascii_digit() || c == ' ' || c == '.'))
                .filter(|w| out.contains(w.as_str()) && !base.contains(w.as_str()))
                .collect();
            prop_assert!(leaked.is_empty(), "{:?} of {:?} in {}", leaked, password, out);
        }
        let log = outs.last().expect("log");
        prop_assert!(log.contains("Lobby"), "the ingest's lines are captured: {}", log);
    }
}
