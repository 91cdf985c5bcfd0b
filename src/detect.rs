//! `vigil detect`: the detectors of `vigil-detect` run headless over a video file,
//! decoded here with FFmpeg (one decoder thread, software), each frame's luma plane
//! handed to the detector in media time. Writes the events as JSON, with the time spent
//! decoding and detecting in the same run (the cost figure of `BENCHMARKS.md`).
//!
//! Must not: change the detection (that is `vigil-detect`'s), or touch any archive.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use ffmpeg_next as ff;
use serde::Serialize;

use vigil_detect::{Detector, Event, Luma, Settings};

/// What to run.
#[derive(Clone, Debug)]
pub struct DetectArgs {
    pub input: PathBuf,
    pub settings: Option<PathBuf>,
    pub json: Option<PathBuf>,
}

/// The time spent per frame, decoding and detecting, in the same run.
#[derive(Clone, Debug, Serialize)]
pub struct Timing {
    pub frames: u64,
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    pub decode_ms_per_frame: f64,
    pub detect_ms_per_frame: f64,
    /// Detection over decoding.
    pub detect_over_decode: f64,
    /// Detection's share of one core at the stream's frame rate, in percent.
    pub detect_core_percent: f64,
}

/// The JSON `vigil detect` writes.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub events: Vec<Event>,
    pub timing: Timing,
}

/// Read and validate a settings file (defaults when none).
pub fn load_settings(path: Option<&Path>) -> anyhow::Result<Settings> {
    let Some(path) = path else {
        return Ok(Settings::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the detection settings {}", path.display()))?;
    Settings::from_toml(&text).with_context(|| format!("detection settings {}", path.display()))
}

/// Formats whose first plane is the 8-bit luma plane.
fn luma_is_plane_zero(format: ff::format::Pixel) -> bool {
    use ff::format::Pixel as P;
    matches!(
        format,
        P::YUV420P
            | P::YUVJ420P
            | P::YUV422P
            | P::YUVJ422P
            | P::YUV444P
            | P::YUVJ444P
            | P::YUV440P
            | P::YUVJ440P
            | P::YUV411P
            | P::YUV410P
            | P::NV12
            | P::NV21
            | P::GRAY8
    )
}

/// Run the detectors over `args.input`; returns the report (also written as JSON when
/// asked).
pub fn run(args: &DetectArgs) -> anyhow::Result<Report> {
    let settings = load_settings(args.settings.as_deref())?;
    ff::init().context("FFmpeg does not start")?;
    let path = &args.input;
    let mut input =
        ff::format::input(path).with_context(|| format!("cannot open {}", path.display()))?;
    let stream = input
        .streams()
        .best(ff::media::Type::Video)
        .with_context(|| format!("{} has no video", path.display()))?;
    let index = stream.index();
    let tb = stream.time_base();
    let secs_per_tick = f64::from(tb.numerator()) / f64::from(tb.denominator().max(1));
    let start_ticks = stream.start_time();
    let rate = stream.avg_frame_rate();
    let fps = if rate.numerator() > 0 && rate.denominator() > 0 {
        f64::from(rate.numerator()) / f64::from(rate.denominator())
    } else {
        25.0
    };
    let mut context = ff::codec::context::Context::from_parameters(stream.parameters())?;
    context.set_threading(ff::codec::threading::Config::count(1));
    let mut decoder = context
        .decoder()
        .video()
        .with_context(|| format!("no decoder for the video of {}", path.display()))?;

    let mut detector = Detector::new(&settings);
    let mut events = Vec::new();
    let mut frame = ff::util::frame::video::Video::empty();
    let mut gray = ff::util::frame::video::Video::empty();
    let mut scaler: Option<ff::software::scaling::Context> = None;
    let mut decode_time = Duration::ZERO;
    let mut detect_time = Duration::ZERO;
    let mut frames = 0u64;
    let (mut width, mut height) = (0u32, 0u32);
    let mut last_secs = f64::NEG_INFINITY;

    let mut drain =
        |decoder: &mut ff::decoder::Video, decode_time: &mut Duration| -> anyhow::Result<()> {
            loop {
                let started = Instant::now();
                let got = decoder.receive_frame(&mut frame).is_ok();
                *decode_time += started.elapsed();
                if !got {
                    return Ok(());
                }
                #[allow(clippy::cast_precision_loss)]
                let secs = match frame.timestamp().or(frame.pts()) {
                    Some(ticks) => (ticks - start_ticks.max(0)) as f64 * secs_per_tick,
                    None => frames as f64 / fps,
                };
                // A frame out of order or repeated adds nothing the detectors can use.
                if secs <= last_secs {
                    continue;
                }
                last_secs = secs;
                frames += 1;
                (width, height) = (frame.width(), frame.height());
                let started = Instant::now();
                let source = if luma_is_plane_zero(frame.format()) {
                    &frame
                } else {
                    // Rare (RGB or high bit depth sources): convert to 8-bit grey first;
                    // not counted as detection, it is the decoder's format's cost.
                    let scaler = match &mut scaler {
                        Some(s) => s,
                        None => scaler.insert(ff::software::scaling::Context::get(
                            frame.format(),
                            width,
                            height,
                            ff::format::Pixel::GRAY8,
                            width,
                            height,
                            ff::software::scaling::Flags::FAST_BILINEAR,
                        )?),
                    };
                    scaler.run(&frame, &mut gray)?;
                    &gray
                };
                let luma = Luma {
                    width: width as usize,
                    height: height as usize,
                    stride: source.stride(0),
                    data: source.data(0),
                };
                let found = detector
                    .push(secs, &luma)
                    .with_context(|| format!("{}: frame at {secs:.3} s", path.display()))?;
                detect_time += started.elapsed();
                events.extend(found);
            }
        };
    for (s, packet) in input.packets() {
        if s.index() != index {
            continue;
        }
        let started = Instant::now();
        // A damaged packet is skipped, as a camera's would be.
        decoder.send_packet(&packet).ok();
        decode_time += started.elapsed();
        drain(&mut decoder, &mut decode_time)?;
    }
    decoder.send_eof().ok();
    drain(&mut decoder, &mut decode_time)?;
    events.extend(detector.finish());
    events.sort_by(|a, b| a.start_secs.total_cmp(&b.start_secs));

    #[allow(clippy::cast_precision_loss)]
    let per_frame_ms = |d: Duration| d.as_secs_f64() * 1e3 / frames.max(1) as f64;
    let decode_ms = per_frame_ms(decode_time);
    let detect_ms = per_frame_ms(detect_time);
    let report = Report {
        events,
        timing: Timing {
            frames,
            width,
            height,
            fps,
            decode_ms_per_frame: decode_ms,
            detect_ms_per_frame: detect_ms,
            detect_over_decode: if decode_ms > 0.0 {
                detect_ms / decode_ms
            } else {
                0.0
            },
            detect_core_percent: detect_ms * fps / 10.0,
        },
    };
    if let Some(out) = &args.json {
        let text = serde_json::to_string_pretty(&report)?;
        std::fs::write(out, text + "\n")
            .with_context(|| format!("cannot write {}", out.display()))?;
    }
    Ok(report)
}

/// The report as lines for a terminal.
pub fn print(report: &Report) {
    for event in &report.events {
        println!(
            "{:<15} {:>9.2} s – {:>9.2} s",
            serde_json::to_value(event.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            event.start_secs,
            event.end_secs
        );
    }
    let t = &report.timing;
    println!(
        "{} event(s); {} frames {}×{} at {:.2} fps: decode {:.3} ms/frame, detect {:.3} ms/frame ({:.1} % of decode, {:.2} % of one core)",
        report.events.len(),
        t.frames,
        t.width,
        t.height,
        t.fps,
        t.decode_ms_per_frame,
        t.detect_ms_per_frame,
        t.detect_over_decode * 100.0,
        t.detect_core_percent
    );
}
