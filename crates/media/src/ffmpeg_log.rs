//! FFmpeg's own log, routed through redaction into `tracing`.
//!
//! Owns: the `av_log` callback and FFmpeg's log level. FFmpeg's default callback writes
//! straight to stderr, and a line can quote a URL with its password (for example
//! "Opening 'http://user:pw@…' for reading", or the `Authorization:` header of an RTSP
//! request at debug level). [`init`] installs a callback that formats each line with
//! `av_log_format_line2`, passes it through `vigil_config::redact::redact` and logs it
//! with target `ffmpeg`. The level is `fatal` unless `VIGIL_FFMPEG_LOG` raises it
//! (`error`, `warning`, `info` — the value of a bare `VIGIL_FFMPEG_LOG=1` —, `verbose`,
//! `debug`, `trace`).
//!
//! Must not: let a line reach any output before redaction, or unwind into C. The one
//! `unsafe` block is the callback's FFI (documented there); on targets whose `va_list`
//! binding differs (all but x86-64 today) no callback is installed and FFmpeg stays at
//! `quiet`, so raising its level can never print an unredacted line.

use std::cell::RefCell;
use std::sync::Once;

use ffmpeg_next::util::log::Level;

/// Environment variable that raises FFmpeg's log level.
pub const FFMPEG_LOG_ENV: &str = "VIGIL_FFMPEG_LOG";
/// Longest formatted piece of a line; a longer one is replaced by a notice.
const LINE_BYTES: usize = 4096;
/// Longest line kept while waiting for its end.
const MAX_PENDING_BYTES: usize = 16 * 1024;

/// The level a `VIGIL_FFMPEG_LOG` value asks for; anything unknown means `info`.
pub fn level_from_env_value(value: Option<&str>) -> Level {
    match value.map(str::to_ascii_lowercase).as_deref() {
        None => Level::Fatal,
        Some("error") => Level::Error,
        Some("warning" | "warn") => Level::Warning,
        Some("verbose") => Level::Verbose,
        Some("debug") => Level::Debug,
        Some("trace") => Level::Trace,
        Some(_) => Level::Info,
    }
}

/// Installs the redacting callback (once per process) and sets FFmpeg's log level from
/// `VIGIL_FFMPEG_LOG`. Safe to call from every entry point.
pub fn init() {
    let value = std::env::var(FFMPEG_LOG_ENV).ok();
    init_with_level(level_from_env_value(value.as_deref()));
}

/// [`init`] with an explicit level (tests, callers with their own setting).
pub fn init_with_level(level: Level) {
    static INSTALL: Once = Once::new();
    ffmpeg_next::init().ok();
    let installed = callback::install(&INSTALL);
    ffmpeg_next::util::log::set_level(if installed { level } else { Level::Quiet });
}

/// Logs one complete FFmpeg line, redacted, at the matching tracing level.
fn emit(level: i32, line: &str) {
    use ffmpeg_next::ffi::{AV_LOG_ERROR, AV_LOG_INFO, AV_LOG_WARNING};
    let line = vigil_config::redact::redact(line.trim_end());
    if line.is_empty() {
        return;
    }
    if level <= AV_LOG_ERROR {
        tracing::error!(target: "ffmpeg", "{line}");
    } else if level <= AV_LOG_WARNING {
        tracing::warn!(target: "ffmpeg", "{line}");
    } else if level <= AV_LOG_INFO {
        tracing::info!(target: "ffmpeg", "{line}");
    } else {
        tracing::debug!(target: "ffmpeg", "{line}");
    }
}

thread_local! {
    /// FFmpeg may log a line in pieces; each thread's unfinished line waits here.
    static PENDING: RefCell<(String, i32)> = const { RefCell::new((String::new(), 0)) };
    /// `av_log_format_line2`'s "print the [component @ ptr] prefix next" state.
    static PRINT_PREFIX: std::cell::Cell<i32> = const { std::cell::Cell::new(1) };
}

/// Adds a formatted piece to this thread's pending line and emits every line it ends.
/// `truncated`: the piece did not fit the buffer, so it may hold half a URL and is not
/// shown at all.
fn take_piece(level: i32, piece: &str, truncated: bool) {
    let taken = PENDING.try_with(|pending| {
        let mut pending = pending.borrow_mut();
        if truncated || pending.0.len() + piece.len() > MAX_PENDING_BYTES {
            pending.0.clear();
            emit(
                level,
                "(a line of FFmpeg's log too long to show safely was left out)",
            );
            return;
        }
        if pending.0.is_empty() {
            pending.1 = level;
        }
        pending.0.push_str(piece);
        while let Some(end) = pending.0.find('\n') {
            let line: String = pending.0.drain(..=end).collect();
            emit(pending.1, &line);
        }
    });
    if taken.is_err() && !truncated {
        // This thread is ending: no pending line to join, so the piece goes alone.
        emit(level, piece);
    }
}

#[cfg(target_arch = "x86_64")]
mod callback {
    use std::ffi::{CStr, c_char, c_int, c_void};
    use std::sync::Once;

    use ffmpeg_next::ffi;

    /// The callback FFmpeg calls for every `av_log`.
    ///
    /// SAFETY (the module's one unsafe block): FFmpeg calls this with its own `avcl`,
    /// `fmt` and `vl`, which are passed unchanged to `av_log_format_line2` once (the
    /// `va_list` is consumed exactly once, as FFmpeg's default callback does);
    /// `av_log_format_line2` writes a NUL-terminated string of at most `line.len()`
    /// bytes into `line`, which is read back with `CStr::from_ptr` inside those bounds.
    /// Nothing here unwinds into C: the Rust part runs under `catch_unwind`.
    #[allow(unsafe_code)]
    unsafe extern "C" fn log_callback(
        avcl: *mut c_void,
        level: c_int,
        fmt: *const c_char,
        vl: *mut ffi::__va_list_tag,
    ) {
        let mut line = [0 as c_char; super::LINE_BYTES];
        // try_with: FFmpeg may log while this thread's locals are being torn down.
        let mut print_prefix = super::PRINT_PREFIX
            .try_with(std::cell::Cell::get)
            .unwrap_or(1);
        let needed = unsafe {
            if level > ffi::av_log_get_level() {
                return;
            }
            ffi::av_log_format_line2(
                avcl,
                level,
                fmt,
                vl,
                line.as_mut_ptr(),
                super::LINE_BYTES as c_int,
                &mut print_prefix,
            )
        };
        let piece = unsafe { CStr::from_ptr(line.as_ptr()) };
        let truncated = needed < 0 || needed as usize >= super::LINE_BYTES;
        let piece = piece.to_string_lossy();
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            super::PRINT_PREFIX.try_with(|p| p.set(print_prefix)).ok();
            super::take_piece(level, &piece, truncated);
        }))
        .ok();
    }

    /// Installs [`log_callback`] once; true when it is in place.
    #[allow(unsafe_code)]
    pub(super) fn install(once: &Once) -> bool {
        // SAFETY: av_log_set_callback only stores the function pointer; log_callback
        // has exactly the signature FFmpeg's bindings declare.
        once.call_once(|| unsafe { ffi::av_log_set_callback(Some(log_callback)) });
        true
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod callback {
    /// No callback on this target: FFmpeg stays quiet.
    pub(super) fn install(_once: &std::sync::Once) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_values_map_to_levels() {
        assert_eq!(level_from_env_value(None), Level::Fatal);
        assert_eq!(level_from_env_value(Some("1")), Level::Info);
        assert_eq!(level_from_env_value(Some("DEBUG")), Level::Debug);
        assert_eq!(level_from_env_value(Some("warn")), Level::Warning);
        assert_eq!(level_from_env_value(Some("trace")), Level::Trace);
    }
}
