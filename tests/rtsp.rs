//! Streams against a real RTSP server (GStreamer on loopback): frames flow, the camera
//! restarting brings the stream back, credentials, stalls, and bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::{FreezableProxy, RtspServer, SilentServer, no_notify, wait_for, wait_live};
use vigil_config::redact::{Credentials, parse_source};
use vigil_media::{Engine, Failure, StreamSpec, StreamState, Timeouts, Transport};

fn rtsp_spec(id: &str, url: &str) -> StreamSpec {
    StreamSpec {
        camera_id: id.to_owned(),
        camera_name: format!("Test {id}"),
        stream: "main".into(),
        source: parse_source(url).expect("valid url"),
        transport: Transport::Tcp,
        credentials: None,
        loop_file: false,
        timeouts: Timeouts {
            open: Duration::from_secs(4),
            stall: Duration::from_secs(2),
        },
    }
}

/// Everything the engine logs in this test process, to check no password leaks.
fn captured_logs() -> &'static std::sync::Arc<std::sync::Mutex<Vec<u8>>> {
    static LOGS: std::sync::OnceLock<std::sync::Arc<std::sync::Mutex<Vec<u8>>>> =
        std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let writer_buf = std::sync::Arc::clone(&buf);
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || SharedWriter(std::sync::Arc::clone(&writer_buf)))
            .try_init()
            .ok();
        buf
    })
}

struct SharedWriter(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for SharedWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn reason_of(state: &StreamState) -> Option<Failure> {
    state.reason().cloned()
}

#[test]
fn frames_flow_from_two_cameras_h264_and_h265() {
    let server = RtspServer::start(0, &["--mount", "cam1", "--mount", "cam2:h265"]);
    let mut engine = Engine::new(no_notify());
    let a = engine.ensure(&rtsp_spec("cam1", &server.url("cam1")));
    let b = engine.ensure(&rtsp_spec("cam2", &server.url("cam2")));
    assert!(
        wait_live(&a, 20, Duration::from_secs(20)),
        "cam1 state {:?}",
        a.state()
    );
    assert!(
        wait_live(&b, 20, Duration::from_secs(20)),
        "cam2 state {:?}",
        b.state()
    );
    assert_eq!(a.codec(), "h264");
    assert_eq!(b.codec(), "hevc");
    let frame = a.slot.take_latest().expect("a published frame");
    assert_eq!((frame.width, frame.height), (320, 240));
    assert!(frame.planes[0].data.len() >= 320 * 240);
    assert!(a.ingest().stats.bytes_received.load(Ordering::Relaxed) > 0);
    // Threads are named after the camera.
    engine.shutdown(Duration::from_secs(5));
    assert_eq!(engine.thread_count(), 0);
}

#[test]
fn udp_transport_is_selectable() {
    let server = RtspServer::start(0, &["--mount", "cam1"]);
    let mut engine = Engine::new(no_notify());
    let mut spec = rtsp_spec("udp", &server.url("cam1"));
    spec.transport = Transport::Udp;
    let s = engine.ensure(&spec);
    assert!(
        wait_live(&s, 10, Duration::from_secs(20)),
        "state {:?}",
        s.state()
    );
}

#[test]
fn restarted_server_is_live_again_within_two_seconds() {
    let server = RtspServer::start(0, &["--mount", "cam1"]);
    let mut engine = Engine::new(no_notify());
    let s = engine.ensure(&rtsp_spec("cam1", &server.url("cam1")));
    assert!(wait_live(&s, 10, Duration::from_secs(20)));

    let info = server.kill();
    let down = wait_for(Duration::from_secs(10), || {
        matches!(s.state(), StreamState::Reconnecting { .. }).then_some(())
    });
    assert!(
        down.is_some(),
        "not reconnecting after the server died: {:?}",
        s.state()
    );
    // Stay down long enough for the backoff to grow past 2 s.
    std::thread::sleep(Duration::from_secs(5));
    let before = s.stats.frames_decoded.load(Ordering::Relaxed);
    let server = info.restart();
    let back_at = Instant::now();
    let back = wait_for(Duration::from_secs(10), || {
        (s.state() == StreamState::Live && s.stats.frames_decoded.load(Ordering::Relaxed) > before)
            .then(|| back_at.elapsed())
    })
    .expect("stream came back");
    eprintln!("back to live {back:?} after the server answered again");
    assert!(
        back <= Duration::from_secs(2),
        "back to live after {back:?}"
    );
    drop(server);
}

fn credentials_case(method: &str) {
    let logs = captured_logs();
    let password = "p@ss:w/rd%#?ü";
    let server = RtspServer::start(
        0,
        &[
            "--mount",
            "cam1",
            "--auth",
            method,
            "--user",
            "admin",
            "--password",
            password,
        ],
    );
    let mut engine = Engine::new(no_notify());

    let mut wrong = rtsp_spec("wrong", &server.url("cam1"));
    wrong.credentials = Some(Credentials {
        username: "admin".into(),
        password: "nope".into(),
    });
    let w = engine.ensure(&wrong);
    let mut none = rtsp_spec("none", &server.url("cam1"));
    none.credentials = None;
    let n = engine.ensure(&none);
    let mut right = rtsp_spec("right", &server.url("cam1"));
    right.credentials = Some(Credentials {
        username: "admin".into(),
        password: password.into(),
    });
    let r = engine.ensure(&right);

    assert!(
        wait_live(&r, 10, Duration::from_secs(20)),
        "{method}: right password: {:?}",
        r.state()
    );
    for (name, s) in [("wrong", &w), ("none", &n)] {
        let reason = wait_for(Duration::from_secs(15), || reason_of(&s.state()));
        assert_eq!(
            reason,
            Some(Failure::WrongCredentials),
            "{method}: {name}: {:?}",
            s.state()
        );
        assert!(!s.state().describe(Instant::now()).contains("nope"));
    }
    engine.shutdown(Duration::from_secs(5));
    // Nothing the engine logged carries either password, plain or percent-encoded.
    let text = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(text.contains("stream state"), "logs were captured");
    for secret in [password, "p%40ss", "nope"] {
        assert!(
            !text.contains(secret),
            "{method}: a password reached the logs"
        );
    }
}

#[test]
fn wrong_credentials_basic() {
    credentials_case("basic");
}

#[test]
fn wrong_credentials_digest() {
    credentials_case("digest");
}

#[test]
fn server_that_goes_silent_takes_the_stall_path() {
    let server = RtspServer::start(0, &["--mount", "cam1"]);
    let proxy = FreezableProxy::start(server.port);
    let mut engine = Engine::new(no_notify());
    let url = format!("rtsp://127.0.0.1:{}/cam1", proxy.port);
    let s = engine.ensure(&rtsp_spec("cam1", &url));
    assert!(
        wait_live(&s, 10, Duration::from_secs(20)),
        "{:?}",
        s.state()
    );
    let frozen_at = Instant::now();
    proxy.freeze();
    let seen = wait_for(Duration::from_secs(10), || {
        let state = s.state();
        (state == StreamState::Stalled || reason_of(&state) == Some(Failure::Stalled))
            .then(|| frozen_at.elapsed())
    });
    let after = seen.unwrap_or_else(|| panic!("no stall detected: {:?}", s.state()));
    // Stall limit is 2 s in this test; detection must not take much longer.
    assert!(
        after >= Duration::from_millis(1500) && after < Duration::from_secs(5),
        "stall seen after {after:?}"
    );
}

#[test]
fn accepting_but_silent_server_times_out() {
    let silent = SilentServer::start();
    let mut engine = Engine::new(no_notify());
    let s = engine.ensure(&rtsp_spec(
        "silent",
        &format!("rtsp://127.0.0.1:{}/x", silent.port),
    ));
    let reason = wait_for(Duration::from_secs(12), || reason_of(&s.state()));
    assert_eq!(reason, Some(Failure::Timeout), "{:?}", s.state());
}

#[test]
fn closed_port_is_connection_refused() {
    // Bind then drop: nothing listens on this port now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut engine = Engine::new(no_notify());
    let s = engine.ensure(&rtsp_spec("closed", &format!("rtsp://127.0.0.1:{port}/x")));
    let reason = wait_for(Duration::from_secs(10), || reason_of(&s.state()));
    assert_eq!(reason, Some(Failure::ConnectionRefused), "{:?}", s.state());
}

#[test]
fn unknown_path_is_stream_not_found() {
    let server = RtspServer::start(0, &["--mount", "cam1"]);
    let mut engine = Engine::new(no_notify());
    let s = engine.ensure(&rtsp_spec("missing", &server.url("nothing-here")));
    let reason = wait_for(Duration::from_secs(10), || reason_of(&s.state()));
    assert_eq!(reason, Some(Failure::StreamNotFound), "{:?}", s.state());
}

#[test]
fn bad_files_go_offline_with_their_reason() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.mp4");
    std::fs::write(&empty, b"").unwrap();
    let text = dir.path().join("notes.mp4");
    std::fs::write(&text, "this is not a video, just some text\n".repeat(200)).unwrap();
    let missing = dir.path().join("missing.mp4");

    let mut engine = Engine::new(no_notify());
    let cases = [
        (empty, Failure::NotVideo),
        (text, Failure::NotVideo),
        (missing, Failure::FileNotFound),
    ];
    for (i, (path, expected)) in cases.into_iter().enumerate() {
        let s = engine.ensure(&StreamSpec::file(&format!("f{i}"), "file", &path));
        let state = wait_for(Duration::from_secs(10), || {
            matches!(s.state(), StreamState::Offline { .. }).then(|| s.state())
        });
        assert_eq!(
            state,
            Some(StreamState::Offline { reason: expected }),
            "{}",
            path.display()
        );
    }
}

#[test]
fn malformed_urls_are_rejected_with_a_reason() {
    for url in [
        "rtsp://",
        "rtsp://cam:99999/x",
        "http://cam/x",
        "rtsp://ca m/x",
    ] {
        let err = parse_source(url).expect_err(url);
        assert!(!err.to_string().is_empty());
    }
}
