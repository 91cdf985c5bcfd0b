//! One camera's PTZ worker: a named thread (`vigil-ptz-<camera>`) that owns the camera's
//! ONVIF client, connects and finds the media profile with a PTZ configuration once,
//! and carries out what the wall asks. Motion is a single slot (the newest move or stop
//! replaces an unsent one, so a flood of drag events never queues); one-shot requests
//! (presets, home) wait in a short bounded queue. A move that is not renewed within
//! [`DEADMAN`] is stopped, so a lost release cannot leave a camera turning.
//!
//! Owns: the client, the profile token, the worker's published [`PtzView`]. Must not:
//! block its caller (the UI thread only locks a slot and wakes the thread), or log a
//! password.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError};
use vigil_media::Notify;
use vigil_onvif::{Client, ClientConfig, Credentials, PtzSpeed};

use super::{PtzPreset, PtzSpeeds, PtzState, PtzView};

/// A move not renewed within this is stopped (the dead-man timeout).
pub const DEADMAN: Duration = Duration::from_secs(1);
/// Deadline of one ONVIF request from the PTZ worker: a hung camera must not hold up
/// a stop for long.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(4);
/// One-shot requests waiting for the worker, at most.
const JOBS_MAX: usize = 8;

/// Where the worker finds the camera.
#[derive(Clone, PartialEq, Eq)]
pub struct Target {
    pub address: String,
    pub user: Option<String>,
    pub password: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("address", &self.address)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// The newest motion request.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Motion {
    Move(PtzSpeeds),
    Stop,
}

/// A request carried out once, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Job {
    ListPresets,
    GotoPreset(String),
    SavePreset(String),
    Home,
}

#[derive(Default)]
struct Inbox {
    motion: Option<Motion>,
    jobs: VecDeque<Job>,
}

/// What the core keeps of a running worker; dropping it ends the thread (after a stop
/// when the camera was moving).
pub struct WorkerHandle {
    pub target: Target,
    inbox: Arc<Mutex<Inbox>>,
    wake: Sender<()>,
    view: Arc<Mutex<PtzView>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl WorkerHandle {
    /// Starts the worker for `camera`; it connects at once to learn whether the camera
    /// has PTZ and lists its presets.
    pub fn spawn(camera: &str, target: Target, notify: Notify) -> std::io::Result<Self> {
        let inbox = Arc::new(Mutex::new(Inbox {
            motion: None,
            jobs: VecDeque::from([Job::ListPresets]),
        }));
        let (wake, woken) = crossbeam_channel::bounded(1);
        let view = Arc::new(Mutex::new(PtzView {
            state: PtzState::Connecting,
            ..PtzView::default()
        }));
        let worker = Worker {
            camera: camera.to_owned(),
            target: target.clone(),
            inbox: Arc::clone(&inbox),
            woken,
            view: Arc::clone(&view),
            notify,
            session: None,
            moving: None,
            renewed_at: Instant::now(),
        };
        std::thread::Builder::new()
            .name(format!("vigil-ptz-{camera}"))
            .spawn(move || worker.run())?;
        // The first job is already queued: wake the thread for it.
        let _ = wake.try_send(());
        Ok(Self {
            target,
            inbox,
            wake,
            view,
        })
    }

    fn wake(&self) {
        match self.wake.try_send(()) {
            // Full: the worker is already due to look at its inbox.
            Ok(()) | Err(TrySendError::Full(())) => {}
            Err(TrySendError::Disconnected(())) => {
                tracing::warn!(address = %self.target.address, "PTZ worker is gone");
            }
        }
    }

    /// Moves at `speeds` (all zero: stop); replaces a move the worker has not sent yet.
    /// Sending the same speeds again keeps the move going (renews the dead-man timer).
    pub fn moving(&self, speeds: PtzSpeeds) {
        lock(&self.inbox).motion = Some(if speeds.is_zero() {
            Motion::Stop
        } else {
            Motion::Move(speeds)
        });
        self.wake();
    }

    /// Stops moving (replaces an unsent move).
    pub fn stop(&self) {
        lock(&self.inbox).motion = Some(Motion::Stop);
        self.wake();
    }

    /// Queues a one-shot request; `false` when the queue is full.
    pub fn job(&self, job: Job) -> bool {
        {
            let mut inbox = lock(&self.inbox);
            if inbox.jobs.len() >= JOBS_MAX {
                return false;
            }
            if !inbox.jobs.contains(&job) {
                inbox.jobs.push_back(job);
            }
        }
        self.wake();
        true
    }

    /// Whether the camera can be driven, as last published.
    pub fn state(&self) -> PtzState {
        lock(&self.view).state.clone()
    }

    /// What the worker last published.
    pub fn view(&self) -> PtzView {
        lock(&self.view).clone()
    }
}

/// A connected client and the profile it drives.
struct Session {
    client: Client,
    profile: String,
}

struct Worker {
    camera: String,
    target: Target,
    inbox: Arc<Mutex<Inbox>>,
    woken: Receiver<()>,
    view: Arc<Mutex<PtzView>>,
    notify: Notify,
    session: Option<Session>,
    /// The speeds last sent to the camera while it moves.
    moving: Option<PtzSpeeds>,
    /// When the wall last asked for the current move.
    renewed_at: Instant,
}

impl Worker {
    fn run(mut self) {
        let span = tracing::info_span!("ptz", camera = %self.camera);
        let _entered = span.enter();
        loop {
            let woke = if self.moving.is_some() {
                let left = DEADMAN.saturating_sub(self.renewed_at.elapsed());
                self.woken.recv_timeout(left)
            } else {
                self.woken
                    .recv()
                    .map_err(|_| RecvTimeoutError::Disconnected)
            };
            match woke {
                Ok(()) => {}
                Err(RecvTimeoutError::Timeout) => {
                    if self.moving.is_some() && self.renewed_at.elapsed() >= DEADMAN {
                        tracing::warn!("no move renewal within {DEADMAN:?}: stopping");
                        self.stop("stopped: the control went quiet");
                    }
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    if self.moving.is_some() {
                        self.stop("stopped");
                    }
                    return;
                }
            }
            let (motion, jobs) = {
                let mut inbox = lock(&self.inbox);
                (inbox.motion.take(), std::mem::take(&mut inbox.jobs))
            };
            match motion {
                Some(Motion::Move(speeds)) => self.move_at(speeds),
                Some(Motion::Stop) if self.moving.is_some() => self.stop("stopped"),
                Some(Motion::Stop) | None => {}
            }
            for job in jobs {
                self.job(job);
            }
        }
    }

    fn publish(&self, change: impl FnOnce(&mut PtzView)) {
        change(&mut lock(&self.view));
        (self.notify)();
    }

    /// Runs `call` on the session, connecting first (and finding the PTZ profile) when
    /// there is none; `None` when the camera cannot be driven now (the view says why).
    fn with_session<T>(&mut self, call: impl FnOnce(&Session) -> T) -> Option<T> {
        if self.session.is_none() {
            match self.connect() {
                Ok(session) => {
                    self.session = Some(session);
                    self.publish(|v| {
                        v.state = PtzState::Ready;
                        v.has_ptz = true;
                    });
                }
                Err(Unavailable::NoPtz(why)) => {
                    tracing::info!(%why, "no PTZ");
                    self.publish(|v| {
                        v.message = Some(format!("No PTZ: {why}"));
                        v.state = PtzState::Unavailable(why);
                        v.has_ptz = false;
                    });
                }
                Err(Unavailable::Failed(why)) => {
                    tracing::warn!(%why, "PTZ connection failed");
                    self.publish(|v| {
                        v.message = Some(format!("PTZ connection failed: {why}"));
                        v.state = PtzState::Failed(why);
                    });
                }
            }
        }
        self.session.as_ref().map(call)
    }

    fn connect(&self) -> Result<Session, Unavailable> {
        let credentials = self
            .target
            .user
            .as_deref()
            .map(|user| Credentials::new(user, self.target.password.as_str()));
        let config = ClientConfig {
            timeout: REQUEST_TIMEOUT,
            ..ClientConfig::default()
        };
        let client = Client::connect(&self.target.address, credentials, config)
            .map_err(|e| Unavailable::Failed(e.to_string()))?;
        if client.services().ptz.is_none() {
            return Err(Unavailable::NoPtz(format!(
                "{} offers no PTZ service",
                client.host()
            )));
        }
        let profiles = client
            .get_profiles(client.preferred_media())
            .map_err(|e| Unavailable::Failed(e.to_string()))?;
        let profile = profiles
            .into_iter()
            .find(|p| p.ptz_configuration.is_some())
            .ok_or_else(|| {
                Unavailable::NoPtz(format!(
                    "no media profile of {} has a PTZ configuration",
                    client.host()
                ))
            })?;
        tracing::info!(profile = %profile.token, "PTZ profile");
        Ok(Session {
            client,
            profile: profile.token,
        })
    }

    /// Drops the session after a failed call (the next request reconnects) and says why.
    fn failed(&mut self, what: &str, err: &vigil_onvif::OnvifError) {
        tracing::warn!(%err, "{what} failed");
        self.session = None;
        let text = format!("{what} failed: {err}");
        self.publish(|v| {
            v.state = PtzState::Failed(err.to_string());
            v.message = Some(text);
        });
    }

    fn move_at(&mut self, speeds: PtzSpeeds) {
        self.renewed_at = Instant::now();
        if self.moving == Some(speeds) {
            return;
        }
        let speed = PtzSpeed {
            pan: speeds.pan,
            tilt: speeds.tilt,
            zoom: speeds.zoom,
        };
        let result = self.with_session(|s| {
            s.client
                .ptz_continuous_move(&s.profile, speed, None)
                .inspect_err(|_| {
                    // The camera may have taken it: try to stop it before giving up.
                    let _ = s.client.ptz_stop(&s.profile);
                })
        });
        match result {
            None => {}
            Some(Ok(())) => {
                self.moving = Some(speeds);
                self.publish(|v| {
                    v.moving = true;
                    v.state = PtzState::Ready;
                });
            }
            Some(Err(err)) => {
                self.moving = None;
                self.publish(|v| v.moving = false);
                self.failed("Move", &err);
            }
        }
    }

    fn stop(&mut self, said: &str) {
        self.moving = None;
        let Some(result) = self.with_session(|s| s.client.ptz_stop(&s.profile)) else {
            return;
        };
        self.publish(|v| v.moving = false);
        match result {
            Ok(()) if said == "stopped" => {}
            Ok(()) => {
                let said = said.to_owned();
                self.publish(|v| v.message = Some(said));
            }
            Err(err) => self.failed("Stop", &err),
        }
    }

    fn job(&mut self, job: Job) {
        let outcome = self.with_session(|s| {
            let (client, profile) = (&s.client, s.profile.as_str());
            match &job {
                Job::ListPresets => client.ptz_get_presets(profile).map(|presets| {
                    Done::Presets(
                        presets
                            .into_iter()
                            .map(|p| PtzPreset {
                                token: p.token,
                                name: p.name,
                            })
                            .collect(),
                    )
                }),
                Job::GotoPreset(token) => client
                    .ptz_goto_preset(profile, token, None)
                    .map(|()| Done::Said(format!("Going to preset {token}"))),
                Job::SavePreset(name) => client.ptz_set_preset(profile, Some(name)).map(|token| {
                    Done::Said(format!("Saved preset \u{201c}{name}\u{201d} ({token})"))
                }),
                Job::Home => client
                    .ptz_goto_home(profile)
                    .map(|()| Done::Said("Going home".to_owned())),
            }
        });
        match outcome {
            None => {}
            Some(Ok(done)) => {
                // A preset move replaces a continuous one.
                let ends_motion = matches!(job, Job::GotoPreset(_) | Job::Home);
                if ends_motion {
                    self.moving = None;
                }
                self.publish(|v| {
                    v.state = PtzState::Ready;
                    if ends_motion {
                        v.moving = false;
                    }
                    match done {
                        Done::Presets(presets) => v.presets = presets,
                        Done::Said(said) => v.message = Some(said),
                    }
                });
                if matches!(job, Job::SavePreset(_)) {
                    self.job(Job::ListPresets);
                }
            }
            Some(Err(err)) => {
                let what = match job {
                    Job::ListPresets => "Listing presets",
                    Job::GotoPreset(_) => "Going to a preset",
                    Job::SavePreset(_) => "Saving a preset",
                    Job::Home => "Going home",
                };
                self.failed(what, &err);
            }
        }
    }
}

/// What a one-shot request brought back.
enum Done {
    Presets(Vec<PtzPreset>),
    Said(String),
}

enum Unavailable {
    /// The device answered, and has no PTZ.
    NoPtz(String),
    /// The device could not be asked.
    Failed(String),
}
