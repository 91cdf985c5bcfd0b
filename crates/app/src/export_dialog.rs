//! Evidence export from the timeline: the range fields under the transport bar
//! (typed From/To to the second, kept in step with a shift-drag on the timeline) and
//! the "Export evidence" window (one camera or the layout, case, reason, burn-in,
//! folder, the signing key's fingerprint, progress with Cancel, the outcome).
//!
//! Owns: the fields' text and the window's state. Must not: run the export or touch
//! files — it sends [`Command::Export`] / [`Command::CancelExport`]; the core owns the
//! job and reports [`ExportStatus`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Local;
use egui::{Color32, RichText, Role};

use crate::a11y::Named as _;
use crate::timeline::ticks;
use crate::timeline::widget::format_duration;
use crate::timeline::{TimeRange, WallNanos};
use crate::timeline_panel::parse_goto;
use vigil_config::CameraId;
use vigil_core::{Command, ExportOrder, ExportStatus};

/// The accessible names of the range fields and buttons.
pub const FROM_LABEL: &str = "Export from";
pub const TO_LABEL: &str = "Export to";
pub const OPEN_LABEL: &str = "Export…";
pub const EXPORT_LABEL: &str = "Export";
pub const CANCEL_LABEL: &str = "Cancel export";
pub const CASE_LABEL: &str = "Case name";
pub const REASON_LABEL: &str = "Reason";
pub const FOLDER_LABEL: &str = "Export folder";
/// The burn-in checkbox, with its cost: docs/evidence.md measured 7.9 s against 0.09 s
/// for the remux per minute of 640×360.
pub const BURN_IN_LABEL: &str = "Burn in camera name and time (re-encodes, about 90× slower)";

/// How the typed times are shown and read.
const TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// What the export controls need from the app this frame.
pub struct ExportInput<'a> {
    pub now: WallNanos,
    /// The layout's cameras, in tile order.
    pub layout_cameras: &'a [CameraId],
    pub selected_camera: Option<&'a CameraId>,
    /// The running or last export.
    pub status: Option<&'a ExportStatus>,
    /// The signing key's fingerprint (asked only while the window is open).
    pub fingerprint: Option<&'a Result<String, String>>,
    /// Where bundles go unless the user types another folder.
    pub default_folder: &'a Path,
}

/// The range fields and the export window.
#[derive(Default)]
pub struct ExportControls {
    from_text: String,
    to_text: String,
    /// The selection the fields last showed (a drag changes it behind their back).
    shown: Option<TimeRange>,
    open: bool,
    whole_layout: bool,
    case: String,
    reason: String,
    folder: Option<String>,
    /// Re-encode with the camera name and time drawn in.
    burn_in: bool,
    /// Why the typed range is not usable.
    range_error: Option<String>,
}

impl ExportControls {
    /// Whether the export window is open (the fingerprint is only needed then).
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// The From/To fields and the button that opens the window; edits `selection`.
    pub fn range_ui(
        &mut self,
        ui: &mut egui::Ui,
        selection: &mut Option<TimeRange>,
        now: WallNanos,
    ) {
        if *selection != self.shown {
            // A drag on the timeline (or clearing) moved the selection.
            let text = |t: WallNanos| t.to_local().format(TIME_FORMAT).to_string();
            self.from_text = selection.map(|s| text(s.start)).unwrap_or_default();
            self.to_text = selection.map(|s| text(s.end)).unwrap_or_default();
            self.shown = *selection;
            self.range_error = None;
        }
        ui.horizontal_wrapped(|ui| {
            ui.label("Range")
                .on_hover_text("Shift-drag on the timeline, or type the first and last second");
            let from = ui
                .add(
                    egui::TextEdit::singleline(&mut self.from_text)
                        .desired_width(150.0)
                        .hint_text("From YYYY-MM-DD HH:MM:SS"),
                )
                .named_text(FROM_LABEL, &self.from_text);
            ui.label("to");
            let to = ui
                .add(
                    egui::TextEdit::singleline(&mut self.to_text)
                        .desired_width(150.0)
                        .hint_text("To YYYY-MM-DD HH:MM:SS"),
                )
                .named_text(TO_LABEL, &self.to_text);
            if from.changed() || to.changed() {
                match parse_range(&self.from_text, &self.to_text, now) {
                    Ok(range) => {
                        *selection = Some(range);
                        self.shown = *selection;
                        self.range_error = None;
                    }
                    Err(err) => self.range_error = Some(err),
                }
            }
            if let Some(range) = selection {
                ui.label(format_duration(range.duration_nanos()));
                if ui
                    .small_button("✖")
                    .on_hover_text("Clear the selection")
                    .named_button("Clear the selection")
                    .clicked()
                {
                    *selection = None;
                }
            }
            if ui
                .button(OPEN_LABEL)
                .on_hover_text("Export the selected range as signed evidence")
                .named_button(OPEN_LABEL)
                .clicked()
            {
                self.open = true;
            }
            if let Some(err) = &self.range_error {
                ui.colored_label(Color32::from_rgb(235, 80, 70), err);
            }
        });
    }

    /// The export window, while open; returns what to send to the core.
    pub fn window_ui(
        &mut self,
        ctx: &egui::Context,
        selection: Option<TimeRange>,
        input: &ExportInput<'_>,
    ) -> Vec<Command> {
        let mut actions = Vec::new();
        if !self.open {
            return actions;
        }
        let mut open = true;
        egui::Window::new("Export evidence")
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .default_width(460.0)
            .show(ctx, |ui| {
                self.contents_ui(ui, selection, input, &mut actions)
            });
        self.open &= open;
        actions
    }

    fn contents_ui(
        &mut self,
        ui: &mut egui::Ui,
        selection: Option<TimeRange>,
        input: &ExportInput<'_>,
        actions: &mut Vec<Command>,
    ) {
        let running = matches!(input.status, Some(ExportStatus::Running { .. }));
        match selection {
            Some(range) => ui.label(format!(
                "{} – {} ({})",
                ticks::format_full(range.start, &Local, 1e9),
                ticks::format_full(range.end, &Local, 1e9),
                format_duration(range.duration_nanos())
            )),
            None => ui.colored_label(
                Color32::from_rgb(240, 170, 40),
                "Choose a range first: shift-drag on the timeline, or type From and To.",
            ),
        };
        let selected = input.selected_camera;
        if selected.is_none() {
            self.whole_layout = true;
        }
        ui.horizontal(|ui| {
            let one = format!(
                "Selected camera ({})",
                selected.map_or("none", CameraId::as_str)
            );
            if ui
                .add_enabled(
                    selected.is_some(),
                    egui::RadioButton::new(!self.whole_layout, one.as_str()),
                )
                .named_toggle(Role::RadioButton, !self.whole_layout, &one)
                .clicked()
            {
                self.whole_layout = false;
            }
            let all = format!("Whole layout ({} cameras)", input.layout_cameras.len());
            if ui
                .radio(self.whole_layout, all.as_str())
                .named_toggle(Role::RadioButton, self.whole_layout, &all)
                .clicked()
            {
                self.whole_layout = true;
            }
        });
        egui::Grid::new("export_fields")
            .num_columns(2)
            .show(ui, |ui| {
                ui.label(CASE_LABEL);
                ui.text_edit_singleline(&mut self.case)
                    .named_text(CASE_LABEL, &self.case);
                ui.end_row();
                ui.label(REASON_LABEL);
                ui.text_edit_singleline(&mut self.reason)
                    .named_text(REASON_LABEL, &self.reason);
                ui.end_row();
                ui.label("Folder");
                let folder = self
                    .folder
                    .get_or_insert_with(|| input.default_folder.display().to_string());
                ui.add(egui::TextEdit::singleline(folder).desired_width(320.0))
                    .named_text(FOLDER_LABEL, folder);
                ui.end_row();
            });
        ui.checkbox(&mut self.burn_in, BURN_IN_LABEL)
            .on_hover_text(
                "Every frame is decoded and encoded again: the MP4 no longer holds the \
                 recorded bits, and the manifest says so",
            )
            .named_toggle(Role::CheckBox, self.burn_in, BURN_IN_LABEL);
        let bundle = selection.map(|range| self.bundle_path(range));
        if let Some(bundle) = &bundle {
            ui.label(RichText::new(format!("Bundle: {}", bundle.display())).small());
        }
        match input.fingerprint {
            Some(Ok(fingerprint)) => {
                ui.label(RichText::new("Signing key fingerprint (SHA-256):").small());
                ui.label(RichText::new(fingerprint).monospace().small());
            }
            Some(Err(err)) => {
                ui.colored_label(
                    Color32::from_rgb(235, 80, 70),
                    format!("No signing key: {err}"),
                );
            }
            None => {}
        }
        ui.separator();
        match input.status {
            Some(ExportStatus::Running { done, total }) => {
                #[allow(clippy::cast_precision_loss)]
                let fraction = if *total == 0 {
                    0.0
                } else {
                    *done as f32 / *total as f32
                };
                ui.add(
                    egui::ProgressBar::new(fraction)
                        .show_percentage()
                        .text(format!("{done} of {total} segments")),
                )
                .named(Role::ProgressIndicator, "Export progress");
                // The job reports through atomics: look again soon.
                ui.ctx().request_repaint_after(Duration::from_millis(100));
            }
            Some(ExportStatus::Finished {
                bundle,
                fingerprint,
                without_footage,
                burned_in_with,
            }) => {
                ui.colored_label(
                    Color32::from_rgb(70, 200, 90),
                    format!("Exported to {}", bundle.display()),
                );
                if !without_footage.is_empty() {
                    ui.label(format!(
                        "No footage in the range (listed in the manifest, no files): {}",
                        without_footage.join(", ")
                    ));
                }
                if let Some(encoder) = burned_in_with {
                    ui.label(format!("Camera name and time burned in ({encoder})"));
                }
                ui.label(RichText::new(format!("Signed by key {fingerprint}")).small());
            }
            Some(ExportStatus::Cancelled) => {
                ui.label("Export cancelled; nothing was written.");
            }
            Some(ExportStatus::Failed(err)) => {
                ui.colored_label(Color32::from_rgb(235, 80, 70), format!("Failed: {err}"));
            }
            None => {}
        }
        ui.horizontal(|ui| {
            if running {
                if ui.button("Cancel").named_button(CANCEL_LABEL).clicked() {
                    actions.push(Command::CancelExport);
                }
                return;
            }
            let cameras: Vec<CameraId> = match (self.whole_layout, selected) {
                (false, Some(camera)) => vec![camera.clone()],
                _ => input.layout_cameras.to_vec(),
            };
            let ready = selection.is_some() && !cameras.is_empty();
            if ui
                .add_enabled(ready, egui::Button::new(EXPORT_LABEL))
                .named_button(EXPORT_LABEL)
                .clicked()
                && let (Some(range), Some(out)) = (selection, bundle)
            {
                actions.push(Command::Export(ExportOrder {
                    cameras,
                    range,
                    out,
                    case: self.case.trim().to_owned(),
                    reason: self.reason.trim().to_owned(),
                    burn_in: self.burn_in,
                }));
            }
            if ui.button("Close").named_button("Close").clicked() {
                self.open = false;
            }
        });
    }

    /// `<folder>/<case>-<local start time>`: a new folder per case and range.
    fn bundle_path(&self, range: TimeRange) -> PathBuf {
        let folder = self.folder.as_deref().unwrap_or_default().trim();
        let case: String = self
            .case
            .trim()
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .take(60)
            .collect();
        let case = if case.is_empty() {
            "evidence".to_owned()
        } else {
            case
        };
        let stamp = range.start.to_local().format("%Y%m%d-%H%M%S");
        PathBuf::from(folder).join(format!("{case}-{stamp}"))
    }
}

/// The typed range: both ends parsed like the go-to field, From before To.
pub fn parse_range(from: &str, to: &str, now: WallNanos) -> Result<TimeRange, String> {
    let start = parse_goto(from, now).map_err(|e| format!("From: {e}"))?;
    let end = parse_goto(to, now).map_err(|e| format!("To: {e}"))?;
    if end <= start {
        return Err("To must be after From".to_owned());
    }
    Ok(TimeRange::new(start, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_time::{NANOS_PER_HOUR, NANOS_PER_SEC};

    #[test]
    fn typed_ranges_are_to_the_second_and_refuse_backwards() {
        let now = WallNanos::now();
        let a = now.saturating_add_nanos(-2 * NANOS_PER_HOUR);
        let b = now.saturating_add_nanos(-NANOS_PER_HOUR);
        let text = |t: WallNanos| t.to_local().format(TIME_FORMAT).to_string();
        let range = parse_range(&text(a), &text(b), now).expect("valid");
        assert_eq!(range.start.0 % NANOS_PER_SEC, 0);
        assert!(range.start.nanos_since(a).abs() < NANOS_PER_SEC);
        let err = parse_range(&text(b), &text(a), now).expect_err("backwards");
        assert!(err.contains("after"), "{err}");
        let err = parse_range("nonsense", &text(a), now).expect_err("bad");
        assert!(err.starts_with("From:"), "{err}");
    }
}
