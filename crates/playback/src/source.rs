//! Where one camera's footage is, and reading it: the segment list and keyframe index
//! from the recording store, and a reader that demuxes and decodes one segment file GOP
//! by GOP.
//!
//! Owns: the player's own read connection to the index (re-queried when playback moves
//! past what it knows: recording goes on while someone reviews), mapping wall time to
//! segments and keyframes, FFmpeg's demuxer for one segment and a decoder that moves
//! from segment to segment while their stream configuration (the MP4 `moov`) is the
//! same, and media time → wall time (`segment start + pts`). Decoded frames are handed
//! out as FFmpeg's own reference-counted frames (no copy): a decoder that lives on
//! reuses the buffers of frames the cache let go. Must not: cache decoded frames,
//! publish, or know about the clock.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ffmpeg_next as ff;

use super::PlaybackError;
use super::cache::SLOP_NANOS;
use super::footage::Progress;
use vigil_store::{Segment, Store};

/// The index view holds the segments within this of the play position (30 min: a few
/// dozen rows, however long the archive).
const WINDOW_NS: i64 = 30 * 60 * 1_000_000_000;
/// How often the segment list is read again when the clock is past the end of a
/// segment still being recorded…
const LIVE_REFRESH: Duration = Duration::from_millis(100);
/// …and when it is in a gap.
const GAP_REFRESH: Duration = Duration::from_millis(500);

/// Decoder threads for archive decoding (see docs/playback.md for the measurement).
pub const DECODE_THREADS: usize = 1;

/// A decoded picture as FFmpeg returned it: its buffers belong to the decoder's pool
/// and go back there when the last reference is dropped.
pub type AvFrame = ff::util::frame::video::Video;

/// Tells a segment's open and reads to give up: the player's stop flag. A reader
/// opened with [`StopFlag::never`] waits as long as the file takes.
#[derive(Clone, Debug, Default)]
pub struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    /// A flag nobody raises.
    pub fn never() -> Self {
        Self::default()
    }

    pub fn raise(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_raised(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// The closure FFmpeg polls while it waits on the file.
    fn interrupt(&self) -> impl FnMut() -> bool + Send + 'static {
        let flag = Arc::clone(&self.0);
        move || flag.load(Ordering::SeqCst)
    }
}

/// Opens a segment file for reading: without stream probing (see `open.rs`: it would
/// decode a frame, 15–20 ms for 1080p), else with probing limited to what decoding
/// needs (`fpsprobesize=0`: no frame-rate guess, which would decode about 20 frames).
///
/// Only a regular file is opened: a FIFO or device named like a segment would block
/// `open()` itself, where no interrupt reaches (the stat that tells does not block).
/// FFmpeg polls `stop` while it waits on the file, during the open and later reads.
pub fn open_input(
    path: &Path,
    stop: &StopFlag,
) -> Result<ff::format::context::Input, PlaybackError> {
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => return Err(PlaybackError::NotAFile(path.to_path_buf())),
        // Missing or unreadable: FFmpeg's open says which, as for any file.
        _ => {}
    }
    match super::open::open_unprobed(path, stop.interrupt()) {
        Ok(input) if has_usable_video(&input) => return Ok(input),
        Ok(_) => {
            tracing::debug!(path = %path.display(), "unprobed open found no sized video; probing")
        }
        Err(err) => tracing::debug!(path = %path.display(), %err, "unprobed open failed; probing"),
    }
    let mut options = ff::Dictionary::new();
    options.set("fpsprobesize", "0");
    ff::format::input_with_interrupt_and_dictionary(&path, stop.interrupt(), options).map_err(
        |source| PlaybackError::Open {
            path: path.to_path_buf(),
            source,
        },
    )
}

/// A video stream with a codec, a size and a time base: all a decoder needs.
fn has_usable_video(input: &ff::format::context::Input) -> bool {
    input
        .streams()
        .best(ff::media::Type::Video)
        .is_some_and(|s| {
            let tb = s.time_base();
            let Ok(context) = ff::codec::context::Context::from_parameters(s.parameters()) else {
                return false;
            };
            let Ok(video) = context.decoder().video() else {
                return false;
            };
            s.parameters().id() != ff::codec::Id::None
                && video.width() > 0
                && video.height() > 0
                && tb.numerator() > 0
                && tb.denominator() > 0
        })
}

/// Bytes a decoded picture holds (its planes).
pub fn av_frame_bytes(frame: &AvFrame) -> usize {
    (0..frame.planes())
        .map(|i| frame.stride(i) * frame.plane_height(i) as usize)
        .sum::<usize>()
        + 512 // AVFrame and buffer headers, roughly
}

impl super::cache::Picture for AvFrame {
    fn bytes(&self) -> usize {
        av_frame_bytes(self)
    }
}

/// One camera's segments around the play position and their keyframes, from the
/// index.
pub struct Index {
    store: Store,
    camera: String,
    /// The segments overlapping `window`, oldest first.
    segments: Vec<Segment>,
    window: (i64, i64),
    refreshed_at: Option<Instant>,
    /// Keyframes per segment id, with the segment end they were read at.
    keyframes: HashMap<i64, (i64, Vec<i64>)>,
}

impl Index {
    pub fn open(storage: &Path, camera: &str) -> Result<Self, PlaybackError> {
        let store = Store::open(storage)?;
        Ok(Self {
            store,
            camera: camera.to_owned(),
            segments: Vec::new(),
            window: (0, 0),
            refreshed_at: None,
            keyframes: HashMap::new(),
        })
    }

    /// Reads the segments within [`WINDOW_NS`] of `time_ns` again.
    pub fn refresh(&mut self, time_ns: i64) -> Result<(), PlaybackError> {
        let window = (
            time_ns.saturating_sub(WINDOW_NS),
            time_ns.saturating_add(WINDOW_NS),
        );
        let mut segments = self
            .store
            .segments_in(Some(&self.camera), window.0, window.1)?;
        segments.retain(|s| s.end_ns > s.start_ns);
        self.keyframes
            .retain(|id, _| segments.iter().any(|s| s.id == *id));
        self.segments = segments;
        self.window = window;
        self.refreshed_at = Some(Instant::now());
        Ok(())
    }

    /// Forgets the list: the next lookup reads it again (after a read failure: a file
    /// may have gone with its row).
    pub fn invalidate(&mut self) {
        self.segments.clear();
        self.window = (0, 0);
        self.refreshed_at = None;
        self.keyframes.clear();
    }

    /// Whether to read the list again to look for `time_ns`: soon after the end of a
    /// segment still being recorded (its end moves with every fragment), less often in
    /// a gap (footage may appear there only when a recorder starts).
    fn refresh_due(&self, time_ns: i64) -> bool {
        let Some(at) = self.refreshed_at else {
            return true;
        };
        if time_ns < self.window.0 || time_ns >= self.window.1 {
            return true;
        }
        let live_edge = self
            .segments
            .iter()
            .any(|s| s.recording && time_ns >= s.end_ns && time_ns - s.end_ns < WINDOW_NS);
        at.elapsed() >= if live_edge { LIVE_REFRESH } else { GAP_REFRESH }
    }

    /// The segment holding `time_ns`, reading the list again (rate-limited) when it
    /// does not know one.
    pub fn locate(&mut self, time_ns: i64) -> Result<Option<Segment>, PlaybackError> {
        let inside = time_ns >= self.window.0 && time_ns < self.window.1;
        if inside && let Some(s) = self.find(time_ns) {
            return Ok(Some(s));
        }
        if self.refresh_due(time_ns) {
            self.refresh(time_ns)?;
        }
        Ok(self.find(time_ns))
    }

    fn find(&self, time_ns: i64) -> Option<Segment> {
        let i = self.segments.partition_point(|s| s.start_ns <= time_ns);
        let s = self.segments.get(i.checked_sub(1)?)?;
        (time_ns < s.end_ns).then(|| s.clone())
    }

    /// The first segment starting after `time_ns` (from the list when it is in the
    /// window, else from the store).
    pub fn next_after(&mut self, time_ns: i64) -> Result<Option<Segment>, PlaybackError> {
        if time_ns >= self.window.0
            && let Some(s) = self
                .segments
                .iter()
                .find(|s| s.start_ns > time_ns && s.start_ns < self.window.1)
        {
            return Ok(Some(s.clone()));
        }
        Ok(self.store.segment_after(&self.camera, time_ns)?)
    }

    /// The last segment ending at or before `time_ns`.
    pub fn previous_before(&mut self, time_ns: i64) -> Result<Option<Segment>, PlaybackError> {
        if time_ns >= self.window.0
            && let Some(s) = self
                .segments
                .iter()
                .rev()
                .find(|s| s.end_ns <= time_ns && s.start_ns >= self.window.0)
        {
            return Ok(Some(s.clone()));
        }
        Ok(self.store.segment_before(&self.camera, time_ns)?)
    }

    /// The segment's keyframe times (wall ns), first always the segment start.
    pub fn keyframes(&mut self, segment: &Segment) -> Result<&[i64], PlaybackError> {
        let stale = self
            .keyframes
            .get(&segment.id)
            .is_none_or(|(end, _)| *end != segment.end_ns);
        if stale {
            let mut times: Vec<i64> = self
                .store
                .keyframes(segment.id)?
                .into_iter()
                .map(|(t, _)| t)
                .filter(|t| *t >= segment.start_ns && *t < segment.end_ns)
                .collect();
            // A segment starts at a keyframe; the index may lack it only in odd cases
            // (a recovered file), and decoding from the start is always right.
            if times
                .first()
                .is_none_or(|t| *t > segment.start_ns + SLOP_NANOS)
            {
                times.insert(0, segment.start_ns);
            }
            self.keyframes.insert(segment.id, (segment.end_ns, times));
        }
        Ok(self
            .keyframes
            .get(&segment.id)
            .map_or(&[][..], |(_, k)| k.as_slice()))
    }

    /// The keyframe at or before `time_ns` in `segment`, and the next one (if any).
    pub fn keyframe_around(
        &mut self,
        segment: &Segment,
        time_ns: i64,
    ) -> Result<(i64, Option<i64>), PlaybackError> {
        Ok(keyframe_around(
            self.keyframes(segment)?,
            segment.start_ns,
            time_ns,
        ))
    }

    /// The segment with this id, as the store has it now.
    pub fn segment(&mut self, id: i64) -> Result<Option<Segment>, PlaybackError> {
        if let Some(s) = self.segments.iter().find(|s| s.id == id) {
            return Ok(Some(s.clone()));
        }
        Ok(self.store.segment(id)?)
    }
}

/// Longest `moov` box read to compare stream configurations.
const MAX_MOOV_BYTES: u64 = 1 << 20;

/// The file's `moov` box: codec, size, time base and parameter sets. Two segments with
/// the same bytes can share a decoder (those of one camera do until it changes its
/// settings; the writer writes no times into an empty `moov`).
fn moov_bytes(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::{Read as _, Seek as _, SeekFrom};
    let mut file = std::fs::File::open(path)?;
    let mut offset = 0u64;
    for _ in 0..8 {
        let mut header = [0u8; 8];
        file.seek(SeekFrom::Start(offset))?;
        file.read_exact(&mut header)?;
        let size = u64::from(u32::from_be_bytes([
            header[0], header[1], header[2], header[3],
        ]));
        if &header[4..] == b"moov" && (8..=MAX_MOOV_BYTES).contains(&size) {
            let mut bytes = vec![0u8; usize::try_from(size).unwrap_or(0)];
            file.seek(SeekFrom::Start(offset))?;
            file.read_exact(&mut bytes)?;
            return Ok(bytes);
        }
        if size < 8 {
            break;
        }
        offset += size;
    }
    Ok(Vec::new())
}

/// A video decoder, reusable for every segment with the same configuration.
pub struct Decoder {
    config: Vec<u8>,
    video: ff::decoder::Video,
}

impl Decoder {
    /// A decoder for `reader`'s stream with `threads` threads.
    pub fn for_reader(reader: &SegmentReader, threads: usize) -> Result<Self, PlaybackError> {
        let stream = reader
            .input
            .stream(reader.stream_index)
            .ok_or_else(|| PlaybackError::NoVideo(reader.path.clone()))?;
        let mut context = ff::codec::context::Context::from_parameters(stream.parameters())
            .map_err(|source| PlaybackError::Decoder {
                path: reader.path.clone(),
                source,
            })?;
        context.set_threading(ff::codec::threading::Config::count(threads.max(1)));
        let video = context
            .decoder()
            .video()
            .map_err(|source| PlaybackError::Decoder {
                path: reader.path.clone(),
                source,
            })?;
        Ok(Self {
            config: reader.config.clone(),
            video,
        })
    }

    /// True when this decoder can decode `reader`'s packets (same configuration).
    pub fn fits(&self, reader: &SegmentReader) -> bool {
        !self.config.is_empty() && self.config == reader.config
    }
}

/// Demuxes one segment file; decoding goes through a [`Decoder`] the caller owns.
pub struct SegmentReader {
    pub segment: Segment,
    path: PathBuf,
    input: ff::format::context::Input,
    stream_index: usize,
    nanos_per_tick: f64,
    /// The file's `moov` box (empty when unreadable: then no decoder is shared).
    config: Vec<u8>,
    /// A keyframe packet read but not yet sent: the start of the GOP to decode next.
    pending: Option<ff::Packet>,
    /// The current GOP's first packet was sent.
    in_gop: bool,
    /// The decoder holds state that the next packet continues from.
    continuable: bool,
}

impl SegmentReader {
    /// Opens `segment`'s file; FFmpeg gives up waiting on it once `stop` is raised.
    pub fn open(storage: &Path, segment: &Segment, stop: &StopFlag) -> Result<Self, PlaybackError> {
        let path = storage.join(&segment.file);
        let input = open_input(&path, stop)?;
        let stream = input
            .streams()
            .best(ff::media::Type::Video)
            .ok_or_else(|| PlaybackError::NoVideo(path.clone()))?;
        let stream_index = stream.index();
        let tb = stream.time_base();
        let config = moov_bytes(&path).unwrap_or_default();
        Ok(Self {
            segment: segment.clone(),
            path,
            input,
            stream_index,
            nanos_per_tick: f64::from(tb.numerator()) * 1e9 / f64::from(tb.denominator().max(1)),
            config,
            pending: None,
            in_gop: false,
            continuable: false,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True when the next [`decode_step`](Self::decode_step) continues the GOP that
    /// decoding last worked on (or starts the one right after it), with the same
    /// decoder.
    pub fn continuable(&self) -> bool {
        self.continuable
    }

    /// The same conversion as the segment writer's (truncating), so a frame's time and
    /// its keyframe's time in the index agree to the nanosecond.
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
    fn wall_from_ticks(&self, ticks: i64) -> i64 {
        self.segment
            .start_ns
            .saturating_add((ticks as f64 * self.nanos_per_tick) as i64)
    }

    fn packet_wall(&self, packet: &ff::Packet) -> i64 {
        self.wall_from_ticks(packet.dts().or(packet.pts()).unwrap_or(0))
    }

    /// Positions at the keyframe that starts at `keyframe_ns` (wall, from the index) and
    /// resets `decoder`: the demuxer seeks to the latest keyframe at or before it, and
    /// packets before it are skipped without decoding. The next `decode_step` decodes
    /// that keyframe.
    pub fn seek_keyframe(
        &mut self,
        keyframe_ns: i64,
        decoder: &mut Decoder,
    ) -> Result<(), PlaybackError> {
        let media_us = (keyframe_ns - self.segment.start_ns).max(0) / 1_000 + 1;
        if let Err(err) = self.input.seek(media_us, ..media_us) {
            // Reading from the start is slower but always right.
            tracing::debug!(%err, "seek failed; reading from the segment start");
            self.input
                .seek(0, ..1)
                .map_err(|source| PlaybackError::Read {
                    path: self.path.clone(),
                    source,
                })?;
        }
        decoder.video.flush();
        self.pending = None;
        self.in_gop = false;
        self.continuable = false;
        loop {
            let Some(packet) = self.read_packet()? else {
                return Err(PlaybackError::KeyframeMissing {
                    path: self.path.clone(),
                    time_ns: keyframe_ns,
                });
            };
            if packet.is_key() && self.packet_wall(&packet) >= keyframe_ns - SLOP_NANOS {
                self.pending = Some(packet);
                self.continuable = true;
                return Ok(());
            }
        }
    }

    fn read_packet(&mut self) -> Result<Option<ff::Packet>, PlaybackError> {
        let mut packet = ff::Packet::empty();
        loop {
            match packet.read(&mut self.input) {
                Ok(()) if packet.stream() == self.stream_index => return Ok(Some(packet)),
                Ok(()) => {}
                Err(ff::Error::Eof) => return Ok(None),
                Err(source) => {
                    return Err(PlaybackError::Read {
                        path: self.path.clone(),
                        source,
                    });
                }
            }
        }
    }

    /// Feeds one packet to `decoder` and appends every frame that came out to `out`,
    /// with its wall time, in presentation order.
    pub fn decode_step(
        &mut self,
        decoder: &mut Decoder,
        out: &mut Vec<(i64, AvFrame)>,
    ) -> Result<Progress, PlaybackError> {
        let packet = match self.pending.take() {
            Some(p) if !self.in_gop => Some(p),
            Some(p) => {
                // The next GOP's keyframe was already read: this GOP is done.
                let wall = self.packet_wall(&p);
                self.pending = Some(p);
                self.in_gop = false;
                self.drain(decoder, out);
                return Ok(Progress::GopEnd(wall));
            }
            None => self.read_packet()?,
        };
        let Some(packet) = packet else {
            self.drain(decoder, out);
            self.continuable = false;
            return Ok(Progress::End);
        };
        if packet.is_key() && self.in_gop {
            let wall = self.packet_wall(&packet);
            self.pending = Some(packet);
            self.in_gop = false;
            self.drain(decoder, out);
            return Ok(Progress::GopEnd(wall));
        }
        self.in_gop = true;
        if let Err(err) = decoder.video.send_packet(&packet) {
            // A damaged packet costs its frame, not the segment.
            tracing::debug!(%err, "packet not decoded");
        }
        self.receive(decoder, out);
        Ok(Progress::More)
    }

    /// Sends end-of-stream, takes every frame the decoder held, and resets it so the
    /// next GOP (which starts at a keyframe) decodes from scratch.
    fn drain(&mut self, decoder: &mut Decoder, out: &mut Vec<(i64, AvFrame)>) {
        if decoder.video.send_eof().is_ok() {
            self.receive(decoder, out);
        }
        decoder.video.flush();
        if self.in_gop {
            // Mid-GOP: the reference frames are gone, the rest of this GOP cannot follow.
            self.continuable = false;
        }
    }

    fn receive(&mut self, decoder: &mut Decoder, out: &mut Vec<(i64, AvFrame)>) {
        loop {
            // A new frame each time: it takes a reference to the decoder's buffer
            // instead of a copy.
            let mut frame = AvFrame::empty();
            if decoder.video.receive_frame(&mut frame).is_err() {
                return;
            }
            if frame.width() == 0 || frame.height() == 0 {
                continue;
            }
            let Some(ticks) = frame.timestamp().or(frame.pts()) else {
                continue;
            };
            out.push((self.wall_from_ticks(ticks), frame));
        }
    }
}
/// In a segment starting at `start_ns` whose keyframes are at `keyframes` (sorted wall
/// times): the keyframe at or before `time_ns` (the segment's start when none), and the
/// next one.
pub fn keyframe_around(keyframes: &[i64], start_ns: i64, time_ns: i64) -> (i64, Option<i64>) {
    let i = keyframes.partition_point(|k| *k <= time_ns);
    let at = i
        .checked_sub(1)
        .and_then(|j| keyframes.get(j))
        .copied()
        .unwrap_or(start_ns);
    (at, keyframes.get(i).copied())
}
