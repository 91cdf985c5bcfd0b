//! FFmpeg's own log, raised to `trace`, goes through redaction into `tracing`: opening
//! URLs with a password (a closed port on loopback, an RTSP server that asks for Basic
//! authentication, an http URL FFmpeg announces as "Opening '…'") never shows it.
//!
//! Its own test binary: it installs a global subscriber and FFmpeg's global callback.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use tracing_subscriber::fmt::MakeWriter;
use vigil_config::redact::{Credentials, SourceSpec, parse_source};

/// Unlike anything FFmpeg prints itself, so that any 3-character piece found is a leak.
const PASSWORD: &str = "Zq9 Xw@:/%#?\"éJk";
/// What FFmpeg's Basic authentication sends for admin:PASSWORD, base64-encoded.
fn basic_token() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = format!("admin:{PASSWORD}").into_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, b| acc << 8 | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("capture").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn ffmpeg_url(source: &str) -> String {
    let SourceSpec::Network(url) = parse_source(source).expect("source") else {
        panic!("network source")
    };
    url.to_ffmpeg_url(Some(&Credentials {
        username: "admin".into(),
        password: PASSWORD.into(),
    }))
}

/// A server that answers every RTSP request with 401 and a Basic challenge, so FFmpeg
/// retries with an `Authorization: Basic …` header (which it logs at debug level).
fn rtsp_asking_for_basic_auth() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::Builder::new()
        .name("fake-rtsp".into())
        .spawn(move || {
            for stream in listener.incoming().take(4) {
                let Ok(stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut writer = stream;
                for _ in 0..4 {
                    let mut cseq = String::from("1");
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if let Some(v) = line.strip_prefix("CSeq:") {
                            cseq = v.trim().to_string();
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let reply = format!(
                        "RTSP/1.0 401 Unauthorized\r\nCSeq: {cseq}\r\nWWW-Authenticate: Basic realm=\"cam\"\r\n\r\n"
                    );
                    if writer.write_all(reply.as_bytes()).is_err() {
                        break;
                    }
                }
            }
        })
        .expect("spawn");
    port
}

#[test]
fn ffmpeg_log_lines_are_redacted() {
    let capture = Capture::default();
    tracing_subscriber::fmt()
        .with_writer(capture.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .init();
    vigil_media::ffmpeg_log::init_with_level(ffmpeg_next::util::log::Level::Trace);

    let closed_port = TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed = closed_port.local_addr().expect("addr").port();
    drop(closed_port);
    let basic = rtsp_asking_for_basic_auth();
    for url in [
        ffmpeg_url(&format!("rtsp://127.0.0.1:{closed}/Streaming/101")),
        ffmpeg_url(&format!("rtsp://127.0.0.1:{basic}/Streaming/101")),
        // Not a source Vigil accepts, but FFmpeg announces it with its password.
        ffmpeg_url(&format!("rtsp://127.0.0.1:{closed}/x")).replacen("rtsp", "http", 1),
    ] {
        let result = ffmpeg_next::format::input(&url);
        assert!(result.is_err(), "nothing serves {url:?}");
    }

    let text = String::from_utf8_lossy(&capture.0.lock().expect("capture")).into_owned();
    assert!(
        text.contains("ffmpeg") && text.contains("Connection refused"),
        "FFmpeg's lines reach tracing: {text}"
    );
    assert!(text.contains("Opening 'http://***@127.0.0.1"), "{text}");
    assert!(text.contains("Authorization: ***"), "{text}");
    let chars: Vec<char> = PASSWORD.chars().collect();
    for piece in chars.windows(3).map(String::from_iter) {
        assert!(
            !text.contains(&piece),
            "{piece:?} of the password in: {text}"
        );
    }
    assert!(
        !text.contains(&basic_token()[..12]),
        "Basic token in: {text}"
    );
    let encoded = ffmpeg_url("rtsp://h/x");
    let encoded = &encoded["rtsp://admin:".len()..encoded.find("@h").expect("@")];
    assert!(!text.contains(encoded), "encoded password in: {text}");
}
