//! The wall's alerts, rendered with egui_kittest on the GPU: a camera detecting motion
//! in a live file (a box enters at 3 s) gets its moving cells drawn over the picture and
//! a border in the alarm's severity colour; acknowledging the alarm by its label in the
//! alarm queue changes its state and bookmarks the event's range in the index.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::Duration;

use common::run_until;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use vigil_app::AppOptions;
use vigil_app::VigilApp;
use vigil_config::{CameraConfig, CredentialStore, Site};
use vigil_core::AlarmState;
use vigil_store::Store;

/// A still textured scene with a white box moving right from 3 s to 12 s.
fn box_clip(dir: &Path) -> PathBuf {
    let out = dir.join("box.mp4");
    let graph = "testsrc2=size=640x360:rate=25:duration=0.04,loop=loop=-1:size=1:start=0,setpts=N/25/TB[bg];\
                 color=c=white:size=80x80:rate=25[box];\
                 [bg][box]overlay=x='40+(t-3)*40':y=140:enable='between(t,3,12)'";
    let status = Process::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            graph,
        ])
        .args([
            "-t",
            "30",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "25",
        ])
        .args(["-bf", "0", "-pix_fmt", "yuv420p"])
        .arg(&out)
        .status()
        .expect("run ffmpeg");
    assert!(status.success());
    out
}

fn has_colour(image: &image::RgbaImage, colour: [u8; 3]) -> usize {
    image
        .pixels()
        .filter(|p| p.0[0] == colour[0] && p.0[1] == colour[1] && p.0[2] == colour[2])
        .count()
}

#[test]
fn motion_overlay_alarm_border_and_acknowledging_by_label() {
    let dir = tempfile::tempdir().unwrap();
    let clip = box_clip(dir.path());
    let mut camera = CameraConfig::new("cam", "Yard", clip.to_str().unwrap());
    camera.detection = Some(vigil_detect::Settings {
        tamper: false,
        ..vigil_detect::Settings::default()
    });
    let mut site = Site::empty();
    site.cameras.push(camera);
    site.wall.layout = "1x1".into();
    site.wall.assignment = vec![Some("cam".into())];
    let storage = dir.path().join("recordings");
    let options = AppOptions {
        storage: Some(storage.clone()),
        ..common::app_options(dir.path(), false)
    };
    let credentials = CredentialStore::new(&dir.path().join("credentials.toml"));
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1200.0, 800.0))
        .wgpu()
        .build_eframe(move |cc| VigilApp::new(cc, site, credentials, options));

    assert!(
        run_until(&mut harness, Duration::from_secs(30), |app| {
            app.core().alarms().iter().any(|a| a.kind == "motion")
        }),
        "no motion alarm"
    );
    // Render until both show: the border flashes (0.5 s on, 0.5 s off) and the moving
    // cells are those of the newest frame.
    let border = [255, 150, 0]; // warning: motion's default severity
    let outline = [255, 60, 60]; // the moving cells' bounding box
    let mut seen = (0, 0);
    for _ in 0..20 {
        harness.step();
        let image = harness.render().expect("render");
        seen.0 = seen.0.max(has_colour(&image, border));
        seen.1 = seen.1.max(has_colour(&image, outline));
        if seen.0 > 1000 && seen.1 > 50 {
            break;
        }
        std::thread::sleep(Duration::from_millis(150));
    }
    assert!(seen.0 > 1000, "the alarm border is drawn: {seen:?}");
    assert!(seen.1 > 50, "the motion box is drawn: {seen:?}");
    assert_eq!(harness.state().core().unacknowledged_alarms(Some("cam")), 1);

    // The queue, then Acknowledge by label.
    harness.get_by_label("Alarms, 1 unacknowledged").click();
    harness.run_steps(3);
    harness
        .get_by_role_and_label(Role::TextInput, "Alarm note")
        .click();
    harness.run_steps(2);
    harness.event(egui::Event::Paste("checked: a test box".to_owned()));
    harness.run_steps(2);
    harness.get_by_label("Acknowledge").click();
    harness.run_steps(3);
    let alarm = harness
        .state()
        .core()
        .alarms()
        .iter()
        .find(|a| a.kind == "motion")
        .cloned()
        .expect("alarm");
    assert_eq!(alarm.state, AlarmState::Acknowledged);
    assert_eq!(alarm.note, "checked: a test box");
    assert_eq!(harness.state().core().unacknowledged_alarms(None), 0);
    let store = Store::open(&storage).expect("index");
    assert!(
        run_until(&mut harness, Duration::from_secs(5), |_| {
            store.bookmarks(Some("cam")).unwrap().iter().any(|b| {
                b.start_ns == alarm.start.nanos() && b.note.contains("checked: a test box")
            })
        }),
        "a bookmark over the event: {:?}",
        store.bookmarks(None).unwrap()
    );
    harness.get_by_label("Close alarm").click();
    harness.run_steps(2);
    assert_eq!(
        harness.state().core().alarms()[0].state,
        AlarmState::Closed,
        "closed, still in the history"
    );
    harness
        .state_mut()
        .core_mut()
        .shutdown(Duration::from_secs(2));
}
