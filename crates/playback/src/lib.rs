//! Archive playback: one player per camera reads that camera's recorded segments
//! (docs/recording.md), decodes them and publishes frames into a latest-frame slot, the
//! same GPU upload path as live video, following a clock that every player of a layout
//! shares.
//!
//! ```text
//! PlaybackClock (Arc, shared): time (injected Clock), seeks and steps in order
//!   └─requests, now──► Player thread `vigil-play-<camera>` = PlayerLogic + a wait on the clock
//!                        ├─ Footage (trait) ◄── Recorded: index.sqlite3 + SegmentReader (FFmpeg)
//!                        └─ GopCache (decoded GOPs, LRU, bytes) ──► FrameSlot ──► UI
//! ```
//!
//! Owns: seeking (keyframe preview, exact frame), paced forward and reverse play,
//! frame stepping, the decoded-GOP cache, thumbnails. Must not: write to the store or
//! the segment files, touch egui or wgpu (it only calls the repaint notifier), or block
//! the UI: every call on [`Player`] returns at once. How it works: docs/playback.md.

pub mod cache;
pub mod clock;
pub mod footage;
mod open;
mod player;
pub mod source;
mod thumbnail;

use std::path::PathBuf;

pub use clock::{ClockSnapshot, PlaybackClock, SeekMode};
pub use player::{Player, PlayerOptions, PlayerStats};
pub use thumbnail::{Thumbnail, thumbnail};

use vigil_time::WallNanos;

/// What a player is doing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlayerState {
    /// Started, nothing asked yet.
    Idle,
    /// Working on a seek; the old picture stays until the new one is published.
    Seeking,
    /// Paused, showing a frame.
    Showing,
    /// Following a running clock.
    Playing,
    /// The clock is at a time this camera has no recording for (a gap, or outside the
    /// recorded range). Nothing new is published: the UI keeps the old picture.
    NoFootage,
    /// Reading failed; the text says what and where. The player keeps trying on the
    /// next seek.
    Error(String),
}

/// What the UI reads from a player.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlayerStatus {
    pub state: PlayerState,
    /// Wall time of the last published frame.
    pub shown: Option<WallNanos>,
    /// The shown frame is the exact frame for the clock (not a keyframe preview).
    pub exact: bool,
    /// Playing faster than decoding keeps up with (only above 2×): only keyframes are
    /// shown, one per GOP.
    pub keyframes_only: bool,
    /// The clock generation ([`PlaybackClock::generation`]) of the newest seek this
    /// player has answered (with a frame, `NoFootage` or an error).
    pub generation: u64,
}

impl Default for PlayerStatus {
    fn default() -> Self {
        Self {
            state: PlayerState::Idle,
            shown: None,
            exact: false,
            keyframes_only: false,
            generation: 0,
        }
    }
}

/// Why archive footage could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PlaybackError {
    #[error(transparent)]
    Store(#[from] vigil_store::StoreError),
    #[error("cannot open recording {path}: {source}")]
    Open {
        path: PathBuf,
        source: ffmpeg_next::Error,
    },
    #[error("recording {0} has no video stream")]
    NoVideo(PathBuf),
    #[error("recording {0} is not a regular file (a pipe or device named like a segment)")]
    NotAFile(PathBuf),
    #[error("cannot decode recording {path}: {source}")]
    Decoder {
        path: PathBuf,
        source: ffmpeg_next::Error,
    },
    #[error("cannot read recording {path}: {source}")]
    Read {
        path: PathBuf,
        source: ffmpeg_next::Error,
    },
    #[error("recording {path}: no keyframe at {time_ns} ns where the index puts one")]
    KeyframeMissing { path: PathBuf, time_ns: i64 },
    #[error("recording {path}: {message}")]
    Convert { path: PathBuf, message: String },
    #[error("thumbnail: {0}")]
    Scale(String),
}
