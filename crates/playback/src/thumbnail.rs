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
use super::footage::Progress;
use super::source::{AvFrame, Decoder, Index, SegmentReader, StopFlag};
use vigil_time::WallNanos;

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
    let mut reader = SegmentReader::open(storage, &segment, &StopFlag::never())?;
    let mut decoder = Decoder::for_reader(&reader, 1)?;
    reader.seek_keyframe(keyframe_ns, &mut decoder)?;
    let mut out = Vec::new();
    while out.is_empty() {
        match reader.decode_step(&mut decoder, &mut out)? {
            Progress::More => {}
            Progress::GopEnd(_) | Progress::End => break,
        }
    }
    let Some((time_ns, frame)) = out.into_iter().next() else {
        return Ok(None);
    };
    Ok(Some(scale_to_rgba(&frame, time_ns, max_width)?))
}

/// Scales a decoded frame to RGBA, at most `max_width` wide (aspect kept, even sizes).
fn scale_to_rgba(
    frame: &AvFrame,
    time_ns: i64,
    max_width: u32,
) -> Result<Thumbnail, PlaybackError> {
    let (w, h) = (frame.width(), frame.height());
    if w == 0 || h == 0 {
        return Err(PlaybackError::Scale("frame has zero size".to_owned()));
    }
    let out_w = max_width.min(w).max(2) & !1;
    let out_h = u32::try_from((u64::from(h) * u64::from(out_w) / u64::from(w)).max(2))
        .unwrap_or(u32::MAX)
        & !1;
    let mut scaler = scaling::Context::get(
        frame.format(),
        w,
        h,
        Pixel::RGBA,
        out_w,
        out_h,
        scaling::Flags::AREA,
    )
    .map_err(|e| PlaybackError::Scale(e.to_string()))?;
    let mut out = AvFrame::empty();
    scaler
        .run(frame, &mut out)
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
        time: WallNanos(time_ns),
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
        let mut frame = AvFrame::new(Pixel::YUV420P, 64, 32);
        // Mid grey, no chroma: Y=126 (limited range) is about 128 in RGB.
        frame.data_mut(0).fill(126);
        frame.data_mut(1).fill(128);
        frame.data_mut(2).fill(128);
        let t = scale_to_rgba(&frame, 7, 16).expect("scale");
        assert_eq!((t.width, t.height, t.time), (16, 8, WallNanos(7)));
        assert_eq!(t.rgba.len(), 16 * 8 * 4);
        let px = &t.rgba[(4 * 16 + 8) * 4..(4 * 16 + 8) * 4 + 4];
        for c in &px[..3] {
            assert!((i32::from(*c) - 128).abs() <= 8, "{px:?}");
        }
        assert_eq!(px[3], 255);
        let big = scale_to_rgba(&frame, 7, 4000).expect("scale");
        assert_eq!((big.width, big.height), (64, 32), "never enlarged");
    }
}
