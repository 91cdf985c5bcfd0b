//! The eframe application: panels around the wall and keyboard shortcuts, over a
//! [`Core`] that does the work.
//!
//! Each frame, `App::logic` steps the core (it runs while the window is hidden too);
//! `App::ui` tells the core where the wall is, uploads the pictures the core marked
//! fresh, draws the core's [`vigil_core::WallView`] and panels, and turns what the user
//! did into [`Command`]s.
//!
//! Owns: UI-only state (full screen, whether the timeline shows, text being typed, the
//! timeline panel's view). Must not: decide anything about streams, recording, review
//! or the site file (the core does), or block.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::{Color32, RichText, Role};

mod recordings;

use super::a11y::Named as _;
use super::alarms_panel::AlarmsPanel;
use super::audit_panel::AuditPanel;
use super::cameras_panel::{self, CamerasPanel, PanelInput};
use super::draw_stats::{DrawStats, hud_line};
use super::repaint::{DEFAULT_CAP_HZ, RepaintGate};
use super::role_switch::{RoleSwitch, operator_button_text, operator_text};
use super::timeline_panel::TimelinePanel;
use super::wall::{DragPayload, WallInput, wall_ui};
use vigil_config::{CredentialStore, Site, builtin_layouts};
use vigil_core::Role as OperatorRole;
use vigil_core::review::Scope;
use vigil_core::{Command, Core, CoreOptions, Viewport, WallView};
use vigil_gpu::{VideoKey, VideoRenderer};
use vigil_media::StreamState;
use vigil_time::SharedClock;

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
    /// Where "now" comes from (the operating system's clock outside tests).
    pub clock: SharedClock,
}

/// Vigil's main window.
pub struct VigilApp {
    core: Core,
    kiosk: bool,
    config_error: Option<String>,
    fixed_clock: Option<String>,
    site_path: Option<PathBuf>,
    fullscreen: bool,
    new_layout_name: String,
    gpu_ok: bool,
    pictures: Vec<egui::Rect>,
    render_state: Option<eframe::egui_wgpu::RenderState>,
    panel: TimelinePanel,
    timeline_rect: Option<egui::Rect>,
    show_timeline: bool,
    /// Turns decoders' "new picture" calls into capped, coalesced repaints.
    repaint: Arc<RepaintGate>,
    draw_stats: DrawStats,
    /// The Cameras window (add, edit, remove cameras; storage settings).
    cameras: CamerasPanel,
    role_switch: RoleSwitch,
    audit_panel: AuditPanel,
    alarms: AlarmsPanel,
    show_alarms: bool,
}

impl VigilApp {
    /// Sets up GPU resources and starts the core; `cc` comes from eframe (or
    /// egui_kittest).
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
        // One repaint per new picture time, across all tiles, at most at the cap: never
        // one per decoder frame per camera.
        let repaint = Arc::new(RepaintGate::new(
            DEFAULT_CAP_HZ,
            Box::new(move |delay| {
                if delay.is_zero() {
                    ctx.request_repaint();
                } else {
                    ctx.request_repaint_after(delay);
                }
            }),
        ));
        let gate = Arc::clone(&repaint);
        let notify: vigil_media::Notify = Arc::new(move || gate.picture_arrived(Instant::now()));
        let now = options.clock.wall();
        let core = Core::new(
            site,
            credentials,
            CoreOptions {
                snapshot_dir: options.snapshot_dir,
                site_path: options.site_path.clone(),
                storage: options.storage,
                demo_history_hours: options.demo_history_hours,
                clock: options.clock,
            },
            notify,
        );
        Self {
            core,
            kiosk: options.kiosk,
            config_error: options.config_error,
            fixed_clock: options.fixed_clock,
            site_path: options.site_path,
            fullscreen: false,
            new_layout_name: String::new(),
            gpu_ok,
            pictures: Vec::new(),
            render_state: cc.wgpu_render_state.clone(),
            panel: TimelinePanel::new(now),
            timeline_rect: None,
            show_timeline: true,
            repaint,
            draw_stats: DrawStats::default(),
            cameras: CamerasPanel::default(),
            role_switch: RoleSwitch::default(),
            audit_panel: AuditPanel::default(),
            alarms: AlarmsPanel::default(),
            show_alarms: false,
        }
    }

    /// What drawing costs: frame and upload times, pictures drawn per camera.
    pub fn draw_stats(&self) -> &DrawStats {
        &self.draw_stats
    }

    /// Repaints asked for because new pictures arrived (coalesced, capped).
    pub fn repaint_requests(&self) -> u64 {
        self.repaint.requests()
    }

    /// The engine behind the window.
    pub fn core(&self) -> &Core {
        &self.core
    }

    /// The engine behind the window, to send it commands as the UI would.
    pub fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }

    /// The site as edited in the UI.
    pub fn site(&self) -> &Site {
        self.core.site()
    }

    /// Where pictures were drawn in the last frame (screen points), in tile order.
    pub fn picture_rects(&self) -> &[egui::Rect] {
        &self.pictures
    }

    /// The timeline panel (its tracks and view, for tests).
    pub fn timeline(&self) -> &TimelinePanel {
        &self.panel
    }

    /// Where the timeline panel was drawn last frame (none in kiosk mode).
    pub fn timeline_rect(&self) -> Option<egui::Rect> {
        self.timeline_rect
    }

    fn apply(&mut self, command: Command) {
        self.core.apply(command);
    }

    /// Uploads the pictures the core took since the last frame, and frees the textures
    /// of pictures no longer shown.
    fn upload(&mut self) {
        let Some(rs) = &self.render_state else {
            return;
        };
        let mut renderer = rs.renderer.write();
        let Some(video) = renderer.callback_resources.get_mut::<VideoRenderer>() else {
            return;
        };
        for key in self.core.take_gone() {
            video.forget(&key);
        }
        let stats = &mut self.draw_stats;
        self.core.upload_fresh(|key, frame| {
            if let VideoKey::Live(camera) | VideoKey::Review(camera) = key {
                stats.uploaded(camera);
            }
            video
                .upload(&rs.device, &rs.queue, key, frame)
                .map_err(|err| err.to_string())
        });
    }

    fn keyboard(&mut self, ctx: &egui::Context, view: &WallView) {
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
        if self.core.is_reviewing() {
            if space {
                self.apply(if self.core.review_paused() {
                    Command::Play
                } else {
                    Command::Pause
                });
            }
            if left {
                self.apply(Command::Step(-1));
            }
            if right {
                self.apply(Command::Step(1));
            }
            if live {
                self.apply(Command::Live);
            }
        }
        if let Some(layout) = pressed_layout.and_then(|n| layouts.get(n)) {
            self.apply(Command::SetLayout(layout.name.clone()));
        }
        if f11 {
            self.fullscreen = !self.fullscreen;
            ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(self.fullscreen));
        }
        if enter && let Some(tile) = view.selected.or(view.maximised) {
            self.apply(Command::ToggleMaximise(tile));
        }
        if escape {
            self.apply(Command::Maximise(None));
        }
    }

    fn toolbar_ui(&mut self, ui: &mut egui::Ui, view: &WallView) {
        let mut commands = Vec::new();
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("Vigil").strong());
            ui.separator();
            ui.label("Layout");
            let site = self.core.site();
            let current = site.wall.layout.clone();
            for (n, layout) in builtin_layouts().iter().enumerate() {
                let label = layout.name.replace('x', "×");
                let selected = current == layout.name;
                if ui
                    .selectable_label(selected, &label)
                    .on_hover_text(format!("Key {}", n + 1))
                    .named_toggle(Role::Button, selected, &format!("Layout {label}"))
                    .clicked()
                {
                    commands.push(Command::SetLayout(layout.name.clone()));
                }
            }
            let custom: Vec<String> = site.layouts.iter().map(|l| l.name.clone()).collect();
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
                                commands.push(Command::SetLayout(name.clone()));
                            }
                        }
                    })
                    .response
                    .named(Role::ComboBox, "Saved layouts");
            }
            let saves = self.core.saves_site();
            ui.menu_button("Save layout…", |ui| {
                ui.label("Name");
                let edit = ui
                    .text_edit_singleline(&mut self.new_layout_name)
                    .named_text("Layout name", &self.new_layout_name);
                let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if ui
                    .add_enabled(saves, egui::Button::new("Save"))
                    .named_button("Save layout")
                    .clicked()
                    || enter
                {
                    commands.push(Command::SaveLayoutAs(std::mem::take(
                        &mut self.new_layout_name,
                    )));
                    ui.close();
                }
                if !saves {
                    ui.label(
                        RichText::new(
                            "The demo site is not saved; start with --config to keep layouts.",
                        )
                        .small(),
                    );
                }
            });
            ui.separator();
            let installer = self.core.may(OperatorRole::Installer);
            if ui
                .add_enabled(installer, egui::Button::new(cameras_panel::OPEN_LABEL))
                .on_hover_text("Add, edit, group and remove cameras; recording and storage")
                .on_disabled_hover_text("Setting up cameras needs the Installer role")
                .clicked()
            {
                self.cameras.open();
            }
            let reviewer = self.core.may(OperatorRole::Reviewer);
            ui.add_enabled_ui(reviewer, |ui| {
                ui.toggle_value(&mut self.show_timeline, "Timeline")
                    .on_hover_text("Show or hide the recordings timeline under the wall")
                    .on_disabled_hover_text("Reviewing recordings needs the Reviewer role");
            });
            let mut stats = self.core.site().wall.show_stats;
            if ui.toggle_value(&mut stats, "Stats").changed() {
                commands.push(Command::ShowStats(stats));
            }
            let mut motion = view.show_motion;
            if ui
                .toggle_value(&mut motion, "Motion")
                .on_hover_text("Draw moving cells over cameras that detect motion")
                .changed()
            {
                commands.push(Command::ShowMotion(motion));
            }
            let new_alarms = self.core.unacknowledged_alarms(None);
            let text = if new_alarms > 0 {
                RichText::new(format!("Alarms {new_alarms}"))
                    .color(Color32::from_rgb(255, 90, 60))
                    .strong()
            } else {
                RichText::new("Alarms")
            };
            ui.toggle_value(&mut self.show_alarms, text)
                .on_hover_text("The alarm queue")
                .named_toggle(
                    Role::Button,
                    self.show_alarms,
                    &format!("Alarms, {new_alarms} unacknowledged"),
                );
            let selected = view.selected;
            if ui
                .add_enabled(selected.is_some(), egui::Button::new("Snapshot"))
                .on_hover_text("Save the selected tile's picture as a full-resolution PNG")
                .clicked()
                && let Some(tile) = selected
            {
                commands.push(Command::Snapshot(tile));
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
            ui.separator();
            self.operator_ui(ui);
        });
        for command in commands {
            self.apply(command);
        }
    }

    /// Who operates the app in which role (always shown): the operator menu, with
    /// "Switch role…" and "Audit trail".
    fn operator_ui(&mut self, ui: &mut egui::Ui) {
        let name = operator_text(&self.core);
        let hover = if self.core.operator().single_user {
            "Single-user mode: no role passwords are set, so every role is open. An installer sets them with `vigil roles set-password`."
        } else {
            "Actions are recorded in the audit trail under this name and role."
        };
        ui.menu_button(
            RichText::new(operator_button_text(&self.core)).strong(),
            |ui| {
                if ui
                    .button(super::role_switch::OPEN_LABEL)
                    .named_button(super::role_switch::OPEN_LABEL)
                    .clicked()
                {
                    self.role_switch.open();
                    ui.close();
                }
                let reviewer = self.core.may(OperatorRole::Reviewer);
                if ui
                    .add_enabled(reviewer, egui::Button::new(super::audit_panel::OPEN_LABEL))
                    .on_disabled_hover_text("The audit trail needs the Reviewer role")
                    .named_button(super::audit_panel::OPEN_LABEL)
                    .clicked()
                {
                    self.audit_panel.open();
                    ui.close();
                }
            },
        )
        .response
        .on_hover_text(hover)
        .named_button(&name);
    }

    fn cameras_ui(&mut self, ui: &mut egui::Ui) {
        let site = self.core.site();
        ui.heading("Cameras");
        ui.label(RichText::new(&site.name).weak());
        ui.add_space(4.0);
        let now = self.core.clock().monotonic();
        let mut put_on_wall = None;
        egui::ScrollArea::vertical().show(ui, |ui| {
            for camera in &site.cameras {
                let state = self.core.camera_state(&camera.id);
                let colour = state_colour(&state);
                let response = ui
                    .dnd_drag_source(
                        ui.make_persistent_id(("camera", camera.id.as_str())),
                        DragPayload::Camera(camera.id.clone()),
                        |ui| {
                            ui.horizontal(|ui| {
                                let (dot, _) = ui.allocate_exact_size(
                                    egui::vec2(10.0, 10.0),
                                    egui::Sense::hover(),
                                );
                                ui.painter().circle_filled(dot.center(), 4.0, colour);
                                ui.label(&camera.name);
                            });
                        },
                    )
                    .response
                    .named(
                        Role::ListItem,
                        &format!("{}, {}", camera.name, state.label()),
                    );
                let source = camera.shown_source();
                let response = response.on_hover_text(format!("{source}\n{}", state.describe(now)));
                if response.double_clicked() {
                    put_on_wall = Some(camera.id.clone());
                }
            }
        });
        ui.add_space(8.0);
        ui.label(
            RichText::new(
                "Drag a camera onto a tile. Drag tiles to swap. Double-click a tile to maximise.",
            )
            .small()
            .weak(),
        );
        if let Some(camera) = put_on_wall {
            self.apply(Command::PutOnWall(camera));
        }
    }

    fn status_ui(&self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let site = self.core.site();
            let on_wall: Vec<_> = site.wall.assignment.iter().flatten().collect();
            let live = on_wall
                .iter()
                .filter(|id| self.core.camera_state(id) == StreamState::Live)
                .count();
            match self.core.review_scope() {
                Some(Scope::Layout) => ui.label(format!(
                    "{} cameras · reviewing recordings",
                    site.cameras.len()
                )),
                Some(Scope::Camera(camera)) => ui.label(format!(
                    "{} cameras · replaying {} · {live}/{} on the wall live",
                    site.cameras.len(),
                    site.camera(camera)
                        .map_or(camera.as_str(), |c| c.name.as_str()),
                    on_wall.len().saturating_sub(1)
                )),
                None => ui.label(format!(
                    "{} cameras · {live}/{} on the wall live",
                    site.cameras.len(),
                    on_wall.len()
                )),
            };
            ui.separator();
            match &self.site_path {
                Some(path) => ui.label(format!("Site file: {}", path.display())),
                None if self.config_error.is_some() => ui.label("Site file not loaded"),
                None => ui.label("Demo site (built in)"),
            };
            if self.core.operator().single_user {
                ui.separator();
                ui.label("Single-user mode (no role passwords)");
            }
            if let Some(err) = self.core.recording_error() {
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
            if let Some(text) = self.core.status() {
                ui.separator();
                ui.label(text);
            }
            if site.wall.show_stats {
                ui.separator();
                ui.label(hud_line(&self.draw_stats.summary()));
            }
        });
    }

    /// Local time as tiles show it.
    fn clock_text(&self) -> String {
        self.fixed_clock
            .clone()
            .unwrap_or_else(|| self.core.now().to_local().format("%H:%M:%S").to_string())
    }
}

pub(crate) fn state_colour(state: &StreamState) -> Color32 {
    match state {
        StreamState::Live => Color32::from_rgb(70, 200, 90),
        StreamState::Connecting => Color32::from_rgb(150, 180, 255),
        StreamState::Stalled | StreamState::Reconnecting { .. } => Color32::from_rgb(240, 170, 40),
        StreamState::Offline { .. } => Color32::from_rgb(235, 80, 70),
        StreamState::Idle => Color32::from_gray(120),
    }
}

impl eframe::App for VigilApp {
    fn logic(&mut self, _ctx: &egui::Context, _frame: &mut eframe::Frame) {
        // The pictures that arrived so far are taken by this step and drawn by this
        // frame: a picture arriving from now on asks for the next one.
        self.repaint.frame_began(Instant::now());
        self.core.step();
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        let began = Instant::now();
        let ctx = ui.ctx().clone();
        // The panels read this frame's view; the wall reads it again after their
        // commands, so a layout key or a maximise shows in the same frame.
        let view = self.core.view();
        self.keyboard(&ctx, &view);

        if !self.kiosk {
            if let Some(err) = &self.config_error {
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
            egui::Panel::top("toolbar").show(ui, |ui| self.toolbar_ui(ui, &view));
            egui::Panel::bottom("status").show(ui, |ui| self.status_ui(ui));
            self.timeline_rect = None;
            // Review and export are the Reviewer's: a Guard has no timeline.
            if self.core.may(OperatorRole::Reviewer)
                && (self.show_timeline || self.core.is_reviewing())
            {
                let timeline =
                    egui::Panel::bottom("timeline").show(ui, |ui| self.timeline_ui(ui, &view));
                self.timeline_rect = Some(timeline.response.rect);
            }
            if self.show_alarms {
                let commands = egui::Panel::right("alarms")
                    .resizable(true)
                    .default_size(300.0)
                    .show(ui, |ui| self.alarms.alarms_ui(ui, &self.core))
                    .inner;
                for command in commands {
                    self.apply(command);
                }
            }
            egui::Panel::left("cameras")
                .resizable(true)
                .default_size(180.0)
                .show(ui, |ui| self.cameras_ui(ui));
        }

        let outcome = self.core.take_change_outcome();
        let panel_input = PanelInput {
            site: self.core.site(),
            saves: self.core.saves_site(),
            probe: if self.cameras.is_open() {
                self.core.probe_report()
            } else {
                None
            },
            outcome,
            plain_text_passwords: self.core.plain_text_passwords(),
            migration: self.core.migration_status().cloned(),
            onvif: self.core.onvif_lookup().cloned(),
            discovery: self.core.discovery_lookup().cloned(),
        };
        let panel_commands = self.cameras.window_ui(&ctx, panel_input);
        for command in panel_commands {
            self.apply(command);
        }
        self.role_switch.ui(&ctx, &mut self.core);
        if self.core.may(OperatorRole::Reviewer) {
            self.audit_panel.ui(&ctx, &self.core);
        }

        let upload_began = Instant::now();
        self.upload();
        let upload_ms = upload_began.elapsed().as_secs_f32() * 1000.0;
        let clock = self.clock_text();
        let view = self.core.view();
        let output = egui::CentralPanel::no_frame()
            .show(ui, |ui| {
                let area = ui.available_rect_before_wrap();
                self.core.set_viewport(Viewport {
                    width_points: area.width(),
                    height_points: area.height(),
                    pixels_per_point: ui.ctx().pixels_per_point(),
                });
                wall_ui(
                    ui,
                    &WallInput {
                        view: &view,
                        clock: &clock,
                    },
                )
            })
            .inner;
        self.pictures = output.pictures;
        for command in output.commands {
            self.apply(command);
        }
        // Keep the clocks on the tiles ticking even when no video arrives.
        ctx.request_repaint_after(Duration::from_millis(500));
        let frame_ms = frame.info().cpu_usage.map(|s| s * 1000.0);
        let ui_ms = began.elapsed().as_secs_f32() * 1000.0;
        self.draw_stats.frame(began, frame_ms, upload_ms, ui_ms);
    }

    fn on_exit(&mut self) {
        self.core.shutdown(Duration::from_secs(3));
    }
}
