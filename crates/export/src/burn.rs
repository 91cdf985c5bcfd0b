//! Burned-in text: the camera's name and each frame's UTC time drawn into the picture,
//! which needs a re-encode (decode, draw, encode with FFmpeg's H.264 encoder, else
//! MPEG-4 Part 2). It costs a full decode and encode of every frame (far slower than
//! the remux) and the MP4 no longer holds the recorded bits; the manifest says so.
//!
//! Owns: the text (an 8×8 bitmap font, ASCII; other characters become `?`), the
//! decoder → copy → draw → encoder chain. Must not: choose packets or write the
//! container's header or trailer (`remux` does).

use std::path::Path;

use ffmpeg_next as ff;

use crate::ExportError;

/// Luma of the text and of the box behind it.
const TEXT_Y: u8 = 235;
const BOX_Y: u8 = 16;

pub struct Burn {
    decoder: ff::decoder::Video,
    encoder: ff::encoder::Video,
    scaler: Option<ff::software::scaling::Context>,
    label: String,
    /// Wall time of the MP4's time 0.
    pub zero_ns: i64,
    out_tb: ff::Rational,
    /// The last input packet's duration (output time base): the encoder's packets
    /// carry none, and an MP4's last frame without one is dropped by players.
    frame_duration: i64,
    /// The encoder's name, for the manifest.
    pub encoder_name: String,
}

fn media(path: &Path) -> impl Fn(ff::Error) -> ExportError + '_ {
    move |source| ExportError::Media {
        path: path.to_path_buf(),
        source,
    }
}

impl Burn {
    /// A decoder for `params` and an encoder of the same size into `output`'s stream 0
    /// (whose parameters it sets; call before the header is written).
    pub fn new(
        params: &ff::codec::Parameters,
        output: &mut ff::format::context::Output,
        label: &str,
        out_tb: ff::Rational,
        path: &Path,
    ) -> Result<Self, ExportError> {
        let fail = media(path);
        let decoder = ff::codec::context::Context::from_parameters(params.clone())
            .and_then(|c| c.decoder().video())
            .map_err(&fail)?;
        let codec = ff::encoder::find_by_name("libx264")
            .or_else(|| ff::encoder::find(ff::codec::Id::H264))
            .or_else(|| ff::encoder::find(ff::codec::Id::MPEG4))
            .ok_or_else(|| ExportError::Footage {
                path: path.to_path_buf(),
                message: "no H.264 or MPEG-4 encoder in this FFmpeg: export without --burn-in"
                    .into(),
            })?;
        let mut encoder = ff::codec::context::Context::new_with_codec(codec)
            .encoder()
            .video()
            .map_err(&fail)?;
        encoder.set_width(decoder.width());
        encoder.set_height(decoder.height());
        encoder.set_format(ff::format::Pixel::YUV420P);
        encoder.set_time_base(out_tb);
        // Frames in presentation order only: no B-frames, no edit list for their delay.
        encoder.set_max_b_frames(0);
        if output
            .format()
            .flags()
            .contains(ff::format::Flags::GLOBAL_HEADER)
        {
            encoder.set_flags(ff::codec::Flags::GLOBAL_HEADER);
        }
        let encoder = encoder.open_as(codec).map_err(&fail)?;
        let mut stream = output.add_stream(codec).map_err(&fail)?;
        stream.set_parameters(&encoder);
        stream.set_time_base(out_tb);
        Ok(Self {
            decoder,
            encoder,
            scaler: None,
            label: label.to_owned(),
            zero_ns: 0,
            out_tb,
            frame_duration: 0,
            encoder_name: codec.name().to_owned(),
        })
    }

    /// Decodes `packet` (timestamps already in the output time base) and encodes what
    /// came out, with the text drawn, into `output`.
    pub fn push(
        &mut self,
        packet: &ff::Packet,
        output: &mut ff::format::context::Output,
        path: &Path,
    ) -> Result<(), ExportError> {
        if packet.duration() > 0 {
            self.frame_duration = packet.duration();
        }
        self.decoder.send_packet(packet).map_err(media(path))?;
        self.drain_decoder(output, path)
    }

    /// Flushes the decoder and the encoder (before the trailer).
    pub fn finish(
        &mut self,
        output: &mut ff::format::context::Output,
        path: &Path,
    ) -> Result<(), ExportError> {
        self.decoder.send_eof().map_err(media(path))?;
        self.drain_decoder(output, path)?;
        self.encoder.send_eof().map_err(media(path))?;
        self.drain_encoder(output, path)
    }

    fn drain_decoder(
        &mut self,
        output: &mut ff::format::context::Output,
        path: &Path,
    ) -> Result<(), ExportError> {
        let mut decoded = ff::frame::Video::empty();
        while self.decoder.receive_frame(&mut decoded).is_ok() {
            let (w, h) = (decoded.width(), decoded.height());
            let scaler = match &mut self.scaler {
                Some(s) => s,
                None => self.scaler.insert(
                    ff::software::scaling::Context::get(
                        decoded.format(),
                        w,
                        h,
                        ff::format::Pixel::YUV420P,
                        w,
                        h,
                        ff::software::scaling::Flags::POINT,
                    )
                    .map_err(media(path))?,
                ),
            };
            // A copy: the decoder's own pictures are its references.
            let mut frame = ff::frame::Video::empty();
            scaler.run(&decoded, &mut frame).map_err(media(path))?;
            let pts = decoded.pts().or(decoded.timestamp()).unwrap_or(0);
            #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
            let wall_ns = self.zero_ns
                + (pts as f64 * 1e9 * f64::from(self.out_tb.numerator())
                    / f64::from(self.out_tb.denominator().max(1))) as i64;
            let text = format!("{}  {}", self.label, crate::manifest::instant(wall_ns).utc);
            draw_text(&mut frame, &text);
            frame.set_pts(Some(pts));
            frame.set_kind(ff::picture::Type::None);
            self.encoder.send_frame(&frame).map_err(media(path))?;
            self.drain_encoder(output, path)?;
        }
        Ok(())
    }

    fn drain_encoder(
        &mut self,
        output: &mut ff::format::context::Output,
        path: &Path,
    ) -> Result<(), ExportError> {
        let stream_tb = output.stream(0).map_or(self.out_tb, |s| s.time_base());
        let mut packet = ff::Packet::empty();
        while self.encoder.receive_packet(&mut packet).is_ok() {
            packet.set_stream(0);
            if packet.duration() <= 0 {
                packet.set_duration(self.frame_duration);
            }
            packet.rescale_ts(self.out_tb, stream_tb);
            packet.write_interleaved(output).map_err(media(path))?;
        }
        Ok(())
    }
}

/// Draws `text` at the top left of a YUV 4:2:0 frame: white on a black box, scaled to
/// the picture (8 px glyphs ×1 below 360 lines, ×2 below 1080, ×3 above).
pub fn draw_text(frame: &mut ff::frame::Video, text: &str) {
    let (width, height) = (frame.width() as usize, frame.height() as usize);
    let scale = if height < 360 {
        1
    } else if height < 1080 {
        2
    } else {
        3
    };
    let glyph = 8 * scale;
    let margin = 2 * scale;
    let chars: Vec<u8> = text
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c as u8
            } else {
                b'?'
            }
        })
        .collect();
    let box_w = (chars.len() * glyph + 2 * margin).min(width);
    let box_h = (glyph + 2 * margin).min(height);
    let stride = frame.stride(0);
    let luma = frame.data_mut(0);
    for y in 0..box_h {
        for x in 0..box_w {
            luma[y * stride + x] = BOX_Y;
        }
    }
    for (i, c) in chars.iter().enumerate() {
        let rows = font8x8::legacy::BASIC_LEGACY[usize::from(*c & 0x7f)];
        for (row, bits) in rows.iter().enumerate() {
            for col in 0..8 {
                if bits >> col & 1 == 0 {
                    continue;
                }
                for dy in 0..scale {
                    for dx in 0..scale {
                        let x = margin + i * glyph + col * scale + dx;
                        let y = margin + row * scale + dy;
                        if x < width && y < height {
                            luma[y * stride + x] = TEXT_Y;
                        }
                    }
                }
            }
        }
    }
    // Neutral chroma under the box, so the text is white, not tinted.
    for plane in 1..3 {
        let stride = frame.stride(plane);
        let data = frame.data_mut(plane);
        for y in 0..box_h.div_ceil(2) {
            for x in 0..box_w.div_ceil(2) {
                data[y * stride + x] = 128;
            }
        }
    }
}
