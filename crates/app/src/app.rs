//! The eframe application: panels around the wall, keyboard shortcuts, and applying
//! what the user asks for to the site and the engine.
//!
//! Owns: UI state (selection, maximised tile, full screen, live or review), the site
//! being shown and when to save it, and the site's recorders. Must not: block on I/O
//! (saving, snapshots, index reads and starting the recorders run on named threads).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::{Color32, RichText};

mod recordings;

use recordings::{recording_badge, review_badge};

use super::timeline_panel::{ReviewAction, TimelinePanel};
use super::wall::{DragPayload, TileView, WallAction, tile_rects, wall_ui};
use vigil_config::{
    CredentialStore, CustomLayout, CustomLayoutKind, Layout, Site, TileConfig, builtin_layouts,
    layout_by_name,
};
use vigil_core::recording::Recording;
use vigil_core::review::{Review, Scope};
use vigil_core::saver::{Saver, SaverReport};
use vigil_core::streams::{CameraNeed, Hud, WallStreams};
use vigil_core::timeline_data::TimelineData;
use vigil_frame::VideoKey;
use vigil_gpu::VideoRenderer;
use vigil_media::choice::TileNeed;
use vigil_media::{Engine, MAIN_STREAM, StreamState};

/// How the app was started.
pub struct AppOptions {
    /// Hide panels and toolbar: only the wall (control-room screens).
    pub kiosk: bool,
    /// Where snapshots are written.
    pub snapshot_dir: PathBuf,
    /// The site file to save changes to; `None` for the demo site or a broken file.
    pub site_path: Option<PathBuf>,
    /// Why the site file could not be used, shown in a banner.
    pub config_error: Option<String>,
    /// Shown instead of the local time on tiles (reproducible screenshots in tests).
    pub fixed_clock: Option<String>,
    /// The storage folder: recording cameras record there and the timeline reads it.
    /// `None`: nothing is recorded and the timeline stays empty.
    pub storage: Option<PathBuf>,
    /// Hours of history to seed into an empty storage folder first (the demo site).
    pub demo_history_hours: Option<f64>,
}

/// Vigil's main window.
pub struct VigilApp {
    site: Site,
    credentials: CredentialStore,
    options: AppOptions,
    streams: WallStreams,
    selected: Option<usize>,
    maximised: Option<usize>,
    fill: Vec<bool>,
    fullscreen: bool,
    status: Option<(String, Instant)>,
    saver: Option<Saver>,
    new_layout_name: String,
    gpu_ok: bool,
    pictures: Vec<egui::Rect>,
    notify: vigil_media::Notify,
    render_state: Option<eframe::egui_wgpu::RenderState>,
    /// The recorders, once started (off the UI thread: reconciling can take a while).
    recording: Recording,
    review: Option<Review>,
    /// Speed the next "play" uses (signed: negative is reverse).
    review_speed: f64,
    panel: TimelinePanel,
    timeline_rect: Option<egui::Rect>,
    show_timeline: bool,
}

impl VigilApp {
    /// Sets up GPU resources and the engine; `cc` comes from eframe (or egui_kittest).
    pub fn new(
        cc: &eframe::CreationContext<'_>,
        site: Site,
        credentials: CredentialStore,
        options: AppOptions,
    ) -> Self {
        let gpu_ok = match &cc.wgpu_render_state {
            Some(rs) => {
                VideoRenderer::install(rs, 1);
                true
            }
            None => {
                tracing::error!("no wgpu render state: video cannot be drawn");
                false
            }
        };
        cc.egui_ctx.set_visuals(egui::Visuals::dark());
        let ctx = cc.egui_ctx.clone();
        let notify: vigil_media::Notify = Arc::new(move || ctx.request_repaint());
        let saver = options.site_path.clone().map(Saver::spawn);
        let recording = match options.storage.clone() {
            Some(dir) => Recording::start(&site, dir, options.demo_history_hours),
            None => Recording::off(),
        };
        let data = options.storage.as_deref().and_then(|dir| {
            TimelineData::start(dir, Arc::clone(&notify))
                .map_err(|err| tracing::error!(%err, "cannot start the timeline reader"))
                .ok()
        });
        let mut app = Self {
            site,
            credentials,
            options,
            streams: WallStreams::new(Engine::new(Arc::clone(&notify))),
            selected: None,
            maximised: None,
            fill: Vec::new(),
            fullscreen: false,
            status: None,
            saver,
            new_layout_name: String::new(),
            gpu_ok,
            pictures: Vec::new(),
            notify,
            render_state: cc.wgpu_render_state.clone(),
            recording,
            review: None,
            review_speed: 1.0,
            panel: TimelinePanel::new(data),
            timeline_rect: None,
            show_timeline: true,
        };
        app.normalise_wall();
        app
    }

    /// Where pictures were drawn in the last frame (screen points), in tile order.
    pub fn picture_rects(&self) -> &[egui::Rect] {
        &self.pictures
    }

    /// Cameras on the wall whose stream is live and whose picture is on screen.
    pub fn live_pictures(&self) -> usize {
        self.site
            .wall
            .assignment
            .iter()
            .filter(|id| !id.is_empty())
            .filter(|id| {
                self.streams.state(id) == StreamState::Live && self.streams.shown(id).is_some()
            })
            .count()
    }

    /// Maximises a tile (or restores the wall with `None`), as double-click does.
    pub fn maximise(&mut self, tile: Option<usize>) {
        self.maximised = tile;
        if tile.is_some() {
            self.selected = tile;
        }
    }

    /// The stream a camera shows ("main", "sub", …) and the one it is switching to.
    pub fn camera_streams(&self, camera_id: &str) -> (Option<String>, Option<String>) {
        self.streams.streams_of(camera_id)
    }

    /// True when the camera's stream decodes keyframes only (decode budget under load).
    pub fn keyframe_only(&self, camera_id: &str) -> bool {
        self.streams.hud(camera_id).is_some_and(|h| h.keyframe_only)
    }

    /// Size of the picture a camera shows now.
    pub fn shown_size(&self, camera_id: &str) -> Option<(u32, u32)> {
        self.streams
            .shown(camera_id)
            .map(|s| (s.frame.width, s.frame.height))
    }

    /// The site as edited in the UI.
    pub fn site(&self) -> &Site {
        &self.site
    }

    /// The active layout (falls back to 2×2 when the site names an unknown one).
    fn layout(&self) -> Layout {
        layout_by_name(&self.site, &self.site.wall.layout)
            .or_else(|| vigil_config::builtin_layout("2x2"))
            .unwrap_or_else(|| builtin_layouts().swap_remove(0))
    }

    /// Makes the assignment as long as the layout, filling new tiles with cameras not
    /// yet on the wall.
    fn normalise_wall(&mut self) {
        let layout = self.layout();
        self.site.wall.layout.clone_from(&layout.name);
        let mut assignment: Vec<String> = self
            .site
            .wall_cameras()
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect();
        assignment.resize(layout.tiles.len(), String::new());
        if self.site.wall.assignment.is_empty() {
            fill_empty_tiles(&mut assignment, &self.site);
        }
        self.site.wall.assignment = assignment;
        self.fill.resize(layout.tiles.len(), false);
        if self.maximised.is_some_and(|i| i >= layout.tiles.len()) {
            self.maximised = None;
        }
        if self.selected.is_some_and(|i| i >= layout.tiles.len()) {
            self.selected = None;
        }
    }

    fn set_layout(&mut self, name: &str) {
        if self.site.wall.layout == name {
            return;
        }
        let old = std::mem::take(&mut self.site.wall.assignment);
        self.site.wall.layout = name.to_owned();
        let Some(layout) = layout_by_name(&self.site, name) else {
            return;
        };
        let custom = self.site.custom_layout(name).cloned();
        let mut assignment: Vec<String> = match custom {
            // A custom layout brings its own cameras.
            Some(c) => c
                .tiles
                .iter()
                .map(|t| t.camera.clone().unwrap_or_default())
                .collect(),
            None => old.into_iter().filter(|s| !s.is_empty()).collect(),
        };
        assignment.truncate(layout.tiles.len());
        assignment.resize(layout.tiles.len(), String::new());
        fill_empty_tiles(&mut assignment, &self.site);
        self.site.wall.assignment = assignment;
        self.maximised = None;
        self.normalise_wall();
        self.changed();
    }

    /// Saves the current wall as a named custom layout.
    fn save_layout_as(&mut self, name: &str) {
        let name = name.trim();
        if name.is_empty() || vigil_config::is_builtin_layout_name(name) {
            self.say(format!("\"{name}\" cannot be used as a layout name"));
            return;
        }
        let layout = self.layout();
        let tiles = layout
            .tiles
            .iter()
            .zip(&self.site.wall.assignment)
            .map(|(t, cam)| TileConfig {
                col: t.col,
                row: t.row,
                w: t.w,
                h: t.h,
                camera: (!cam.is_empty()).then(|| cam.clone()),
            })
            .collect();
        let custom = CustomLayout {
            name: name.to_owned(),
            kind: CustomLayoutKind::default(),
            cols: layout.cols,
            rows: layout.rows,
            tiles,
        };
        self.site.layouts.retain(|l| l.name != name);
        self.site.layouts.push(custom);
        self.site.wall.layout = name.to_owned();
        self.changed();
        self.say(format!("Layout \"{name}\" saved"));
    }

    fn changed(&mut self) {
        if let Some(saver) = &self.saver {
            saver.save(&self.site);
        }
    }

    fn say(&mut self, text: String) {
        tracing::info!(%text, "status");
        self.status = Some((text, Instant::now()));
    }

    fn apply(&mut self, action: WallAction) {
        let assignment = &mut self.site.wall.assignment;
        match action {
            WallAction::Assign { tile, camera } => {
                if let Some(slot) = assignment.get_mut(tile) {
                    *slot = camera;
                    self.selected = Some(tile);
                    self.changed();
                }
            }
            WallAction::Swap(a, b) => {
                if a < assignment.len() && b < assignment.len() {
                    assignment.swap(a, b);
                    self.fill.swap(a, b);
                    self.selected = Some(b);
                    self.changed();
                }
            }
            WallAction::Clear(tile) => {
                if let Some(slot) = assignment.get_mut(tile) {
                    slot.clear();
                    self.changed();
                }
            }
            WallAction::Select(tile) => self.selected = Some(tile),
            WallAction::ToggleMaximise(tile) => {
                self.selected = Some(tile);
                self.maximised = if self.maximised == Some(tile) {
                    None
                } else {
                    Some(tile)
                };
            }
            WallAction::ToggleFill(tile) => {
                if let Some(f) = self.fill.get_mut(tile) {
                    *f = !*f;
                }
            }
            WallAction::Snapshot(tile) => self.snapshot(tile),
            WallAction::Replay { tile, seconds } => {
                if let Some(camera) = self
                    .site
                    .wall
                    .assignment
                    .get(tile)
                    .filter(|c| !c.is_empty())
                {
                    let camera = camera.clone();
                    self.replay(Some(camera), seconds);
                }
            }
        }
    }

    fn snapshot(&mut self, tile: usize) {
        let Some(camera) = self
            .site
            .wall
            .assignment
            .get(tile)
            .filter(|c| !c.is_empty())
            .cloned()
        else {
            return;
        };
        let reviewed = self
            .review
            .as_ref()
            .filter(|r| r.includes(&camera))
            .and_then(|r| r.shown(&camera));
        let frame = match reviewed {
            Some(frame) => Box::new(frame.clone()),
            None => match self.streams.shown(&camera) {
                Some(shown) => shown.frame.clone(),
                None => {
                    self.say("No picture to save yet".to_owned());
                    return;
                }
            },
        };
        let path = vigil_core::snapshot::snapshot_path(&self.options.snapshot_dir, &camera);
        if let Err(err) = std::fs::create_dir_all(&self.options.snapshot_dir) {
            self.say(format!(
                "Cannot create {}: {err}",
                self.options.snapshot_dir.display()
            ));
            return;
        }
        let spawned = std::thread::Builder::new()
            .name("vigil-snapshot".to_owned())
            .spawn(
                move || match vigil_core::snapshot::save_png(&frame, &path) {
                    Ok(()) => tracing::info!(path = %path.display(), "snapshot saved"),
                    Err(err) => tracing::error!(path = %path.display(), %err, "snapshot failed"),
                },
            );
        match spawned {
            Ok(_) => self.say(format!(
                "Snapshot of {camera} saved to {}",
                self.options.snapshot_dir.display()
            )),
            Err(err) => self.say(format!("Snapshot failed: {err}")),
        }
    }

    /// Starts the streams the visible tiles need (each camera's stream chosen by its
    /// largest tile), uploads new frames, and caches learnt stream sizes in the site.
    fn sync_streams(
        &mut self,
        layout: &Layout,
        rects: &[(usize, egui::Rect)],
        pixels_per_point: f32,
        render_state: Option<&eframe::egui_wgpu::RenderState>,
    ) {
        let single = layout.tiles.len() == 1;
        let mut needs: Vec<CameraNeed<'_>> = Vec::new();
        for (index, rect) in rects {
            let Some(camera) = self
                .site
                .wall
                .assignment
                .get(*index)
                .filter(|id| !id.is_empty())
                .and_then(|id| self.site.camera(id))
            else {
                continue;
            };
            if self.review.as_ref().is_some_and(|r| r.includes(&camera.id)) {
                // Its tile shows the recording: live decoding can rest.
                continue;
            }
            let need = TileNeed {
                width_points: rect.width(),
                height_points: rect.height(),
                pixels_per_point,
                force_main: single || self.maximised == Some(*index),
            };
            let protected = self.maximised == Some(*index);
            match needs.iter_mut().find(|n| n.camera.id == camera.id) {
                Some(existing) => {
                    if need.width_points * need.height_points
                        > existing.need.width_points * existing.need.height_points
                        || need.force_main
                    {
                        existing.need = need;
                    }
                    existing.protected |= protected;
                }
                None => needs.push(CameraNeed {
                    camera,
                    need,
                    protected,
                }),
            }
        }
        let pinned = self
            .recording
            .sync(&self.site, &self.credentials, &mut self.streams.engine);
        self.streams.sync(&needs, &self.credentials, pinned);
        self.streams.take_new_frames(Instant::now());
        if let Some(review) = &mut self.review {
            let visible: Vec<&str> = rects
                .iter()
                .filter_map(|(i, _)| self.site.wall.assignment.get(*i))
                .filter(|id| !id.is_empty())
                .map(String::as_str)
                .collect();
            review.sync(&visible);
            review.take_new_frames();
        }
        if let Some(rs) = render_state {
            let mut renderer = rs.renderer.write();
            if let Some(video) = renderer.callback_resources.get_mut::<VideoRenderer>() {
                let mut gone = self.streams.take_gone();
                self.streams
                    .upload_fresh(|key, frame| video.upload(&rs.device, &rs.queue, key, frame));
                if let Some(review) = &mut self.review {
                    gone.extend(review.take_gone());
                    review
                        .upload_fresh(|key, frame| video.upload(&rs.device, &rs.queue, key, frame));
                }
                for key in &gone {
                    video.forget(key);
                }
            }
        }
        let probed = self.streams.take_probed();
        if !probed.is_empty() {
            for p in probed {
                let Some(camera) = self.site.cameras.iter_mut().find(|c| c.id == p.camera_id)
                else {
                    continue;
                };
                let fps = (p.fps > 0).then_some(p.fps);
                if p.stream == MAIN_STREAM {
                    (camera.width, camera.height, camera.fps) =
                        (Some(p.width), Some(p.height), fps);
                } else if let Some(sub) = camera.substreams.iter_mut().find(|s| s.name == p.stream)
                {
                    (sub.width, sub.height, sub.fps) = (Some(p.width), Some(p.height), fps);
                }
            }
            self.changed();
        }
    }

    /// What each tile of the wall shows, from the site and the streams.
    fn tile_views(&self) -> Vec<TileView<'_>> {
        let show_hud = self.site.wall.show_stats;
        let clock = self
            .options
            .fixed_clock
            .clone()
            .unwrap_or_else(|| chrono::Local::now().format("%H:%M:%S").to_string());
        self.site
            .wall
            .assignment
            .iter()
            .enumerate()
            .map(|(i, camera_id)| {
                let camera = (!camera_id.is_empty())
                    .then(|| self.site.camera(camera_id))
                    .flatten();
                let Some(camera) = camera else {
                    return TileView::empty(clock.clone());
                };
                let recording = self
                    .recording
                    .status(&camera.id)
                    .and_then(|s| recording_badge(&s.state));
                if let Some(review) = self.review.as_ref().filter(|r| r.includes(&camera.id)) {
                    let tile = review.tile(&camera.id);
                    let picture = review
                        .shown(&camera.id)
                        .map(|f| (VideoKey::Review(camera.id.clone()), f.width, f.height));
                    let shown_at = tile.as_ref().and_then(|t| t.shown);
                    return TileView {
                        camera_id: Some(camera.id.as_str()),
                        camera_name: camera.name.as_str(),
                        state: StreamState::Live,
                        picture,
                        last_frame_at: None,
                        fill: self.fill.get(i).copied().unwrap_or(false),
                        keyframe_only: false,
                        hud: None,
                        clock: shown_at.map_or_else(
                            || "--:--:--".to_owned(),
                            |t| t.to_local().format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
                        ),
                        review: Some(review_badge(review, tile.as_ref().map(|t| &t.state))),
                        recording,
                    };
                }
                let shown = self.streams.shown(&camera.id);
                let hud = self.streams.hud(&camera.id);
                TileView {
                    camera_id: Some(camera.id.as_str()),
                    camera_name: camera.name.as_str(),
                    state: self.streams.state(&camera.id),
                    picture: shown.map(|s| {
                        (
                            VideoKey::Live(camera.id.clone()),
                            s.frame.width,
                            s.frame.height,
                        )
                    }),
                    last_frame_at: shown.map(|s| s.at),
                    fill: self.fill.get(i).copied().unwrap_or(false),
                    keyframe_only: hud.as_ref().is_some_and(|h| h.keyframe_only),
                    hud: hud.filter(|_| show_hud).map(|h| hud_text(&h)),
                    clock: clock.clone(),
                    review: None,
                    recording,
                }
            })
            .collect()
    }

    fn keyboard(&mut self, ctx: &egui::Context) {
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        let layouts = builtin_layouts();
        let keys = [
            egui::Key::Num1,
            egui::Key::Num2,
            egui::Key::Num3,
            egui::Key::Num4,
            egui::Key::Num5,
            egui::Key::Num6,
            egui::Key::Num7,
            egui::Key::Num8,
        ];
        let (pressed_layout, f11, enter, escape) = ctx.input(|i| {
            (
                keys.iter().position(|k| i.key_pressed(*k)),
                i.key_pressed(egui::Key::F11),
                i.key_pressed(egui::Key::Enter),
                i.key_pressed(egui::Key::Escape),
            )
        });
        let (space, left, right, live) = ctx.input(|i| {
            (
                i.key_pressed(egui::Key::Space),
                i.key_pressed(egui::Key::ArrowLeft),
                i.key_pressed(egui::Key::ArrowRight),
                i.key_pressed(egui::Key::L),
            )
        });
        if let Some(review) = &self.review {
            let paused = review.clock().is_paused();
            if space {
                self.review_action(if paused {
                    ReviewAction::Play
                } else {
                    ReviewAction::Pause
                });
            }
            if left {
                self.review_action(ReviewAction::Step(-1));
            }
            if right {
                self.review_action(ReviewAction::Step(1));
            }
            if live {
                self.review_action(ReviewAction::Live);
            }
        }
        if let Some(layout) = pressed_layout.and_then(|n| layouts.get(n)) {
            self.set_layout(&layout.name.clone());
        }
        if f11 {
            self.fullscreen = !self.fullscreen;
            ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(self.fullscreen));
        }
        if enter && let Some(tile) = self.selected.or(self.maximised) {
            self.apply(WallAction::ToggleMaximise(tile));
        }
        if escape {
            self.maximised = None;
        }
    }

    fn toolbar_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("Vigil").strong());
            ui.separator();
            ui.label("Layout");
            let current = self.site.wall.layout.clone();
            for (n, layout) in builtin_layouts().iter().enumerate() {
                let label = layout.name.replace('x', "×");
                if ui
                    .selectable_label(current == layout.name, label)
                    .on_hover_text(format!("Key {}", n + 1))
                    .clicked()
                {
                    self.set_layout(&layout.name);
                }
            }
            let custom: Vec<String> = self.site.layouts.iter().map(|l| l.name.clone()).collect();
            if !custom.is_empty() {
                egui::ComboBox::from_id_salt("custom_layouts")
                    .selected_text(if custom.contains(&current) {
                        current.clone()
                    } else {
                        "Saved…".to_owned()
                    })
                    .show_ui(ui, |ui| {
                        for name in &custom {
                            if ui.selectable_label(*name == current, name).clicked() {
                                self.set_layout(name);
                            }
                        }
                    });
            }
            ui.menu_button("Save layout…", |ui| {
                ui.label("Name");
                let edit = ui.text_edit_singleline(&mut self.new_layout_name);
                let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if ui
                    .add_enabled(self.saver.is_some(), egui::Button::new("Save"))
                    .clicked()
                    || enter
                {
                    let name = std::mem::take(&mut self.new_layout_name);
                    self.save_layout_as(&name);
                    ui.close();
                }
                if self.saver.is_none() {
                    ui.label(
                        RichText::new(
                            "The demo site is not saved; start with --config to keep layouts.",
                        )
                        .small(),
                    );
                }
            });
            ui.separator();
            ui.toggle_value(&mut self.show_timeline, "Timeline")
                .on_hover_text("Show or hide the recordings timeline under the wall");
            if ui
                .toggle_value(&mut self.site.wall.show_stats, "Stats")
                .changed()
            {
                self.changed();
            }
            let can_snapshot = self.selected.is_some();
            if ui
                .add_enabled(can_snapshot, egui::Button::new("Snapshot"))
                .on_hover_text("Save the selected tile's picture as a full-resolution PNG")
                .clicked()
                && let Some(tile) = self.selected
            {
                self.snapshot(tile);
            }
            if ui
                .button(if self.fullscreen {
                    "Exit full screen"
                } else {
                    "Full screen"
                })
                .on_hover_text("F11")
                .clicked()
            {
                self.fullscreen = !self.fullscreen;
                ui.ctx()
                    .send_viewport_cmd(egui::ViewportCommand::Fullscreen(self.fullscreen));
            }
        });
    }

    fn cameras_ui(&mut self, ui: &mut egui::Ui) {
        ui.heading("Cameras");
        ui.label(RichText::new(&self.site.name).weak());
        ui.add_space(4.0);
        let now = Instant::now();
        let cameras: Vec<(String, String, String)> = self
            .site
            .cameras
            .iter()
            .map(|c| {
                (
                    c.id.clone(),
                    c.name.clone(),
                    vigil_config::redact::redact(&c.source),
                )
            })
            .collect();
        let mut put_in_tile = None;
        egui::ScrollArea::vertical().show(ui, |ui| {
            for (id, name, source) in cameras {
                let on_wall = self.site.wall.assignment.contains(&id);
                let state = if on_wall {
                    self.streams.state(&id)
                } else {
                    StreamState::Idle
                };
                let colour = state_colour(&state);
                let response = ui
                    .dnd_drag_source(
                        ui.make_persistent_id(("camera", &id)),
                        DragPayload::Camera(id.clone()),
                        |ui| {
                            ui.horizontal(|ui| {
                                let (dot, _) = ui.allocate_exact_size(
                                    egui::vec2(10.0, 10.0),
                                    egui::Sense::hover(),
                                );
                                ui.painter().circle_filled(dot.center(), 4.0, colour);
                                ui.label(&name);
                            });
                        },
                    )
                    .response;
                let response = response.on_hover_text(format!("{source}\n{}", state.describe(now)));
                if response.double_clicked() {
                    put_in_tile = Some(id.clone());
                }
            }
        });
        if let Some(camera) = put_in_tile {
            let tile = self
                .selected
                .or_else(|| self.site.wall.assignment.iter().position(String::is_empty))
                .unwrap_or(0);
            self.apply(WallAction::Assign { tile, camera });
        }
        ui.add_space(8.0);
        ui.label(
            RichText::new(
                "Drag a camera onto a tile. Drag tiles to swap. Double-click a tile to maximise.",
            )
            .small()
            .weak(),
        );
    }

    fn status_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let ids: Vec<&String> = self
                .site
                .wall
                .assignment
                .iter()
                .filter(|s| !s.is_empty())
                .collect();
            let live = ids
                .iter()
                .filter(|id| self.streams.state(id) == StreamState::Live)
                .count();
            match self.review.as_ref().map(Review::scope) {
                Some(Scope::Layout) => ui.label(format!(
                    "{} cameras · reviewing recordings",
                    self.site.cameras.len()
                )),
                Some(Scope::Camera(camera)) => ui.label(format!(
                    "{} cameras · replaying {} · {live}/{} on the wall live",
                    self.site.cameras.len(),
                    self.site
                        .camera(camera)
                        .map_or(camera.as_str(), |c| c.name.as_str()),
                    ids.len().saturating_sub(1)
                )),
                None => ui.label(format!(
                    "{} cameras · {live}/{} on the wall live",
                    self.site.cameras.len(),
                    ids.len()
                )),
            };
            ui.separator();
            match &self.options.site_path {
                Some(path) => ui.label(format!("Site file: {}", path.display())),
                None if self.options.config_error.is_some() => ui.label("Site file not loaded"),
                None => ui.label("Demo site (built in)"),
            };
            if let Some(err) = self.recording.error() {
                ui.separator();
                ui.colored_label(Color32::from_rgb(235, 80, 70), err);
            }
            if !self.gpu_ok {
                ui.separator();
                ui.colored_label(
                    Color32::from_rgb(235, 80, 70),
                    "No GPU renderer: video cannot be shown",
                );
            }
            if let Some((text, at)) = &self.status
                && at.elapsed() < Duration::from_secs(8)
            {
                ui.separator();
                ui.label(text);
            }
        });
    }
}

/// Puts cameras that are not on the wall yet into its empty tiles, in site order.
fn fill_empty_tiles(assignment: &mut [String], site: &Site) {
    let mut unused = site
        .cameras
        .iter()
        .map(|c| c.id.clone())
        .filter(|id| !assignment.contains(id))
        .collect::<Vec<_>>()
        .into_iter();
    for slot in assignment.iter_mut().filter(|s| s.is_empty()) {
        match unused.next() {
            Some(id) => *slot = id,
            None => break,
        }
    }
}

/// The HUD's lines: stream, picture, rates, costs.
fn hud_text(h: &Hud) -> String {
    format!(
        "{} · {} {}×{} · {}\n{:.1} fps in · {:.1} shown · {} dropped\ndecode {:.1} ms · latency {:.0} ms · {:.0} kbit/s",
        h.stream,
        h.codec,
        h.width,
        h.height,
        if h.hardware { "HW" } else { "SW" },
        h.fps_received,
        h.fps_shown,
        h.dropped,
        h.decode_ms,
        h.latency_ms,
        h.kbps,
    )
}

fn state_colour(state: &StreamState) -> Color32 {
    match state {
        StreamState::Live => Color32::from_rgb(70, 200, 90),
        StreamState::Connecting => Color32::from_rgb(150, 180, 255),
        StreamState::Stalled | StreamState::Reconnecting { .. } => Color32::from_rgb(240, 170, 40),
        StreamState::Offline { .. } => Color32::from_rgb(235, 80, 70),
        StreamState::Idle => Color32::from_gray(120),
    }
}

impl eframe::App for VigilApp {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        self.keyboard(&ctx);
        if let Some(saver) = &self.saver
            && let Some(SaverReport::Failed(err)) = saver.poll()
        {
            self.say(format!("Could not save the site file: {err}"));
        }

        if !self.options.kiosk {
            if let Some(err) = &self.options.config_error {
                egui::Panel::top("config_error")
                    .frame(
                        egui::Frame::new()
                            .fill(Color32::from_rgb(110, 20, 20))
                            .inner_margin(6.0),
                    )
                    .show(ui, |ui| {
                        ui.colored_label(Color32::WHITE, format!("Site file not loaded — {err}"));
                        ui.colored_label(
                            Color32::WHITE,
                            "Vigil will not overwrite it. Fix the file and restart.",
                        );
                    });
            }
            egui::Panel::top("toolbar").show(ui, |ui| self.toolbar_ui(ui));
            egui::Panel::bottom("status").show(ui, |ui| self.status_ui(ui));
            self.timeline_rect = None;
            if self.show_timeline || self.review.is_some() {
                let timeline = egui::Panel::bottom("timeline").show(ui, |ui| self.timeline_ui(ui));
                self.timeline_rect = Some(timeline.response.rect);
            }
            egui::Panel::left("cameras")
                .resizable(true)
                .default_size(180.0)
                .show(ui, |ui| self.cameras_ui(ui));
        }

        let render_state = frame.wgpu_render_state().cloned();
        let output = egui::CentralPanel::no_frame()
            .show(ui, |ui| {
                let layout = self.layout();
                let area = ui.available_rect_before_wrap();
                let rects = match self.maximised {
                    Some(i) => vec![(i, area)],
                    None => tile_rects(&layout, area, 2.0)
                        .into_iter()
                        .enumerate()
                        .collect(),
                };
                self.sync_streams(
                    &layout,
                    &rects,
                    ui.ctx().pixels_per_point(),
                    render_state.as_ref(),
                );
                let tiles = self.tile_views();
                wall_ui(ui, &layout, &tiles, self.selected, self.maximised)
            })
            .inner;
        self.pictures = output.pictures;
        for action in output.actions {
            self.apply(action);
        }
        // Keep the clocks on the tiles ticking even when no video arrives.
        ctx.request_repaint_after(Duration::from_millis(500));
    }

    fn on_exit(&mut self) {
        tracing::info!("shutting down");
        self.close_review();
        // Closes each segment cleanly before the streams go away.
        self.recording.stop();
        self.streams.engine.shutdown(Duration::from_secs(3));
        if let Some(saver) = self.saver.take() {
            saver.finish();
        }
    }
}
