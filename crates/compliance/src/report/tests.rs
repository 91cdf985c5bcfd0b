//! The inventory's rows and exports from a real site file.

use super::*;
use crate::Status;

const SITE: &str = r#"schema_version = 1
name = "Depot <main>"

[[cameras]]
id = "gate"
name = "Gate"
source = "rtsp://10.0.0.21:554/Streaming/Channels/101"

[[cameras.substreams]]
name = "sub"
source = "rtsp://10.0.0.21:554/Streaming/Channels/102"

[cameras.device]
onvif = "10.0.0.21:80"
manufacturer = "=HYPERLINK(\"http://x\")"
model = "<script>alert(1)</script>"
firmware = "V5.5.0"
serial = "SN-1"
mac = "bc-5e-33-00-11-22"

[[cameras]]
id = "lobby"
name = "Lobby"
source = "rtsp://cam-lobby.local/stream1"

[[cameras]]
id = "yard"
name = "Yard"
source = "rtsp://10.0.0.23/axis-media/media.amp"

[cameras.device]
manufacturer = "AXIS"
mac = "00:40:8c:aa:bb:cc"
"#;

fn inventory() -> Inventory {
    let site = vigil_config::parse_site(std::path::Path::new("site.toml"), SITE)
        .expect("the test site loads");
    let rules = Rules::built_in().expect("rules");
    let generated = chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("time");
    Inventory::build(&site, &rules, &BTreeMap::new(), generated)
}

#[test]
fn every_camera_has_a_row_with_its_identity_and_status() {
    let inv = inventory();
    assert_eq!(inv.rows.len(), 3);
    let gate = &inv.rows[0];
    assert_eq!(gate.classification.status, Status::RestrictedVendor);
    assert_eq!(gate.mac.as_deref(), Some("BC:5E:33:00:11:22"));
    assert_eq!(gate.address.as_deref(), Some("10.0.0.21:80"));
    assert_eq!(gate.streams.len(), 2);
    assert!(gate.warnings.is_empty());
    let lobby = &inv.rows[1];
    assert_eq!(lobby.classification.status, Status::Unknown);
    assert_eq!(lobby.address.as_deref(), Some("cam-lobby.local"));
    assert_eq!(inv.rows[2].classification.status, Status::NoSignalFound);
}

#[test]
fn the_csv_is_rfc_4180_with_formulas_neutralised() {
    let csv = write_csv(&inventory());
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(lines[0], CSV_HEADER.join(","));
    assert_eq!(lines.len(), 5, "header, three rows, the final empty piece");
    assert!(
        lines[1].starts_with("gate,Gate,\"'=HYPERLINK(\"\"http://x\"\")\","),
        "{}",
        lines[1]
    );
    assert!(lines[1].contains(",restricted_vendor,"), "{}", lines[1]);
    assert!(
        lines[1].contains("mac_oui: BC:5E:33:00:11:22 -> "),
        "{}",
        lines[1]
    );
    assert!(lines[3].contains(",no_signal_found,"), "{}", lines[3]);
}

#[test]
fn the_html_report_escapes_device_text_and_names_the_rules() {
    let inv = inventory();
    let html = write_html(&inv);
    assert!(!html.contains("<script>"), "device text must be escaped");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("Depot &lt;main&gt;"));
    assert!(html.contains(&format!("Rules version {}", inv.rules_version)));
    assert!(html.contains("Generated 2027-01-15T08:00:00Z UTC"));
    assert!(html.contains("Restricted vendor"));
    assert!(html.contains("not legal advice"));
    assert!(html.contains("reported OUI BC:5E:33 of Hikvision"));
}
