//! The video wall: tiles laid out on a grid, each drawing its camera's picture through
//! the GPU paint callback with an overlay (name, clock, state, stats, badges).
//!
//! Owns: per-tile interaction (select, drag to swap, drop a camera, double-click to
//! maximise, the tile menu) and overlay drawing, from the core's
//! [`WallView`]. Must not: start or stop streams, or change the site (it returns
//! [`Command`]s that the core carries out).

use eframe::egui_wgpu;
use egui::{Align2, Color32, FontId, Rect, Role, Sense, Stroke, StrokeKind, vec2};

use vigil_config::CameraId;
use vigil_core::wall::tile_rects;
use vigil_core::{
    Command, GRID_H, GRID_W, LiveTile, ReviewTile, Severity, TILE_GAP_POINTS, TileContent,
    TileView, WallView,
};
use vigil_gpu::{VideoPaint, fit_picture};
use vigil_media::StreamState;
use vigil_playback::PlayerState;
use vigil_record::RecorderState;

use crate::a11y::Named as _;
use crate::timeline_panel::{speed_label, speed_words};

/// What is dragged on the wall.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DragPayload {
    /// A camera from the camera list.
    Camera(CameraId),
    /// A tile of the wall, by index.
    Tile(usize),
}

/// What one pass of the wall produced.
#[derive(Default)]
pub struct WallOutput {
    pub commands: Vec<Command>,
    /// Screen rectangles where pictures were drawn, in tile order.
    pub pictures: Vec<Rect>,
}

/// What the wall draws.
pub struct WallInput<'a> {
    pub view: &'a WallView,
    /// Local time as shown in the corner of live tiles.
    pub clock: &'a str,
}

/// Rectangles of the layout's tiles inside `area`, in tile order (the core's geometry,
/// in egui's coordinates).
pub fn egui_tile_rects(view: &WallView, area: Rect) -> Vec<Rect> {
    let core_area =
        vigil_core::wall::Rect::new(area.min.x, area.min.y, area.width(), area.height());
    tile_rects(&view.layout, core_area, TILE_GAP_POINTS)
        .into_iter()
        .map(|r| Rect::from_min_size(egui::pos2(r.x, r.y), vec2(r.width, r.height)))
        .collect()
}

/// Draws the wall into `ui`'s remaining space and returns what the user asked for. A
/// maximised tile is shown alone, over the whole area.
pub fn wall_ui(ui: &mut egui::Ui, input: &WallInput<'_>) -> WallOutput {
    let view = input.view;
    let area = ui.available_rect_before_wrap();
    ui.painter().rect_filled(area, 0.0, Color32::from_gray(12));
    let rects: Vec<(usize, Rect)> = match view.maximised {
        Some(i) if i < view.tiles.len() => vec![(i, area)],
        _ => egui_tile_rects(view, area)
            .into_iter()
            .enumerate()
            .collect(),
    };
    let mut out = WallOutput::default();
    for (index, rect) in rects {
        let Some(tile) = view.tiles.get(index) else {
            continue;
        };
        tile_ui(
            ui,
            index,
            rect,
            tile,
            view.selected == Some(index),
            input,
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
    tile: &TileView,
    selected: bool,
    input: &WallInput<'_>,
    out: &mut WallOutput,
) {
    let commands = &mut out.commands;
    let id = ui.make_persistent_id(("tile", index));
    let response = ui.interact(rect, id, Sense::click_and_drag());
    let response = response.named_toggle(Role::Button, selected, &tile_name(index, tile));
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, Color32::from_gray(24));

    if let Some(picture) = tile.content.picture() {
        let (picture_rect, uv_rect) = fit_picture(rect, picture.width, picture.height, tile.fill);
        let brightness = match &tile.content {
            TileContent::Review(review) if review_label(review).1.is_some() => 0.35,
            TileContent::Live(live) if !live.showing_live() => 0.35,
            _ => 1.0,
        };
        out.pictures.push(picture_rect.intersect(rect));
        painter.add(egui_wgpu::Callback::new_paint_callback(
            picture_rect,
            VideoPaint::new(picture.key.clone(), uv_rect, brightness),
        ));
    }
    if let TileContent::Live(live) = &tile.content
        && let (Some(cells), Some(picture)) = (&live.motion_cells, &live.picture)
    {
        let (picture_rect, _) = fit_picture(rect, picture.width, picture.height, tile.fill);
        motion_overlay(&painter, picture_rect, cells);
    }
    match &tile.content {
        TileContent::Empty => {
            painter.text(
                rect.center(),
                Align2::CENTER_CENTER,
                "Drop a camera here",
                FontId::proportional(14.0),
                Color32::from_gray(110),
            );
        }
        TileContent::Live(live) => live_overlay(&painter, rect, live, input),
        TileContent::Review(review) => review_overlay(&painter, rect, review),
    }

    // Interaction: select, maximise, drag a tile onto another, drop a camera.
    let has_camera = tile.content.camera().is_some();
    if response.clicked() {
        commands.push(Command::Select(index));
    }
    if response.double_clicked() {
        commands.push(Command::ToggleMaximise(index));
    }
    if response.drag_started() && has_camera {
        response.dnd_set_drag_payload(DragPayload::Tile(index));
    }
    if let Some(payload) = response.dnd_release_payload::<DragPayload>() {
        match payload.as_ref() {
            DragPayload::Camera(camera) => commands.push(Command::Assign {
                tile: index,
                camera: camera.clone(),
            }),
            DragPayload::Tile(from) if *from != index => {
                commands.push(Command::Swap(*from, index));
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
    if let Some(camera) = tile.content.camera() {
        alarm_overlay(ui, &painter, rect, camera.alarm, camera.unacknowledged);
    }
    let show_motion = input.view.show_motion;
    response.context_menu(|ui| {
        if ui
            .button(if show_motion {
                "Hide motion overlay"
            } else {
                "Show motion overlay"
            })
            .clicked()
        {
            commands.push(Command::ShowMotion(!show_motion));
            ui.close();
        }
        if ui.button("Maximise / restore").clicked() {
            commands.push(Command::ToggleMaximise(index));
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
            commands.push(Command::ToggleFill(index));
            ui.close();
        }
        if ui
            .add_enabled(
                tile.content.picture().is_some(),
                egui::Button::new("Save snapshot (PNG)"),
            )
            .clicked()
        {
            commands.push(Command::Snapshot(index));
            ui.close();
        }
        if has_camera {
            ui.menu_button("Instant replay", |ui| {
                for seconds in [10, 30, 60] {
                    if ui.button(format!("Back {seconds} s")).clicked() {
                        commands.push(Command::Replay {
                            tile: Some(index),
                            seconds,
                        });
                        ui.close();
                    }
                }
            });
        }
        if ui
            .add_enabled(has_camera, egui::Button::new("Remove from tile"))
            .clicked()
        {
            commands.push(Command::Clear(index));
            ui.close();
        }
    });
}

/// The colour of a severity: the flashing border, the queue's labels.
pub(crate) fn severity_colour(severity: Severity) -> Color32 {
    match severity {
        Severity::Critical => Color32::from_rgb(235, 30, 30),
        Severity::Warning => Color32::from_rgb(255, 150, 0),
        Severity::Info => Color32::from_rgb(70, 150, 255),
    }
}

/// Border width of an alarmed tile, in points.
pub const ALARM_BORDER_POINTS: f32 = 5.0;
/// The alarm border is on this long, then off as long.
const ALARM_FLASH_SECS: f64 = 0.5;

/// An unacknowledged alarm: the border flashes in its severity's colour, and a badge
/// counts the tile's alarms.
fn alarm_overlay(
    ui: &egui::Ui,
    painter: &egui::Painter,
    rect: Rect,
    alarm: Option<Severity>,
    unacknowledged: usize,
) {
    let Some(severity) = alarm else {
        return;
    };
    let time = ui.input(|i| i.time);
    #[allow(clippy::cast_possible_truncation)]
    let on = ((time / ALARM_FLASH_SECS).floor() as i64) % 2 == 0;
    if on {
        painter.rect_stroke(
            rect,
            0.0,
            Stroke::new(ALARM_BORDER_POINTS, severity_colour(severity)),
            StrokeKind::Inside,
        );
    }
    ui.ctx()
        .request_repaint_after(std::time::Duration::from_secs_f64(ALARM_FLASH_SECS));
    if unacknowledged > 0 {
        label(
            painter,
            rect.left_top() + vec2(PAD + 2.0, PAD + 24.0),
            Align2::LEFT_TOP,
            &format!("ALARM {unacknowledged}"),
            severity_colour(severity),
        );
    }
}

/// The moving cells over the picture (scaled with it), and their bounding box.
fn motion_overlay(painter: &egui::Painter, picture: Rect, cells: &[bool]) {
    if cells.len() != GRID_W * GRID_H {
        return;
    }
    #[allow(clippy::cast_precision_loss)]
    let (cell_w, cell_h) = (
        picture.width() / GRID_W as f32,
        picture.height() / GRID_H as f32,
    );
    let fill = Color32::from_rgba_unmultiplied(255, 60, 60, 70);
    let mut bounds: Option<Rect> = None;
    for (i, _) in cells.iter().enumerate().filter(|(_, m)| **m) {
        #[allow(clippy::cast_precision_loss)]
        let (x, y) = ((i % GRID_W) as f32, (i / GRID_W) as f32);
        let cell = Rect::from_min_size(
            picture.min + vec2(x * cell_w, y * cell_h),
            vec2(cell_w, cell_h),
        );
        painter.rect_filled(cell, 0.0, fill);
        bounds = Some(bounds.map_or(cell, |b| b.union(cell)));
    }
    if let Some(bounds) = bounds {
        painter.rect_stroke(
            bounds,
            0.0,
            Stroke::new(2.0, Color32::from_rgb(255, 60, 60)),
            StrokeKind::Outside,
        );
    }
}

/// A label on a dark box, anchored at `pos`.
fn label(painter: &egui::Painter, pos: egui::Pos2, align: Align2, text: &str, colour: Color32) {
    let galley = painter.layout_no_wrap(text.to_owned(), FontId::proportional(13.0), colour);
    let text_rect = align.anchor_size(pos, galley.size()).expand(3.0);
    painter.rect_filled(text_rect, 3.0, Color32::from_black_alpha(160));
    painter.galley(text_rect.min + vec2(3.0, 3.0), galley, colour);
}

const PAD: f32 = 6.0;

/// Name top left, clock (or the recording's time) top right, recording badge below it.
fn header(
    painter: &egui::Painter,
    rect: Rect,
    name: &str,
    clock: &str,
    recording: Option<&RecorderState>,
) {
    label(
        painter,
        rect.left_top() + vec2(PAD, PAD),
        Align2::LEFT_TOP,
        name,
        Color32::WHITE,
    );
    label(
        painter,
        rect.right_top() + vec2(-PAD, PAD),
        Align2::RIGHT_TOP,
        clock,
        Color32::from_gray(220),
    );
    if let Some((text, colour)) = recording.and_then(recording_badge) {
        label(
            painter,
            rect.right_top() + vec2(-PAD, PAD + 22.0),
            Align2::RIGHT_TOP,
            &text,
            colour,
        );
    }
}

fn live_overlay(painter: &egui::Painter, rect: Rect, tile: &LiveTile, input: &WallInput<'_>) {
    let now = input.view.now;
    header(
        painter,
        rect,
        &tile.camera.name,
        input.clock,
        tile.camera.recording.as_ref(),
    );
    if tile.keyframe_only {
        label(
            painter,
            rect.right_top() + vec2(-PAD, PAD + 44.0),
            Align2::RIGHT_TOP,
            "KEYFRAMES ONLY (load)",
            Color32::from_rgb(240, 170, 40),
        );
    }
    let small = FontId::proportional(13.0);
    let shadow = Color32::from_black_alpha(160);
    let (badge, colour) = match (&tile.state, tile.frozen) {
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
    let badge_pos = rect.left_bottom() + vec2(PAD, -PAD);
    let galley = painter.layout_no_wrap(badge, small, colour);
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
            hud_text(hud),
            FontId::monospace(11.0),
            Color32::from_gray(230),
        );
        let text_rect = Align2::RIGHT_BOTTOM
            .anchor_size(rect.right_bottom() + vec2(-PAD, -PAD - 24.0), galley.size())
            .expand(3.0);
        painter.rect_filled(text_rect, 3.0, shadow);
        painter.galley(
            text_rect.min + vec2(3.0, 3.0),
            galley,
            Color32::from_gray(230),
        );
    }
    // A picture that is not live says so across its middle, so nobody mistakes it.
    let not_live_reason = match (&tile.state, tile.frozen) {
        _ if tile.undrawable.is_some() => tile.undrawable.clone(),
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

/// The HUD's lines: stream, picture, rates, costs.
fn hud_text(h: &vigil_core::streams::Hud) -> String {
    format!(
        "{} · {} {}×{} · {}\n{:.1} fps in · {:.1} shown · {} dropped\ndecode {:.1} ms · latency {:.0} ms · {:.0} kbit/s",
        h.stream,
        h.codec,
        h.width,
        h.height,
        h.decoder_label(48),
        h.fps_received,
        h.fps_shown,
        h.dropped,
        h.decode_ms,
        h.latency_ms,
        h.kbps,
    )
}

/// The badge, frame and message of a tile showing a recording.
fn review_overlay(painter: &egui::Painter, rect: Rect, tile: &ReviewTile) {
    let shown = tile.shown_at.map_or_else(
        || "--:--:--".to_owned(),
        |t| t.to_local().format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
    );
    header(
        painter,
        rect,
        &tile.camera.name,
        &shown,
        tile.camera.recording.as_ref(),
    );
    let (text, message) = review_label(tile);
    let colour = Color32::from_rgb(120, 180, 255);
    let galley = painter.layout_no_wrap(text, FontId::proportional(13.0), colour);
    let text_rect = Align2::LEFT_BOTTOM
        .anchor_size(rect.left_bottom() + vec2(PAD, -PAD), galley.size())
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
    if let Some(text) = message {
        centre_message(painter, rect, text, Color32::WHITE);
    }
}

/// A tile's recording badge.
pub(crate) fn recording_badge(state: &RecorderState) -> Option<(String, Color32)> {
    let red = Color32::from_rgb(235, 80, 70);
    match state {
        RecorderState::Recording => Some(("⏺ REC".to_owned(), red)),
        RecorderState::Armed => Some(("REC on events".to_owned(), Color32::from_gray(190))),
        RecorderState::Waiting => Some(("REC waiting".to_owned(), Color32::from_gray(160))),
        RecorderState::DiskFull => Some(("REC STOPPED: disk full".to_owned(), red)),
        RecorderState::Failed(_) => Some((
            "REC STOPPED: write error".to_owned(),
            Color32::from_rgb(240, 170, 40),
        )),
        RecorderState::Stopped => None,
    }
}

/// What a screen reader says for a tile: its number, camera and what the overlay shows
/// (the overlay is painted, so it is not in the accessibility tree itself).
fn tile_name(index: usize, tile: &TileView) -> String {
    let number = index + 1;
    match &tile.content {
        TileContent::Empty => format!("Tile {number}: empty"),
        TileContent::Live(live) => {
            let mut name = format!(
                "Tile {number}: {}, {}",
                live.camera.name,
                live.state.label()
            );
            if live.keyframe_only {
                name.push_str(", keyframes only");
            }
            name
        }
        TileContent::Review(review) => {
            let playing = if review.paused {
                "paused".to_owned()
            } else if review.speed < 0.0 {
                format!("backwards at {}", speed_words(-review.speed))
            } else {
                format!("playing at {}", speed_words(review.speed))
            };
            let mut name = format!("Tile {number}: {}, playback, {playing}", review.camera.name);
            if let (_, Some(message)) = review_label(review) {
                name.push_str(", ");
                name.push_str(&message.replace('\n', ": "));
            }
            name
        }
    }
}

/// How a tile in review labels itself, and what it says across its picture.
pub(crate) fn review_label(tile: &ReviewTile) -> (String, Option<String>) {
    let label = if tile.paused {
        "PLAYBACK · paused".to_owned()
    } else if tile.speed < 0.0 {
        format!("PLAYBACK · ◀ {}", speed_label(-tile.speed))
    } else {
        format!("PLAYBACK · ▶ {}", speed_label(tile.speed))
    };
    let message = match &tile.player {
        PlayerState::NoFootage => Some("No recording at this time".to_owned()),
        PlayerState::Error(err) => Some(format!("Cannot play the recording\n{err}")),
        _ => None,
    };
    (label, message)
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
