//! `vigil bench live`: each input through ingest, decode and upload into wgpu textures on
//! an offscreen device, paced at real time, with CPU, latency, time-to-first-frame and
//! memory figures.
//!
//! Owns: the headless upload loop and the report. Must not: open a window.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use eframe::egui_wgpu::wgpu;
use serde::Serialize;

use super::percentile;
use super::proc::{peak_rss_mb, process_cpu, threads_cpu};
use vigil_config::redact::{Credentials, parse_source, redact};
use vigil_gpu::{VideoKey, VideoRenderer};
use vigil_media::{Engine, MAIN_STREAM, StreamShared, StreamSpec, Timeouts, Transport};

/// What to run.
#[derive(Clone, Debug)]
pub struct LiveOptions {
    /// `rtsp://…` URLs or file paths (files loop, paced to real time).
    pub inputs: Vec<String>,
    pub seconds: f64,
    /// After the run, stop decoding and start again to time a start from the keyframe cache.
    pub reattach: bool,
    /// RTSP transport of every input.
    pub transport: Transport,
    /// Each input's login, in the order of `inputs` (missing: none).
    pub credentials: Vec<Option<Credentials>>,
}

/// Figures of one input.
#[derive(Clone, Debug, Default, Serialize)]
pub struct StreamReport {
    pub input: String,
    pub codec: String,
    pub width: u32,
    pub height: u32,
    pub fps_nominal: f64,
    /// Decoded by a hardware decoder (FFmpeg hwaccel) rather than in software.
    pub hardware: bool,
    pub frames_decoded: u64,
    pub frames_uploaded: u64,
    /// Decoded but never shown, plus packets skipped because decoding fell behind.
    pub frames_dropped: u64,
    /// Uploaded frames ÷ the frames the source sent after the first one.
    pub delivered_ratio: f64,
    /// Start → first frame uploaded.
    pub ttff_ms: f64,
    /// Start → stream opened (connection, RTSP setup, probing).
    pub setup_ms: f64,
    /// Opened → first keyframe received.
    pub keyframe_wait_ms: f64,
    /// First keyframe received → first frame uploaded: what Vigil adds.
    pub ttff_overhead_ms: f64,
    /// With --reattach: decoder restarted from the keyframe cache → first frame uploaded.
    pub ttff_cached_ms: Option<f64>,
    /// Why this input's pictures could not be uploaded (too large for the GPU); the
    /// other inputs are measured all the same.
    pub error: Option<String>,
}

/// Totals over all inputs.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Totals {
    /// The whole process (getrusage), all threads.
    pub cpu_seconds_total: f64,
    /// The decoder threads' own CPU clocks.
    pub cpu_seconds_decode: f64,
    /// Packet received → frame uploaded.
    pub latency_ms_p50: f64,
    pub latency_ms_p95: f64,
    pub peak_rss_mb: f64,
    pub frames_decoded: u64,
    pub frames_uploaded: u64,
}

/// The JSON the benchmark writes.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LiveReport {
    pub seconds: f64,
    pub adapter: String,
    pub streams: Vec<StreamReport>,
    pub totals: Totals,
    // The totals again at the top level, as the benchmark's contract names them.
    pub cpu_seconds_total: f64,
    pub cpu_seconds_decode: f64,
    pub latency_ms_p50: f64,
    pub latency_ms_p95: f64,
    pub peak_rss_mb: f64,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn spec_for(
    index: usize,
    input: &str,
    transport: Transport,
    credentials: Option<Credentials>,
) -> anyhow::Result<StreamSpec> {
    let source = parse_source(input).with_context(|| format!("input {}", index + 1))?;
    Ok(StreamSpec {
        camera_id: format!("bench{index}"),
        camera_name: format!("input {}", index + 1),
        stream: MAIN_STREAM.to_owned(),
        source,
        transport,
        credentials,
        loop_file: true,
        timeouts: Timeouts::default(),
    })
}

struct Running {
    shared: Arc<StreamShared>,
    started: Instant,
    first_upload: Option<Instant>,
    uploaded: u64,
    /// The renderer refused this input's pictures: why (the first refusal).
    error: Option<String>,
}

/// Runs the benchmark and returns its report.
pub fn run(options: &LiveOptions) -> anyhow::Result<LiveReport> {
    anyhow::ensure!(!options.inputs.is_empty(), "no --input given");
    anyhow::ensure!(
        options.seconds.is_finite() && options.seconds > 0.0 && options.seconds <= 3600.0,
        "--seconds must be between 0 and 3600"
    );
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends: wgpu::Backends::PRIMARY,
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    });
    let adapter =
        pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions::default()))
            .context("no GPU adapter (install mesa-vulkan-drivers for a software one)")?;
    let info = adapter.get_info();
    let (device, queue) =
        pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor::default()))
            .context("cannot open the GPU device")?;
    let mut renderer = VideoRenderer::new(&device, wgpu::TextureFormat::Rgba8Unorm, 1);

    let (wake_tx, wake_rx) = crossbeam_channel::bounded::<()>(1);
    let notify: vigil_media::Notify = Arc::new(move || {
        wake_tx.try_send(()).ok();
    });
    let mut engine = Engine::new(notify);
    let specs: Vec<StreamSpec> = options
        .inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            let credentials = options.credentials.get(i).cloned().flatten();
            spec_for(i, input, options.transport, credentials)
        })
        .collect::<anyhow::Result<_>>()?;
    let cpu_before = process_cpu();
    let mut running: Vec<Running> = specs
        .iter()
        .map(|spec| Running {
            started: Instant::now(),
            shared: engine.ensure(spec),
            first_upload: None,
            uploaded: 0,
            error: None,
        })
        .collect();
    let mut latencies = Vec::new();
    let end = Instant::now() + Duration::from_secs_f64(options.seconds);
    while Instant::now() < end {
        upload_ready(&mut running, &mut renderer, &device, &queue, &mut latencies);
        wake_rx.recv_timeout(Duration::from_millis(5)).ok();
    }
    let cpu_total = process_cpu().saturating_sub(cpu_before);
    let cpu_decode = threads_cpu("vigil-dec");

    let mut streams = Vec::new();
    for (spec, r) in specs.iter().zip(&running) {
        let ingest = r.shared.ingest();
        let times = ingest.times();
        let stream_info = ingest.info().unwrap_or_default();
        let decoded = r.shared.stats.frames_decoded.load(Ordering::Relaxed);
        let first = r.first_upload;
        let expected = first.map_or(0.0, |f| {
            end.saturating_duration_since(f).as_secs_f64() * stream_info.fps
        });
        let since = |t: Option<Instant>, from: Instant| {
            t.map_or(0.0, |t| ms(t.saturating_duration_since(from)))
        };
        streams.push(StreamReport {
            input: redact(&spec.display_source()),
            codec: stream_info.codec.clone(),
            width: stream_info.width,
            height: stream_info.height,
            fps_nominal: stream_info.fps,
            hardware: r.shared.hardware(),
            frames_decoded: decoded,
            frames_uploaded: r.uploaded,
            frames_dropped: r.shared.stats.frames_dropped.load(Ordering::Relaxed)
                + r.shared.packets_skipped(),
            #[allow(clippy::cast_precision_loss)]
            delivered_ratio: if expected > 0.0 {
                (r.uploaded.saturating_sub(1) as f64 / expected).min(1.0)
            } else {
                0.0
            },
            ttff_ms: since(first, r.started),
            setup_ms: since(times.opened, r.started),
            keyframe_wait_ms: times
                .opened
                .map_or(0.0, |opened| since(times.first_keyframe, opened)),
            ttff_overhead_ms: times.first_keyframe.map_or(0.0, |key| since(first, key)),
            ttff_cached_ms: None,
            error: r.error.clone(),
        });
    }

    if options.reattach {
        for (i, spec) in specs.iter().enumerate() {
            engine.stop_decoder(&spec.key());
            std::thread::sleep(Duration::from_millis(200));
            let shared = engine.ensure(spec);
            let started = Instant::now();
            let deadline = started + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Some(frame) = shared.slot.take_latest() {
                    let uploaded = renderer.upload(
                        &device,
                        &queue,
                        &VideoKey::Live(spec.camera_id.clone()),
                        &frame,
                    );
                    shared.slot.recycle(frame);
                    if uploaded.is_ok() {
                        queue.submit(std::iter::empty());
                        streams[i].ttff_cached_ms = Some(ms(started.elapsed()));
                    }
                    break;
                }
                wake_rx.recv_timeout(Duration::from_millis(2)).ok();
            }
        }
    }
    let peak_rss = peak_rss_mb();
    engine.shutdown(Duration::from_secs(5));

    let totals = Totals {
        cpu_seconds_total: cpu_total.as_secs_f64(),
        cpu_seconds_decode: cpu_decode.as_secs_f64(),
        latency_ms_p50: percentile(&latencies, 0.5),
        latency_ms_p95: percentile(&latencies, 0.95),
        peak_rss_mb: peak_rss,
        frames_decoded: streams.iter().map(|s| s.frames_decoded).sum(),
        frames_uploaded: streams.iter().map(|s| s.frames_uploaded).sum(),
    };
    Ok(LiveReport {
        seconds: options.seconds,
        adapter: format!("{} ({:?}, {:?})", info.name, info.backend, info.device_type),
        streams,
        cpu_seconds_total: totals.cpu_seconds_total,
        cpu_seconds_decode: totals.cpu_seconds_decode,
        latency_ms_p50: totals.latency_ms_p50,
        latency_ms_p95: totals.latency_ms_p95,
        peak_rss_mb: totals.peak_rss_mb,
        totals,
    })
}

fn upload_ready(
    running: &mut [Running],
    renderer: &mut VideoRenderer,
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    latencies: &mut Vec<f64>,
) {
    let mut any = false;
    for (i, r) in running.iter_mut().enumerate() {
        let Some(frame) = r.shared.slot.take_latest() else {
            continue;
        };
        let uploaded = renderer.upload(device, queue, &VideoKey::Live(format!("bench{i}")), &frame);
        if let Err(err) = uploaded {
            r.shared.slot.recycle(frame);
            if r.error.is_none() {
                tracing::warn!(input = i + 1, %err, "picture not uploaded");
                r.error = Some(err.to_string());
            }
            continue;
        }
        let now = Instant::now();
        latencies.push(ms(now.saturating_duration_since(frame.received_at)));
        r.first_upload.get_or_insert(now);
        r.uploaded += 1;
        r.shared.slot.recycle(frame);
        any = true;
    }
    if any {
        queue.submit(std::iter::empty());
        device.poll(wgpu::PollType::Poll).ok();
    }
}

/// A person-readable summary of a report.
pub fn summary(report: &LiveReport) -> String {
    use std::fmt::Write as _;
    let mut out = format!(
        "vigil bench live: {:.1} s on {}\n",
        report.seconds, report.adapter
    );
    for s in &report.streams {
        if let Some(err) = &s.error {
            writeln!(out, "  {}: {err}", s.input).ok();
            continue;
        }
        writeln!(
            out,
            "  {} {} {}×{} @{:.1}: decoded {} uploaded {} dropped {} ({:.1} % delivered), ttff {:.0} ms (setup {:.0} + keyframe wait {:.0} + vigil {:.0}){}",
            s.input,
            s.codec,
            s.width,
            s.height,
            s.fps_nominal,
            s.frames_decoded,
            s.frames_uploaded,
            s.frames_dropped,
            s.delivered_ratio * 100.0,
            s.ttff_ms,
            s.setup_ms,
            s.keyframe_wait_ms,
            s.ttff_overhead_ms,
            s.ttff_cached_ms.map(|c| format!(", from cache {c:.0} ms")).unwrap_or_default(),
        )
        .ok();
    }
    let t = &report.totals;
    writeln!(
        out,
        "  cpu {:.2} s total, {:.2} s in decoders; latency p50 {:.1} ms p95 {:.1} ms; peak rss {:.0} MiB",
        t.cpu_seconds_total, t.cpu_seconds_decode, t.latency_ms_p50, t.latency_ms_p95, t.peak_rss_mb
    )
    .ok();
    out
}

/// Writes the report as pretty JSON.
pub fn write_json(report: &LiveReport, path: &Path) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(report)?;
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}
