//! PTZ through the headless core against the simulated ONVIF device (the onvif crate's
//! `tests/common/sim.rs`): the core finds the PTZ profile, sends ContinuousMove with the
//! asked speeds and Stop on release, stops on its own when no move is renewed (the
//! dead-man timeout), keeps only the newest of a flood of moves, lists, saves (audited)
//! and goes to presets, goes home, and says clearly when a camera has no PTZ.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../onvif/tests/common/sim.rs"]
mod sim;

use std::sync::Arc;
use std::time::{Duration, Instant};

use sim::{Sim, SimConfig, element_attribute, element_text};
use vigil_config::redact::Credentials;
use vigil_config::{CameraConfig, CameraId, CredentialStore, DeviceInfo, Site};
use vigil_core::{Command, Core, CoreOptions, PtzAction, PtzSpeeds, PtzState, PtzView};
use vigil_time::{SimClock, WallNanos};

const NOW_S: i64 = 1_764_460_800;

fn camera(id: &str, onvif: Option<String>) -> CameraConfig {
    let mut camera = CameraConfig::new(id, format!("Camera {id}"), "/nonexistent/clip.mp4");
    camera.username = Some("admin".to_owned());
    camera.device = onvif.map(|address| DeviceInfo {
        onvif: Some(address),
        ..DeviceInfo::default()
    });
    camera
}

fn core(site: Site, dir: &std::path::Path, storage: bool) -> Core {
    let mut credentials = CredentialStore::new(&dir.join("credentials.toml"));
    credentials.set(
        "ptz",
        Credentials {
            username: "admin".to_owned(),
            password: "9999".to_owned(),
        },
    );
    let mut core = Core::new(
        site,
        credentials,
        CoreOptions {
            snapshot_dir: dir.join("snapshots"),
            site_path: None,
            storage: storage.then(|| dir.join("recordings")),
            demo_history_hours: None,
            clock: SimClock::new(WallNanos::from_secs(NOW_S)),
        },
        Arc::new(|| {}),
    );
    core.set_operator_name("alice".to_owned());
    core
}

fn ptz_site(sim: &Sim) -> Site {
    let mut site = Site::empty();
    site.cameras.push(camera("ptz", Some(sim.host())));
    site.cameras.push(camera("fixed", None));
    site
}

fn id(s: &str) -> CameraId {
    CameraId::from(s)
}

fn ptz(camera: &str, action: PtzAction) -> Command {
    Command::Ptz {
        camera: id(camera),
        action,
    }
}

fn moving(pan: f32, tilt: f32, zoom: f32) -> Command {
    ptz("ptz", PtzAction::Move(PtzSpeeds { pan, tilt, zoom }))
}

/// Steps the core until `done` holds (or panics after 10 s, saying what it waited for).
fn wait(core: &mut Core, what: &str, mut done: impl FnMut(&mut Core) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done(core) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        core.step();
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn ready(core: &mut Core) -> PtzView {
    wait(core, "the PTZ profile", |c| {
        c.ptz_view(&id("ptz")).state == PtzState::Ready
            && !c.ptz_view(&id("ptz")).presets.is_empty()
    });
    core.ptz_view(&id("ptz"))
}

fn wait_requests(core: &mut Core, sim: &Sim, action: &str, n: usize) -> Vec<sim::Request> {
    wait(core, &format!("{n} {action}"), |_| {
        sim.requests_for(action).len() >= n
    });
    sim.requests_for(action)
}

#[test]
fn a_drag_moves_at_its_speeds_and_a_release_stops() {
    let sim = Sim::start(SimConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let mut core = core(ptz_site(&sim), dir.path(), false);
    core.step();
    let view = ready(&mut core);
    assert!(view.has_ptz);
    // The simulator's profiles: "main" has the PTZ configuration, "sub" does not.
    let moves_before = sim.requests_for("ContinuousMove").len();
    assert_eq!(moves_before, 0);

    core.apply(moving(0.5, -0.25, 0.0));
    let moves = wait_requests(&mut core, &sim, "ContinuousMove", 1);
    let body = &moves[0].body;
    assert_eq!(element_text(body, "ProfileToken"), Some("main"));
    assert_eq!(element_attribute(body, "PanTilt", "x"), Some("0.5"));
    assert_eq!(element_attribute(body, "PanTilt", "y"), Some("-0.25"));
    assert_eq!(element_attribute(body, "Zoom", "x"), Some("0"));
    assert!(moves.iter().all(|r| r.authenticated));
    wait(&mut core, "moving", |c| c.ptz_view(&id("ptz")).moving);

    // The same move again is a keepalive: nothing new goes to the camera.
    core.apply(moving(0.5, -0.25, 0.0));
    // A speed past the range is clamped before it leaves the core.
    core.apply(moving(3.0, 0.0, 0.0));
    let moves = wait_requests(&mut core, &sim, "ContinuousMove", 2);
    assert_eq!(element_attribute(&moves[1].body, "PanTilt", "x"), Some("1"));

    assert!(sim.requests_for("Stop").is_empty());
    core.apply(ptz("ptz", PtzAction::Stop));
    let stops = wait_requests(&mut core, &sim, "Stop", 1);
    assert_eq!(element_text(&stops[0].body, "ProfileToken"), Some("main"));
    wait(&mut core, "not moving", |c| !c.ptz_view(&id("ptz")).moving);
    assert_eq!(sim.requests_for("ContinuousMove").len(), 2);
}

#[test]
fn a_move_never_renewed_is_stopped_by_the_dead_man() {
    let sim = Sim::start(SimConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let mut core = core(ptz_site(&sim), dir.path(), false);
    core.step();
    ready(&mut core);
    core.apply(moving(0.0, 0.75, 0.0));
    wait_requests(&mut core, &sim, "ContinuousMove", 1);
    let moved_at = Instant::now();
    // No release comes (the app lost it): the worker stops the camera by itself.
    wait_requests(&mut core, &sim, "Stop", 1);
    let after = moved_at.elapsed();
    assert!(
        after >= vigil_core::ptz::DEADMAN - Duration::from_millis(100),
        "stopped after {after:?}, before the dead-man timeout"
    );
    wait(&mut core, "the reason", |c| {
        c.ptz_view(&id("ptz"))
            .message
            .is_some_and(|m| m.contains("went quiet"))
    });
}

#[test]
fn keepalives_hold_a_move_past_the_dead_man() {
    let sim = Sim::start(SimConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let mut core = core(ptz_site(&sim), dir.path(), false);
    core.step();
    ready(&mut core);
    let started = Instant::now();
    while started.elapsed() < vigil_core::ptz::DEADMAN * 2 {
        core.apply(moving(-0.3, 0.0, 0.0));
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        sim.requests_for("Stop").is_empty(),
        "a held move was stopped"
    );
    assert_eq!(sim.requests_for("ContinuousMove").len(), 1);
    // Dropping the core (the app closing) stops the camera.
    core.shutdown(Duration::from_secs(1));
    drop(core);
    let deadline = Instant::now() + Duration::from_secs(5);
    while sim.requests_for("Stop").is_empty() {
        assert!(Instant::now() < deadline, "no stop at shutdown");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_flood_of_moves_sends_only_the_newest() {
    let sim = Sim::start(SimConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let mut core = core(ptz_site(&sim), dir.path(), false);
    core.step();
    ready(&mut core);
    let began = Instant::now();
    for i in 1..=2000 {
        core.apply(moving(i as f32 / 2000.0, 0.0, 0.0));
    }
    // Two thousand moves do not wait for the camera.
    assert!(
        began.elapsed() < Duration::from_millis(500),
        "{:?}",
        began.elapsed()
    );
    wait(&mut core, "the newest move", |_| {
        sim.requests_for("ContinuousMove")
            .last()
            .is_some_and(|r| element_attribute(&r.body, "PanTilt", "x") == Some("1"))
    });
    let sent = sim.requests_for("ContinuousMove").len();
    assert!(sent < 200, "{sent} moves reached the camera");
    core.apply(ptz("ptz", PtzAction::Stop));
    wait_requests(&mut core, &sim, "Stop", 1);
}

#[test]
fn presets_round_trip_and_home() {
    let sim = Sim::start(SimConfig {
        stateful_presets: true,
        ..SimConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let mut core = core(ptz_site(&sim), dir.path(), true);
    core.step();
    let view = ready(&mut core);
    let names: Vec<&str> = view.presets.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Gate", "Car park"]);

    core.apply(ptz("ptz", PtzAction::SavePreset("Loading bay".to_owned())));
    wait(&mut core, "the new preset in the list", |c| {
        c.ptz_view(&id("ptz"))
            .presets
            .iter()
            .any(|p| p.name == "Loading bay")
    });
    let saved = sim.requests_for("SetPreset");
    assert_eq!(
        element_text(&saved[0].body, "PresetName"),
        Some("Loading bay")
    );
    let token = core
        .ptz_view(&id("ptz"))
        .presets
        .iter()
        .find(|p| p.name == "Loading bay")
        .map(|p| p.token.clone())
        .unwrap();
    assert_eq!(token, "3");
    wait(&mut core, "the saved message", |c| {
        c.ptz_view(&id("ptz"))
            .message
            .is_some_and(|m| m.contains("Saved preset") && m.contains("Loading bay"))
    });

    core.apply(ptz("ptz", PtzAction::GotoPreset(token.clone())));
    let gotos = wait_requests(&mut core, &sim, "GotoPreset", 1);
    assert_eq!(element_text(&gotos[0].body, "PresetToken"), Some("3"));
    assert_eq!(element_text(&gotos[0].body, "ProfileToken"), Some("main"));
    wait(&mut core, "going to the preset", |c| {
        c.ptz_view(&id("ptz")).message.as_deref() == Some("Going to preset 3")
    });

    core.apply(ptz("ptz", PtzAction::Home));
    let home = wait_requests(&mut core, &sim, "GotoHomePosition", 1);
    assert_eq!(element_text(&home[0].body, "ProfileToken"), Some("main"));

    // An unknown preset: the device's fault is said, and the next request reconnects.
    core.apply(ptz("ptz", PtzAction::GotoPreset("99".to_owned())));
    wait(&mut core, "the fault", |c| {
        matches!(c.ptz_view(&id("ptz")).state, PtzState::Failed(_))
    });
    assert!(
        core.ptz_view(&id("ptz"))
            .message
            .is_some_and(|m| m.starts_with("Going to a preset failed"))
    );
    core.apply(ptz("ptz", PtzAction::GotoPreset("1".to_owned())));
    wait(&mut core, "ready again", |c| {
        c.ptz_view(&id("ptz")).state == PtzState::Ready
    });

    // Saving a preset is in the audit trail; moving is not.
    assert!(core.flush_audit(Duration::from_secs(5)));
    let entries = core.audit_entries();
    let saves: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "ptz_preset_save")
        .collect();
    assert_eq!(saves.len(), 1, "{entries:?}");
    assert_eq!(saves[0].target, "ptz");
    assert!(saves[0].details.contains("Loading bay"));
    assert_eq!(saves[0].operator, "alice");
}

#[test]
fn a_camera_without_an_onvif_address_has_no_ptz() {
    let sim = Sim::start(SimConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let mut core = core(ptz_site(&sim), dir.path(), false);
    core.step();
    let view = core.ptz_view(&id("fixed"));
    assert!(!view.has_ptz);
    let PtzState::Unavailable(why) = &view.state else {
        panic!("{view:?}");
    };
    assert!(why.contains("Camera fixed has no PTZ"), "{why}");
    assert!(why.contains("ONVIF address"), "{why}");
    core.apply(ptz(
        "fixed",
        PtzAction::Move(PtzSpeeds {
            pan: 1.0,
            tilt: 0.0,
            zoom: 0.0,
        }),
    ));
    assert!(
        core.status()
            .is_some_and(|s| s.contains("Camera fixed has no PTZ")),
        "{:?}",
        core.status()
    );
    // The tile of a camera without an address carries no PTZ.
    core.apply(Command::Assign {
        tile: 0,
        camera: id("fixed"),
    });
    core.apply(Command::Assign {
        tile: 1,
        camera: id("ptz"),
    });
    let wall = core.view();
    assert_eq!(wall.tiles[0].content.camera().unwrap().ptz, None);
    assert!(wall.tiles[1].content.camera().unwrap().ptz.is_some());
}

#[test]
fn a_device_without_a_ptz_profile_says_so() {
    // Only the profiles of a fixed camera: none has a PTZConfiguration.
    let fixed_profiles = include_str!("../../onvif/tests/fixtures/GetProfiles.three.xml");
    let without_ptz = strip_ptz(fixed_profiles);
    let sim = Sim::start(SimConfig {
        overrides: vec![(
            "GetProfiles".to_owned(),
            sim::Reply::Body(without_ptz.into_bytes()),
        )],
        ..SimConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let mut core = core(ptz_site(&sim), dir.path(), false);
    core.step();
    wait(&mut core, "no PTZ", |c| {
        matches!(c.ptz_view(&id("ptz")).state, PtzState::Unavailable(_))
    });
    let view = core.ptz_view(&id("ptz"));
    assert!(!view.has_ptz);
    assert!(
        matches!(&view.state, PtzState::Unavailable(why) if why.contains("PTZ configuration")),
        "{view:?}"
    );
    core.apply(moving(1.0, 0.0, 0.0));
    assert!(
        core.status()
            .is_some_and(|s| s.contains("PTZ configuration"))
    );
    assert!(sim.requests_for("ContinuousMove").is_empty());
}

/// `xml` without its `PTZConfiguration` elements.
fn strip_ptz(xml: &str) -> String {
    let mut out = String::new();
    let mut rest = xml;
    while let Some(start) = rest.find("<tt:PTZConfiguration") {
        out.push_str(&rest[..start]);
        let end_tag = "</tt:PTZConfiguration>";
        let end = rest[start..].find(end_tag).expect("closed") + start + end_tag.len();
        rest = &rest[end..];
    }
    out.push_str(rest);
    assert!(!out.contains("PTZConfiguration"));
    out
}
