//! The evidence commands: `vigil archive list`, `vigil export` and `vigil verify`.
//! Turns the command line's words into a `vigil_export` request (times, camera names
//! from the site file, the operator, the installation key), shows progress and prints
//! the outcome. Must not: decide what a bundle holds (`vigil-export` does).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Context as _;

use crate::progress::{Mode, Progress};
use vigil_export::{ExportCamera, ExportRequest};
use vigil_store::{INDEX_FILE, Store};

/// Camera names by id from the site file at `site` (or the default one), when it
/// loads; an archive without a site shows ids only.
fn site_names(site: Option<&Path>) -> Vec<(String, String)> {
    let path = match site {
        Some(p) => Some(p.to_path_buf()),
        None => vigil_config::AppPaths::from_env()
            .ok()
            .map(|p| p.default_site_file)
            .filter(|p| p.is_file()),
    };
    let Some(path) = path else {
        return Vec::new();
    };
    match vigil_config::load_site(&path) {
        Ok(site) => site
            .cameras
            .iter()
            .map(|c| (c.id.as_str().to_owned(), c.name.clone()))
            .collect(),
        Err(err) => {
            tracing::warn!(%err, "site file not loaded; cameras are shown by id");
            Vec::new()
        }
    }
}

fn name_of(names: &[(String, String)], id: &str) -> String {
    names
        .iter()
        .find(|(i, _)| i == id)
        .map_or_else(|| id.to_owned(), |(_, n)| n.clone())
}

fn open_store(archive: &Path) -> anyhow::Result<Store> {
    anyhow::ensure!(
        archive.join(INDEX_FILE).is_file(),
        "{} has no recording index ({INDEX_FILE})",
        archive.display()
    );
    Store::open(archive).with_context(|| format!("cannot open the index in {}", archive.display()))
}

/// `vigil archive list`: one line per camera, `ID<TAB>NAME<TAB>FROM<TAB>TO` (UTC).
pub fn archive_list(archive: &Path, site: Option<&Path>) -> anyhow::Result<()> {
    let store = open_store(archive)?;
    let names = site_names(site);
    let extents = store.camera_extents()?;
    if extents.is_empty() {
        eprintln!("{} holds no recordings", archive.display());
    }
    for e in extents {
        println!(
            "{}\t{}\t{}\t{}",
            e.camera,
            name_of(&names, &e.camera),
            vigil_export::manifest::instant(e.start_ns).utc,
            vigil_export::manifest::instant(e.end_ns).utc
        );
    }
    Ok(())
}

/// A `--from`/`--to` value: RFC 3339, as Unix nanoseconds.
pub fn parse_time(text: &str) -> Result<i64, String> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .map_err(|err| {
            format!("'{text}' is not an RFC 3339 time such as 2026-11-29T14:05:00Z ({err})")
        })?
        .timestamp_nanos_opt()
        .ok_or_else(|| format!("'{text}' is out of range"))
}

/// The OS user running Vigil.
fn operator() -> String {
    let uid = nix::unistd::getuid();
    match nix::unistd::User::from_uid(uid) {
        Ok(Some(user)) => user.name,
        _ => format!("uid {uid}"),
    }
}

/// What `vigil export` was asked.
pub struct ExportArgs {
    pub archive: PathBuf,
    pub cameras: Vec<String>,
    pub from_ns: i64,
    pub to_ns: i64,
    pub out: PathBuf,
    pub reason: String,
    pub case: String,
    pub site: Option<PathBuf>,
    pub burn_in: bool,
}

/// `vigil export`: writes the bundle (SIGINT/SIGTERM cancel it, leaving nothing) and
/// prints where it is and the signing key's fingerprint.
pub fn export(args: &ExportArgs, progress: Mode) -> anyhow::Result<()> {
    let paths = vigil_config::AppPaths::from_env()
        .context("cannot find the data directory (for the signing key)")?;
    let key = vigil_export::key::load_or_create(&paths.data_dir)?;
    // FFmpeg's own log (the encoder's banner with --burn-in) stays quiet unless asked.
    ffmpeg_next::init().context("FFmpeg does not start")?;
    if std::env::var_os("VIGIL_FFMPEG_LOG").is_none() {
        ffmpeg_next::util::log::set_level(ffmpeg_next::util::log::Level::Fatal);
    }
    let names = site_names(args.site.as_deref());
    let request = ExportRequest {
        archive: args.archive.clone(),
        cameras: args
            .cameras
            .iter()
            .map(|id| ExportCamera {
                id: id.clone(),
                name: name_of(&names, id),
                device: None,
            })
            .collect(),
        from_ns: args.from_ns,
        to_ns: args.to_ns,
        out: args.out.clone(),
        case: args.case.clone(),
        reason: args.reason.clone(),
        operator: operator(),
        vigil_version: env!("CARGO_PKG_VERSION").to_owned(),
        now_ns: vigil_time::WallNanos::now().0,
        burn_in: args.burn_in,
        // A camera named on the command line without footage refuses the export.
        skip_cameras_without_footage: false,
    };
    let cancel = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&cancel))
            .context("cannot install the signal handler")?;
    }
    let mut shown: Option<Progress> = None;
    let report = vigil_export::export(
        &request,
        &key,
        &mut |done, total| {
            shown
                .get_or_insert_with(|| Progress::start(progress, "export", total))
                .set(done);
        },
        &cancel,
    )?;
    if let Some(shown) = shown {
        shown.finish();
    }
    println!("exported {}", report.bundle.display());
    for camera in &report.manifest.cameras {
        println!(
            "  {} ({}): {} frames from {} to {}, {} gaps, requested start {:.3} s into {}",
            camera.id,
            camera.name,
            camera.frames,
            camera.actual.from.utc,
            camera.actual.to.utc,
            camera.gaps.len(),
            camera.requested_start_offset_secs,
            camera.video
        );
    }
    println!("signing key fingerprint (SHA-256): {}", report.fingerprint);
    Ok(())
}

/// `vigil verify`: prints each problem, or that all is well; true when all matches.
pub fn verify(bundle: &Path, fingerprint: Option<&str>) -> bool {
    let report = vigil_export::verify(bundle, fingerprint);
    for problem in &report.problems {
        println!("FAILED {problem}");
    }
    if let Some(fp) = &report.fingerprint {
        println!("signing key fingerprint (SHA-256): {fp}");
    }
    if report.ok() {
        println!(
            "OK: the signature and all {} files match ({})",
            report.files_ok,
            bundle.display()
        );
        if fingerprint.is_none() {
            println!("confirm the fingerprint with the sender, or pass --fingerprint");
        }
    } else {
        println!("{} problems in {}", report.problems.len(), bundle.display());
    }
    report.ok()
}
