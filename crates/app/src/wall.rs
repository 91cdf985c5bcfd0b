//! The video wall: tiles laid out on a grid, each drawing its camera's picture through
//! the GPU paint callback with an overlay (name, clock, state, stats).
//!
//! Owns: tile geometry, per-tile interaction (select, drag to swap, drop a camera,
//! double-click to maximise) and overlay drawing. Must not: start or stop streams, or
//! write the site file (it returns [`WallAction`]s that the app applies).

use std::time::{Duration, Instant};

use eframe::egui_wgpu;
use egui::{Align2, Color32, FontId, Rect, Sense, Stroke, StrokeKind, vec2};

use vigil_config::Layout;
use vigil_gpu::{VideoKey, VideoPaint, fit_picture};
use vigil_media::StreamState;

/// What is dragged on the wall.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DragPayload {
    /// A camera from the camera list.
    Camera(String),
    /// A tile of the wall, by index.
    Tile(usize),
}

/// A change the wall asks the app to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WallAction {
    Assign {
        tile: usize,
        camera: String,
    },
    Swap(usize, usize),
    Select(usize),
    ToggleMaximise(usize),
    ToggleFill(usize),
    Clear(usize),
    Snapshot(usize),
    /// Instant replay: the tile plays its camera's recording from this many seconds ago.
    Replay {
        tile: usize,
        seconds: i64,
    },
}

/// What one pass of the wall produced.
#[derive(Default)]
pub struct WallOutput {
    pub actions: Vec<WallAction>,
    /// Screen rectangles where pictures were drawn, in tile order.
    pub pictures: Vec<Rect>,
}

/// Everything the wall needs to draw one tile.
pub struct TileView<'a> {
    pub camera_id: Option<&'a str>,
    pub camera_name: &'a str,
    pub state: StreamState,
    /// Texture key and picture size, when a picture was ever uploaded.
    pub picture: Option<(VideoKey, u32, u32)>,
    /// When the last new frame arrived.
    pub last_frame_at: Option<Instant>,
    pub fill: bool,
    /// The stream decodes keyframes only (machine overloaded).
    pub keyframe_only: bool,
    /// The HUD's text when it is switched on.
    pub hud: Option<String>,
    /// Local time as shown in the corner.
    pub clock: String,
    /// Set while the tile shows a recording instead of live video.
    pub review: Option<ReviewBadge>,
    /// The camera's recorder, when it records: badge text and colour.
    pub recording: Option<(String, Color32)>,
}

/// How a tile in review labels itself.
#[derive(Clone, Debug, PartialEq)]
pub struct ReviewBadge {
    /// e.g. `PLAYBACK 1×` or `PAUSED`.
    pub label: String,
    /// Said across the picture (no recording at this time, an error).
    pub message: Option<String>,
}

impl TileView<'_> {
    /// A tile with no camera.
    pub fn empty(clock: String) -> Self {
        Self {
            camera_id: None,
            camera_name: "",
            state: StreamState::Idle,
            picture: None,
            last_frame_at: None,
            fill: false,
            keyframe_only: false,
            hud: None,
            clock,
            review: None,
            recording: None,
        }
    }
}

/// A picture older than this on a stream that claims to be live is shown as frozen.
const FROZEN_AFTER: Duration = Duration::from_secs(3);

/// Rectangles of the layout's tiles inside `area`, in tile order.
pub fn tile_rects(layout: &Layout, area: Rect, gap: f32) -> Vec<Rect> {
    let cols = layout.cols.max(1) as f32;
    let rows = layout.rows.max(1) as f32;
    let cell = vec2(area.width() / cols, area.height() / rows);
    layout
        .tiles
        .iter()
        .map(|t| {
            let min = area.min + vec2(t.col as f32 * cell.x, t.row as f32 * cell.y);
            let size = vec2(t.w as f32 * cell.x, t.h as f32 * cell.y);
            Rect::from_min_size(min, size).shrink(gap / 2.0)
        })
        .collect()
}

/// Draws the wall into `ui`'s remaining space and returns what the user asked for.
/// `maximised` shows only that tile, over the whole area.
pub fn wall_ui(
    ui: &mut egui::Ui,
    layout: &Layout,
    tiles: &[TileView<'_>],
    selected: Option<usize>,
    maximised: Option<usize>,
) -> WallOutput {
    let area = ui.available_rect_before_wrap();
    ui.painter().rect_filled(area, 0.0, Color32::from_gray(12));
    let rects: Vec<(usize, Rect)> = match maximised {
        Some(i) if i < tiles.len() => vec![(i, area)],
        _ => tile_rects(layout, area, 2.0)
            .into_iter()
            .enumerate()
            .collect(),
    };
    let now = Instant::now();
    let mut out = WallOutput::default();
    for (index, rect) in rects {
        let Some(tile) = tiles.get(index) else {
            continue;
        };
        tile_ui(
            ui,
            index,
            rect,
            tile,
            selected == Some(index),
            now,
            &mut out,
        );
    }
    ui.allocate_rect(area, Sense::hover());
    out
}

fn tile_ui(
    ui: &mut egui::Ui,
    index: usize,
    rect: Rect,
    tile: &TileView<'_>,
    selected: bool,
    now: Instant,
    out: &mut WallOutput,
) {
    let actions = &mut out.actions;
    let id = ui.make_persistent_id(("tile", index));
    let response = ui.interact(rect, id, Sense::click_and_drag());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, Color32::from_gray(24));

    let frozen = tile.state == StreamState::Live
        && tile
            .last_frame_at
            .is_some_and(|t| now.saturating_duration_since(t) > FROZEN_AFTER);
    let showing_live = tile.state == StreamState::Live && !frozen;
    if let Some((key, width, height)) = &tile.picture {
        let (picture_rect, uv_rect) = fit_picture(rect, *width, *height, tile.fill);
        let brightness = match &tile.review {
            Some(r) if r.message.is_some() => 0.35,
            Some(_) => 1.0,
            None if showing_live => 1.0,
            None => 0.35,
        };
        out.pictures.push(picture_rect.intersect(rect));
        painter.add(egui_wgpu::Callback::new_paint_callback(
            picture_rect,
            VideoPaint {
                key: key.clone(),
                uv_rect,
                brightness,
            },
        ));
    }
    overlay_ui(&painter, rect, tile, frozen, now);

    // Interaction: select, maximise, drag a tile onto another, drop a camera.
    if response.clicked() {
        actions.push(WallAction::Select(index));
    }
    if response.double_clicked() {
        actions.push(WallAction::ToggleMaximise(index));
    }
    if response.drag_started() && tile.camera_id.is_some() {
        response.dnd_set_drag_payload(DragPayload::Tile(index));
    }
    if let Some(payload) = response.dnd_release_payload::<DragPayload>() {
        match payload.as_ref() {
            DragPayload::Camera(camera) => actions.push(WallAction::Assign {
                tile: index,
                camera: camera.clone(),
            }),
            DragPayload::Tile(from) if *from != index => {
                actions.push(WallAction::Swap(*from, index))
            }
            DragPayload::Tile(_) => {}
        }
    }
    let hovered_by_drag = response.dnd_hover_payload::<DragPayload>().is_some();
    let stroke = if hovered_by_drag {
        Stroke::new(3.0, Color32::from_rgb(90, 170, 255))
    } else if selected {
        Stroke::new(2.0, Color32::from_rgb(255, 200, 60))
    } else {
        Stroke::new(1.0, Color32::from_gray(50))
    };
    painter.rect_stroke(rect, 0.0, stroke, StrokeKind::Inside);
    response.context_menu(|ui| {
        if ui.button("Maximise / restore").clicked() {
            actions.push(WallAction::ToggleMaximise(index));
            ui.close();
        }
        if ui
            .button(if tile.fill {
                "Fit (letterbox)"
            } else {
                "Fill tile (crop)"
            })
            .clicked()
        {
            actions.push(WallAction::ToggleFill(index));
            ui.close();
        }
        if ui
            .add_enabled(
                tile.picture.is_some(),
                egui::Button::new("Save snapshot (PNG)"),
            )
            .clicked()
        {
            actions.push(WallAction::Snapshot(index));
            ui.close();
        }
        if tile.camera_id.is_some() {
            ui.menu_button("Instant replay", |ui| {
                for seconds in [10, 30, 60] {
                    if ui.button(format!("Back {seconds} s")).clicked() {
                        actions.push(WallAction::Replay {
                            tile: index,
                            seconds,
                        });
                        ui.close();
                    }
                }
            });
        }
        if ui
            .add_enabled(
                tile.camera_id.is_some(),
                egui::Button::new("Remove from tile"),
            )
            .clicked()
        {
            actions.push(WallAction::Clear(index));
            ui.close();
        }
    });
}

fn overlay_ui(
    painter: &egui::Painter,
    rect: Rect,
    tile: &TileView<'_>,
    frozen: bool,
    now: Instant,
) {
    let Some(_camera) = tile.camera_id else {
        painter.text(
            rect.center(),
            Align2::CENTER_CENTER,
            "Drop a camera here",
            FontId::proportional(14.0),
            Color32::from_gray(110),
        );
        return;
    };
    let small = FontId::proportional(13.0);
    let shadow = Color32::from_black_alpha(160);
    let pad = 6.0;
    let label = |pos: egui::Pos2, align: Align2, text: &str, colour: Color32| {
        let galley = painter.layout_no_wrap(text.to_owned(), small.clone(), colour);
        let text_rect = align.anchor_size(pos, galley.size()).expand(3.0);
        painter.rect_filled(text_rect, 3.0, shadow);
        painter.galley(text_rect.min + vec2(3.0, 3.0), galley, colour);
    };
    label(
        rect.left_top() + vec2(pad, pad),
        Align2::LEFT_TOP,
        tile.camera_name,
        Color32::WHITE,
    );
    label(
        rect.right_top() + vec2(-pad, pad),
        Align2::RIGHT_TOP,
        &tile.clock,
        Color32::from_gray(220),
    );
    if let Some((text, colour)) = &tile.recording {
        label(
            rect.right_top() + vec2(-pad, pad + 22.0),
            Align2::RIGHT_TOP,
            text,
            *colour,
        );
    }
    if let Some(review) = &tile.review {
        review_overlay(painter, rect, review);
        return;
    }
    if tile.keyframe_only {
        label(
            rect.right_top() + vec2(-pad, pad + 44.0),
            Align2::RIGHT_TOP,
            "KEYFRAMES ONLY (load)",
            Color32::from_rgb(240, 170, 40),
        );
    }

    let (badge, colour) = match (&tile.state, frozen) {
        (StreamState::Live, false) => ("LIVE".to_owned(), Color32::from_rgb(70, 200, 90)),
        (StreamState::Live, true) => ("NO NEW FRAMES".to_owned(), Color32::from_rgb(240, 170, 40)),
        (StreamState::Connecting, _) => {
            ("connecting…".to_owned(), Color32::from_rgb(150, 180, 255))
        }
        (StreamState::Stalled, _) => ("STALLED".to_owned(), Color32::from_rgb(240, 170, 40)),
        (StreamState::Reconnecting { .. }, _) => {
            (tile.state.describe(now), Color32::from_rgb(240, 170, 40))
        }
        (StreamState::Offline { .. }, _) => {
            (tile.state.describe(now), Color32::from_rgb(235, 80, 70))
        }
        (StreamState::Idle, _) => ("idle".to_owned(), Color32::from_gray(150)),
    };
    // A coloured dot, then the state in words.
    let badge_pos = rect.left_bottom() + vec2(pad, -pad);
    let galley = painter.layout_no_wrap(badge, small.clone(), colour);
    let text_rect = Align2::LEFT_BOTTOM
        .anchor_size(badge_pos, galley.size() + vec2(14.0, 0.0))
        .expand(3.0);
    painter.rect_filled(text_rect, 3.0, shadow);
    painter.circle_filled(
        egui::pos2(text_rect.min.x + 8.0, text_rect.center().y),
        4.0,
        colour,
    );
    painter.galley(text_rect.min + vec2(17.0, 3.0), galley, colour);
    if let Some(hud) = &tile.hud {
        let galley = painter.layout_no_wrap(
            hud.clone(),
            FontId::monospace(11.0),
            Color32::from_gray(230),
        );
        let text_rect = Align2::RIGHT_BOTTOM
            .anchor_size(rect.right_bottom() + vec2(-pad, -pad - 24.0), galley.size())
            .expand(3.0);
        painter.rect_filled(text_rect, 3.0, shadow);
        painter.galley(
            text_rect.min + vec2(3.0, 3.0),
            galley,
            Color32::from_gray(230),
        );
    }
    // A picture that is not live says so across its middle, so nobody mistakes it.
    let not_live_reason = match (&tile.state, frozen) {
        (StreamState::Live, false) | (StreamState::Connecting, _) | (StreamState::Idle, _) => None,
        (StreamState::Live, true) => Some("Picture frozen: no new frames".to_owned()),
        (state, _) => Some(match state.reason() {
            Some(reason) => format!("{}\n{reason}", state.label().to_uppercase()),
            None => state.label().to_uppercase(),
        }),
    };
    if let Some(text) = not_live_reason {
        centre_message(painter, rect, text, Color32::from_rgb(255, 210, 200));
    } else if tile.picture.is_none() && tile.state == StreamState::Connecting {
        painter.text(
            rect.center(),
            Align2::CENTER_CENTER,
            "Connecting…",
            FontId::proportional(15.0),
            Color32::from_gray(170),
        );
    }
}

/// The badge and message of a tile showing a recording.
fn review_overlay(painter: &egui::Painter, rect: Rect, review: &ReviewBadge) {
    let colour = Color32::from_rgb(120, 180, 255);
    let small = FontId::proportional(13.0);
    let pad = 6.0;
    let galley = painter.layout_no_wrap(review.label.clone(), small, colour);
    let text_rect = Align2::LEFT_BOTTOM
        .anchor_size(rect.left_bottom() + vec2(pad, -pad), galley.size())
        .expand(3.0);
    painter.rect_filled(text_rect, 3.0, Color32::from_black_alpha(160));
    painter.galley(text_rect.min + vec2(3.0, 3.0), galley, colour);
    // A thin frame in the same colour: no one mistakes a recording for live.
    painter.rect_stroke(
        rect.shrink(1.0),
        0.0,
        Stroke::new(2.0, colour.gamma_multiply(0.7)),
        StrokeKind::Inside,
    );
    if let Some(text) = &review.message {
        centre_message(painter, rect, text.clone(), Color32::WHITE);
    }
}

/// A message across the middle of a tile (why it is not live, no recording…), on a
/// dark box so it reads over any picture.
fn centre_message(painter: &egui::Painter, rect: Rect, text: String, colour: Color32) {
    let galley = painter.layout(
        text,
        FontId::proportional(16.0),
        colour,
        (rect.width() - 24.0).max(40.0),
    );
    let text_rect = Align2::CENTER_CENTER
        .anchor_size(rect.center(), galley.size())
        .expand(8.0);
    painter.rect_filled(text_rect, 4.0, Color32::from_black_alpha(190));
    painter.galley(text_rect.min + vec2(8.0, 8.0), galley, Color32::WHITE);
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_config::builtin_layouts;

    #[test]
    fn tiles_fill_the_area_without_overlap() {
        let area = Rect::from_min_size(egui::pos2(10.0, 20.0), vec2(1200.0, 900.0));
        for layout in builtin_layouts() {
            let rects = tile_rects(&layout, area, 0.0);
            assert_eq!(rects.len(), layout.tiles.len());
            let total: f32 = rects.iter().map(|r| r.area()).sum();
            assert!(
                (total - area.area()).abs() < 1.0,
                "{}: {total} vs {}",
                layout.name,
                area.area()
            );
            for (i, a) in rects.iter().enumerate() {
                assert!(area.expand(0.01).contains_rect(*a));
                for b in &rects[i + 1..] {
                    assert!(a.intersect(*b).area() < 0.01, "{} overlaps", layout.name);
                }
            }
        }
    }
}
