//! What each camera on the walls needs from its stream this step, from the tiles it is
//! shown in: every window's wall counts, so a camera shown in two windows is decoded
//! once, from the stream its largest tile needs.

use vigil_config::Site;
use vigil_media::choice::TileNeed;

use super::{TILE_GAP_POINTS, Viewport};
use crate::review::Review;
use crate::streams::CameraNeed;
use crate::wall::{Rect, Wall, tile_rects};

/// What each camera on the walls needs this step: the largest of its tiles in pixels,
/// across every wall (tiles in review rest: their cameras are left out).
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
        let need = TileNeed {
            width_points: rect.width,
            height_points: rect.height,
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
