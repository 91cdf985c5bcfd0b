//! Operator roles in the app (issue 13), driven by labels in egui_kittest: a site with
//! Reviewer and Installer passwords starts as Guard, the toolbar says so, and a Guard
//! has neither the timeline (review) nor its "Export…" nor the audit trail. In "Switch
//! role…", a wrong password is refused and the role stays; the right one switches, the
//! review and export controls appear, and the audit trail window lists the switches.

mod common;

use std::time::Duration;

use egui::accesskit::Role as A11yRole;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use vigil_app::role_switch::{
    OPEN_LABEL, OPERATOR_PREFIX, PASSWORD_LABEL, SWITCH_LABEL, role_option_label,
};
use vigil_app::{AppOptions, VigilApp, audit_panel, export_dialog};
use vigil_config::{CredentialStore, Role, demo_site};

use common::run_until;

fn app(dir: &std::path::Path) -> Harness<'static, VigilApp> {
    let mut site = demo_site(&vigil::assets::demo_dir());
    site.wall.layout = "2x2".to_owned();
    site.roles
        .set_password(Role::Reviewer, "review-pw")
        .expect("hash");
    site.roles
        .set_password(Role::Installer, "install-pw")
        .expect("hash");
    let credentials = CredentialStore::new(&dir.join("credentials.toml"));
    let options = AppOptions {
        storage: Some(dir.join("recordings")),
        ..common::app_options(dir, false)
    };
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1600.0, 900.0))
        .wgpu()
        .build_eframe(move |cc| VigilApp::new(cc, site, credentials, options));
    harness
        .state_mut()
        .core_mut()
        .set_operator_name("alice".to_owned());
    harness.run_steps(3);
    harness
}

/// The toolbar shows the operator and `role`.
fn assert_operator(harness: &Harness<'_, VigilApp>, role: &str) {
    harness.get_by_label(&format!("{OPERATOR_PREFIX} alice · {role}"));
}

fn open_menu_item(harness: &mut Harness<'_, VigilApp>, item: &str) {
    let menu = format!(
        "{OPERATOR_PREFIX} alice · {}",
        harness.state().core().role()
    );
    harness.get_by_label(&menu).click();
    harness.run_steps(2);
    harness.get_by_label(item).click();
    harness.run_steps(3);
}

fn type_password(harness: &mut Harness<'_, VigilApp>, password: &str) {
    harness
        .get_by_role_and_label(A11yRole::TextInput, PASSWORD_LABEL)
        .click();
    harness.run_steps(2);
    harness.event(egui::Event::Paste(password.to_owned()));
    harness.run_steps(2);
}

#[test]
fn a_guard_switches_to_reviewer_with_the_right_password_only() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut harness = app(dir.path());

    // Guard: shown in the toolbar; no review or export controls; no audit trail.
    assert_operator(&harness, "Guard");
    assert!(
        harness.query_by_label(export_dialog::OPEN_LABEL).is_none(),
        "a Guard sees no Export…"
    );
    assert!(
        harness.state().timeline_rect().is_none(),
        "a Guard has no timeline"
    );
    harness
        .get_by_label(&format!("{OPERATOR_PREFIX} alice · Guard"))
        .click();
    harness.run_steps(2);
    assert!(
        harness
            .get_by_label(audit_panel::OPEN_LABEL)
            .accesskit_node()
            .is_disabled(),
        "a Guard cannot open the audit trail"
    );
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);

    // A wrong password: refused, said, still Guard.
    open_menu_item(&mut harness, OPEN_LABEL);
    harness
        .get_by_label(&role_option_label(Role::Reviewer))
        .click();
    harness.run_steps(2);
    type_password(&mut harness, "not-it");
    harness.get_by_label(SWITCH_LABEL).click();
    harness.run_steps(3);
    harness.get_by_label("wrong password for Reviewer");
    assert_eq!(harness.state().core().role(), Role::Guard);
    assert_operator(&harness, "Guard");

    // The right one: Reviewer, the window closes, the timeline and Export… appear.
    type_password(&mut harness, "review-pw");
    harness.get_by_label(SWITCH_LABEL).click();
    harness.run_steps(3);
    assert_eq!(harness.state().core().role(), Role::Reviewer);
    assert!(
        harness.query_by_label(PASSWORD_LABEL).is_none(),
        "the window closed"
    );
    assert_operator(&harness, "Reviewer");
    harness.get_by_label(export_dialog::OPEN_LABEL);
    assert!(harness.state().timeline_rect().is_some());

    // The audit trail lists both attempts, newest first.
    assert!(harness.state().core().flush_audit(Duration::from_secs(10)));
    open_menu_item(&mut harness, audit_panel::OPEN_LABEL);
    assert!(
        run_until(&mut harness, Duration::from_secs(5), |app| {
            app.core().audit_entries().len() == 2
        }),
        "two entries"
    );
    harness.run_steps(2);
    harness.get_by_label("role_switch_refused");
    harness.get_by_label("role_switch");
    harness.get_by_label("2 of 2 entries");

    // Back down to Guard: no password asked, and review is gone again.
    open_menu_item(&mut harness, OPEN_LABEL);
    harness
        .get_by_label(&role_option_label(Role::Guard))
        .click();
    harness.run_steps(2);
    assert!(
        harness.query_by_label(PASSWORD_LABEL).is_none(),
        "no password to go down"
    );
    harness.get_by_label(SWITCH_LABEL).click();
    harness.run_steps(3);
    assert_eq!(harness.state().core().role(), Role::Guard);
    assert!(harness.query_by_label(export_dialog::OPEN_LABEL).is_none());
    assert!(
        harness.query_by_label("2 of 2 entries").is_none(),
        "the trail closed for a Guard"
    );
}
