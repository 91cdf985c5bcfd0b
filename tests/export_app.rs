//! Evidence export from the app's timeline (issue 15): a range typed into the From/To
//! fields or shift-dragged on the timeline is exported through the "Export…" window;
//! the progress finishes, the bundle is on disk and `vigil_export::verify` accepts it,
//! with the fingerprint the window showed. Cancel leaves no bundle.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use egui::accesskit::{Role, Toggled};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use vigil_app::VigilApp;
use vigil_app::export_dialog::{
    BURN_IN_LABEL, CANCEL_LABEL, CASE_LABEL, EXPORT_LABEL, FROM_LABEL, OPEN_LABEL, TO_LABEL,
};
use vigil_core::ExportStatus;
use vigil_time::{NANOS_PER_SEC, WallNanos};

use common::history::Fixture;
use common::run_until;

/// The demo site's 2×2 wall over half an hour of recordings, signing with a key in the
/// test's folder.
fn app_with_history() -> Fixture {
    common::history::app_with_history(|app, dir| {
        app.core_mut().set_signing_key_dir(dir.join("keys"));
    })
}

/// The default folder bundles go to (beside the snapshot folder).
fn export_folder(fixture: &Fixture) -> PathBuf {
    fixture
        .dir
        .path()
        .join(vigil_core::export::DEFAULT_FOLDER_NAME)
}

fn local(t: WallNanos) -> String {
    t.to_local().format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Types `text` into the field named `label`, as pasted from the clipboard.
fn type_into(harness: &mut Harness<'_, VigilApp>, label: &str, text: &str) {
    // The panel may still be settling (tracks arriving move it): click until focused.
    for _ in 0..5 {
        harness
            .get_by_role_and_label(Role::TextInput, label)
            .click();
        harness.run_steps(2);
        if harness
            .get_by_role_and_label(Role::TextInput, label)
            .is_focused()
        {
            break;
        }
    }
    assert!(
        harness
            .get_by_role_and_label(Role::TextInput, label)
            .is_focused(),
        "{label} does not take the focus"
    );
    harness.event(egui::Event::Paste(text.to_owned()));
    harness.run_steps(2);
}

/// Types the range `from_secs`..`to_secs` ago, opens the window and clicks Export
/// (after ticking the burn-in checkbox when `burn_in`).
fn export_range(
    fixture: &mut Fixture,
    from_secs_ago: i64,
    to_secs_ago: i64,
    case: &str,
    burn_in: bool,
) {
    let harness = &mut fixture.harness;
    let now = harness.state().core().now();
    let from = now.saturating_add_nanos(-from_secs_ago * NANOS_PER_SEC);
    let to = now.saturating_add_nanos(-to_secs_ago * NANOS_PER_SEC);
    type_into(harness, FROM_LABEL, &local(from));
    type_into(harness, TO_LABEL, &local(to));
    let Some(selection) = harness.state().timeline().state.selection else {
        let value = |label| {
            harness
                .get_by_role_and_label(Role::TextInput, label)
                .value()
        };
        panic!(
            "the typed range is not the timeline's selection: from {:?}, to {:?}",
            value(FROM_LABEL),
            value(TO_LABEL)
        );
    };
    assert!(selection.start.nanos_since(from).abs() < NANOS_PER_SEC);
    assert!(selection.end.nanos_since(to).abs() < NANOS_PER_SEC);
    // The selection is drawn on the timeline and its length shown beside the fields.
    if (from_secs_ago - to_secs_ago) % 60 == 0 {
        harness.get_by_label(&format!("{} min 00 s", (from_secs_ago - to_secs_ago) / 60));
    }

    harness.get_by_label(OPEN_LABEL).click();
    harness.run_steps(3);
    type_into(harness, CASE_LABEL, case);
    if burn_in {
        let checkbox = harness.get_by_role_and_label(Role::CheckBox, BURN_IN_LABEL);
        assert_eq!(
            checkbox.accesskit_node().toggled(),
            Some(Toggled::False),
            "off by default"
        );
        checkbox.click();
        harness.run_steps(2);
        assert_eq!(
            harness
                .get_by_role_and_label(Role::CheckBox, BURN_IN_LABEL)
                .accesskit_node()
                .toggled(),
            Some(Toggled::True)
        );
    }
    harness.get_by_label(EXPORT_LABEL).click();
    harness.run_steps(1);
}

#[test]
fn a_typed_range_exports_from_the_timeline_and_verifies() {
    let mut fixture = app_with_history();
    export_range(&mut fixture, 300, 240, "case 42", false);
    let harness = &mut fixture.harness;
    assert!(
        run_until(harness, Duration::from_secs(60), |app| matches!(
            app.core().export_status(),
            Some(ExportStatus::Finished { .. })
        )),
        "the export did not finish: {:?}",
        harness.state().core().export_status()
    );
    harness.run_steps(2);
    let Some(ExportStatus::Finished {
        bundle,
        fingerprint,
        burned_in_with,
        ..
    }) = harness.state().core().export_status().cloned()
    else {
        unreachable!("checked above")
    };
    assert!(bundle.starts_with(export_folder(&fixture)), "{bundle:?}");
    assert_eq!(burned_in_with, None, "not asked for");
    assert!(
        bundle
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("case_42-")),
        "{bundle:?}"
    );
    // The window shows the outcome and the key's fingerprint; so does the status bar.
    let harness = &mut fixture.harness;
    assert!(
        harness.query_all_by_label_contains("Exported to ").count() >= 2,
        "the window and the status bar say where the bundle went"
    );
    harness.get_by_label(&fingerprint);
    assert!(
        harness
            .state()
            .core()
            .status()
            .is_some_and(|s| s.contains(&fingerprint) && s.contains(&*bundle.to_string_lossy())),
        "status bar: {:?}",
        harness.state().core().status()
    );

    let report = vigil_export::verify(&bundle, Some(&fingerprint));
    assert!(report.ok(), "{:?}", report.problems);
    // Four cameras: an MP4 and a still each, at least.
    assert!(report.files_ok >= 8, "{report:?}");
    let manifest = std::fs::read_to_string(bundle.join("manifest.json")).expect("manifest");
    assert!(manifest.contains("case 42"), "{manifest}");
}

#[test]
fn cancel_leaves_no_bundle() {
    let mut fixture = app_with_history();
    // The whole half hour of four cameras: long enough to still be running.
    export_range(&mut fixture, 29 * 60, 60, "cancelled", false);
    let harness = &mut fixture.harness;
    assert!(
        matches!(
            harness.state().core().export_status(),
            Some(ExportStatus::Running { .. })
        ),
        "{:?}",
        harness.state().core().export_status()
    );
    harness.step();
    harness.get_by_label("Export progress");
    harness.get_by_label(CANCEL_LABEL).click();
    assert!(
        run_until(harness, Duration::from_secs(60), |app| !matches!(
            app.core().export_status(),
            Some(ExportStatus::Running { .. })
        )),
        "the export did not stop"
    );
    assert_eq!(
        harness.state().core().export_status(),
        Some(&ExportStatus::Cancelled)
    );
    harness.run_steps(2);
    assert!(
        harness
            .query_all_by_label_contains("nothing was written")
            .count()
            >= 1
    );
    let left: Vec<_> = std::fs::read_dir(export_folder(&fixture))
        .expect("the export folder was made")
        .map(|e| e.expect("entry").path())
        .collect();
    assert!(left.is_empty(), "the cancelled export left {left:?}");
}

/// Ticked, the burn-in checkbox reaches the export: every camera's entry in the
/// manifest names the encoder (a few seconds only: burn-in re-encodes).
#[test]
fn the_burn_in_checkbox_burns_in() {
    let mut fixture = app_with_history();
    export_range(&mut fixture, 244, 240, "burned", true);
    let harness = &mut fixture.harness;
    assert!(
        run_until(harness, Duration::from_secs(120), |app| matches!(
            app.core().export_status(),
            Some(ExportStatus::Finished { .. })
        )),
        "the export did not finish: {:?}",
        harness.state().core().export_status()
    );
    let Some(ExportStatus::Finished {
        bundle,
        burned_in_with,
        ..
    }) = harness.state().core().export_status().cloned()
    else {
        unreachable!("checked above")
    };
    let encoder = burned_in_with.expect("the status names the burn-in encoder");
    harness.run_steps(2);
    harness.get_by_label_contains("Camera name and time burned in");
    let manifest: vigil_export::manifest::Manifest =
        serde_json::from_slice(&std::fs::read(bundle.join("manifest.json")).expect("manifest"))
            .expect("manifest parses");
    assert!(!manifest.cameras.is_empty());
    for camera in &manifest.cameras {
        assert_eq!(
            camera.burned_in_with.as_deref(),
            Some(encoder.as_str()),
            "{}",
            camera.id
        );
    }
    assert!(vigil_export::verify(&bundle, None).ok());
}
