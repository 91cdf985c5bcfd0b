//! Shared test harness: a real RTSP server (GStreamer, via tests/support/rtsp_server.py),
//! a TCP proxy that can freeze, polling helpers for stream states, and helpers for
//! driving the app in egui_kittest.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use vigil_media::{StreamShared, StreamState};

pub mod capture;
pub mod history;
pub mod xvfb;

/// A GStreamer RTSP server on loopback, killed on drop.
pub struct RtspServer {
    child: Child,
    _stdin: ChildStdin,
    pub port: u16,
    args: Vec<String>,
}

impl RtspServer {
    /// Starts the server with extra `args` (e.g. `--mount cam1`), on `port` (0 = any).
    pub fn start(port: u16, args: &[&str]) -> Self {
        let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        Self::spawn(port, args)
    }

    fn spawn(port: u16, args: Vec<String>) -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/rtsp_server.py");
        let mut child = Command::new("/usr/bin/python3")
            .arg(script)
            .arg("--port")
            .arg(port.to_string())
            .arg("--exit-on-stdin-eof")
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start rtsp_server.py (is python3-gi installed? run scripts/deps.sh)");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let mut reader = BufReader::new(stdout);
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut line = String::new();
        let port = loop {
            line.clear();
            let n = reader.read_line(&mut line).expect("read server output");
            assert!(n > 0, "rtsp_server.py exited before READY");
            if let Some(rest) = line.trim().strip_prefix("READY port=") {
                break rest.parse().expect("port number");
            }
            assert!(
                Instant::now() < deadline,
                "rtsp_server.py not ready in time"
            );
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::Builder::new()
            .name("test-rtsp-stdout".to_owned())
            .spawn(move || {
                let mut sink = Vec::new();
                reader.read_to_end(&mut sink).ok();
            })
            .expect("thread");
        Self {
            child,
            _stdin: stdin,
            port,
            args,
        }
    }

    pub fn url(&self, mount: &str) -> String {
        format!("rtsp://127.0.0.1:{}/{mount}", self.port)
    }

    /// Kills the server (like a camera losing power).
    pub fn kill(mut self) -> RestartInfo {
        self.child.kill().ok();
        self.child.wait().ok();
        RestartInfo {
            port: self.port,
            args: std::mem::take(&mut self.args),
        }
    }
}

/// What is needed to start a killed server again on the same port.
pub struct RestartInfo {
    port: u16,
    args: Vec<String>,
}

impl RestartInfo {
    pub fn restart(self) -> RtspServer {
        // The port was just released; retry briefly if the OS still holds it.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if TcpListener::bind(("127.0.0.1", self.port)).is_ok() || Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        RtspServer::spawn(self.port, self.args)
    }
}

impl Drop for RtspServer {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// Polls `f` every 20 ms until it returns Some or `timeout` passes.
pub fn wait_for<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until the stream is live and has decoded at least `frames` frames.
pub fn wait_live(shared: &StreamShared, frames: u64, timeout: Duration) -> bool {
    wait_for(timeout, || {
        (shared.state() == StreamState::Live
            && shared.stats.frames_decoded.load(Ordering::Relaxed) >= frames)
            .then_some(())
    })
    .is_some()
}

/// A loopback TCP proxy to `target` that can be frozen: while frozen, connections stay
/// open but no byte is forwarded in either direction (a camera that hangs).
pub struct FreezableProxy {
    pub port: u16,
    frozen: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
}

impl FreezableProxy {
    pub fn start(target_port: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let frozen = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        {
            let frozen = Arc::clone(&frozen);
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("test-proxy-accept".to_owned())
                .spawn(move || {
                    while !stop.load(Ordering::SeqCst) {
                        match listener.accept() {
                            Ok((client, _)) => {
                                let Ok(server) = TcpStream::connect(("127.0.0.1", target_port))
                                else {
                                    continue;
                                };
                                pump(
                                    client.try_clone().unwrap(),
                                    server.try_clone().unwrap(),
                                    &frozen,
                                    &stop,
                                );
                                pump(server, client, &frozen, &stop);
                            }
                            Err(_) => std::thread::sleep(Duration::from_millis(10)),
                        }
                    }
                })
                .expect("thread");
        }
        Self { port, frozen, stop }
    }

    pub fn freeze(&self) {
        self.frozen.store(true, Ordering::SeqCst);
    }
}

impl Drop for FreezableProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, frozen: &Arc<AtomicBool>, stop: &Arc<AtomicBool>) {
    let frozen = Arc::clone(frozen);
    let stop = Arc::clone(stop);
    from.set_read_timeout(Some(Duration::from_millis(50))).ok();
    std::thread::Builder::new()
        .name("test-proxy-pump".to_owned())
        .spawn(move || {
            let mut buf = [0u8; 16384];
            while !stop.load(Ordering::SeqCst) {
                if frozen.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
                match from.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        if to.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) => {}
                    Err(_) => break,
                }
            }
        })
        .expect("thread");
}

/// A server that accepts TCP connections and never says anything.
pub struct SilentServer {
    pub port: u16,
    stop: Arc<AtomicBool>,
}

impl SilentServer {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let stop = Arc::new(AtomicBool::new(false));
        {
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("test-silent".to_owned())
                .spawn(move || {
                    let mut held = Vec::new();
                    while !stop.load(Ordering::SeqCst) {
                        if let Ok((conn, _)) = listener.accept() {
                            held.push(conn);
                        }
                        std::thread::sleep(Duration::from_millis(10));
                    }
                })
                .expect("thread");
        }
        Self { port, stop }
    }
}

impl Drop for SilentServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// A notifier that does nothing (headless tests).
pub fn no_notify() -> vigil_media::Notify {
    Arc::new(|| {})
}

/// Threads of this process.
pub fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Open file descriptors of this process.
pub fn fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Steps an app harness until `done` holds (true) or `timeout` passes (false).
pub fn run_until(
    harness: &mut egui_kittest::Harness<'_, vigil_app::VigilApp>,
    timeout: Duration,
    done: impl Fn(&vigil_app::VigilApp) -> bool,
) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        harness.step();
        if done(harness.state()) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Standard deviation of the brightness inside `rect` (sampled): a flat fill is near 0,
/// a video picture well above 10.
pub fn stddev(img: &image::RgbaImage, rect: egui::Rect) -> f64 {
    let mut values = Vec::new();
    for y in (rect.min.y as u32 + 4..rect.max.y as u32 - 4).step_by(3) {
        for x in (rect.min.x as u32 + 4..rect.max.x as u32 - 4).step_by(3) {
            let p = img.get_pixel(x, y).0;
            values.push(f64::from(p[0]) + f64::from(p[1]) + f64::from(p[2]));
        }
    }
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64).sqrt()
}

/// The app's options as the kittest tests use them: snapshots under `dir`, no site
/// file, a fixed clock on the tiles (reproducible pictures), nothing recorded.
pub fn app_options(dir: &std::path::Path, kiosk: bool) -> vigil_app::AppOptions {
    vigil_app::AppOptions {
        kiosk,
        snapshot_dir: dir.join("snapshots"),
        site_path: None,
        config_error: None,
        fixed_clock: Some("12:00:00".to_owned()),
        storage: None,
        demo_history_hours: None,
        clock: vigil_time::real_clock(),
    }
}
