//! Decoded video frames as planes, and the latest-frame slot that hands them from a
//! stream worker to the UI.
//!
//! Owns: the plane layout the GPU path understands (I420 or NV12), the colour
//! description of a frame and its YUV→RGB matrix ([`colour`]: the shader's uniform and
//! its CPU twin for snapshots), and buffer recycling so steady-state playback allocates
//! nothing per frame. Must not: know about wgpu, egui or FFmpeg.

pub mod colour;

/// Which picture a set of GPU textures holds. A camera has its live picture and, while
/// it is reviewed, its playback picture, each under its own key, so going back to live
/// shows the live picture at once.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VideoKey {
    /// The camera's live picture, by camera id.
    Live(String),
    /// The camera's playback picture, by camera id.
    Review(String),
    /// A picture shown outside the wall (the Cameras panel's stream test), by name.
    Preview(String),
}

use std::sync::Mutex;
use std::time::Instant;

/// How the planes of a frame are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PlaneLayout {
    /// Three planes: Y, U, V, chroma at half width and half height (yuv420p, yuvj420p).
    I420,
    /// Two planes: Y and interleaved UV at half width and half height (nv12).
    Nv12,
}

impl PlaneLayout {
    /// Number of planes a frame of this layout carries.
    pub fn plane_count(self) -> usize {
        match self {
            Self::I420 => 3,
            Self::Nv12 => 2,
        }
    }
}

/// The YUV→RGB matrix a frame was encoded with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ColourMatrix {
    Bt601,
    Bt709,
}

/// Whether the codes span the studio range (Y 16–235, C 16–240) or the full 0–255.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ColourRange {
    Limited,
    Full,
}

/// The colour description the shader needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Colour {
    pub matrix: ColourMatrix,
    pub range: ColourRange,
}

impl Colour {
    /// The matrix to assume when a stream does not say: BT.709 for HD sizes, BT.601
    /// for SD (mpv's rule).
    pub fn guess_matrix(width: u32, height: u32) -> ColourMatrix {
        if width >= 1280 || height > 576 {
            ColourMatrix::Bt709
        } else {
            ColourMatrix::Bt601
        }
    }
}

/// One plane of pixel data, rows `stride` bytes apart.
#[derive(Clone, Debug, Default)]
pub struct Plane {
    pub data: Vec<u8>,
    /// Bytes from one row to the next (≥ `width × bytes per texel`).
    pub stride: usize,
    /// Width in texels (for NV12's UV plane a texel is two bytes).
    pub width: u32,
    pub height: u32,
}

impl Plane {
    /// Copies `rows` of `stride` bytes from `src`, reusing this plane's allocation.
    pub fn fill_from(&mut self, src: &[u8], stride: usize, width: u32, height: u32) {
        let len = stride.saturating_mul(height as usize).min(src.len());
        self.data.clear();
        self.data.extend_from_slice(&src[..len]);
        self.stride = stride;
        self.width = width;
        self.height = height;
    }

    /// The byte at texel (x, y), channel `c` of `channels`.
    pub fn sample(&self, x: u32, y: u32, channels: u32, c: u32) -> u8 {
        let i = y as usize * self.stride + (x * channels + c) as usize;
        self.data.get(i).copied().unwrap_or(0)
    }
}

/// A decoded picture ready for upload.
#[derive(Clone, Debug)]
pub struct VideoFrame {
    pub layout: PlaneLayout,
    pub width: u32,
    pub height: u32,
    pub planes: [Plane; 3],
    pub colour: Colour,
    /// Presentation time, nanoseconds: the stream's own timestamp for a live frame; the
    /// wall-clock time (UTC) of the frame for a recorded frame from a player.
    pub pts_nanos: i64,
    /// Increases by one for every frame a worker publishes.
    pub seq: u64,
    /// When the packet that produced this frame was received.
    pub received_at: Instant,
    /// When decoding finished.
    pub decoded_at: Instant,
}

impl Default for VideoFrame {
    fn default() -> Self {
        let now = Instant::now();
        Self {
            layout: PlaneLayout::I420,
            width: 0,
            height: 0,
            planes: Default::default(),
            colour: Colour {
                matrix: ColourMatrix::Bt601,
                range: ColourRange::Limited,
            },
            pts_nanos: 0,
            seq: 0,
            received_at: now,
            decoded_at: now,
        }
    }
}

impl VideoFrame {
    /// The (Y, U, V) codes at pixel (x, y), for snapshots and tests.
    pub fn yuv_at(&self, x: u32, y: u32) -> [u8; 3] {
        let luma = self.planes[0].sample(x, y, 1, 0);
        let (cx, cy) = (x / 2, y / 2);
        match self.layout {
            PlaneLayout::I420 => [
                luma,
                self.planes[1].sample(cx, cy, 1, 0),
                self.planes[2].sample(cx, cy, 1, 0),
            ],
            PlaneLayout::Nv12 => [
                luma,
                self.planes[1].sample(cx, cy, 2, 0),
                self.planes[1].sample(cx, cy, 2, 1),
            ],
        }
    }
}

/// Most buffers a slot keeps for reuse: one being filled, one waiting, one shown.
const POOL_CAPACITY: usize = 3;

// Buffers travel as boxes between the worker, the slot and the UI: hand-offs move a
// pointer, and the pool holds the very boxes that come back.
#[allow(clippy::vec_box)]
#[derive(Default)]
struct SlotInner {
    latest: Option<Box<VideoFrame>>,
    free: Vec<Box<VideoFrame>>,
}

/// Hands the newest frame from one producer to one consumer; older frames are
/// overwritten, never queued. Buffers travel back through [`FrameSlot::recycle`] so a
/// running stream reuses the same few allocations.
#[derive(Default)]
pub struct FrameSlot {
    inner: Mutex<SlotInner>,
}

impl FrameSlot {
    /// A buffer to decode into: a recycled one when available.
    pub fn take_buffer(&self) -> Box<VideoFrame> {
        self.lock().free.pop().unwrap_or_default()
    }

    /// Publishes `frame` as the newest. Returns true when an unshown frame was replaced
    /// (it was dropped: the consumer never saw it).
    pub fn publish(&self, frame: Box<VideoFrame>) -> bool {
        let mut inner = self.lock();
        let replaced = inner.latest.replace(frame);
        match replaced {
            Some(old) => {
                push_free(&mut inner.free, old);
                true
            }
            None => false,
        }
    }

    /// Takes the newest frame, if one arrived since the last call.
    pub fn take_latest(&self) -> Option<Box<VideoFrame>> {
        self.lock().latest.take()
    }

    /// Gives a buffer back for reuse.
    pub fn recycle(&self, frame: Box<VideoFrame>) {
        push_free(&mut self.lock().free, frame);
    }

    /// Drops a pending frame (used when a stream restarts).
    pub fn clear(&self) {
        let mut inner = self.lock();
        if let Some(old) = inner.latest.take() {
            push_free(&mut inner.free, old);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SlotInner> {
        // A panic while holding this lock leaves only plain data behind: keep going.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[allow(clippy::vec_box)]
fn push_free(free: &mut Vec<Box<VideoFrame>>, frame: Box<VideoFrame>) {
    if free.len() < POOL_CAPACITY {
        free.push(frame);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_keeps_only_the_newest_and_counts_drops() {
        let slot = FrameSlot::default();
        let mut a = slot.take_buffer();
        a.seq = 1;
        assert!(!slot.publish(a));
        let mut b = slot.take_buffer();
        b.seq = 2;
        assert!(slot.publish(b), "replacing an unshown frame is a drop");
        let got = slot.take_latest().expect("a frame");
        assert_eq!(got.seq, 2);
        assert!(slot.take_latest().is_none());
        slot.recycle(got);
    }

    #[test]
    fn buffers_are_reused_not_reallocated() {
        let slot = FrameSlot::default();
        let mut f = slot.take_buffer();
        f.planes[0].fill_from(&[7u8; 64 * 48], 64, 64, 48);
        let ptr = f.planes[0].data.as_ptr();
        slot.publish(f);
        let f = slot.take_latest().expect("frame");
        slot.recycle(f);
        let mut again = slot.take_buffer();
        again.planes[0].fill_from(&[9u8; 64 * 48], 64, 64, 48);
        assert_eq!(again.planes[0].data.as_ptr(), ptr, "same allocation reused");
    }

    #[test]
    fn pool_is_bounded() {
        let slot = FrameSlot::default();
        for _ in 0..10 {
            slot.recycle(Box::default());
        }
        assert_eq!(slot.lock().free.len(), POOL_CAPACITY);
    }

    #[test]
    fn yuv_sampling_follows_layout() {
        let mut f = VideoFrame {
            layout: PlaneLayout::Nv12,
            width: 4,
            height: 2,
            ..Default::default()
        };
        f.planes[0].fill_from(&[10, 11, 12, 13, 20, 21, 22, 23], 4, 4, 2);
        f.planes[1].fill_from(&[100, 200, 101, 201], 4, 2, 1);
        assert_eq!(f.yuv_at(2, 1), [22, 101, 201]);
        assert_eq!(Colour::guess_matrix(1920, 1080), ColourMatrix::Bt709);
        assert_eq!(Colour::guess_matrix(720, 576), ColourMatrix::Bt601);
    }
}
