//! What each camera on the walls needs from its stream this step, from the tiles it is
//! shown in: every window's wall counts, so a camera shown in two windows is decoded
//! once, from the stream its largest tile needs; a digitally zoomed tile needs its size
//! times its zoom (the pixels of the picture it magnifies), so zooming in asks for the
//! main stream.

use vigil_config::Site;
use vigil_media::choice::TileNeed;

use super::{TILE_GAP_POINTS, Viewport};
use crate::review::Review;
use crate::streams::CameraNeed;
use crate::wall::{Rect, Wall, tile_rects};

/// What each camera on the walls needs this step: the largest of its tiles in pixels,
/// zoom included, across every wall (tiles in review rest: their cameras are left out).
pub(super) fn camera_needs<'s>(
    site: &'s Site,
    walls: &[(&Wall, Viewport)],
    review: Option<&Review>,
) -> Vec<CameraNeed<'s>> {
    let mut needs: Vec<CameraNeed<'s>> = Vec::new();
    for (wall, viewport) in walls {
        wall_needs(site, wall, review, *viewport, &mut needs);
    }
    needs
}

/// Adds one wall's tiles to `needs`.
fn wall_needs<'s>(
    site: &'s Site,
    wall: &Wall,
    review: Option<&Review>,
    viewport: Viewport,
    needs: &mut Vec<CameraNeed<'s>>,
) {
    let layout = wall.layout(site);
    let area = Rect::new(0.0, 0.0, viewport.width_points, viewport.height_points);
    let rects: Vec<(usize, Rect)> = match wall.maximised {
        Some(i) => vec![(i, area)],
        None => tile_rects(&layout, area, TILE_GAP_POINTS)
            .into_iter()
            .enumerate()
            .collect(),
    };
    let single = layout.tiles.len() == 1;
    for (index, rect) in rects {
        let Some(camera) = wall.camera(site, index).and_then(|id| site.camera(id)) else {
            continue;
        };
        if review.is_some_and(|r| r.includes(&camera.id)) {
            continue;
        }
        let maximised = wall.maximised == Some(index);
        let zoom = wall.zoom_of(index).factor();
        let need = TileNeed {
            width_points: rect.width * zoom,
            height_points: rect.height * zoom,
            pixels_per_point: viewport.pixels_per_point,
            force_main: single || maximised,
        };
        match needs.iter_mut().find(|n| n.camera.id == camera.id) {
            Some(existing) => {
                if need.width_points * need.height_points
                    > existing.need.width_points * existing.need.height_points
                    || need.force_main
                {
                    existing.need = need;
                }
                existing.protected |= maximised;
            }
            None => needs.push(CameraNeed {
                camera,
                need,
                protected: maximised,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_config::{CameraConfig, SubstreamConfig};
    use vigil_media::choice::{StreamOption, choose_stream};

    /// One camera with a 1920×1080 main and a 640×360 sub stream, shown in tiles 0
    /// and 1 of a 2×2 wall.
    fn site() -> Site {
        let mut camera = CameraConfig::new("cam", "Cam", "/clips/cam.mp4");
        (camera.width, camera.height) = (Some(1920), Some(1080));
        camera.substreams = vec![SubstreamConfig {
            name: "sub".into(),
            source: "/clips/cam-sub.mp4".into(),
            width: Some(640),
            height: Some(360),
            fps: None,
        }];
        let mut site = Site::empty();
        site.cameras = vec![camera];
        site.wall.assignment = vec![Some("cam".into()), Some("cam".into()), None, None];
        site
    }

    fn options() -> Vec<StreamOption> {
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
        ]
    }

    const VIEWPORT: Viewport = Viewport {
        width_points: 1000.0,
        height_points: 600.0,
        pixels_per_point: 1.0,
    };

    #[test]
    fn a_zoomed_tile_needs_its_size_times_its_zoom_and_gets_the_main_stream() {
        let mut site = site();
        let mut wall = Wall::new(&mut site);
        let needs = camera_needs(&site, &[(&wall, VIEWPORT)], None);
        assert_eq!(needs.len(), 1, "one camera, however many tiles");
        let plain = needs[0].need;
        assert_eq!(options()[choose_stream(&options(), plain)].name, "sub");

        // Zoomed 2× in the second tile: twice the tile's pixels, the main stream.
        wall.zoom_at(1, 2.0, [0.3, 0.3]);
        let needs = camera_needs(&site, &[(&wall, VIEWPORT)], None);
        let zoomed = needs[0].need;
        assert!((zoomed.width_points - plain.width_points * 2.0).abs() < 0.01);
        assert!((zoomed.height_points - plain.height_points * 2.0).abs() < 0.01);
        assert!(!zoomed.force_main);
        assert_eq!(options()[choose_stream(&options(), zoomed)].name, "main");

        // A slight zoom that the sub stream still covers keeps the sub stream.
        wall.reset_zoom(1);
        wall.zoom_at(1, 1.2, [0.5, 0.5]);
        let needs = camera_needs(&site, &[(&wall, VIEWPORT)], None);
        assert_eq!(
            options()[choose_stream(&options(), needs[0].need)].name,
            "sub"
        );

        // Unzoomed again: back to the sub stream.
        wall.reset_zoom(1);
        let needs = camera_needs(&site, &[(&wall, VIEWPORT)], None);
        assert_eq!(needs[0].need, plain);
    }
}
