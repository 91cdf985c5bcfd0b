//! The segment file's I/O steps behind a small trait, so a test can fail the n-th write
//! or fsync of a real recording.
//!
//! Owns: [`SegmentFile`] (write at an offset, fsync, truncate) and [`SegmentFiles`]
//! (create one), their real implementation on `std::fs::File` ([`RealFiles`]), and
//! [`SharedFile`]: the writer's handle on the file, whose [`MuxSink`] is what FFmpeg's
//! muxer writes through. Must not: decide what is durable or indexed (the writer does),
//! retry, or swallow an error.
//!
//! How the muxer's bytes reach the trait: ffmpeg-next 9 puts a custom AVIO context
//! around any `Write + Seek` (`format::output_to_stream` with `StreamIo`), so every
//! byte the mp4 muxer emits goes through [`MuxSink`] into the [`SegmentFile`], with no
//! `unsafe` in this crate. The other roads were worse: a hand-written AVIO write
//! callback needs `unsafe` FFI (and that callback's signature changed between FFmpeg 6
//! and 7), and a trait around the writer's own steps (packet → muxer, fsync, length)
//! would leave FFmpeg writing the path itself, so a test could only pretend a write
//! failed. Through the sink a failed write is a real one: FFmpeg gets the errno
//! (`ENOSPC` stays `ENOSPC`), whatever part of the fragment reached the disk stays there
//! as a torn tail that the writer must cut off, and the muxer is dead from then on, as
//! it would be on a full disk. The sink also counts the bytes the file holds, so the
//! writer learns that a fragment was written without a `stat` after every packet.
//!
//! The sink is seekable like FFmpeg's own file protocol: the muxer patches box sizes
//! it has just written (the header's, the trailer's `mfra`), never a committed fragment.

use std::fmt;
use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

/// One segment file, as the writer uses it.
pub trait SegmentFile: Send {
    /// Writes all of `buf` at byte `offset`. On an error part of `buf` may be on disk.
    fn write_all_at(&mut self, buf: &[u8], offset: u64) -> io::Result<()>;
    /// Makes everything written so far durable (`fdatasync`).
    fn sync(&mut self) -> io::Result<()>;
    /// Cuts the file to `len` bytes.
    fn truncate(&mut self, len: u64) -> io::Result<()>;
}

/// Creates segment files: [`RealFiles`] in production; tests wrap it to inject faults.
pub trait SegmentFiles: Send + Sync + fmt::Debug {
    /// Creates `path`, which must not exist (footage is never overwritten).
    fn create(&self, path: &Path) -> io::Result<Box<dyn SegmentFile>>;
}

/// Files on the disk.
#[derive(Clone, Copy, Debug, Default)]
pub struct RealFiles;

impl SegmentFiles for RealFiles {
    fn create(&self, path: &Path) -> io::Result<Box<dyn SegmentFile>> {
        let file = File::options().write(true).create_new(true).open(path)?;
        Ok(Box::new(file))
    }
}

impl SegmentFile for File {
    fn write_all_at(&mut self, buf: &[u8], offset: u64) -> io::Result<()> {
        // `pwrite`; named by its trait, as `SegmentFile` has a method of the same name.
        FileExt::write_all_at(self, buf, offset)
    }

    fn sync(&mut self) -> io::Result<()> {
        self.sync_data()
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.set_len(len)
    }
}

/// The writer's handle on a segment file that the muxer writes through its
/// [`MuxSink`]. Both run on the recorder's thread; the lock is never contended.
#[derive(Clone)]
pub(crate) struct SharedFile(Arc<Mutex<Inner>>);

struct Inner {
    file: Box<dyn SegmentFile>,
    /// Where the muxer's next write goes.
    pos: u64,
    /// Bytes the file holds: the end of the furthest write that succeeded.
    len: u64,
    /// The write that failed, for the writer's report (FFmpeg keeps only its errno).
    error: Option<io::Error>,
    /// Set when the writer gives the file up: the muxer's last flush (when it is
    /// dropped) must not add bytes after the cut.
    closed: bool,
}

impl SharedFile {
    pub fn new(file: Box<dyn SegmentFile>) -> Self {
        Self(Arc::new(Mutex::new(Inner {
            file,
            pos: 0,
            len: 0,
            error: None,
            closed: false,
        })))
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What FFmpeg's muxer writes through.
    pub fn sink(&self) -> MuxSink {
        MuxSink(self.clone())
    }

    /// Bytes written so far (durable or not).
    pub fn written_len(&self) -> u64 {
        self.lock().len
    }

    pub fn sync(&self) -> io::Result<()> {
        self.lock().file.sync()
    }

    /// Refuses further writes from the muxer, and cuts the file to `len`.
    pub fn close_at(&self, len: u64) -> io::Result<()> {
        let mut inner = self.lock();
        inner.closed = true;
        inner.file.truncate(len)?;
        inner.len = len;
        inner.pos = len;
        Ok(())
    }

    /// The error of the write that failed, once.
    pub fn take_write_error(&self) -> Option<io::Error> {
        self.lock().error.take()
    }
}

/// The `Write + Seek` the muxer writes through (see the module header).
pub(crate) struct MuxSink(SharedFile);

impl Write for MuxSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut inner = self.0.lock();
        if inner.closed {
            return Err(io::Error::other("segment file already given up"));
        }
        let pos = inner.pos;
        match inner.file.write_all_at(buf, pos) {
            Ok(()) => {
                inner.pos = pos + buf.len() as u64;
                inner.len = inner.len.max(inner.pos);
                Ok(buf.len())
            }
            Err(err) => {
                // FFmpeg needs only the errno; the writer reports the error itself.
                let to_ffmpeg = err.raw_os_error().map_or_else(
                    || io::Error::new(err.kind(), err.to_string()),
                    io::Error::from_raw_os_error,
                );
                inner.error = Some(err);
                Err(to_ffmpeg)
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for MuxSink {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let mut inner = self.0.lock();
        let pos = match to {
            SeekFrom::Start(pos) => Some(pos),
            SeekFrom::Current(delta) => inner.pos.checked_add_signed(delta),
            SeekFrom::End(delta) => inner.len.checked_add_signed(delta),
        }
        .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
        inner.pos = pos;
        Ok(pos)
    }
}
