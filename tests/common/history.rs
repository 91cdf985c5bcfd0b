//! The app on the demo site's 2×2 wall over half an hour of seeded recordings: the
//! fixture the accessibility and export tests start from.

use std::path::Path;
use std::time::Duration;

use egui_kittest::Harness;
use vigil_app::{AppOptions, VigilApp};
use vigil_config::{CredentialStore, demo_site};

use super::{app_options, run_until};

pub struct Fixture {
    pub harness: Harness<'static, VigilApp>,
    pub dir: tempfile::TempDir,
}

/// Builds the app, lets `prepare` adjust it (given the test's folder) before its first
/// frame, and runs it until all four tiles are live and every track shows recordings.
pub fn app_with_history(prepare: impl FnOnce(&mut VigilApp, &Path)) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = dir.path().join("recordings");
    let mut site = demo_site(&vigil::assets::demo_dir());
    site.wall.layout = "2x2".to_owned();
    site.wall.assignment.clear();
    vigil_record::seed::ensure_demo_history(&storage, &site, 0.5).expect("seed");
    let credentials = CredentialStore::new(&dir.path().join("credentials.toml"));
    let options = AppOptions {
        storage: Some(storage),
        ..app_options(dir.path(), false)
    };
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1600.0, 900.0))
        .wgpu()
        .build_eframe(move |cc| VigilApp::new(cc, site, credentials, options));
    prepare(harness.state_mut(), dir.path());
    assert!(
        run_until(&mut harness, Duration::from_secs(30), |app| {
            let tracks = app.timeline().tracks();
            app.core().live_pictures() == 4
                && tracks.len() == 4
                && tracks.iter().all(|t| !t.recorded.is_empty())
        }),
        "the wall did not come up with its recordings"
    );
    Fixture { harness, dir }
}
