//! [`Core`]: the engine behind a wall, stepped by its owner — eframe's `App::logic`
//! (which runs even while the window is hidden) or a headless caller.
//!
//! Each [`Core::step`] chooses each wall camera's stream from its largest tile, starts
//! and stops decoders, swaps a pending stream in on its first frame, runs the decode
//! budget, supervises the recorders and the review players, takes the newest pictures,
//! writes learnt stream sizes back into the site and saves the site when it changed.
//! [`Core::apply`] carries out a [`Command`]; [`Core::view`] says what each tile shows.
//!
//! Owns: the site being shown, the wall model, the engine, recording, review, the site
//! file's saves and the timeline's index reader. Must not: know egui or wgpu (the app
//! uploads [`Core::upload_fresh`]'s pictures and draws [`Core::view`]), or block: every
//! slow thing runs on a named thread.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

use vigil_config::{CameraId, CredentialStore, Layout, Site};
use vigil_frame::{VideoFrame, VideoKey};
use vigil_media::{Engine, MAIN_STREAM, Notify, StreamState};
use vigil_playback::SeekMode;
use vigil_record::RecorderStatus;
use vigil_time::{NANOS_PER_SEC, SharedClock, WallNanos};
use vigil_timeline::TimeRange;

mod needs;
mod operator;
mod view;
mod walls;

use crate::alerts::{Alarm, Alerts};
use crate::audit::AuditLog;
use crate::cameras::{ChangeOutcome, PasswordChange, SiteChange, apply_change};
use crate::command::Command;
use crate::export::{ExportStatus, Exports};
use crate::recording::Recording;
use crate::review::{Review, Scope};
use crate::roles::Operator;
use crate::saver::{Saver, SaverReport};
use crate::streams::{Hud, WallStreams};
use crate::timeline_data::{Request, TimelineData};
use crate::wall::{Wall, active_layout};

/// Points between tiles on the wall.
pub const TILE_GAP_POINTS: f32 = 2.0;
/// A picture older than this on a stream that claims to be live is shown as frozen.
pub const FROZEN_AFTER: Duration = Duration::from_secs(3);
/// The preview picture's name under [`VideoKey::Preview`].
pub const PROBE_PREVIEW: &str = "stream-test";

/// An alarm is played from this many seconds before it.
pub const ALARM_REVIEW_BEFORE_SECS: i64 = 5;

/// An operator's action on an alarm, for the audit trail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OperatorAction {
    AcknowledgeAlarm,
    CloseAlarm,
}

impl OperatorAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AcknowledgeAlarm => "acknowledge_alarm",
            Self::CloseAlarm => "close_alarm",
        }
    }
}

/// How long a status message stays.
const STATUS_FOR: Duration = Duration::from_secs(8);

/// Longest a UI frame spends handing pictures to the GPU. On a real GPU one 1080p
/// picture takes about a millisecond; on a software renderer under load several, so
/// the pictures left over wait for the next frame instead of stalling this one.
pub const UPLOAD_TIME_BUDGET: Duration = Duration::from_millis(8);

/// How the core was started.
pub struct CoreOptions {
    /// Where snapshots are written.
    pub snapshot_dir: PathBuf,
    /// The site file to save changes to; `None` for the demo site or a broken file.
    pub site_path: Option<PathBuf>,
    /// The storage folder: recording cameras record there and the timeline reads it.
    /// `None`: nothing is recorded and the timeline stays empty.
    pub storage: Option<PathBuf>,
    /// Hours of history to seed into an empty storage folder first (the demo site).
    pub demo_history_hours: Option<f64>,
    /// Where "now" comes from.
    pub clock: SharedClock,
}

/// The wall's area on screen: the stream choice needs each tile's size in pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Viewport {
    pub width_points: f32,
    pub height_points: f32,
    pub pixels_per_point: f32,
}

/// The engine behind a wall (see the module docs).
pub struct Core {
    site: Site,
    credentials: CredentialStore,
    options: CoreOptions,
    notify: Notify,
    wall: Wall,
    streams: WallStreams,
    recording: Recording,
    review: Option<Review>,
    /// Speed the next "play" uses (signed: negative is reverse).
    review_speed: f64,
    saver: Option<Saver>,
    timeline: Option<TimelineData>,
    viewport: Option<Viewport>,
    status: Option<(String, Instant)>,
    /// The site changed since the last save.
    unsaved: bool,
    /// Snapshot threads report here.
    snapshots: (Sender<String>, Receiver<String>),
    /// Texture keys whose pictures went away with a review.
    gone: Vec<VideoKey>,
    /// Pictures the renderer refused (too large for the GPU), with its words: their
    /// tiles say so instead of drawing. Cleared by the key's next accepted upload.
    undrawable: HashMap<VideoKey, String>,
    /// The evidence export in the background, and its last outcome.
    exports: Exports,
    /// The Cameras panel's stream test, and the sequence number of the preview picture
    /// last handed to the renderer.
    probe: Option<(crate::probe::StreamProbe, Option<u64>)>,
    /// The Cameras panel's security check of a saved camera.
    posture: Option<crate::posture::PostureCheck>,
    /// What became of the last [`Command::ChangeSite`], until the panel takes it.
    change_outcome: Option<ChangeOutcome>,
    /// Cameras to reconnect at the next step (their password changed).
    reconnect: Vec<CameraId>,
    /// Cameras to disconnect at the next step, once their recorders were told to stop
    /// (removed, or renamed).
    disconnect: Vec<CameraId>,
    /// Who operates the app, in which role.
    operator: Operator,
    /// The audit trail's writer (off without a storage folder).
    audit_log: AuditLog,
    /// Detection, camera health and the alarm queue.
    alerts: Alerts,
    /// The password store camera passwords are saved to, and the migration into it.
    passwords: crate::passwords::Passwords,
    /// The Cameras panel's ONVIF inspection and discovery Probe.
    lookups: crate::installer::Lookups,
    /// The wall draws moving cells over detecting cameras' tiles.
    show_motion: bool,
    /// The extra wall windows' walls, in the site's `wall_windows` order.
    extra: Vec<walls::ExtraWall>,
    /// The PTZ workers of cameras with an ONVIF address.
    ptz: crate::ptz::Ptz,
}

/// The state of a camera's connection, whoever opened it (a tile, its recorder, its
/// detection): the main stream's, else the first substream's that is not idle; `None`
/// when nothing connects it.
fn camera_ingest_state(
    engine: &Engine,
    camera: &vigil_config::CameraConfig,
) -> Option<StreamState> {
    std::iter::once(MAIN_STREAM)
        .chain(camera.substreams.iter().map(|s| s.name.as_str()))
        .filter_map(|stream| {
            engine.ingest(&vigil_media::StreamKey {
                camera_id: camera.id.to_string(),
                stream: stream.to_owned(),
            })
        })
        .map(|ingest| ingest.state())
        .find(|state| *state != StreamState::Idle)
}

impl Core {
    /// Starts the engine for `site`: the recorders (on a thread; the demo's history is
    /// seeded first), the site-file saver and the timeline's index reader. `notify` is
    /// called from workers whenever something new is ready to show.
    pub fn new(
        mut site: Site,
        credentials: CredentialStore,
        options: CoreOptions,
        notify: Notify,
    ) -> Self {
        let wall = Wall::new(&mut site);
        let extra = Self::extra_walls_of(&mut site);
        let saver = options.site_path.clone().map(Saver::spawn);
        let recording = match options.storage.clone() {
            Some(dir) => Recording::start(
                &site,
                dir,
                options.demo_history_hours,
                Arc::clone(&options.clock),
            ),
            None => Recording::off(),
        };
        let audit_log = options
            .storage
            .as_deref()
            .map_or_else(AuditLog::off, |dir| {
                AuditLog::start(dir, Arc::clone(&notify))
            });
        let operator = Operator::start(crate::roles::os_user(), site.roles.is_empty());
        let timeline = options.storage.as_deref().and_then(|dir| {
            TimelineData::start(dir, Arc::clone(&notify), Arc::clone(&options.clock))
                .map_err(|err| tracing::error!(%err, "cannot start the timeline reader"))
                .ok()
        });
        let alerts = Alerts::new(options.storage.as_deref(), Arc::clone(&options.clock));
        Self {
            alerts,
            passwords: crate::passwords::Passwords::default(),
            lookups: crate::installer::Lookups::default(),
            show_motion: true,
            site,
            credentials,
            streams: WallStreams::new(Engine::with_clock(
                Arc::clone(&notify),
                Arc::clone(&options.clock),
            )),
            options,
            wall,
            recording,
            review: None,
            review_speed: 1.0,
            saver,
            timeline,
            viewport: None,
            status: None,
            unsaved: false,
            snapshots: crossbeam_channel::bounded(16),
            gone: Vec::new(),
            undrawable: HashMap::new(),
            exports: Exports::new(
                vigil_config::AppPaths::from_env()
                    .ok()
                    .map(|paths| paths.data_dir),
            ),
            probe: None,
            posture: None,
            change_outcome: None,
            reconnect: Vec::new(),
            disconnect: Vec::new(),
            operator,
            audit_log,
            extra,
            ptz: crate::ptz::Ptz::new(Arc::clone(&notify)),
            notify,
        }
    }

    /// The credential store the cameras log in with.
    pub fn credentials(&self) -> &CredentialStore {
        &self.credentials
    }

    /// What the running (or finished) stream test found.
    pub fn probe_report(&self) -> Option<crate::probe::ProbeReport> {
        self.probe.as_ref().map(|(p, _)| p.report())
    }

    /// The camera under the security check, and its report once done.
    pub fn posture_report(&self) -> Option<(CameraId, Option<crate::posture::PostureReport>)> {
        self.posture
            .as_ref()
            .map(|p| (p.camera().clone(), p.report()))
    }

    fn start_security_check(&mut self, camera: &CameraId) {
        let Some(config) = self.site.camera(camera) else {
            self.say(format!("Security check: no camera {camera}"));
            return;
        };
        match crate::posture::PostureCheck::start(
            config,
            &self.credentials,
            Arc::clone(&self.notify),
        ) {
            Ok(check) => self.posture = Some(check),
            Err(why) => self.say(format!("Security check failed: {why}")),
        }
    }

    fn start_test(&mut self, edit: &crate::cameras::CameraEdit) {
        self.stop_test();
        let password = match &edit.password {
            PasswordChange::Keep => None,
            PasswordChange::Set(p) => Some(p.clone()),
            PasswordChange::Clear => Some(String::new()),
        };
        // An edited camera keeps its stored password under its old id.
        let mut camera = edit.camera.clone();
        if password.is_none()
            && let Some(original) = &edit.original
        {
            camera.id = original.clone();
        }
        match crate::probe::StreamProbe::start(
            &camera,
            password,
            &self.credentials,
            Arc::clone(&self.notify),
        ) {
            Ok(probe) => self.probe = Some((probe, None)),
            Err(why) => self.say(format!("Test failed: {why}")),
        }
    }

    fn stop_test(&mut self) {
        if self.probe.take().is_some() {
            self.gone.push(VideoKey::Preview(PROBE_PREVIEW.to_owned()));
        }
    }

    /// What became of the last [`Command::ChangeSite`] (once: taking it clears it).
    pub fn take_change_outcome(&mut self) -> Option<ChangeOutcome> {
        self.change_outcome.take()
    }

    /// The connection of a camera's stream ("main", "sub", …), while it is connected:
    /// a new one after a restart (compare with [`Arc::ptr_eq`]).
    pub fn connection(
        &self,
        camera_id: &str,
        stream: &str,
    ) -> Option<Arc<vigil_media::IngestShared>> {
        self.streams
            .engine
            .ingest(&vigil_media::StreamKey {
                camera_id: camera_id.to_owned(),
                stream: stream.to_owned(),
            })
            .cloned()
    }

    /// Carries out a camera or storage change: refused with the site file's messages
    /// when the result would not load, else applied to the running site (the next step
    /// starts, restarts or stops only the cameras it touched), the password put in the
    /// credential store, and both saved on the saver thread.
    fn change_site(&mut self, change: SiteChange) -> bool {
        let (next, said) = match apply_change(&self.site, &change) {
            Ok(applied) => applied,
            Err(issues) => {
                for issue in &issues {
                    tracing::warn!(reason = %issue.message, "site change refused");
                }
                self.change_outcome = Some(ChangeOutcome::Refused(issues));
                return false;
            }
        };
        let mut credentials_changed = false;
        // A site with a file keeps passwords in its configured store (keyring or
        // vault); the store is written first, so a failure changes nothing.
        let stored = if self.saver.is_some() {
            match self.store_password(&next, &change) {
                Ok(changed) => Some(changed),
                Err(crate::passwords::PasswordSaveError::NeedsPassphrase) => {
                    tracing::info!("the vault needs its passphrase before the password is saved");
                    self.change_outcome = Some(ChangeOutcome::NeedsPassphrase);
                    return false;
                }
                Err(crate::passwords::PasswordSaveError::Failed(why)) => {
                    tracing::warn!(reason = %why, "site change refused: password not stored");
                    self.change_outcome = Some(ChangeOutcome::Refused(vec![vigil_config::Issue {
                        locator: vigil_config::Locator::Root("credentials"),
                        message: format!("the password was not saved: {why}"),
                    }]));
                    return false;
                }
            }
        } else {
            None
        };
        match &change {
            _ if stored.is_some() => credentials_changed = stored == Some(true),
            SiteChange::Save(edit) => {
                let id = edit.camera.id.clone();
                let _span = tracing::info_span!("camera", camera = %id).entered();
                let mut stored = match &edit.original {
                    Some(old) if *old != id => {
                        self.disconnect.push(old.clone());
                        credentials_changed = true;
                        self.credentials.remove(old)
                    }
                    // The store's own entry: an environment override is never
                    // written into the file.
                    Some(old) => self.credentials.get_with_env(old, |_| None),
                    None => None,
                };
                match &edit.password {
                    PasswordChange::Keep => {}
                    PasswordChange::Set(password) => {
                        stored = Some(vigil_config::redact::Credentials {
                            username: String::new(),
                            password: password.clone(),
                        });
                    }
                    PasswordChange::Clear => stored = None,
                }
                // The user name lives in the site file; the store keeps none of its own
                // that would override it.
                if let Some(creds) = &mut stored {
                    creds.username.clear();
                }
                let before = self.credentials.get_with_env(&id, |_| None);
                if stored != before || edit.password != PasswordChange::Keep {
                    match stored {
                        Some(creds) => self.credentials.set(&id, creds),
                        None => {
                            self.credentials.remove(&id);
                        }
                    }
                    credentials_changed |= before != self.credentials.get_with_env(&id, |_| None);
                }
                if credentials_changed {
                    tracing::info!("camera password changed: reconnecting it");
                    self.reconnect.push(id);
                }
            }
            SiteChange::Remove(id) => {
                self.disconnect.push(id.clone());
                credentials_changed = self.credentials.remove(id).is_some();
            }
            SiteChange::Move { .. } | SiteChange::Storage(_) => {}
        }
        if credentials_changed {
            self.recording.refresh();
            if stored.is_none()
                && let Some(saver) = &self.saver
            {
                saver.save_credentials(&self.credentials);
            }
        }
        self.site = next;
        self.wall.normalise(&mut self.site);
        for extra in &mut self.extra {
            extra.wall.normalise(&mut self.site);
        }
        // A new camera goes into the wall's first empty tile, if it has one.
        if let SiteChange::Save(edit) = &change
            && edit.original.is_none()
            && let Some(tile) = self.site.wall.assignment.iter().position(Option::is_none)
        {
            self.wall
                .assign(&mut self.site, tile, edit.camera.id.clone());
        }
        let said = if self.saver.is_some() {
            said
        } else {
            format!("{said} (this site has no file: the change lasts until Vigil closes)")
        };
        self.say(said.clone());
        self.change_outcome = Some(ChangeOutcome::Applied(said));
        true
    }

    /// [`Self::change_site`]'s password half for a site with a file: a typed password
    /// (or a renamed camera's) into the configured store and `credentials.toml`'s user
    /// name, a cleared or removed camera's forgotten. Returns whether the camera's
    /// login changed (it reconnects). `credentials.toml` is written here, before the
    /// site.
    fn store_password(
        &mut self,
        next: &Site,
        change: &SiteChange,
    ) -> Result<bool, crate::passwords::PasswordSaveError> {
        use vigil_config::redact::Credentials;
        let kind = next.password_store();
        let file_changed = |credentials: &CredentialStore| {
            credentials
                .save()
                .map_err(|e| crate::passwords::PasswordSaveError::Failed(e.to_string()))
        };
        match change {
            SiteChange::Save(edit) => {
                let id = edit.camera.id.clone();
                let _span = tracing::info_span!("camera", camera = %id).entered();
                let renamed = edit.original.clone().filter(|old| *old != id);
                let password = match &edit.password {
                    PasswordChange::Set(p) => Some(p.clone()),
                    PasswordChange::Keep => renamed
                        .as_ref()
                        .and_then(|old| self.credentials.get_with_env(old, |_| None))
                        .map(|c| c.password)
                        .filter(|p| !p.is_empty()),
                    PasswordChange::Clear => None,
                };
                let mut changed = false;
                if let Some(password) = password {
                    let login = Credentials {
                        username: edit.camera.username.clone().unwrap_or_default(),
                        password,
                    };
                    self.passwords
                        .save(kind, &mut self.credentials, &id, &login)?;
                    changed = true;
                }
                if let Some(old) = renamed {
                    self.disconnect.push(old.clone());
                    self.credentials.remove(&old);
                    self.passwords.forget(kind, &self.credentials, &old);
                    file_changed(&self.credentials)?;
                    changed = true;
                }
                if edit.password == PasswordChange::Clear {
                    changed |= self.credentials.remove(&id).is_some();
                    self.passwords.forget(kind, &self.credentials, &id);
                    file_changed(&self.credentials)?;
                }
                if changed {
                    tracing::info!("camera login changed: reconnecting it");
                    self.reconnect.push(id);
                }
                Ok(changed)
            }
            SiteChange::Remove(id) => {
                self.disconnect.push(id.clone());
                let had = self.credentials.remove(id).is_some();
                self.passwords.forget(kind, &self.credentials, id);
                if had {
                    file_changed(&self.credentials)?;
                }
                Ok(had)
            }
            SiteChange::Move { .. } | SiteChange::Storage(_) => Ok(false),
        }
    }

    /// The last ONVIF inspection the Cameras panel asked for.
    pub fn onvif_lookup(&self) -> Option<&crate::installer::OnvifLookup> {
        self.lookups.onvif()
    }

    /// The last discovery Probe the Cameras panel asked for.
    pub fn discovery_lookup(&self) -> Option<&crate::installer::DiscoveryLookup> {
        self.lookups.discovery()
    }

    /// How many cameras' passwords `credentials.toml` still holds in plain text.
    pub fn plain_text_passwords(&self) -> usize {
        self.credentials.cameras_with_file_password().count()
    }

    /// Where moving those passwords into the store stands (`None`: never started).
    pub fn migration_status(&self) -> Option<&crate::passwords::MigrationStatus> {
        self.passwords.migration_status()
    }

    /// Takes the finished migration's outcome: moved passwords leave this run's file
    /// entries and are used from the store.
    fn poll_migration(&mut self) {
        let Some(status) = self.passwords.poll_migration() else {
            return;
        };
        if let crate::passwords::MigrationStatus::Done(report) = &status {
            for id in report.moved.iter().chain(&report.already_in_store) {
                if let Some(password) = self.credentials.file_password(id).map(str::to_owned)
                    && report.moved.contains(id)
                {
                    self.credentials.set_store_password(id, password);
                }
                self.credentials.forget_file_password(id);
            }
            self.say(format!(
                "{} password(s) moved out of credentials.toml into the password store",
                report.moved.len()
            ));
        }
        (self.notify)();
    }

    /// The site as edited.
    pub fn site(&self) -> &Site {
        &self.site
    }

    /// The wall clock's time now.
    pub fn now(&self) -> WallNanos {
        self.options.clock.wall()
    }

    /// The clock the core and its workers read (states such as "next try in 3 s" are
    /// measured on it).
    pub fn clock(&self) -> &SharedClock {
        &self.options.clock
    }

    /// The active layout.
    pub fn layout(&self) -> Layout {
        active_layout(&self.site)
    }

    /// Where the wall is on screen; the stream choice uses its size from the next step.
    pub fn set_viewport(&mut self, viewport: Viewport) {
        self.viewport = Some(viewport);
    }

    /// The site file is saved on changes (false for the demo site or a broken file).
    pub fn saves_site(&self) -> bool {
        self.saver.is_some()
    }

    /// The index reader behind the timeline panel (none without a storage folder).
    pub fn timeline_data(&self) -> Option<&TimelineData> {
        self.timeline.as_ref()
    }

    /// The newest status message, while it is recent.
    pub fn status(&self) -> Option<&str> {
        let (text, at) = self.status.as_ref()?;
        (self
            .options
            .clock
            .monotonic()
            .saturating_duration_since(*at)
            < STATUS_FOR)
            .then_some(text.as_str())
    }

    /// A camera's recorder, when it records.
    pub fn recorder_status(&self, camera_id: &str) -> Option<RecorderStatus> {
        self.recording.status(camera_id)
    }

    /// Why recording is off, when the recorders could not start, or what to know about
    /// its storage while it runs (a damaged index set aside and rebuilt).
    pub fn recording_error(&self) -> Option<&str> {
        self.recording.error()
    }

    /// The running or last evidence export.
    pub fn export_status(&self) -> Option<&ExportStatus> {
        self.exports.status()
    }

    /// The installation's signing key's fingerprint (made on first use), or why
    /// there is none.
    pub fn signing_fingerprint(&mut self) -> Result<String, String> {
        self.exports.fingerprint()
    }

    /// Keeps the signing key in `dir` instead of the data directory (tests, a
    /// recorder service with its own folder).
    pub fn set_signing_key_dir(&mut self, dir: PathBuf) {
        self.exports.set_key_dir(dir);
    }

    /// Where snapshots are written (the default export folder sits beside it).
    pub fn snapshot_dir(&self) -> &std::path::Path {
        &self.options.snapshot_dir
    }

    fn say(&mut self, text: String) {
        tracing::info!(%text, "status");
        self.status = Some((text, self.options.clock.monotonic()));
        (self.notify)();
    }

    /// Carries out `command` when the current role allows it (see
    /// [`Core::try_apply`]; a refusal is said in the status bar).
    pub fn apply(&mut self, command: Command) {
        let _ = self.try_apply(command);
    }

    /// Carries out `command`, its role already checked.
    fn carry_out(&mut self, command: Command) {
        let site = &mut self.site;
        let changed = match command {
            Command::Assign { tile, camera } => self.wall.assign(site, tile, camera),
            Command::PutOnWall(camera) => {
                let tile = self.wall.tile_for_new_camera(site);
                self.wall.assign(site, tile, camera)
            }
            Command::Swap(a, b) => self.wall.swap(site, a, b),
            Command::Clear(tile) => self.wall.clear(site, tile),
            Command::Select(tile) => {
                self.wall.select(tile);
                false
            }
            Command::ToggleMaximise(tile) => {
                self.wall.toggle_maximise(tile);
                false
            }
            Command::Maximise(tile) => {
                self.wall.maximise(tile);
                false
            }
            Command::ToggleFill(tile) => {
                self.wall.toggle_fill(tile);
                false
            }
            Command::ZoomAt { tile, factor, at } => {
                self.wall.zoom_at(tile, factor, at);
                false
            }
            Command::Pan { tile, by } => {
                self.wall.pan(tile, by);
                false
            }
            Command::ResetZoom(tile) => {
                self.wall.reset_zoom(tile);
                false
            }
            Command::SetLayout(name) => self.wall.set_layout(site, &name),
            Command::SaveLayoutAs(name) => match self.wall.save_layout_as(site, &name) {
                Ok(()) => {
                    self.say(format!("Layout \"{}\" saved", name.trim()));
                    true
                }
                Err(why) => {
                    self.say(why);
                    false
                }
            },
            Command::ShowStats(on) => {
                let changed = site.wall.show_stats != on;
                site.wall.show_stats = on;
                changed
            }
            Command::Snapshot(tile) => {
                self.snapshot(tile);
                false
            }
            Command::Seek { time, mode } => {
                self.seek(time, mode);
                false
            }
            Command::Play => {
                if let Some(review) = &self.review {
                    review.clock().play(self.review_speed);
                }
                false
            }
            Command::Pause => {
                if let Some(review) = &self.review {
                    review.clock().pause();
                }
                false
            }
            Command::SetSpeed(speed) => {
                self.review_speed = speed;
                if let Some(review) = &self.review
                    && !review.clock().is_paused()
                {
                    review.clock().play(speed);
                }
                false
            }
            Command::Step(frames) => {
                let leader = self.wall.selected_camera(&self.site).cloned();
                if let Some(review) = &self.review {
                    review.step(leader.as_ref().map(CameraId::as_str), frames);
                }
                false
            }
            Command::Replay { tile, seconds } => {
                let tile = tile.or(self.wall.selected);
                let camera = tile.and_then(|t| self.wall.camera(&self.site, t)).cloned();
                self.replay(camera, seconds);
                false
            }
            Command::Live => {
                self.close_review();
                false
            }
            Command::AddBookmark {
                cameras,
                range,
                note,
            } => {
                self.ask_index(Request::AddBookmark {
                    cameras,
                    range,
                    note,
                });
                false
            }
            Command::RemoveBookmark(id) => {
                self.ask_index(Request::RemoveBookmark { id });
                false
            }
            Command::Say(text) => {
                self.say(text);
                false
            }
            Command::Export(order) => {
                let now = self.now();
                if let Err(err) =
                    self.exports
                        .start(order, self.options.storage.as_deref(), &self.site, now)
                {
                    self.say(format!("Export failed: {err}"));
                }
                false
            }
            Command::CancelExport => {
                self.exports.cancel();
                false
            }
            Command::ChangeSite(change) => self.change_site(change),
            Command::TestStream(edit) => {
                self.start_test(&edit);
                false
            }
            Command::StopTest => {
                self.stop_test();
                false
            }
            Command::SecurityCheck(camera) => {
                self.start_security_check(&camera);
                false
            }
            Command::UnlockVault(passphrase) => {
                self.passwords.set_passphrase(passphrase.0);
                false
            }
            Command::InspectOnvif(login) => {
                self.lookups.start_onvif(login, Arc::clone(&self.notify));
                false
            }
            Command::ClearOnvif => {
                self.lookups.clear_onvif();
                false
            }
            Command::Discover(order) => {
                self.lookups
                    .start_discovery(order, Arc::clone(&self.notify));
                false
            }
            Command::MigratePasswords => {
                let kind = self.site.password_store();
                self.passwords.start_migration(
                    kind,
                    self.credentials.path().to_path_buf(),
                    Arc::clone(&self.notify),
                );
                false
            }
            Command::SwitchRole { .. } => {
                // Handled by `try_apply`, which checks the password.
                false
            }
            Command::SetRecording { camera, recording } => {
                match site.cameras.iter_mut().find(|c| c.id == camera) {
                    Some(config) if config.recording != recording => {
                        config.recording = recording;
                        true
                    }
                    Some(_) => false,
                    None => {
                        self.say(format!("No camera {camera}"));
                        false
                    }
                }
            }
            Command::AcknowledgeAlarm { id, note } => {
                self.acknowledge_alarm(id, &note);
                false
            }
            Command::ShowMotion(on) => {
                self.show_motion = on;
                false
            }
            Command::CloseAlarm(id) => {
                if let Some(alarm) = self.alerts.close(id) {
                    self.operator_action(OperatorAction::CloseAlarm, &alarm);
                }
                false
            }
            Command::OnWall(wall, command) => {
                self.on_wall(&wall, *command);
                false
            }
            Command::OpenWallWindow => self.open_wall_window(),
            Command::CloseWallWindow(name) => self.close_wall_window(&name),
            Command::PlaceWallWindow { name, placement } => {
                self.place_wall_window(&name, placement)
            }
            Command::Ptz { camera, action } => {
                self.ptz(&camera, action);
                false
            }
            Command::ReviewAlarm(id) => {
                if let Some(alarm) = self.alerts.alarm(id) {
                    let camera = alarm.camera.clone();
                    let from = alarm
                        .start
                        .saturating_add_nanos(-ALARM_REVIEW_BEFORE_SECS * NANOS_PER_SEC);
                    if self.start_review(Scope::Camera(camera), from, SeekMode::Exact, true) {
                        self.say(format!(
                            "Playing the alarm from {ALARM_REVIEW_BEFORE_SECS} s before"
                        ));
                    }
                }
                false
            }
        };
        self.unsaved |= changed;
    }

    fn acknowledge_alarm(&mut self, id: u64, note: &str) {
        if self.site.wall.alarm_note_required && note.trim().is_empty() {
            self.say("Acknowledging an alarm needs a note".to_owned());
            return;
        }
        let Some(alarm) = self.alerts.acknowledge(id, note) else {
            return;
        };
        let end = alarm.end.unwrap_or_else(|| self.now()).max(alarm.start);
        let label = if alarm.note.is_empty() {
            alarm.kind.clone()
        } else {
            format!("{}: {}", alarm.kind, alarm.note)
        };
        self.ask_index(Request::AddBookmark {
            cameras: vec![alarm.camera.clone()],
            range: TimeRange::new(alarm.start, end),
            note: label,
        });
        self.operator_action(OperatorAction::AcknowledgeAlarm, &alarm);
    }

    /// The one place an operator's action on an alarm passes: the audit trail
    /// (another branch) records acknowledge and close here, with the operator, the
    /// action and the alarm as target. Until then it is logged.
    /// Logs an operator's action on an alarm and appends it to the audit trail.
    fn operator_action(&mut self, action: OperatorAction, alarm: &Alarm) {
        tracing::info!(
            action = action.as_str(),
            alarm = alarm.id,
            camera = %alarm.camera,
            kind = %alarm.kind,
            note = %alarm.note,
            "operator action"
        );
        let details = format!("alarm {} ({}); note: {}", alarm.id, alarm.kind, alarm.note);
        self.audit(action.as_str(), alarm.camera.as_ref(), &details);
    }

    fn ask_index(&mut self, request: Request) {
        let sent = self.timeline.as_ref().is_some_and(|t| t.send(request));
        if !sent {
            self.say("The recording index is busy or absent: try again".to_owned());
        }
    }

    fn seek(&mut self, time: WallNanos, mode: SeekMode) {
        match &self.review {
            Some(review) if *review.scope() == Scope::Layout => review.clock().seek(time, mode),
            // From live, or from one tile's instant replay: the timeline, go-to and
            // events move the whole layout, with the seek's own kind (a drag that
            // starts review shows keyframes, not exact frames).
            _ => {
                self.start_review(Scope::Layout, time, mode, false);
            }
        }
    }

    /// Instant replay: `camera`'s tile (or the whole layout) plays from `seconds` ago.
    fn replay(&mut self, camera: Option<CameraId>, seconds: i64) {
        let at = self
            .now()
            .saturating_add_nanos(-seconds.saturating_mul(NANOS_PER_SEC));
        let scope = camera.map_or(Scope::Layout, Scope::Camera);
        if self.start_review(scope, at, SeekMode::Exact, true) {
            self.say(format!("Replaying the last {seconds} s"));
        }
    }

    fn start_review(&mut self, scope: Scope, at: WallNanos, mode: SeekMode, play: bool) -> bool {
        let Some(storage) = self.options.storage.clone() else {
            self.say("Nothing is recorded: no storage folder".to_owned());
            return false;
        };
        self.close_review();
        let review = Review::new(
            &storage,
            Arc::clone(&self.notify),
            scope,
            at,
            mode,
            Arc::clone(&self.options.clock),
        );
        if play {
            self.review_speed = 1.0;
            review.clock().play(1.0);
        }
        let target = match review.scope() {
            Scope::Camera(camera) => camera.to_string(),
            Scope::Layout => self.wall_cameras().join(","),
        };
        let how = if play { "instant replay" } else { "timeline" };
        self.review = Some(review);
        self.audit(
            "review_open",
            &target,
            &format!("at {} ({how})", operator::time_text(at)),
        );
        true
    }

    fn close_review(&mut self) {
        if let Some(review) = self.review.take() {
            self.gone.extend(review.close());
        }
    }

    fn snapshot(&mut self, tile: usize) {
        let Some(camera) = self.wall.camera(&self.site, tile).cloned() else {
            return;
        };
        let reviewed = self
            .review
            .as_ref()
            .filter(|r| r.includes(&camera))
            .and_then(|r| r.shown(&camera));
        let frame = match reviewed {
            Some(frame) => Box::new(frame.clone()),
            None => match self.streams.shown(&camera) {
                Some(shown) => shown.frame.clone(),
                None => {
                    self.say("No picture to save yet".to_owned());
                    return;
                }
            },
        };
        let name = self
            .site
            .camera(&camera)
            .map_or_else(|| camera.to_string(), |c| c.name.clone());
        let dir = self.options.snapshot_dir.clone();
        let path = crate::snapshot::snapshot_path(&dir, &camera, self.now());
        // A zoomed tile: the part it shows as well, cut from the full frame.
        let zoom = self.wall.zoom_of(tile);
        let zoom_uv = zoom.is_zoomed().then(|| {
            let (tile_w, tile_h) = self.tile_size(tile).unwrap_or((0.0, 0.0));
            let fill = self.wall.fill.get(tile).copied().unwrap_or(false);
            zoom.apply(crate::zoom::base_uv(
                frame.width,
                frame.height,
                tile_w,
                tile_h,
                fill,
            ))
        });
        let zoom_path = zoom_uv.map(|_| crate::snapshot::zoom_path(&path));
        let reports = self.snapshots.0.clone();
        let notify = Arc::clone(&self.notify);
        let spawned = std::thread::Builder::new()
            .name("vigil-snapshot".to_owned())
            .spawn(move || {
                let said = match std::fs::create_dir_all(&dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))
                    .and_then(|()| {
                        let zoom = zoom_uv.zip(zoom_path.as_deref());
                        crate::snapshot::save_pngs(&frame, &path, zoom).map_err(|e| e.to_string())
                    }) {
                    Ok(()) => {
                        tracing::info!(path = %path.display(), "snapshot saved");
                        match &zoom_path {
                            Some(zoomed) => format!(
                                "Snapshot of {name} saved to {} (zoomed part: {})",
                                path.display(),
                                zoomed.display()
                            ),
                            None => format!("Snapshot of {name} saved to {}", path.display()),
                        }
                    }
                    Err(err) => {
                        tracing::error!(path = %path.display(), %err, "snapshot failed");
                        format!("Snapshot of {name} failed: {err}")
                    }
                };
                reports.try_send(said).ok();
                notify();
            });
        if let Err(err) = spawned {
            self.say(format!("Snapshot failed: {err}"));
        }
    }

    /// A tile's size in points on the wall as last laid out (the whole wall when it
    /// is the maximised one); `None` before the app said where the wall is.
    fn tile_size(&self, tile: usize) -> Option<(f32, f32)> {
        let viewport = self.viewport?;
        if self.wall.maximised == Some(tile) {
            return Some((viewport.width_points, viewport.height_points));
        }
        let area = crate::wall::Rect::new(0.0, 0.0, viewport.width_points, viewport.height_points);
        let rect = *crate::wall::tile_rects(&self.layout(), area, TILE_GAP_POINTS).get(tile)?;
        Some((rect.width, rect.height))
    }

    /// The cameras of the active layout's tiles, in tile order, once each.
    fn wall_cameras(&self) -> Vec<String> {
        let mut cameras: Vec<String> = Vec::new();
        for tile in 0..self.layout().tiles.len() {
            if let Some(camera) = self.wall.camera(&self.site, tile)
                && !cameras.iter().any(|c| c == camera.as_str())
            {
                cameras.push(camera.to_string());
            }
        }
        cameras
    }

    /// The cameras whose tiles are on screen now, in tile order, main wall first then
    /// each wall window's.
    fn visible_cameras(&self) -> Vec<&str> {
        let walls = std::iter::once(&self.wall).chain(self.extra.iter().map(|e| &e.wall));
        let mut cameras = Vec::new();
        for wall in walls {
            let tiles = wall.layout(&self.site).tiles.len();
            let shown: Vec<usize> = match wall.maximised {
                Some(i) => vec![i],
                None => (0..tiles).collect(),
            };
            cameras.extend(
                shown
                    .into_iter()
                    .filter_map(|i| wall.camera(&self.site, i))
                    .map(CameraId::as_str),
            );
        }
        cameras
    }

    /// One step of the engine (see the module docs). Cheap when nothing changed.
    pub fn step(&mut self) {
        let now = self.options.clock.monotonic();
        if let Some(text) = self.exports.poll() {
            self.say(text);
        }
        self.poll_migration();
        if self.lookups.poll() {
            (self.notify)();
        }
        if let Some(saver) = &self.saver
            && let Some(SaverReport::Failed(err)) = saver.poll()
        {
            self.say(format!("Could not save the site file: {err}"));
        }
        while let Ok(said) = self.snapshots.1.try_recv() {
            self.say(said);
        }
        for id in std::mem::take(&mut self.reconnect) {
            self.streams.restart_camera(&id);
        }
        if let Some(failure) = self.audit_log.take_failure() {
            self.say(format!("Audit trail: {failure}"));
        }
        let credentials = &self.credentials;
        let detected = self.alerts.wanted_streams(&self.site, |camera| {
            crate::streams::specs_for(camera, credentials).ok()
        });
        if self.viewport.is_some() {
            let needs =
                needs::camera_needs(&self.site, &self.laid_out_walls(), self.review.as_ref());
            let pinned =
                self.recording
                    .sync(&self.site, &self.credentials, &mut self.streams.engine);
            // Removed cameras' recorders were told to stop just now: their connections
            // can go (the recorders close their segments on their own threads).
            for id in self.disconnect.drain(..) {
                self.streams.engine.stop_camera(&id);
            }
            self.streams
                .sync(&needs, &self.credentials, pinned, &detected, now);
            self.streams.take_new_frames(now);
            if self.review.is_some() {
                let visible: Vec<String> = self
                    .visible_cameras()
                    .into_iter()
                    .map(str::to_owned)
                    .collect();
                if let Some(review) = &mut self.review {
                    let visible: Vec<&str> = visible.iter().map(String::as_str).collect();
                    review.sync(&visible);
                    review.take_new_frames();
                }
            }
        } else {
            // No wall yet (the app has not laid out its first frame): keep recording
            // and detecting.
            let pinned =
                self.recording
                    .sync(&self.site, &self.credentials, &mut self.streams.engine);
            for id in self.disconnect.drain(..) {
                self.streams.engine.stop_camera(&id);
            }
            self.streams
                .sync(&[], &self.credentials, pinned, &detected, now);
        }
        self.alerts.tap(&self.streams.engine);
        let engine = &self.streams.engine;
        let recording = &self.recording;
        let streams = &self.streams;
        self.alerts.step(
            &self.site,
            |camera| camera_ingest_state(engine, camera),
            |id| recording.status(id),
            |id| recording.trigger(id),
            |id| {
                streams
                    .shown(id)
                    .map(|shown| Arc::new(crate::alerts::detection::Thumbnail::of(&shown.frame)))
            },
        );
        self.ptz.sync(&self.site, &self.credentials);
        self.learn_sizes();
        if self.unsaved {
            self.unsaved = false;
            if let Some(saver) = &self.saver {
                saver.save(&self.site);
            }
        }
    }

    /// Writes sizes learnt from live connections back into the site (saved with it).
    fn learn_sizes(&mut self) {
        for p in self.streams.take_probed() {
            let Some(camera) = self.site.cameras.iter_mut().find(|c| c.id == p.camera_id) else {
                continue;
            };
            let fps = (p.fps > 0).then_some(p.fps);
            if p.stream == MAIN_STREAM {
                (camera.width, camera.height, camera.fps) = (Some(p.width), Some(p.height), fps);
            } else if let Some(sub) = camera.substreams.iter_mut().find(|s| s.name == p.stream) {
                (sub.width, sub.height, sub.fps) = (Some(p.width), Some(p.height), fps);
            }
            self.unsaved = true;
        }
    }

    /// Hands the pictures that changed since the last call to `upload` (live and
    /// review), once each, the longest-waiting first, for at most
    /// [`UPLOAD_TIME_BUDGET`] (at least one picture of each kind): the rest wait for
    /// the next frame, so a UI frame stays short however slow the copy to the GPU is.
    /// `upload` says why it could not take a picture (too large for the GPU): the
    /// picture's tile shows that instead of the picture.
    pub fn upload_fresh(
        &mut self,
        mut upload: impl FnMut(&VideoKey, &VideoFrame) -> Result<(), String>,
    ) {
        let deadline = Instant::now() + UPLOAD_TIME_BUDGET;
        let undrawable = &mut self.undrawable;
        let mut each = |key: &VideoKey, frame: &VideoFrame| {
            match upload(key, frame) {
                Ok(()) => {
                    undrawable.remove(key);
                }
                Err(why) => {
                    if undrawable.get(key) != Some(&why) {
                        tracing::warn!(picture = ?key, reason = %why, "picture not drawn");
                        undrawable.insert(key.clone(), why);
                    }
                }
            }
            Instant::now() < deadline
        };
        self.streams.upload_fresh(&mut each);
        if let Some(review) = &mut self.review {
            review.upload_fresh(&mut each);
        }
        if let Some((probe, uploaded)) = &mut self.probe
            && let Some(frame) = probe.report().frame
            && *uploaded != Some(frame.seq)
        {
            *uploaded = Some(frame.seq);
            each(&VideoKey::Preview(PROBE_PREVIEW.to_owned()), &frame);
        }
    }

    /// Pictures no tile shows any more: their textures can go.
    pub fn take_gone(&mut self) -> Vec<VideoKey> {
        let mut gone = std::mem::take(&mut self.gone);
        gone.extend(self.streams.take_gone());
        if let Some(review) = &mut self.review {
            gone.extend(review.take_gone());
        }
        for key in &gone {
            self.undrawable.remove(key);
        }
        gone
    }

    /// The state to show for a camera in the camera list (idle when it is not on the
    /// wall).
    pub fn camera_state(&self, camera_id: &str) -> StreamState {
        if self.cameras_on_any_wall().iter().any(|c| *c == camera_id) {
            self.streams.state(camera_id)
        } else {
            StreamState::Idle
        }
    }

    /// The stream a camera shows ("main", "sub", …) and the one it is switching to.
    pub fn camera_streams(&self, camera_id: &str) -> (Option<String>, Option<String>) {
        self.streams.streams_of(camera_id)
    }

    /// Cameras on the wall whose stream is live and whose picture is on screen.
    pub fn live_pictures(&self) -> usize {
        self.site
            .wall
            .assignment
            .iter()
            .flatten()
            .filter(|id| {
                self.streams.state(id) == StreamState::Live
                    && self.streams.shown(id).is_some()
                    && !self
                        .undrawable
                        .contains_key(&VideoKey::Live(id.to_string()))
            })
            .count()
    }

    /// Size of the live picture a camera shows now.
    pub fn shown_size(&self, camera_id: &str) -> Option<(u32, u32)> {
        self.streams
            .shown(camera_id)
            .map(|s| (s.frame.width, s.frame.height))
    }

    /// Figures for a camera's HUD (computed whether or not stats are on).
    pub fn hud(&self, camera_id: &str) -> Option<Hud> {
        self.streams.hud(camera_id)
    }

    /// Whether the wall (or one tile) shows recordings rather than live video.
    pub fn is_reviewing(&self) -> bool {
        self.review.is_some()
    }

    /// What is reviewed: the whole layout, or one camera (instant replay).
    pub fn review_scope(&self) -> Option<&Scope> {
        self.review.as_ref().map(Review::scope)
    }

    /// The review position, while reviewing.
    pub fn review_position(&self) -> Option<WallNanos> {
        self.review.as_ref().map(Review::position)
    }

    /// The review is paused (or there is none).
    pub fn review_paused(&self) -> bool {
        self.review.as_ref().is_none_or(|r| r.clock().is_paused())
    }

    /// The speed "play" uses (signed: negative is reverse).
    pub fn review_speed(&self) -> f64 {
        self.review_speed
    }

    /// What a camera's tile shows in review: the wall time of its picture.
    pub fn review_shown(&self, camera_id: &str) -> Option<WallNanos> {
        self.review.as_ref()?.tile(camera_id)?.shown
    }

    /// Acknowledging an alarm needs a note (the site's setting).
    pub fn alarm_note_required(&self) -> bool {
        self.site.wall.alarm_note_required
    }

    /// The alarm queue, newest first.
    pub fn alarms(&self) -> &[Alarm] {
        self.alerts.alarms()
    }

    /// Unacknowledged alarms of one camera, or of all (`None`).
    pub fn unacknowledged_alarms(&self, camera_id: Option<&str>) -> usize {
        self.alerts.unacknowledged(camera_id)
    }

    /// The highest severity of a camera's unacknowledged alarms: its tile's border.
    pub fn alarm_severity(&self, camera_id: &str) -> Option<vigil_store::Severity> {
        self.alerts.alarm_severity(camera_id)
    }

    /// The cells that moved in a detecting camera's newest frame (row-major,
    /// `vigil_detect::GRID_W` × `GRID_H`), while motion is seen.
    pub fn moving_cells(&self, camera_id: &str) -> Option<Arc<Vec<bool>>> {
        self.alerts.moving_cells(camera_id)
    }

    /// Passes a PTZ request to the camera's worker (started first if the site just got
    /// its address); a camera that cannot be driven is said in the status bar.
    fn ptz(&mut self, camera: &CameraId, action: crate::ptz::PtzAction) {
        if !self.ptz.has_worker(camera) {
            self.ptz.sync(&self.site, &self.credentials);
        }
        if let Err(why) = self.ptz.send(&self.site, camera, action) {
            self.say(why.to_string());
        }
    }

    /// A camera's PTZ: whether it can be driven, its presets, the last outcome.
    pub fn ptz_view(&self, camera: &CameraId) -> crate::ptz::PtzView {
        self.ptz.view(&self.site, camera)
    }

    /// Stops review players, closes each segment being recorded, stops every stream
    /// (waiting up to `timeout`) and writes the last site-file save.
    pub fn shutdown(&mut self, timeout: Duration) {
        tracing::info!("shutting down");
        self.stop_test();
        self.ptz.stop_all();
        self.close_review();
        // Closes each segment cleanly before the streams go away.
        self.recording.stop();
        self.streams.engine.shutdown(timeout);
        if self.unsaved
            && let Some(saver) = &self.saver
        {
            saver.save(&self.site);
        }
        if let Some(saver) = self.saver.take() {
            saver.finish();
        }
        self.audit_log.finish();
    }
}
