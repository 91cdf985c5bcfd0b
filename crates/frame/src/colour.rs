//! YUV → R'G'B' conversion as a 3×4 matrix (matrix plus offset column) built on the CPU
//! from a frame's colour description, for the shader's uniform and for CPU snapshots.
//!
//! Inputs are codes scaled to 0..1 (`code / 255`, as an `R8Unorm` texture samples
//! them); outputs are gamma-encoded R'G'B' in 0..1 (egui's framebuffer is not sRGB).
//! Must not: clamp inputs (only outputs are clamped).

use crate::{Colour, ColourMatrix, ColourRange};

/// Row-major 3×4: `rgb[i] = rows[i][0]*y + rows[i][1]*u + rows[i][2]*v + rows[i][3]`.
pub type YuvToRgb = [[f32; 4]; 3];

/// Builds the conversion for `colour` (ITU-R BT.601 / BT.709 luma coefficients).
pub fn yuv_to_rgb(colour: Colour) -> YuvToRgb {
    let (kr, kb) = match colour.matrix {
        ColourMatrix::Bt601 => (0.299_f64, 0.114_f64),
        ColourMatrix::Bt709 => (0.2126, 0.0722),
    };
    let kg = 1.0 - kr - kb;
    // Y' = ay·y + by,  C' = ac·c + bc, with y, c in code/255.
    let (ay, by, ac, bc) = match colour.range {
        ColourRange::Limited => (255.0 / 219.0, -16.0 / 219.0, 255.0 / 224.0, -128.0 / 224.0),
        ColourRange::Full => (1.0, 0.0, 1.0, -128.0 / 255.0),
    };
    // R = Y' + cr_v·V';  G = Y' + cg_u·U' + cg_v·V';  B = Y' + cb_u·U'.
    let cr_v = 2.0 * (1.0 - kr);
    let cg_u = -2.0 * (1.0 - kb) * kb / kg;
    let cg_v = -2.0 * (1.0 - kr) * kr / kg;
    let cb_u = 2.0 * (1.0 - kb);
    let row = |cu: f64, cv: f64| -> [f32; 4] {
        #[allow(clippy::cast_possible_truncation)]
        [
            ay as f32,
            (cu * ac) as f32,
            (cv * ac) as f32,
            (by + (cu + cv) * bc) as f32,
        ]
    };
    [row(0.0, cr_v), row(cg_u, cg_v), row(cb_u, 0.0)]
}

/// Applies the conversion to one pixel of codes, giving clamped 8-bit R'G'B'.
pub fn convert_pixel(m: &YuvToRgb, yuv: [u8; 3]) -> [u8; 3] {
    let [y, u, v] = yuv.map(|c| f32::from(c) / 255.0);
    m.map(|r| {
        let value = r[0] * y + r[1] * u + r[2] * v + r[3];
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let byte = (value.clamp(0.0, 1.0) * 255.0).round() as u8;
        byte
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(matrix: ColourMatrix, range: ColourRange) -> YuvToRgb {
        yuv_to_rgb(Colour { matrix, range })
    }

    fn close(a: [u8; 3], b: [u8; 3]) -> bool {
        a.iter()
            .zip(b)
            .all(|(x, y)| (i32::from(*x) - i32::from(y)).abs() <= 1)
    }

    #[test]
    fn black_and_white_in_both_ranges() {
        for matrix in [ColourMatrix::Bt601, ColourMatrix::Bt709] {
            let lim = c(matrix, ColourRange::Limited);
            assert_eq!(convert_pixel(&lim, [16, 128, 128]), [0, 0, 0]);
            assert_eq!(convert_pixel(&lim, [235, 128, 128]), [255, 255, 255]);
            let full = c(matrix, ColourRange::Full);
            assert_eq!(convert_pixel(&full, [0, 128, 128]), [0, 0, 0]);
            assert_eq!(convert_pixel(&full, [255, 128, 128]), [255, 255, 255]);
        }
    }

    #[test]
    fn colour_bars_bt601_limited() {
        // 75 % bars, BT.601 limited codes (ITU-R BT.801 table).
        let m = c(ColourMatrix::Bt601, ColourRange::Limited);
        assert!(
            close(convert_pixel(&m, [162, 44, 142]), [191, 191, 0]),
            "yellow"
        );
        assert!(
            close(convert_pixel(&m, [131, 156, 44]), [0, 191, 191]),
            "cyan"
        );
        assert!(
            close(convert_pixel(&m, [112, 72, 58]), [0, 191, 0]),
            "green"
        );
        assert!(
            close(convert_pixel(&m, [84, 184, 198]), [191, 0, 191]),
            "magenta"
        );
        assert!(close(convert_pixel(&m, [65, 100, 212]), [191, 0, 0]), "red");
        assert!(
            close(convert_pixel(&m, [35, 212, 114]), [0, 0, 191]),
            "blue"
        );
    }

    #[test]
    fn primaries_bt709_full() {
        // Full-range BT.709: R' = 255 gives Y = 0.2126·255, Cb = 128 − 0.1146·255…
        let m = c(ColourMatrix::Bt709, ColourRange::Full);
        assert!(close(convert_pixel(&m, [54, 99, 255]), [255, 0, 0]), "red");
        assert!(
            close(convert_pixel(&m, [182, 30, 12]), [0, 255, 0]),
            "green"
        );
        assert!(
            close(convert_pixel(&m, [18, 255, 116]), [0, 0, 255]),
            "blue"
        );
    }

    #[test]
    fn matrices_differ_so_guessing_matters() {
        let a = convert_pixel(
            &c(ColourMatrix::Bt601, ColourRange::Limited),
            [84, 184, 198],
        );
        let b = convert_pixel(
            &c(ColourMatrix::Bt709, ColourRange::Limited),
            [84, 184, 198],
        );
        assert!(
            a.iter()
                .zip(b)
                .any(|(x, y)| (i32::from(*x) - i32::from(y)).abs() > 10)
        );
    }
}
