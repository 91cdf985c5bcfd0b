//! The `vigil` command line: the video wall (default; `--demo` for the built-in demo
//! site), `check-config`, `doctor`, `bench live|scrub|timeline`, `archive record|seed`,
//! and the signals that close the window cleanly. Parses arguments and hands the work
//! to the workspace's crates (`docs/architecture.md` has the map).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};

use vigil_app::{AppOptions, VigilApp};
use vigil_config::{self as config, AppPaths, CredentialStore, RecordingMode, Transport};

#[derive(Parser, Debug)]
#[command(
    name = "vigil",
    version,
    about = "Open, vendor-neutral video wall for RTSP cameras and files",
    after_help = TOP_AFTER_HELP
)]
struct Cli {
    /// Site file to use instead of the default one in the config directory.
    #[arg(long, value_name = "PATH", global = true)]
    config: Option<PathBuf>,
    /// Open the built-in demo site, whatever site file exists.
    #[arg(long, conflicts_with = "config")]
    demo: bool,
    /// Start with this layout (1x1, 2x2, 3x3, 4x4, 5x5, 1+5, 1+7, 1+12 or a saved one).
    #[arg(long, value_name = "NAME")]
    layout: Option<String>,
    /// Show only the wall: no toolbar, camera list or status bar.
    #[arg(long)]
    kiosk: bool,
    /// Initial window size in points, e.g. 1280x720.
    #[arg(long, value_name = "WxH", value_parser = parse_size)]
    window_size: Option<(f32, f32)>,
    /// Never use hardware video decoders (also VIGIL_HWACCEL=off).
    #[arg(long, global = true)]
    software_decoding: bool,
    /// Log level for stderr and the log file [default: info; warn for bench]
    /// (RUST_LOG overrides).
    #[arg(long, value_enum, global = true)]
    log_level: Option<LogLevel>,
    #[command(subcommand)]
    command: Option<Command>,
}

/// The levels `--log-level` takes; anything else is a usage error (exit code 2).
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    /// The level as a `tracing` filter directive.
    fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warn => "warn",
            Self::Info => "info",
            Self::Debug => "debug",
            Self::Trace => "trace",
        }
    }
}

/// The top-level `--help` tail: every environment variable Vigil reads, and the exit
/// codes. Keep it in step with the code (`grep -rn 'VIGIL_' src crates`).
const TOP_AFTER_HELP: &str = "\
Environment:
  VIGIL_CONFIG_DIR   Config directory (site file, credentials) instead of
                     $XDG_CONFIG_HOME/vigil
  VIGIL_DATA_DIR     Data directory (logs, recordings, snapshots) instead of
                     $XDG_DATA_HOME/vigil
  VIGIL_DEMO_DIR     Folder of the demo site's clips instead of the installed ones
  VIGIL_FFMPEG_LOG   When set, FFmpeg's own log goes to stderr (quiet otherwise)
  VIGIL_HWACCEL      'off' never tries hardware video decoders (as --software-decoding)
  VIGIL_CAMERA_<ID>_PASSWORD
                     Password of camera <ID> (upper case, '-' as '_'); wins over the
                     credentials file
  RUST_LOG           Log filter (tracing EnvFilter syntax); overrides --log-level

Exit codes:
  0  ok
  1  a problem found (doctor, check-config) or the command failed
  2  usage: unknown option, bad value";

const CHECK_CONFIG_AFTER_HELP: &str = "\
Environment:
  VIGIL_CONFIG_DIR   Config directory, where the default site file (site.toml) is
  VIGIL_DATA_DIR     Data directory (looked up with the config directory)

Exit codes: 0 the site file loads, 1 it does not (the problem is printed), 2 usage.";

const DOCTOR_AFTER_HELP: &str = "\
Environment:
  VIGIL_CONFIG_DIR   Config directory checked
  VIGIL_DATA_DIR     Data directory and recording storage checked
  VIGIL_DEMO_DIR     Folder of the demo clips checked
  VIGIL_FFMPEG_LOG   When set, FFmpeg's own log of the device probes goes to stderr
  VIGIL_HWACCEL      'off' reports hardware decoding as disabled
  WGPU_BACKEND       The wgpu backends probed (as for the window)

Exit codes: 0 Vigil has what it needs, 1 something needed is missing, 2 usage.";

const BENCH_LIVE_AFTER_HELP: &str = "\
Environment:
  VIGIL_FFMPEG_LOG   When set, FFmpeg's own log goes to stderr
  VIGIL_HWACCEL      'off' never tries hardware video decoders
  RUST_LOG           Log filter; overrides --log-level (default warn)";

const BENCH_SCRUB_AFTER_HELP: &str = "\
Environment:
  VIGIL_HWACCEL      'off' never tries hardware video decoders
  RUST_LOG           Log filter; overrides --log-level (default warn)";

const BENCH_TIMELINE_AFTER_HELP: &str = "\
Environment:
  RUST_LOG           Log filter; overrides --log-level (default warn)";

const ARCHIVE_RECORD_AFTER_HELP: &str = "\
Environment:
  VIGIL_DATA_DIR     Without --storage, recordings go to its `recordings` folder
  VIGIL_CONFIG_DIR   Config directory (looked up with the data directory)
  VIGIL_FFMPEG_LOG   When set, FFmpeg's own log goes to stderr
  RUST_LOG           Log filter; overrides --log-level";

const ARCHIVE_SEED_AFTER_HELP: &str = "\
Environment:
  RUST_LOG           Log filter; overrides --log-level";

#[derive(Subcommand, Debug)]
enum Command {
    /// Check a site file and print what is wrong with it (exit code 1 when broken).
    #[command(after_help = CHECK_CONFIG_AFTER_HELP)]
    CheckConfig {
        /// The site file (default: the one Vigil would open).
        path: Option<PathBuf>,
    },
    /// Check this system: FFmpeg, GPU, demo clips, paths, storage (exit code 1 when
    /// something needed is missing, with advice).
    #[command(after_help = DOCTOR_AFTER_HELP)]
    Doctor {
        /// Print the facts as JSON instead of a report.
        #[arg(long)]
        json: bool,
    },
    /// Measure the engine headless (no window); figures go to stdout and JSON.
    Bench {
        #[command(subcommand)]
        kind: BenchKind,
    },
    /// Recordings: record a camera headless into a storage folder.
    Archive {
        #[command(subcommand)]
        kind: ArchiveKind,
    },
}

#[derive(Subcommand, Debug)]
enum ArchiveKind {
    /// Record one camera or file (no transcode) until SIGTERM/SIGINT or `--seconds`;
    /// reconciles the storage folder first.
    #[command(after_help = ARCHIVE_RECORD_AFTER_HELP)]
    Record {
        /// An rtsp:// URL or a video file (files loop, paced at real time).
        #[arg(long, value_name = "URL_OR_FILE")]
        input: String,
        /// Storage folder (default: `recordings` in the data directory).
        #[arg(long, value_name = "DIR")]
        storage: Option<PathBuf>,
        /// Camera id the recordings are filed under.
        #[arg(long, default_value = "cam1")]
        camera_id: String,
        /// Stop after this many seconds.
        #[arg(long)]
        seconds: Option<f64>,
        /// Record continuously or only around events (the site file's recording modes).
        #[arg(long, value_enum, default_value_t = RecordingMode::Continuous)]
        mode: RecordingMode,
        /// RTSP transport (as the site file's `transport`).
        #[arg(long, value_enum, default_value_t = Transport::Tcp)]
        transport: Transport,
        /// Segment length in seconds (cut at the next keyframe).
        #[arg(long, default_value_t = 60.0)]
        segment_secs: f64,
        /// Keep all recordings under this many MiB (oldest deleted first).
        #[arg(long)]
        quota_mb: Option<u64>,
        /// Delete footage older than this many days.
        #[arg(long)]
        max_age_days: Option<f64>,
        /// After a full disk, resume once this many MiB are free.
        #[arg(long, default_value_t = 256)]
        resume_free_mb: u64,
    },
    /// Build a synthetic archive that ends now: one-minute segments remuxed from a clip
    /// (hard links after the first), with keyframe rows, a few gaps, events and a
    /// bookmark per camera.
    #[command(after_help = ARCHIVE_SEED_AFTER_HELP)]
    Seed {
        /// How many cameras (cam01 … camNN unless --camera-id names them).
        #[arg(long)]
        cameras: usize,
        /// Hours of footage per camera.
        #[arg(long)]
        hours: f64,
        /// The video clip to remux (no re-encoding).
        #[arg(long, value_name = "CLIP")]
        from: PathBuf,
        /// Storage folder to create or add to (cameras in it must have no footage yet).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Camera ids to use instead of cam01 …, as many as --cameras (comma-separated).
        #[arg(long, value_delimiter = ',')]
        camera_id: Vec<String>,
        /// Seed for the placement of gaps, events and bookmarks.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Subcommand, Debug)]
enum BenchKind {
    /// Streams through ingest, decode and upload into wgpu textures, paced at real time.
    #[command(after_help = BENCH_LIVE_AFTER_HELP)]
    Live {
        /// An rtsp:// URL or a video file (files loop); repeat for more streams.
        #[arg(long = "input", value_name = "URL_OR_FILE", required = true)]
        inputs: Vec<String>,
        /// How long to run, in seconds.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// Write the figures as JSON here.
        #[arg(long, value_name = "OUT.json")]
        json: Option<PathBuf>,
        /// Afterwards, restart each decoder to time a start from the keyframe cache.
        #[arg(long)]
        reattach: bool,
        /// RTSP transport of every input (as the site file's `transport`).
        #[arg(long, value_enum, default_value_t = Transport::Tcp)]
        transport: Transport,
    },
    /// Time to open the timeline on a whole archive (every camera, its full span).
    #[command(after_help = BENCH_TIMELINE_AFTER_HELP)]
    Timeline {
        /// The storage folder (with index.sqlite3).
        #[arg(long, value_name = "DIR")]
        archive: PathBuf,
        /// Write the figures as JSON here.
        #[arg(long, value_name = "OUT.json")]
        json: Option<PathBuf>,
    },
    /// Random preview and exact seeks over a recorded archive, against bare FFmpeg in
    /// the same run, and the frames four tiles show while dragging the timeline.
    #[command(after_help = BENCH_SCRUB_AFTER_HELP)]
    Scrub {
        /// The storage folder (with index.sqlite3) to seek in.
        #[arg(long, value_name = "DIR")]
        archive: PathBuf,
        /// How many preview seeks (and as many exact ones).
        #[arg(long, default_value_t = 200)]
        seeks: usize,
        /// Seed of the random times (default: from the clock; printed).
        #[arg(long)]
        seed: Option<u64>,
        /// How long the 4-tile drag runs, in seconds.
        #[arg(long, default_value_t = 3.0)]
        drag_seconds: f64,
        /// Decoder threads of the players and of the bare baseline.
        #[arg(long, default_value_t = vigil_playback::source::DECODE_THREADS)]
        decode_threads: usize,
        /// Write the figures as JSON here.
        #[arg(long, value_name = "OUT.json")]
        json: Option<PathBuf>,
    },
}

fn parse_size(s: &str) -> Result<(f32, f32), String> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("window size '{s}' is not WIDTHxHEIGHT, e.g. 1280x720"))?;
    let w: f32 = w
        .trim()
        .parse()
        .map_err(|_| format!("width '{w}' is not a number"))?;
    let h: f32 = h
        .trim()
        .parse()
        .map_err(|_| format!("height '{h}' is not a number"))?;
    if !(200.0..=16384.0).contains(&w) || !(150.0..=16384.0).contains(&h) {
        return Err(format!("window size {w}x{h} is out of range"));
    }
    Ok((w, h))
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!(
                "vigil: {}",
                vigil_config::redact::redact(&format!("{err:#}"))
            );
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    vigil_media::hwaccel::force_software(cli.software_decoding);
    let log_level = cli.log_level.unwrap_or(LogLevel::Info).as_str();
    // The benches print figures; their log stays at warnings unless asked.
    let bench_level = cli.log_level.unwrap_or(LogLevel::Warn).as_str();
    if let Some(Command::Bench {
        kind:
            BenchKind::Live {
                inputs,
                seconds,
                json,
                reattach,
                transport,
            },
    }) = &cli.command
    {
        let _log = vigil::logging::init(bench_level, None);
        let options = vigil::bench::live::LiveOptions {
            inputs: inputs.clone(),
            seconds: *seconds,
            reattach: *reattach,
            transport: *transport,
        };
        let report = vigil::bench::live::run(&options)?;
        print!("{}", vigil::bench::live::summary(&report));
        if let Some(path) = json {
            vigil::bench::live::write_json(&report, path)?;
        }
        return Ok(std::process::ExitCode::SUCCESS);
    }
    if let Some(Command::Bench {
        kind: BenchKind::Timeline { archive, json },
    }) = &cli.command
    {
        let _log = vigil::logging::init(bench_level, None);
        let report = vigil::bench::timeline::run(archive)?;
        vigil::bench::timeline::report(&report, json.as_ref())?;
        return Ok(std::process::ExitCode::SUCCESS);
    }
    if let Some(Command::Bench {
        kind:
            BenchKind::Scrub {
                archive,
                seeks,
                seed,
                drag_seconds,
                decode_threads,
                json,
            },
    }) = &cli.command
    {
        let _log = vigil::logging::init(bench_level, None);
        let options = vigil::bench::scrub::ScrubOptions {
            archive: archive.clone(),
            seeks: *seeks,
            seed: *seed,
            drag_seconds: *drag_seconds,
            decode_threads: *decode_threads,
        };
        let report = vigil::bench::scrub::run(&options)?;
        print!("{}", vigil::bench::scrub::summary(&report));
        if let Some(path) = json {
            vigil::bench::scrub::write_json(&report, path)?;
        }
        return Ok(std::process::ExitCode::SUCCESS);
    }
    if let Some(Command::Archive { kind }) = &cli.command {
        return archive(kind, log_level);
    }
    if let Some(Command::Doctor { json }) = &cli.command {
        return Ok(vigil::doctor::run(cli.config.as_deref(), *json));
    }
    let paths = AppPaths::from_env().context("cannot find the config and data directories")?;
    if let Some(Command::CheckConfig { path }) = &cli.command {
        let path = path
            .clone()
            .or(cli.config.clone())
            .unwrap_or_else(|| paths.default_site_file.clone());
        return Ok(match config::load_site(&path) {
            Ok(site) => {
                println!(
                    "{}: OK ({} cameras, {} custom layouts)",
                    path.display(),
                    site.cameras.len(),
                    site.layouts.len()
                );
                std::process::ExitCode::SUCCESS
            }
            Err(err) => {
                println!("{err}");
                std::process::ExitCode::FAILURE
            }
        });
    }

    std::fs::create_dir_all(&paths.log_dir).ok();
    let _log = vigil::logging::init(log_level, Some(&paths.log_dir));
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "Vigil starting");

    let demo_dir = vigil::assets::demo_dir();
    let resolved = config::resolve_site(
        cli.config.as_deref(),
        cli.demo,
        Some(&paths.default_site_file),
        &demo_dir,
    );
    let site_path = resolved.save_path().map(std::path::Path::to_path_buf);
    let mut site = resolved.site;
    if let Some(err) = &resolved.load_error {
        tracing::error!(%err, "site file not loaded");
    }
    if let Some(layout) = &cli.layout {
        if config::layout_by_name(&site, layout).is_none() {
            anyhow::bail!(
                "unknown layout '{layout}': use 1x1, 2x2, 3x3, 4x4, 5x5, 1+5, 1+7, 1+12 or a saved layout's name"
            );
        }
        site.wall.layout.clone_from(layout);
    }
    let credentials = match CredentialStore::load(&paths.credentials_file()) {
        Ok(store) => store,
        Err(err) => {
            tracing::error!(%err, "credentials not loaded; cameras that need a password will fail");
            CredentialStore::new(&paths.credentials_file())
        }
    };
    let options = AppOptions {
        kiosk: cli.kiosk,
        // The site's `[snapshots] dir`, else <Pictures>/Vigil (XDG user dirs).
        snapshot_dir: config::snapshot_dir(&site)
            .unwrap_or_else(|| paths.data_dir.join("snapshots")),
        site_path,
        config_error: resolved.load_error.map(|e| e.to_string()),
        fixed_clock: None,
        storage: Some(paths.storage_dir(&resolved.source, &site)),
        // The demo's timeline is never empty: a few hours of its own clips, seeded on
        // the first run into the demo's own storage folder.
        demo_history_hours: matches!(resolved.source, config::SiteSource::Demo)
            .then_some(DEMO_HISTORY_HOURS),
        clock: vigil_time::real_clock(),
    };

    let (w, h) = cli.window_size.unwrap_or((1280.0, 800.0));
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Vigil")
        .with_app_id(vigil::assets::APP_ID)
        .with_inner_size([w, h])
        .with_min_inner_size([480.0, 320.0]);
    match eframe::icon_data::from_png_bytes(vigil::assets::ICON_PNG) {
        Ok(icon) => viewport = viewport.with_icon(icon),
        Err(err) => tracing::warn!(%err, "the window icon does not decode"),
    }
    let native = eframe::NativeOptions {
        viewport,
        renderer: eframe::Renderer::Wgpu,
        ..Default::default()
    };
    let result = eframe::run_native(
        "Vigil",
        native,
        Box::new(move |cc| {
            watch_signals(cc.egui_ctx.clone());
            Ok(Box::new(VigilApp::new(cc, site, credentials, options)))
        }),
    );
    result.map_err(|e| anyhow::anyhow!("the window could not be shown: {e}"))?;
    tracing::info!("Vigil stopped");
    Ok(std::process::ExitCode::SUCCESS)
}

/// Hours of history the demo site's timeline starts with.
const DEMO_HISTORY_HOURS: f64 = 3.0;

fn archive(kind: &ArchiveKind, log_level: &str) -> anyhow::Result<std::process::ExitCode> {
    let ArchiveKind::Seed {
        cameras,
        hours,
        from,
        out,
        camera_id,
        seed,
    } = kind
    else {
        return archive_record(kind, log_level);
    };
    let _log = vigil::logging::init(log_level, None);
    let camera_ids = if camera_id.is_empty() {
        vigil_record::seed::default_camera_ids(*cameras)
    } else {
        anyhow::ensure!(
            camera_id.len() == *cameras,
            "--camera-id names {} cameras but --cameras is {cameras}",
            camera_id.len()
        );
        camera_id.clone()
    };
    let report = vigil_record::seed::seed(&vigil_record::seed::SeedOptions {
        camera_ids,
        hours: *hours,
        clip: from.clone(),
        out: out.clone(),
        seed: *seed,
    })?;
    println!("{report}");
    Ok(std::process::ExitCode::SUCCESS)
}

/// `vigil archive record`.
fn archive_record(kind: &ArchiveKind, log_level: &str) -> anyhow::Result<std::process::ExitCode> {
    let ArchiveKind::Record {
        input,
        storage,
        camera_id,
        seconds,
        mode,
        transport,
        segment_secs,
        quota_mb,
        max_age_days,
        resume_free_mb,
    } = kind
    else {
        anyhow::bail!("not an archive record command");
    };
    if *mode == RecordingMode::Off {
        anyhow::bail!("--mode off records nothing: use continuous or events");
    }
    let _log = vigil::logging::init(log_level, None);
    let storage = match storage {
        Some(dir) => dir.clone(),
        None => AppPaths::from_env()
            .context("cannot find the data directory")?
            .data_dir
            .join("recordings"),
    };
    let options = vigil_record::archive::RecordOptions {
        input: input.clone(),
        storage,
        camera_id: camera_id.clone(),
        seconds: *seconds,
        mode: *mode,
        transport: *transport,
        segment_secs: *segment_secs,
        quota_bytes: quota_mb.map(|mb| mb << 20),
        max_age: max_age_days
            .filter(|d| *d > 0.0)
            .map(|d| std::time::Duration::from_secs_f64(d * 86_400.0)),
        resume_free_bytes: resume_free_mb << 20,
    };
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .context("cannot watch for SIGTERM/SIGINT")?;
    }
    vigil_record::archive::record(&options, &stop)?;
    Ok(std::process::ExitCode::SUCCESS)
}

/// SIGTERM / SIGINT / SIGHUP close the window like the close button, so streams stop
/// and pending saves finish before the process exits.
fn watch_signals(ctx: egui::Context) {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = match signal_hook::iterator::Signals::new([SIGTERM, SIGINT, SIGHUP]) {
        Ok(s) => s,
        Err(err) => {
            tracing::warn!(%err, "cannot watch signals; SIGTERM will kill without cleanup");
            return;
        }
    };
    let closing = Arc::new(std::sync::atomic::AtomicBool::new(false));
    std::thread::Builder::new()
        .name("vigil-signals".to_owned())
        .spawn(move || {
            for signal in signals.forever() {
                tracing::info!(signal, "signal received, closing");
                if closing.swap(true, std::sync::atomic::Ordering::SeqCst) {
                    // A second signal: the user means it.
                    std::process::exit(130);
                }
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                ctx.request_repaint();
            }
        })
        .map_err(|err| tracing::warn!(%err, "cannot start the signal thread"))
        .ok();
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    /// Every option and positional of every (sub)command says what it does.
    #[test]
    fn every_option_has_help_text() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if matches!(id, "help" | "version") {
                    continue;
                }
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path} --{id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                if sub.get_about().is_none() {
                    missing.push(format!("{path} {}", sub.get_name()));
                }
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut cmd = super::Cli::command();
        cmd.build();
        cmd.clone().debug_assert();
        let mut missing = Vec::new();
        walk(&cmd, "vigil", &mut missing);
        assert!(missing.is_empty(), "no help text: {missing:?}");
    }
}
