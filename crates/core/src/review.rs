//! Reviewing recordings on the wall: one playback clock for the layout, one archive
//! player per camera in review, and their pictures kept under their own texture keys
//! ([`VideoKey::Review`]) so the live pictures stay untouched.
//!
//! Owns: the review scope (the whole layout, or one tile: instant replay), the players
//! and the last picture each showed. Must not: read the index or decode (the players
//! do), touch the GPU (the app uploads what is fresh), or block the caller (players are
//! stopped on a reaper thread).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::fresh::Fresh;

use vigil_config::CameraId;
use vigil_frame::VideoKey;
use vigil_media::{Notify, VideoFrame};
use vigil_playback::{PlaybackClock, Player, PlayerOptions, PlayerState, PlayerStatus, SeekMode};
use vigil_time::SharedClock;
use vigil_time::WallNanos;

/// Memory for decoded GOPs across all players of a review (each gets its share).
const REVIEW_CACHE_BYTES: usize = 1 << 30;
/// A player's share never drops below this (20 frames of 1080p; a longer GOP keeps
/// its frame times and decodes again from its keyframe when stepped back into)…
const MIN_PLAYER_CACHE_BYTES: usize = 64 << 20;
/// …nor exceeds what one maximised camera needs.
const MAX_PLAYER_CACHE_BYTES: usize = 256 << 20;

/// Which tiles follow the review clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every tile of the layout, in sync.
    Layout,
    /// One camera (instant replay); the other tiles stay live.
    Camera(CameraId),
}

/// What a camera's player shows, for its tile.
#[derive(Clone, Debug)]
pub struct PlayerView {
    /// Wall time of the picture shown.
    pub shown: Option<WallNanos>,
    pub state: PlayerState,
    /// The picture is the exact frame for the clock, not a keyframe preview.
    pub exact: bool,
}

struct ReviewPlayer {
    player: Player,
    /// The picture on screen: kept for snapshots and while the next one decodes.
    shown: Option<Box<VideoFrame>>,
}

/// The recordings being reviewed.
pub struct Review {
    storage: PathBuf,
    notify: Notify,
    clock: Arc<PlaybackClock>,
    scope: Scope,
    players: HashMap<String, ReviewPlayer>,
    /// Cameras whose picture changed since the app last uploaded.
    fresh: Fresh<String>,
    /// Pictures no longer shown, whose textures the app frees.
    gone: Vec<VideoKey>,
}

impl Review {
    /// Starts reviewing at `at`, paused, with a seek of kind `mode` (a drag that starts
    /// review previews keyframes; a click or go-to asks for the exact frame). Players
    /// start as their tiles are shown.
    pub fn new(
        storage: &Path,
        notify: Notify,
        scope: Scope,
        at: WallNanos,
        mode: SeekMode,
        time: SharedClock,
    ) -> Self {
        let clock = PlaybackClock::with_clock(at, time);
        clock.seek(at, mode);
        Self {
            storage: storage.to_path_buf(),
            notify,
            clock,
            scope,
            players: HashMap::new(),
            fresh: Fresh::default(),
            gone: Vec::new(),
        }
    }

    pub fn clock(&self) -> &Arc<PlaybackClock> {
        &self.clock
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Whether `camera_id`'s tiles show the recording rather than live.
    pub fn includes(&self, camera_id: &str) -> bool {
        match &self.scope {
            Scope::Layout => true,
            Scope::Camera(id) => id == camera_id,
        }
    }

    /// Runs a player for each of `visible` in scope and stops the others.
    pub fn sync(&mut self, visible: &[&str]) {
        let in_scope: Vec<&str> = visible
            .iter()
            .copied()
            .filter(|c| self.includes(c))
            .collect();
        // Decoded GOPs for stepping and reverse play share one memory budget: a 4×4
        // review must fit an ordinary desktop.
        let options = PlayerOptions {
            cache_bytes: (REVIEW_CACHE_BYTES / in_scope.len().max(1))
                .clamp(MIN_PLAYER_CACHE_BYTES, MAX_PLAYER_CACHE_BYTES),
            ..PlayerOptions::default()
        };
        for camera in in_scope {
            if self.players.contains_key(camera) {
                continue;
            }
            match Player::start_with(
                &self.storage,
                camera,
                Arc::clone(&self.clock),
                Arc::clone(&self.notify),
                options,
            ) {
                Ok(player) => {
                    self.players.insert(
                        camera.to_owned(),
                        ReviewPlayer {
                            player,
                            shown: None,
                        },
                    );
                }
                Err(err) => tracing::error!(camera = %camera, %err, "cannot start a player"),
            }
        }
        let gone: Vec<String> = self
            .players
            .keys()
            .filter(|id| !visible.contains(&id.as_str()) || !self.includes(id))
            .cloned()
            .collect();
        if gone.is_empty() {
            return;
        }
        let mut stopped = Vec::new();
        for id in gone {
            if let Some(p) = self.players.remove(&id) {
                stopped.push(p.player);
            }
            self.fresh.remove(&id);
            self.gone.push(VideoKey::Review(id));
        }
        stop_players(stopped);
    }

    /// Takes each player's newest picture as the one its tile shows.
    pub fn take_new_frames(&mut self) {
        let now = Instant::now();
        for (id, p) in &mut self.players {
            let Some(frame) = p.player.slot().take_latest() else {
                continue;
            };
            if let Some(old) = p.shown.replace(frame) {
                p.player.slot().recycle(old);
            }
            self.fresh.mark(id.clone(), now);
        }
    }

    /// Hands each picture that changed since the last call to `upload`, once, the
    /// longest-waiting first, until `upload` returns false (its time is up); the rest
    /// wait for the next call.
    pub fn upload_fresh(&mut self, mut upload: impl FnMut(&VideoKey, &VideoFrame) -> bool) {
        let players = &self.players;
        self.fresh.drain_while(|id| {
            players
                .get(id)
                .and_then(|p| p.shown.as_deref())
                .is_none_or(|frame| upload(&VideoKey::Review(id.clone()), frame))
        });
    }

    /// Pictures no longer shown since the last call: their textures can go.
    pub fn take_gone(&mut self) -> Vec<VideoKey> {
        std::mem::take(&mut self.gone)
    }

    /// The picture a camera in review shows.
    pub fn shown(&self, camera_id: &str) -> Option<&VideoFrame> {
        self.players.get(camera_id)?.shown.as_deref()
    }

    /// What a camera's player shows, for its tile.
    pub fn tile(&self, camera_id: &str) -> Option<PlayerView> {
        let p = self.players.get(camera_id)?;
        let PlayerStatus {
            state,
            shown,
            exact,
            ..
        } = p.player.status();
        Some(PlayerView {
            shown: shown.or_else(|| p.shown.as_ref().map(|f| WallNanos(f.pts_nanos))),
            state,
            exact,
        })
    }

    /// Where the review is: the playback clock's time (after a step, the clock has
    /// been re-seeked to the leader's new frame).
    pub fn position(&self) -> WallNanos {
        self.clock.now()
    }

    /// Steps `frames` on `leader` (the selected camera) or any camera in review; the
    /// others follow to the leader's new frame.
    pub fn step(&self, leader: Option<&str>, frames: i32) {
        let player = leader.and_then(|id| self.players.get(id)).or_else(|| {
            let mut ids: Vec<&String> = self.players.keys().collect();
            ids.sort();
            ids.first().and_then(|id| self.players.get(*id))
        });
        match player {
            Some(p) => p.player.step(frames),
            None => self.clock.pause(),
        }
    }

    /// Ends the review: players stop on a reaper thread. Returns the pictures whose
    /// textures can go.
    pub fn close(mut self) -> Vec<VideoKey> {
        let mut gone = std::mem::take(&mut self.gone);
        gone.extend(self.players.keys().cloned().map(VideoKey::Review));
        stop_players(self.players.drain().map(|(_, p)| p.player).collect());
        gone
    }
}

/// Players join their threads when stopped; that can take a decode's time, so it
/// happens off the UI thread.
fn stop_players(players: Vec<Player>) {
    if players.is_empty() {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("vigil-play-stop".to_owned())
        .spawn(move || {
            for p in players {
                p.stop();
            }
        });
    if let Err(err) = spawned {
        tracing::error!(%err, "cannot start the thread that stops players");
    }
}
