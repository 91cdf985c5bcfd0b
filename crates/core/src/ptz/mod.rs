//! PTZ for the wall: what the app may ask of a pan-tilt-zoom camera ([`PtzAction`]),
//! what it is told back ([`PtzView`]), and the worker per camera that talks ONVIF
//! ([`worker`]). A camera gets a worker when the site file gives its ONVIF address
//! (`[cameras.device] onvif`); the worker learns whether it has PTZ.
//!
//! Owns: the workers (started, replaced when the address or login changes, ended when
//! the camera goes). Must not: block the caller (every ONVIF call runs on the camera's
//! worker), or decide what a gesture means (the app turns drags and keys into speeds).

pub mod worker;

use std::collections::HashMap;

use vigil_config::{CameraConfig, CameraId, CredentialStore, Site};
use vigil_media::Notify;

use worker::{Job, Target, WorkerHandle};

pub use worker::DEADMAN;

/// Pan, tilt and zoom speeds in ONVIF's generic −1…1 space (positive: right, up, in).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PtzSpeeds {
    pub pan: f32,
    pub tilt: f32,
    pub zoom: f32,
}

impl PtzSpeeds {
    /// Each speed clamped to −1…1 (NaN: 0).
    pub fn clamped(self) -> Self {
        let c = |v: f32| {
            if v.is_finite() {
                v.clamp(-1.0, 1.0)
            } else {
                0.0
            }
        };
        Self {
            pan: c(self.pan),
            tilt: c(self.tilt),
            zoom: c(self.zoom),
        }
    }

    pub fn is_zero(&self) -> bool {
        self.pan == 0.0 && self.tilt == 0.0 && self.zoom == 0.0
    }
}

/// What the wall asks of a PTZ camera.
#[derive(Clone, Debug, PartialEq)]
pub enum PtzAction {
    /// Move continuously at these speeds until a stop, or until no move or keepalive
    /// came for [`DEADMAN`]; repeating the same move keeps it going.
    Move(PtzSpeeds),
    Stop,
    /// Go to a preset, by token.
    GotoPreset(String),
    /// Save the current position as a new preset with this name.
    SavePreset(String),
    Home,
    /// Ask the camera for its presets again.
    ListPresets,
}

/// Whether the camera can be driven.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum PtzState {
    /// The camera cannot be driven, and why (no ONVIF address, no PTZ profile).
    Unavailable(String),
    /// The worker is connecting.
    #[default]
    Connecting,
    Ready,
    /// The last call failed (the next one reconnects), with the reason.
    Failed(String),
}

/// A preset position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PtzPreset {
    pub token: String,
    pub name: String,
}

/// A camera's PTZ as the app shows it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PtzView {
    pub state: PtzState,
    /// The camera was found to have a PTZ profile (kept through later failures, so the
    /// controls stay and say what went wrong).
    pub has_ptz: bool,
    pub presets: Vec<PtzPreset>,
    /// A continuous move is running.
    pub moving: bool,
    /// The last outcome worth saying ("Saved preset …", an error).
    pub message: Option<String>,
}

/// Why a PTZ request was not passed on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PtzRefused {
    #[error("{0} is not a camera of this site")]
    UnknownCamera(CameraId),
    #[error("{0} has no PTZ: the site file gives no ONVIF address for it ([cameras.device] onvif)")]
    NoAddress(String),
    #[error("{camera}: {why}")]
    Unavailable { camera: String, why: String },
    #[error("{0}: too many PTZ requests waiting; try again")]
    Busy(String),
}

/// The PTZ workers of a site's cameras.
pub struct Ptz {
    workers: HashMap<CameraId, WorkerHandle>,
    notify: Notify,
}

fn target(camera: &CameraConfig, credentials: &CredentialStore) -> Option<Target> {
    let address = camera
        .device
        .as_ref()?
        .onvif
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())?;
    let login = credentials.for_camera(camera);
    Some(Target {
        address: address.to_owned(),
        user: login
            .as_ref()
            .map(|c| c.username.clone())
            .filter(|u| !u.is_empty()),
        password: login.map(|c| c.password).unwrap_or_default(),
    })
}

impl Ptz {
    pub fn new(notify: Notify) -> Self {
        Self {
            workers: HashMap::new(),
            notify,
        }
    }

    /// Brings the workers in line with the site: one per enabled camera with an ONVIF
    /// address, restarted when its address or login changed. Cheap when nothing did.
    pub fn sync(&mut self, site: &Site, credentials: &CredentialStore) {
        let mut wanted: HashMap<&CameraId, Target> = site
            .cameras
            .iter()
            .filter(|c| c.enabled)
            .filter_map(|c| Some((&c.id, target(c, credentials)?)))
            .collect();
        self.workers
            .retain(|id, w| wanted.get(id).is_some_and(|t| *t == w.target));
        for (id, target) in wanted.drain() {
            if self.workers.contains_key(id) {
                continue;
            }
            match WorkerHandle::spawn(id.as_str(), target, std::sync::Arc::clone(&self.notify)) {
                Ok(worker) => {
                    self.workers.insert(id.clone(), worker);
                }
                Err(err) => tracing::error!(camera = %id, %err, "cannot start the PTZ worker"),
            }
        }
    }

    /// Passes `action` to `camera`'s worker; never waits for the camera.
    pub fn send(
        &self,
        site: &Site,
        camera: &CameraId,
        action: PtzAction,
    ) -> Result<(), PtzRefused> {
        let worker = self.worker(site, camera)?;
        if let PtzState::Unavailable(why) = worker.state() {
            // A stop is always passed on; anything else would only fail again.
            if action != PtzAction::Stop {
                return Err(PtzRefused::Unavailable {
                    camera: camera.to_string(),
                    why,
                });
            }
        }
        let queued = match action {
            PtzAction::Move(speeds) => {
                worker.moving(speeds.clamped());
                true
            }
            PtzAction::Stop => {
                worker.stop();
                true
            }
            PtzAction::GotoPreset(token) => worker.job(Job::GotoPreset(token)),
            PtzAction::SavePreset(name) => worker.job(Job::SavePreset(name)),
            PtzAction::Home => worker.job(Job::Home),
            PtzAction::ListPresets => worker.job(Job::ListPresets),
        };
        if queued {
            Ok(())
        } else {
            Err(PtzRefused::Busy(camera.to_string()))
        }
    }

    fn worker(&self, site: &Site, camera: &CameraId) -> Result<&WorkerHandle, PtzRefused> {
        let config = site
            .camera(camera)
            .ok_or_else(|| PtzRefused::UnknownCamera(camera.clone()))?;
        self.workers
            .get(camera)
            .ok_or_else(|| PtzRefused::NoAddress(config.name.clone()))
    }

    /// `camera`'s PTZ: the worker's view, or why there is none.
    pub fn view(&self, site: &Site, camera: &CameraId) -> PtzView {
        match self.worker(site, camera) {
            Ok(worker) => worker.view(),
            Err(why) => PtzView {
                state: PtzState::Unavailable(why.to_string()),
                ..PtzView::default()
            },
        }
    }

    /// Whether `camera` has a worker (an ONVIF address).
    pub fn has_worker(&self, camera: &CameraId) -> bool {
        self.workers.contains_key(camera)
    }

    /// Stops every moving camera and ends the workers (they finish on their own).
    pub fn stop_all(&mut self) {
        for worker in self.workers.values() {
            worker.stop();
        }
        self.workers.clear();
    }
}
