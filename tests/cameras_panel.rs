//! The Cameras window driven by labels (egui_kittest, wgpu on lavapipe) against a real
//! GStreamer RTSP server that asks for a password: open Cameras, Add, fill name, URL,
//! user and a password full of URL-special and non-ASCII characters, Test (codec and
//! resolution from the stream, the camera refuses anonymous viewers), Save: the camera
//! is on the wall with real pixels and in the site file, and the password is in the
//! credential store only — not in the site file, not in any log line (captured raw,
//! before redaction). A duplicate id and a bad URL are shown next to their fields and
//! nothing is saved. A second server without authentication gets the anonymous-viewer
//! warning.
//!
//! Its own test binary: it installs the global log subscriber.

mod common;

use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use tracing_subscriber::layer::SubscriberExt as _;
use vigil_app::cameras_panel::{
    ADD_LABEL, ANONYMOUS_WARNING, CANCEL_LABEL, ID_LABEL, NAME_LABEL, OPEN_LABEL, PASSPHRASE_LABEL,
    PASSWORD_LABEL, SAVE_LABEL, TEST_LABEL, UNLOCK_LABEL, URL_LABEL, USER_LABEL,
};
use vigil_app::{AppOptions, VigilApp};
use vigil_config::{CredentialStore, Site};
use vigil_core::{Anonymous, ProbeStage};

use common::{RtspServer, run_until, stddev};

const PASSWORD: &str = "p@ss:/%#?\" wörd ключ";
const VAULT_PASSPHRASE: &str = "vault pass phrase";

use common::capture::Capture;

/// Every log line at every level, as written (no redaction in between).
fn capture_logs() -> Capture {
    let capture = Capture::default();
    let layer = tracing_subscriber::fmt::layer()
        .without_time()
        .with_ansi(false)
        .with_writer(capture.clone());
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry()
            .with(tracing_subscriber::filter::LevelFilter::TRACE)
            .with(layer),
    )
    .expect("first subscriber");
    capture
}

/// Clicks the field of `role` named `label` until it has the focus, then pastes `text`
/// (replacing what it held).
fn type_into(harness: &mut Harness<'_, VigilApp>, role: Role, label: &str, text: &str) {
    for _ in 0..5 {
        harness.get_by_role_and_label(role, label).click();
        harness.run_steps(2);
        if harness.get_by_role_and_label(role, label).is_focused() {
            break;
        }
    }
    assert!(
        harness.get_by_role_and_label(role, label).is_focused(),
        "{label} does not take the focus"
    );
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.run_steps(1);
    harness.event(egui::Event::Paste(text.to_owned()));
    harness.run_steps(2);
}

fn click(harness: &mut Harness<'_, VigilApp>, label: &str) {
    harness.get_by_role_and_label(Role::Button, label).click();
    harness.run_steps(2);
}

fn has_label(harness: &Harness<'_, VigilApp>, text: &str) -> bool {
    harness.query_all_by_label_contains(text).next().is_some()
}

/// Runs the test in the window until it measured, or fails with the report.
fn wait_test_done(harness: &mut Harness<'_, VigilApp>) -> vigil_core::ProbeReport {
    let done = run_until(harness, Duration::from_secs(30), |app| {
        app.core().probe_report().is_some_and(|r| {
            r.stage == ProbeStage::Done && !matches!(r.anonymous, Anonymous::Trying)
        })
    });
    let report = harness.state().core().probe_report();
    assert!(done, "the test did not finish: {report:?}");
    harness.run_steps(2);
    report.expect("a report")
}

#[test]
fn a_camera_is_added_tested_and_saved_through_the_cameras_window() {
    let logs = capture_logs();
    let server = RtspServer::start(
        0,
        &[
            "--mount",
            "front:h264:640x360:15",
            "--auth",
            "basic",
            "--user",
            "admin",
            "--password",
            PASSWORD,
        ],
    );
    let open_server = RtspServer::start(0, &["--mount", "open:h264:320x240:15"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let site_path = dir.path().join("site.toml");
    let credentials_path = dir.path().join("credentials.toml");
    // Passwords go to the encrypted vault (the keyring: tests/credentials_panel.rs).
    let mut site = Site::empty();
    site.credentials = Some(vigil_config::CredentialsConfig {
        store: vigil_config::PasswordStoreKind::Vault,
    });
    vigil_config::save_site_atomic(&site_path, &site).expect("save");
    let credentials = CredentialStore::new(&credentials_path);
    let options = AppOptions {
        site_path: Some(site_path.clone()),
        ..common::app_options(dir.path(), false)
    };
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1600.0, 1000.0))
        .wgpu()
        .build_eframe(move |cc| VigilApp::new(cc, site, credentials, options));
    harness.run_steps(3);

    click(&mut harness, OPEN_LABEL);
    click(&mut harness, ADD_LABEL);
    type_into(&mut harness, Role::TextInput, NAME_LABEL, "Front door");
    assert_eq!(
        harness
            .get_by_role_and_label(Role::TextInput, ID_LABEL)
            .value()
            .as_deref(),
        Some("front-door"),
        "the id follows the name"
    );
    type_into(
        &mut harness,
        Role::TextInput,
        URL_LABEL,
        &server.url("front"),
    );
    type_into(&mut harness, Role::TextInput, USER_LABEL, "admin");
    type_into(&mut harness, Role::PasswordInput, PASSWORD_LABEL, PASSWORD);

    // Test: the stream's figures, and the camera refuses viewers without credentials.
    click(&mut harness, TEST_LABEL);
    let report = wait_test_done(&mut harness);
    assert_eq!((report.width, report.height), (640, 360));
    assert_eq!(report.codec.as_deref(), Some("h264"));
    let gop = report.keyframe_interval_secs.expect("keyframe interval");
    assert!((gop - 1.0).abs() < 0.15, "keyframe interval {gop}");
    assert!(
        matches!(report.anonymous, Anonymous::Refused(_)),
        "{report:?}"
    );
    assert!(has_label(&harness, "Codec h264 · 640×360"));
    assert!(has_label(&harness, "keyframe every 1.0 s"));
    assert!(has_label(&harness, "the camera refuses the stream"));
    assert!(!has_label(&harness, ANONYMOUS_WARNING));

    // Save: the vault's passphrase is asked once (masked), then the camera is on the
    // wall with real pixels, in the site file, and the password in the vault only.
    click(&mut harness, SAVE_LABEL);
    if std::env::var_os(vigil_secrets::VAULT_PASSPHRASE_ENV).is_none() {
        harness.run_steps(3);
        assert!(
            harness.state().site().cameras.is_empty(),
            "saved before the vault opened"
        );
        type_into(
            &mut harness,
            Role::PasswordInput,
            PASSPHRASE_LABEL,
            VAULT_PASSPHRASE,
        );
        assert!(
            !has_label(&harness, VAULT_PASSPHRASE),
            "the passphrase is shown"
        );
        click(&mut harness, UNLOCK_LABEL);
    }
    assert!(
        run_until(&mut harness, Duration::from_secs(30), |app| {
            app.core().shown_size("front-door") == Some((640, 360))
        }),
        "the saved camera does not show on the wall: {:?}",
        harness.state().core().camera_state("front-door")
    );
    harness.run_steps(3);
    let pictures = harness.state().picture_rects().to_vec();
    assert_eq!(pictures.len(), 1, "{pictures:?}");
    let image = harness.render().expect("render");
    let sd = stddev(&image, pictures[0]);
    assert!(sd > 10.0, "the tile shows no video (stddev {sd:.1})");
    assert!(
        run_until(&mut harness, Duration::from_secs(10), |_| {
            vigil_config::load_site(&site_path).is_ok_and(|s| s.camera("front-door").is_some())
        }),
        "the camera is not in the site file"
    );
    let text = std::fs::read_to_string(&site_path).expect("site file");
    assert!(text.contains("username = \"admin\""), "{text}");
    for part in [PASSWORD, "wörd", "ключ", "p@ss"] {
        assert!(
            !text.contains(part),
            "the site file holds the password: {text}"
        );
    }
    let stored = std::fs::read_to_string(&credentials_path).expect("credentials.toml");
    assert!(stored.contains("admin"), "{stored}");
    for part in [PASSWORD, "wörd", "ключ", "p@ss", VAULT_PASSPHRASE] {
        assert!(
            !stored.contains(part),
            "credentials.toml holds it: {stored}"
        );
    }
    let vault = vigil_secrets::Vault::open(
        &vigil_secrets::vault_path(&credentials_path),
        &std::env::var(vigil_secrets::VAULT_PASSPHRASE_ENV)
            .unwrap_or_else(|_| VAULT_PASSPHRASE.to_owned()),
    )
    .expect("the vault opens");
    assert_eq!(vault.get("front-door"), Some(PASSWORD));

    // Invalid: a duplicate id and a URL that is not RTSP are shown, nothing is saved.
    let before = std::fs::read(&site_path).expect("site file");
    click(&mut harness, ADD_LABEL);
    type_into(&mut harness, Role::TextInput, NAME_LABEL, "Front door");
    type_into(
        &mut harness,
        Role::TextInput,
        URL_LABEL,
        "http://10.0.0.7/video",
    );
    harness.run_steps(2);
    assert!(has_label(&harness, "duplicate camera id `front-door`"));
    assert!(has_label(&harness, "http"), "the bad URL has no message");
    let save = harness.get_by_role_and_label(Role::Button, SAVE_LABEL);
    assert!(
        save.accesskit_node().is_disabled(),
        "Save is offered for an invalid camera"
    );
    save.click();
    harness.run_steps(5);
    assert_eq!(harness.state().site().cameras.len(), 1);
    assert_eq!(std::fs::read(&site_path).expect("site file"), before);

    // A URL with the password in it: split into the fields, never kept in the URL.
    type_into(&mut harness, Role::TextInput, ID_LABEL, "yard");
    type_into(
        &mut harness,
        Role::TextInput,
        URL_LABEL,
        &format!(
            "rtsp://viewer:secret%20pw@127.0.0.1:{}/open",
            open_server.port
        ),
    );
    assert!(has_label(&harness, "moved out of the URL"));
    assert_eq!(
        harness
            .get_by_role_and_label(Role::TextInput, URL_LABEL)
            .value()
            .as_deref(),
        Some(open_server.url("open").as_str())
    );
    assert_eq!(
        harness
            .get_by_role_and_label(Role::TextInput, USER_LABEL)
            .value()
            .as_deref(),
        Some("viewer")
    );
    // This server lets anyone watch: the test says so.
    click(&mut harness, TEST_LABEL);
    let report = wait_test_done(&mut harness);
    assert_eq!(report.anonymous, Anonymous::Accepted);
    assert!(has_label(&harness, ANONYMOUS_WARNING));
    click(&mut harness, CANCEL_LABEL);
    harness.run_steps(3);
    assert!(harness.state().core().probe_report().is_none());
    assert_eq!(std::fs::read(&site_path).expect("site file"), before);

    harness
        .state_mut()
        .core_mut()
        .shutdown(Duration::from_secs(3));
    let logs = String::from_utf8_lossy(&logs.0.lock().expect("logs")).into_owned();
    assert!(
        logs.contains("front-door"),
        "nothing was logged about the camera"
    );
    for part in [PASSWORD, "wörd", "ключ", "p@ss", "secret", VAULT_PASSPHRASE] {
        assert!(
            !logs.contains(part),
            "a log line holds the password ({part})"
        );
    }
}
