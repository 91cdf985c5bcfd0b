//! Cameras changed live through `Command::ChangeSite`, with no window: clip files played
//! as if live through the real ingest, decoders and recorders. A camera added starts; an
//! edited URL restarts that camera alone (the other's connection is the same object); a
//! removed camera stops and its recorder closes its segment; an invalid change is
//! refused with the site file's message and leaves the file on disk as it was; the
//! password goes to the credential store and never into the site file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::sync::Arc;
use std::time::{Duration, Instant};

use vigil_config::{
    CameraConfig, CameraId, CredentialStore, RecordingConfig, RecordingMode, Site, load_site,
    site_to_toml,
};
use vigil_core::{
    CameraEdit, ChangeOutcome, Command, Core, CoreOptions, PasswordChange, SiteChange, TileContent,
    Viewport,
};

/// A 10 s test-pattern clip, one keyframe a second.
fn clip(dir: &Path, name: &str, pattern: &str) -> PathBuf {
    let path = dir.join(format!("{name}.mp4"));
    let status = Process::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"])
        .arg("-i")
        .arg(format!("{pattern}=size=320x180:rate=25:duration=10"))
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-bf", "0"])
        .args(["-g", "25", "-pix_fmt", "yuv420p"])
        .arg(&path)
        .status()
        .expect("run ffmpeg (scripts/deps.sh installs it)");
    assert!(status.success(), "ffmpeg could not make {name}");
    path
}

fn step_until(core: &mut Core, what: &str, mut done: impl FnMut(&Core) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        core.step();
        if done(core) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: not after 30 s");
        std::thread::sleep(Duration::from_millis(16));
    }
}

/// The tile showing `camera` has a live picture.
fn shows_picture(core: &Core, camera: &str) -> bool {
    core.view().tiles.iter().any(|t| match &t.content {
        TileContent::Live(live) => live.camera.id == camera && live.picture.is_some(),
        _ => false,
    })
}

fn save(original: Option<&str>, camera: CameraConfig, password: PasswordChange) -> Command {
    Command::ChangeSite(SiteChange::Save(Box::new(CameraEdit {
        original: original.map(CameraId::from),
        camera,
        password,
    })))
}

/// Steps until the saver wrote the site as the core holds it.
fn wait_saved(core: &mut Core, path: &Path) {
    step_until(core, "the site file saved", |c| {
        load_site(path).is_ok_and(|on_disk| on_disk == *c.site())
    });
}

#[test]
fn cameras_are_added_edited_and_removed_live() {
    let dir = tempfile::tempdir().unwrap();
    let bars = clip(dir.path(), "bars", "testsrc2");
    let other = clip(dir.path(), "other", "smptebars");
    let site_path = dir.path().join("site.toml");
    let storage = dir.path().join("recordings");

    let mut lobby = CameraConfig::new("lobby", "Lobby", bars.display().to_string());
    lobby.recording = Some(RecordingConfig::new(RecordingMode::Continuous));
    let mut site = Site::empty();
    site.cameras.push(lobby);
    site.wall.assignment = vec![Some("lobby".into()), None, None, None];
    // Passwords go to the encrypted vault (the OS keyring has its own test).
    site.credentials = Some(vigil_config::CredentialsConfig {
        store: vigil_config::PasswordStoreKind::Vault,
    });
    vigil_config::save_site_atomic(&site_path, &site).unwrap();
    let credentials_path = dir.path().join("credentials.toml");
    let vault_password = |id: &str| {
        vigil_secrets::Vault::open(&vigil_secrets::vault_path(&credentials_path), "vault pp")
            .ok()
            .and_then(|v| v.get(id).map(str::to_owned))
    };

    let mut core = Core::new(
        site,
        CredentialStore::new(&credentials_path),
        CoreOptions {
            snapshot_dir: dir.path().join("snapshots"),
            site_path: Some(site_path.clone()),
            storage: Some(storage.clone()),
            demo_history_hours: None,
            clock: vigil_time::real_clock(),
        },
        Arc::new(|| {}),
    );
    core.set_viewport(Viewport {
        width_points: 800.0,
        height_points: 600.0,
        pixels_per_point: 1.0,
    });
    step_until(&mut core, "lobby live", |c| shows_picture(c, "lobby"));
    step_until(&mut core, "lobby recording", |c| {
        c.recorder_status("lobby").is_some_and(|s| s.segments > 0)
            || c.recorder_status("lobby")
                .is_some_and(|s| s.state == vigil_record::RecorderState::Recording)
    });
    let lobby_connection = core.connection("lobby", "main").expect("lobby connected");

    // Add: the new camera takes the first empty tile and starts; its password goes to
    // the credential store, not the site file.
    let password = "p@ss:/%#?\" wörd";
    let mut yard = CameraConfig::new("yard", "Yard", bars.display().to_string());
    yard.username = Some("viewer".into());
    yard.group = Some("Outside".into());
    // The vault's passphrase is not known yet: the change waits for it.
    core.apply(save(
        None,
        yard.clone(),
        PasswordChange::Set(password.into()),
    ));
    if std::env::var_os(vigil_secrets::VAULT_PASSPHRASE_ENV).is_none() {
        assert_eq!(
            core.take_change_outcome(),
            Some(ChangeOutcome::NeedsPassphrase)
        );
        assert!(core.site().camera("yard").is_none());
    }
    core.apply(Command::UnlockVault(vigil_core::VaultPassphrase(
        "vault pp".into(),
    )));
    core.apply(save(
        None,
        yard.clone(),
        PasswordChange::Set(password.into()),
    ));
    assert!(matches!(
        core.take_change_outcome(),
        Some(ChangeOutcome::Applied(ref said)) if said == "Camera \"Yard\" added"
    ));
    assert_eq!(core.site().wall.assignment[1].as_deref(), Some("yard"));
    step_until(&mut core, "yard live", |c| shows_picture(c, "yard"));
    wait_saved(&mut core, &site_path);
    let text = std::fs::read_to_string(&site_path).unwrap();
    assert!(text.contains("id = \"yard\"") && text.contains("group = \"Outside\""));
    assert!(!text.contains(password) && !text.contains("wörd"), "{text}");
    // The password is in the vault; credentials.toml holds the user name only.
    assert_eq!(vault_password("yard").as_deref(), Some(password));
    let file = std::fs::read_to_string(&credentials_path).unwrap();
    assert!(
        file.contains("viewer") && !file.contains("wörd") && !file.contains("password"),
        "{file}"
    );
    let yard_connection = core.connection("yard", "main").expect("yard connected");
    assert!(Arc::ptr_eq(
        &lobby_connection,
        &core.connection("lobby", "main").unwrap()
    ));

    // Edit the URL: only the yard restarts.
    yard.source = other.display().to_string();
    core.apply(save(Some("yard"), yard.clone(), PasswordChange::Keep));
    step_until(&mut core, "yard reconnected", |c| {
        c.connection("yard", "main")
            .is_some_and(|now| !Arc::ptr_eq(&now, &yard_connection))
            && shows_picture(c, "yard")
    });
    assert!(
        Arc::ptr_eq(
            &lobby_connection,
            &core.connection("lobby", "main").unwrap()
        ),
        "editing the yard restarted the lobby"
    );
    // The password was kept.
    assert_eq!(
        core.credentials().get("yard").map(|c| c.password),
        Some(password.to_owned())
    );

    // A new password alone reconnects the yard (with it), and only the yard.
    // (The camera exactly as the core has it, sizes learnt included: only the
    // password differs.)
    // The yard settles first (sizes learnt from its new stream are written back).
    for _ in 0..100 {
        core.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    let yard_connection = core.connection("yard", "main").unwrap();
    for _ in 0..50 {
        core.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        Arc::ptr_eq(&yard_connection, &core.connection("yard", "main").unwrap()),
        "the yard's connection is not steady"
    );
    let unchanged = core.site().camera("yard").unwrap().clone();
    core.apply(save(
        Some("yard"),
        unchanged,
        PasswordChange::Set("second".into()),
    ));
    step_until(&mut core, "yard reconnected with its new password", |c| {
        c.connection("yard", "main")
            .is_some_and(|now| !Arc::ptr_eq(&now, &yard_connection))
            && shows_picture(c, "yard")
    });
    assert!(Arc::ptr_eq(
        &lobby_connection,
        &core.connection("lobby", "main").unwrap()
    ));
    assert_eq!(vault_password("yard").as_deref(), Some("second"));

    // Invalid: a duplicate id is refused with the site file's message, nothing changes.
    wait_saved(&mut core, &site_path);
    let before = std::fs::read(&site_path).unwrap();
    let site_before = core.site().clone();
    core.apply(save(
        None,
        CameraConfig::new("lobby", "Second lobby", bars.display().to_string()),
        PasswordChange::Keep,
    ));
    let Some(ChangeOutcome::Refused(issues)) = core.take_change_outcome() else {
        panic!("a duplicate id was not refused")
    };
    assert!(issues[0].message.contains("duplicate camera id `lobby`"));
    core.apply(save(
        Some("yard"),
        CameraConfig::new("yard", "Yard", "rtsp://admin:secret@10.0.0.9/live"),
        PasswordChange::Keep,
    ));
    let Some(ChangeOutcome::Refused(issues)) = core.take_change_outcome() else {
        panic!("a URL with a password was not refused")
    };
    assert!(
        issues[0]
            .message
            .contains("contains a user name or password")
    );
    assert!(!issues[0].message.contains("secret"));
    for _ in 0..30 {
        core.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(*core.site(), site_before);
    assert_eq!(std::fs::read(&site_path).unwrap(), before);
    assert_eq!(site_to_toml(core.site()).unwrap().as_bytes(), &before[..]);

    // Remove the recording lobby: it stops, its recorder closes its segment, its tile
    // empties; the yard keeps its connection.
    let yard_connection = core.connection("yard", "main").unwrap();
    core.apply(Command::ChangeSite(SiteChange::Remove("lobby".into())));
    assert_eq!(core.site().wall.assignment[0], None);
    step_until(&mut core, "lobby stopped", |c| {
        c.connection("lobby", "main").is_none() && c.recorder_status("lobby").is_none()
    });
    assert!(Arc::ptr_eq(
        &yard_connection,
        &core.connection("yard", "main").unwrap()
    ));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let store = vigil_store::Store::open(&storage).unwrap();
        let segments = store.segments(Some("lobby")).unwrap();
        assert!(!segments.is_empty(), "the lobby recorded nothing");
        if segments
            .iter()
            .all(|s| !s.recording && s.end_ns > s.start_ns)
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the lobby's segment was not closed: {segments:?}"
        );
        core.step();
        std::thread::sleep(Duration::from_millis(50));
    }
    wait_saved(&mut core, &site_path);
    assert!(
        !std::fs::read_to_string(&site_path)
            .unwrap()
            .contains("lobby")
    );
    // A removed camera's password leaves the vault and credentials.toml.
    core.apply(Command::ChangeSite(SiteChange::Remove("yard".into())));
    assert_eq!(vault_password("yard"), None);
    let file = std::fs::read_to_string(&credentials_path).unwrap();
    assert!(!file.contains("yard"), "{file}");
    core.shutdown(Duration::from_secs(5));
}

/// The panel's Test on a clip played as if live: codec, size, frame rate, a keyframe
/// every second (the clip has one every 25 frames at 25 fps), time to first picture.
#[test]
fn the_stream_test_measures_a_stream() {
    use vigil_core::{ProbeStage, StreamProbe};
    let dir = tempfile::tempdir().unwrap();
    let bars = clip(dir.path(), "bars", "testsrc2");
    let camera = CameraConfig::new("t", "Test", bars.display().to_string());
    let store = CredentialStore::new(&dir.path().join("credentials.toml"));
    let probe = StreamProbe::start(&camera, None, &store, Arc::new(|| {})).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let report = loop {
        let report = probe.report();
        if report.stage == ProbeStage::Done {
            break report;
        }
        assert!(
            !matches!(report.stage, ProbeStage::Failed(_)) && Instant::now() < deadline,
            "{report:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(report.codec.as_deref(), Some("h264"));
    assert_eq!((report.width, report.height), (320, 180));
    let fps = report.fps.unwrap();
    assert!((20.0..=30.0).contains(&fps), "{fps}");
    let gop = report.keyframe_interval_secs.unwrap();
    assert!((gop - 1.0).abs() < 0.05, "{gop}");
    assert!(report.first_frame_ms.unwrap() < 5000);
    assert!(report.frame.is_some());
    assert_eq!(report.anonymous, vigil_core::Anonymous::NotTried);

    // A file that is not there fails with the reason.
    let missing = CameraConfig::new(
        "m",
        "Missing",
        dir.path().join("nope.mp4").display().to_string(),
    );
    let probe = StreamProbe::start(&missing, None, &store, Arc::new(|| {})).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let ProbeStage::Failed(why) = probe.report().stage {
            assert!(
                why.contains("not found") || why.contains("No such"),
                "{why}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "{:?}", probe.report());
        std::thread::sleep(Duration::from_millis(50));
    }
}
