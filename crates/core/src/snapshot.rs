//! Full-resolution PNG snapshots of a tile's current frame.
//!
//! The conversion runs on the CPU with the same matrix as the shader, off the UI
//! thread. Must not: be used on the display path.

use std::path::{Path, PathBuf};

use vigil_frame::colour::{convert_pixel, yuv_to_rgb};
use vigil_media::VideoFrame;
use vigil_time::WallNanos;

/// Converts a decoded frame to an 8-bit RGB image at its full resolution.
pub fn frame_to_rgb(frame: &VideoFrame) -> image::RgbImage {
    let matrix = yuv_to_rgb(frame.colour);
    image::RgbImage::from_fn(frame.width, frame.height, |x, y| {
        image::Rgb(convert_pixel(&matrix, frame.yuv_at(x, y)))
    })
}

/// Writes `frame` as a PNG at `path`.
pub fn save_png(frame: &VideoFrame, path: &Path) -> Result<(), image::ImageError> {
    frame_to_rgb(frame).save_with_format(path, image::ImageFormat::Png)
}

/// A file name for a snapshot of `camera_id` taken at `now` (local time in the name),
/// e.g. `lobby-20261126-142501.123.png`.
pub fn snapshot_path(dir: &Path, camera_id: &str, now: WallNanos) -> PathBuf {
    let stamp = now.to_local().format("%Y%m%d-%H%M%S%.3f");
    let safe: String = camera_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join(format!("{safe}-{stamp}.png"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_media::{Colour, ColourMatrix, ColourRange};

    #[test]
    fn snapshot_has_full_resolution_and_right_colours() {
        let mut frame = VideoFrame {
            width: 8,
            height: 4,
            colour: Colour {
                matrix: ColourMatrix::Bt601,
                range: ColourRange::Limited,
            },
            ..Default::default()
        };
        frame.planes[0].fill_from(&[235u8; 32], 8, 8, 4);
        frame.planes[1].fill_from(&[128u8; 8], 4, 4, 2);
        frame.planes[2].fill_from(&[128u8; 8], 4, 4, 2);
        let dir = tempfile::tempdir().expect("tempdir");
        let path = snapshot_path(
            dir.path(),
            "lobby/../x",
            WallNanos::from_secs(1_780_000_000),
        );
        assert!(
            path.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("lobby____x-"))
        );
        save_png(&frame, &path).expect("save");
        let img = image::open(&path).expect("open").to_rgb8();
        assert_eq!(img.dimensions(), (8, 4));
        assert_eq!(img.get_pixel(3, 2).0, [255, 255, 255]);
    }
}
