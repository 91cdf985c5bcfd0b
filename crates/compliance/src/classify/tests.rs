//! The classifier cases against the built-in rules.

use super::*;
use crate::mac::{Mac, MacError};

fn rules() -> Rules {
    Rules::built_in().expect("the built-in rules load")
}

fn run(manufacturer: &str, mac: &str) -> Classification {
    let mac = (!mac.is_empty()).then(|| Mac::parse(mac).expect("a valid MAC"));
    classify(
        &rules(),
        &Signals {
            manufacturer: Some(manufacturer),
            mac,
            ..Signals::default()
        },
    )
}

fn restricted_by(c: &Classification, source: EvidenceSource) -> Option<&Evidence> {
    c.evidence
        .iter()
        .find(|e| e.source == source && e.finding == Finding::RestrictedVendor)
}

#[test]
fn a_restricted_oui_with_any_name_is_a_restricted_vendor() {
    for name in ["Hikvision", "Acme Cameras", "", "Axis Communications AB"] {
        for mac in [
            "0C:75:D2:01:02:03",
            "bc-5e-33-aa-bb-cc",
            "4419b6000001",
            "54:C4:15:00:00:01",
        ] {
            let c = run(name, mac);
            assert_eq!(c.status, Status::RestrictedVendor, "{name} {mac}");
            let e = restricted_by(&c, EvidenceSource::MacOui).expect("OUI evidence");
            assert_eq!(e.entity.as_deref(), Some("Hikvision"));
            assert!(
                e.rule_source
                    .as_deref()
                    .is_some_and(|s| s.starts_with("https://"))
            );
        }
    }
    let c = run("", "74:C9:29:00:00:01");
    assert_eq!(c.status, Status::RestrictedVendor);
    assert_eq!(
        restricted_by(&c, EvidenceSource::MacOui).and_then(|e| e.entity.as_deref()),
        Some("Dahua")
    );
}

#[test]
fn a_spoofed_name_does_not_hide_a_restricted_oui() {
    // A relabel's name and an unrelated maker's name, both over a Dahua OUI.
    for name in ["Lorex", "Axis"] {
        let c = run(name, "3C:EF:8C:10:20:30");
        assert_eq!(c.status, Status::RestrictedVendor, "{name}");
        assert!(restricted_by(&c, EvidenceSource::MacOui).is_some());
        let named = c
            .evidence
            .iter()
            .find(|e| e.source == EvidenceSource::OnvifManufacturer)
            .expect("the name is shown as evidence too");
        assert_eq!(named.value, name);
    }
}

#[test]
fn a_restricted_name_is_a_restricted_vendor_whatever_its_spelling() {
    for name in [
        "HIKVISION DIGITAL TECHNOLOGY CO.,LTD.",
        "hikvision",
        "Hik\u{200B}vision",
        "\u{202E}Hikvision",
        "Zhejiang Dahua Technology Co., Ltd.",
        "HUAWEI",
        "ZTE Corporation",
        "Hytera",
    ] {
        let c = run(name, "");
        assert_eq!(c.status, Status::RestrictedVendor, "{name:?}");
        assert!(restricted_by(&c, EvidenceSource::OnvifManufacturer).is_some());
    }
    // The value shown has the bidi override escaped.
    let c = run("\u{202E}Hikvision", "");
    assert_eq!(c.evidence[0].value, "\\u{202E}Hikvision");
}

#[test]
fn a_relabel_brand_is_a_possible_relabel() {
    for (name, brand) in [
        ("Lorex", "Lorex"),
        ("AMCREST", "Amcrest"),
        ("Annke", "Annke"),
        ("EZVIZ", "EZVIZ"),
        ("LTS", "LTS"),
    ] {
        let c = run(name, "00:40:8C:00:00:01");
        assert_eq!(c.status, Status::PossibleRelabel, "{name}");
        let e = c
            .evidence
            .iter()
            .find(|e| e.finding == Finding::PossibleRelabel)
            .expect("relabel evidence");
        assert_eq!(e.entity.as_deref(), Some(brand));
        assert_eq!(e.source, EvidenceSource::OnvifManufacturer);
    }
}

#[test]
fn a_model_convention_is_a_possible_relabel() {
    let c = classify(
        &rules(),
        &Signals {
            manufacturer: Some("Acme"),
            model: Some("DS-2CD2032-I"),
            mac: Some(Mac::parse("00:40:8C:00:00:01").expect("valid")),
            banner: None,
        },
    );
    assert_eq!(c.status, Status::PossibleRelabel);
    assert!(
        c.evidence
            .iter()
            .any(|e| e.source == EvidenceSource::Model && e.entity.as_deref() == Some("Hikvision"))
    );
}

#[test]
fn a_locally_administered_mac_is_unknown() {
    for name in ["", "Axis Communications AB"] {
        let c = run(name, "52:54:00:12:34:56");
        assert_eq!(c.status, Status::Unknown, "{name}");
        assert!(
            c.evidence
                .iter()
                .any(|e| e.source == EvidenceSource::MacOui && e.finding == Finding::NoVendor)
        );
    }
    // A locally administered address that happens to carry a restricted prefix's
    // other bits names nobody: 0E:75:D2 is 0C:75:D2 with the U/L bit set.
    assert_eq!(run("", "0E:75:D2:00:00:01").status, Status::Unknown);
    // But a restricted name still shows.
    assert_eq!(
        run("Dahua", "52:54:00:12:34:56").status,
        Status::RestrictedVendor
    );
}

#[test]
fn a_device_seen_only_at_layer_3_is_unknown() {
    assert_eq!(run("Axis Communications AB", "").status, Status::Unknown);
    assert_eq!(run("", "").status, Status::Unknown);
    let c = classify(&rules(), &Signals::default());
    assert_eq!(c.status, Status::Unknown);
    assert!(c.evidence.is_empty());
}

#[test]
fn a_checked_universal_oui_without_a_match_is_no_signal_found_never_clear() {
    let c = run("Axis Communications AB", "00:40:8C:00:00:01");
    assert_eq!(c.status, Status::NoSignalFound);
    assert!(c.evidence.iter().all(|e| e.finding == Finding::NoMatch));
    let json = serde_json::to_string(&c).expect("json");
    assert!(json.contains("\"status\":\"no_signal_found\""), "{json}");
    assert!(!json.contains("clear"), "{json}");
}

#[test]
fn a_banner_names_the_maker_under_any_name() {
    let banner = HttpBanner {
        target: "10.0.0.5:80".into(),
        status: Some(401),
        server: Some("App-webs/".into()),
        www_authenticate: None,
    };
    let c = classify(
        &rules(),
        &Signals {
            manufacturer: Some("Acme"),
            banner: Some(&banner),
            ..Signals::default()
        },
    );
    assert_eq!(c.status, Status::RestrictedVendor);
    let e = restricted_by(&c, EvidenceSource::HttpBanner).expect("banner evidence");
    assert_eq!(e.value, "Server: App-webs/");
    assert_eq!(e.entity.as_deref(), Some("Hikvision"));
}

#[test]
fn malformed_macs_are_clear_errors() {
    for (text, what) in [
        ("0C:75:D2:01:02", "10 hex digits"),
        ("0C:75:D2:01:02:0G", "character 17 ('G')"),
        ("0C:75-D2:01:02:03", "mixes separators"),
        ("hello", "character 1 ('h')"),
    ] {
        let err: MacError = Mac::parse(text).expect_err(text);
        let said = err.to_string();
        assert!(said.contains(what), "{text}: {said}");
        assert!(said.contains(text), "{text}: {said}");
    }
}
