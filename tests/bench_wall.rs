//! `vigil bench wall` as CI runs it: a smoke test (the demo clips on a 2×2 wall, 3 s,
//! the real window under Xvfb) proving the benchmark runs and writes every figure its
//! contract names, and that every tile showed pictures. It checks no performance target.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use common::xvfb::start_xvfb_sized;

#[test]
fn bench_wall_smoke_writes_the_contract_keys() {
    let (_xvfb, display) = start_xvfb_sized(1280, 800);
    let dir = tempfile::tempdir().unwrap();
    let demo = vigil::assets::demo_dir();
    let clips = ["lobby", "yard", "gate", "parking"];
    let mut site = String::from(
        "schema_version = 1\nname = \"bench\"\n[wall]\nlayout = \"2x2\"\nassignment = [\"lobby\", \"yard\", \"gate\", \"parking\"]\n",
    );
    for clip in clips {
        site.push_str(&format!(
            "[[cameras]]\nid = \"{clip}\"\nname = \"{clip}\"\nsource = \"{}\"\n",
            demo.join(format!("{clip}.mp4")).display()
        ));
    }
    let site_path = dir.path().join("site.toml");
    std::fs::write(&site_path, site).unwrap();
    let json = dir.path().join("wall.json");
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["bench", "wall", "--layout", "2x2", "--seconds", "3"])
        .args(["--size", "1280x800", "--site"])
        .arg(&site_path)
        .arg("--json")
        .arg(&json)
        .env("DISPLAY", &display)
        .env_remove("WAYLAND_DISPLAY")
        .env("VIGIL_CONFIG_DIR", dir.path().join("config"))
        .env("VIGIL_DATA_DIR", dir.path().join("data"))
        .output()
        .expect("run vigil bench wall");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "bench failed: {}\n{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("bench wall 2x2"),
        "summary printed: {stdout}"
    );

    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let tiles = report["tiles"].as_array().expect("tiles");
    assert_eq!(tiles.len(), 4, "{report}");
    for t in tiles {
        assert!(t["fps_in"].as_f64().expect("fps_in") > 0.0, "{t}");
        assert!(t["fps_shown"].as_f64().expect("fps_shown") > 0.0, "{t}");
    }
    for key in [
        "cpu_percent",
        "repaints_per_s",
        "frame_ms_p50",
        "frame_ms_p99",
        "render_cpu_ms_per_frame",
    ] {
        assert!(report[key].is_number(), "total {key} missing: {report}");
    }
    assert!(report["cpu_percent"].as_f64().unwrap() > 0.0, "{report}");
    assert!(report["repaints_per_s"].as_f64().unwrap() > 0.0, "{report}");
    // Repaints come from new pictures (coalesced) and the 2 Hz clock, never more than
    // the 60 Hz cap allows.
    assert!(
        report["repaints_per_s"].as_f64().unwrap() <= 62.0,
        "{report}"
    );
}
