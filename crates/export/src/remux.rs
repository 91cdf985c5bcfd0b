//! One camera's footage over a range as one MP4, by remuxing the recorded segments'
//! packets (no re-encode), and a PNG of its first frame.
//!
//! The MP4 starts at the last keyframe at or before the requested start (so its first
//! frame decodes) and has no edit list; its time 0 is the wall time of its first packet
//! and its timestamps are wall time since then, so a gap in the footage is a gap in the
//! MP4's timestamps. The caller records the offset to the requested start.
//!
//! A change of codec, picture size or pixel format inside the range is refused (one MP4
//! stream has one), naming where it happens.
//!
//! Owns: packet selection by wall time, timestamp rewriting, the still. Must not: read
//! the index or decide names.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use ffmpeg_next as ff;
use vigil_store::Segment;

use crate::ExportError;

/// Output time base: 90 kHz, MP4's usual video clock.
const OUT_TB: (i32, i32) = (1, 90_000);

/// What [`remux`] wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct Clip {
    /// Wall time of MP4 time 0 (the first packet's decode time).
    pub zero_ns: i64,
    /// Presentation wall time of the first frame (a keyframe).
    pub first_frame_ns: i64,
    /// End of the last frame.
    pub end_ns: i64,
    pub frames: u64,
    pub codec: String,
    /// The encoder, when the text was burned in (re-encoded).
    pub encoder: Option<String>,
}

struct Picked {
    packet: ff::Packet,
    dts_ns: i64,
    pts_ns: i64,
    duration_ns: i64,
}

struct Writer {
    output: ff::format::context::Output,
    tb: ff::Rational,
    zero_ns: i64,
    last_dts: i64,
    first_frame_ns: i64,
    end_ns: i64,
    frames: u64,
    /// The first packet (a keyframe) and the decoder parameters, for the still.
    first: Option<(ff::Packet, ff::codec::Parameters)>,
    /// Re-encoding with burned-in text instead of remuxing.
    burn: Option<crate::burn::Burn>,
}

fn media(path: &Path) -> impl Fn(ff::Error) -> ExportError + '_ {
    move |source| ExportError::Media {
        path: path.to_path_buf(),
        source,
    }
}

#[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
fn ticks_out(ns: i64, tb: ff::Rational) -> i64 {
    (ns as f64 * f64::from(tb.denominator()) / (1e9 * f64::from(tb.numerator().max(1)))).round()
        as i64
}

/// Writes the packets of `segments` (files under `archive`, oldest first) presented in
/// `[from_ns, to_ns)` into `out` (MP4), from the keyframe at or before `from_ns`, then
/// the first frame as a PNG at `still`. With `burn_label`, the packets are re-encoded
/// with that label and each frame's time drawn in (`burn`). `on_segment` is called
/// after each segment; `cancel` is checked between packets.
#[allow(clippy::too_many_arguments)]
pub fn remux(
    archive: &Path,
    segments: &[Segment],
    range_ns: (i64, i64),
    out: &Path,
    still: &Path,
    burn_label: Option<&str>,
    cancel: &AtomicBool,
    on_segment: &mut dyn FnMut(),
) -> Result<Option<Clip>, ExportError> {
    let (from_ns, to_ns) = range_ns;
    let mut writer: Option<Writer> = None;
    let mut pending: Vec<Picked> = Vec::new();
    let mut started = false;
    let mut codec = String::new();
    let mut first_shape: Option<String> = None;
    'segments: for segment in segments {
        let path = archive.join(&segment.file);
        let mut input = ff::format::input(&path).map_err(media(&path))?;
        let stream = input
            .streams()
            .best(ff::media::Type::Video)
            .ok_or_else(|| ExportError::Footage {
                path: path.clone(),
                message: "no video stream".into(),
            })?;
        let index = stream.index();
        let tb = stream.time_base();
        let params = stream.parameters();
        codec = format!("{:?}", params.id()).to_lowercase();
        let shape = shape(&params, &path)?;
        match &first_shape {
            Some(first) if writer.is_some() && *first != shape => {
                return Err(ExportError::Footage {
                    path,
                    message: format!(
                        "the video changes from {first} to {shape} here (at {}): export the \
                         time before and after it separately",
                        crate::manifest::instant(segment.start_ns).utc
                    ),
                });
            }
            _ => first_shape = Some(shape),
        }
        let nanos_per_tick = f64::from(tb.numerator()) * 1e9 / f64::from(tb.denominator().max(1));
        #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
        let wall = |ticks: i64| segment.start_ns + (ticks as f64 * nanos_per_tick) as i64;
        #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
        let span = |ticks: i64| (ticks as f64 * nanos_per_tick) as i64;
        for (s, packet) in input.packets() {
            if cancel.load(Ordering::Relaxed) {
                return Err(ExportError::Cancelled);
            }
            if s.index() != index {
                continue;
            }
            let dts = packet.dts().or(packet.pts()).unwrap_or(0);
            let picked = Picked {
                dts_ns: wall(dts),
                pts_ns: wall(packet.pts().unwrap_or(dts)),
                duration_ns: span(packet.duration()),
                packet,
            };
            if picked.dts_ns >= to_ns {
                break 'segments;
            }
            if !started {
                let key = picked.packet.is_key();
                if picked.pts_ns < from_ns {
                    if key {
                        pending.clear();
                    }
                    if key || !pending.is_empty() {
                        pending.push(picked);
                    }
                    continue;
                }
                started = true;
                if key {
                    pending.clear();
                }
                pending.push(picked);
                let w = match writer.as_mut() {
                    Some(w) => w,
                    None => writer.insert(Writer::open(out, &params, burn_label)?),
                };
                for p in pending.drain(..) {
                    w.write(p, &params, out)?;
                }
                continue;
            }
            if let Some(w) = writer.as_mut() {
                w.write(picked, &params, out)?;
            }
        }
        on_segment();
    }
    let Some(mut writer) = writer else {
        return Ok(None);
    };
    if let Some(burn) = &mut writer.burn {
        burn.finish(&mut writer.output, out)?;
    }
    writer.output.write_trailer().map_err(media(out))?;
    if let Some((packet, params)) = writer.first.take() {
        write_still(&packet, params, still)?;
    }
    Ok(Some(Clip {
        zero_ns: writer.zero_ns,
        first_frame_ns: writer.first_frame_ns,
        end_ns: writer.end_ns,
        frames: writer.frames,
        codec,
        encoder: writer.burn.as_ref().map(|b| b.encoder_name.clone()),
    }))
}

/// Codec, size and pixel format of a stream: one MP4 holds one of these.
fn shape(params: &ff::codec::Parameters, path: &Path) -> Result<String, ExportError> {
    let video = ff::codec::context::Context::from_parameters(params.clone())
        .and_then(|c| c.decoder().video())
        .map_err(media(path))?;
    Ok(format!(
        "{:?} {}x{} {:?}",
        params.id(),
        video.width(),
        video.height(),
        video.format()
    )
    .to_lowercase())
}

impl Writer {
    fn open(
        out: &Path,
        params: &ff::codec::Parameters,
        burn_label: Option<&str>,
    ) -> Result<Self, ExportError> {
        let mut output = ff::format::output_as(out, "mp4").map_err(media(out))?;
        let burn = match burn_label {
            Some(label) => Some(crate::burn::Burn::new(
                params,
                &mut output,
                label,
                ff::Rational::new(OUT_TB.0, OUT_TB.1),
                out,
            )?),
            None => None,
        };
        if burn.is_none() {
            let mut stream = output
                .add_stream(ff::encoder::find(ff::codec::Id::None))
                .map_err(media(out))?;
            stream.set_parameters(params.clone());
            stream.set_time_base(OUT_TB);
        }
        output.write_header().map_err(media(out))?;
        let tb = output
            .stream(0)
            .map_or(ff::Rational::new(OUT_TB.0, OUT_TB.1), |s| s.time_base());
        Ok(Self {
            output,
            tb,
            zero_ns: 0,
            last_dts: i64::MIN,
            first_frame_ns: 0,
            end_ns: 0,
            frames: 0,
            first: None,
            burn,
        })
    }

    fn write(
        &mut self,
        mut p: Picked,
        params: &ff::codec::Parameters,
        out: &Path,
    ) -> Result<(), ExportError> {
        if self.first.is_none() {
            if !p.packet.is_key() {
                return Ok(()); // a file never starts mid-GOP
            }
            self.zero_ns = p.dts_ns;
            self.first_frame_ns = p.pts_ns;
            self.first = Some((p.packet.clone(), params.clone()));
        }
        let mut dts = ticks_out(p.dts_ns - self.zero_ns, self.tb);
        if dts <= self.last_dts {
            dts = self.last_dts + 1;
        }
        let pts = ticks_out(p.pts_ns - self.zero_ns, self.tb).max(dts);
        self.last_dts = dts;
        p.packet.set_stream(0);
        p.packet.set_dts(Some(dts));
        p.packet.set_pts(Some(pts));
        p.packet.set_duration(ticks_out(p.duration_ns, self.tb));
        p.packet.set_position(-1);
        self.end_ns = self.end_ns.max(p.pts_ns + p.duration_ns);
        self.frames += 1;
        match &mut self.burn {
            Some(burn) => {
                burn.zero_ns = self.zero_ns;
                burn.push(&p.packet, &mut self.output, out)
            }
            None => p
                .packet
                .write_interleaved(&mut self.output)
                .map_err(media(out)),
        }
    }
}

/// Decodes `packet` (a keyframe) and writes it as an RGB PNG.
fn write_still(
    packet: &ff::Packet,
    params: ff::codec::Parameters,
    still: &Path,
) -> Result<(), ExportError> {
    let fail = media(still);
    let mut decoder = ff::codec::context::Context::from_parameters(params)
        .and_then(|c| c.decoder().video())
        .map_err(&fail)?;
    decoder.send_packet(packet).map_err(&fail)?;
    decoder.send_eof().map_err(&fail)?;
    let mut frame = ff::frame::Video::empty();
    decoder.receive_frame(&mut frame).map_err(&fail)?;
    let (width, height) = (frame.width(), frame.height());
    let mut scaler = ff::software::scaling::Context::get(
        frame.format(),
        width,
        height,
        ff::format::Pixel::RGB24,
        width,
        height,
        ff::software::scaling::Flags::BILINEAR,
    )
    .map_err(&fail)?;
    let mut rgb = ff::frame::Video::empty();
    scaler.run(&frame, &mut rgb).map_err(&fail)?;
    let stride = rgb.stride(0);
    let row = width as usize * 3;
    let mut pixels = Vec::with_capacity(row * height as usize);
    for y in 0..height as usize {
        pixels.extend_from_slice(&rgb.data(0)[y * stride..y * stride + row]);
    }
    image::save_buffer(
        still,
        &pixels,
        width,
        height,
        image::ExtendedColorType::Rgb8,
    )
    .map_err(|err| ExportError::Footage {
        path: still.to_path_buf(),
        message: format!("cannot write the still: {err}"),
    })
}
