//! `vigil bench live` as CI runs it: a smoke test (2 streams, 3 s) proving the benchmark
//! works and writes every figure its contract names. It checks no performance target.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

#[test]
fn bench_live_smoke_writes_the_contract_keys() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("live.json");
    let demo = vigil::assets::demo_dir();
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["bench", "live", "--seconds", "3", "--reattach", "--input"])
        .arg(demo.join("lobby.mp4"))
        .arg("--input")
        .arg(demo.join("yard.mp4"))
        .arg("--json")
        .arg(&json)
        .output()
        .expect("run vigil bench live");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "bench failed: {}\n{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("vigil bench live"),
        "summary printed: {stdout}"
    );

    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let streams = report["streams"].as_array().expect("streams");
    assert_eq!(streams.len(), 2);
    for s in streams {
        for key in ["frames_decoded", "frames_dropped", "ttff_ms"] {
            assert!(s[key].is_number(), "stream key {key} missing: {s}");
        }
        // Paced files at 25 fps for 3 s: frames really flowed.
        assert!(s["frames_decoded"].as_u64().unwrap() >= 40, "{s}");
        assert!(s["ttff_ms"].as_f64().unwrap() > 0.0);
        assert!(s["ttff_cached_ms"].is_number(), "reattach timed: {s}");
    }
    for key in [
        "cpu_seconds_total",
        "cpu_seconds_decode",
        "latency_ms_p50",
        "latency_ms_p95",
        "peak_rss_mb",
    ] {
        assert!(report[key].is_number(), "total {key} missing");
        assert!(report["totals"][key].is_number(), "totals.{key} missing");
    }
    let total = report["cpu_seconds_total"].as_f64().unwrap();
    let decode = report["cpu_seconds_decode"].as_f64().unwrap();
    assert!(
        total > 0.0 && decode > 0.0 && decode <= total,
        "cpu {decode} of {total}"
    );
    assert!(
        report["latency_ms_p95"].as_f64().unwrap() >= report["latency_ms_p50"].as_f64().unwrap()
    );
}

#[test]
fn bench_live_rejects_bad_input_clearly() {
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args([
            "bench",
            "live",
            "--seconds",
            "1",
            "--input",
            "http://example.invalid/x",
        ])
        .output()
        .expect("run vigil");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("input 1"),
        "error names the input: {stderr}"
    );
}
