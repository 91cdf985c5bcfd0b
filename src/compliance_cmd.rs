//! `vigil compliance classify` and `vigil compliance report`: the restricted-vendor
//! classifier and the inventory report of `vigil-compliance`, on the command line.
//!
//! Owns: finding the rules and the site, printing the JSON, writing the report files.
//! Must not: judge anything itself (`vigil_compliance::classify` does, as in the app)
//! or contact a device unless `--banner` asks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;

use vigil_compliance::{Inventory, Mac, Rules, Signals, Warning};
use vigil_config::AppPaths;

/// How long a banner read may take per camera.
pub const BANNER_TIMEOUT: Duration = Duration::from_secs(3);

/// The rules: `--rules`, else the user's file in the config directory, else built in.
pub fn rules(explicit: Option<&Path>) -> anyhow::Result<Rules> {
    let config_dir = AppPaths::from_env().ok().map(|p| p.config_dir);
    Ok(Rules::load(explicit, config_dir.as_deref())?)
}

/// `vigil compliance classify`: prints `{"status", "evidence"}`; exit 2 on a
/// malformed MAC (a usage error), with what is wrong and where on stderr.
pub fn classify(
    manufacturer: &str,
    mac: &str,
    model: Option<&str>,
    rules_file: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let mac = if mac.trim().is_empty() {
        None
    } else {
        match Mac::parse(mac) {
            Ok(mac) => Some(mac),
            Err(err) => {
                eprintln!("vigil: --mac: {err}");
                return Ok(ExitCode::from(2));
            }
        }
    };
    let rules = rules(rules_file)?;
    let result = vigil_compliance::classify(
        &rules,
        &Signals {
            manufacturer: Some(manufacturer),
            model,
            mac,
            banner: None,
        },
    );
    println!("{}", serde_json::to_string_pretty(&result)?);
    Ok(ExitCode::SUCCESS)
}

/// `vigil compliance report`: the site's inventory as CSV and/or HTML.
pub fn report(
    site_file: &Path,
    csv: Option<&Path>,
    html: Option<&Path>,
    rules_file: Option<&Path>,
    banner: bool,
) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        csv.is_some() || html.is_some(),
        "nothing to write: give --csv OUT and/or --html OUT"
    );
    let site = vigil_config::load_site(site_file)?;
    let rules = rules(rules_file)?;
    let mut banners = BTreeMap::new();
    let mut failed: BTreeMap<_, String> = BTreeMap::new();
    if banner {
        for camera in &site.cameras {
            let device = camera.device.as_ref();
            let Some(target) = vigil_compliance::banner::web_target(
                device.and_then(|d| d.onvif.as_deref()),
                Some(&camera.source),
            ) else {
                continue;
            };
            match vigil_compliance::banner::fetch(&target, BANNER_TIMEOUT) {
                Ok(b) => {
                    banners.insert(camera.id.clone(), b);
                }
                Err(err) => {
                    failed.insert(camera.id.clone(), err.to_string());
                }
            }
        }
    }
    let mut inventory = Inventory::build(&site, &rules, &banners, chrono::Utc::now());
    for row in &mut inventory.rows {
        if let Some(message) = failed.remove(&row.camera_id) {
            row.warnings.push(Warning {
                check: "banner".into(),
                message,
            });
        }
    }
    if let Some(path) = csv {
        write(path, &vigil_compliance::report::write_csv(&inventory))?;
        println!("inventory CSV written to {}", path.display());
    }
    if let Some(path) = html {
        write(path, &vigil_compliance::report::write_html(&inventory))?;
        println!("inventory report written to {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// The site file: `--site`, else `--config`, else the default one.
pub fn site_path(site: Option<&Path>, config: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = site.or(config) {
        return Ok(path.to_path_buf());
    }
    let paths = AppPaths::from_env().context("cannot find the config and data directories")?;
    Ok(paths.default_site_file)
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    vigil_config::write_atomic(path, text.as_bytes(), 0o644)
        .with_context(|| format!("cannot write {}", path.display()))
}
