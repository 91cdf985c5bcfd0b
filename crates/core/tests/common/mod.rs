//! What the core's integration tests share: test clips made with the ffmpeg CLI and a
//! count of the process's threads by name.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command as Process;

/// Frames a second of [`clip`]s; one keyframe a second.
pub const FPS: u32 = 25;

/// A 10 s test-pattern clip, `width`×`height`, [`FPS`] frames a second, one keyframe a
/// second, no B-frames.
pub fn clip(dir: &Path, name: &str, width: u32, height: u32) -> PathBuf {
    let path = dir.join(format!("{name}.mp4"));
    let status = Process::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
        ])
        .arg(format!(
            "testsrc2=size={width}x{height}:rate={FPS}:duration=10"
        ))
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-bf", "0"])
        .args(["-g", &FPS.to_string(), "-pix_fmt", "yuv420p"])
        .arg(&path)
        .status()
        .expect("run ffmpeg (scripts/deps.sh installs it)");
    assert!(status.success(), "ffmpeg could not make {name}");
    path
}

/// Threads of this process whose name starts with `prefix` (Linux truncates names to
/// 15 bytes: `vigil-dec-cam/m`).
pub fn threads_named(prefix: &str) -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .flatten()
        .filter(|t| {
            std::fs::read_to_string(t.path().join("comm")).is_ok_and(|n| n.starts_with(prefix))
        })
        .count()
}
