//! Which of a camera's streams a tile should show: the smallest one whose picture
//! covers the tile's physical pixels (adaptive streaming).
//!
//! Owns: the rule only, as a pure function. Must not: know about tiles' widgets or
//! start streams.

/// One stream a camera offers, with its resolution when known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamOption {
    pub name: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

/// How a tile is shown.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TileNeed {
    /// Tile size in points.
    pub width_points: f32,
    pub height_points: f32,
    /// Physical pixels per point (2 on a HiDPI screen).
    pub pixels_per_point: f32,
    /// Maximised or alone in a 1×1 layout: always the main stream. (A digitally
    /// zoomed tile passes its size times its zoom instead, so it gets the stream that
    /// covers the pixels it magnifies.)
    pub force_main: bool,
}

/// The index into `options` to show. `options[0]` is the main stream. A stream covers
/// the tile when its picture, fitted into the tile (letterboxed), needs no upscaling;
/// of those, the one with the fewest pixels wins. If none covers, the largest known
/// stream wins (the main stream when its size is unknown). Streams of unknown size are
/// never chosen over the main stream.
pub fn choose_stream(options: &[StreamOption], need: TileNeed) -> usize {
    if need.force_main || options.len() <= 1 {
        return 0;
    }
    let tile_w = f64::from(need.width_points * need.pixels_per_point).max(1.0);
    let tile_h = f64::from(need.height_points * need.pixels_per_point).max(1.0);
    let known: Vec<(usize, u32, u32)> = options
        .iter()
        .enumerate()
        .filter_map(|(i, o)| match (o.width, o.height) {
            (Some(w), Some(h)) if w > 0 && h > 0 => Some((i, w, h)),
            _ => None,
        })
        .collect();
    let covers = |w: u32, h: u32| {
        let aspect = f64::from(w) / f64::from(h);
        // The picture's size on screen when fitted into the tile.
        let (shown_w, shown_h) = if tile_w / tile_h > aspect {
            (tile_h * aspect, tile_h)
        } else {
            (tile_w, tile_w / aspect)
        };
        f64::from(w) + 0.5 >= shown_w && f64::from(h) + 0.5 >= shown_h
    };
    let pixels = |w: u32, h: u32| u64::from(w) * u64::from(h);
    let main_known = options[0].width.is_some() && options[0].height.is_some();
    if let Some(&(i, _, _)) = known
        .iter()
        .filter(|(_, w, h)| covers(*w, *h))
        .min_by_key(|(_, w, h)| pixels(*w, *h))
    {
        return i;
    }
    if !main_known {
        return 0;
    }
    known
        .iter()
        .max_by_key(|(_, w, h)| pixels(*w, *h))
        .map_or(0, |(i, _, _)| *i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> Vec<StreamOption> {
        vec![
            StreamOption {
                name: "main".into(),
                width: Some(1920),
                height: Some(1080),
            },
            StreamOption {
                name: "sub".into(),
                width: Some(640),
                height: Some(360),
            },
            StreamOption {
                name: "third".into(),
                width: Some(1280),
                height: Some(720),
            },
        ]
    }

    fn need(w: f32, h: f32, ppp: f32) -> TileNeed {
        TileNeed {
            width_points: w,
            height_points: h,
            pixels_per_point: ppp,
            force_main: false,
        }
    }

    #[test]
    fn thresholds_at_one_pixel_per_point() {
        let o = opts();
        // 16:9 tiles: the sub stream covers up to 640×360 exactly.
        assert_eq!(o[choose_stream(&o, need(640.0, 360.0, 1.0))].name, "sub");
        assert_eq!(o[choose_stream(&o, need(641.0, 361.0, 1.0))].name, "third");
        assert_eq!(o[choose_stream(&o, need(1280.0, 720.0, 1.0))].name, "third");
        assert_eq!(o[choose_stream(&o, need(1281.0, 721.0, 1.0))].name, "main");
        // Bigger than every stream: the largest.
        assert_eq!(o[choose_stream(&o, need(3000.0, 2000.0, 1.0))].name, "main");
    }

    #[test]
    fn thresholds_at_two_pixels_per_point() {
        let o = opts();
        assert_eq!(o[choose_stream(&o, need(320.0, 180.0, 2.0))].name, "sub");
        assert_eq!(o[choose_stream(&o, need(321.0, 181.0, 2.0))].name, "third");
        assert_eq!(o[choose_stream(&o, need(640.0, 360.0, 2.0))].name, "third");
        assert_eq!(o[choose_stream(&o, need(641.0, 361.0, 2.0))].name, "main");
    }

    #[test]
    fn letterboxing_counts_only_the_shown_picture() {
        let o = opts();
        // A tall 4:3 tile 640 wide shows a 16:9 picture 640×360: the sub stream covers it.
        assert_eq!(o[choose_stream(&o, need(640.0, 480.0, 1.0))].name, "sub");
        // A wide tile 1000×360 shows the picture 640×360: still the sub stream.
        assert_eq!(o[choose_stream(&o, need(1000.0, 360.0, 1.0))].name, "sub");
        assert_eq!(o[choose_stream(&o, need(1000.0, 361.0, 1.0))].name, "third");
    }

    #[test]
    fn forced_main_and_unknown_sizes() {
        let o = opts();
        let mut n = need(100.0, 60.0, 1.0);
        n.force_main = true;
        assert_eq!(choose_stream(&o, n), 0);
        let unknown = vec![
            StreamOption {
                name: "main".into(),
                width: None,
                height: None,
            },
            StreamOption {
                name: "sub".into(),
                width: None,
                height: None,
            },
        ];
        assert_eq!(choose_stream(&unknown, need(100.0, 60.0, 1.0)), 0);
        let sub_known = vec![
            StreamOption {
                name: "main".into(),
                width: None,
                height: None,
            },
            StreamOption {
                name: "sub".into(),
                width: Some(640),
                height: Some(360),
            },
        ];
        assert_eq!(choose_stream(&sub_known, need(300.0, 170.0, 1.0)), 1);
        assert_eq!(
            choose_stream(&sub_known, need(1300.0, 800.0, 1.0)),
            0,
            "main of unknown size for big tiles"
        );
        assert_eq!(choose_stream(&[], need(1.0, 1.0, 1.0)), 0);
    }
}
