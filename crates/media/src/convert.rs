//! Turns FFmpeg's decoded frames into [`VideoFrame`] planes for the GPU.
//!
//! Owns: copying yuv420p / yuvj420p / nv12 planes as they are, converting any other
//! pixel format once with swscale, and reading the frame's colour description.
//! Must not: convert to RGB (the shader does that).

use ffmpeg_next::format::Pixel;
use ffmpeg_next::software::scaling;
use ffmpeg_next::util::color;
use ffmpeg_next::util::frame::video::Video as AvFrame;

use vigil_frame::{Colour, ColourMatrix, ColourRange, PlaneLayout, VideoFrame};

/// Converts decoded frames for one stream, keeping a scaler for odd pixel formats.
#[derive(Default)]
pub struct FrameConverter {
    scaler: Option<(scaling::Context, Pixel, u32, u32)>,
    scaled: Option<AvFrame>,
    warned_format: Option<Pixel>,
}

impl FrameConverter {
    /// Fills `dst` from `src`. Returns an error text when the frame cannot be
    /// converted (zero size, swscale refusal).
    pub fn convert(&mut self, src: &AvFrame, dst: &mut VideoFrame) -> Result<(), String> {
        let (width, height) = (src.width(), src.height());
        if width == 0 || height == 0 {
            return Err("decoded frame has zero size".to_owned());
        }
        let format = src.format();
        let colour = colour_of(src);
        match format {
            Pixel::YUV420P | Pixel::YUVJ420P => copy_planes(src, dst, PlaneLayout::I420),
            Pixel::NV12 => copy_planes(src, dst, PlaneLayout::Nv12),
            other => {
                if self.warned_format != Some(other) {
                    tracing::info!(
                        pixel_format = ?other,
                        "pixel format is not uploaded directly; converting to yuv420p with swscale"
                    );
                    self.warned_format = Some(other);
                }
                let scaled = self.scale(src)?;
                copy_planes(scaled, dst, PlaneLayout::I420);
            }
        }
        dst.width = width;
        dst.height = height;
        dst.colour = if is_full_range_format(format) && format != Pixel::YUVJ420P {
            // swscale maps the JPEG formats' full range to yuv420p's limited range.
            Colour {
                range: ColourRange::Limited,
                ..colour
            }
        } else {
            colour
        };
        Ok(())
    }

    fn scale(&mut self, src: &AvFrame) -> Result<&AvFrame, String> {
        let key = (src.format(), src.width(), src.height());
        let stale = !matches!(&self.scaler, Some((_, f, w, h)) if (*f, *w, *h) == key);
        if stale {
            let ctx = scaling::Context::get(
                key.0,
                key.1,
                key.2,
                Pixel::YUV420P,
                key.1,
                key.2,
                scaling::Flags::BILINEAR,
            )
            .map_err(|e| format!("cannot convert pixel format {:?}: {e}", key.0))?;
            self.scaler = Some((ctx, key.0, key.1, key.2));
            self.scaled = Some(AvFrame::new(Pixel::YUV420P, key.1, key.2));
        }
        let (Some((ctx, ..)), Some(out)) = (self.scaler.as_mut(), self.scaled.as_mut()) else {
            return Err("scaler missing".to_owned());
        };
        ctx.run(src, out)
            .map_err(|e| format!("swscale failed: {e}"))?;
        Ok(out)
    }
}

fn copy_planes(src: &AvFrame, dst: &mut VideoFrame, layout: PlaneLayout) {
    dst.layout = layout;
    for i in 0..layout.plane_count() {
        // For NV12's UV plane, plane_width counts U/V pairs: one Rg8 texel each.
        dst.planes[i].fill_from(
            src.data(i),
            src.stride(i),
            src.plane_width(i),
            src.plane_height(i),
        );
    }
    if layout == PlaneLayout::Nv12 {
        dst.planes[2].data.clear();
    }
}

fn is_full_range_format(format: Pixel) -> bool {
    matches!(
        format,
        Pixel::YUVJ420P | Pixel::YUVJ422P | Pixel::YUVJ444P | Pixel::YUVJ440P | Pixel::YUVJ411P
    )
}

/// Reads the colour matrix and range, applying the documented guesses when unknown.
pub fn colour_of(src: &AvFrame) -> Colour {
    let matrix = match src.color_space() {
        color::Space::BT709 => ColourMatrix::Bt709,
        color::Space::BT470BG | color::Space::SMPTE170M | color::Space::FCC => ColourMatrix::Bt601,
        _ => Colour::guess_matrix(src.width(), src.height()),
    };
    let range = match src.color_range() {
        color::Range::JPEG => ColourRange::Full,
        color::Range::MPEG => ColourRange::Limited,
        _ if is_full_range_format(src.format()) => ColourRange::Full,
        _ => ColourRange::Limited,
    };
    Colour { matrix, range }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(format: Pixel, w: u32, h: u32) -> AvFrame {
        let mut f = AvFrame::new(format, w, h);
        for i in 0..f.planes() {
            f.data_mut(i).fill(100 + i as u8);
        }
        f
    }

    #[test]
    fn copies_i420_planes_with_stride() {
        ffmpeg_next::init().ok();
        let src = frame(Pixel::YUV420P, 64, 36);
        let mut dst = VideoFrame::default();
        FrameConverter::default()
            .convert(&src, &mut dst)
            .expect("convert");
        assert_eq!(dst.layout, PlaneLayout::I420);
        assert_eq!((dst.planes[1].width, dst.planes[1].height), (32, 18));
        assert!(dst.planes[0].stride >= 64);
        assert_eq!(dst.yuv_at(10, 10), [100, 101, 102]);
        // Unknown matrix on an SD frame: BT.601; unknown range: limited.
        assert_eq!(
            dst.colour,
            Colour {
                matrix: ColourMatrix::Bt601,
                range: ColourRange::Limited
            }
        );
    }

    #[test]
    fn yuvj_is_full_range_and_nv12_has_two_planes() {
        ffmpeg_next::init().ok();
        let mut dst = VideoFrame::default();
        let mut conv = FrameConverter::default();
        conv.convert(&frame(Pixel::YUVJ420P, 1280, 720), &mut dst)
            .expect("convert");
        assert_eq!(
            dst.colour,
            Colour {
                matrix: ColourMatrix::Bt709,
                range: ColourRange::Full
            }
        );
        conv.convert(&frame(Pixel::NV12, 64, 32), &mut dst)
            .expect("convert");
        assert_eq!(dst.layout, PlaneLayout::Nv12);
        assert_eq!(dst.planes[1].width, 32);
        assert_eq!(dst.yuv_at(3, 3), [100, 101, 101]);
    }

    #[test]
    fn other_formats_go_through_swscale() {
        ffmpeg_next::init().ok();
        let mut dst = VideoFrame::default();
        let mut conv = FrameConverter::default();
        conv.convert(&frame(Pixel::YUV444P, 64, 32), &mut dst)
            .expect("convert");
        assert_eq!(dst.layout, PlaneLayout::I420);
        assert_eq!((dst.width, dst.height), (64, 32));
        assert_eq!(dst.planes[1].width, 32);
        let [y, u, v] = dst.yuv_at(5, 5);
        assert!(
            (i32::from(y) - 100).abs() <= 1
                && (i32::from(u) - 101).abs() <= 1
                && (i32::from(v) - 102).abs() <= 1
        );
    }
}
