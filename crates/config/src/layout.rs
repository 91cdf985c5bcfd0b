//! Wall layout geometry: the built-in layouts and lookup of a layout by name.
//!
//! Owns: tile rectangles in grid cells for "1x1".."5x5", "1+5", "1+7", "1+12".
//! Must not: know about the site (a site's custom layouts become [`Layout`]s in
//! `site.rs`), pixels, cameras' streams or drawing; validation of custom layouts lives
//! in `validate.rs`.

/// Where a layout comes from and what shape it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LayoutKind {
    /// Built-in N x N grid of equal tiles.
    Grid,
    /// Built-in layout with one big tile and small ones ("1+5", "1+7", "1+12").
    Focus,
    /// User-defined layout from the site file.
    Custom,
}

/// A rectangle of grid cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileRect {
    /// Left column (0-based).
    pub col: u32,
    /// Top row (0-based).
    pub row: u32,
    /// Width in cells (>= 1).
    pub w: u32,
    /// Height in cells (>= 1).
    pub h: u32,
}

impl TileRect {
    /// Whether the cell `(col, row)` lies inside this rectangle.
    pub fn contains(&self, col: u32, row: u32) -> bool {
        col >= self.col && col - self.col < self.w && row >= self.row && row - self.row < self.h
    }
}

/// A wall layout: a `cols` x `rows` grid split into tiles listed in reading order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Layout {
    /// Name shown to the user and stored in `wall.layout`.
    pub name: String,
    /// Built-in grid, built-in focus, or custom.
    pub kind: LayoutKind,
    /// Grid columns.
    pub cols: u32,
    /// Grid rows.
    pub rows: u32,
    /// Tiles; for built-ins the big tile comes first, then the rest in reading order.
    pub tiles: Vec<TileRect>,
}

/// Names of the built-in layouts, in menu order.
pub const BUILTIN_LAYOUT_NAMES: [&str; 8] =
    ["1x1", "2x2", "3x3", "4x4", "5x5", "1+5", "1+7", "1+12"];

/// Whether `name` is reserved by a built-in layout.
pub fn is_builtin_layout_name(name: &str) -> bool {
    BUILTIN_LAYOUT_NAMES.contains(&name)
}

/// Builds a layout from an optional big tile plus 1x1 tiles filling every other cell
/// in reading order.
fn focus_layout(
    name: &str,
    kind: LayoutKind,
    cols: u32,
    rows: u32,
    big: Option<TileRect>,
) -> Layout {
    let mut tiles: Vec<TileRect> = big.into_iter().collect();
    for row in 0..rows {
        for col in 0..cols {
            if !big.is_some_and(|b| b.contains(col, row)) {
                tiles.push(TileRect {
                    col,
                    row,
                    w: 1,
                    h: 1,
                });
            }
        }
    }
    Layout {
        name: name.to_string(),
        kind,
        cols,
        rows,
        tiles,
    }
}

/// All built-in layouts, in the order of [`BUILTIN_LAYOUT_NAMES`].
pub fn builtin_layouts() -> Vec<Layout> {
    let mut out: Vec<Layout> = (1..=5u32)
        .map(|n| focus_layout(&format!("{n}x{n}"), LayoutKind::Grid, n, n, None))
        .collect();
    let big = |col, row, size| {
        Some(TileRect {
            col,
            row,
            w: size,
            h: size,
        })
    };
    out.push(focus_layout("1+5", LayoutKind::Focus, 3, 3, big(0, 0, 2)));
    out.push(focus_layout("1+7", LayoutKind::Focus, 4, 4, big(0, 0, 3)));
    out.push(focus_layout("1+12", LayoutKind::Focus, 4, 4, big(1, 1, 2)));
    out
}

/// The built-in layout with this name.
pub fn builtin_layout(name: &str) -> Option<Layout> {
    builtin_layouts().into_iter().find(|l| l.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts how many tiles cover each cell; panics on a tile outside the grid.
    fn coverage(layout: &Layout) -> Vec<Vec<u32>> {
        let mut cells = vec![vec![0u32; layout.cols as usize]; layout.rows as usize];
        for t in &layout.tiles {
            assert!(t.w >= 1 && t.h >= 1, "{}: empty tile {t:?}", layout.name);
            assert!(
                t.col + t.w <= layout.cols && t.row + t.h <= layout.rows,
                "{}: {t:?} outside",
                layout.name
            );
            for r in t.row..t.row + t.h {
                for c in t.col..t.col + t.w {
                    cells[r as usize][c as usize] += 1;
                }
            }
        }
        cells
    }

    #[test]
    fn builtins_cover_grid_exactly_once() {
        let layouts = builtin_layouts();
        let names: Vec<_> = layouts.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, BUILTIN_LAYOUT_NAMES);
        let counts: Vec<_> = layouts.iter().map(|l| l.tiles.len()).collect();
        assert_eq!(counts, [1, 4, 9, 16, 25, 6, 8, 13]);
        for l in &layouts {
            for row in coverage(l) {
                assert!(row.iter().all(|&n| n == 1), "{}: coverage {row:?}", l.name);
            }
        }
    }

    #[test]
    fn focus_layouts_have_expected_geometry() {
        let l = builtin_layout("1+5").expect("1+5");
        assert_eq!((l.cols, l.rows, l.kind), (3, 3, LayoutKind::Focus));
        assert_eq!(
            l.tiles[0],
            TileRect {
                col: 0,
                row: 0,
                w: 2,
                h: 2
            }
        );
        assert_eq!(
            l.tiles[1],
            TileRect {
                col: 2,
                row: 0,
                w: 1,
                h: 1
            }
        );
        assert_eq!(
            l.tiles[3],
            TileRect {
                col: 0,
                row: 2,
                w: 1,
                h: 1
            }
        );

        let l = builtin_layout("1+7").expect("1+7");
        assert_eq!((l.cols, l.rows), (4, 4));
        assert_eq!(
            l.tiles[0],
            TileRect {
                col: 0,
                row: 0,
                w: 3,
                h: 3
            }
        );
        let small: Vec<_> = l.tiles[1..].iter().map(|t| (t.col, t.row)).collect();
        assert_eq!(
            small,
            [(3, 0), (3, 1), (3, 2), (0, 3), (1, 3), (2, 3), (3, 3)]
        );

        let l = builtin_layout("1+12").expect("1+12");
        assert_eq!(
            l.tiles[0],
            TileRect {
                col: 1,
                row: 1,
                w: 2,
                h: 2
            }
        );
        assert_eq!(
            l.tiles[1],
            TileRect {
                col: 0,
                row: 0,
                w: 1,
                h: 1
            }
        );
        assert!(l.tiles[1..].iter().all(|t| t.w == 1 && t.h == 1));

        let g = builtin_layout("3x3").expect("3x3");
        assert_eq!(g.kind, LayoutKind::Grid);
        assert_eq!(
            g.tiles[4],
            TileRect {
                col: 1,
                row: 1,
                w: 1,
                h: 1
            }
        );
    }

    #[test]
    fn tile_contains() {
        let t = TileRect {
            col: 1,
            row: 1,
            w: 2,
            h: 2,
        };
        assert!(t.contains(1, 1) && t.contains(2, 2));
        assert!(!t.contains(0, 1) && !t.contains(3, 1) && !t.contains(1, 3));
    }
}
