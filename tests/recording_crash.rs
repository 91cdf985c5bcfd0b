//! Crash safety: `vigil archive record` is SIGKILLed at random moments, restarted each
//! time; afterwards every indexed segment decodes from start to end, and what was lost
//! at each kill is within the documented bound (docs/recording.md: under 2 s).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ffmpeg_next as ff;
use vigil_record::reconcile::reconcile;
use vigil_store::Store;

const KILLS: usize = 12;
const LOSS_BOUND_NS: i64 = 2_000_000_000;
const CAMERA: &str = "cam1";

fn now_ns() -> i64 {
    vigil_time::WallNanos::now().0
}

fn spawn(storage: &Path) -> (Child, mpsc::Receiver<String>) {
    let clip = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo/lobby.mp4");
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["--log-level", "warn", "archive", "record", "--input", clip])
        .arg("--storage")
        .arg(storage)
        .args(["--camera-id", CAMERA, "--segment-secs", "4"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start vigil archive record");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::sync_channel(64);
    std::thread::Builder::new()
        .name("test-recorder-stdout".to_owned())
        .spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        })
        .expect("thread");
    (child, rx)
}

/// Waits for the child's reconcile line, then for a segment of this run with at least
/// one committed fragment.
fn wait_recording(storage: &Path, lines: &mpsc::Receiver<String>, since_ns: i64) -> String {
    let report = lines
        .recv_timeout(Duration::from_secs(20))
        .expect("the recorder prints its reconcile report");
    assert!(report.starts_with("reconciled:"), "{report}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let store = Store::open(storage).expect("index");
        let recording = store
            .segments(Some(CAMERA))
            .unwrap()
            .into_iter()
            .any(|s| s.start_ns >= since_ns && s.end_ns > s.start_ns);
        if recording {
            return report;
        }
        assert!(
            Instant::now() < deadline,
            "the recorder never committed a fragment"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Decodes every frame of `path`; the number of frames, and decode errors.
fn decode_all(path: &Path) -> (usize, usize) {
    let mut input = ff::format::input(&path).expect("open segment");
    let stream = input.streams().best(ff::media::Type::Video).expect("video");
    let index = stream.index();
    let mut decoder = ff::codec::context::Context::from_parameters(stream.parameters())
        .expect("ctx")
        .decoder()
        .video()
        .expect("decoder");
    let (mut frames, mut errors) = (0, 0);
    let mut frame = ff::frame::Video::empty();
    for (s, packet) in input.packets() {
        if s.index() != index {
            continue;
        }
        if decoder.send_packet(&packet).is_err() {
            errors += 1;
        }
        while decoder.receive_frame(&mut frame).is_ok() {
            frames += 1;
        }
    }
    decoder.send_eof().ok();
    while decoder.receive_frame(&mut frame).is_ok() {
        frames += 1;
    }
    (frames, errors)
}

#[test]
fn sigkill_at_random_moments_loses_at_most_two_seconds() {
    ff::init().ok();
    let dir = tempfile::tempdir().expect("tmp");
    let storage = dir.path();
    let mut losses_ns = Vec::new();
    let mut reports = Vec::new();
    for round in 0..KILLS {
        let started_ns = now_ns();
        let (mut child, lines) = spawn(storage);
        reports.push(wait_recording(storage, &lines, started_ns));
        // Anywhere in a 4 s segment: just after a fragment, mid-fragment, at a rotation.
        let wait = Duration::from_millis(fastrand::u64(200..5_000));
        std::thread::sleep(wait);
        let kill_ns = now_ns();
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        let store = Store::open(storage).expect("index");
        let end_ns = store.last_end(CAMERA).unwrap().expect("footage");
        let loss_ns = kill_ns - end_ns;
        eprintln!(
            "kill {round}: after {:.2} s, loss {:.3} s",
            wait.as_secs_f64(),
            loss_ns as f64 / 1e9
        );
        losses_ns.push(loss_ns);
    }
    // The last kill is repaired here, the others were by the next run.
    let mut store = Store::open(storage).expect("index");
    let last = reconcile(&mut store).expect("reconcile");
    eprintln!("final reconcile: {last:?}");
    eprintln!("reconcile lines of the restarts: {reports:#?}");
    assert!(
        last.missing.is_empty() && last.unknown.is_empty(),
        "{last:?}"
    );
    // Each restart found the killed run's open segment and closed it (or removed it,
    // when the kill came before its first fragment was durable).
    for report in &reports[1..] {
        assert!(
            report.contains("closed=1") || report.contains("removed_empty=1"),
            "{report}"
        );
        assert!(
            report.contains("missing=0") && report.contains("unknown=0"),
            "{report}"
        );
    }

    let worst = *losses_ns.iter().max().unwrap();
    eprintln!(
        "worst loss after SIGKILL: {:.3} s over {KILLS} kills",
        worst as f64 / 1e9
    );
    assert!(
        losses_ns.iter().all(|l| *l <= LOSS_BOUND_NS),
        "losses (ns): {losses_ns:?}"
    );

    let segments = store.segments(Some(CAMERA)).unwrap();
    assert!(segments.len() >= KILLS, "{}", segments.len());
    let mut total_frames = 0;
    for segment in &segments {
        assert!(!segment.recording, "{segment:?}");
        let path = storage.join(&segment.file);
        assert_eq!(
            std::fs::metadata(&path)
                .expect("file of an indexed segment")
                .len(),
            segment.bytes,
            "{segment:?}"
        );
        let (frames, errors) = decode_all(&path);
        assert_eq!(errors, 0, "{}", segment.file);
        // 25 fps: the row's duration is exactly the frames in the file.
        let expected = (segment.end_ns - segment.start_ns) / 40_000_000;
        assert_eq!(
            i64::try_from(frames).unwrap(),
            expected,
            "{}: decoded frames against the row's duration",
            segment.file
        );
        total_frames += frames;
    }
    // Every restart left a gap with its reason.
    let gaps = store.gaps(Some(CAMERA)).unwrap();
    assert!(
        gaps.iter()
            .filter(|g| g.reason == vigil_store::GapReason::NotRunning)
            .count()
            >= KILLS - 1,
        "{gaps:?}"
    );
    eprintln!(
        "{} segments, {total_frames} frames, all decode start to end",
        segments.len()
    );
}
