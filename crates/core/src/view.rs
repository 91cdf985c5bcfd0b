//! What the core asks the app to draw: per tile, empty, a live picture or a recording,
//! with the state and its reason and the badges that go with it.
//!
//! Owns: the view model's plain types. Must not: hold anything a worker writes to (it
//! is built fresh from the core's state by [`crate::Core::view`]) or know how it is
//! drawn (text, colours and layout on screen are the app's).

use std::time::Instant;

use vigil_config::{CameraId, Layout};
use vigil_frame::VideoKey;
use vigil_media::StreamState;
use vigil_playback::PlayerState;
use vigil_record::RecorderState;
use vigil_time::WallNanos;

use crate::streams::Hud;

/// The wall as the app draws it.
#[derive(Clone, Debug)]
pub struct WallView {
    pub layout: Layout,
    /// One per tile of the layout, in tile order.
    pub tiles: Vec<TileView>,
    pub selected: Option<usize>,
    /// The tile shown alone over the whole wall.
    pub maximised: Option<usize>,
    /// The HUD is on (each live tile carries its [`Hud`]).
    pub show_stats: bool,
    /// The motion overlay is on (live tiles of detecting cameras carry their cells).
    pub show_motion: bool,
    /// When the view was made, on the core's monotonic clock: what stream states'
    /// times ("next try in 3 s") are measured against.
    pub now: Instant,
}

/// One tile.
#[derive(Clone, Debug)]
pub struct TileView {
    /// Crop the picture to fill the tile instead of letterboxing it.
    pub fill: bool,
    /// The digital zoom: the app draws [`crate::Zoom::apply`] of its crop.
    pub zoom: crate::zoom::Zoom,
    pub content: TileContent,
}

/// What a tile shows.
#[derive(Clone, Debug)]
pub enum TileContent {
    /// No camera: the tile invites a drop.
    Empty,
    /// The camera's live stream.
    Live(LiveTile),
    /// The camera's recording, at the review clock's time.
    Review(ReviewTile),
}

impl TileContent {
    /// The camera the tile shows, if any.
    pub fn camera(&self) -> Option<&TileCamera> {
        match self {
            Self::Empty => None,
            Self::Live(live) => Some(&live.camera),
            Self::Review(review) => Some(&review.camera),
        }
    }

    /// The picture the tile draws, if one was ever shown.
    pub fn picture(&self) -> Option<&Picture> {
        match self {
            Self::Empty => None,
            Self::Live(live) => live.picture.as_ref(),
            Self::Review(review) => review.picture.as_ref(),
        }
    }
}

/// The camera of a tile.
#[derive(Clone, Debug, PartialEq)]
pub struct TileCamera {
    pub id: CameraId,
    pub name: String,
    /// The camera's PTZ when the site gives it an ONVIF address (`None`: no PTZ).
    pub ptz: Option<crate::ptz::PtzView>,
    /// The camera's recorder, when it records.
    pub recording: Option<RecorderState>,
    /// The highest severity of its unacknowledged alarms: the border flashes in it.
    pub alarm: Option<vigil_store::Severity>,
    /// Its unacknowledged alarms (the tile's badge).
    pub unacknowledged: usize,
}

/// A picture uploaded under `key`, `width`×`height` pixels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Picture {
    pub key: VideoKey,
    pub width: u32,
    pub height: u32,
}

/// A tile showing live video.
#[derive(Clone, Debug)]
pub struct LiveTile {
    pub camera: TileCamera,
    /// While motion is seen and the overlay is on: the moving cells of the newest
    /// frame, row-major, `vigil_detect::GRID_W` × `GRID_H`, over the whole picture.
    pub motion_cells: Option<std::sync::Arc<Vec<bool>>>,
    /// The stream's state, with its reason when it is not live.
    pub state: StreamState,
    /// The last picture (dimmed by the app when the stream is not live).
    pub picture: Option<Picture>,
    /// When the picture arrived.
    pub last_frame_at: Option<Instant>,
    /// The stream claims to be live but no new frame came for [`crate::FROZEN_AFTER`]:
    /// never show such a picture as live.
    pub frozen: bool,
    /// The stream decodes keyframes only (machine overloaded).
    pub keyframe_only: bool,
    /// Figures for the HUD, while stats are on.
    pub hud: Option<Hud>,
    /// Why the picture cannot be drawn ("picture too large (8208×64; this GPU draws up
    /// to 8192)"); `picture` is `None` then and the tile says this instead.
    pub undrawable: Option<String>,
}

impl LiveTile {
    /// Live, with a picture that is still moving.
    pub fn showing_live(&self) -> bool {
        self.state == StreamState::Live && !self.frozen
    }
}

/// A tile showing a recording.
#[derive(Clone, Debug)]
pub struct ReviewTile {
    pub camera: TileCamera,
    /// The picture of the recording at the review position (the previous one is kept
    /// while the next decodes).
    pub picture: Option<Picture>,
    /// Wall time of the picture shown.
    pub shown_at: Option<WallNanos>,
    /// The picture is the exact frame at the review position, not the keyframe
    /// preview a drag shows.
    pub exact: bool,
    /// What the camera's player is doing (no footage here, an error…).
    pub player: PlayerState,
    pub paused: bool,
    /// Signed speed: negative plays backwards.
    pub speed: f64,
}
