//! A segment whose open never returns (a FIFO named like a segment, which nobody
//! writes: `open()` blocks; a hung network mount behaves alike) must not hang review:
//! stopping the player returns within a bounded time, and the player says why it could
//! not read the segment.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use vigil_playback::{PlaybackClock, Player, PlayerState, SeekMode};
use vigil_store::{NewSegment, SegmentTrigger, Store};
use vigil_time::WallNanos;

const START_NS: i64 = 1_780_000_000_000_000_000;
const SECOND_NS: i64 = 1_000_000_000;

/// An index with one closed 10 s segment of `camera`, whose file is a FIFO.
fn archive_with_a_fifo(storage: &Path, camera: &str) {
    let mut store = Store::open(storage).expect("store");
    let file = format!("{camera}/{START_NS}.mp4");
    let id = store
        .insert_segment(&NewSegment {
            camera: camera.to_owned(),
            file: file.clone(),
            start_ns: START_NS,
            source_dts: 0,
            time_base: (1, 90_000),
            bytes: 1_000_000,
            codec: "h264".to_owned(),
            width: 320,
            height: 240,
            trigger: SegmentTrigger::Continuous,
        })
        .expect("insert");
    store
        .segment_progress(
            id,
            START_NS + 10 * SECOND_NS,
            1_000_000,
            &[(START_NS, 0), (START_NS + 5 * SECOND_NS, 500_000)],
            true,
        )
        .expect("close");
    std::fs::create_dir_all(storage.join(camera)).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(storage.join(&file))
        .status()
        .expect("mkfifo");
    assert!(status.success());
}

#[test]
fn a_segment_that_never_opens_does_not_hang_stopping_the_player() {
    let dir = tempfile::tempdir().unwrap();
    archive_with_a_fifo(dir.path(), "cam");
    let clock = PlaybackClock::new(WallNanos(START_NS + 2 * SECOND_NS));
    let player = Player::start(dir.path(), "cam", Arc::clone(&clock), Arc::new(|| {})).unwrap();
    clock.seek(WallNanos(START_NS + 2 * SECOND_NS), SeekMode::Exact);
    // Give the player time to reach the open of the segment.
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut state = player.status().state;
    while Instant::now() < deadline && !matches!(state, PlayerState::Error(_)) {
        std::thread::sleep(Duration::from_millis(20));
        state = player.status().state;
    }

    // Stop it from another thread, so a hang fails this test instead of hanging it.
    let (done_tx, done_rx) = std::sync::mpsc::sync_channel(1);
    let started = Instant::now();
    std::thread::Builder::new()
        .name("test-stop".to_owned())
        .spawn(move || {
            player.stop();
            done_tx.send(()).ok();
        })
        .unwrap();
    assert!(
        done_rx.recv_timeout(Duration::from_secs(5)).is_ok(),
        "stopping the player hung (last state {state:?})"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    match state {
        PlayerState::Error(why) => assert!(why.contains("not a regular file"), "{why}"),
        other => panic!("the player should say why it cannot read the segment: {other:?}"),
    }
}
