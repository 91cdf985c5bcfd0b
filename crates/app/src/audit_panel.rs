//! The "Audit trail" window: the core's newest audit entries (`Core::audit_entries`),
//! newest first, filtered by time (From/To, local time), camera and action.
//!
//! Owns: the filter and drawing the list. Must not: read the index (the core's
//! `vigil-audit` thread keeps the entries) or change the trail.

use chrono::{Local, NaiveDateTime, TimeZone as _};
use egui::RichText;

use crate::a11y::Named as _;
use vigil_core::Core;
use vigil_core::audit::AuditEntry;

pub const OPEN_LABEL: &str = "Audit trail";
pub const FROM_LABEL: &str = "Audit from";
pub const TO_LABEL: &str = "Audit to";
pub const CAMERA_LABEL: &str = "Audit camera";
pub const ACTION_LABEL: &str = "Audit action";
/// The choice that does not filter.
pub const ANY: &str = "Any";

/// Which entries the window lists.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Wall-clock nanoseconds, inclusive; `None`: open.
    pub from_ns: Option<i64>,
    pub to_ns: Option<i64>,
    /// A camera id among the entry's targets.
    pub camera: Option<String>,
    pub action: Option<String>,
}

impl AuditFilter {
    pub fn matches(&self, entry: &AuditEntry) -> bool {
        self.from_ns.is_none_or(|t| entry.time_ns >= t)
            && self.to_ns.is_none_or(|t| entry.time_ns <= t)
            && self
                .camera
                .as_deref()
                .is_none_or(|c| entry.cameras().any(|e| e == c))
            && self.action.as_deref().is_none_or(|a| entry.action == a)
    }
}

/// Local "YYYY-MM-DD HH:MM[:SS]" as wall-clock nanoseconds; `Ok(None)` for empty.
pub fn parse_local(text: &str) -> Result<Option<i64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M"))
        .map_err(|_| format!("'{text}' is not YYYY-MM-DD HH:MM[:SS]"))?;
    Local
        .from_local_datetime(&naive)
        .earliest()
        .and_then(|t| t.timestamp_nanos_opt())
        .map(Some)
        .ok_or_else(|| format!("'{text}' does not exist in local time"))
}

/// The window.
#[derive(Default)]
pub struct AuditPanel {
    open: bool,
    from: String,
    to: String,
    camera: Option<String>,
    action: Option<String>,
}

impl AuditPanel {
    pub fn open(&mut self) {
        self.open = true;
    }

    pub fn is_open(&self) -> bool {
        self.open
    }

    pub fn ui(&mut self, ctx: &egui::Context, core: &Core) {
        if !self.open {
            return;
        }
        let entries = core.audit_entries();
        let cameras: Vec<(String, String)> = core
            .site()
            .cameras
            .iter()
            .map(|c| (c.id.to_string(), c.name.clone()))
            .collect();
        let mut actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
        actions.sort_unstable();
        actions.dedup();
        let mut open = true;
        egui::Window::new("Audit trail")
            .open(&mut open)
            .default_width(760.0)
            .default_height(420.0)
            .show(ctx, |ui| {
                if !core.audit_on() {
                    ui.label("Nothing is recorded: there is no storage folder.");
                    return;
                }
                let mut problems = Vec::new();
                ui.horizontal_wrapped(|ui| {
                    ui.label("From");
                    ui.add(
                        egui::TextEdit::singleline(&mut self.from)
                            .desired_width(130.0)
                            .hint_text("YYYY-MM-DD HH:MM"),
                    )
                    .named_text(FROM_LABEL, &self.from);
                    ui.label("To");
                    ui.add(
                        egui::TextEdit::singleline(&mut self.to)
                            .desired_width(130.0)
                            .hint_text("YYYY-MM-DD HH:MM"),
                    )
                    .named_text(TO_LABEL, &self.to);
                    let camera_text = self
                        .camera
                        .as_ref()
                        .and_then(|id| cameras.iter().find(|(c, _)| c == id))
                        .map_or(ANY, |(_, name)| name.as_str())
                        .to_owned();
                    ui.label("Camera");
                    egui::ComboBox::from_id_salt("audit_camera")
                        .selected_text(camera_text)
                        .show_ui(ui, |ui| {
                            ui.selectable_value(&mut self.camera, None, ANY);
                            for (id, name) in &cameras {
                                ui.selectable_value(&mut self.camera, Some(id.clone()), name);
                            }
                        })
                        .response
                        .named(egui::accesskit::Role::ComboBox, CAMERA_LABEL);
                    ui.label("Action");
                    egui::ComboBox::from_id_salt("audit_action")
                        .selected_text(self.action.clone().unwrap_or_else(|| ANY.to_owned()))
                        .show_ui(ui, |ui| {
                            ui.selectable_value(&mut self.action, None, ANY);
                            for action in &actions {
                                ui.selectable_value(
                                    &mut self.action,
                                    Some((*action).to_owned()),
                                    *action,
                                );
                            }
                        })
                        .response
                        .named(egui::accesskit::Role::ComboBox, ACTION_LABEL);
                });
                let from_ns = parse_local(&self.from).unwrap_or_else(|e| {
                    problems.push(e);
                    None
                });
                let to_ns = parse_local(&self.to).unwrap_or_else(|e| {
                    problems.push(e);
                    None
                });
                for problem in &problems {
                    ui.colored_label(egui::Color32::from_rgb(235, 80, 70), problem);
                }
                let filter = AuditFilter {
                    from_ns,
                    to_ns,
                    camera: self.camera.clone(),
                    action: self.action.clone(),
                };
                let shown: Vec<&AuditEntry> =
                    entries.iter().rev().filter(|e| filter.matches(e)).collect();
                ui.label(
                    RichText::new(format!("{} of {} entries", shown.len(), entries.len())).small(),
                );
                ui.separator();
                egui::ScrollArea::both().show(ui, |ui| {
                    egui::Grid::new("audit_entries")
                        .striped(true)
                        .num_columns(6)
                        .show(ui, |ui| {
                            for head in ["Time", "Operator", "Role", "Action", "Target", "Details"]
                            {
                                ui.label(RichText::new(head).strong());
                            }
                            ui.end_row();
                            for e in shown {
                                let time = Local
                                    .timestamp_nanos(e.time_ns)
                                    .format("%Y-%m-%d %H:%M:%S")
                                    .to_string();
                                ui.label(time);
                                ui.label(&e.operator);
                                ui.label(&e.role);
                                ui.label(&e.action);
                                ui.label(&e.target);
                                ui.label(&e.details);
                                ui.end_row();
                            }
                        });
                });
            });
        self.open &= open;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(time_ns: i64, action: &str, target: &str) -> AuditEntry {
        AuditEntry {
            id: 1,
            time_ns,
            operator: "a".into(),
            role: "guard".into(),
            action: action.into(),
            target: target.into(),
            details: String::new(),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn the_filter_takes_time_camera_and_action_together() {
        let e = entry(100, "export", "cam1,cam2");
        assert!(AuditFilter::default().matches(&e));
        let f = |from, to, camera: Option<&str>, action: Option<&str>| AuditFilter {
            from_ns: from,
            to_ns: to,
            camera: camera.map(str::to_owned),
            action: action.map(str::to_owned),
        };
        assert!(f(Some(100), Some(100), Some("cam2"), Some("export")).matches(&e));
        assert!(!f(Some(101), None, None, None).matches(&e));
        assert!(!f(None, Some(99), None, None).matches(&e));
        assert!(
            !f(None, None, Some("cam"), None).matches(&e),
            "whole ids only"
        );
        assert!(!f(None, None, None, Some("bookmark_add")).matches(&e));
    }

    #[test]
    fn times_are_typed_in_local_time() {
        assert_eq!(parse_local(" "), Ok(None));
        let t = parse_local("2026-11-30 10:15")
            .expect("parses")
            .expect("set");
        let back = Local
            .timestamp_nanos(t)
            .format("%Y-%m-%d %H:%M")
            .to_string();
        assert_eq!(back, "2026-11-30 10:15");
        assert!(parse_local("yesterday").is_err());
    }
}
