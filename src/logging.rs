//! Logging: `tracing` to stderr and to a daily file in the data directory, every line
//! through the one redaction function.
//!
//! Owns: the subscriber set-up, the redacting writer ([`Redacting`]) both outputs go
//! through, and the private daily log file ([`PrivateDailyFile`]: created 0600 in a
//! folder kept at 0700; an existing folder or log file with wider permissions is
//! tightened, and a warning says so). Every line about a camera carries the camera's
//! name from its span. Must not: write a line that has not passed through
//! `vigil_config::redact::redact`, or create a log file other users can read.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, fmt};

/// Mode of the log folder.
pub const LOG_DIR_MODE: u32 = 0o700;
/// Mode of each log file.
pub const LOG_FILE_MODE: u32 = 0o600;
/// How many daily log files are kept.
pub const MAX_LOG_FILES: usize = 7;
const LOG_PREFIX: &str = "vigil.";
const LOG_SUFFIX: &str = ".log";

/// Keeps the file writer flushing until dropped (hold it for the program's life).
pub struct LogGuard {
    _file: Option<tracing_appender::non_blocking::WorkerGuard>,
}

/// A writer whose every write passes through `redact`. tracing's fmt layer writes each
/// event whole, in one call, so a URL is never split between two writes.
pub struct Redacting<W>(pub W);

impl<W: Write> Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0
            .write_all(vigil_config::redact::redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// [`Redacting`] around every writer `M` makes.
pub struct RedactingMakeWriter<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for RedactingMakeWriter<M> {
    type Writer = Redacting<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        Redacting(self.0.make_writer())
    }
}

/// The fmt layer Vigil logs with, writing through [`Redacting`], without colours.
///
/// Its span fields are formatted by [`PlainFields`], not by the `DefaultFields` of the
/// terminal's coloured layer: fmt layers cache a span's formatted fields per formatter
/// type, so sharing one would put the terminal's colour codes into the file.
pub fn layer<S, M>(writer: M) -> impl tracing_subscriber::Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    M: for<'a> MakeWriter<'a> + 'static,
{
    fmt::layer()
        .fmt_fields(PlainFields::default())
        .with_writer(RedactingMakeWriter(writer))
        .with_ansi(false)
        .with_target(false)
}

/// `DefaultFields` under a type of its own (see [`layer`]).
#[derive(Default)]
pub struct PlainFields(fmt::format::DefaultFields);

impl<'w> fmt::FormatFields<'w> for PlainFields {
    fn format_fields<R: tracing_subscriber::field::RecordFields>(
        &self,
        writer: fmt::format::Writer<'w>,
        fields: R,
    ) -> std::fmt::Result {
        self.0.format_fields(writer, fields)
    }
}

/// `dir/vigil.YYYY-MM-DD.log` (UTC date), opened for appending with mode 0600 and
/// reopened when the date changes; the oldest files beyond [`MAX_LOG_FILES`] are
/// deleted. Only files named like its own are ever touched.
pub struct PrivateDailyFile {
    dir: PathBuf,
    date: chrono::NaiveDate,
    file: File,
}

impl PrivateDailyFile {
    /// Creates `dir` (0700) if needed, tightens it and any existing Vigil log file in
    /// it to owner-only, and opens today's file. Returns what it had to tighten.
    pub fn open(dir: &Path) -> std::io::Result<(Self, Vec<PathBuf>)> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(LOG_DIR_MODE)
            .create(dir)?;
        let mut tightened = Vec::new();
        tighten(dir, LOG_DIR_MODE, &mut tightened)?;
        for file in log_files(dir)? {
            tighten(&file, LOG_FILE_MODE, &mut tightened)?;
        }
        let date = chrono::Utc::now().date_naive();
        let file = open_private(&file_for(dir, date))?;
        prune(dir);
        Ok((
            Self {
                dir: dir.to_path_buf(),
                date,
                file,
            },
            tightened,
        ))
    }
}

impl Write for PrivateDailyFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let today = chrono::Utc::now().date_naive();
        if today != self.date {
            self.file = open_private(&file_for(&self.dir, today))?;
            self.date = today;
            prune(&self.dir);
        }
        self.file.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

fn file_for(dir: &Path, date: chrono::NaiveDate) -> PathBuf {
    dir.join(format!(
        "{LOG_PREFIX}{}{LOG_SUFFIX}",
        date.format("%Y-%m-%d")
    ))
}

/// Opens for appending, created 0600; an existing file is tightened to 0600.
fn open_private(path: &Path) -> std::io::Result<File> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(LOG_FILE_MODE)
        .open(path)?;
    if file.metadata()?.permissions().mode() & 0o777 != LOG_FILE_MODE {
        file.set_permissions(std::fs::Permissions::from_mode(LOG_FILE_MODE))?;
    }
    Ok(file)
}

/// Sets `path`'s permission bits to `mode` when they are wider, noting it.
fn tighten(path: &Path, mode: u32, tightened: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let meta = std::fs::symlink_metadata(path)?;
    if meta.permissions().mode() & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
        tightened.push(path.to_path_buf());
    }
    Ok(())
}

/// Vigil's log files in `dir` (`vigil.*.log`, regular files), sorted by name (= date).
fn log_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with(LOG_PREFIX) && name.ends_with(LOG_SUFFIX)
        })
        .map(|e| e.path())
        .collect();
    files.sort();
    Ok(files)
}

/// Deletes the oldest log files beyond [`MAX_LOG_FILES`].
fn prune(dir: &Path) {
    let Ok(files) = log_files(dir) else { return };
    let excess = files.len().saturating_sub(MAX_LOG_FILES);
    for old in &files[..excess] {
        std::fs::remove_file(old).ok();
    }
}

/// Starts logging at `default_level` (overridden by `RUST_LOG`). The file goes to
/// `log_dir/vigil.YYYY-MM-DD.log` (see [`PrivateDailyFile`]). A log folder that cannot
/// be used leaves stderr logging only, and says so.
pub fn init(default_level: &str, log_dir: Option<&Path>) -> LogGuard {
    let mut filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    // VIGIL_FFMPEG_LOG sets FFmpeg's own level; its lines (target `ffmpeg`, already
    // redacted) are then all let through.
    if std::env::var_os(vigil_media::ffmpeg_log::FFMPEG_LOG_ENV).is_some()
        && let Ok(directive) = "ffmpeg=trace".parse()
    {
        filter = filter.add_directive(directive);
    }
    let stderr = fmt::layer()
        .with_writer(RedactingMakeWriter(|| AroundProgress))
        .with_target(false);
    let mut notes = Vec::new();
    let (file_layer, guard) = match log_dir.map(|dir| (dir, PrivateDailyFile::open(dir))) {
        Some((_, Ok((file, tightened)))) => {
            for path in tightened {
                notes.push(format!(
                    "{} was readable by other users; made it owner-only",
                    path.display()
                ));
            }
            let (writer, guard) = tracing_appender::non_blocking(file);
            (Some(layer(writer)), Some(guard))
        }
        Some((dir, Err(err))) => {
            notes.push(format!("cannot write logs to {}: {err}", dir.display()));
            (None, None)
        }
        None => (None, None),
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(stderr)
        .with(file_layer)
        .try_init()
        .ok();
    for note in notes {
        tracing::warn!("{note}");
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

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    }

    /// Log files are owner-only (0600) in an owner-only folder (0700), also when the
    /// folder and an older log file already existed with wider permissions. Real files.
    #[test]
    fn log_files_and_their_folder_are_private() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("logs");
        std::fs::create_dir(&dir).expect("mkdir");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let old = dir.join("vigil.2000-01-01.log");
        std::fs::write(&old, "old line\n").expect("write");
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).expect("chmod");

        let guard = init("info", Some(&dir));
        {
            let span = tracing::info_span!("camera", camera = "Lobby");
            let _entered = span.enter();
            tracing::info!("a line for the private log");
        }
        drop(guard);

        assert_eq!(mode(&dir), 0o700, "log folder");
        let files: Vec<_> = std::fs::read_dir(&dir)
            .expect("ls")
            .map(|e| e.expect("entry").path())
            .collect();
        assert_eq!(files.len(), 2, "{files:?}");
        for file in &files {
            assert_eq!(mode(file), 0o600, "{}", file.display());
        }
        let today = files.iter().find(|f| **f != old).expect("today's log");
        let text = std::fs::read_to_string(today).expect("read");
        assert!(text.contains("a line for the private log"), "{text}");
        // The terminal's colours stay out of the file, in span fields too.
        assert!(text.contains("camera{camera=\"Lobby\"}"), "{text}");
        assert!(!text.contains('\x1b'), "{text:?}");
    }

    /// Only the newest files are kept, and only Vigil's own files are touched.
    #[test]
    fn old_log_files_are_pruned_and_others_left_alone() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("new/logs");
        std::fs::create_dir_all(&dir).expect("mkdir");
        for day in 1..=9 {
            std::fs::write(dir.join(format!("vigil.2000-01-0{day}.log")), "x").expect("write");
        }
        let foreign = dir.join("notes.txt");
        std::fs::write(&foreign, "mine").expect("write");
        std::fs::set_permissions(&foreign, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let (mut file, tightened) = PrivateDailyFile::open(&dir).expect("open");
        file.write_all(b"line\n").expect("write");
        let logs = log_files(&dir).expect("ls");
        assert_eq!(logs.len(), MAX_LOG_FILES, "{logs:?}");
        assert!(!logs.iter().any(|f| f.ends_with("vigil.2000-01-01.log")));
        assert!(!logs.iter().any(|f| f.ends_with("vigil.2000-01-03.log")));
        assert!(logs.iter().all(|f| mode(f) == 0o600));
        assert_eq!(
            mode(&foreign),
            0o644,
            "a file Vigil did not write is left alone"
        );
        assert!(tightened.iter().any(|p| p == &dir), "{tightened:?}");
    }
}
