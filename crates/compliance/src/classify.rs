//! The classifier: what a device's signals (ONVIF manufacturer and model, MAC, HTTP
//! banner) say against the rules, as a [`Status`] and the [`Evidence`] behind it. The
//! same function serves the command line (`vigil compliance classify`), the inventory
//! window and the reports.
//!
//! How evidence is judged: a restricted OUI or banner is the device's maker whatever
//! name it shows ("restricted vendor"); a restricted manufacturer name is too; a relabel
//! brand's name or a restricted maker's model convention is "possible relabel". Without
//! either, "no signal found" needs a universally administered MAC (its OUI was checked);
//! a locally administered MAC or none at all (a device seen only at layer 3) is
//! "unknown". There is no "clear".
//!
//! Owns: [`classify`], [`Signals`], [`Classification`]. Must not: read files or the
//! network (callers bring the rules and the banner).

use serde::Serialize;

use crate::banner::HttpBanner;
use crate::mac::Mac;
use crate::rules::Rules;
use crate::text::NameKey;

/// What the evidence shows. Never "clear": the absence of a signal proves nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    RestrictedVendor,
    PossibleRelabel,
    NoSignalFound,
    Unknown,
}

impl Status {
    /// As the JSON and CSV write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::RestrictedVendor => "restricted_vendor",
            Status::PossibleRelabel => "possible_relabel",
            Status::NoSignalFound => "no_signal_found",
            Status::Unknown => "unknown",
        }
    }

    /// As a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            Status::RestrictedVendor => "Restricted vendor",
            Status::PossibleRelabel => "Possible relabel",
            Status::NoSignalFound => "No signal found",
            Status::Unknown => "Unknown",
        }
    }
}

/// Which signal an item of evidence comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceSource {
    OnvifManufacturer,
    MacOui,
    HttpBanner,
    Model,
}

impl EvidenceSource {
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceSource::OnvifManufacturer => "onvif_manufacturer",
            EvidenceSource::MacOui => "mac_oui",
            EvidenceSource::HttpBanner => "http_banner",
            EvidenceSource::Model => "model",
        }
    }
}

/// What one item of evidence supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Finding {
    RestrictedVendor,
    PossibleRelabel,
    /// The signal was checked and matched no rule.
    NoMatch,
    /// The signal cannot name a vendor (a locally administered or group MAC).
    NoVendor,
}

impl Finding {
    pub fn as_str(self) -> &'static str {
        match self {
            Finding::RestrictedVendor => "restricted_vendor",
            Finding::PossibleRelabel => "possible_relabel",
            Finding::NoMatch => "no_match",
            Finding::NoVendor => "no_vendor",
        }
    }
}

/// One signal, what it was checked against and what it showed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub source: EvidenceSource,
    /// The value seen, display-safe (control and bidi characters escaped).
    pub value: String,
    /// What it matched (or why it matched nothing).
    pub matched: String,
    pub finding: Finding,
    /// The rule's entity (or relabel brand), when a rule matched.
    pub entity: Option<String>,
    /// The rule's source URL and date, when a rule matched.
    pub rule_source: Option<String>,
    pub rule_date: Option<String>,
}

/// The status and every item of evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Classification {
    pub status: Status,
    pub evidence: Vec<Evidence>,
}

/// What is known of a device; every signal optional.
#[derive(Clone, Copy, Debug, Default)]
pub struct Signals<'a> {
    pub manufacturer: Option<&'a str>,
    pub model: Option<&'a str>,
    pub mac: Option<Mac>,
    pub banner: Option<&'a HttpBanner>,
}

/// `signals` judged against `rules`.
pub fn classify(rules: &Rules, signals: &Signals<'_>) -> Classification {
    let mut evidence = Vec::new();
    let mut oui_checked = false;
    if let Some(mac) = signals.mac {
        oui_checked = mac_evidence(rules, mac, &mut evidence);
    }
    if let Some(name) = signals.manufacturer.filter(|m| !m.trim().is_empty()) {
        manufacturer_evidence(rules, name, &mut evidence);
    }
    if let Some(model) = signals.model.filter(|m| !m.trim().is_empty()) {
        model_evidence(rules, model, &mut evidence);
    }
    if let Some(banner) = signals.banner {
        banner_evidence(rules, banner, &mut evidence);
    }
    let has = |f: Finding| evidence.iter().any(|e| e.finding == f);
    let status = if has(Finding::RestrictedVendor) {
        Status::RestrictedVendor
    } else if has(Finding::PossibleRelabel) {
        Status::PossibleRelabel
    } else if oui_checked {
        Status::NoSignalFound
    } else {
        Status::Unknown
    };
    Classification { status, evidence }
}

/// Adds the MAC's evidence; true when its OUI names a vendor (and so was checked).
fn mac_evidence(rules: &Rules, mac: Mac, out: &mut Vec<Evidence>) -> bool {
    let oui = mac.oui();
    let plain = |matched: String, finding| Evidence {
        source: EvidenceSource::MacOui,
        value: mac.to_string(),
        matched,
        finding,
        entity: None,
        rule_source: None,
        rule_date: None,
    };
    if mac.is_group() {
        out.push(plain(
            "a multicast group address, not a device's: names no vendor".into(),
            Finding::NoVendor,
        ));
        return false;
    }
    if mac.is_locally_administered() {
        out.push(plain(
            "locally administered address (U/L bit set): names no vendor".into(),
            Finding::NoVendor,
        ));
        return false;
    }
    let mut found = false;
    for entity in &rules.entities {
        for rule in entity.ouis.iter().filter(|r| r.prefix == oui) {
            found = true;
            let checked = match rule.status {
                crate::rules::OuiStatus::Reported => "reported OUI",
                crate::rules::OuiStatus::Ieee => "IEEE-registered OUI",
            };
            out.push(Evidence {
                source: EvidenceSource::MacOui,
                value: mac.to_string(),
                matched: format!("{checked} {oui} of {}", entity.name),
                finding: Finding::RestrictedVendor,
                entity: Some(entity.name.clone()),
                rule_source: Some(rule.source.clone()),
                rule_date: Some(rule.date.clone()),
            });
        }
    }
    if !found {
        out.push(plain(format!("OUI {oui} is in no rule"), Finding::NoMatch));
    }
    true
}

fn manufacturer_evidence(rules: &Rules, name: &str, out: &mut Vec<Evidence>) {
    let key = NameKey::new(name);
    let value = vigil_onvif::sanitize::display_safe(name);
    let before = out.len();
    for entity in &rules.entities {
        if let Some(variant) = first_named(&key, &entity.keys, &entity.names) {
            out.push(Evidence {
                source: EvidenceSource::OnvifManufacturer,
                value: value.clone(),
                matched: format!("name variant '{variant}' of {}", entity.name),
                finding: Finding::RestrictedVendor,
                entity: Some(entity.name.clone()),
                rule_source: Some(entity.source.clone()),
                rule_date: Some(entity.date.clone()),
            });
        }
    }
    for relabel in &rules.relabels {
        if let Some(variant) = first_named(&key, &relabel.keys, &relabel.names) {
            out.push(Evidence {
                source: EvidenceSource::OnvifManufacturer,
                value: value.clone(),
                matched: format!(
                    "'{variant}': a brand reported to relabel {} ({})",
                    relabel.of.join(", "),
                    relabel.note
                ),
                finding: Finding::PossibleRelabel,
                entity: Some(relabel.name.clone()),
                rule_source: Some(relabel.source.clone()),
                rule_date: Some(relabel.date.clone()),
            });
        }
    }
    if out.len() == before {
        out.push(Evidence {
            source: EvidenceSource::OnvifManufacturer,
            value,
            matched: "matches no entity or relabel (a name can be spoofed or relabelled)".into(),
            finding: Finding::NoMatch,
            entity: None,
            rule_source: None,
            rule_date: None,
        });
    }
}

/// The first of `names` whose key `key` names.
fn first_named<'n>(key: &NameKey, keys: &[NameKey], names: &'n [String]) -> Option<&'n str> {
    keys.iter()
        .zip(names)
        .find(|(k, _)| key.names(k))
        .map(|(_, n)| n.as_str())
}

fn model_evidence(rules: &Rules, model: &str, out: &mut Vec<Evidence>) {
    let visible: String = model
        .trim()
        .chars()
        .filter(|c| !vigil_onvif::sanitize::is_unsafe_char(*c))
        .collect();
    let upper = visible.to_uppercase();
    for entity in &rules.entities {
        if let Some(prefix) = entity
            .model_prefixes
            .iter()
            .find(|p| upper.starts_with(&p.to_uppercase()))
        {
            out.push(Evidence {
                source: EvidenceSource::Model,
                value: vigil_onvif::sanitize::display_safe(model),
                matched: format!(
                    "model prefix '{prefix}' of {} (a naming convention, not proof)",
                    entity.name
                ),
                finding: Finding::PossibleRelabel,
                entity: Some(entity.name.clone()),
                rule_source: Some(entity.source.clone()),
                rule_date: Some(entity.date.clone()),
            });
        }
    }
}

fn banner_evidence(rules: &Rules, banner: &HttpBanner, out: &mut Vec<Evidence>) {
    let headers = [
        ("Server", banner.server.as_deref()),
        ("WWW-Authenticate", banner.www_authenticate.as_deref()),
    ];
    let before = out.len();
    for (header, value) in headers {
        let Some(value) = value else { continue };
        let lower = value.to_lowercase();
        for entity in &rules.entities {
            for rule in &entity.banners {
                if lower.contains(&rule.pattern.to_lowercase()) {
                    out.push(Evidence {
                        source: EvidenceSource::HttpBanner,
                        value: format!("{header}: {}", vigil_onvif::sanitize::display_safe(value)),
                        matched: format!("banner '{}' of {}", rule.pattern, entity.name),
                        finding: Finding::RestrictedVendor,
                        entity: Some(entity.name.clone()),
                        rule_source: Some(rule.source.clone()),
                        rule_date: Some(rule.date.clone()),
                    });
                }
            }
        }
    }
    if out.len() == before {
        let seen: Vec<String> = headers
            .iter()
            .filter_map(|(h, v)| {
                v.map(|v| format!("{h}: {}", vigil_onvif::sanitize::display_safe(v)))
            })
            .collect();
        out.push(Evidence {
            source: EvidenceSource::HttpBanner,
            value: if seen.is_empty() {
                "(no Server or WWW-Authenticate header)".into()
            } else {
                seen.join("; ")
            },
            matched: "matches no banner rule".into(),
            finding: Finding::NoMatch,
            entity: None,
            rule_source: None,
            rule_date: None,
        });
    }
}

#[cfg(test)]
mod tests;
