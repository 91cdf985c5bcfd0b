//! An RTSP redirect never carries the camera's password to another host. A fake camera
//! on 127.0.0.1 asks for credentials (Basic), and once given them answers `302 Moved`
//! to `rtsp://127.0.0.2:<port>/x`; a second fake server there asks for credentials too
//! and records whether an `Authorization` header ever reaches it. Vigil refuses the
//! redirect and says so on the tile.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{no_notify, wait_for};
use vigil_config::redact::{Credentials, parse_source};
use vigil_media::{Engine, Failure, StreamSpec, StreamState, Timeouts, Transport};

/// What a fake server answers to a request, given whether it carried credentials.
type Answer = dyn Fn(bool) -> String + Send + Sync;

/// A fake RTSP server: every request is recorded (its header lines) and answered.
struct FakeRtsp {
    port: u16,
    requests: Arc<Mutex<Vec<Vec<String>>>>,
    connections: Arc<Mutex<usize>>,
    stop: Arc<AtomicBool>,
}

impl FakeRtsp {
    fn start(ip: &str, answer: Arc<Answer>) -> Self {
        let listener = TcpListener::bind((ip, 0)).expect("bind");
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(Mutex::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        {
            let (requests, connections, stop) = (
                Arc::clone(&requests),
                Arc::clone(&connections),
                Arc::clone(&stop),
            );
            std::thread::Builder::new()
                .name(format!("test-rtsp-{ip}"))
                .spawn(move || {
                    while !stop.load(Ordering::SeqCst) {
                        match listener.accept() {
                            Ok((conn, _)) => {
                                *connections.lock().unwrap() += 1;
                                serve(conn, &requests, &*answer, &stop);
                            }
                            Err(_) => std::thread::sleep(Duration::from_millis(10)),
                        }
                    }
                })
                .unwrap();
        }
        Self {
            port,
            requests,
            connections,
            stop,
        }
    }

    fn authorizations(&self) -> usize {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .flatten()
            .filter(|line| line.to_ascii_lowercase().starts_with("authorization:"))
            .count()
    }
}

impl Drop for FakeRtsp {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn serve(conn: TcpStream, requests: &Mutex<Vec<Vec<String>>>, answer: &Answer, stop: &AtomicBool) {
    conn.set_nonblocking(false).ok();
    conn.set_read_timeout(Some(Duration::from_millis(200))).ok();
    let mut writer = conn.try_clone().unwrap();
    let mut reader = BufReader::new(conn);
    let mut lines = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            Err(_) => return,
        }
        let line = line.trim_end().to_owned();
        if !line.is_empty() {
            lines.push(line);
            continue;
        }
        if lines.is_empty() {
            continue;
        }
        let cseq = lines
            .iter()
            .find_map(|l| l.strip_prefix("CSeq:").map(str::trim))
            .unwrap_or("0")
            .to_owned();
        let authorized = lines
            .iter()
            .any(|l| l.to_ascii_lowercase().starts_with("authorization:"));
        requests.lock().unwrap().push(std::mem::take(&mut lines));
        let reply = answer(authorized).replace("{cseq}", &cseq);
        if writer.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

const CHALLENGE: &str =
    "RTSP/1.0 401 Unauthorized\r\nCSeq: {cseq}\r\nWWW-Authenticate: Basic realm=\"cam\"\r\n\r\n";

#[test]
fn a_redirect_to_another_host_is_refused_and_never_gets_the_password() {
    let elsewhere = FakeRtsp::start("127.0.0.2", Arc::new(|_| CHALLENGE.to_owned()));
    let location = format!("rtsp://127.0.0.2:{}/x", elsewhere.port);
    let camera = FakeRtsp::start(
        "127.0.0.1",
        Arc::new(move |authorized| {
            if authorized {
                format!("RTSP/1.0 302 Moved\r\nCSeq: {{cseq}}\r\nLocation: {location}\r\n\r\n")
            } else {
                CHALLENGE.to_owned()
            }
        }),
    );

    let mut engine = Engine::new(no_notify());
    let spec = StreamSpec {
        camera_id: "door".into(),
        camera_name: "Door".into(),
        stream: "main".into(),
        source: parse_source(&format!("rtsp://127.0.0.1:{}/stream", camera.port)).unwrap(),
        transport: Transport::Tcp,
        credentials: Some(Credentials {
            username: "admin".into(),
            password: "s3cret".into(),
        }),
        loop_file: false,
        timeouts: Timeouts {
            open: Duration::from_secs(4),
            stall: Duration::from_secs(2),
        },
    };
    let stream = engine.ensure(&spec);
    let reason = wait_for(Duration::from_secs(15), || {
        stream
            .state()
            .reason()
            .cloned()
            .filter(|r| !matches!(r, Failure::Timeout | Failure::ConnectionRefused))
    });
    // Let FFmpeg go as far as it would: it follows a redirect at once.
    std::thread::sleep(Duration::from_millis(500));
    let state = stream.state();
    engine.shutdown(Duration::from_secs(5));

    assert!(
        camera.authorizations() >= 1,
        "the camera itself got the credentials (the test's premise)"
    );
    assert_eq!(
        elsewhere.authorizations(),
        0,
        "the password went to the host the camera redirected to: {:?}",
        elsewhere.requests.lock().unwrap()
    );
    let Some(Failure::Redirected(target)) = reason else {
        panic!("a redirect is refused with its own reason: {reason:?} ({state:?})");
    };
    assert!(target.contains("127.0.0.2"), "{target}");
    let text = state.describe(std::time::Instant::now());
    assert!(text.contains("redirect"), "{text}");
    assert!(!text.contains("s3cret"));
    assert!(matches!(
        state,
        StreamState::Reconnecting { .. } | StreamState::Offline { .. }
    ));
    eprintln!(
        "elsewhere: {} connection(s), {} request(s)",
        elsewhere.connections.lock().unwrap(),
        elsewhere.requests.lock().unwrap().len()
    );
}
