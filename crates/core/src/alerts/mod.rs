//! Alerts, headless: motion and tamper detection on each detecting camera's smallest
//! stream ([`detection`]), camera health from the engine's and recorders' states
//! ([`health`]), every event written to the index with its severity ([`index`]), the
//! alarm queue (new → acknowledged → closed) with the rules per camera and kind, and
//! event recording around motion and tamper on cameras recording in `events` mode.
//!
//! Owns: the detection workers and which decoder each taps, the health trackers, the
//! alarms and the overlay's moving cells. Must not: decode (workers read the tile's
//! decoder through its tap), draw, or block (workers and the index writer are threads).

pub mod detection;
pub mod health;
pub mod index;
pub mod sound;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use vigil_config::{AlertAction, AlertSeverity, CameraConfig, CameraId, Site};
use vigil_detect::EventKind;
use vigil_media::{Engine, MAIN_STREAM, StreamKey, StreamShared, StreamSpec, StreamState};
use vigil_record::RecorderStatus;
use vigil_store::Severity;
use vigil_time::{SharedClock, WallNanos};

use detection::{Report, Thumbnail, Worker};
use health::{Change, Health};
use index::{IndexWriter, Write};

/// Alarms kept in the queue; the oldest closed ones go first beyond this.
pub const MAX_ALARMS: usize = 500;
/// Moving cells older than this are not drawn.
const CELLS_FRESH: Duration = Duration::from_secs(1);
/// While a motion or tamper event lasts, its camera's event recording is extended by
/// this much at every step.
const RECORD_HOLD: Duration = Duration::from_secs(2);

/// An alarm's place in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlarmState {
    New,
    Acknowledged,
    Closed,
}

impl AlarmState {
    pub fn label(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Acknowledged => "acknowledged",
            Self::Closed => "closed",
        }
    }
}

/// One alarm in the queue.
#[derive(Clone, Debug)]
pub struct Alarm {
    /// Unique in this run (also the event's number for its index row).
    pub id: u64,
    pub camera: CameraId,
    /// The event kind as indexed (`motion`, `camera_offline`, …).
    pub kind: String,
    pub severity: Severity,
    pub start: WallNanos,
    /// `None` while the event goes on.
    pub end: Option<WallNanos>,
    pub state: AlarmState,
    /// The acknowledgement's note.
    pub note: String,
    /// The frame that raised it, small (detection events).
    pub thumbnail: Option<Arc<Thumbnail>>,
    /// The rule asked for a sound.
    pub sound: bool,
}

/// What an event kind does on a camera: the site's rule over the default.
pub fn rule_for(camera: &CameraConfig, kind: &str) -> (Severity, AlertAction) {
    let (severity, action) = match kind {
        "motion" => (Severity::Warning, AlertAction::Alarm),
        "camera_online" => (Severity::Info, AlertAction::Log),
        _ => (Severity::Critical, AlertAction::Alarm),
    };
    let rule = camera.alerts.get(kind).copied().unwrap_or_default();
    let severity = rule.severity.map_or(severity, |s| match s {
        AlertSeverity::Info => Severity::Info,
        AlertSeverity::Warning => Severity::Warning,
        AlertSeverity::Critical => Severity::Critical,
    });
    (severity, rule.action.unwrap_or(action))
}

/// The stream detection reads: the camera's smallest known stream (substreams of
/// unknown size count as smaller than the main stream).
pub fn smallest_stream(camera: &CameraConfig) -> String {
    let area = |w: Option<u32>, h: Option<u32>| {
        w.zip(h)
            .map_or(u64::MAX - 1, |(w, h)| u64::from(w) * u64::from(h))
    };
    let main_area = area(camera.width, camera.height).saturating_add(1);
    camera
        .substreams
        .iter()
        .map(|s| (area(s.width, s.height), s.name.as_str()))
        .filter(|(a, _)| *a < main_area)
        .min_by_key(|(a, _)| *a)
        .map_or_else(|| MAIN_STREAM.to_owned(), |(_, name)| name.to_owned())
}

struct Detecting {
    worker: Worker,
    key: StreamKey,
    tapped: Option<Arc<StreamShared>>,
    config: CameraConfig,
}

impl Drop for Detecting {
    fn drop(&mut self) {
        // The decoder may go on for a tile: it stops copying frames for nobody.
        if let Some(stream) = self.tapped.take() {
            stream.set_tap(None);
        }
    }
}

/// Detection, health and the alarm queue (see the module docs).
pub struct Alerts {
    clock: SharedClock,
    workers: HashMap<CameraId, Detecting>,
    health: HashMap<CameraId, Health>,
    writer: Option<IndexWriter>,
    alarms: Vec<Alarm>,
    /// Running events: (camera, kind) → token.
    open: HashMap<(CameraId, String), u64>,
    /// Detection events going on (motion, tamper): their cameras record.
    recording_events: HashSet<(CameraId, EventKind)>,
    cells: HashMap<CameraId, (Arc<Vec<bool>>, Instant)>,
    next_token: u64,
    /// Started at the first alarm that asks for a sound.
    sounder: Option<sound::Sounder>,
    /// The sound thread could not start: said once.
    sound_failed: bool,
}

impl Alerts {
    /// Alerts writing to the index in `storage` (none: events are only alarms and log).
    pub fn new(storage: Option<&Path>, clock: SharedClock) -> Self {
        let writer = storage.and_then(|dir| {
            IndexWriter::start(dir)
                .map_err(|err| tracing::error!(%err, "cannot start the event writer"))
                .ok()
        });
        Self {
            clock,
            workers: HashMap::new(),
            health: HashMap::new(),
            writer,
            alarms: Vec::new(),
            open: HashMap::new(),
            recording_events: HashSet::new(),
            cells: HashMap::new(),
            next_token: 1,
            sounder: None,
            sound_failed: false,
        }
    }

    /// The streams detection needs decoded: each detecting camera's smallest stream.
    /// Starts and stops workers as the site's detection settings change.
    pub fn wanted_streams(
        &mut self,
        site: &Site,
        specs: impl Fn(&CameraConfig) -> Option<Vec<StreamSpec>>,
    ) -> Vec<StreamSpec> {
        let detecting: Vec<&CameraConfig> = site
            .cameras
            .iter()
            .filter(|c| c.enabled && c.detection.is_some())
            .collect();
        // A worker restarts only when its settings or its stream change (not when the
        // site learns a stream's size).
        self.workers.retain(|id, d| {
            detecting.iter().any(|c| {
                c.id == *id
                    && c.detection == d.config.detection
                    && smallest_stream(c) == d.key.stream
            })
        });
        let mut wanted = Vec::new();
        for camera in detecting {
            let Some(settings) = camera.detection.clone() else {
                continue;
            };
            let stream = smallest_stream(camera);
            let Some(spec) =
                specs(camera).and_then(|all| all.into_iter().find(|s| s.stream == stream))
            else {
                continue;
            };
            if !self.workers.contains_key(&camera.id) {
                match Worker::start(camera.id.as_str(), settings, Arc::clone(&self.clock)) {
                    Ok(worker) => {
                        self.workers.insert(
                            camera.id.clone(),
                            Detecting {
                                worker,
                                key: spec.key(),
                                tapped: None,
                                config: camera.clone(),
                            },
                        );
                    }
                    Err(err) => {
                        tracing::error!(camera = %camera.id, %err, "cannot start detection");
                        continue;
                    }
                }
            }
            wanted.push(spec);
        }
        wanted
    }

    /// Taps each detecting camera's decoder (again, when the engine restarted it).
    pub fn tap(&mut self, engine: &Engine) {
        for detecting in self.workers.values_mut() {
            let Some(stream) = engine.stream(&detecting.key) else {
                detecting.tapped = None;
                continue;
            };
            let same = detecting
                .tapped
                .as_ref()
                .is_some_and(|t| Arc::ptr_eq(t, stream));
            if !same || !stream.has_tap() {
                stream.set_tap(Some(detecting.worker.tap()));
                detecting.tapped = Some(Arc::clone(stream));
            }
        }
    }

    fn token(&mut self) -> u64 {
        let token = self.next_token;
        self.next_token += 1;
        token
    }

    /// An event began: indexed, and an alarm when its rule says so.
    fn start_event(
        &mut self,
        camera: &CameraConfig,
        kind: &str,
        start: WallNanos,
        end: Option<WallNanos>,
        note: &str,
        thumbnail: Option<Arc<Thumbnail>>,
    ) -> u64 {
        let (severity, action) = rule_for(camera, kind);
        let token = self.token();
        tracing::info!(camera = %camera.id, kind, severity = severity.as_str(), note, "event");
        if let Some(writer) = &self.writer {
            writer.send(Write::Start {
                token,
                camera: camera.id.to_string(),
                kind: kind.to_owned(),
                start_ns: start.nanos(),
                end_ns: end.map(WallNanos::nanos),
                severity,
                note: note.to_owned(),
            });
        }
        if end.is_none() {
            self.open
                .insert((camera.id.clone(), kind.to_owned()), token);
        }
        if action == AlertAction::Log {
            return token;
        }
        let sound = action == AlertAction::Sound;
        if sound {
            self.ring();
        }
        self.alarms.insert(
            0,
            Alarm {
                id: token,
                camera: camera.id.clone(),
                kind: kind.to_owned(),
                severity,
                start,
                end,
                state: AlarmState::New,
                note: String::new(),
                thumbnail,
                sound,
            },
        );
        if self.alarms.len() > MAX_ALARMS
            && let Some(i) = self
                .alarms
                .iter()
                .rposition(|a| a.state == AlarmState::Closed)
                .or(Some(self.alarms.len() - 1))
        {
            self.alarms.remove(i);
        }
        token
    }

    /// Plays the alarm chime (docs/alarms.md): never waits, never fails the alarm.
    fn ring(&mut self) {
        if self.sounder.is_none() && !self.sound_failed {
            match sound::Sounder::system() {
                Ok(sounder) => self.sounder = Some(sounder),
                Err(err) => {
                    tracing::warn!(%err, "cannot start the sound thread: alarms stay silent");
                    self.sound_failed = true;
                }
            }
        }
        if let Some(sounder) = &self.sounder {
            sounder.ring();
        }
    }

    fn end_event(&mut self, camera: &CameraId, kind: &str, end: WallNanos) {
        let Some(token) = self.open.remove(&(camera.clone(), kind.to_owned())) else {
            return;
        };
        if let Some(writer) = &self.writer {
            writer.send(Write::End {
                token,
                end_ns: end.nanos(),
            });
        }
        if let Some(alarm) = self.alarms.iter_mut().find(|a| a.id == token) {
            alarm.end = Some(end);
        }
    }

    /// Takes the workers' reports and looks at each camera's health; extends event
    /// recordings while motion or tamper lasts (through `trigger`). A health alarm's
    /// thumbnail is the camera's last picture (`last_picture`, asked only then).
    pub fn step(
        &mut self,
        site: &Site,
        stream_state: impl Fn(&CameraConfig) -> Option<StreamState>,
        recorder: impl Fn(&str) -> Option<RecorderStatus>,
        trigger: impl Fn(&str) -> Option<vigil_record::EventTrigger>,
        last_picture: impl Fn(&str) -> Option<Arc<Thumbnail>>,
    ) {
        let now = self.clock.monotonic();
        let mut reports: Vec<(CameraId, Report)> = Vec::new();
        for (id, detecting) in &self.workers {
            reports.extend(
                detecting
                    .worker
                    .take_reports()
                    .into_iter()
                    .map(|r| (id.clone(), r)),
            );
        }
        for (id, report) in reports {
            let Some(camera) = site.camera(&id) else {
                continue;
            };
            match report {
                Report::Cells(cells) => {
                    self.cells.insert(id, (cells, now));
                }
                Report::Started {
                    kind,
                    start,
                    thumbnail,
                } => {
                    self.start_event(camera, kind.as_str(), start, None, "", thumbnail);
                    self.recording_events.insert((id, kind));
                }
                Report::Ended { kind, end, .. } => {
                    self.end_event(&id, kind.as_str(), end);
                    self.recording_events.remove(&(id, kind));
                }
            }
        }
        let recording: HashSet<&CameraId> = self.recording_events.iter().map(|(c, _)| c).collect();
        for camera in recording {
            if let Some(trigger) = trigger(camera.as_str()) {
                trigger.hold(RECORD_HOLD);
            }
        }
        self.watch_health(site, &stream_state, &recorder, &last_picture, now);
    }

    fn watch_health(
        &mut self,
        site: &Site,
        stream_state: &impl Fn(&CameraConfig) -> Option<StreamState>,
        recorder: &impl Fn(&str) -> Option<RecorderStatus>,
        last_picture: &impl Fn(&str) -> Option<Arc<Thumbnail>>,
        now: Instant,
    ) {
        let wall_now = self.clock.wall();
        let wall_at = |at: Instant| {
            let back = now.saturating_duration_since(at);
            wall_now.saturating_add_nanos(-i64::try_from(back.as_nanos()).unwrap_or(i64::MAX))
        };
        self.health
            .retain(|id, _| site.camera(id).is_some_and(|c| c.enabled));
        for camera in site.cameras.iter().filter(|c| c.enabled) {
            let state = stream_state(camera);
            let rec = recorder(camera.id.as_str()).map(|s| s.state);
            let changes = self.health.entry(camera.id.clone()).or_default().update(
                state.as_ref(),
                rec.as_ref(),
                now,
            );
            for change in changes {
                match change {
                    Change::Raised {
                        problem,
                        since,
                        reason,
                    } => {
                        // Only when it raises an alarm: the scaling is not free.
                        let raises = rule_for(camera, problem.as_str()).1 != AlertAction::Log;
                        let thumbnail = if raises {
                            last_picture(camera.id.as_str())
                        } else {
                            None
                        };
                        self.start_event(
                            camera,
                            problem.as_str(),
                            wall_at(since),
                            None,
                            &reason,
                            thumbnail,
                        );
                    }
                    Change::Cleared { problem, at } => {
                        let at = wall_at(at);
                        self.end_event(&camera.id, problem.as_str(), at);
                        if !matches!(
                            problem,
                            health::Problem::RecordingStopped | health::Problem::DiskFull
                        ) {
                            self.start_event(camera, "camera_online", at, Some(at), "", None);
                        }
                    }
                }
            }
        }
    }

    /// The alarm queue, newest first.
    pub fn alarms(&self) -> &[Alarm] {
        &self.alarms
    }

    pub fn alarm(&self, id: u64) -> Option<&Alarm> {
        self.alarms.iter().find(|a| a.id == id)
    }

    /// Acknowledges a new alarm with `note`; returns it as it is now.
    pub fn acknowledge(&mut self, id: u64, note: &str) -> Option<Alarm> {
        let alarm = self
            .alarms
            .iter_mut()
            .find(|a| a.id == id && a.state == AlarmState::New)?;
        alarm.state = AlarmState::Acknowledged;
        note.trim().clone_into(&mut alarm.note);
        Some(alarm.clone())
    }

    /// Closes an alarm (it stays in the queue as history).
    pub fn close(&mut self, id: u64) -> Option<Alarm> {
        let alarm = self
            .alarms
            .iter_mut()
            .find(|a| a.id == id && a.state != AlarmState::Closed)?;
        alarm.state = AlarmState::Closed;
        Some(alarm.clone())
    }

    /// Unacknowledged alarms, of one camera or all.
    pub fn unacknowledged(&self, camera: Option<&str>) -> usize {
        self.alarms
            .iter()
            .filter(|a| a.state == AlarmState::New)
            .filter(|a| camera.is_none_or(|c| a.camera.as_str() == c))
            .count()
    }

    /// The highest severity among a camera's unacknowledged alarms (its border).
    pub fn alarm_severity(&self, camera: &str) -> Option<Severity> {
        self.alarms
            .iter()
            .filter(|a| a.state == AlarmState::New && a.camera.as_str() == camera)
            .map(|a| a.severity)
            .max()
    }

    /// The cells that moved in a detecting camera's newest frame, while fresh and
    /// while any moved.
    pub fn moving_cells(&self, camera: &str) -> Option<Arc<Vec<bool>>> {
        let (cells, at) = self.cells.get(camera)?;
        let fresh = self.clock.monotonic().saturating_duration_since(*at) < CELLS_FRESH;
        (fresh && cells.iter().any(|&c| c)).then(|| Arc::clone(cells))
    }
}
