//! Operator roles enforced in the headless core, and what the audit trail records: a
//! site with Reviewer and Installer passwords starts as Guard; commands above the role
//! are refused (and audited); a wrong password does not switch, the right one does;
//! switching down never asks; every operator action lands in a chain that verifies.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use vigil_config::{
    CameraConfig, CredentialStore, RecordingConfig, RecordingMode, Role, RoleError, Site,
};
use vigil_core::{Command, Core, CoreOptions, ExportOrder, Refused, RolePassword};
use vigil_playback::SeekMode;
use vigil_time::{NANOS_PER_SEC, SimClock, WallNanos};
use vigil_timeline::TimeRange;

const NOW_S: i64 = 1_764_460_800;

fn site(with_passwords: bool) -> Site {
    let mut site = Site::empty();
    site.cameras
        .push(CameraConfig::new("cam1", "Gate", "/nonexistent/clip.mp4"));
    if with_passwords {
        site.roles
            .set_password(Role::Reviewer, "review-pw")
            .expect("hash");
        site.roles
            .set_password(Role::Installer, "install-pw")
            .expect("hash");
    }
    site
}

fn core(site: Site, dir: &std::path::Path) -> Core {
    let mut core = Core::new(
        site,
        CredentialStore::new(&dir.join("credentials.toml")),
        CoreOptions {
            snapshot_dir: dir.join("snapshots"),
            site_path: None,
            storage: Some(dir.join("recordings")),
            demo_history_hours: None,
            clock: SimClock::new(WallNanos::from_secs(NOW_S)),
        },
        Arc::new(|| {}),
    );
    core.set_operator_name("alice".to_owned());
    core
}

fn switch(role: Role, password: &str) -> Command {
    Command::SwitchRole {
        role,
        password: RolePassword(password.to_owned()),
    }
}

fn seek() -> Command {
    Command::Seek {
        time: WallNanos::from_secs(NOW_S - 60),
        mode: SeekMode::Exact,
    }
}

fn export(dir: &std::path::Path) -> Command {
    Command::Export(ExportOrder {
        cameras: vec!["cam1".into()],
        range: TimeRange::new(
            WallNanos::from_secs(NOW_S - 120),
            WallNanos::from_secs(NOW_S - 60),
        ),
        out: dir.join("bundle"),
        case: "case 7".to_owned(),
        reason: "theft".to_owned(),
        burn_in: false,
    })
}

fn set_recording() -> Command {
    Command::SetRecording {
        camera: "cam1".into(),
        recording: Some(RecordingConfig::new(RecordingMode::Events)),
    }
}

#[test]
fn a_guard_is_refused_review_export_and_configuration_until_the_right_password() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut core = core(site(true), dir.path());
    assert_eq!(core.role(), Role::Guard);
    assert!(!core.operator().single_user);

    // Guard: the wall yes; review, bookmarks, export and configuration no.
    assert_eq!(core.try_apply(Command::ShowStats(true)), Ok(()));
    assert!(matches!(
        core.try_apply(seek()),
        Err(Refused::NeedsRole {
            needed: Role::Reviewer,
            have: Role::Guard,
            ..
        })
    ));
    assert!(!core.is_reviewing());
    assert!(matches!(
        core.try_apply(export(dir.path())),
        Err(Refused::NeedsRole { .. })
    ));
    assert!(core.export_status().is_none(), "no export started");
    assert!(matches!(
        core.try_apply(Command::AddBookmark {
            cameras: vec!["cam1".into()],
            range: TimeRange::new(
                WallNanos::from_secs(NOW_S - 10),
                WallNanos::from_secs(NOW_S)
            ),
            note: "n".to_owned(),
        }),
        Err(Refused::NeedsRole { .. })
    ));
    assert!(matches!(
        core.try_apply(set_recording()),
        Err(Refused::NeedsRole {
            needed: Role::Installer,
            ..
        })
    ));
    assert_eq!(core.site().cameras[0].recording, None);
    assert!(
        core.audit_entries().is_empty(),
        "a guard does not read the trail"
    );

    // A wrong password does not switch; the Reviewer's does.
    assert_eq!(
        core.try_apply(switch(Role::Reviewer, "guess")),
        Err(Refused::Switch(RoleError::WrongPassword(Role::Reviewer)))
    );
    assert_eq!(core.role(), Role::Guard);
    assert_eq!(core.try_apply(switch(Role::Reviewer, "review-pw")), Ok(()));
    assert_eq!(core.role(), Role::Reviewer);
    assert_eq!(core.try_apply(seek()), Ok(()));
    assert!(core.is_reviewing());
    // A reviewer still cannot configure; the Reviewer password does not open Installer.
    assert!(matches!(
        core.try_apply(set_recording()),
        Err(Refused::NeedsRole { .. })
    ));
    assert!(
        core.try_apply(switch(Role::Installer, "review-pw"))
            .is_err()
    );
    // The Installer password opens Installer, and configuration changes apply.
    assert_eq!(
        core.try_apply(switch(Role::Installer, "install-pw")),
        Ok(())
    );
    assert_eq!(core.try_apply(set_recording()), Ok(()));
    assert_eq!(
        core.site().cameras[0].recording.as_ref().map(|r| r.mode),
        Some(RecordingMode::Events)
    );
    // Down to Guard without a password: the review closes with it.
    assert_eq!(core.try_apply(switch(Role::Guard, "")), Ok(()));
    assert_eq!(core.role(), Role::Guard);
    assert!(!core.is_reviewing());
    // An installer password also opens the roles below it.
    assert_eq!(core.try_apply(switch(Role::Reviewer, "install-pw")), Ok(()));

    assert!(core.flush_audit(Duration::from_secs(10)));
    let trail: Vec<(String, String, String)> = core
        .audit_entries()
        .into_iter()
        .map(|e| (e.action, e.role, e.target))
        .collect();
    let expected: Vec<(String, String, String)> = [
        ("refused", "guard", ""),
        ("refused", "guard", "cam1"),
        ("refused", "guard", "cam1"),
        ("refused", "guard", "cam1"),
        ("role_switch_refused", "guard", "reviewer"),
        ("role_switch", "reviewer", "reviewer"),
        ("review_open", "reviewer", "cam1"),
        ("refused", "reviewer", "cam1"),
        ("role_switch_refused", "reviewer", "installer"),
        ("role_switch", "installer", "installer"),
        ("config_change", "installer", "cam1"),
        ("role_switch", "guard", "guard"),
        ("role_switch", "reviewer", "reviewer"),
    ]
    .iter()
    .map(|(a, r, t)| ((*a).to_owned(), (*r).to_owned(), (*t).to_owned()))
    .collect();
    assert_eq!(trail, expected);
    let entries = core.audit_entries();
    assert!(entries.iter().all(|e| e.operator == "alice"));
    assert!(entries[10].details.contains("Events"), "{:?}", entries[10]);
    assert_eq!(entries[0].time_ns, NOW_S * NANOS_PER_SEC);
    core.shutdown(Duration::from_secs(5));

    let store = vigil_store::Store::open(&dir.path().join("recordings")).expect("index");
    assert!(matches!(
        store.verify_audit().expect("verify"),
        vigil_store::AuditCheck::Intact { entries: 13, .. }
    ));
}

#[test]
fn without_role_passwords_the_app_is_single_user_installer() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut core = core(site(false), dir.path());
    assert!(core.operator().single_user);
    assert_eq!(core.role(), Role::Installer);
    assert_eq!(core.try_apply(set_recording()), Ok(()));
    assert_eq!(
        core.try_apply(Command::AddBookmark {
            cameras: vec!["cam1".into()],
            range: TimeRange::new(
                WallNanos::from_secs(NOW_S - 10),
                WallNanos::from_secs(NOW_S)
            ),
            note: "forklift, \"near miss\"".to_owned(),
        }),
        Ok(())
    );
    assert_eq!(core.try_apply(Command::RemoveBookmark(1)), Ok(()));
    assert_eq!(core.try_apply(export(dir.path())), Ok(()));
    // Down and up again: there is no password to ask for.
    assert_eq!(core.try_apply(switch(Role::Guard, "")), Ok(()));
    assert!(core.try_apply(seek()).is_err());
    assert_eq!(core.try_apply(switch(Role::Installer, "")), Ok(()));
    assert!(core.flush_audit(Duration::from_secs(10)));
    let actions: Vec<String> = core.audit_entries().into_iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        [
            "config_change",
            "bookmark_add",
            "bookmark_remove",
            "export",
            "role_switch",
            "refused",
            "role_switch"
        ]
    );
    let entries = core.audit_entries();
    assert_eq!(entries[1].target, "cam1");
    assert!(
        entries[1].details.contains("note: forklift, \"near miss\""),
        "{:?}",
        entries[1]
    );
    assert_eq!(entries[2].target, "bookmark 1");
    assert!(
        entries[3].details.contains("case: case 7; reason: theft"),
        "{:?}",
        entries[3]
    );
    core.shutdown(Duration::from_secs(5));
}

#[test]
fn the_audit_hook_records_actions_from_outside_the_commands() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut core = core(site(true), dir.path());
    core.audit("alarm_acknowledge", "cam1", "alarm 4: note \"seen\"");
    assert!(core.try_apply(switch(Role::Reviewer, "review-pw")).is_ok());
    assert!(core.flush_audit(Duration::from_secs(10)));
    let first = &core.audit_entries()[0];
    assert_eq!(
        (
            first.action.as_str(),
            first.role.as_str(),
            first.target.as_str()
        ),
        ("alarm_acknowledge", "guard", "cam1")
    );
    core.shutdown(Duration::from_secs(5));
}
