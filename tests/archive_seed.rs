//! `vigil archive seed`: a synthetic archive from a demo clip whose index covers the
//! range, whose files decode, with keyframe rows, gaps, events and bookmarks, and that
//! reconciliation finds clean. Also the demo site's history.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::os::unix::fs::MetadataExt as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use ffmpeg_next as ff;
use vigil_record::reconcile;
use vigil_store::Store;

const SEC: i64 = 1_000_000_000;
const MIN: i64 = 60 * SEC;

fn clip(name: &str) -> String {
    format!("{}/assets/demo/{name}.mp4", env!("CARGO_MANIFEST_DIR"))
}

/// Decodes every frame of a file; returns the frame count.
fn decode_all(path: &Path) -> usize {
    let mut input = ff::format::input(path).unwrap();
    let stream = input.streams().best(ff::media::Type::Video).unwrap();
    let index = stream.index();
    let mut decoder = ff::codec::context::Context::from_parameters(stream.parameters())
        .unwrap()
        .decoder()
        .video()
        .unwrap();
    let mut frame = ff::frame::Video::empty();
    let mut frames = 0;
    for (s, packet) in input.packets() {
        if s.index() != index {
            continue;
        }
        decoder.send_packet(&packet).unwrap();
        while decoder.receive_frame(&mut frame).is_ok() {
            frames += 1;
        }
    }
    decoder.send_eof().unwrap();
    while decoder.receive_frame(&mut frame).is_ok() {
        frames += 1;
    }
    frames
}

#[test]
fn seed_two_cameras_half_an_hour() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("archive");
    let before_ns = vigil_time::WallNanos::now().0;
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args([
            "archive",
            "seed",
            "--cameras",
            "2",
            "--hours",
            "0.5",
            "--from",
        ])
        .arg(clip("yard"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    eprintln!(
        "{} ({:.2} s)",
        stdout.trim(),
        started.elapsed().as_secs_f64()
    );
    assert!(stdout.contains("seeded 2 cameras"), "{stdout}");
    let after_ns = vigil_time::WallNanos::now().0;

    ff::init().unwrap();
    let mut store = Store::open(&out).unwrap();
    for camera in ["cam01", "cam02"] {
        let segments = store.segments(Some(camera)).unwrap();
        let gaps = store.gaps(Some(camera)).unwrap();
        assert!(!gaps.is_empty(), "{camera}: a few gaps");
        // The segments and gaps tile half an hour ending now.
        let first = segments.first().unwrap();
        let last = segments.last().unwrap();
        assert!(
            (before_ns - 30 * MIN..=after_ns - 30 * MIN).contains(&first.start_ns),
            "{camera} starts {} s before the seed ran",
            (before_ns - first.start_ns) / SEC
        );
        assert!(
            (before_ns - SEC..=after_ns).contains(&last.end_ns),
            "{camera}: ends {} s before now",
            (after_ns - last.end_ns) / SEC
        );
        let gap_minutes: i64 = gaps
            .iter()
            .map(|g| g.end_ns.unwrap() - g.start_ns)
            .sum::<i64>();
        let recorded: i64 = segments.iter().map(|s| s.end_ns - s.start_ns).sum();
        assert_eq!(
            recorded + gap_minutes,
            last.end_ns - first.start_ns,
            "{camera}: segments and gaps cover the range without holes or overlaps"
        );
        for pair in segments.windows(2) {
            assert!(pair[0].end_ns <= pair[1].start_ns, "{pair:?}");
        }
        for s in &segments {
            assert_eq!(s.end_ns - s.start_ns, MIN, "one-minute segments");
            assert!(!s.recording);
            let keyframes = store.keyframes(s.id).unwrap();
            assert_eq!(keyframes.len(), 60, "a keyframe row per second");
            assert_eq!(keyframes[0].0, s.start_ns);
            assert!(
                keyframes
                    .windows(2)
                    .all(|k| k[0].0 < k[1].0 && k[0].1 < k[1].1)
            );
            assert!(keyframes.iter().all(|k| k.0 < s.end_ns));
        }
        // Hard links: every segment of a camera is one file on disk.
        let inodes: HashSet<u64> = segments
            .iter()
            .map(|s| std::fs::metadata(out.join(&s.file)).unwrap().ino())
            .collect();
        assert_eq!(inodes.len(), 1, "{camera}");
        // The file decodes start to end: a minute at 25 frames/s.
        assert_eq!(decode_all(&out.join(&segments[0].file)), 1500);
        assert_eq!(decode_all(&out.join(&last.file)), 1500);
        assert!(store.events(Some(camera), 0, i64::MAX).unwrap().len() >= 2);
        assert_eq!(store.bookmarks(Some(camera)).unwrap().len(), 1);
        assert!(
            store
                .recorded_ranges(camera, 0, i64::MAX, SEC)
                .unwrap()
                .len()
                == gaps.len() + 1
        );
    }
    let report = reconcile::reconcile(&mut store).unwrap();
    assert!(report.is_clean(), "{report:?}");

    // Seeding again over the same cameras is refused; the archive is left as it was.
    let count = store.segments(None).unwrap().len();
    let output = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args([
            "archive",
            "seed",
            "--cameras",
            "1",
            "--hours",
            "1",
            "--from",
        ])
        .arg(clip("yard"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("already holds footage of camera 'cam01'"),
        "{stderr}"
    );
    assert_eq!(store.segments(None).unwrap().len(), count);
}

#[test]
fn seed_names_cameras_and_reports_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_vigil"))
            .args(["archive", "seed"])
            .args(args)
            .arg("--out")
            .arg(dir.path())
            .output()
            .unwrap()
    };
    let yard = clip("yard");
    let output = run(&[
        "--cameras",
        "2",
        "--hours",
        "0.2",
        "--from",
        &yard,
        "--camera-id",
        "gate,dock",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let store = Store::open(dir.path()).unwrap();
    let cameras: HashSet<String> = store
        .segments(None)
        .unwrap()
        .into_iter()
        .map(|s| s.camera)
        .collect();
    assert_eq!(
        cameras,
        HashSet::from(["gate".to_owned(), "dock".to_owned()])
    );
    for (args, want) in [
        (
            vec![
                "--cameras",
                "2",
                "--hours",
                "1",
                "--from",
                &yard,
                "--camera-id",
                "x",
            ],
            "--camera-id names 1 cameras but --cameras is 2",
        ),
        (
            vec!["--cameras", "1", "--hours", "0", "--from", &yard],
            "--hours must be above 0",
        ),
        (
            vec![
                "--cameras",
                "1",
                "--hours",
                "1",
                "--from",
                "/nonexistent/clip.mp4",
            ],
            "cannot open the clip /nonexistent/clip.mp4",
        ),
        (
            vec![
                "--cameras",
                "1",
                "--hours",
                "1",
                "--from",
                &yard,
                "--camera-id",
                "a/b",
            ],
            "camera id 'a/b'",
        ),
    ] {
        let output = run(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !output.status.success() && stderr.contains(want),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn demo_history_is_seeded_once_from_each_camera_clip() {
    let dir = tempfile::tempdir().unwrap();
    let demo_dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo"));
    let site = vigil_config::demo_site(demo_dir);
    let started = Instant::now();
    vigil_record::ensure_demo_history(dir.path(), &site, 2.0).unwrap();
    eprintln!(
        "demo history, 7 cameras × 2 h: {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let mut store = Store::open(dir.path()).unwrap();
    let now = vigil_time::WallNanos::now().0;
    for camera in &site.cameras {
        let ranges = store.recorded_ranges(&camera.id, 0, i64::MAX, SEC).unwrap();
        let first = ranges.first().unwrap().0;
        assert!(
            (now - first - 2 * 3600 * SEC).abs() < 10 * SEC,
            "{}",
            camera.id
        );
        let segments = store.segments(Some(&camera.id)).unwrap();
        let inode = std::fs::metadata(dir.path().join(&segments[0].file))
            .unwrap()
            .ino();
        assert!(
            segments
                .iter()
                .all(|s| std::fs::metadata(dir.path().join(&s.file)).unwrap().ino() == inode)
        );
    }
    let count = store.segments(None).unwrap().len();
    assert_eq!(count, 7 * 120 - store_gap_minutes(&store), "{count}");
    // A second start finds the history and adds nothing.
    vigil_record::ensure_demo_history(dir.path(), &site, 2.0).unwrap();
    assert_eq!(store.segments(None).unwrap().len(), count);
    assert!(reconcile::reconcile(&mut store).unwrap().is_clean());
}

/// Minutes the seeded gaps leave out, over all cameras.
fn store_gap_minutes(store: &Store) -> usize {
    store
        .gaps(None)
        .unwrap()
        .iter()
        .map(|g| {
            // A gap runs from the end of a segment to the start of the next one.
            usize::try_from((g.end_ns.unwrap() - g.start_ns) / MIN).unwrap()
        })
        .sum()
}
