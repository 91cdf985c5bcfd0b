//! A footage made of numbers, for the player logic's unit tests: segments of frames at
//! known times, GOPs of known length, gaps between segments, decoder parameters that
//! change from one segment to the next, files that fail to read. It decodes like a real
//! decoder does in the ways the logic depends on: one packet per step, each frame
//! coming out one packet late (a reordering delay), the GOP's last frame at its end,
//! continuing into the next GOP without a seek, and a new decoder where the parameters
//! change. Optionally each decoded packet costs time on a `SimClock`.
//!
//! Must not: use threads or real time.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::PlaybackError;
use crate::cache::{Picture, SLOP_NANOS};
use crate::footage::{Footage, Progress};
use vigil_store::Segment;
use vigil_time::SimClock;

use super::logic::Output;

/// A decoded fake picture: which frame it is and which decoder made it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FakePicture {
    pub time_ns: i64,
    pub segment_id: i64,
    /// The decoder parameters of the segment (as a camera's changed settings would).
    pub config: u32,
}

impl Picture for FakePicture {
    fn bytes(&self) -> usize {
        1_000
    }
}

/// One segment: its row and its frames, GOP by GOP.
#[derive(Clone, Debug)]
pub struct FakeSegment {
    pub segment: Segment,
    pub config: u32,
    /// Frame times of each GOP; the first of each is its keyframe.
    pub gops: Vec<Vec<i64>>,
    /// Reading the file fails (damaged, or gone).
    pub failing: bool,
    keyframes: Vec<i64>,
}

/// Where the fake decoder is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cursor {
    segment: usize,
    gop: usize,
    /// The next packet to send.
    frame: usize,
}

/// What the fake did, for tests that count work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Work {
    /// Packets decoded.
    pub decoded: u64,
    /// Seeks to a keyframe (decoding did not continue).
    pub seeks: u64,
    /// Decoders made (new parameters, or after a reset).
    pub decoders: u64,
    /// Resets after a failure.
    pub resets: u64,
}

pub struct FakeFootage {
    pub segments: Vec<FakeSegment>,
    cursor: Option<Cursor>,
    /// A frame sent but not yet out (the reordering delay).
    held: Option<(i64, FakePicture)>,
    decoder: Option<u32>,
    pub work: Work,
    /// Each decoded packet advances this clock by `cost` (decoding takes time).
    pub sim: Option<(Arc<SimClock>, Duration)>,
    /// Called after each decoded packet with the number decoded so far.
    pub on_decode: Option<Box<dyn FnMut(u64)>>,
}

impl FakeFootage {
    pub fn new() -> Self {
        Self {
            segments: Vec::new(),
            cursor: None,
            held: None,
            decoder: None,
            work: Work::default(),
            sim: None,
            on_decode: None,
        }
    }

    /// Adds a segment of `frames` frames `frame_ns` apart from `start_ns`, a keyframe
    /// every `gop` frames, decoder parameters `config`.
    pub fn segment(
        mut self,
        start_ns: i64,
        frames: usize,
        gop: usize,
        frame_ns: i64,
        config: u32,
    ) -> Self {
        let id = i64::try_from(self.segments.len()).expect("few segments") + 1;
        let times: Vec<i64> = (0..frames)
            .map(|i| start_ns + i64::try_from(i).expect("few frames") * frame_ns)
            .collect();
        let gops: Vec<Vec<i64>> = times.chunks(gop).map(<[i64]>::to_vec).collect();
        let end_ns = times.last().map_or(start_ns, |t| t + frame_ns);
        self.segments.push(FakeSegment {
            segment: Segment {
                id,
                camera: "cam".to_owned(),
                file: format!("cam/segment-{id}.mp4"),
                start_ns,
                end_ns,
                bytes: 0,
                recording: false,
                codec: "h264".to_owned(),
            },
            config,
            keyframes: gops.iter().map(|g| g[0]).collect(),
            gops,
            failing: false,
        });
        self
    }

    /// The last segment is still being recorded.
    pub fn recording(mut self) -> Self {
        if let Some(s) = self.segments.last_mut() {
            s.segment.recording = true;
        }
        self
    }

    /// The recorder appends `frames` frames to the last segment (`gop` per GOP).
    pub fn grow(&mut self, frames: usize, gop: usize, frame_ns: i64) {
        let Some(s) = self.segments.last_mut() else {
            return;
        };
        for _ in 0..frames {
            let t = s.segment.end_ns;
            match s.gops.last_mut() {
                Some(g) if g.len() < gop => g.push(t),
                _ => {
                    s.gops.push(vec![t]);
                    s.keyframes.push(t);
                }
            }
            s.segment.end_ns = t + frame_ns;
        }
    }

    fn position(&self, id: i64) -> Option<usize> {
        self.segments.iter().position(|s| s.segment.id == id)
    }

    fn read_error(&self, segment: &FakeSegment) -> PlaybackError {
        PlaybackError::Read {
            path: self.path(&segment.segment),
            source: ffmpeg_next::Error::InvalidData,
        }
    }

    fn emit(&mut self, out: &mut Vec<(i64, FakePicture)>) {
        if let Some(frame) = self.held.take() {
            out.push(frame);
        }
    }
}

impl Footage for FakeFootage {
    type Picture = FakePicture;

    fn locate(&mut self, time_ns: i64) -> Result<Option<Segment>, PlaybackError> {
        Ok(self
            .segments
            .iter()
            .find(|s| s.segment.start_ns <= time_ns && time_ns < s.segment.end_ns)
            .map(|s| s.segment.clone()))
    }

    fn keyframes(&mut self, segment: &Segment) -> Result<&[i64], PlaybackError> {
        Ok(self
            .position(segment.id)
            .map_or(&[][..], |i| self.segments[i].keyframes.as_slice()))
    }

    fn next_after(&mut self, time_ns: i64) -> Result<Option<Segment>, PlaybackError> {
        Ok(self
            .segments
            .iter()
            .find(|s| s.segment.start_ns > time_ns)
            .map(|s| s.segment.clone()))
    }

    fn previous_before(&mut self, time_ns: i64) -> Result<Option<Segment>, PlaybackError> {
        Ok(self
            .segments
            .iter()
            .rev()
            .find(|s| s.segment.end_ns <= time_ns)
            .map(|s| s.segment.clone()))
    }

    fn segment(&mut self, id: i64) -> Result<Option<Segment>, PlaybackError> {
        Ok(self.position(id).map(|i| self.segments[i].segment.clone()))
    }

    fn start_gop(
        &mut self,
        segment: &Segment,
        keyframe_ns: i64,
        restart: bool,
    ) -> Result<(), PlaybackError> {
        let Some(s) = self.position(segment.id) else {
            return Err(PlaybackError::NoVideo(self.path(segment)));
        };
        if self.segments[s].failing {
            self.cursor = None;
            return Err(self.read_error(&self.segments[s]));
        }
        let Some(gop) = self.segments[s]
            .keyframes
            .iter()
            .position(|k| (k - keyframe_ns).abs() <= SLOP_NANOS)
        else {
            return Err(PlaybackError::KeyframeMissing {
                path: self.path(segment),
                time_ns: keyframe_ns,
            });
        };
        let config = self.segments[s].config;
        if self.decoder != Some(config) {
            // Other parameters: another decoder, which knows nothing yet.
            self.decoder = Some(config);
            self.work.decoders += 1;
            self.cursor = None;
        }
        let continues = self.cursor.is_some_and(|c| c.segment == s && c.gop == gop);
        if restart || !continues {
            self.cursor = Some(Cursor {
                segment: s,
                gop,
                frame: 0,
            });
            self.held = None;
            self.work.seeks += 1;
        }
        Ok(())
    }

    fn decode_step(
        &mut self,
        out: &mut Vec<(i64, FakePicture)>,
    ) -> Result<Progress, PlaybackError> {
        let Some(mut cursor) = self.cursor else {
            return Ok(Progress::End);
        };
        let segment = &self.segments[cursor.segment];
        if segment.failing {
            return Err(self.read_error(segment));
        }
        let next_keyframe = segment.gops.get(cursor.gop + 1).map(|g| g[0]);
        let decoder = self.decoder.unwrap_or(0);
        let picture = segment.gops[cursor.gop]
            .get(cursor.frame)
            .map(|&time_ns| FakePicture {
                time_ns,
                segment_id: segment.segment.id,
                // What the decoder was made for: a picture of the wrong parameters
                // shows when decoding did not move to the segment's decoder.
                config: decoder,
            });
        let Some(picture) = picture else {
            // The GOP is over: drain, then sit before the next GOP's keyframe.
            self.emit(out);
            return Ok(match next_keyframe {
                Some(keyframe_ns) => {
                    cursor.gop += 1;
                    cursor.frame = 0;
                    self.cursor = Some(cursor);
                    Progress::GopEnd(keyframe_ns)
                }
                None => {
                    self.cursor = None;
                    Progress::End
                }
            });
        };
        let time_ns = picture.time_ns;
        cursor.frame += 1;
        self.cursor = Some(cursor);
        self.emit(out);
        self.held = Some((time_ns, picture));
        self.work.decoded += 1;
        if let Some((sim, cost)) = &self.sim {
            sim.advance(*cost);
        }
        let decoded = self.work.decoded;
        if let Some(hook) = self.on_decode.as_mut() {
            hook(decoded);
        }
        Ok(Progress::More)
    }

    fn path(&self, segment: &Segment) -> PathBuf {
        PathBuf::from("/archive").join(&segment.file)
    }

    fn reset(&mut self) {
        self.cursor = None;
        self.held = None;
        self.decoder = None;
        self.work.resets += 1;
    }
}

/// What the logic published, in order.
#[derive(Debug, Default)]
pub struct Shown {
    pub frames: Vec<FakePicture>,
    /// Times `published` was called (after the status was updated).
    pub notified: usize,
    /// Converting fails with this message.
    pub failing: Option<String>,
}

impl Output<FakePicture> for Shown {
    fn publish(&mut self, _time_ns: i64, picture: &FakePicture) -> Result<(), String> {
        if let Some(message) = &self.failing {
            return Err(message.clone());
        }
        self.frames.push(*picture);
        Ok(())
    }

    fn published(&mut self) {
        self.notified += 1;
    }
}
