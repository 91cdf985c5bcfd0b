//! Reducing a luma plane to the detectors' grids, in one pass over the pixels: a fine
//! grid ([`FINE_W`]×[`FINE_H`] area averages) for the picture statistics the tamper
//! detectors use, and the coarse motion grid ([`GRID_W`]×[`GRID_H`] cells, each the
//! average of 4×4 fine cells).
//!
//! Must not: keep state between frames (that is the detectors'), or allocate per frame
//! beyond the grid it returns.

use crate::DetectError;

/// Motion grid columns.
pub const GRID_W: usize = 32;
/// Motion grid rows.
pub const GRID_H: usize = 18;
/// Fine grid columns (4 per motion cell).
pub const FINE_W: usize = GRID_W * 4;
/// Fine grid rows (4 per motion cell).
pub const FINE_H: usize = GRID_H * 4;

/// One frame's luma plane, borrowed from the decoder: `height` rows of `width` bytes,
/// each row `stride` bytes from the previous one.
#[derive(Clone, Copy, Debug)]
pub struct Luma<'a> {
    pub width: usize,
    pub height: usize,
    pub stride: usize,
    pub data: &'a [u8],
}

/// A frame reduced to grids, and its statistics.
#[derive(Clone, Debug)]
pub struct Grid {
    /// Motion cells, row-major, mean luma 0..=255.
    pub cells: Vec<f32>,
    /// Fine cells, row-major, mean luma 0..=255.
    pub fine: Vec<f32>,
    /// Mean luma of the frame.
    pub mean: f32,
    /// Standard deviation of the fine cells: the picture's contrast.
    pub std: f32,
    /// Mean absolute Laplacian of the fine grid: its high-frequency energy.
    pub laplacian: f32,
}

impl Grid {
    /// Reduce `luma` (area averages: every pixel counts once, in the cell it falls in).
    pub fn from_luma(luma: &Luma<'_>) -> Result<Self, DetectError> {
        let Luma {
            width,
            height,
            stride,
            data,
        } = *luma;
        if width < FINE_W || height < FINE_H {
            return Err(DetectError::FrameTooSmall {
                width,
                height,
                min_w: FINE_W,
                min_h: FINE_H,
            });
        }
        let needed = stride
            .checked_mul(height - 1)
            .and_then(|n| n.checked_add(width));
        if stride < width || needed.is_none_or(|n| data.len() < n) {
            return Err(DetectError::PlaneTooShort {
                len: data.len(),
                width,
                height,
                stride,
            });
        }
        // Each fine column's pixel range.
        let columns: Vec<(usize, usize)> = (0..FINE_W)
            .map(|fx| (fx * width / FINE_W, (fx + 1) * width / FINE_W))
            .collect();
        let mut sums = vec![0u32; FINE_W * FINE_H];
        let mut counts = vec![0u32; FINE_W * FINE_H];
        // The rows of one fine row are added column by column first (a loop the
        // compiler vectorises), then the sums are split into the fine columns.
        let mut column_sums = vec![0u32; width];
        let mut y = 0;
        for fy in 0..FINE_H {
            let y_end = (fy + 1) * height / FINE_H;
            column_sums.iter_mut().for_each(|s| *s = 0);
            let rows = y_end - y;
            while y < y_end {
                let row = &data[y * stride..y * stride + width];
                for (s, &p) in column_sums.iter_mut().zip(row) {
                    *s += u32::from(p);
                }
                y += 1;
            }
            for (fx, &(x0, x1)) in columns.iter().enumerate() {
                sums[fy * FINE_W + fx] = column_sums[x0..x1].iter().sum();
                #[allow(clippy::cast_possible_truncation)]
                let n = ((x1 - x0) * rows) as u32;
                counts[fy * FINE_W + fx] = n;
            }
        }
        #[allow(clippy::cast_precision_loss)]
        let fine: Vec<f32> = sums
            .iter()
            .zip(&counts)
            .map(|(&s, &c)| s as f32 / c.max(1) as f32)
            .collect();
        Ok(Self::from_fine(fine))
    }

    /// The motion cells and statistics of a fine grid ([`FINE_W`]×[`FINE_H`]).
    pub fn from_fine(fine: Vec<f32>) -> Self {
        debug_assert_eq!(fine.len(), FINE_W * FINE_H);
        let mut cells = vec![0.0f32; GRID_W * GRID_H];
        for fy in 0..FINE_H {
            for fx in 0..FINE_W {
                cells[(fy / 4) * GRID_W + fx / 4] += fine[fy * FINE_W + fx] / 16.0;
            }
        }
        #[allow(clippy::cast_precision_loss)]
        let n = fine.len() as f32;
        let mean = fine.iter().sum::<f32>() / n;
        let variance = fine.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
        let mut laplacian_sum = 0.0f32;
        for fy in 1..FINE_H - 1 {
            for fx in 1..FINE_W - 1 {
                let i = fy * FINE_W + fx;
                let l =
                    4.0 * fine[i] - fine[i - 1] - fine[i + 1] - fine[i - FINE_W] - fine[i + FINE_W];
                laplacian_sum += l.abs();
            }
        }
        #[allow(clippy::cast_precision_loss)]
        let laplacian = laplacian_sum / ((FINE_W - 2) * (FINE_H - 2)) as f32;
        Self {
            cells,
            fine,
            mean,
            std: variance.sqrt(),
            laplacian,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_averages_a_uniform_plane_and_a_split_one() {
        let (w, h, stride) = (640, 360, 704);
        let mut data = vec![0u8; stride * h];
        for y in 0..h {
            for x in 0..w {
                data[y * stride + x] = if x < w / 2 { 40 } else { 200 };
            }
        }
        let grid = Grid::from_luma(&Luma {
            width: w,
            height: h,
            stride,
            data: &data,
        })
        .expect("grid");
        assert_eq!(grid.cells[0], 40.0);
        assert_eq!(grid.cells[GRID_W - 1], 200.0);
        assert!((grid.mean - 120.0).abs() < 0.01);
        assert!((grid.std - 80.0).abs() < 0.01);
        // Only the one vertical edge has Laplacian energy.
        assert!(grid.laplacian > 0.0 && grid.laplacian < 5.0);
    }

    #[test]
    fn rejects_small_frames_and_short_planes() {
        let data = vec![0u8; 100 * 50];
        let small = Luma {
            width: 100,
            height: 50,
            stride: 100,
            data: &data,
        };
        assert!(matches!(
            Grid::from_luma(&small),
            Err(DetectError::FrameTooSmall { .. })
        ));
        let short = Luma {
            width: 640,
            height: 360,
            stride: 640,
            data: &data,
        };
        assert!(matches!(
            Grid::from_luma(&short),
            Err(DetectError::PlaneTooShort { .. })
        ));
    }
}
