//! Xvfb for the tests that open the real window: a free display, killed on drop.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A child process killed and reaped on drop.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

/// Whether display `n` belongs to a running X server. A lock file whose process is gone
/// (an Xvfb killed with SIGKILL leaves its lock and socket behind) is stale: it and the
/// socket are removed, so a machine that ran many tests does not run out of displays.
fn display_in_use(n: u32) -> bool {
    let lock = format!("/tmp/.X{n}-lock");
    let socket = format!("/tmp/.X11-unix/X{n}");
    if let Ok(text) = std::fs::read_to_string(&lock) {
        let alive = text
            .trim()
            .parse::<u32>()
            .is_ok_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
        if alive {
            return true;
        }
        std::fs::remove_file(&lock).ok();
        std::fs::remove_file(&socket).ok();
        return Path::new(&lock).exists() || Path::new(&socket).exists();
    }
    // No lock: free unless a socket is there (an X server writes its lock first).
    Path::new(&lock).exists() || Path::new(&socket).exists()
}

/// Starts Xvfb on a free display (:90–:119) at `width`×`height`; its name (":N").
pub fn start_xvfb_sized(width: u32, height: u32) -> (Killed, String) {
    for n in 90..120 {
        if display_in_use(n) {
            continue;
        }
        let display = format!(":{n}");
        let child = Command::new("Xvfb")
            .args([
                display.as_str(),
                "-screen",
                "0",
                &format!("{width}x{height}x24"),
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Xvfb (install with scripts/deps.sh)");
        let mut child = Killed(child);
        let ok = super::wait_for(Duration::from_secs(10), || {
            Path::new(&format!("/tmp/.X11-unix/X{n}"))
                .exists()
                .then_some(())
        });
        if ok.is_some() && child.0.try_wait().ok().flatten().is_none() {
            return (child, display);
        }
        child.0.kill().ok();
    }
    panic!("no free X display");
}

/// Xvfb at the window tests' size (1280×800).
pub fn start_xvfb() -> (Killed, String) {
    start_xvfb_sized(1280, 800)
}
