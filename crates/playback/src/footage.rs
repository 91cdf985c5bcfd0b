//! What a player reads: one camera's footage as the player's logic sees it — where the
//! segments are, where their keyframes are, and a decoder that turns a GOP into frames
//! with their wall times — and [`Recorded`], that footage over the recording store's
//! index and the segment files.
//!
//! Owns: the [`Footage`] trait (the seam the player's logic is tested through, with a
//! fake in its unit tests), and for the real footage the open segment readers, the
//! decoder they share, and which GOP the decoder is in. Must not: cache decoded frames,
//! publish, know about the clock, or decide what to show (that is `player::logic`).

use std::path::{Path, PathBuf};

use super::PlaybackError;
use super::cache::{GopKey, Picture};
use super::source::{AvFrame, Decoder, Index, SegmentReader, StopFlag};
use vigil_store::Segment;

/// What one call to [`Footage::decode_step`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Progress {
    /// Decoded a packet of the current GOP (zero or more frames came out).
    More,
    /// The next packet is the next GOP's keyframe (its wall time, by dts); the decoder
    /// was drained, every frame of this GOP is out.
    GopEnd(i64),
    /// End of the file (as long as it was when opened); the decoder was drained.
    End,
}

/// One camera's recorded footage. Times are wall nanoseconds.
pub trait Footage {
    /// A decoded picture (FFmpeg's frame for real footage).
    type Picture: Picture;

    /// The segment holding `time_ns` (`None`: a gap, or outside the recording).
    fn locate(&mut self, time_ns: i64) -> Result<Option<Segment>, PlaybackError>;

    /// `segment`'s keyframe times, ascending; the first is the segment's start.
    fn keyframes(&mut self, segment: &Segment) -> Result<&[i64], PlaybackError>;

    /// The first segment starting after `time_ns`.
    fn next_after(&mut self, time_ns: i64) -> Result<Option<Segment>, PlaybackError>;

    /// The last segment ending at or before `time_ns`.
    fn previous_before(&mut self, time_ns: i64) -> Result<Option<Segment>, PlaybackError>;

    /// The segment with this id, as it is now (its end moves while it is recorded).
    fn segment(&mut self, id: i64) -> Result<Option<Segment>, PlaybackError>;

    /// Makes the next [`decode_step`](Self::decode_step) decode the GOP of `segment`
    /// whose keyframe is at `keyframe_ns`: continuing where decoding stopped when it is
    /// in that GOP already (unless `restart`), else from the keyframe.
    fn start_gop(
        &mut self,
        segment: &Segment,
        keyframe_ns: i64,
        restart: bool,
    ) -> Result<(), PlaybackError>;

    /// Decodes one packet and appends the frames that came out, with their wall times, in
    /// presentation order.
    fn decode_step(
        &mut self,
        out: &mut Vec<(i64, Self::Picture)>,
    ) -> Result<Progress, PlaybackError>;

    /// The file of `segment`, for error messages.
    fn path(&self, segment: &Segment) -> PathBuf;

    /// Forgets what was read (after a failure: a file may have gone with its row).
    fn reset(&mut self);

    /// The keyframe at or before `time_ns` in `segment` (its start when none), and the
    /// next one.
    fn keyframe_around(
        &mut self,
        segment: &Segment,
        time_ns: i64,
    ) -> Result<(i64, Option<i64>), PlaybackError> {
        Ok(super::source::keyframe_around(
            self.keyframes(segment)?,
            segment.start_ns,
            time_ns,
        ))
    }
}

/// Segment files a player keeps open: seeking back and forth between a few segments
/// does not open (and probe) a file each time; each costs a demuxer.
const OPEN_READERS: usize = 3;

/// A camera's footage in a storage folder: the index read through the player's own
/// store connection, FFmpeg readers of the segment files.
pub struct Recorded {
    stop: StopFlag,
    storage: PathBuf,
    camera: String,
    decode_threads: usize,
    index: Option<Index>,
    /// Open segment readers, most recently used first (at most [`OPEN_READERS`]).
    readers: Vec<SegmentReader>,
    /// The decoder, shared by readers of the same stream configuration.
    decoder: Option<Decoder>,
    /// The GOP the first reader's next packet belongs to (when it is continuable).
    decoding: Option<GopKey>,
}

impl Recorded {
    /// `stop` makes a segment's open or read that waits on a slow file give up.
    pub fn new(storage: &Path, camera: &str, decode_threads: usize, stop: StopFlag) -> Self {
        Self {
            stop,
            storage: storage.to_path_buf(),
            camera: camera.to_owned(),
            decode_threads: decode_threads.max(1),
            index: None,
            readers: Vec::new(),
            decoder: None,
            decoding: None,
        }
    }

    /// The index, opened on first use (a failure is reported and tried again next time).
    fn index(&mut self) -> Result<&mut Index, PlaybackError> {
        let index = match self.index.take() {
            Some(index) => index,
            None => Index::open(&self.storage, &self.camera)?,
        };
        Ok(self.index.insert(index))
    }

    /// Puts an open reader of `segment` first in `readers`, opening it when needed (or
    /// again when the segment grew while being recorded: the demuxer saw only the
    /// fragments there were at open).
    fn use_reader(&mut self, segment: &Segment) -> Result<(), PlaybackError> {
        if let Some(i) = self.readers.iter().position(|r| r.segment.id == segment.id) {
            let grew = self.readers[i].segment.end_ns != segment.end_ns && segment.recording;
            if !grew {
                if i > 0 {
                    self.readers[..=i].rotate_right(1);
                    // `decoding` refers to the reader that was first.
                    self.decoding = None;
                }
                return Ok(());
            }
            self.readers.remove(i);
            if self.decoding.is_some_and(|k| k.segment_id == segment.id) {
                self.decoding = None;
            }
        }
        let reader = SegmentReader::open(&self.storage, segment, &self.stop)?;
        self.readers.insert(0, reader);
        self.readers.truncate(OPEN_READERS);
        // `decoding` refers to the reader that was first; it no longer is.
        self.decoding = None;
        Ok(())
    }
}

impl Footage for Recorded {
    type Picture = AvFrame;

    fn locate(&mut self, time_ns: i64) -> Result<Option<Segment>, PlaybackError> {
        self.index()?.locate(time_ns)
    }

    fn keyframes(&mut self, segment: &Segment) -> Result<&[i64], PlaybackError> {
        self.index()?.keyframes(segment)
    }

    fn next_after(&mut self, time_ns: i64) -> Result<Option<Segment>, PlaybackError> {
        self.index()?.next_after(time_ns)
    }

    fn previous_before(&mut self, time_ns: i64) -> Result<Option<Segment>, PlaybackError> {
        self.index()?.previous_before(time_ns)
    }

    fn segment(&mut self, id: i64) -> Result<Option<Segment>, PlaybackError> {
        self.index()?.segment(id)
    }

    fn start_gop(
        &mut self,
        segment: &Segment,
        keyframe_ns: i64,
        restart: bool,
    ) -> Result<(), PlaybackError> {
        let key = GopKey {
            segment_id: segment.id,
            keyframe_ns,
        };
        self.use_reader(segment)?;
        let Some(reader) = self.readers.first_mut() else {
            return Ok(());
        };
        // One decoder moves between segments of the same stream configuration, so its
        // buffer pool (where evicted cache frames go back to) is reused, not refilled.
        let decoder = match self.decoder.take() {
            Some(d) if d.fits(reader) => d,
            _ => {
                self.decoding = None;
                Decoder::for_reader(reader, self.decode_threads)?
            }
        };
        let decoder = self.decoder.insert(decoder);
        if restart || self.decoding != Some(key) || !reader.continuable() {
            reader.seek_keyframe(keyframe_ns, decoder)?;
            self.decoding = Some(key);
        }
        Ok(())
    }

    fn decode_step(&mut self, out: &mut Vec<(i64, AvFrame)>) -> Result<Progress, PlaybackError> {
        let (Some(reader), Some(decoder)) = (self.readers.first_mut(), self.decoder.as_mut())
        else {
            return Ok(Progress::End);
        };
        let progress = reader.decode_step(decoder, out)?;
        match progress {
            Progress::More => {}
            Progress::GopEnd(next_wall) => {
                // The reader now starts the next GOP: find its key in the index.
                let segment = reader.segment.clone();
                let was = self.decoding;
                let (next, _) = self.index()?.keyframe_around(&segment, next_wall)?;
                let next = GopKey {
                    segment_id: segment.id,
                    keyframe_ns: next,
                };
                // The index does not know this keyframe (odd file): no reuse.
                self.decoding = (was != Some(next)).then_some(next);
            }
            Progress::End => self.decoding = None,
        }
        Ok(progress)
    }

    fn path(&self, segment: &Segment) -> PathBuf {
        self.storage.join(&segment.file)
    }

    fn reset(&mut self) {
        self.readers.clear();
        self.decoder = None;
        self.decoding = None;
        if let Some(index) = self.index.as_mut() {
            index.invalidate();
        }
    }
}
