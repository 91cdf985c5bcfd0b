//! The app's side of review: the timeline panel, fed from the core (its rows are the
//! layout's cameras; its reader is the core's), its commands sent to the core.
//!
//! Must not: start, seek or stop anything itself.

use super::VigilApp;
use crate::timeline_panel::PanelInput;
use vigil_core::WallView;
use vigil_core::timeline_data::Row;

impl VigilApp {
    pub(super) fn timeline_ui(&mut self, ui: &mut egui::Ui, view: &WallView) {
        // The key is read (made on first use) only once someone opens the export.
        let fingerprint = self
            .panel
            .export_open()
            .then(|| self.core.signing_fingerprint());
        let export_folder = vigil_core::export::default_folder(self.core.snapshot_dir());
        let site = self.core.site();
        let mut rows: Vec<Row> = Vec::new();
        for camera in view.tiles.iter().filter_map(|t| t.content.camera()) {
            if !rows.iter().any(|r| r.camera == camera.id) {
                rows.push(Row {
                    camera: camera.id.clone(),
                    name: camera.name.clone(),
                });
            }
        }
        let selected_camera = view
            .selected
            .and_then(|t| site.wall.assignment.get(t))
            .and_then(Option::as_ref);
        let input = PanelInput {
            rows,
            position: self.core.review_position(),
            paused: self.core.review_paused(),
            speed: self.core.review_speed(),
            selected_camera,
            data: self.core.timeline_data(),
            now: self.core.now(),
            export_status: self.core.export_status(),
            fingerprint: fingerprint.as_ref(),
            export_folder: &export_folder,
        };
        let commands = self.panel.ui(ui, &input);
        for command in commands {
            self.core.apply(command);
        }
    }
}
