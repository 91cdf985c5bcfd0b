//! The `vigil` command line's definition (clap): the options, the subcommands and their
//! help, from which `--help`, the shell completions and the man pages are all made.
//! Must not: do the work of a command (`main.rs` dispatches to the crates).

pub mod env;
pub mod generate;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use vigil_config::{RecordingMode, Role, Transport};

#[derive(Parser, Debug)]
#[command(
    name = "vigil",
    version,
    about = "Open, vendor-neutral video wall for RTSP cameras and files",
    after_help = env::top_after_help()
)]
pub struct Cli {
    /// Site file to use instead of the default one in the config directory.
    #[arg(long, value_name = "PATH", global = true)]
    pub config: Option<PathBuf>,
    /// Open the built-in demo site, whatever site file exists.
    #[arg(long, conflicts_with = "config")]
    pub demo: bool,
    /// Start with this layout (1x1, 2x2, 3x3, 4x4, 5x5, 1+5, 1+7, 1+12 or a saved one).
    #[arg(long, value_name = "NAME")]
    pub layout: Option<String>,
    /// Show only the wall: no toolbar, camera list or status bar.
    #[arg(long)]
    pub kiosk: bool,
    /// Initial window size in points, e.g. 1280x720.
    #[arg(long, value_name = "WxH", value_parser = parse_size)]
    pub window_size: Option<(f32, f32)>,
    /// Never use hardware video decoders (also VIGIL_HWACCEL=off).
    #[arg(long, global = true)]
    pub software_decoding: bool,
    /// Log level for stderr and the log file [default: info; warn for bench]
    /// (RUST_LOG overrides).
    #[arg(long, value_enum, global = true)]
    pub log_level: Option<LogLevel>,
    /// No progress bar or progress lines, and only errors on stderr (an explicit
    /// --log-level or RUST_LOG still sets the log level).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The levels `--log-level` takes; anything else is a usage error (exit code 2).
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    /// The level as a `tracing` filter directive.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warn => "warn",
            Self::Info => "info",
            Self::Debug => "debug",
            Self::Trace => "trace",
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check a site file and print what is wrong with it (exit code 1 when broken).
    #[command(after_help = env::CHECK_CONFIG_AFTER_HELP)]
    CheckConfig {
        /// The site file (default: the one Vigil would open).
        path: Option<PathBuf>,
    },
    /// Check this system: FFmpeg, GPU, demo clips, paths, storage (exit code 1 when
    /// something needed is missing, with advice).
    #[command(after_help = env::DOCTOR_AFTER_HELP)]
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
    /// Recordings: list a storage folder's cameras, record a camera headless, seed a
    /// synthetic archive.
    Archive {
        #[command(subcommand)]
        kind: ArchiveKind,
    },
    /// Write an evidence bundle: per camera an MP4 of the range (remuxed, not
    /// re-encoded) and a still, with a signed manifest (see docs/evidence.md).
    #[command(after_help = env::EXPORT_AFTER_HELP)]
    Export {
        /// The storage folder (with index.sqlite3).
        #[arg(long, value_name = "DIR")]
        archive: PathBuf,
        /// A camera id to export (`vigil archive list` shows them); repeat for more.
        #[arg(long = "camera", value_name = "ID", required = true)]
        cameras: Vec<String>,
        /// Start of the range, RFC 3339 (e.g. 2026-11-29T14:05:00Z or with an offset).
        #[arg(long, value_name = "TIME", value_parser = crate::evidence::parse_time)]
        from: i64,
        /// End of the range, RFC 3339.
        #[arg(long, value_name = "TIME", value_parser = crate::evidence::parse_time)]
        to: i64,
        /// The bundle folder to create (it must not exist).
        #[arg(long, value_name = "BUNDLE")]
        out: PathBuf,
        /// Why the footage is exported (written into the manifest).
        #[arg(long, value_name = "TEXT", default_value = "")]
        reason: String,
        /// The case the export belongs to (written into the manifest).
        #[arg(long = "case", value_name = "NAME", default_value = "")]
        case_name: String,
        /// Burn the camera name and each frame's UTC time into the picture. This
        /// re-encodes every frame (H.264 through FFmpeg's encoder): much slower than the
        /// default remux, and the MP4 no longer holds the recorded bits.
        #[arg(long)]
        burn_in: bool,
    },
    /// Check an evidence bundle: the manifest's signature and every file's size and
    /// SHA-256 (exit code 0 only when all match).
    #[command(after_help = env::VERIFY_AFTER_HELP)]
    Verify {
        /// The bundle folder.
        bundle: PathBuf,
        /// The signing key's SHA-256 fingerprint the sender gave you; the check fails
        /// when the bundle was signed with another key.
        #[arg(long, value_name = "HEX")]
        fingerprint: Option<String>,
    },
    /// Run motion and tamper detection over a video file and list the events (with
    /// their start and end in media seconds); tune a camera's settings on real footage.
    #[command(after_help = env::DETECT_AFTER_HELP)]
    Detect {
        /// The video file.
        #[arg(long, value_name = "FILE")]
        input: PathBuf,
        /// Detection settings (TOML, see docs/detection.md); default settings otherwise.
        #[arg(long, value_name = "FILE")]
        settings: Option<PathBuf>,
        /// Write the events and the timings as JSON here.
        #[arg(long, value_name = "OUT.json")]
        json: Option<PathBuf>,
    },
    /// Find ONVIF cameras on the local networks (WS-Discovery): each responder's
    /// address, name, hardware and service addresses. Sends only the Probe, never
    /// credentials.
    #[command(after_help = env::DISCOVER_AFTER_HELP)]
    Discover {
        /// The network interface to probe on, by name (e.g. eth0); repeat for more.
        /// Default: every up, non-loopback IPv4 interface with multicast.
        #[arg(long = "interface", value_name = "IF")]
        interfaces: Vec<String>,
        /// How long to listen for replies, in seconds (1 to 30).
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=30))]
        seconds: u64,
        /// Write the devices found as JSON here.
        #[arg(long, value_name = "OUT.json")]
        json: Option<PathBuf>,
    },
    /// ONVIF devices: what a camera says about itself through ONVIF.
    Onvif {
        #[command(subcommand)]
        kind: OnvifKind,
    },
    /// Camera passwords: move them out of credentials.toml into the OS keyring or the
    /// encrypted vault (docs/credentials.md).
    Credentials {
        #[command(subcommand)]
        kind: CredentialsKind,
    },
    /// The operator audit trail in the recording index: check its hash chain, or
    /// write it as CSV.
    Audit {
        #[command(subcommand)]
        kind: AuditKind,
    },
    /// Restricted-vendor inventory (docs/compliance.md): classify one device's
    /// manufacturer and MAC, or write a site's inventory report. Not legal advice.
    Compliance {
        #[command(subcommand)]
        kind: ComplianceKind,
    },
    /// Operator roles (Guard, Reviewer, Installer): set a role's password.
    Roles {
        #[command(subcommand)]
        kind: RolesKind,
    },
    /// For packagers: write the shell completions or the man pages.
    #[command(hide = true)]
    Generate {
        #[command(subcommand)]
        what: GenerateKind,
    },
}

/// What `vigil onvif` does.
#[derive(Subcommand, Debug)]
pub enum OnvifKind {
    /// Ask a device what "Add by ONVIF" needs: identity and MAC, media profiles with
    /// their encoder settings and stream URIs, the proposed main and sub stream, and
    /// warnings (slow keyframes, no sub-stream, H.265, clock, plain HTTP).
    #[command(after_help = env::ONVIF_INSPECT_AFTER_HELP)]
    Inspect {
        /// The device: HOST, HOST:PORT or its device service URL (http:// or https://).
        #[arg(long, value_name = "HOST[:PORT]")]
        host: String,
        /// The user to log in as; the password comes from VIGIL_ONVIF_PASSWORD or is
        /// asked on the terminal (never an option). Without --user nothing is sent.
        #[arg(long, value_name = "USER")]
        user: Option<String>,
        /// Write the result as JSON here.
        #[arg(long, value_name = "OUT.json")]
        json: Option<PathBuf>,
        /// Deadline of each request, in seconds.
        #[arg(long, value_name = "SECS", default_value_t = 10.0)]
        timeout_secs: f64,
    },
}

/// What `vigil credentials` does.
#[derive(Subcommand, Debug)]
pub enum CredentialsKind {
    /// Move every password of credentials.toml into the configured store (OS keyring or
    /// vault), check each reads back, then rewrite credentials.toml without them (user
    /// names stay). Running it again changes nothing.
    #[command(after_help = env::CREDENTIALS_MIGRATE_AFTER_HELP)]
    Migrate {
        /// The store to move them into instead of the site file's `[credentials] store`.
        #[arg(long, value_enum, value_name = "STORE")]
        to: Option<vigil_config::PasswordStoreKind>,
    },
}

/// What `vigil generate` writes (hidden: packaging, not everyday use).
#[derive(Subcommand, Debug)]
pub enum GenerateKind {
    /// Print the completion script for a shell to stdout.
    Completions {
        /// The shell the script is for.
        #[arg(long, value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write vigil.1 and a page per subcommand (vigil-doctor.1, …) into a folder.
    Man {
        /// The folder to write the pages to (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditKind {
    /// Check the audit trail's hash chain; on a break, name the first broken entry
    /// (id, time, action) and exit 1.
    #[command(after_help = env::AUDIT_VERIFY_AFTER_HELP)]
    Verify {
        /// The storage folder (with index.sqlite3); default: the site's.
        #[arg(long, value_name = "DIR")]
        storage: Option<PathBuf>,
    },
    /// Write the audit trail as CSV (RFC 4180; cells starting with =, +, - or @ get
    /// a leading ' so spreadsheets do not run them).
    #[command(after_help = env::AUDIT_EXPORT_AFTER_HELP)]
    Export {
        /// The CSV file to write.
        #[arg(long, value_name = "OUT")]
        csv: PathBuf,
        /// The storage folder (with index.sqlite3); default: the site's.
        #[arg(long, value_name = "DIR")]
        storage: Option<PathBuf>,
    },
}

/// What `vigil compliance` does.
#[derive(Subcommand, Debug)]
pub enum ComplianceKind {
    /// Judge one device against the restricted-vendor rules and print
    /// `{"status": "...", "evidence": [...]}` as JSON (the classifier the app uses).
    #[command(after_help = env::COMPLIANCE_CLASSIFY_AFTER_HELP)]
    Classify {
        /// The manufacturer the device reports (ONVIF); may be empty.
        #[arg(long, value_name = "NAME", default_value = "")]
        manufacturer: String,
        /// The device's MAC: AA:BB:CC:DD:EE:FF, AA-BB-…, or 12 hex digits, any case;
        /// may be empty (a device seen only at layer 3).
        #[arg(long, value_name = "MAC", default_value = "")]
        mac: String,
        /// The model the device reports (model-number conventions; optional).
        #[arg(long, value_name = "MODEL")]
        model: Option<String>,
        /// Rules file to use instead of <config dir>/restricted-vendors.toml or the
        /// built-in one.
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
    },
    /// Write a site's camera inventory (identity, address, streams, status and
    /// evidence) as CSV and/or a printable HTML report.
    #[command(after_help = env::COMPLIANCE_REPORT_AFTER_HELP)]
    Report {
        /// The site file; default: --config, else the default site file.
        #[arg(long, value_name = "FILE")]
        site: Option<PathBuf>,
        /// Write the CSV here.
        #[arg(long, value_name = "OUT.csv")]
        csv: Option<PathBuf>,
        /// Write the HTML report here.
        #[arg(long, value_name = "OUT.html")]
        html: Option<PathBuf>,
        /// Rules file to use instead of <config dir>/restricted-vendors.toml or the
        /// built-in one.
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
        /// Also read each camera's web server banner (one GET /, no credentials).
        #[arg(long)]
        banner: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum RolesKind {
    /// Store a role's password in the site file as an Argon2id hash (the password
    /// comes from VIGIL_ROLE_PASSWORD or a prompt, never an option).
    #[command(after_help = env::ROLES_SET_PASSWORD_AFTER_HELP)]
    SetPassword {
        /// The role: reviewer or installer (guard has no password).
        #[arg(long, value_enum)]
        role: Role,
    },
}

#[derive(Subcommand, Debug)]
pub enum ArchiveKind {
    /// Print each camera of a storage folder: id, name and recorded span (UTC), one
    /// camera per line, tab-separated, id first.
    #[command(after_help = env::ARCHIVE_LIST_AFTER_HELP)]
    List {
        /// The storage folder (with index.sqlite3).
        #[arg(long, value_name = "DIR")]
        archive: PathBuf,
    },
    /// Record one camera or file (no transcode) until SIGTERM/SIGINT or `--seconds`;
    /// reconciles the storage folder first.
    #[command(after_help = env::ARCHIVE_RECORD_AFTER_HELP)]
    Record {
        /// An rtsp:// URL or a video file (files loop, paced at real time). No password
        /// in the URL: give it in credentials.toml or VIGIL_CAMERA_<ID>_PASSWORD.
        #[arg(long, value_name = "URL_OR_FILE")]
        input: String,
        /// Storage folder (default: `recordings` in the data directory).
        #[arg(long, value_name = "DIR")]
        storage: Option<PathBuf>,
        /// Camera id the recordings are filed under, and whose credentials are used.
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
    #[command(after_help = env::ARCHIVE_SEED_AFTER_HELP)]
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
pub enum BenchKind {
    /// Streams through ingest, decode and upload into wgpu textures, paced at real time.
    #[command(after_help = env::BENCH_LIVE_AFTER_HELP)]
    Live {
        /// An rtsp:// URL or a video file (files loop); repeat for more streams. No
        /// password in the URL: see --camera-id.
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
        /// Camera ids whose credentials the inputs use, in order (credentials.toml or
        /// VIGIL_CAMERA_<ID>_PASSWORD; default input1, input2, …).
        #[arg(long, value_name = "ID", value_delimiter = ',')]
        camera_id: Vec<String>,
    },
    /// The real window on a site file for a while: frames each tile received and
    /// showed, process CPU, repaints and frame times.
    #[command(after_help = env::BENCH_WALL_AFTER_HELP)]
    Wall {
        /// The site file whose wall is shown.
        #[arg(long, value_name = "FILE")]
        site: PathBuf,
        /// The layout to show (1x1, 2x2, 3x3, 4x4, 5x5, 1+5, 1+7, 1+12 or a saved one).
        #[arg(long, default_value = "2x2")]
        layout: String,
        /// How long to measure, in seconds (after every tile shows a picture).
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// The window's size.
        #[arg(long, value_name = "WxH", value_parser = parse_size, default_value = "1920x1080")]
        size: (f32, f32),
        /// Write the figures as JSON here.
        #[arg(long, value_name = "OUT.json")]
        json: Option<PathBuf>,
    },
    /// Time to open the timeline on a whole archive (every camera, its full span).
    #[command(after_help = env::BENCH_TIMELINE_AFTER_HELP)]
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
    #[command(after_help = env::BENCH_SCRUB_AFTER_HELP)]
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

pub fn parse_size(s: &str) -> Result<(f32, f32), String> {
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
