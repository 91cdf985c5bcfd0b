//! Property test of redaction over the `vigil` package's paths: passwords drawn from
//! all printable ASCII (space, quotes, backtick, `<`, `>`, `@`, `:`, `/`, `%`, `#`, `?`
//! …) and non-ASCII letters, written into a camera's source URL, then through
//! `check-config`'s report, log lines (the real logging layer, captured), and the
//! reasons a wall tile and the camera list show (a headless `Core`). `vigil doctor` is
//! tested the same way in `doctor/tests.rs`; the config crate's own paths (site-file
//! errors, source errors, the camera list's source) in `vigil-config`; passwords from
//! the credential store and the environment in `tests/redaction_store.rs`.
//!
//! Owns: the password strategy and the leak check the package's property tests share.
//! Must not: reach the network (every source here fails before connecting).

use std::path::Path;
use std::sync::{Arc, Mutex};

use proptest::prelude::*;
use tracing_subscriber::layer::SubscriberExt as _;
use vigil_config::redact::{Credentials, SourceSpec, parse_source};
use vigil_config::{CameraConfig, CredentialStore, Site};
use vigil_core::{Core, CoreOptions, TileContent, Viewport};

/// A password: printable ASCII, extra weight on URL and quoting characters, and
/// non-ASCII letters.
pub(crate) fn password() -> impl Strategy<Value = String> {
    let ascii = (0x20u8..=0x7e).prop_map(char::from);
    let special = prop::sample::select(" \"'`<>@:/%#?\\&=+;,![]".chars().collect::<Vec<_>>());
    let letters = prop::sample::select(vec!['é', 'ß', 'ж', '中', 'ü', 'Ø', 'ñ']);
    prop::collection::vec(prop_oneof![4 => ascii, 3 => special, 2 => letters], 3..20)
        .prop_map(String::from_iter)
}

/// The userinfo-safe forms a password is written in: everything but RFC 3986's
/// unreserved characters percent-encoded (what Vigil hands FFmpeg), and only what
/// RFC 3986 requires (sub-delimiters such as `'`, `&`, `;` and `:` left raw).
pub(crate) fn written_forms(password: &str) -> [String; 2] {
    let SourceSpec::Network(url) = parse_source("rtsp://h").expect("url") else {
        unreachable!("rtsp://h is a network source")
    };
    let full = url.to_ffmpeg_url(Some(&Credentials {
        username: String::new(),
        password: password.to_owned(),
    }));
    let full = full["rtsp://:".len()..full.len() - "@h".len()].to_owned();
    let mut minimal = String::new();
    for c in password.chars() {
        if c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:".contains(c) {
            minimal.push(c);
        } else {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                minimal.push_str(&format!("%{b:02X}"));
            }
        }
    }
    [full, minimal]
}

/// The 3-character pieces of `password` in `out` but not in `baseline` (the same path's
/// output for a password of ones as long as the written one, so fixed text, host
/// names, temporary paths and column numbers do not count).
pub(crate) fn leaks(out: &str, baseline: &str, password: &str) -> Vec<String> {
    let chars: Vec<char> = password.chars().collect();
    chars
        .windows(3)
        .map(String::from_iter)
        .filter(|w| out.contains(w.as_str()) && !baseline.contains(w.as_str()))
        .collect()
}

/// A site file that does not load because its camera's source holds a password.
pub(crate) fn site_file_text(written: &str) -> String {
    format!(
        "schema_version = 1\n\n[[cameras]]\nid = \"lobby\"\nname = \"Lobby\"\nsource = \"rtsp://admin:{written}@cam.example/Streaming/101\"\n\n[[cameras]]\nid = \"gate\"\nname = \"Gate\"\nsource = \"rtsp://admin:{written}@cam.example:99999/s\"\n"
    )
}

/// Checks every path's output against its baseline.
pub(crate) fn check_paths(
    password: &str,
    reports: impl Fn(&str) -> Vec<String>,
) -> Result<(), TestCaseError> {
    for (form, written) in written_forms(password).iter().enumerate() {
        let baseline = reports(&"1".repeat(written.len()));
        let outs = reports(written);
        prop_assert_eq!(outs.len(), baseline.len());
        for (path, (out, base)) in outs.iter().zip(&baseline).enumerate() {
            let leaked = leaks(out, base, password);
            prop_assert!(
                leaked.is_empty(),
                "form {}, path {}: {:?} of {:?} in {:?}",
                form,
                path,
                leaked,
                password,
                out
            );
        }
    }
    Ok(())
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// `vigil check-config` on a site file holding the password.
fn check_config_output(dir: &Path, written: &str) -> String {
    let path = dir.join("site.toml");
    std::fs::write(&path, site_file_text(written)).expect("write site file");
    let (text, ok) = crate::check_config::report(&path);
    assert!(!ok, "the site file must not load");
    text
}

/// Log lines as the real logging layer writes them: careless lines quoting the URL
/// in every way, and the site file's load error as `main` logs it.
fn log_output(dir: &Path, written: &str) -> String {
    let url = format!("rtsp://admin:{written}@cam.example/Streaming/101");
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(crate::logging::layer(capture.clone()));
    let load_error = vigil_config::load_site(&{
        let path = dir.join("site.toml");
        std::fs::write(&path, site_file_text(written)).expect("write site file");
        path
    })
    .expect_err("must not load");
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("ingest", camera = "Lobby", source = %url);
        let _entered = span.enter();
        tracing::error!("cannot open {url}");
        tracing::warn!(source = %url, "camera failed");
        tracing::info!("Opening '{url}' for reading");
        tracing::error!(err = %load_error, "site file not loaded");
        tracing::error!(?url, "debug-formatted");
    });
    let bytes = capture.0.lock().expect("capture").clone();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// What a wall tile and the camera list say about a camera whose source holds the
/// password and a port out of range (so it fails before any connection).
fn tile_and_list_output(dir: &Path, written: &str) -> Vec<String> {
    let url = format!("rtsp://admin:{written}@cam.example:99999/Streaming/101");
    let camera = CameraConfig::new("lobby", "Lobby", url);
    let mut site = Site::empty();
    site.cameras.push(camera.clone());
    site.wall.layout = "1x1".into();
    site.wall.assignment = vec![Some("lobby".into())];
    // The store's own passwords are tested in tests/redaction_store.rs.
    let store = CredentialStore::new(&dir.join("credentials.toml"));
    let mut core = Core::new(
        site,
        store,
        CoreOptions {
            snapshot_dir: dir.join("snapshots"),
            site_path: None,
            storage: None,
            demo_history_hours: None,
            clock: vigil_time::real_clock(),
        },
        Arc::new(|| {}),
    );
    core.set_viewport(Viewport {
        width_points: 640.0,
        height_points: 360.0,
        pixels_per_point: 1.0,
    });
    core.step();
    let view = core.view();
    let mut out = vec![
        camera.shown_source(),
        core.camera_state("lobby").describe(view.now),
    ];
    for tile in &view.tiles {
        if let TileContent::Live(live) = &tile.content {
            out.push(live.state.describe(view.now));
            out.push(format!("{:?}", live.state.reason()));
        }
    }
    assert!(
        out.iter().any(|o| o.contains("port 99999 out of range")),
        "the tile must give the reason: {out:?}"
    );
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn no_piece_of_any_password_reaches_check_config_logs_tiles_or_the_list(
        password in password()
    ) {
        let tmp = tempfile::tempdir().expect("tempdir");
        check_paths(&password, |written| {
            let mut out = vec![
                check_config_output(tmp.path(), written),
                log_output(tmp.path(), written),
            ];
            out.extend(tile_and_list_output(tmp.path(), written));
            out
        })?;
    }
}
