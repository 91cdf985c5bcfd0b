//! End to end: the real `vigil` binary in a real X window (Xvfb, wgpu on lavapipe),
//! showing the demo site. Every tile must show moving video; SIGTERM exits cleanly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Stdio};

use common::xvfb::{Killed, start_xvfb};
use std::time::{Duration, Instant};

const SCREEN: (u32, u32) = (1280, 800);

fn screenshot(display: &str) -> image::RgbImage {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "xwd -root -silent -display {display} | convert xwd:- png:-"
        ))
        .output()
        .expect("xwd and convert (x11-apps, imagemagick)");
    assert!(
        out.status.success(),
        "screenshot failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    image::load_from_memory(&out.stdout).expect("png").to_rgb8()
}

/// The centre half of each 2×2 tile (kiosk mode: the wall fills the window).
fn tile_regions() -> Vec<(u32, u32, u32, u32)> {
    let (w, h) = (SCREEN.0 / 2, SCREEN.1 / 2);
    (0..4)
        .map(|i| {
            let (x0, y0) = ((i % 2) * w, (i / 2) * h);
            (x0 + w / 4, y0 + h / 4, w / 2, h / 2)
        })
        .collect()
}

fn stddev(img: &image::RgbImage, (x, y, w, h): (u32, u32, u32, u32)) -> f64 {
    let values: Vec<f64> = (y..y + h)
        .step_by(2)
        .flat_map(|yy| (x..x + w).step_by(2).map(move |xx| (xx, yy)))
        .map(|(xx, yy)| {
            let p = img.get_pixel(xx, yy).0;
            f64::from(p[0]) + f64::from(p[1]) + f64::from(p[2])
        })
        .collect();
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64).sqrt()
}

fn mean_abs_diff(
    a: &image::RgbImage,
    b: &image::RgbImage,
    (x, y, w, h): (u32, u32, u32, u32),
) -> f64 {
    let mut sum = 0.0;
    let mut n = 0.0;
    for yy in (y..y + h).step_by(2) {
        for xx in (x..x + w).step_by(2) {
            let (p, q) = (a.get_pixel(xx, yy).0, b.get_pixel(xx, yy).0);
            sum += (0..3)
                .map(|c| (f64::from(p[c]) - f64::from(q[c])).abs())
                .sum::<f64>();
            n += 1.0;
        }
    }
    sum / n
}

#[test]
fn demo_wall_plays_in_a_real_window_and_exits_on_sigterm() {
    let (_xvfb, display) = start_xvfb();
    let home = tempfile::tempdir().unwrap();
    let started_wall = vigil_time::WallNanos::now();
    let child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args([
            "--demo",
            "--kiosk",
            "--layout",
            "2x2",
            "--window-size",
            &format!("{}x{}", SCREEN.0, SCREEN.1),
        ])
        .env("DISPLAY", &display)
        .env_remove("WAYLAND_DISPLAY")
        .env("VIGIL_CONFIG_DIR", home.path().join("config"))
        .env("VIGIL_DATA_DIR", home.path().join("data"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start vigil");
    let mut app = Killed(child);

    // Wait until every tile shows a picture with detail in it.
    let regions = tile_regions();
    let started = Instant::now();
    let first = common::wait_for(Duration::from_secs(90), || {
        assert!(app.0.try_wait().unwrap().is_none(), "vigil exited early");
        let shot = screenshot(&display);
        regions
            .iter()
            .all(|r| stddev(&shot, *r) > 8.0)
            .then_some(shot)
    })
    .unwrap_or_else(|| {
        let shot = screenshot(&display);
        shot.save("target/window-test-failure.png").ok();
        panic!("tiles never all showed video (see target/window-test-failure.png)")
    });
    eprintln!("all tiles showed video after {:?}", started.elapsed());
    std::thread::sleep(Duration::from_secs(1));
    let second = screenshot(&display);
    for (i, r) in regions.iter().enumerate() {
        let diff = mean_abs_diff(&first, &second, *r);
        assert!(
            diff > 1.0,
            "tile {i} did not change in one second (mean diff {diff:.2})"
        );
    }

    // SIGTERM: a clean exit with status 0.
    let pid = app.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = common::wait_for(Duration::from_secs(15), || app.0.try_wait().unwrap())
        .expect("vigil did not exit after SIGTERM");
    assert!(status.success(), "exit status after SIGTERM: {status:?}");
    // The log file was written in the data dir and names the cameras.
    let logs: Vec<_> = std::fs::read_dir(home.path().join("data/logs"))
        .unwrap()
        .flatten()
        .collect();
    assert!(!logs.is_empty(), "no log file");
    let text = std::fs::read_to_string(logs[0].path()).unwrap();
    assert!(text.contains("Lobby"), "log lines name the camera");

    // The demo records: its archive holds the seeded history (hours before the start)
    // and what this run recorded live, closed cleanly by the SIGTERM shutdown.
    let store = vigil_store::Store::open(&home.path().join("data/demo-recordings"))
        .expect("the demo's archive");
    let segments = store.segments(Some("lobby")).expect("segments");
    let hour = 3_600_000_000_000_i64;
    let earliest = segments
        .iter()
        .map(|s| s.start_ns)
        .min()
        .expect("no segments");
    assert!(
        started_wall.nanos() - earliest > 2 * hour,
        "seeded history starts only {} s before the run",
        (started_wall.nanos() - earliest) / 1_000_000_000
    );
    let live: Vec<_> = segments
        .iter()
        .filter(|s| s.start_ns >= started_wall.nanos())
        .collect();
    assert!(!live.is_empty(), "nothing recorded live by this run");
    assert!(
        live.iter().all(|s| !s.recording && s.end_ns > s.start_ns),
        "live segments not closed on exit: {live:?}"
    );
}
