//! Full-resolution PNG snapshots of a tile's current frame and, for a digitally zoomed
//! tile, of the part it shows (a second file, `<name>-zoom.png`).
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

/// The pixels of a `width`×`height` picture inside `uv` (`[u0, v0, u1, v1]`, 0 to 1):
/// `(x, y, w, h)`, whole pixels covering the rectangle, at least 1×1, inside the
/// picture.
pub fn crop_px(width: u32, height: u32, uv: [f32; 4]) -> (u32, u32, u32, u32) {
    let edge = |t: f32, size: u32, round: fn(f64) -> f64| -> u32 {
        let px = round(f64::from(t.clamp(0.0, 1.0)) * f64::from(size));
        // In 0..=size after the clamp: the conversion cannot truncate.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let px = px as u32;
        px.min(size)
    };
    // A hair of slack so that 0.25 × 640 is 160, not 161, after f32 rounding.
    let x0 = edge(uv[0] + 1e-6, width, f64::floor).min(width.saturating_sub(1));
    let y0 = edge(uv[1] + 1e-6, height, f64::floor).min(height.saturating_sub(1));
    let x1 = edge(uv[2] - 1e-6, width, f64::ceil)
        .max(x0 + 1)
        .min(width.max(1));
    let y1 = edge(uv[3] - 1e-6, height, f64::ceil)
        .max(y0 + 1)
        .min(height.max(1));
    (x0, y0, x1 - x0, y1 - y0)
}

/// Writes `frame` as a PNG at `path` and, with `zoom_uv` (the texture rectangle a
/// zoomed tile draws), the part inside it at full resolution at `zoom_path`.
pub fn save_pngs(
    frame: &VideoFrame,
    path: &Path,
    zoom: Option<([f32; 4], &Path)>,
) -> Result<(), image::ImageError> {
    let rgb = frame_to_rgb(frame);
    rgb.save_with_format(path, image::ImageFormat::Png)?;
    if let Some((uv, zoom_path)) = zoom {
        let (x, y, w, h) = crop_px(rgb.width(), rgb.height(), uv);
        image::imageops::crop_imm(&rgb, x, y, w, h)
            .to_image()
            .save_with_format(zoom_path, image::ImageFormat::Png)?;
    }
    Ok(())
}

/// Where the zoomed part of the snapshot at `path` goes: `<name>-zoom.png` beside it.
pub fn zoom_path(path: &Path) -> PathBuf {
    let stem = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    path.with_file_name(format!("{stem}-zoom.png"))
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

    #[test]
    fn crop_px_covers_the_rectangle_inside_the_picture() {
        assert_eq!(crop_px(640, 360, [0.0, 0.0, 1.0, 1.0]), (0, 0, 640, 360));
        assert_eq!(
            crop_px(640, 360, [0.25, 0.5, 0.75, 1.0]),
            (160, 180, 320, 180)
        );
        assert_eq!(
            crop_px(640, 360, [0.1001, 0.0, 0.2, 0.3]),
            (64, 0, 64, 108),
            "whole pixels covering it"
        );
        assert_eq!(crop_px(640, 360, [0.5, 0.5, 0.5, 0.5]), (320, 180, 1, 1));
        assert_eq!(crop_px(640, 360, [1.0, 1.0, 1.2, 1.2]), (639, 359, 1, 1));
        assert_eq!(crop_px(640, 360, [-0.5, -0.5, 0.1, 0.1]), (0, 0, 64, 36));
    }

    #[test]
    fn a_zoomed_snapshot_also_saves_the_zoomed_part() {
        // Left half black, right half white, 16×8, BT.601 full range.
        let mut frame = VideoFrame {
            width: 16,
            height: 8,
            colour: Colour {
                matrix: ColourMatrix::Bt601,
                range: ColourRange::Full,
            },
            ..Default::default()
        };
        let luma: Vec<u8> = (0..8)
            .flat_map(|_| (0..16).map(|x| if x < 8 { 0 } else { 255 }))
            .collect();
        frame.planes[0].fill_from(&luma, 16, 16, 8);
        frame.planes[1].fill_from(&[128u8; 32], 8, 8, 4);
        frame.planes[2].fill_from(&[128u8; 32], 8, 8, 4);
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("gate-20261130-060000.000.png");
        let zoomed = zoom_path(&path);
        assert_eq!(
            zoomed.file_name().and_then(|n| n.to_str()),
            Some("gate-20261130-060000.000-zoom.png")
        );
        // The right half's upper half: a 2× zoom at the top right.
        save_pngs(&frame, &path, Some(([0.5, 0.0, 1.0, 0.5], &zoomed))).expect("save");
        let full = image::open(&path).expect("open").to_rgb8();
        assert_eq!(full.dimensions(), (16, 8));
        assert_eq!(full.get_pixel(0, 0).0, [0, 0, 0]);
        let crop = image::open(&zoomed).expect("open zoom").to_rgb8();
        assert_eq!(crop.dimensions(), (8, 4));
        assert!(
            crop.pixels().all(|p| p.0 == [255, 255, 255]),
            "only the white half"
        );
        // Unzoomed: one file only.
        let other = dir.path().join("plain.png");
        save_pngs(&frame, &other, None).expect("save");
        assert!(other.exists() && !zoom_path(&other).exists());
    }
}
