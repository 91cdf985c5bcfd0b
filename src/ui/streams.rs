//! Bridges the site file's cameras to the media engine and the GPU: which streams run,
//! the newest frame of each uploaded once per UI frame, and the rates shown on tiles.
//!
//! Owns: the last shown frame per camera (for snapshots and dimmed offline pictures)
//! and per-camera rate meters. Must not: decode, or block on a worker.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash as _, Hasher as _};
use std::sync::atomic::Ordering;
use std::time::Instant;

use eframe::egui_wgpu;

use crate::config::{CameraConfig, CredentialStore, Transport as ConfigTransport};
use crate::gpu::{VideoKey, VideoRenderer};
use crate::media::{Engine, Failure, StreamSpec, StreamState, Timeouts, Transport, VideoFrame};
use crate::redact::parse_source;

/// The picture a camera shows now.
pub struct Shown {
    pub frame: Box<VideoFrame>,
    pub at: Instant,
}

/// Frames per second and kbit/s over the last second.
#[derive(Default)]
struct Rate {
    since: Option<(Instant, u64, u64)>,
    fps: f32,
    kbps: f32,
}

impl Rate {
    fn update(&mut self, now: Instant, frames: u64, bytes: u64) {
        match self.since {
            Some((t, f, b)) if now.duration_since(t).as_secs_f32() >= 1.0 => {
                let secs = now.duration_since(t).as_secs_f32();
                #[allow(clippy::cast_precision_loss)]
                {
                    self.fps = frames.saturating_sub(f) as f32 / secs;
                    self.kbps = bytes.saturating_sub(b) as f32 * 8.0 / 1000.0 / secs;
                }
                self.since = Some((now, frames, bytes));
            }
            Some(_) => {}
            None => self.since = Some((now, frames, bytes)),
        }
    }
}

/// The wall's streams, as the UI sees them.
pub struct WallStreams {
    pub engine: Engine,
    shown: HashMap<String, Shown>,
    rates: HashMap<String, Rate>,
    /// Cameras that cannot start, with why (bad source, disabled).
    refused: HashMap<String, Failure>,
}

/// The texture key of a camera's picture.
pub fn video_key(camera_id: &str) -> VideoKey {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    camera_id.hash(&mut h);
    h.finish()
}

/// Builds the worker spec of a configured camera.
pub fn spec_for(
    camera: &CameraConfig,
    credentials: &CredentialStore,
) -> Result<StreamSpec, Failure> {
    if !camera.enabled {
        return Err(Failure::Other(
            "camera disabled in the site file".to_owned(),
        ));
    }
    let source = parse_source(&camera.source).map_err(|e| Failure::BadSource(e.to_string()))?;
    let creds = credentials.for_camera(camera);
    Ok(StreamSpec {
        camera_id: camera.id.clone(),
        camera_name: camera.name.clone(),
        source,
        transport: match camera.transport {
            ConfigTransport::Tcp => Transport::Tcp,
            ConfigTransport::Udp => Transport::Udp,
        },
        credentials: creds,
        loop_file: camera.loop_file,
        timeouts: Timeouts::default(),
    })
}

impl WallStreams {
    pub fn new(engine: Engine) -> Self {
        Self {
            engine,
            shown: HashMap::new(),
            rates: HashMap::new(),
            refused: HashMap::new(),
        }
    }

    /// Runs exactly the streams of `cameras` (the wall's), stopping the others and
    /// freeing their textures.
    pub fn sync(
        &mut self,
        cameras: &[&CameraConfig],
        credentials: &CredentialStore,
        render_state: Option<&egui_wgpu::RenderState>,
    ) {
        let wanted: HashSet<String> = cameras.iter().map(|c| c.id.clone()).collect();
        for camera in cameras {
            match spec_for(camera, credentials) {
                Ok(spec) => {
                    self.refused.remove(&camera.id);
                    self.engine.ensure(&spec);
                }
                Err(failure) => {
                    self.engine.stop(&camera.id);
                    self.refused.insert(camera.id.clone(), failure);
                }
            }
        }
        self.engine.retain(&wanted);
        let gone: Vec<String> = self
            .shown
            .keys()
            .filter(|id| !wanted.contains(*id))
            .cloned()
            .collect();
        if !gone.is_empty() {
            let mut renderer = render_state.map(|rs| rs.renderer.write());
            for id in gone {
                self.shown.remove(&id);
                self.rates.remove(&id);
                if let Some(video) = renderer
                    .as_mut()
                    .and_then(|r| r.callback_resources.get_mut::<VideoRenderer>())
                {
                    video.forget(video_key(&id));
                }
            }
        }
        self.refused.retain(|id, _| wanted.contains(id));
    }

    /// Takes the newest frame of each of `camera_ids` and uploads it to its textures.
    pub fn upload_new_frames(
        &mut self,
        camera_ids: &[String],
        render_state: Option<&egui_wgpu::RenderState>,
    ) {
        let Some(rs) = render_state else { return };
        let mut renderer = rs.renderer.write();
        let Some(video) = renderer.callback_resources.get_mut::<VideoRenderer>() else {
            return;
        };
        let now = Instant::now();
        for id in camera_ids {
            let Some(stream) = self.engine.stream(id).cloned() else {
                continue;
            };
            let stats = &stream.stats;
            self.rates.entry(id.clone()).or_default().update(
                now,
                stats.frames_decoded.load(Ordering::Relaxed),
                stats.bytes_received.load(Ordering::Relaxed),
            );
            let Some(frame) = stream.slot.take_latest() else {
                continue;
            };
            video.upload(&rs.device, &rs.queue, video_key(id), &frame);
            if let Some(old) = self.shown.insert(id.clone(), Shown { frame, at: now }) {
                stream.slot.recycle(old.frame);
            }
        }
    }

    /// The state to show for a camera.
    pub fn state(&self, camera_id: &str) -> StreamState {
        if let Some(reason) = self.refused.get(camera_id) {
            return StreamState::Offline {
                reason: reason.clone(),
            };
        }
        self.engine
            .stream(camera_id)
            .map_or(StreamState::Idle, |s| s.state())
    }

    /// The picture a camera shows now.
    pub fn shown(&self, camera_id: &str) -> Option<&Shown> {
        self.shown.get(camera_id)
    }

    /// "1920×1080 · 25.0 fps · 4012 kbit/s · 0 dropped".
    pub fn stats_line(&self, camera_id: &str) -> Option<String> {
        let stream = self.engine.stream(camera_id)?;
        let rate = self.rates.get(camera_id)?;
        let s = &stream.stats;
        let codec = stream.codec();
        Some(format!(
            "{} {}×{} · {:.1} fps · {:.0} kbit/s · {} dropped",
            codec,
            s.width.load(Ordering::Relaxed),
            s.height.load(Ordering::Relaxed),
            rate.fps,
            rate.kbps,
            s.frames_dropped.load(Ordering::Relaxed) + s.decode_errors.load(Ordering::Relaxed),
        ))
    }
}
