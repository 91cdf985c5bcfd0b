//! Bridges the site's cameras to the media engine and the GPU: which stream of each
//! camera a tile needs (adaptive streaming), seamless switches, the decode budget, the
//! newest frame of each camera uploaded once per UI frame, and the figures for the HUD.
//!
//! Owns: per-camera active/pending streams, the last shown frame per camera (for
//! snapshots and dimmed offline pictures), which pictures are new since the app last
//! uploaded, rate meters. Must not: decode, block on a worker, or touch the GPU (the app
//! uploads what [`WallStreams::take_new_frames`] marked fresh).

use std::collections::{HashMap, HashSet};

use crate::fresh::Fresh;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use vigil_config::redact::parse_source;
use vigil_config::{CameraConfig, CameraId, CredentialStore};
use vigil_frame::VideoKey;
use vigil_media::budget::{BudgetInput, DecodeBudget};
use vigil_media::choice::{StreamOption, TileNeed, choose_stream};
use vigil_media::{
    Engine, Failure, MAIN_STREAM, StreamKey, StreamShared, StreamSpec, StreamState, VideoFrame,
};
use vigil_record::site::main_stream_spec;

/// The picture a camera shows now.
pub struct Shown {
    pub frame: Box<VideoFrame>,
    pub at: Instant,
}

/// What one camera on the wall needs this frame.
pub struct CameraNeed<'a> {
    pub camera: &'a CameraConfig,
    /// Its largest tile.
    pub need: TileNeed,
    /// Maximised or alarmed: keeps full frame rate under load.
    pub protected: bool,
}

/// A resolution learnt from a stream, to cache in the site file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probed {
    pub camera_id: CameraId,
    pub stream: String,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
}

/// Figures for a tile's HUD and stats line.
#[derive(Clone, Debug, Default)]
pub struct Hud {
    pub stream: String,
    pub codec: String,
    pub width: u32,
    pub height: u32,
    pub fps_received: f32,
    pub fps_shown: f32,
    pub kbps: f32,
    pub dropped: u64,
    pub decode_ms: f32,
    pub hardware: bool,
    /// Why the stream is decoded in software although hardware decoding was tried
    /// ("hardware device unavailable: cuda: …"); `None` on hardware or when it is off.
    pub software_reason: Option<String>,
    pub keyframe_only: bool,
    pub latency_ms: f32,
}

impl Hud {
    /// The decoder, for the HUD and stats line: `HW`, `SW`, or `SW (why not hardware)`,
    /// the reason cut to `max_chars` characters (an ellipsis marks the cut).
    pub fn decoder_label(&self, max_chars: usize) -> String {
        if self.hardware {
            return "HW".to_owned();
        }
        match &self.software_reason {
            None => "SW".to_owned(),
            Some(reason) if reason.chars().count() <= max_chars => format!("SW ({reason})"),
            Some(reason) => {
                let cut: String = reason.chars().take(max_chars.saturating_sub(1)).collect();
                format!("SW ({cut}…)")
            }
        }
    }
}

/// A stream's running counters at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counters {
    packets: u64,
    bytes: u64,
    decoded: u64,
    shown: u64,
    decode_us: u64,
}

/// Per-second rates derived from two readings of [`Counters`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Rates {
    packets_per_sec: f32,
    kbit_per_sec: f32,
    shown_per_sec: f32,
    decode_ms_per_frame: f32,
}

impl Rates {
    fn between(earlier: Counters, later: Counters, secs: f32) -> Self {
        #[allow(clippy::cast_precision_loss)]
        let delta = |f: fn(&Counters) -> u64| f(&later).saturating_sub(f(&earlier)) as f32;
        let decoded = delta(|c| c.decoded);
        Self {
            packets_per_sec: delta(|c| c.packets) / secs,
            kbit_per_sec: delta(|c| c.bytes) * 8.0 / 1000.0 / secs,
            shown_per_sec: delta(|c| c.shown) / secs,
            decode_ms_per_frame: if decoded > 0.0 {
                delta(|c| c.decode_us) / 1000.0 / decoded
            } else {
                0.0
            },
        }
    }
}

/// Rates over about a second, from running counters.
#[derive(Default)]
struct Meter {
    last: Option<(Instant, Counters)>,
    rates: Rates,
    shown: u64,
    latency_ms: f32,
}

impl Meter {
    fn update(&mut self, now: Instant, counters: Counters) {
        match self.last {
            Some((t, prev)) if now.duration_since(t) >= Duration::from_secs(1) => {
                self.rates = Rates::between(prev, counters, now.duration_since(t).as_secs_f32());
                self.last = Some((now, counters));
            }
            Some(_) => {}
            None => self.last = Some((now, counters)),
        }
    }
}

/// A camera's worker specs (main stream first), or why it cannot start.
type CameraSpecs = Result<Arc<[StreamSpec]>, Failure>;

#[derive(Default)]
struct CameraStreams {
    /// The worker specs built for this configuration (rebuilt only when it changes).
    specs: Option<(CameraConfig, CameraSpecs)>,
    active: Option<StreamKey>,
    pending: Option<StreamKey>,
    refused: Option<Failure>,
    meter: Meter,
}

/// The wall's streams, as the UI sees them.
pub struct WallStreams {
    pub(crate) engine: Engine,
    cameras: HashMap<CameraId, CameraStreams>,
    shown: HashMap<CameraId, Shown>,
    budget: DecodeBudget,
    probed: Vec<Probed>,
    upload_cursor: usize,
    /// Cameras whose shown picture changed since the app last uploaded.
    fresh: Fresh<CameraId>,
    /// Pictures no tile shows any more, whose textures the app frees.
    gone: Vec<VideoKey>,
}

/// A decoder whose queue waits longer than this is behind (the decode budget's input).
const BEHIND_LAG: Duration = Duration::from_millis(300);

/// Most bytes uploaded to the GPU in one UI frame (five 1080p frames), so a UI frame
/// stays short however many streams deliver at once.
const UPLOAD_BUDGET_BYTES: usize = 16 << 20;

/// Builds the worker specs of a configured camera: its main stream (exactly as its
/// recorder builds it, so both share one connection), then substreams.
pub fn specs_for(
    camera: &CameraConfig,
    credentials: &CredentialStore,
) -> Result<Vec<StreamSpec>, Failure> {
    if !camera.enabled {
        return Err(Failure::Other(
            "camera disabled in the site file".to_owned(),
        ));
    }
    let mut specs = vec![main_stream_spec(camera, credentials).map_err(Failure::BadSource)?];
    for sub in &camera.substreams {
        let mut spec = specs[0].clone();
        spec.stream.clone_from(&sub.name);
        spec.source = parse_source(&sub.source).map_err(|e| Failure::BadSource(e.to_string()))?;
        specs.push(spec);
    }
    Ok(specs)
}

impl WallStreams {
    pub fn new(engine: Engine) -> Self {
        Self {
            engine,
            cameras: HashMap::new(),
            shown: HashMap::new(),
            budget: DecodeBudget::default(),
            probed: Vec::new(),
            upload_cursor: 0,
            fresh: Fresh::default(),
            gone: Vec::new(),
        }
    }

    /// `specs_for(camera)`, built once per configuration instead of every UI frame.
    fn cached_specs(
        &mut self,
        camera: &CameraConfig,
        credentials: &CredentialStore,
    ) -> Result<Arc<[StreamSpec]>, Failure> {
        if let Some(CameraStreams {
            specs: Some((config, specs)),
            ..
        }) = self.cameras.get(&camera.id)
            && config == camera
        {
            return specs.clone();
        }
        let specs = specs_for(camera, credentials).map(Arc::from);
        self.cameras.entry(camera.id.clone()).or_default().specs =
            Some((camera.clone(), specs.clone()));
        specs
    }

    /// The options a camera offers, with resolutions from the site file, or better,
    /// from a live connection.
    fn options(&mut self, camera: &CameraConfig) -> Vec<StreamOption> {
        let mut options = vec![StreamOption {
            name: MAIN_STREAM.to_owned(),
            width: camera.width,
            height: camera.height,
        }];
        options.extend(camera.substreams.iter().map(|s| StreamOption {
            name: s.name.clone(),
            width: s.width,
            height: s.height,
        }));
        for option in &mut options {
            let key = StreamKey {
                camera_id: camera.id.to_string(),
                stream: option.name.clone(),
            };
            let Some(info) = self.engine.ingest(&key).and_then(|i| i.info()) else {
                continue;
            };
            if info.width == 0 || info.height == 0 {
                continue;
            }
            if option.width != Some(info.width) || option.height != Some(info.height) {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let fps = info.fps.round().clamp(0.0, 1000.0) as u32;
                let probed = Probed {
                    camera_id: camera.id.clone(),
                    stream: option.name.clone(),
                    width: info.width,
                    height: info.height,
                    fps,
                };
                if !self.probed.contains(&probed) {
                    self.probed.push(probed);
                }
            }
            option.width = Some(info.width);
            option.height = Some(info.height);
        }
        options
    }

    /// Runs the streams the wall needs: for each camera the stream its largest tile
    /// needs (switching seamlessly), connections to probe unknown substreams, and the
    /// decode budget, and the `also_decoded` streams (detection). Everything else stops
    /// (connections after a grace period), except `pinned` connections (recording cameras), which stay up without decoding.
    pub fn sync(
        &mut self,
        needs: &[CameraNeed<'_>],
        credentials: &CredentialStore,
        pinned: &HashSet<StreamKey>,
        also_decoded: &[StreamSpec],
        now: Instant,
    ) {
        let mut wanted: HashSet<StreamKey> = HashSet::new();
        // Streams decoded for detection: the same decoder when a tile shows the same
        // stream (one key, one decoder), so nothing is decoded twice.
        for spec in also_decoded {
            self.engine.ensure(spec);
            wanted.insert(spec.key());
        }
        let mut budget_inputs = Vec::new();
        for need in needs {
            let camera = need.camera;
            let specs = match self.cached_specs(camera, credentials) {
                Ok(specs) => specs,
                Err(failure) => {
                    self.engine.stop_camera(&camera.id);
                    self.cameras.entry(camera.id.clone()).or_default().refused = Some(failure);
                    continue;
                }
            };
            let options = self.options(camera);
            // Connect substreams of unknown size once, to learn their size.
            for (spec, option) in specs.iter().zip(&options).skip(1) {
                if option.width.is_none() {
                    self.engine.ensure_ingest(spec);
                }
            }
            let desired = specs[choose_stream(&options, need.need).min(specs.len() - 1)].clone();
            let state = self.cameras.entry(camera.id.clone()).or_default();
            state.refused = None;
            let desired_key = desired.key();
            match &state.active {
                None => {
                    self.engine.ensure(&desired);
                    state.active = Some(desired_key.clone());
                    state.pending = None;
                }
                Some(active) if *active == desired_key => {
                    self.engine.ensure(&desired);
                    state.pending = None;
                }
                Some(_) => {
                    // Keep the current picture until the new stream's first frame.
                    self.engine.ensure(&desired);
                    state.pending = Some(desired_key.clone());
                }
            }
            for key in state.active.iter().chain(state.pending.iter()) {
                wanted.insert(key.clone());
            }
            if let Some(active) = &state.active
                && let Some(stream) = self.engine.stream(active)
            {
                budget_inputs.push(BudgetInput {
                    key: active.clone(),
                    area_px: need.need.width_points
                        * need.need.height_points
                        * need.need.pixels_per_point.powi(2),
                    priority: camera.priority,
                    protected: need.protected,
                    behind: stream.falling_behind(BEHIND_LAG),
                    hardware: stream.hardware(),
                });
            }
        }
        let keyframe_only = self.budget.update(now, &budget_inputs);
        for input in &budget_inputs {
            if let Some(stream) = self.engine.stream(&input.key) {
                stream.set_keyframe_only(keyframe_only.contains(&input.key));
            }
        }
        self.engine.retain(&wanted, pinned);
        let on_wall: HashSet<&str> = needs.iter().map(|n| n.camera.id.as_str()).collect();
        self.cameras.retain(|id, _| on_wall.contains(id.as_str()));
        let gone: Vec<CameraId> = self
            .shown
            .keys()
            .filter(|id| !on_wall.contains(id.as_str()))
            .cloned()
            .collect();
        for id in gone {
            self.shown.remove(&id);
            self.fresh.remove(&id);
            self.gone.push(VideoKey::Live(id.to_string()));
        }
    }

    /// Disconnects every stream of a camera now and forgets its worker specs: it was
    /// removed, or its password changed (the next sync connects it again).
    pub fn restart_camera(&mut self, camera_id: &str) {
        self.engine.stop_camera(camera_id);
        if let Some(state) = self.cameras.get_mut(camera_id) {
            state.specs = None;
            state.active = None;
            state.pending = None;
        }
    }

    /// Resolutions learnt since the last call that differ from the site file.
    pub fn take_probed(&mut self) -> Vec<Probed> {
        std::mem::take(&mut self.probed)
    }

    /// Takes each camera's newest frame as its shown picture, at most
    /// [`UPLOAD_BUDGET_BYTES`] a call (the rest keep theirs in their slot for the next
    /// call). A pending stream that has its first frame replaces the active one in the
    /// same call: no black flash.
    pub fn take_new_frames(&mut self, now: Instant) {
        // Start where the last frame's budget ran out, so every camera gets its turn.
        let mut ids: Vec<CameraId> = self.cameras.keys().cloned().collect();
        ids.sort();
        let start = self.upload_cursor % ids.len().max(1);
        ids.rotate_left(start);
        let mut uploaded_bytes = 0usize;
        for (n, id) in ids.into_iter().enumerate() {
            if uploaded_bytes >= UPLOAD_BUDGET_BYTES {
                // The rest keep their newest frame in their slot for the next UI frame.
                self.upload_cursor = start + n;
                break;
            }
            let Some(state) = self.cameras.get_mut(&id) else {
                continue;
            };
            let pending_frame = state
                .pending
                .as_ref()
                .and_then(|key| self.engine.stream(key))
                .and_then(|stream| stream.slot.take_latest().map(|f| (Arc::clone(stream), f)));
            let taken = if let Some((stream, frame)) = pending_frame {
                let new_active = state.pending.take();
                if let Some(old) = std::mem::replace(&mut state.active, new_active) {
                    self.engine.stop_decoder(&old);
                }
                Some((stream, frame))
            } else {
                state
                    .active
                    .as_ref()
                    .and_then(|key| self.engine.stream(key))
                    .and_then(|stream| stream.slot.take_latest().map(|f| (Arc::clone(stream), f)))
            };
            if let Some((stream, frame)) = taken {
                uploaded_bytes += frame.planes.iter().map(|p| p.data.len()).sum::<usize>();
                state.meter.shown += 1;
                #[allow(clippy::cast_precision_loss)]
                {
                    state.meter.latency_ms = now
                        .saturating_duration_since(frame.received_at)
                        .as_secs_f32()
                        * 1000.0;
                }
                if let Some(old) = self.shown.insert(id.clone(), Shown { frame, at: now }) {
                    stream.slot.recycle(old.frame);
                }
                self.fresh.mark(id.clone(), now);
            }
            if let Some(stream) = state.active.as_ref().and_then(|k| self.engine.stream(k)) {
                let ingest = stream.ingest();
                state.meter.update(
                    now,
                    Counters {
                        packets: ingest.stats.packets_received.load(Ordering::Relaxed),
                        bytes: ingest.stats.bytes_received.load(Ordering::Relaxed),
                        decoded: stream.stats.frames_decoded.load(Ordering::Relaxed),
                        shown: state.meter.shown,
                        decode_us: stream.stats.decode_us.load(Ordering::Relaxed),
                    },
                );
            }
        }
    }

    /// Hands each picture that changed since the last call to `upload`, once, the
    /// longest-waiting first, until `upload` returns false (its time is up); the rest
    /// wait for the next call.
    pub fn upload_fresh(&mut self, mut upload: impl FnMut(&VideoKey, &VideoFrame) -> bool) {
        let shown = &self.shown;
        self.fresh.drain_while(|id| {
            shown
                .get(id)
                .is_none_or(|s| upload(&VideoKey::Live(id.to_string()), &s.frame))
        });
    }

    /// Pictures no longer shown since the last call: their textures can go.
    pub fn take_gone(&mut self) -> Vec<VideoKey> {
        std::mem::take(&mut self.gone)
    }

    fn active_stream(&self, camera_id: &str) -> Option<&Arc<StreamShared>> {
        let key = self.cameras.get(camera_id)?.active.as_ref()?;
        self.engine.stream(key)
    }

    /// The state to show for a camera.
    pub fn state(&self, camera_id: &str) -> StreamState {
        if let Some(reason) = self.cameras.get(camera_id).and_then(|c| c.refused.clone()) {
            return StreamState::Offline { reason };
        }
        self.active_stream(camera_id)
            .map_or(StreamState::Idle, |s| s.state())
    }

    /// The picture a camera shows now.
    pub fn shown(&self, camera_id: &str) -> Option<&Shown> {
        self.shown.get(camera_id)
    }

    /// The stream a camera shows ("main", "sub", …) and the one it switches to.
    pub fn streams_of(&self, camera_id: &str) -> (Option<String>, Option<String>) {
        let Some(c) = self.cameras.get(camera_id) else {
            return (None, None);
        };
        (
            c.active.as_ref().map(|k| k.stream.clone()),
            c.pending.as_ref().map(|k| k.stream.clone()),
        )
    }

    /// Figures for the HUD of a camera's tile.
    pub fn hud(&self, camera_id: &str) -> Option<Hud> {
        let state = self.cameras.get(camera_id)?;
        let key = state.active.as_ref()?;
        let stream = self.engine.stream(key)?;
        let s = &stream.stats;
        let m = &state.meter;
        Some(Hud {
            stream: key.stream.clone(),
            codec: stream.codec(),
            width: s.width.load(Ordering::Relaxed),
            height: s.height.load(Ordering::Relaxed),
            fps_received: m.rates.packets_per_sec,
            kbps: m.rates.kbit_per_sec,
            fps_shown: m.rates.shown_per_sec,
            dropped: s.frames_dropped.load(Ordering::Relaxed) + stream.packets_skipped(),
            decode_ms: m.rates.decode_ms_per_frame,
            hardware: stream.hardware(),
            software_reason: stream.software_reason(),
            keyframe_only: stream.keyframe_only(),
            latency_ms: m.latency_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hud_says_why_a_stream_is_not_on_hardware() {
        let mut hud = Hud {
            hardware: true,
            ..Hud::default()
        };
        assert_eq!(hud.decoder_label(40), "HW");
        hud.hardware = false;
        assert_eq!(hud.decoder_label(40), "SW");
        hud.software_reason =
            Some("hardware device unavailable: cuda: Operation not permitted".into());
        assert_eq!(
            hud.decoder_label(200),
            "SW (hardware device unavailable: cuda: Operation not permitted)"
        );
        assert_eq!(hud.decoder_label(12), "SW (hardware de…)");
    }
}
