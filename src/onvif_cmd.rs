//! `vigil onvif inspect`: asks a device through `vigil-onvif` what "Add by ONVIF" needs,
//! prints it and writes the JSON the contract names (`device`, `profiles`,
//! `proposal`, `warnings`). The password comes from `VIGIL_ONVIF_PASSWORD` or a prompt
//! on the terminal with echo off.
//! Must not: take a password from the command line, or print or write one.

use std::io::IsTerminal as _;
use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use serde_json::json;

use vigil_onvif::{ClientConfig, Credentials, InspectOptions, Inspection};

use crate::cli::env::ONVIF_PASSWORD;

/// The password: `VIGIL_ONVIF_PASSWORD`, else asked on the terminal.
fn password(user: &str, host: &str) -> anyhow::Result<String> {
    if let Some(value) = std::env::var_os(ONVIF_PASSWORD) {
        return value
            .into_string()
            .map_err(|_| anyhow::anyhow!("{ONVIF_PASSWORD} is not valid UTF-8"));
    }
    if !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "no password for {user} on {host}: set {ONVIF_PASSWORD} (there is no terminal to ask on)"
        );
    }
    crate::prompt::hidden(
        &format!("Password for {user} on {host}: "),
        &format!("set {ONVIF_PASSWORD}"),
    )
}

/// The JSON of an inspection (the contract's keys, and a few more).
pub fn to_json(inspection: &Inspection) -> serde_json::Value {
    let d = &inspection.device;
    json!({
        "host": inspection.host,
        "device": {
            "manufacturer": d.manufacturer,
            "model": d.model,
            "firmware": d.firmware,
            "serial": d.serial,
            "hardware_id": d.hardware_id,
            "mac": d.mac,
        },
        "profiles": inspection.profiles.iter().map(|p| {
            let v = p.profile.video.as_ref();
            json!({
                "token": p.profile.token,
                "name": p.profile.name,
                "codec": v.map(|v| v.codec.clone()),
                "width": v.map(|v| v.width),
                "height": v.map(|v| v.height),
                "fps": v.and_then(|v| v.fps),
                "gop": v.and_then(|v| v.gop),
                "bitrate_kbps": v.and_then(|v| v.bitrate_kbps),
                "ptz": p.profile.ptz_configuration.is_some(),
                "stream_uri": p.stream_uri,
            })
        }).collect::<Vec<_>>(),
        "snapshot_uri": inspection.snapshot_uri,
        "proposal": {
            "main": inspection.proposal.main,
            "sub": inspection.proposal.sub,
        },
        "warnings": inspection.warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "clock_offset_secs": inspection.clock_offset_secs,
        "media_service": inspection.media,
    })
}

/// The human report.
pub fn report(inspection: &Inspection) -> String {
    let d = &inspection.device;
    let mut out = format!(
        "Device    {} {} (firmware {}, serial {}, hardware {}, MAC {})\n",
        d.manufacturer,
        d.model,
        d.firmware,
        d.serial,
        d.hardware_id,
        d.mac.as_deref().unwrap_or("unknown")
    );
    out.push_str("Profiles\n");
    for p in &inspection.profiles {
        let video = p.profile.video.as_ref().map_or("no video".to_owned(), |v| {
            format!(
                "{} {}x{} {} fps, GOP {}, {} kbit/s",
                v.codec,
                v.width,
                v.height,
                v.fps.map_or("?".into(), |f| format!("{f}")),
                v.gop.map_or("?".into(), |g| g.to_string()),
                v.bitrate_kbps.map_or("?".into(), |b| b.to_string()),
            )
        });
        out.push_str(&format!(
            "  {:<12} {:<16} {video}{}\n            {}\n",
            p.profile.token,
            p.profile.name,
            if p.profile.ptz_configuration.is_some() {
                ", PTZ"
            } else {
                ""
            },
            p.stream_uri.as_deref().unwrap_or("(no stream URI)"),
        ));
    }
    if let Some(uri) = &inspection.snapshot_uri {
        out.push_str(&format!("Snapshot  {uri}\n"));
    }
    out.push_str(&format!(
        "Proposal  main {}, sub {}\n",
        inspection.proposal.main.as_deref().unwrap_or("none"),
        inspection.proposal.sub.as_deref().unwrap_or("none")
    ));
    for w in &inspection.warnings {
        out.push_str(&format!("Warning   {w}\n"));
    }
    out
}

/// Runs `vigil onvif inspect`.
pub fn inspect(
    host: &str,
    user: Option<&str>,
    json_path: Option<&Path>,
    timeout_secs: f64,
) -> anyhow::Result<()> {
    if !(timeout_secs.is_finite() && timeout_secs > 0.0 && timeout_secs <= 600.0) {
        anyhow::bail!("--timeout-secs must be above 0 and at most 600");
    }
    let credentials = match user {
        Some(user) => Some(Credentials::new(user, password(user, host)?)),
        None => None,
    };
    let options = InspectOptions {
        config: ClientConfig {
            timeout: Duration::from_secs_f64(timeout_secs),
            ..ClientConfig::default()
        },
        h265_hardware_decoder: None,
    };
    let mut inspection = vigil_onvif::inspect_with(host, credentials, &options)?;
    if inspection.proposes_h265() {
        let available = vigil_media::hwaccel::allowed()
            && vigil_media::hwaccel::open_for(ffmpeg_next::codec::Id::HEVC).is_ok();
        inspection.set_h265_hardware_decoder(available);
    }
    print!("{}", report(&inspection));
    if let Some(path) = json_path {
        let text = serde_json::to_string_pretty(&to_json(&inspection))?;
        std::fs::write(path, text + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
