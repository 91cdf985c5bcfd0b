//! Overload: more 1080p50 streams than this machine can decode. The decode budget must
//! switch tiles to keyframes only, the small tiles before the big one, and the UI must
//! stay responsive: the UI thread's own work per frame (its CPU time) stays under 50 ms
//! at p99, and nine frames in ten take under 50 ms of wall time. Wall time alone at p99
//! measures the machine's scheduler as much as Vigil: on two cores shared with 13
//! decoders, software rendering and whatever else runs, a few frames wait for a core.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use vigil_app::VigilApp;
use vigil_config::{CameraConfig, CredentialStore, Site};

const CAMERAS: usize = 13; // the 1+12 layout

fn heavy_clip(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("heavy-1080p50.mp4");
    let status = Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "mandelbrot=s=1920x1080:r=50",
        ])
        .args([
            "-t",
            "3",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-b:v",
            "10M",
        ])
        .args([
            "-x264-params",
            "bframes=0:keyint=50:scenecut=0",
            "-pix_fmt",
            "yuv420p",
        ])
        .arg(&path)
        .status()
        .expect("ffmpeg");
    assert!(status.success());
    path
}

/// Time the calling thread has spent on a CPU (the kernel's per-thread
/// `sum_exec_runtime`, first field of `/proc/thread-self/schedstat`, in nanoseconds).
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").expect("schedstat");
    let nanos: u64 = stat
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("schedstat's first field");
    Duration::from_nanos(nanos)
}

/// The `p`th percentile (0–100) of `times`, sorted in place.
fn percentile(times: &mut [Duration], p: usize) -> Duration {
    times.sort();
    times[(times.len() * p / 100).min(times.len() - 1)]
}

/// Start-up left out of the frame-time figures.
const WARM_UP: Duration = Duration::from_secs(2);

#[test]
fn overload_degrades_small_tiles_first_and_ui_stays_responsive() {
    let dir = tempfile::tempdir().unwrap();
    let clip = heavy_clip(dir.path());
    let mut site = Site::empty();
    for i in 0..CAMERAS {
        site.cameras.push(CameraConfig::new(
            format!("c{i:02}"),
            format!("Camera {i}"),
            clip.to_string_lossy(),
        ));
    }
    site.wall.layout = "1+12".into();
    site.wall.assignment = site.cameras.iter().map(|c| Some(c.id.clone())).collect();
    let options = common::app_options(dir.path(), true);
    let credentials = CredentialStore::new(&dir.path().join("credentials.toml"));
    let mut harness = Harness::builder()
        .with_size(egui::vec2(960.0, 540.0))
        .wgpu()
        .build_eframe(move |cc| VigilApp::new(cc, site, credentials, options));

    let mut frame_times = Vec::new();
    let mut frame_cpu = Vec::new();
    let mut all_times = Vec::new();
    let mut first_degraded: Option<String> = None;
    let started = Instant::now();
    let mut step = 0u32;
    let mut warm = false;
    while started.elapsed() < Duration::from_secs(25) {
        let t = Instant::now();
        let cpu_before = thread_cpu();
        harness.step();
        let cpu = thread_cpu().saturating_sub(cpu_before);
        // Start-up creates 13 sets of 1080p textures (at most five a frame, the upload
        // budget) and the font atlas while every stream delivers its first frames at
        // once: one-time work, not the steady overload this test is about. It lasts
        // until every tile has drawn a picture, and at least two seconds (the frames
        // are still printed).
        all_times.push((t.elapsed(), cpu));
        if warm {
            frame_times.push(t.elapsed());
            frame_cpu.push(cpu);
        }
        if !warm && started.elapsed() > WARM_UP && harness.state().picture_rects().len() == CAMERAS
        {
            warm = true;
            eprintln!("start-up over at step {step}, {:?}", started.elapsed());
        }
        step += 1;
        if step.is_multiple_of(10) {
            // Submit the uploads so staging memory is recycled, as a real frame does.
            harness.render().expect("render");
        }
        let app = harness.state();
        let degraded: Vec<String> = (0..CAMERAS)
            .map(|i| format!("c{i:02}"))
            .filter(|id| app.core().hud(id).is_some_and(|h| h.keyframe_only))
            .collect();
        if first_degraded.is_none() {
            first_degraded = degraded.first().cloned();
        }
        // The big tile (c00) keeps full rate while any small tile still has it.
        if degraded.contains(&"c00".to_owned()) {
            assert_eq!(
                degraded.len(),
                CAMERAS,
                "the big tile was degraded before the small ones"
            );
        }
        if degraded.len() >= 3 && started.elapsed() > Duration::from_secs(8) {
            break;
        }
        std::thread::sleep(Duration::from_millis(16));
    }
    let first = first_degraded.expect("under overload, some tile went keyframe-only");
    assert_ne!(first, "c00", "a small tile is degraded first");
    let slow: Vec<(usize, Duration, Duration)> = all_times
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, (wall, _))| *wall > Duration::from_millis(30))
        .map(|(step, (wall, cpu))| (step, wall, cpu))
        .collect();
    eprintln!("frames over 30 ms, start-up included (step, wall, cpu): {slow:?}");
    let p50 = percentile(&mut frame_times, 50);
    let p90 = percentile(&mut frame_times, 90);
    let p99 = percentile(&mut frame_times, 99);
    let cpu_p99 = percentile(&mut frame_cpu, 99);
    eprintln!(
        "{} UI frames, wall p50 {p50:?} p90 {p90:?} p99 {p99:?}, UI thread CPU p99 {cpu_p99:?}, first degraded {first}",
        frame_times.len(),
    );
    assert!(
        cpu_p99 < Duration::from_millis(50),
        "UI thread CPU per frame p99 {cpu_p99:?}"
    );
    assert!(p90 < Duration::from_millis(50), "UI frame time p90 {p90:?}");
}
