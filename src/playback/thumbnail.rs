//! Thumbnails for the timeline and search results: the keyframe at or before a time,
//! scaled down with swscale to RGBA.
//!
//! Owns: one-shot reading of a single keyframe and its scaling. Must not: keep anything
//! open or cached between calls (the caller caches thumbnails), or use a player's state.

use std::path::Path;

use ff::format::Pixel;
use ff::software::scaling;
use ffmpeg_next as ff;

use super::PlaybackError;
use super::source::{Index, Progress, SegmentReader};
use crate::media::frame::{PlaneLayout, VideoFrame};
use crate::timeline::time::WallNanos;

/// A small RGBA picture of one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thumbnail {
    /// Wall time of the keyframe shown.
    pub time: WallNanos,
    pub width: u32,
    pub height: u32,
    /// `width × height × 4` bytes, rows top to bottom, no padding.
    pub rgba: Vec<u8>,
}

/// The keyframe at or before `time` of `camera_id`, scaled to at most `max_width`
/// pixels wide (aspect kept, never enlarged). `None` when `time` is in a gap.
pub fn thumbnail(
    storage: &Path,
    camera_id: &str,
    time: WallNanos,
    max_width: u32,
) -> Result<Option<Thumbnail>, PlaybackError> {
    ff::init().ok();
    let mut index = Index::open(storage, camera_id)?;
    let Some(segment) = index.locate(time.0)? else {
        return Ok(None);
    };
    let (keyframe_ns, _) = index.keyframe_around(&segment, time.0)?;
    let mut reader = SegmentReader::open(storage, &segment, 1)?;
    reader.seek_keyframe(keyframe_ns)?;
    let mut got: Option<VideoFrame> = None;
    let mut take = VideoFrame::default;
    while got.is_none() {
        let mut sink = |f: VideoFrame| {
            if got.is_none() {
                got = Some(f);
            }
        };
        match reader.decode_step(&mut take, &mut sink)? {
            Progress::More => {}
            Progress::GopEnd(_) | Progress::End => break,
        }
    }
    let Some(frame) = got else {
        return Ok(None);
    };
    Ok(Some(scale_to_rgba(&frame, max_width)?))
}

/// Scales a decoded frame's planes to RGBA, at most `max_width` wide.
fn scale_to_rgba(frame: &VideoFrame, max_width: u32) -> Result<Thumbnail, PlaybackError> {
    let (w, h) = (frame.width, frame.height);
    if w == 0 || h == 0 {
        return Err(PlaybackError::Scale("frame has zero size".to_owned()));
    }
    let out_w = max_width.min(w).max(2) & !1;
    let out_h = u32::try_from((u64::from(h) * u64::from(out_w) / u64::from(w)).max(2))
        .unwrap_or(u32::MAX)
        & !1;
    let format = match frame.layout {
        PlaneLayout::I420 => Pixel::YUV420P,
        PlaneLayout::Nv12 => Pixel::NV12,
    };
    let mut src = ff::util::frame::video::Video::new(format, w, h);
    for i in 0..frame.layout.plane_count() {
        let plane = &frame.planes[i];
        let dst_stride = src.stride(i);
        let row_bytes = dst_stride.min(plane.stride);
        let rows = plane.height as usize;
        let dst = src.data_mut(i);
        for y in 0..rows {
            let (Some(from), Some(to)) = (
                plane
                    .data
                    .get(y * plane.stride..y * plane.stride + row_bytes),
                dst.get_mut(y * dst_stride..y * dst_stride + row_bytes),
            ) else {
                break;
            };
            to.copy_from_slice(from);
        }
    }
    let mut scaler = scaling::Context::get(
        format,
        w,
        h,
        Pixel::RGBA,
        out_w,
        out_h,
        scaling::Flags::AREA,
    )
    .map_err(|e| PlaybackError::Scale(e.to_string()))?;
    let mut out = ff::util::frame::video::Video::empty();
    scaler
        .run(&src, &mut out)
        .map_err(|e| PlaybackError::Scale(e.to_string()))?;
    let stride = out.stride(0);
    let row = out_w as usize * 4;
    let mut rgba = Vec::with_capacity(row * out_h as usize);
    let data = out.data(0);
    for y in 0..out_h as usize {
        let Some(line) = data.get(y * stride..y * stride + row) else {
            return Err(PlaybackError::Scale("scaled frame is short".to_owned()));
        };
        rgba.extend_from_slice(line);
    }
    Ok(Thumbnail {
        time: WallNanos(frame.pts_nanos),
        width: out_w,
        height: out_h,
        rgba,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_down_keeping_aspect_and_colour() {
        ff::init().ok();
        let mut frame = VideoFrame {
            width: 64,
            height: 32,
            ..Default::default()
        };
        // Mid grey, no chroma: BT.601 limited Y=126 → about 128 in RGB.
        frame.planes[0].fill_from(&[126u8; 64 * 32], 64, 64, 32);
        frame.planes[1].fill_from(&[128u8; 32 * 16], 32, 32, 16);
        frame.planes[2].fill_from(&[128u8; 32 * 16], 32, 32, 16);
        let t = scale_to_rgba(&frame, 16).expect("scale");
        assert_eq!((t.width, t.height), (16, 8));
        assert_eq!(t.rgba.len(), 16 * 8 * 4);
        let px = &t.rgba[(4 * 16 + 8) * 4..(4 * 16 + 8) * 4 + 4];
        for c in &px[..3] {
            assert!((i32::from(*c) - 128).abs() <= 8, "{px:?}");
        }
        assert_eq!(px[3], 255);
        let big = scale_to_rgba(&frame, 4000).expect("scale");
        assert_eq!((big.width, big.height), (64, 32), "never enlarged");
    }
}
