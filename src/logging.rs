//! Logging: `tracing` to stderr and to a daily-rotated file in the data directory.
//!
//! Every line about a camera carries the camera's name from its span. Must not: log a
//! URL except through `vigil_config::redact::redact`.

use std::path::Path;

use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, fmt};

/// Keeps the file writer flushing until dropped (hold it for the program's life).
pub struct LogGuard {
    _file: Option<tracing_appender::non_blocking::WorkerGuard>,
}

/// Starts logging at `default_level` (overridden by `RUST_LOG`). The file goes to
/// `log_dir/vigil.YYYY-MM-DD.log`, 7 files kept. A log directory that cannot be
/// created leaves stderr logging only, and says so.
pub fn init(default_level: &str, log_dir: Option<&Path>) -> LogGuard {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let stderr = fmt::layer()
        .with_writer(|| AroundProgress)
        .with_target(false);
    let mut file_error = None;
    let (file_layer, guard) = match log_dir {
        Some(dir) => match tracing_appender::rolling::Builder::new()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix("vigil")
            .filename_suffix("log")
            .max_log_files(7)
            .build(dir)
        {
            Ok(appender) => {
                let (writer, guard) = tracing_appender::non_blocking(appender);
                (
                    Some(
                        fmt::layer()
                            .with_writer(writer)
                            .with_ansi(false)
                            .with_target(false),
                    ),
                    Some(guard),
                )
            }
            Err(err) => {
                file_error = Some(format!("cannot write logs to {}: {err}", dir.display()));
                (None, None)
            }
        },
        None => (None, None),
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(stderr)
        .with(file_layer)
        .try_init()
        .ok();
    if let Some(err) = file_error {
        tracing::warn!("{err}");
    }
    LogGuard { _file: guard }
}

/// Stderr for log lines, written around a progress bar on screen
/// (`crate::progress::write_stderr`) so neither tears the other.
struct AroundProgress;

impl std::io::Write for AroundProgress {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        crate::progress::write_stderr(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}
