//! Restarting the camera 20 times leaves no threads or file descriptors behind.
//! (Own test binary: thread and fd counts are per process.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::{RtspServer, fd_count, no_notify, thread_count, wait_for, wait_live};
use vigil_config::redact::parse_source;
use vigil_media::{Engine, StreamSpec, StreamState, Timeouts, Transport};

#[test]
fn twenty_restarts_do_not_leak_threads_or_fds() {
    let mut server = RtspServer::start(0, &["--mount", "cam1"]);
    let mut engine = Engine::new(no_notify());
    let spec = StreamSpec {
        camera_id: "soak".into(),
        camera_name: "Soak".into(),
        stream: "main".into(),
        source: parse_source(&server.url("cam1")).unwrap(),
        transport: Transport::Tcp,
        credentials: None,
        loop_file: false,
        timeouts: Timeouts {
            open: Duration::from_secs(4),
            stall: Duration::from_secs(2),
        },
    };
    let s = engine.ensure(&spec);
    assert!(wait_live(&s, 5, Duration::from_secs(20)));
    // Warm up one cycle so lazily created resources exist before counting.
    server = server.kill().restart();
    assert!(wait_live(
        &s,
        s.stats.frames_decoded.load(Ordering::Relaxed) + 3,
        Duration::from_secs(15)
    ));
    let (threads_before, fds_before) = (thread_count(), fd_count());

    for cycle in 0..20 {
        let info = server.kill();
        wait_for(Duration::from_secs(10), || {
            (s.state() != StreamState::Live).then_some(())
        })
        .unwrap_or_else(|| panic!("cycle {cycle}: still live after the server died"));
        server = info.restart();
        let frames = s.stats.frames_decoded.load(Ordering::Relaxed);
        assert!(
            wait_live(&s, frames + 3, Duration::from_secs(15)),
            "cycle {cycle}: {:?}",
            s.state()
        );
    }
    let (threads_after, fds_after) = (thread_count(), fd_count());
    eprintln!("threads {threads_before} -> {threads_after}, fds {fds_before} -> {fds_after}");
    assert!(
        threads_after <= threads_before + 1,
        "threads grew {threads_before} -> {threads_after}"
    );
    assert!(
        fds_after <= fds_before + 2,
        "fds grew {fds_before} -> {fds_after}"
    );
    assert!(s.ingest().stats.connects.load(Ordering::Relaxed) >= 21);
}
