//! Snapshots land in the user's Pictures folder (issue 17): with a home directory whose
//! `user-dirs.dirs` names `~/Bilder`, the Snapshot button writes a PNG into
//! `~/Bilder/Vigil` and the status bar says the full path of the file.

mod common;

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use vigil_app::{AppOptions, VigilApp};
use vigil_config::{CredentialStore, demo_site, snapshot_dir_with};

use common::run_until;

#[test]
fn the_snapshot_button_saves_into_pictures_vigil_and_says_where() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join(".config")).expect("config dir");
    std::fs::write(
        home.join(".config/user-dirs.dirs"),
        "XDG_DESKTOP_DIR=\"$HOME/Desktop\"\nXDG_PICTURES_DIR=\"$HOME/Bilder\"\n",
    )
    .expect("user-dirs.dirs");
    let mut site = demo_site(&vigil::assets::demo_dir());
    site.wall.layout = "1x1".to_owned();
    let home_var = OsString::from(&home);
    // The real file reader, on a home directory of our own.
    let snapshots = snapshot_dir_with(
        &site,
        |name| (name == "HOME").then(|| home_var.clone()),
        |path| std::fs::read_to_string(path).ok(),
    )
    .expect("a snapshot folder");
    let expected: PathBuf = home.join("Bilder").join("Vigil");
    assert_eq!(snapshots, expected);

    let credentials = CredentialStore::new(&dir.path().join("credentials.toml"));
    let options = AppOptions {
        snapshot_dir: snapshots.clone(),
        ..common::app_options(dir.path(), false)
    };
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .wgpu()
        .build_eframe(move |cc| VigilApp::new(cc, site, credentials, options));
    assert!(
        run_until(&mut harness, Duration::from_secs(30), |app| app
            .core()
            .live_pictures()
            == 1),
        "no live picture"
    );
    harness.get_by_label_contains("Tile 1: ").click();
    harness.run_steps(2);
    harness.get_by_label("Snapshot").click();
    let saved = |dir: &std::path::Path| -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default()
    };
    assert!(
        run_until(&mut harness, Duration::from_secs(20), |app| {
            app.core().status().is_some_and(|s| s.contains("saved to"))
        }),
        "no snapshot message; status {:?}",
        harness.state().core().status()
    );
    let files = saved(&expected);
    assert_eq!(files.len(), 1, "{files:?}");
    let file = &files[0];
    assert_eq!(file.extension().and_then(|e| e.to_str()), Some("png"));
    let png = image::open(file).expect("a PNG");
    assert!(png.width() >= 320, "{}", png.width());
    // The status bar says where it went, in full.
    harness.run_steps(2);
    harness.get_by_label_contains(&file.display().to_string());
}
