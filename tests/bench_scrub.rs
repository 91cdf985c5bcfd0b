//! `vigil bench scrub` as CI runs it: a smoke test on a small archive (two cameras of
//! the numbered test clip, a few seeks, a one-second drag) proving the benchmark works
//! and writes every figure its contract names. It checks no performance target.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod playback_common;

use std::process::Command;

#[test]
fn bench_scrub_smoke_writes_the_contract_keys() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    playback_common::standard_archive(&archive, "cam1");
    playback_common::standard_archive(&archive, "cam2");
    let json = dir.path().join("scrub.json");
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args([
            "bench",
            "scrub",
            "--seeks",
            "8",
            "--seed",
            "3",
            "--drag-seconds",
            "1",
        ])
        .arg("--archive")
        .arg(&archive)
        .arg("--json")
        .arg(&json)
        .output()
        .expect("run vigil bench scrub");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "bench failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("seed 3"), "seed printed: {stdout}");
    assert!(
        stdout.contains("target p95 ≤ 50 ms"),
        "targets printed: {stdout}"
    );

    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(r["seeks"], 8);
    assert_eq!(r["cameras"], 2);
    assert_eq!(r["seed"], 3);
    assert_eq!(
        r["archive"].as_str().unwrap(),
        archive.display().to_string()
    );
    assert_eq!(
        r["mismatches"], 0,
        "every seek showed the expected frame: {r}"
    );
    for key in [
        "preview_ms_p50",
        "preview_ms_p95",
        "exact_ms_p50",
        "exact_ms_p95",
        "seek_phys_ms_p50",
        "seek_phys_ms_p95",
    ] {
        let v = r[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key} missing: {r}"));
        assert!(v > 0.0 && v < 5_000.0, "{key} = {v}");
    }
    for (p50, p95) in [
        ("preview_ms_p50", "preview_ms_p95"),
        ("exact_ms_p50", "exact_ms_p95"),
        ("seek_phys_ms_p50", "seek_phys_ms_p95"),
    ] {
        assert!(
            r[p95].as_f64().unwrap() >= r[p50].as_f64().unwrap(),
            "{p50} ≤ {p95}"
        );
    }
    // The footage: 300 frames at 25 fps, 12 s per camera.
    let footage = r["footage_seconds"].as_f64().unwrap();
    assert!((footage - 24.0).abs() < 0.5, "footage {footage}");
    // The bare seeks decode from a keyframe every 12 frames: 0 to 11 frames after it.
    let k = r["frames_after_keyframe_mean"].as_f64().unwrap();
    assert!((0.0..=12.0).contains(&k), "frames after keyframe {k}");
    // A drag over 4 tiles for about a second: every tile showed several frames.
    assert_eq!(r["drag_tiles"], 4);
    assert!(r["drag_seeks"].as_u64().unwrap() >= 30, "{r}");
    let fps = r["drag_fps_per_tile"].as_f64().unwrap();
    let min = r["drag_fps_min_tile"].as_f64().unwrap();
    assert!(fps >= min && min > 1.0, "drag fps {fps}, slowest {min}");
    assert!(r["preview_ok"].is_boolean() && r["exact_ok"].is_boolean());
}

#[test]
fn bench_scrub_says_what_is_wrong_with_a_folder_without_an_index() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["bench", "scrub", "--seeks", "2", "--archive"])
        .arg(dir.path())
        .output()
        .expect("run vigil");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("has no recording index"),
        "clear message: {stderr}"
    );
}
