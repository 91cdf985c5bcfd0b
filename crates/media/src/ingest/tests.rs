//! The ingest on a simulated clock, against real sockets: the open timeout and the
//! reconnect backoff are counted on the clock, not on real time.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use vigil_config::redact::parse_source;
use vigil_time::{Clock as _, SimClock, WallNanos};

use crate::{Engine, Failure, IngestShared, StreamSpec, StreamState, Timeouts, Transport};

const NANO: Duration = Duration::from_nanos(1);

fn spec(url: &str, timeouts: Timeouts) -> StreamSpec {
    StreamSpec {
        camera_id: "cam".to_owned(),
        camera_name: "Test cam".to_owned(),
        stream: "main".to_owned(),
        source: parse_source(url).expect("valid url"),
        transport: Transport::Tcp,
        credentials: None,
        loop_file: false,
        timeouts,
    }
}

/// Polls `f` until it answers, for at most `limit` of real time.
fn wait_for<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn reconnecting(ingest: &IngestShared) -> Option<(Failure, Instant)> {
    match ingest.state() {
        StreamState::Reconnecting { reason, next_try } => Some((reason, next_try)),
        _ => None,
    }
}

fn clock() -> Arc<SimClock> {
    SimClock::new(WallNanos::from_secs(1_774_745_997))
}

/// Nothing listens: each failure schedules the next try on the clock, by the backoff
/// (500 ms, then 1 s, each ±20 %), and the ingest tries again when the clock — not
/// real time — gets there.
#[test]
fn reconnects_when_the_clock_reaches_the_backoffs_next_try() {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let clock = clock();
    let mut engine = Engine::with_clock(Arc::new(|| {}), clock.clone());
    let ingest = engine.ensure_ingest(&spec(
        &format!("rtsp://127.0.0.1:{port}/x"),
        Timeouts::default(),
    ));
    let (reason, next_try) = wait_for("the first failure", Duration::from_secs(10), || {
        reconnecting(&ingest)
    });
    assert_eq!(reason, Failure::ConnectionRefused);
    let first_delay = next_try - clock.monotonic();
    assert!(
        (Duration::from_millis(400)..=Duration::from_millis(600)).contains(&first_delay),
        "first backoff step: {first_delay:?}"
    );
    // More real time than any first step passes, the clock stops 1 ns short: no retry.
    clock.advance(first_delay - NANO);
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(ingest.stats.connects.load(Ordering::Relaxed), 1);
    assert_eq!(reconnecting(&ingest), Some((reason, next_try)));
    // The clock reaches the next try: the ingest tries again and fails again.
    clock.advance(NANO);
    let (reason, second_try) = wait_for("the retry", Duration::from_secs(10), || {
        reconnecting(&ingest).filter(|(_, at)| *at != next_try)
    });
    assert_eq!(reason, Failure::ConnectionRefused);
    assert_eq!(ingest.stats.connects.load(Ordering::Relaxed), 2);
    let second_delay = second_try - clock.monotonic();
    assert!(
        (Duration::from_millis(800)..=Duration::from_millis(1200)).contains(&second_delay),
        "second backoff step: {second_delay:?}"
    );
    engine.shutdown(Duration::from_secs(5));
}

/// A server that accepts and never answers: the ingest stays connecting until the
/// clock has moved by exactly the open timeout. FFmpeg's own socket timeout (the same
/// 30 s, in real time) is far away.
#[test]
fn the_open_timeout_is_counted_on_the_clock() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("address").port();
    listener.set_nonblocking(true).expect("nonblocking");
    let open = Duration::from_secs(30);
    let clock = clock();
    let mut engine = Engine::with_clock(Arc::new(|| {}), clock.clone());
    let ingest = engine.ensure_ingest(&spec(
        &format!("rtsp://127.0.0.1:{port}/x"),
        Timeouts {
            open,
            stall: Duration::from_secs(3),
        },
    ));
    let started = Instant::now();
    let _silent = wait_for("the connection", Duration::from_secs(10), || {
        listener.accept().ok()
    });
    clock.advance(open - NANO);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        ingest.state(),
        StreamState::Connecting,
        "1 ns before the timeout"
    );
    clock.advance(NANO);
    let (reason, _) = wait_for("the timeout", Duration::from_secs(5), || {
        reconnecting(&ingest)
    });
    assert_eq!(reason, Failure::Timeout);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "not FFmpeg's own timeout"
    );
    engine.shutdown(Duration::from_secs(5));
}
