//! `vigil bench timeline` as a smoke test: a seeded archive opens on the timeline and
//! the JSON carries the figures BENCHMARKS.md quotes.

use std::process::Command;

#[test]
fn bench_timeline_reads_a_seeded_archive_and_writes_its_figures() {
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = dir.path().join("archive");
    let clip = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/yard.mp4");
    let status = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args([
            "archive",
            "seed",
            "--cameras",
            "2",
            "--hours",
            "1",
            "--from",
        ])
        .arg(&clip)
        .arg("--out")
        .arg(&archive)
        .status()
        .expect("run vigil archive seed");
    assert!(status.success());
    let json = dir.path().join("timeline.json");
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["bench", "timeline", "--archive"])
        .arg(&archive)
        .arg("--json")
        .arg(&json)
        .output()
        .expect("run vigil bench timeline");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&json).expect("json written");
    let v: serde_json::Value = serde_json::from_str(&text).expect("valid json");
    assert_eq!(v["cameras"], 2);
    let days = v["span_days"].as_f64().expect("span_days");
    assert!((days - 1.0 / 24.0).abs() < 0.01, "span {days} days");
    assert!(v["ranges"].as_u64().expect("ranges") >= 2);
    for key in ["open_ms", "refresh_ms_p50", "refresh_ms_p95"] {
        let ms = v[key].as_f64().unwrap_or(-1.0);
        assert!(ms > 0.0 && ms < 10_000.0, "{key} = {ms}");
    }

    // A folder without an index is a clear error, not a panic.
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["bench", "timeline", "--archive"])
        .arg(dir.path())
        .output()
        .expect("run vigil bench timeline");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no recording index"), "{err}");
}
