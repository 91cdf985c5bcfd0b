//! Opening a segment file without FFmpeg's stream probing: playback's only `unsafe`.
//!
//! Why `unsafe` is needed: every safe opener in ffmpeg-next runs
//! `avformat_find_stream_info`, which decodes the first frame of the file to learn its
//! pixel format (and, unless told otherwise, about 20 frames to guess the frame rate).
//! A segment's MP4 header already gives the codec, size and time base, and the player's
//! own decoder learns the pixel format from the first frame it decodes anyway; probing
//! cost 15–20 ms per 1080p file here (60–80 ms with the frame-rate guess), paid on every
//! seek into a segment the player has not open. So: `avformat_open_input` alone, and the
//! context handed to ffmpeg-next's `Input`, which owns and closes it.
//!
//! The context carries an interrupt callback (`interrupted`, polled by FFmpeg while it
//! waits on I/O), kept with the `Input` for its reads too, so a player that is told to
//! stop does not wait for a slow file to answer.
//!
//! Owns: that one call. Must not: do anything else unsafe. Callers fall back to the
//! probing open when this one fails or finds no usable video stream.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::path::Path;
use std::ptr;

use ffmpeg_next as ff;

/// Opens `path` (demuxer chosen from its contents) without probing its streams;
/// FFmpeg gives up (`ff::Error::Exit`) once `interrupted` returns true.
pub fn open_unprobed(
    path: &Path,
    interrupted: impl FnMut() -> bool + Send + 'static,
) -> Result<ff::format::context::Input, ff::Error> {
    let c_path = CString::new(path_bytes(path)).map_err(|_| ff::Error::Other {
        errno: libc::EINVAL,
    })?;
    // SAFETY: allocates an empty context, or returns NULL.
    let mut ctx = unsafe { ff::ffi::avformat_alloc_context() };
    if ctx.is_null() {
        return Err(ff::Error::Other {
            errno: libc::ENOMEM,
        });
    }
    let interrupt = ff::util::interrupt::new(Box::new(interrupted));
    // SAFETY: `ctx` is the context just allocated, ours alone. The callback's closure
    // is owned by `interrupt.guard`, which lives until the context is closed: dropped
    // below when the open fails (after FFmpeg freed the context), else handed to the
    // `Input`, whose destructor closes the context before dropping it.
    // avformat_open_input frees a user-supplied context on failure and sets `ctx` to
    // NULL; `c_path` outlives the call; no format or options are passed.
    let ret = unsafe {
        (*ctx).interrupt_callback = interrupt.interrupt;
        ff::ffi::avformat_open_input(&raw mut ctx, c_path.as_ptr(), ptr::null(), ptr::null_mut())
    };
    if ret < 0 || ctx.is_null() {
        return Err(ff::Error::from(ret));
    }
    // SAFETY: `ctx` is a context avformat_open_input opened and nothing else refers to;
    // `Input` takes it over and closes it (avformat_close_input) when dropped, then
    // drops the guard that owns the interrupt closure.
    Ok(unsafe { ff::format::context::Input::wrap_with_interrupt(ctx, interrupt.guard) })
}

/// The path as FFmpeg wants it: the raw bytes on Unix; UTF-8 elsewhere (FFmpeg's
/// Windows file protocol takes UTF-8). A path that is not valid UTF-8 there fails to
/// open with a clear error instead of opening another file.
#[cfg(unix)]
fn path_bytes(path: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt as _;
    path.as_os_str().as_bytes().to_vec()
}

#[cfg(not(unix))]
fn path_bytes(path: &Path) -> Vec<u8> {
    match path.to_str() {
        Some(s) => s.as_bytes().to_vec(),
        // An interior NUL makes CString::new fail: reported as EINVAL.
        None => vec![0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    /// FFmpeg polls the callback while it waits for data: a source that never answers
    /// (here a TCP peer that accepts and stays silent, as a hung network share would)
    /// gives up once the flag is raised.
    #[test]
    fn a_silent_source_gives_up_when_interrupted() {
        ff::init().ok();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let raiser = {
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("test-raise".to_owned())
                .spawn(move || {
                    std::thread::sleep(Duration::from_millis(300));
                    stop.store(true, Ordering::SeqCst);
                })
                .expect("thread")
        };
        let started = Instant::now();
        let flag = Arc::clone(&stop);
        let result = open_unprobed(Path::new(&format!("tcp://127.0.0.1:{port}")), move || {
            flag.load(Ordering::SeqCst)
        });
        let elapsed = started.elapsed();
        raiser.join().ok();
        drop(listener);
        assert!(matches!(result, Err(ff::Error::Exit)), "{:?}", result.err());
        assert!(
            elapsed < Duration::from_secs(3),
            "gave up after {elapsed:?}"
        );
    }
}
