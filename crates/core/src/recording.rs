//! The site's recording as the core runs it: started on a thread (`vigil-rec-start`:
//! the demo's history is seeded first, then the archive is reconciled) so the first
//! wall appears at once, then supervised every step.
//!
//! Owns: the start-up thread, the running [`SiteRecording`], and why recording is off
//! when it could not start. Must not: block the caller (start-up runs on its thread;
//! stopping closes each segment, which the caller does once, at shutdown).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crossbeam_channel::{Receiver, TryRecvError};

use vigil_config::{CredentialStore, Site};
use vigil_media::{Engine, StreamKey};
use vigil_record::RecorderStatus;
use vigil_record::site::{SiteRecording, SiteRecordingOptions};
use vigil_time::SharedClock;

enum State {
    /// No storage folder: nothing records.
    Off,
    Starting(Receiver<anyhow::Result<SiteRecording>>),
    Running(Box<SiteRecording>),
    /// The recorders could not start; the text says why, for the status bar.
    Failed(String),
}

/// The site's recorders, once started.
pub struct Recording {
    state: State,
    no_pins: HashSet<StreamKey>,
}

impl Recording {
    /// Nothing records.
    pub fn off() -> Self {
        Self {
            state: State::Off,
            no_pins: HashSet::new(),
        }
    }

    /// Seeds the demo history (if asked) and starts the site's recorders on a thread:
    /// reconciling a large archive must not hold up the first painted wall. Retention
    /// reads `clock` (the recorders read their engine's, which should be the same).
    pub fn start(
        site: &Site,
        dir: PathBuf,
        demo_history_hours: Option<f64>,
        clock: SharedClock,
    ) -> Self {
        let (tx, rx) = crossbeam_channel::bounded(1);
        let site = site.clone();
        let spawned = std::thread::Builder::new()
            .name("vigil-rec-start".to_owned())
            .spawn(move || {
                if let Some(hours) = demo_history_hours {
                    seed_demo(&dir, &site, hours);
                }
                let options = SiteRecordingOptions {
                    clock,
                    ..SiteRecordingOptions::default()
                };
                tx.send(SiteRecording::start_with(&site, dir, options)).ok();
            });
        let state = match spawned {
            Ok(_) => State::Starting(rx),
            Err(err) => State::Failed(format!("Recording is off: cannot start a thread: {err}")),
        };
        Self {
            state,
            no_pins: HashSet::new(),
        }
    }

    /// Takes the recorders once their start-up thread has them ready, then brings them
    /// in line with `site`. Returns the connections recording keeps up (to pass as
    /// `pinned` to [`Engine::retain`]).
    pub fn sync(
        &mut self,
        site: &Site,
        credentials: &CredentialStore,
        engine: &mut Engine,
    ) -> &HashSet<StreamKey> {
        if let State::Starting(rx) = &self.state {
            match rx.try_recv() {
                Ok(Ok(recording)) => self.state = State::Running(Box::new(recording)),
                Ok(Err(err)) => {
                    tracing::error!(err = format!("{err:#}"), "recording is off");
                    self.state = State::Failed(format!("Recording is off: {err:#}"));
                }
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => {
                    self.state = State::Failed("Recording is off: start-up failed".to_owned());
                }
            }
        }
        match &mut self.state {
            State::Running(recording) => recording.sync(site, credentials, engine),
            _ => &self.no_pins,
        }
    }

    /// Rebuilds what each camera records with at the next sync (a password changed).
    pub fn refresh(&mut self) {
        if let State::Running(recording) = &mut self.state {
            recording.refresh();
        }
    }

    /// A camera's recorder, when it records.
    pub fn status(&self, camera_id: &str) -> Option<RecorderStatus> {
        match &self.state {
            State::Running(recording) => recording.status(camera_id),
            _ => None,
        }
    }

    /// The event trigger of a camera recording in `events` mode.
    pub fn trigger(&self, camera_id: &str) -> Option<vigil_record::EventTrigger> {
        match &self.state {
            State::Running(recording) => recording.trigger(camera_id),
            _ => None,
        }
    }

    /// Why recording is off, when the recorders could not start; or, while it runs,
    /// what the person should know about the storage (a damaged index set aside and
    /// rebuilt).
    pub fn error(&self) -> Option<&str> {
        match &self.state {
            State::Failed(why) => Some(why),
            State::Running(recording) => recording.notice(),
            _ => None,
        }
    }

    /// Closes each segment cleanly; call before the streams go away.
    pub fn stop(&mut self) {
        if let State::Running(recording) = std::mem::replace(&mut self.state, State::Off) {
            recording.stop();
        }
    }
}

fn seed_demo(dir: &Path, site: &Site, hours: f64) {
    let started = Instant::now();
    match vigil_record::seed::ensure_demo_history(dir, site, hours) {
        Ok(()) => tracing::info!(ms = started.elapsed().as_millis(), "demo history ready"),
        Err(err) => tracing::error!(%err, "could not seed the demo history"),
    }
}
