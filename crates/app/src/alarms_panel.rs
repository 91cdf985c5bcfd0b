//! The alarm queue panel: alarms newest first with severity, time, camera, kind, the
//! triggering frame's thumbnail and state; clicking one plays its camera from a few
//! seconds before; Acknowledge (with a note, required when the site says so) and Close.
//!
//! Owns: the notes being typed and the thumbnails' textures. Must not: change alarms
//! itself (it returns [`Command`]s the core carries out).

use std::collections::HashMap;

use egui::{Color32, RichText};

use vigil_core::{AlarmState, Command, Core};

use crate::a11y::Named as _;
use crate::wall::severity_colour;

/// Thumbnails are drawn this wide, in points.
const THUMB_POINTS: f32 = 96.0;

/// The panel's own state between frames.
#[derive(Default)]
pub struct AlarmsPanel {
    notes: HashMap<u64, String>,
    thumbs: HashMap<u64, egui::TextureHandle>,
}

impl AlarmsPanel {
    /// Draws the queue; returns what the operator asked for.
    pub fn alarms_ui(&mut self, ui: &mut egui::Ui, core: &Core) -> Vec<Command> {
        let mut commands = Vec::new();
        let alarms = core.alarms();
        ui.heading(format!("Alarms ({} new)", core.unacknowledged_alarms(None)));
        if alarms.is_empty() {
            ui.label("No alarms.");
            return commands;
        }
        let note_required = core.alarm_note_required();
        self.thumbs
            .retain(|id, _| alarms.iter().any(|a| a.id == *id));
        self.notes
            .retain(|id, _| alarms.iter().any(|a| a.id == *id));
        egui::ScrollArea::vertical().show(ui, |ui| {
            for alarm in alarms {
                let camera = core
                    .site()
                    .camera(&alarm.camera)
                    .map_or_else(|| alarm.camera.to_string(), |c| c.name.clone());
                ui.separator();
                ui.horizontal(|ui| {
                    if let Some(thumb) = &alarm.thumbnail {
                        let texture = self.thumbs.entry(alarm.id).or_insert_with(|| {
                            ui.ctx().load_texture(
                                format!("alarm-{}", alarm.id),
                                egui::ColorImage::from_rgba_unmultiplied(
                                    [thumb.width_px as usize, thumb.height_px as usize],
                                    &thumb.rgba,
                                ),
                                egui::TextureOptions::LINEAR,
                            )
                        });
                        #[allow(clippy::cast_precision_loss)]
                        let height =
                            THUMB_POINTS * thumb.height_px as f32 / thumb.width_px.max(1) as f32;
                        ui.image((texture.id(), egui::vec2(THUMB_POINTS, height)));
                    }
                    ui.vertical(|ui| {
                        ui.label(
                            RichText::new(alarm.severity.as_str().to_uppercase())
                                .color(severity_colour(alarm.severity))
                                .strong(),
                        );
                        let time = alarm.start.to_local().format("%Y-%m-%d %H:%M:%S");
                        let text = format!("{time}  {camera}  {}", alarm.kind);
                        if ui
                            .link(&text)
                            .on_hover_text("Play this camera from a few seconds before")
                            .named(egui::accesskit::Role::Link, &text)
                            .clicked()
                        {
                            commands.push(Command::ReviewAlarm(alarm.id));
                        }
                        let state_colour = match alarm.state {
                            AlarmState::New => Color32::from_rgb(255, 200, 60),
                            _ => Color32::GRAY,
                        };
                        ui.colored_label(state_colour, alarm.state.label());
                        if !alarm.note.is_empty() {
                            ui.label(RichText::new(&alarm.note).italics());
                        }
                    });
                });
                ui.horizontal(|ui| {
                    if alarm.state == AlarmState::New {
                        let note = self.notes.entry(alarm.id).or_default();
                        ui.add(
                            egui::TextEdit::singleline(note)
                                .hint_text(if note_required {
                                    "Note (required)"
                                } else {
                                    "Note"
                                })
                                .desired_width(140.0),
                        )
                        .named_text("Alarm note", note);
                        let ready = !note_required || !note.trim().is_empty();
                        if ui
                            .add_enabled(ready, egui::Button::new("Acknowledge"))
                            .named_button("Acknowledge")
                            .clicked()
                        {
                            commands.push(Command::AcknowledgeAlarm {
                                id: alarm.id,
                                note: std::mem::take(note),
                            });
                        }
                    }
                    if alarm.state != AlarmState::Closed
                        && ui.button("Close").named_button("Close alarm").clicked()
                    {
                        commands.push(Command::CloseAlarm(alarm.id));
                    }
                });
            }
        });
        commands
    }
}
