//! The `vigil` command line: the video wall (default; `--demo` for the built-in demo
//! site), `check-config`, `doctor`, `bench live|scrub|timeline|wall`, `detect`,
//! `discover`, `archive list|record|seed`, `export` and `verify` (evidence bundles),
//! `onvif inspect`, `credentials migrate`, `audit verify|export`, `compliance
//! classify|report`, `roles set-password`,
//! `generate` (hidden: completions and man pages), and the signals that close the window
//! cleanly. Parses arguments (defined in `vigil::cli`) and hands the work to the
//! workspace's crates (`docs/architecture.md` has the map).

use std::sync::Arc;

use anyhow::Context as _;
use clap::Parser as _;

use vigil::cli::{
    ArchiveKind, AuditKind, BenchKind, Cli, Command, ComplianceKind, CredentialsKind, GenerateKind,
    LogLevel, OnvifKind, RolesKind,
};
use vigil_app::{AppOptions, VigilApp};
use vigil_config::{self as config, AppPaths, CredentialStore, RecordingMode};

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
    // Before anything opens a file or a camera: FFmpeg's own log goes through redaction.
    vigil_media::ffmpeg_log::init();
    vigil_media::hwaccel::force_software(cli.software_decoding);
    if let Some(Command::Generate { what }) = &cli.command {
        return generate(what);
    }
    // --quiet leaves errors only, unless a level is asked for.
    let quiet_level = cli.quiet.then_some(LogLevel::Error);
    let log_level = cli
        .log_level
        .or(quiet_level)
        .unwrap_or(LogLevel::Info)
        .as_str();
    // The benches print figures; their log stays at warnings unless asked.
    let bench_level = cli
        .log_level
        .or(quiet_level)
        .unwrap_or(LogLevel::Warn)
        .as_str();
    let progress = vigil::progress::Mode::detect(cli.quiet);
    if let Some(Command::Bench {
        kind:
            BenchKind::Live {
                inputs,
                seconds,
                json,
                reattach,
                transport,
                camera_id,
            },
    }) = &cli.command
    {
        let _log = vigil::logging::init(bench_level, None);
        let mut credentials = Vec::new();
        for (i, input) in inputs.iter().enumerate() {
            let id = camera_id
                .get(i)
                .cloned()
                .unwrap_or_else(|| format!("input{}", i + 1));
            let option = format!("--input {}", i + 1);
            let (_, creds) = vigil::headless_credentials::resolve(input, &option, &id, || {
                vigil::headless_credentials::default_store(&id)
            })?;
            credentials.push(creds);
        }
        let options = vigil::bench::live::LiveOptions {
            inputs: inputs.clone(),
            seconds: *seconds,
            reattach: *reattach,
            transport: *transport,
            credentials,
        };
        let report = vigil::bench::live::run(&options)?;
        print!("{}", vigil::bench::live::summary(&report));
        if let Some(path) = json {
            vigil::bench::live::write_json(&report, path)?;
        }
        return Ok(std::process::ExitCode::SUCCESS);
    }
    if let Some(Command::Bench {
        kind:
            BenchKind::Wall {
                site,
                layout,
                seconds,
                size,
                json,
            },
    }) = &cli.command
    {
        let _log = vigil::logging::init(bench_level, None);
        let paths = AppPaths::from_env().context("cannot find the config and data directories")?;
        let options = vigil::bench::wall::WallOptions {
            site: site.clone(),
            layout: layout.clone(),
            seconds: *seconds,
            window: *size,
            credentials: paths.credentials_file(),
        };
        let report = vigil::bench::wall::run(&options)?;
        print!("{}", vigil::bench::wall::summary(&report));
        if let Some(path) = json {
            vigil::bench::wall::write_json(&report, path)?;
        }
        return Ok(std::process::ExitCode::SUCCESS);
    }
    if let Some(Command::Bench {
        kind: BenchKind::Timeline { archive, json },
    }) = &cli.command
    {
        let _log = vigil::logging::init(bench_level, None);
        let report = vigil::bench::timeline::run(archive, progress)?;
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
            progress,
        };
        let report = vigil::bench::scrub::run(&options)?;
        print!("{}", vigil::bench::scrub::summary(&report));
        if let Some(path) = json {
            vigil::bench::scrub::write_json(&report, path)?;
        }
        return Ok(std::process::ExitCode::SUCCESS);
    }
    if let Some(Command::Archive {
        kind: ArchiveKind::List { archive },
    }) = &cli.command
    {
        let _log = vigil::logging::init(log_level, None);
        vigil::evidence::archive_list(archive, cli.config.as_deref())?;
        return Ok(std::process::ExitCode::SUCCESS);
    }
    if let Some(Command::Archive { kind }) = &cli.command {
        return archive(kind, log_level, progress);
    }
    if let Some(Command::Export {
        archive,
        cameras,
        from,
        to,
        out,
        reason,
        case_name,
        burn_in,
    }) = &cli.command
    {
        let _log = vigil::logging::init(log_level, None);
        let args = vigil::evidence::ExportArgs {
            archive: archive.clone(),
            cameras: cameras.clone(),
            from_ns: *from,
            to_ns: *to,
            out: out.clone(),
            reason: reason.clone(),
            case: case_name.clone(),
            site: cli.config.clone(),
            burn_in: *burn_in,
        };
        vigil::evidence::export(&args, progress)?;
        return Ok(std::process::ExitCode::SUCCESS);
    }
    if let Some(Command::Verify {
        bundle,
        fingerprint,
    }) = &cli.command
    {
        let _log = vigil::logging::init(log_level, None);
        let ok = vigil::evidence::verify(bundle, fingerprint.as_deref());
        return Ok(if ok {
            std::process::ExitCode::SUCCESS
        } else {
            std::process::ExitCode::FAILURE
        });
    }
    if let Some(Command::Detect {
        input,
        settings,
        json,
    }) = &cli.command
    {
        let _log = vigil::logging::init(bench_level, None);
        let report = vigil::detect::run(&vigil::detect::DetectArgs {
            input: input.clone(),
            settings: settings.clone(),
            json: json.clone(),
        })?;
        vigil::detect::print(&report);
        return Ok(std::process::ExitCode::SUCCESS);
    }
    if let Some(Command::Discover {
        interfaces,
        seconds,
        json,
    }) = &cli.command
    {
        let _log = vigil::logging::init(log_level, None);
        let args = vigil::discover_cmd::DiscoverArgs {
            interfaces: interfaces.clone(),
            seconds: *seconds,
        };
        let found = vigil::discover_cmd::run(&args)?;
        print!("{}", vigil::discover_cmd::summary(&found, args.seconds));
        if let Some(path) = json {
            vigil::discover_cmd::write_json(&found, args.seconds, path)?;
        }
        return Ok(std::process::ExitCode::SUCCESS);
    }
    if let Some(Command::Onvif {
        kind:
            OnvifKind::Inspect {
                host,
                user,
                json,
                timeout_secs,
            },
    }) = &cli.command
    {
        let _log = vigil::logging::init(bench_level, None);
        vigil::onvif_cmd::inspect(host, user.as_deref(), json.as_deref(), *timeout_secs)?;
        return Ok(std::process::ExitCode::SUCCESS);
    }
    if let Some(Command::Audit { kind }) = &cli.command {
        let _log = vigil::logging::init(bench_level, None);
        return audit(kind, cli.config.as_deref());
    }
    if let Some(Command::Compliance { kind }) = &cli.command {
        let _log = vigil::logging::init(bench_level, None);
        return compliance(kind, cli.config.as_deref());
    }
    if let Some(Command::Doctor { json }) = &cli.command {
        let _log = vigil::logging::init(bench_level, None);
        return Ok(vigil::doctor::run(cli.config.as_deref(), *json));
    }
    let paths = AppPaths::from_env().context("cannot find the config and data directories")?;
    if let Some(Command::Credentials {
        kind: CredentialsKind::Migrate { to },
    }) = &cli.command
    {
        let _log = vigil::logging::init(log_level, None);
        vigil::credentials_cmd::migrate_cmd(&paths, cli.config.as_deref(), *to)?;
        return Ok(std::process::ExitCode::SUCCESS);
    }
    if let Some(Command::CheckConfig { path }) = &cli.command {
        let path = path
            .clone()
            .or(cli.config.clone())
            .unwrap_or_else(|| paths.default_site_file.clone());
        let (text, ok) = vigil::check_config::report(&path);
        println!("{text}");
        return Ok(if ok {
            std::process::ExitCode::SUCCESS
        } else {
            std::process::ExitCode::FAILURE
        });
    }

    if let Some(Command::Roles {
        kind: RolesKind::SetPassword { role },
    }) = &cli.command
    {
        let _log = vigil::logging::init(bench_level, None);
        let site = cli
            .config
            .clone()
            .unwrap_or_else(|| paths.default_site_file.clone());
        vigil::roles_cmd::set_password(&site, *role)?;
        return Ok(std::process::ExitCode::SUCCESS);
    }

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
    // credentials.toml, with the configured store's passwords (OS keyring or vault).
    let credentials = match vigil::credentials_cmd::run_credentials(&paths, Some(&site), &[]) {
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
            let mut app = VigilApp::new(cc, site, credentials, options);
            app.core_mut()
                .set_operator_name(vigil::roles_cmd::operator_name());
            Ok(Box::new(app))
        }),
    );
    result.map_err(|e| anyhow::anyhow!("the window could not be shown: {e}"))?;
    tracing::info!("Vigil stopped");
    Ok(std::process::ExitCode::SUCCESS)
}

/// `vigil generate`: completions to stdout, or man pages into a folder.
fn generate(what: &GenerateKind) -> anyhow::Result<std::process::ExitCode> {
    match what {
        GenerateKind::Completions { shell } => {
            vigil::cli::generate::completions(*shell, &mut std::io::stdout());
        }
        GenerateKind::Man { out } => {
            for page in vigil::cli::generate::man_pages(out)? {
                println!("{}", page.display());
            }
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// `vigil audit verify|export`.
fn audit(
    kind: &AuditKind,
    config: Option<&std::path::Path>,
) -> anyhow::Result<std::process::ExitCode> {
    match kind {
        AuditKind::Verify { storage } => {
            let dir = vigil::audit_cmd::storage_dir(storage.as_deref(), config)?;
            Ok(if vigil::audit_cmd::verify(&dir)? {
                std::process::ExitCode::SUCCESS
            } else {
                std::process::ExitCode::FAILURE
            })
        }
        AuditKind::Export { csv, storage } => {
            let dir = vigil::audit_cmd::storage_dir(storage.as_deref(), config)?;
            let n = vigil::audit_cmd::export_csv(&dir, csv)?;
            println!("{n} audit entries written to {}", csv.display());
            Ok(std::process::ExitCode::SUCCESS)
        }
    }
}

/// `vigil compliance classify|report`.
fn compliance(
    kind: &ComplianceKind,
    config: Option<&std::path::Path>,
) -> anyhow::Result<std::process::ExitCode> {
    match kind {
        ComplianceKind::Classify {
            manufacturer,
            mac,
            model,
            rules,
        } => vigil::compliance_cmd::classify(manufacturer, mac, model.as_deref(), rules.as_deref()),
        ComplianceKind::Report {
            site,
            csv,
            html,
            rules,
            banner,
        } => {
            let site = vigil::compliance_cmd::site_path(site.as_deref(), config)?;
            vigil::compliance_cmd::report(
                &site,
                csv.as_deref(),
                html.as_deref(),
                rules.as_deref(),
                *banner,
            )
        }
    }
}

/// Hours of history the demo site's timeline starts with.
const DEMO_HISTORY_HOURS: f64 = 3.0;

fn archive(
    kind: &ArchiveKind,
    log_level: &str,
    progress: vigil::progress::Mode,
) -> anyhow::Result<std::process::ExitCode> {
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
    let options = vigil_record::seed::SeedOptions {
        camera_ids,
        hours: *hours,
        clip: from.clone(),
        out: out.clone(),
        seed: *seed,
    };
    // Started at the first report, when the total is known.
    let mut shown: Option<vigil::progress::Progress> = None;
    let report = vigil_record::seed::seed_with_progress(&options, &mut |done, total| {
        shown
            .get_or_insert_with(|| {
                vigil::progress::Progress::start(progress, "archive-seed", total)
            })
            .set(done);
    })?;
    if let Some(shown) = shown {
        shown.finish();
    }
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
    let (_, credentials) =
        vigil::headless_credentials::resolve(input, "--input", camera_id, || {
            vigil::headless_credentials::default_store(camera_id)
        })?;
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
        credentials,
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
