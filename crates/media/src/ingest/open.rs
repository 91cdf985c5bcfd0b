//! Opening a source with an interrupt callback that also refuses redirects.
//!
//! Why `unsafe` is needed: FFmpeg's RTSP client follows a `3xx` answer by itself, to
//! any host in `Location`, and keeps the credentials it was given: with Basic auth it
//! sends them unasked in its first request there (seen in `tests/rtsp_redirect.rs`).
//! No option turns that off. What can be seen is the context's `url`, which FFmpeg
//! replaces with the new location before it connects; every connect, write and read
//! polls the interrupt callback first. So the context is allocated here, the callback
//! holds its pointer and interrupts as soon as `url` is no longer the one opened:
//! nothing is written to the new host. ffmpeg-next's `input_with_interrupt` hides the
//! context from its callback, hence this module.
//!
//! Owns: that open and the callback. Must not: keep the context pointer beyond the
//! `Input` that owns the context, or log the URL (it holds the password).
#![allow(unsafe_code)]

use std::ffi::{CStr, CString};
use std::ptr;
use std::sync::{Arc, Mutex};

use ffmpeg_next as ff;

/// Where a source redirected to (as FFmpeg had it, password included: redact before
/// showing), once it did.
#[derive(Clone, Default)]
pub(crate) struct RedirectSeen(Arc<Mutex<Option<String>>>);

impl RedirectSeen {
    /// The new location, if the source redirected.
    pub(crate) fn take(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    fn set(&self, location: String) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(location);
    }
}

/// The context pointer, handed to the callback that runs on the opening thread.
struct ContextPtr(*const ff::ffi::AVFormatContext);

// SAFETY: the callback (and with it this pointer) moves with the `Input` and is only
// called by FFmpeg from inside calls on that context, on the thread making them.
unsafe impl Send for ContextPtr {}

/// Opens `url` with `options`; FFmpeg gives up once `interrupted` returns true, and as
/// soon as the source redirects anywhere (recorded in `redirect`, then the open fails).
/// Stream information is probed as `avformat_find_stream_info` does.
pub(crate) fn open_refusing_redirects(
    url: &str,
    options: ff::Dictionary,
    mut interrupted: impl FnMut() -> bool + Send + 'static,
    redirect: &RedirectSeen,
) -> Result<ff::format::context::Input, ff::Error> {
    let c_url = CString::new(url).map_err(|_| ff::Error::Other {
        errno: libc::EINVAL,
    })?;
    // SAFETY: allocates an empty context, or returns NULL.
    let mut ctx = unsafe { ff::ffi::avformat_alloc_context() };
    if ctx.is_null() {
        return Err(ff::Error::Other {
            errno: libc::ENOMEM,
        });
    }
    let opened = c_url.clone();
    let context = ContextPtr(ctx);
    let seen = redirect.clone();
    let callback = move || {
        let context = &context;
        // SAFETY: FFmpeg calls this only from inside calls on the context (see
        // `ContextPtr`), where it is alive; `url` is NULL or a NUL-terminated string
        // FFmpeg owns and replaces only on that same thread.
        let now = unsafe {
            let url = (*context.0).url;
            (!url.is_null()).then(|| CStr::from_ptr(url))
        };
        if let Some(now) = now
            && now != opened.as_c_str()
        {
            seen.set(now.to_string_lossy().into_owned());
            return true;
        }
        interrupted()
    };
    let interrupt = ff::util::interrupt::new(Box::new(callback));
    // SAFETY: the raw dictionary is handed to avformat_open_input below and taken back
    // with `Dictionary::own` right after it, so it is freed exactly once.
    let mut opts = unsafe { options.disown() };
    // SAFETY: `ctx` is ours alone until opened. The callback's closure is owned by
    // `interrupt.guard`, which outlives every call on the context: it is dropped
    // after a failed open (FFmpeg freed the context then and set `ctx` to NULL), else
    // handed to the `Input`, which closes the context before dropping it. `c_url`
    // outlives the call; the options dictionary is handed over and taken back.
    let ret = unsafe {
        (*ctx).interrupt_callback = interrupt.interrupt;
        let ret =
            ff::ffi::avformat_open_input(&raw mut ctx, c_url.as_ptr(), ptr::null(), &raw mut opts);
        ff::Dictionary::own(opts);
        ret
    };
    if ret < 0 || ctx.is_null() {
        return Err(ff::Error::from(ret));
    }
    // SAFETY: `ctx` was opened above and nothing else refers to it; `Input` takes it
    // over (closing it, then dropping the guard) also when probing fails below.
    let input = unsafe { ff::format::context::Input::wrap_with_interrupt(ctx, interrupt.guard) };
    // SAFETY: the opened context, owned by `input`; no options are passed.
    let ret = unsafe { ff::ffi::avformat_find_stream_info(ctx, ptr::null_mut()) };
    if ret < 0 {
        return Err(ff::Error::from(ret));
    }
    Ok(input)
}
