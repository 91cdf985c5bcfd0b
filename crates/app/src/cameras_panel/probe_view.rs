//! The stream test's report in the Cameras window: stage, figures, the keyframe and
//! anonymous-access warnings, and the live preview (a paint callback on the picture the
//! core uploads under `VideoKey::Preview`).
//!
//! Must not: start or stop the test (the window sends the commands).

use egui::{Color32, RichText, Role};

use crate::a11y::Named as _;
use vigil_core::{Anonymous, ProbeReport, ProbeStage};

use super::ANONYMOUS_WARNING;

/// The test's figures, its preview and the anonymous-access warning.
pub(super) fn probe_ui(ui: &mut egui::Ui, report: &ProbeReport) {
    ui.separator();
    let stage = match &report.stage {
        ProbeStage::Opening => "Test: opening the stream…".to_owned(),
        ProbeStage::Measuring => "Test: measuring…".to_owned(),
        ProbeStage::Done => "Test: done".to_owned(),
        ProbeStage::Failed(why) => format!("Test failed: {why}"),
    };
    if matches!(report.stage, ProbeStage::Failed(_)) {
        ui.colored_label(Color32::from_rgb(235, 80, 70), stage);
    } else {
        ui.label(RichText::new(stage).strong());
    }
    if report.width > 0 {
        let figure = |v: Option<f64>, unit: &str| {
            v.map_or_else(|| "measuring".to_owned(), |v| format!("{v:.1} {unit}"))
        };
        ui.label(format!(
            "Codec {} · {}×{} · {} · keyframe every {} · first picture after {}",
            report.codec.as_deref().unwrap_or("?"),
            report.width,
            report.height,
            figure(report.fps, "fps"),
            figure(report.keyframe_interval_secs, "s"),
            report
                .first_frame_ms
                .map_or_else(|| "?".to_owned(), |ms| format!("{ms} ms")),
        ));
        if report.keyframe_interval_secs.is_some_and(|s| s > 2.0) {
            ui.colored_label(
                Color32::from_rgb(240, 170, 40),
                "Keyframes are more than 2 s apart: tiles take that long to show a picture.",
            );
        }
    }
    match &report.anonymous {
        Anonymous::Accepted => {
            ui.colored_label(Color32::from_rgb(240, 170, 40), ANONYMOUS_WARNING);
        }
        Anonymous::Trying => {
            ui.label("Trying the stream without credentials…");
        }
        Anonymous::Refused(_) => {
            ui.label("Without credentials the camera refuses the stream (as it should).");
        }
        Anonymous::NotTried => {}
    }
    if let Some(frame) = &report.frame {
        let width = ui.available_width().clamp(160.0, 480.0);
        #[allow(clippy::cast_precision_loss)]
        let height = width * frame.height.max(1) as f32 / frame.width.max(1) as f32;
        let (rect, response) =
            ui.allocate_exact_size(egui::vec2(width, height), egui::Sense::hover());
        response.named(Role::Image, "Test preview");
        let (picture, uv) = vigil_gpu::fit_picture(rect, frame.width, frame.height, false);
        ui.painter()
            .add(eframe::egui_wgpu::Callback::new_paint_callback(
                picture,
                vigil_gpu::VideoPaint::new(
                    vigil_frame::VideoKey::Preview(vigil_core::PROBE_PREVIEW.to_owned()),
                    uv,
                    1.0,
                ),
            ));
    }
}
