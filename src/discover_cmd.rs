//! `vigil discover`: a WS-Discovery probe (`vigil-discovery`) from the command line,
//! its result as a human summary on stdout and as JSON.
//!
//! Must not: contact a device beyond the Probe (the ONVIF inspection is its own
//! command), or print anything a device sent without `vigil-discovery`'s sanitising.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use serde::Serialize;

use vigil_discovery::{Device, Discovery, ProbeOptions};

/// What `vigil discover` was asked.
#[derive(Clone, Debug)]
pub struct DiscoverArgs {
    /// Interface names; empty: the default ones.
    pub interfaces: Vec<String>,
    /// How long to listen, 1 to 30 (clap checks the range).
    pub seconds: u64,
}

/// Probe and wait for the replies.
pub fn run(args: &DiscoverArgs) -> anyhow::Result<Discovery> {
    let options = ProbeOptions {
        interfaces: args.interfaces.clone(),
        duration: Duration::from_secs(args.seconds),
        ..ProbeOptions::default()
    };
    vigil_discovery::probe(&options).context("WS-Discovery probe")
}

/// The JSON `vigil discover --json` writes.
#[derive(Serialize)]
struct Report<'a> {
    devices: &'a [Device],
    /// Replies skipped as malformed.
    malformed: u32,
    /// Replies to another probe (RelatesTo not ours), skipped.
    ignored: u32,
    /// A cap (devices, datagrams) was reached: there may be more devices.
    truncated: bool,
    /// The interfaces probed, by name.
    interfaces: Vec<&'a str>,
    /// How long it was asked to listen.
    seconds: u64,
}

/// The JSON text for `found`.
pub fn json(found: &Discovery, seconds: u64) -> anyhow::Result<String> {
    let report = Report {
        devices: &found.devices,
        malformed: found.malformed,
        ignored: found.ignored,
        truncated: found.truncated,
        interfaces: found.interfaces.iter().map(|i| i.name.as_str()).collect(),
        seconds,
    };
    Ok(serde_json::to_string_pretty(&report)?)
}

/// Write the JSON to `path`.
pub fn write_json(found: &Discovery, seconds: u64, path: &Path) -> anyhow::Result<()> {
    let text = json(found, seconds)?;
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// The summary for a person: what was probed, one line per device, what was skipped.
pub fn summary(found: &Discovery, seconds: u64) -> String {
    let mut text = String::new();
    let interfaces: Vec<String> = found
        .interfaces
        .iter()
        .map(|i| format!("{} ({})", i.name, i.address))
        .collect();
    let count = found.devices.len();
    let _ = writeln!(
        text,
        "Probed {} for {seconds} s: {count} device{}",
        interfaces.join(", "),
        if count == 1 { "" } else { "s" }
    );
    for device in &found.devices {
        let _ = writeln!(
            text,
            "  {:<15}  {}  {}  {}",
            device.address.to_string(),
            device.name.as_deref().unwrap_or("(no name)"),
            device
                .hardware
                .as_deref()
                .map(|h| format!("[{h}]"))
                .unwrap_or_default(),
            if device.xaddrs.is_empty() {
                "(no service address)".to_owned()
            } else {
                device.xaddrs.join(" ")
            }
        );
    }
    let replies = |n: u32| if n == 1 { "reply" } else { "replies" };
    if found.malformed > 0 {
        let n = found.malformed;
        let _ = writeln!(text, "{n} malformed {} skipped", replies(n));
    }
    if found.ignored > 0 {
        let n = found.ignored;
        let _ = writeln!(text, "{n} {} to another probe ignored", replies(n));
    }
    if found.truncated {
        let _ = writeln!(
            text,
            "Stopped at a cap ({} devices, {} replies): there may be more devices",
            vigil_discovery::DEFAULT_MAX_DEVICES,
            vigil_discovery::DEFAULT_MAX_DATAGRAMS
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use super::*;

    fn found() -> Discovery {
        Discovery {
            devices: vec![Device {
                address: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 9)),
                endpoint: "urn:uuid:1".to_owned(),
                xaddrs: vec!["http://10.0.0.9/onvif/device_service".to_owned()],
                name: Some("Gate".to_owned()),
                hardware: None,
                scopes: vec!["onvif://www.onvif.org/name/Gate".to_owned()],
                types: vec!["dn:NetworkVideoTransmitter".to_owned()],
            }],
            malformed: 2,
            ignored: 1,
            truncated: true,
            interfaces: vec![vigil_discovery::Interface {
                name: "eth0".to_owned(),
                address: Ipv4Addr::new(10, 0, 0, 1),
                up: true,
                loopback: false,
                multicast: true,
            }],
            duration: Duration::from_secs(3),
        }
    }

    #[test]
    fn the_json_has_the_documented_keys() {
        let value: serde_json::Value =
            serde_json::from_str(&json(&found(), 3).expect("json")).expect("parses");
        assert_eq!(value["devices"][0]["address"], "10.0.0.9");
        assert_eq!(value["devices"][0]["hardware"], serde_json::Value::Null);
        for key in ["endpoint", "xaddrs", "name", "scopes", "types"] {
            assert!(!value["devices"][0][key].is_null(), "{key}");
        }
        assert_eq!(value["malformed"], 2);
        assert_eq!(value["ignored"], 1);
        assert_eq!(value["truncated"], true);
        assert_eq!(value["interfaces"], serde_json::json!(["eth0"]));
        assert_eq!(value["seconds"], 3);
    }

    #[test]
    fn the_summary_names_devices_and_what_was_skipped() {
        let text = summary(&found(), 3);
        assert!(
            text.starts_with("Probed eth0 (10.0.0.1) for 3 s: 1 device\n"),
            "{text}"
        );
        assert!(text.contains("10.0.0.9"), "{text}");
        assert!(text.contains("Gate"), "{text}");
        assert!(
            text.contains("http://10.0.0.9/onvif/device_service"),
            "{text}"
        );
        assert!(text.contains("2 malformed replies skipped"), "{text}");
        assert!(text.contains("1 reply to another probe ignored"), "{text}");
        assert!(text.contains("there may be more devices"), "{text}");
    }
}
