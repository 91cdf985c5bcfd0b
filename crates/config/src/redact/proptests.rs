//! Property test of redaction: passwords drawn from all printable ASCII (space, quotes,
//! backtick, `<`, `>`, `@`, `:`, `/`, `%`, `#`, `?` …) and non-ASCII letters, put into
//! a source URL the ways a user writes one, then through every path of this crate that
//! reports a source: [`redact`], source errors, site-file errors and the camera list's
//! text. No 3-character piece of the password may appear.
//!
//! Must not: touch anything but temporary text; the paths outside this crate (logs,
//! tile reasons, `check-config`, `vigil doctor`) are tested in the `vigil` package.

use std::path::Path;

use proptest::prelude::*;

use super::*;
use crate::load::parse_site;
use crate::site::CameraConfig;

/// A password: printable ASCII, extra weight on URL and quoting characters, and
/// non-ASCII letters.
fn password() -> impl Strategy<Value = String> {
    let ascii = (0x20u8..=0x7e).prop_map(char::from);
    let special = prop::sample::select(" \"'`<>@:/%#?\\&=+;,![]".chars().collect::<Vec<_>>());
    let letters = prop::sample::select(vec!['é', 'ß', 'ж', '中', 'ü', 'Ø', 'ñ']);
    prop::collection::vec(prop_oneof![4 => ascii, 3 => special, 2 => letters], 3..20)
        .prop_map(String::from_iter)
}

/// Percent-encodes as RFC 3986 requires and no more: unreserved characters,
/// sub-delimiters and `:` stay as they are (so `'`, `&`, `;`, `=` … appear raw).
fn encode_minimal(password: &str) -> String {
    let mut out = String::new();
    for c in password.chars() {
        if c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:".contains(c) {
            out.push(c);
        } else {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// The ways a password is written into a URL: everything but unreserved characters
/// encoded (what Vigil builds for FFmpeg), and only what RFC 3986 requires.
fn written_forms(password: &str) -> [String; 2] {
    [percent_encode_userinfo(password), encode_minimal(password)]
}

/// The 3-character pieces of `password` found in `out` but not in `baseline` (the same
/// path's output for a password of ones as long as the written one, so fixed message
/// text such as "password", the host name or a column number does not count).
fn leaks(out: &str, baseline: &str, password: &str) -> Vec<String> {
    let chars: Vec<char> = password.chars().collect();
    chars
        .windows(3)
        .map(String::from_iter)
        .filter(|w| out.contains(w.as_str()) && !baseline.contains(w.as_str()))
        .collect()
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Invalid site files that hold the source, each refused for another reason.
fn invalid_sites(url: &str, bare: &str) -> Vec<String> {
    let head = "schema_version = 1\n\n[[cameras]]\nid = \"lobby\"\nname = \"Lobby\"\n";
    vec![
        // Credentials in the URL.
        format!("{head}source = {}\n", toml_str(url)),
        // A bad port after the credentials.
        format!(
            "{head}source = {}\n",
            toml_str(&url.replace("cam.example", "cam.example:99999"))
        ),
        // A TOML syntax error on the source's line.
        format!("{head}source = {} x\n", toml_str(url)),
        // The URL where an id goes.
        format!(
            "schema_version = 1\n\n[[cameras]]\nid = {}\nname = \"L\"\nsource = \"a.mp4\"\n",
            toml_str(url)
        ),
        // A sub-stream's source.
        format!(
            "{head}source = \"rtsp://cam.example/main\"\n[[cameras.substreams]]\nname = \"sub\"\nsource = {}\n",
            toml_str(url)
        ),
        // No `//` after the scheme.
        format!("{head}source = {}\n", toml_str(bare)),
        // A wrong type, holding the URL.
        format!("{head}source = [{}]\n", toml_str(url)),
    ]
}

/// Everything this crate reports about a source holding `written` as its password.
fn reports(written: &str) -> Vec<String> {
    let url = format!("rtsp://admin:{written}@cam.example/Streaming/101");
    let bare = format!("rtsp:admin:{written}@cam.example/Streaming/101");
    let mut out = vec![
        redact(&format!("open {url} failed")),
        redact(&format!("[rtsp @ 0x5] Opening '{url}' for reading\n")),
        CameraConfig::new("lobby", "Lobby", url.clone()).shown_source(),
        CameraConfig::new("lobby", "Lobby", bare.clone()).shown_source(),
    ];
    for source in [&url, &bare, &url.replace("cam.example", "cam.example:0")] {
        if let Err(err) = parse_source_with_credentials(source) {
            out.push(format!("{err} {err:?}"));
        }
    }
    for text in invalid_sites(&url, &bare) {
        match parse_site(Path::new("/etc/vigil/site.toml"), &text) {
            Ok(_) => out.push(format!("LOADED (should not): {text}")),
            Err(err) => out.push(format!("{err} {err:?}")),
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_piece_of_any_password_is_reported(password in password()) {
        for (form, written) in written_forms(&password).iter().enumerate() {
            // The same length, so positions (line:column, byte offsets) match.
            let baseline = reports(&"1".repeat(written.len()));
            for (path, (out, base)) in reports(written).iter().zip(&baseline).enumerate() {
                let leaked = leaks(out, base, &password);
                prop_assert!(
                    leaked.is_empty(),
                    "form {form}, path {path}: {leaked:?} of {password:?} in {out:?}"
                );
            }
        }
    }

    /// Unencoded, as pasted by someone who does not know percent-encoding: redaction
    /// still hides everything between `://` and the host.
    #[test]
    fn unencoded_passwords_are_hidden(password in password()) {
        prop_assume!(!password.contains('\n'));
        // Each form with where its scheme ends: found in the text before the
        // password, since the password itself may hold `://`.
        for (text, scheme_end) in [
            (format!("open rtsp://admin:{password}@cam.example/s failed"), "open rtsp://".len()),
            (
                format!("Opening 'rtsps://admin:{password}@cam.example:322/s' for reading"),
                "Opening 'rtsps://".len(),
            ),
            (format!("bad source `rtsp:admin:{password}@cam.example`"), "bad source `rtsp:".len()),
        ] {
            let out = redact(&text);
            let at = text.rfind('@').expect("an @");
            let expected = format!("{}***{}", &text[..scheme_end], &text[at..]);
            prop_assert_eq!(out, expected);
        }
    }
}
