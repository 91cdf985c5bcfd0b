//! `vigil compliance classify` and `vigil compliance report` as a user runs them: the
//! real binary, its config directory in a temporary folder, a user rules file replacing
//! the built-in one, and a banner read from a web server this test runs on loopback.

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};

fn vigil(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .env("VIGIL_CONFIG_DIR", home.join("config"))
        .env("VIGIL_DATA_DIR", home.join("data"))
        .output()
        .expect("run vigil")
}

fn json(out: &Output) -> serde_json::Value {
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

#[test]
fn classify_prints_status_and_evidence_as_json() {
    let home = tempfile::tempdir().expect("tempdir");
    // A Hikvision OUI under another maker's name, written with dashes in lower case.
    let v = json(&vigil(
        home.path(),
        &[
            "compliance",
            "classify",
            "--manufacturer",
            "Axis",
            "--mac",
            "0c-75-d2-aa-bb-cc",
        ],
    ));
    assert_eq!(v["status"], "restricted_vendor", "{v}");
    let evidence = v["evidence"].as_array().expect("evidence list");
    let oui = evidence
        .iter()
        .find(|e| e["source"] == "mac_oui")
        .expect("OUI evidence");
    assert_eq!(oui["value"], "0C:75:D2:AA:BB:CC");
    assert_eq!(oui["entity"], "Hikvision");
    assert!(
        oui["rule_source"]
            .as_str()
            .is_some_and(|s| s.starts_with("https://"))
    );
    assert!(evidence.iter().any(|e| e["source"] == "onvif_manufacturer"));

    let v = json(&vigil(
        home.path(),
        &[
            "compliance",
            "classify",
            "--manufacturer",
            "Lorex",
            "--mac",
            "",
        ],
    ));
    assert_eq!(v["status"], "possible_relabel", "{v}");

    let v = json(&vigil(home.path(), &["compliance", "classify"]));
    assert_eq!(v["status"], "unknown", "{v}");
    assert_eq!(v["evidence"], serde_json::json!([]));

    let v = json(&vigil(
        home.path(),
        &["compliance", "classify", "--mac", "52:54:00:12:34:56"],
    ));
    assert_eq!(v["status"], "unknown", "{v}");

    let v = json(&vigil(
        home.path(),
        &[
            "compliance",
            "classify",
            "--manufacturer",
            "AXIS",
            "--mac",
            "00408CAABBCC",
        ],
    ));
    assert_eq!(v["status"], "no_signal_found", "{v}");
}

#[test]
fn a_malformed_mac_is_a_usage_error_that_says_what_and_where() {
    let home = tempfile::tempdir().expect("tempdir");
    let out = vigil(
        home.path(),
        &["compliance", "classify", "--mac", "0C:75:D2:AA:BB:XY"],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty(), "no JSON on an error");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--mac"), "{err}");
    assert!(err.contains("0C:75:D2:AA:BB:XY"), "{err}");
    assert!(err.contains("character 16 ('X')"), "{err}");
}

const USER_RULES: &str = r#"version = "user-1"
date = "2026-11-30"

[[entity]]
name = "Examplecam"
names = ["Examplecam"]
source = "https://example.org/rules"
date = "2026-11-30"

[[entity.oui]]
prefix = "00:40:8C"
status = "reported"
source = "https://example.org/oui"
date = "2026-11-30"

[[entity.banner]]
pattern = "Example-Webs"
source = "https://example.org/banner"
date = "2026-11-30"
"#;

#[test]
fn a_user_rules_file_replaces_the_built_in_one_without_rebuilding() {
    let home = tempfile::tempdir().expect("tempdir");
    let config = home.path().join("config");
    std::fs::create_dir_all(&config).expect("config dir");
    std::fs::write(config.join("restricted-vendors.toml"), USER_RULES).expect("rules");
    let v = json(&vigil(
        home.path(),
        &["compliance", "classify", "--mac", "00:40:8C:00:00:01"],
    ));
    assert_eq!(v["status"], "restricted_vendor", "{v}");
    assert_eq!(v["evidence"][0]["entity"], "Examplecam");
    // The built-in Hikvision OUIs are gone with the built-in file.
    let v = json(&vigil(
        home.path(),
        &["compliance", "classify", "--mac", "0C:75:D2:00:00:01"],
    ));
    assert_eq!(v["status"], "no_signal_found", "{v}");

    // --rules wins over the config directory; a broken file is an error with its place.
    let broken = home.path().join("broken.toml");
    std::fs::write(&broken, USER_RULES.replace("status = ", "sttus = ")).expect("write");
    let out = vigil(
        home.path(),
        &[
            "compliance",
            "classify",
            "--rules",
            broken.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.toml:12:1"), "{err}");
    assert!(err.contains("sttus"), "{err}");
}

/// A web server on loopback that answers every request with `Server: App-webs/`
/// (Hikvision's firmware banner), until `count` requests are served.
fn app_webs_server(count: usize) -> (u16, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let handle = std::thread::Builder::new()
        .name("test-app-webs".into())
        .spawn(move || {
            let mut requests = Vec::new();
            for _ in 0..count {
                let (mut conn, _) = listener.accept().expect("accept");
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = conn.read(&mut buf).expect("read");
                    if n == 0 {
                        break;
                    }
                    request.extend_from_slice(&buf[..n]);
                }
                conn.write_all(
                    b"HTTP/1.1 401 Unauthorized\r\nServer: App-webs/\r\nContent-Length: 0\r\n\r\n",
                )
                .expect("answer");
                requests.push(String::from_utf8_lossy(&request).into_owned());
            }
            requests
        })
        .expect("spawn");
    (port, handle)
}

#[test]
fn report_writes_csv_and_html_and_reads_the_banner_when_asked() {
    let home = tempfile::tempdir().expect("tempdir");
    let (port, server) = app_webs_server(1);
    let site = home.path().join("site.toml");
    std::fs::write(
        &site,
        format!(
            r#"schema_version = 1
name = "Depot"

[[cameras]]
id = "gate"
name = "Gate"
source = "rtsp://127.0.0.1:1/stream"

[cameras.device]
onvif = "127.0.0.1:{port}"
manufacturer = "=cmd|' /C calc'!A0"
model = "<b>X</b>"
"#
        ),
    )
    .expect("site");
    let csv = home.path().join("inventory.csv");
    let html = home.path().join("inventory.html");
    let arg = |p: &Path| p.to_str().expect("utf-8").to_owned();
    let (site_arg, csv_arg, html_arg) = (arg(&site), arg(&csv), arg(&html));

    // Without --banner nothing is contacted: no MAC, an unknown name: "unknown".
    let out = vigil(
        home.path(),
        &[
            "compliance",
            "report",
            "--site",
            &site_arg,
            "--csv",
            &csv_arg,
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = std::fs::read_to_string(&csv).expect("csv");
    assert!(text.contains(",unknown,"), "{text}");
    assert!(
        text.contains(",'=cmd|' /C calc'!A0,"),
        "formula neutralised: {text}"
    );

    let out = vigil(
        home.path(),
        &[
            "compliance",
            "report",
            "--site",
            &site_arg,
            "--csv",
            &csv_arg,
            "--html",
            &html_arg,
            "--banner",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let requests = server.join().expect("server");
    assert!(
        requests[0].starts_with("GET / HTTP/1.1\r\n"),
        "{requests:?}"
    );
    let text = std::fs::read_to_string(&csv).expect("csv");
    assert!(text.contains(",restricted_vendor,"), "{text}");
    assert!(text.contains("http_banner: Server: App-webs/"), "{text}");
    let page = std::fs::read_to_string(&html).expect("html");
    assert!(page.contains("Restricted vendor"), "{page}");
    assert!(page.contains("&lt;b&gt;X&lt;/b&gt;"), "device text escaped");
    assert!(!page.contains("<b>X</b>"));
    assert!(page.contains("Rules version "), "{page}");
}
