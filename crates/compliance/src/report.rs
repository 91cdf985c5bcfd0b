//! The inventory: one row per camera of a site (identity, address, streams, the
//! classification and its evidence, and a list of warnings that other checks, such as
//! the security posture, add), and its two exports: CSV (RFC 4180, spreadsheet
//! formulas neutralised) and a printable HTML report (every device text escaped).
//!
//! Owns: [`InventoryRow`], [`Inventory`], [`write_csv`], [`write_html`]. Must not:
//! fetch anything (banners come in from the caller) or write files (callers do).

use std::collections::BTreeMap;

use vigil_config::{CameraConfig, CameraId, Site};
use vigil_onvif::sanitize::display_safe;

use crate::banner::{HttpBanner, web_target};
use crate::classify::{Classification, Signals, classify};
use crate::mac::Mac;
use crate::rules::Rules;

/// A warning about a camera from a check other than the classifier (the security
/// posture adds its own); shown in the inventory and both exports.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Warning {
    /// Which check said it (`"identity"`, `"posture"`, …).
    pub check: String,
    pub message: String,
}

/// One camera in the inventory. Device text is display-safe.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct InventoryRow {
    pub camera_id: CameraId,
    pub name: String,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub firmware: Option<String>,
    pub serial: Option<String>,
    pub hardware_id: Option<String>,
    /// Written AA:BB:CC:DD:EE:FF when it parses.
    pub mac: Option<String>,
    /// The ONVIF address, else the stream's host.
    pub address: Option<String>,
    /// `main: URL`, then each substream.
    pub streams: Vec<String>,
    pub classification: Classification,
    /// The HTTP banner used, when the installer asked for one.
    pub banner: Option<HttpBanner>,
    pub warnings: Vec<Warning>,
}

/// Every camera of a site judged by one set of rules, at one time.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Inventory {
    pub site_name: String,
    /// UTC, RFC 3339.
    pub generated: String,
    pub rules_version: String,
    pub rules_date: String,
    pub rules_origin: String,
    pub rows: Vec<InventoryRow>,
}

impl Inventory {
    /// `site`'s cameras against `rules`, with the banners fetched so far.
    pub fn build(
        site: &Site,
        rules: &Rules,
        banners: &BTreeMap<CameraId, HttpBanner>,
        generated: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        Inventory {
            site_name: site.name.clone(),
            generated: generated.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            rules_version: rules.version.clone(),
            rules_date: rules.date.clone(),
            rules_origin: rules.origin.to_string(),
            rows: site
                .cameras
                .iter()
                .map(|c| row(c, rules, banners.get(&c.id)))
                .collect(),
        }
    }
}

/// One camera's row.
pub fn row(camera: &CameraConfig, rules: &Rules, banner: Option<&HttpBanner>) -> InventoryRow {
    let device = camera.device.clone().unwrap_or_default();
    let mut warnings = Vec::new();
    let mac = device.mac.as_deref().and_then(|m| match Mac::parse(m) {
        Ok(mac) => Some(mac),
        Err(err) => {
            warnings.push(Warning {
                check: "identity".into(),
                message: err.to_string(),
            });
            None
        }
    });
    let classification = classify(
        rules,
        &Signals {
            manufacturer: device.manufacturer.as_deref(),
            model: device.model.as_deref(),
            mac,
            banner,
        },
    );
    let address = device.onvif.clone().or_else(|| {
        web_target(None, Some(&camera.source)).map(|t| {
            t.rsplit_once(':')
                .map_or(t.clone(), |(h, _)| h.trim_matches(['[', ']']).to_owned())
        })
    });
    let safe = |v: &Option<String>| v.as_deref().map(display_safe);
    let mut streams = vec![format!("main: {}", display_safe(&camera.source))];
    streams.extend(
        camera
            .substreams
            .iter()
            .map(|s| format!("{}: {}", s.name, display_safe(&s.source))),
    );
    InventoryRow {
        camera_id: camera.id.clone(),
        name: display_safe(&camera.name),
        manufacturer: safe(&device.manufacturer),
        model: safe(&device.model),
        firmware: safe(&device.firmware),
        serial: safe(&device.serial),
        hardware_id: safe(&device.hardware_id),
        mac: mac.map(|m| m.to_string()).or_else(|| safe(&device.mac)),
        address: address.as_deref().map(display_safe),
        streams,
        classification,
        banner: banner.cloned(),
        warnings,
    }
}

/// The CSV's columns.
pub const CSV_HEADER: [&str; 16] = [
    "camera_id",
    "name",
    "manufacturer",
    "model",
    "firmware",
    "serial",
    "hardware_id",
    "mac",
    "address",
    "streams",
    "status",
    "evidence",
    "warnings",
    "rules_version",
    "rules_date",
    "generated",
];

/// The inventory as CSV: the header, then a record per camera (CRLF line ends). An
/// item of evidence reads `source: value -> matched [entity; rule source]`, items
/// joined by ` | `.
pub fn write_csv(inventory: &Inventory) -> String {
    let mut out = String::new();
    let mut record = |cells: &[&str]| {
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&vigil_config::csv::cell(cell));
        }
        out.push_str("\r\n");
    };
    record(&CSV_HEADER);
    for r in &inventory.rows {
        let evidence: Vec<String> = r
            .classification
            .evidence
            .iter()
            .map(|e| {
                let rule = match (&e.entity, &e.rule_source) {
                    (Some(entity), Some(source)) => format!(" [{entity}; {source}]"),
                    _ => String::new(),
                };
                format!("{}: {} -> {}{rule}", e.source.as_str(), e.value, e.matched)
            })
            .collect();
        let warnings: Vec<String> = r
            .warnings
            .iter()
            .map(|w| format!("{}: {}", w.check, w.message))
            .collect();
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        record(&[
            r.camera_id.as_str(),
            &r.name,
            &opt(&r.manufacturer),
            &opt(&r.model),
            &opt(&r.firmware),
            &opt(&r.serial),
            &opt(&r.hardware_id),
            &opt(&r.mac),
            &opt(&r.address),
            &r.streams.join(" | "),
            r.classification.status.as_str(),
            &evidence.join(" | "),
            &warnings.join(" | "),
            &inventory.rules_version,
            &inventory.rules_date,
            &inventory.generated,
        ]);
    }
    out
}

/// `text` safe inside HTML text and attribute values.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The colour a status is shown in (reports and the app agree): RGB.
pub fn status_rgb(status: crate::Status) -> [u8; 3] {
    match status {
        crate::Status::RestrictedVendor => [200, 40, 40],
        crate::Status::PossibleRelabel => [215, 130, 0],
        crate::Status::NoSignalFound => [60, 120, 200],
        crate::Status::Unknown => [120, 120, 120],
    }
}

const DISCLAIMER: &str = "This report lists signs of who made each camera (the ONVIF manufacturer, the MAC address's OUI, the web server's banner) against the rules named above. It is not legal advice. \"No signal found\" means none of these signs matched a rule; it does not mean a camera is compliant. \"Unknown\" means there was not enough to judge (no MAC, or a locally administered one).";

/// The inventory as a printable HTML page (one file, no scripts, no external
/// resources); every device and rules text escaped.
pub fn write_html(inventory: &Inventory) -> String {
    let e = html_escape;
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(&format!(
        "<title>Camera inventory: {}</title>\n",
        e(&inventory.site_name)
    ));
    out.push_str(
        "<style>\nbody{font-family:sans-serif;font-size:11pt;margin:2em}\n\
         table{border-collapse:collapse;width:100%;margin-bottom:1em}\n\
         th,td{border:1px solid #999;padding:3px 6px;text-align:left;vertical-align:top}\n\
         .status{font-weight:bold;color:#fff;padding:2px 6px;border-radius:3px}\n\
         section{page-break-inside:avoid;margin-bottom:1.5em}\n\
         @media print{a{color:inherit}}\n</style>\n</head>\n<body>\n",
    );
    out.push_str(&format!(
        "<h1>Camera inventory: {}</h1>\n<p>Generated {} UTC. Rules version {} ({}; {}).</p>\n<p><em>{}</em></p>\n",
        e(&inventory.site_name),
        e(&inventory.generated),
        e(&inventory.rules_version),
        e(&inventory.rules_date),
        e(&inventory.rules_origin),
        e(DISCLAIMER)
    ));
    let mut counts: BTreeMap<crate::Status, usize> = BTreeMap::new();
    for r in &inventory.rows {
        *counts.entry(r.classification.status).or_default() += 1;
    }
    out.push_str("<table>\n<tr><th>Status</th><th>Cameras</th></tr>\n");
    for (status, n) in &counts {
        out.push_str(&format!(
            "<tr><td>{}</td><td>{n}</td></tr>\n",
            status.label()
        ));
    }
    out.push_str("</table>\n");
    for r in &inventory.rows {
        let [red, green, blue] = status_rgb(r.classification.status);
        out.push_str(&format!(
            "<section>\n<h2>{} <small>({})</small> <span class=\"status\" style=\"background:rgb({red},{green},{blue})\">{}</span></h2>\n<table>\n",
            e(&r.name),
            e(r.camera_id.as_str()),
            r.classification.status.label()
        ));
        let opt = |v: &Option<String>| e(v.as_deref().unwrap_or("—"));
        for (label, value) in [
            ("Manufacturer", opt(&r.manufacturer)),
            ("Model", opt(&r.model)),
            ("Firmware", opt(&r.firmware)),
            ("Serial", opt(&r.serial)),
            ("MAC", opt(&r.mac)),
            ("Address", opt(&r.address)),
            ("Streams", e(&r.streams.join("\n")).replace('\n', "<br>")),
        ] {
            out.push_str(&format!("<tr><th>{label}</th><td>{value}</td></tr>\n"));
        }
        out.push_str("</table>\n");
        if r.classification.evidence.is_empty() {
            out.push_str("<p>No evidence: no manufacturer, MAC or banner is known.</p>\n");
        } else {
            out.push_str(
                "<table>\n<tr><th>Evidence</th><th>Value seen</th><th>Matched</th><th>Rule</th></tr>\n",
            );
            for ev in &r.classification.evidence {
                let rule = match (&ev.entity, &ev.rule_source, &ev.rule_date) {
                    (Some(entity), Some(source), date) => format!(
                        "{} — <a href=\"{}\">{}</a>{}",
                        e(entity),
                        e(source),
                        e(source),
                        date.as_deref()
                            .map(|d| format!(" ({})", e(d)))
                            .unwrap_or_default()
                    ),
                    _ => "—".into(),
                };
                out.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{rule}</td></tr>\n",
                    ev.source.as_str(),
                    e(&ev.value),
                    e(&ev.matched)
                ));
            }
            out.push_str("</table>\n");
        }
        if !r.warnings.is_empty() {
            out.push_str("<ul>\n");
            for w in &r.warnings {
                out.push_str(&format!("<li>{}: {}</li>\n", e(&w.check), e(&w.message)));
            }
            out.push_str("</ul>\n");
        }
        out.push_str("</section>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests;
