//! One fragmented MP4 segment being written: remux (no transcode) packets into
//! `<storage>/<camera>/<start_ns>.mp4`, and keep its index row describing only what is
//! durable.
//!
//! Owns: the FFmpeg muxer (`movflags=frag_keyframe+empty_moov+default_base_moof`,
//! fragments of at most [`FRAGMENT_DURATION`]), which writes through the
//! [`file::SegmentFile`] trait (see `file` for why and how), timestamp rebasing (each
//! segment starts at dts 0 and stays monotonic across source loops and jumps), the
//! media → wall clock mapping, and the durability order: file and header fsynced (and
//! the folder) before the row is inserted; each fragment fsynced before the row's end
//! moves over it; after any failure the file is cut back to the last fsynced fragment
//! and the row closed there. Must not: decide when segments start or end, or what to do
//! after a failure (that is the recorder).

#[cfg(test)]
pub(crate) mod faulty;
pub mod file;

use std::fs::File;
use std::path::{Path, PathBuf};

use ffmpeg_next as ff;

use file::{RealFiles, SegmentFiles, SharedFile};
use vigil_store::{NewSegment, SegmentTrigger, Store, StoreError};

/// Longest fragment: the muxer cuts at every keyframe and at least this often, so a
/// crash loses at most about this much (plus one frame).
pub const FRAGMENT_DURATION: std::time::Duration = std::time::Duration::from_secs(1);

/// A jump in source timestamps larger than this is a discontinuity (loop, camera reset).
const MAX_DTS_STEP_NS: i64 = 5_000_000_000;

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("disk full while writing {path}")]
    DiskFull { path: PathBuf },
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot mux {path}: {source}")]
    Mux { path: PathBuf, source: ff::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl WriteError {
    pub fn is_disk_full(&self) -> bool {
        match self {
            WriteError::DiskFull { .. } => true,
            WriteError::Store(e) => e.is_disk_full(),
            _ => false,
        }
    }

    fn io(path: &Path, source: std::io::Error) -> Self {
        if source.raw_os_error() == Some(libc::ENOSPC) {
            WriteError::DiskFull {
                path: path.to_path_buf(),
            }
        } else {
            WriteError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    }

    fn mux(path: &Path, source: ff::Error) -> Self {
        match source {
            ff::Error::Other { errno } if errno == libc::ENOSPC => WriteError::DiskFull {
                path: path.to_path_buf(),
            },
            source => WriteError::Mux {
                path: path.to_path_buf(),
                source,
            },
        }
    }
}

/// What the writer needs to start a segment.
pub struct SegmentStart<'a> {
    pub camera: &'a str,
    pub parameters: ff::codec::Parameters,
    pub codec: &'a str,
    pub width: u32,
    pub height: u32,
    pub time_base: (i32, i32),
    /// Wall clock (UTC ns) of the first packet.
    pub start_ns: i64,
    /// The first packet's source dts (stored, for tracing media time back).
    pub source_dts: i64,
    pub trigger: SegmentTrigger,
}

/// A segment file being written.
pub struct SegmentWriter {
    octx: ff::format::context::Output,
    file: SharedFile,
    path: PathBuf,
    segment_id: i64,
    in_tb: ff::Rational,
    out_tb: ff::Rational,
    ns_per_tick: f64,
    start_ns: i64,
    /// Source dts → file dts: file = source + offset.
    offset: Option<i64>,
    last_dts: i64,
    last_step: i64,
    durable_len: u64,
    durable_end_ns: i64,
    /// Wall time and keyframe flag of the first packet of the fragment being filled.
    fragment_first: Option<(i64, bool)>,
    /// Wall time just past the last packet written.
    written_end_ns: i64,
    packets: u64,
}

/// fsyncs a folder so a new entry in it survives a crash.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The error of a failed muxer call: the file's own error when a write of the file
/// failed under it (disk full, I/O error), else FFmpeg's.
fn mux_error(path: &Path, file: &SharedFile, source: ff::Error) -> WriteError {
    match file.take_write_error() {
        Some(io) => WriteError::io(path, io),
        None => WriteError::mux(path, source),
    }
}

impl SegmentWriter {
    /// Creates the file on disk, writes and fsyncs its header, then inserts its row.
    pub fn create(store: &Store, start: SegmentStart<'_>) -> Result<Self, WriteError> {
        Self::create_in(&RealFiles, store, start)
    }

    /// [`Self::create`] with the file created by `files`.
    pub fn create_in(
        files: &dyn SegmentFiles,
        store: &Store,
        start: SegmentStart<'_>,
    ) -> Result<Self, WriteError> {
        let rel = format!("{}/{}.mp4", start.camera, start.start_ns);
        let path = store.dir().join(&rel);
        let dir = store.dir().join(start.camera);
        std::fs::create_dir_all(&dir).map_err(|e| WriteError::io(&dir, e))?;
        let file = files.create(&path).map_err(|e| WriteError::io(&path, e))?;
        let result = Self::open_muxer(store, &start, &rel, &path, &dir, SharedFile::new(file));
        if result.is_err() {
            // Nothing indexed points at it; it holds no footage.
            std::fs::remove_file(&path).ok();
        }
        result
    }

    fn open_muxer(
        store: &Store,
        start: &SegmentStart<'_>,
        rel: &str,
        path: &Path,
        dir: &Path,
        file: SharedFile,
    ) -> Result<Self, WriteError> {
        let io = ff::format::context::StreamIo::from_write_seek(file.sink())
            .map_err(|e| WriteError::mux(path, e))?;
        let mut octx = ff::format::output_to_stream(io, None, Some("mp4"))
            .map_err(|e| WriteError::mux(path, e))?;
        let in_tb = ff::Rational::new(start.time_base.0, start.time_base.1.max(1));
        {
            let mut stream = octx
                .add_stream(ff::encoder::find(ff::codec::Id::None))
                .map_err(|e| WriteError::mux(path, e))?;
            stream.set_parameters(start.parameters.clone());
            stream.set_time_base(in_tb);
        }
        let mut opts = ff::Dictionary::new();
        opts.set("movflags", "frag_keyframe+empty_moov+default_base_moof");
        opts.set("frag_duration", &FRAGMENT_DURATION.as_micros().to_string());
        // Hand every write to the file at once, so it only grows by whole fragments.
        opts.set("flush_packets", "1");
        octx.write_header_with(opts)
            .map_err(|e| mux_error(path, &file, e))?;
        let out_tb = octx.stream(0).map(|s| s.time_base()).unwrap_or(in_tb);
        file.sync().map_err(|e| WriteError::io(path, e))?;
        sync_dir(dir).map_err(|e| WriteError::io(dir, e))?;
        let header_len = file.written_len();
        let segment_id = store.insert_segment(&NewSegment {
            camera: start.camera.to_owned(),
            file: rel.to_owned(),
            start_ns: start.start_ns,
            source_dts: start.source_dts,
            time_base: start.time_base,
            bytes: header_len,
            codec: start.codec.to_owned(),
            width: start.width,
            height: start.height,
            trigger: start.trigger,
        })?;
        tracing::info!(file = %rel, "segment started");
        Ok(Self {
            octx,
            file,
            path: path.to_path_buf(),
            segment_id,
            in_tb,
            out_tb,
            ns_per_tick: f64::from(in_tb.numerator()) * 1e9 / f64::from(in_tb.denominator().max(1)),
            start_ns: start.start_ns,
            offset: None,
            last_dts: 0,
            last_step: 0,
            durable_len: header_len,
            durable_end_ns: start.start_ns,
            fragment_first: None,
            written_end_ns: start.start_ns,
            packets: 0,
        })
    }

    pub fn segment_id(&self) -> i64 {
        self.segment_id
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Wall time the segment starts at.
    pub fn start_ns(&self) -> i64 {
        self.start_ns
    }

    /// Wall time up to which the footage is durable and indexed.
    pub fn durable_end_ns(&self) -> i64 {
        self.durable_end_ns
    }

    /// Bytes durable and indexed.
    pub fn durable_bytes(&self) -> u64 {
        self.durable_len
    }

    /// Wall time just past the last packet handed to the muxer.
    pub fn written_end_ns(&self) -> i64 {
        self.written_end_ns
    }

    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
    fn ns_from_ticks(&self, ticks: i64) -> i64 {
        (ticks as f64 * self.ns_per_tick) as i64
    }

    /// The file dts for a packet: rebased to start at 0, monotonic.
    fn rebase(&mut self, source_dts: i64, duration: i64) -> i64 {
        let offset = *self.offset.get_or_insert(-source_dts);
        let dts = source_dts + offset;
        if self.packets == 0 {
            return dts;
        }
        let step = dts - self.last_dts;
        if step <= 0 || self.ns_from_ticks(step) > MAX_DTS_STEP_NS {
            // Discontinuity: continue one frame after the last packet.
            let frame = if duration > 0 {
                duration
            } else {
                self.last_step.max(1)
            };
            let want = self.last_dts + frame;
            self.offset = Some(want - source_dts);
            tracing::debug!(step, "timestamp discontinuity; rebased");
            return want;
        }
        dts
    }

    /// Writes one packet. When that completed a fragment, fsyncs it and moves the row's
    /// end over it.
    pub fn write(&mut self, store: &mut Store, packet: &ff::Packet) -> Result<(), WriteError> {
        let source_dts = packet.dts().or(packet.pts()).unwrap_or(self.last_dts);
        let cts = packet.pts().map_or(0, |pts| pts - source_dts).max(0);
        let dts = self.rebase(source_dts, packet.duration());
        if self.packets > 0 {
            self.last_step = dts - self.last_dts;
        }
        self.last_dts = dts;
        let wall_ns = self.start_ns + self.ns_from_ticks(dts);
        let duration_ticks = if packet.duration() > 0 {
            packet.duration()
        } else {
            self.last_step
        };
        let mut out = packet.clone();
        out.set_stream(0);
        out.set_dts(Some(dts));
        out.set_pts(Some(dts + cts));
        out.set_position(-1);
        out.rescale_ts(self.in_tb, self.out_tb);
        out.write(&mut self.octx)
            .map_err(|e| mux_error(&self.path, &self.file, e))?;
        self.packets += 1;
        self.written_end_ns = wall_ns + self.ns_from_ticks(duration_ticks);
        // The muxer flushes the pending fragment *before* adding this packet, so when
        // the file grew, the durable data ends where this packet starts.
        let flushed = self.sync_if_grown(store, wall_ns, self.fragment_first, false)?;
        if flushed || self.fragment_first.is_none() {
            self.fragment_first = Some((wall_ns, packet.is_key()));
        }
        Ok(())
    }

    /// When the file grew (a fragment was flushed), fsync it and commit the new end;
    /// returns whether it did. `end_ns` is where the flushed data ends; `fragment` the
    /// first packet of the fragment that was flushed. When the fsync fails, the row
    /// stays where it was: what was written since the last fsync may never reach the
    /// disk (after a failed fsync Linux may drop the dirty pages and report success
    /// next time), so it is not trusted, and [`Self::abandon`] cuts it off.
    fn sync_if_grown(
        &mut self,
        store: &mut Store,
        end_ns: i64,
        fragment: Option<(i64, bool)>,
        complete: bool,
    ) -> Result<bool, WriteError> {
        let len = self.file.written_len();
        if len <= self.durable_len && !complete {
            return Ok(false);
        }
        self.file
            .sync()
            .map_err(|e| WriteError::io(&self.path, e))?;
        let keyframes: Vec<(i64, u64)> = match fragment {
            Some((time_ns, true)) if len > self.durable_len => vec![(time_ns, self.durable_len)],
            _ => Vec::new(),
        };
        store.segment_progress(self.segment_id, end_ns, len, &keyframes, complete)?;
        self.durable_len = len;
        self.durable_end_ns = end_ns;
        Ok(true)
    }

    /// Flushes the last fragment, fsyncs, and marks the row complete. On an error the
    /// segment is abandoned (see [`Self::abandon`]) before the error is returned: its
    /// row ends complete at its last durable fragment.
    pub fn finish(mut self, store: &mut Store) -> Result<(), WriteError> {
        if let Err(err) = self.flush_last_fragment(store) {
            self.abandon(store);
            return Err(err);
        }
        tracing::info!(
            file = %self.path.display(),
            seconds = (self.durable_end_ns - self.start_ns) as f64 / 1e9,
            bytes = self.durable_len,
            "segment complete"
        );
        Ok(())
    }

    fn flush_last_fragment(&mut self, store: &mut Store) -> Result<(), WriteError> {
        self.octx
            .write_trailer()
            .map_err(|e| mux_error(&self.path, &self.file, e))?;
        let fragment = self.fragment_first.take();
        let end_ns = self.written_end_ns;
        self.sync_if_grown(store, end_ns, fragment, true)?;
        Ok(())
    }

    /// After a failure: cuts the file back to its durable length and closes the row
    /// there. The footage after the last durable fragment is lost (disk full, I/O error);
    /// the torn or unsynced tail is cut, so the file decodes to its end. A segment with
    /// no durable fragment holds no footage: its row goes, then its file (as
    /// reconciliation does after a crash).
    pub fn abandon(self, store: &mut Store) {
        let Self {
            octx,
            file,
            path,
            segment_id,
            start_ns,
            durable_len,
            durable_end_ns,
            ..
        } = self;
        // Cut first: the muxer flushes what it still buffers when dropped, and the
        // closed file refuses it.
        let cut = file.close_at(durable_len).and_then(|()| file.sync());
        drop(octx);
        if durable_end_ns <= start_ns {
            remove_empty(store, segment_id, &path);
            return;
        }
        if let Err(err) = cut {
            tracing::warn!(file = %path.display(), %err, "cannot trim an abandoned segment; reconciliation will");
        }
        match store.segment_progress(segment_id, durable_end_ns, durable_len, &[], true) {
            Ok(()) => tracing::warn!(
                file = %path.display(),
                bytes = durable_len,
                "segment closed early at its last durable fragment"
            ),
            Err(err) => {
                tracing::warn!(file = %path.display(), %err, "cannot close an abandoned segment's row; reconciliation will")
            }
        }
    }
}

/// Removes an abandoned segment that holds no fragment: row first, then file, so a
/// crash in between leaves a header-only file that reconciliation removes.
fn remove_empty(store: &Store, segment_id: i64, path: &Path) {
    if let Err(err) = store.delete_segment(segment_id) {
        tracing::warn!(file = %path.display(), %err, "cannot remove an empty abandoned segment's row; reconciliation will");
        return;
    }
    match std::fs::remove_file(path) {
        Ok(()) => {
            tracing::warn!(file = %path.display(), "segment removed: no fragment was durable")
        }
        Err(err) => {
            tracing::warn!(file = %path.display(), %err, "cannot remove an empty abandoned segment; reconciliation will")
        }
    }
}
