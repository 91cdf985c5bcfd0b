//! `vigil bench wall`: the real window (eframe, wgpu) on a site file, run for a while,
//! with the frames each tile received and showed, the process's CPU, and the draw
//! path's repaints and frame times.
//!
//! Owns: the benchmark's wrapper around [`VigilApp`] and its report. Must not: record
//! (no storage folder is given to the app) or change the site file.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde::Serialize;

use super::percentile;
use super::proc::{process_cpu, threads_cpu};
use vigil_app::{AppOptions, VigilApp};
use vigil_config::{CredentialStore, Site};

/// The name prefix of Mesa's software rasteriser threads.
const RENDER_THREADS: &str = "llvmpipe";

/// What to run.
#[derive(Clone, Debug)]
pub struct WallOptions {
    pub site: PathBuf,
    /// A built-in layout's name or one of the site's own (`2x2`, `4x4`, …).
    pub layout: String,
    pub seconds: f64,
    /// The window's inner size in points.
    pub window: (f32, f32),
    /// Where the credentials come from (as the window would read them).
    pub credentials: PathBuf,
}

/// One tile's figures over the measured part of the run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TileReport {
    pub tile: usize,
    pub camera: String,
    /// Frames a second the camera's stream delivered (the HUD's received rate,
    /// averaged over the run).
    pub fps_in: f64,
    /// Pictures a second uploaded and drawn on the tile.
    pub fps_shown: f64,
}

/// The JSON the benchmark writes.
#[derive(Clone, Debug, Default, Serialize)]
pub struct WallReport {
    pub site: String,
    pub layout: String,
    pub window: [f32; 2],
    /// The measured part of the run (after the first picture of every tile, or a
    /// warm-up), in seconds.
    pub measured_s: f64,
    pub tiles: Vec<TileReport>,
    /// Process CPU (all threads: decoders, UI, the software renderer) over the
    /// measured part, in % of one core.
    pub cpu_percent: f64,
    /// Frames the window drew a second.
    pub repaints_per_s: f64,
    /// Repaints asked for a second because new pictures arrived (coalesced).
    pub repaint_requests_per_s: f64,
    /// Each frame's CPU time (UI, tessellation, paint, present; not the vsync wait).
    pub frame_ms_p50: f64,
    pub frame_ms_p99: f64,
    /// CPU time of a software renderer's threads (Mesa's `llvmpipe-*`, lavapipe or
    /// llvmpipe GL) per frame drawn; 0 on a GPU. What one full-window draw costs.
    pub render_cpu_ms_per_frame: f64,
}

/// Counters at the start of the measured part.
struct Mark {
    at: Instant,
    cpu: Duration,
    render_cpu: Duration,
    frames: u64,
    frame_samples: usize,
    requests: u64,
    uploads: Vec<u64>,
}

struct WallBench {
    app: VigilApp,
    cameras: Vec<String>,
    started: Instant,
    warm_up: Duration,
    seconds: Duration,
    mark: Option<Mark>,
    fps_in: Vec<Vec<f32>>,
    last_sample: Instant,
    report: Arc<Mutex<Option<WallReport>>>,
    options: WallOptions,
}

impl WallBench {
    fn uploads(&self) -> Vec<u64> {
        let stats = self.app.draw_stats();
        self.cameras
            .iter()
            .map(|c| stats.uploads.get(c).copied().unwrap_or(0))
            .collect()
    }

    fn mark(&self, now: Instant) -> Mark {
        let stats = self.app.draw_stats();
        Mark {
            at: now,
            cpu: process_cpu(),
            render_cpu: threads_cpu(RENDER_THREADS),
            frames: stats.frames,
            frame_samples: stats.all_frame_ms.len(),
            requests: self.app.repaint_requests(),
            uploads: self.uploads(),
        }
    }

    fn finish(&self, mark: &Mark, now: Instant) -> WallReport {
        let secs = now.duration_since(mark.at).as_secs_f64().max(1e-3);
        let stats = self.app.draw_stats();
        let uploads = self.uploads();
        let tiles = self
            .cameras
            .iter()
            .enumerate()
            .map(|(i, camera)| {
                let samples = &self.fps_in[i];
                let fps_in = if samples.is_empty() {
                    0.0
                } else {
                    samples.iter().map(|&f| f64::from(f)).sum::<f64>() / samples.len() as f64
                };
                TileReport {
                    tile: i,
                    camera: camera.clone(),
                    fps_in,
                    fps_shown: (uploads[i] - mark.uploads[i]) as f64 / secs,
                }
            })
            .collect();
        let frame_ms: Vec<f64> = stats.all_frame_ms[mark.frame_samples..]
            .iter()
            .map(|&ms| f64::from(ms))
            .collect();
        let frames = stats.frames - mark.frames;
        let render_cpu = threads_cpu(RENDER_THREADS).saturating_sub(mark.render_cpu);
        WallReport {
            site: self.options.site.display().to_string(),
            layout: self.options.layout.clone(),
            window: [self.options.window.0, self.options.window.1],
            measured_s: secs,
            tiles,
            cpu_percent: (process_cpu() - mark.cpu).as_secs_f64() / secs * 100.0,
            repaints_per_s: frames as f64 / secs,
            repaint_requests_per_s: (self.app.repaint_requests() - mark.requests) as f64 / secs,
            frame_ms_p50: percentile(&frame_ms, 0.5),
            frame_ms_p99: percentile(&frame_ms, 0.99),
            render_cpu_ms_per_frame: render_cpu.as_secs_f64() * 1000.0 / frames.max(1) as f64,
        }
    }
}

impl eframe::App for WallBench {
    fn logic(&mut self, ctx: &egui::Context, frame: &mut eframe::Frame) {
        self.app.logic(ctx, frame);
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.app.ui(ui, frame);
        let now = Instant::now();
        let all_showing = self.uploads().iter().all(|&n| n > 0);
        if self.mark.is_none() && (all_showing || now - self.started >= self.warm_up) {
            self.mark = Some(self.mark(now));
            self.last_sample = now;
        }
        let Some(mark) = &self.mark else {
            return;
        };
        if now - self.last_sample >= Duration::from_millis(500) {
            self.last_sample = now;
            for (i, camera) in self.cameras.iter().enumerate() {
                if let Some(hud) = self.app.core().hud(camera) {
                    self.fps_in[i].push(hud.fps_received);
                }
            }
        }
        if now - mark.at >= self.seconds {
            let report = self.finish(mark, now);
            if let Ok(mut slot) = self.report.lock() {
                slot.get_or_insert(report);
            }
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }

    fn on_exit(&mut self) {
        self.app.on_exit();
    }
}

/// Opens the window on the site and runs it; the report comes after it closes.
pub fn run(options: &WallOptions) -> anyhow::Result<WallReport> {
    let mut site: Site = vigil_config::load_site(&options.site)
        .with_context(|| format!("cannot load {}", options.site.display()))?;
    anyhow::ensure!(
        vigil_config::layout_by_name(&site, &options.layout).is_some(),
        "unknown layout '{}'",
        options.layout
    );
    site.wall.layout.clone_from(&options.layout);
    // The HUD's figures (received rate) are made while stats are on.
    site.wall.show_stats = true;
    let credentials = CredentialStore::load(&options.credentials)
        .unwrap_or_else(|_| CredentialStore::new(&options.credentials));
    let app_options = AppOptions {
        kiosk: false,
        snapshot_dir: std::env::temp_dir().join("vigil-bench-wall-snapshots"),
        site_path: None,
        config_error: None,
        fixed_clock: None,
        storage: None,
        demo_history_hours: None,
        clock: vigil_time::real_clock(),
    };
    let report: Arc<Mutex<Option<WallReport>>> = Arc::default();
    let seconds = Duration::from_secs_f64(options.seconds.max(0.5));
    let (w, h) = options.window;
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Vigil bench wall")
            .with_inner_size([w, h]),
        renderer: eframe::Renderer::Wgpu,
        ..Default::default()
    };
    let slot = Arc::clone(&report);
    let bench_options = options.clone();
    eframe::run_native(
        "Vigil bench wall",
        native,
        Box::new(move |cc| {
            let app = VigilApp::new(cc, site, credentials, app_options);
            let cameras: Vec<String> = app
                .core()
                .view()
                .tiles
                .iter()
                .filter_map(|t| t.content.camera().map(|c| c.id.to_string()))
                .collect();
            let now = Instant::now();
            Ok(Box::new(WallBench {
                fps_in: vec![Vec::new(); cameras.len()],
                app,
                cameras,
                started: now,
                warm_up: Duration::from_secs(5),
                seconds,
                mark: None,
                last_sample: now,
                report: slot,
                options: bench_options,
            }))
        }),
    )
    .map_err(|e| anyhow::anyhow!("the window could not be shown: {e}"))?;
    let report = report
        .lock()
        .ok()
        .and_then(|mut r| r.take())
        .context("the window closed before the run ended")?;
    Ok(report)
}

/// The figures as a short table.
pub fn summary(report: &WallReport) -> String {
    use std::fmt::Write as _;
    let mut out = format!(
        "bench wall {} on {} ({:.0}×{:.0}), {:.1} s measured\n",
        report.layout, report.site, report.window[0], report.window[1], report.measured_s
    );
    for t in &report.tiles {
        let _ = writeln!(
            out,
            "  tile {:2} {:<20} {:5.1} fps in  {:5.1} shown",
            t.tile, t.camera, t.fps_in, t.fps_shown
        );
    }
    let _ = writeln!(
        out,
        "  cpu {:.0} % · {:.1} repaints/s ({:.1} asked) · frame p50 {:.1} ms p99 {:.1} ms · renderer {:.1} ms CPU a frame",
        report.cpu_percent,
        report.repaints_per_s,
        report.repaint_requests_per_s,
        report.frame_ms_p50,
        report.frame_ms_p99,
        report.render_cpu_ms_per_frame
    );
    out
}

/// Writes the report as pretty JSON.
pub fn write_json(report: &WallReport, path: &Path) -> anyhow::Result<()> {
    let json = serde_json::to_string_pretty(report)?;
    std::fs::write(path, json).with_context(|| format!("cannot write {}", path.display()))
}
