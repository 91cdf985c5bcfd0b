//! `vigil archive record` and `vigil bench live` take camera credentials from
//! `credentials.toml` or `VIGIL_CAMERA_<ID>_PASSWORD`, never from the command line: a
//! URL with a password is refused with advice. The real binary, against a small RTSP
//! server on loopback that asks for Basic authentication and keeps what it is sent.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

const PASSWORD: &str = "Zq9 pä:ss@w/rd";

/// Runs the built `vigil` with its config and data directories in `home`.
fn vigil(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vigil"));
    cmd.args(args)
        .env("VIGIL_CONFIG_DIR", home.join("config"))
        .env("VIGIL_DATA_DIR", home.join("data"))
        .env_remove("VIGIL_CAMERA_LOBBY_PASSWORD")
        .env_remove("VIGIL_CAMERA_CAM1_PASSWORD")
        .env_remove("VIGIL_CAMERA_INPUT1_PASSWORD")
        .env_remove("RUST_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run vigil")
}

fn all_output(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, b| acc << 8 | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
        out.push_str(&"=".repeat(3 - chunk.len()));
    }
    out
}

/// An RTSP server that answers 401 with a Basic challenge to every request and keeps
/// each `Authorization` header it receives.
fn rtsp_asking_for_basic_auth() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let kept = Arc::clone(&seen);
    std::thread::Builder::new()
        .name("fake-rtsp".into())
        .spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let Ok(read_half) = stream.try_clone() else { continue };
                let mut reader = BufReader::new(read_half);
                let mut writer = stream;
                'requests: loop {
                    let mut cseq = String::from("1");
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            break 'requests;
                        }
                        if let Some(v) = line.strip_prefix("CSeq:") {
                            cseq = v.trim().to_string();
                        }
                        if let Some(v) = line.strip_prefix("Authorization:") {
                            kept.lock().expect("seen").push(v.trim().to_string());
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
    (port, seen)
}

fn encoded_password() -> String {
    let mut out = String::new();
    for b in PASSWORD.bytes() {
        if b.is_ascii_alphanumeric() {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[test]
fn a_password_on_the_command_line_is_refused_with_advice() {
    let home = tempfile::tempdir().expect("tempdir");
    let url = format!("rtsp://admin:{}@127.0.0.1:9/s", encoded_password());
    let storage = home.path().join("rec");
    let storage = storage.to_str().expect("utf-8");
    for (args, var) in [
        (
            vec![
                "archive",
                "record",
                "--input",
                &url,
                "--storage",
                storage,
                "--seconds",
                "1",
            ],
            "VIGIL_CAMERA_CAM1_PASSWORD",
        ),
        (
            vec!["bench", "live", "--input", &url, "--seconds", "1"],
            "VIGIL_CAMERA_INPUT1_PASSWORD",
        ),
    ] {
        let out = vigil(home.path(), &args, &[]);
        let text = all_output(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {text}");
        assert!(text.contains("holds a password"), "{text}");
        assert!(text.contains(var), "advice names {var}: {text}");
        assert!(text.contains("credentials.toml"), "{text}");
        assert!(
            !text.contains(&encoded_password()) && !text.contains("Zq9"),
            "{text}"
        );
    }
}

#[test]
fn credentials_come_from_the_environment_or_credentials_toml() {
    let home = tempfile::tempdir().expect("tempdir");
    let config = home.path().join("config");
    std::fs::create_dir_all(&config).expect("mkdir");
    let expected = format!("Basic {}", base64(format!("admin:{PASSWORD}").as_bytes()));
    let storage = home.path().join("rec");
    let storage = storage.to_str().expect("utf-8");

    // The user name from credentials.toml, the password from the environment.
    let store = config.join("credentials.toml");
    std::fs::write(
        &store,
        "[cameras.lobby]\nusername = \"admin\"\npassword = \"not this one\"\n",
    )
    .expect("write");
    std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let (port, seen) = rtsp_asking_for_basic_auth();
    let url = format!("rtsp://127.0.0.1:{port}/s");
    let out = vigil(
        home.path(),
        &[
            "archive",
            "record",
            "--input",
            &url,
            "--camera-id",
            "lobby",
            "--storage",
            storage,
            "--seconds",
            "2",
        ],
        &[("VIGIL_CAMERA_LOBBY_PASSWORD", PASSWORD)],
    );
    let text = all_output(&out);
    assert!(
        seen.lock().expect("seen").contains(&expected),
        "archive record sent {:?}; {text}",
        seen.lock().expect("seen")
    );
    assert!(!text.contains("Zq9"), "{text}");

    // Both from credentials.toml, for bench live's first input.
    std::fs::write(
        &store,
        format!("[cameras.input1]\nusername = \"admin\"\npassword = \"{PASSWORD}\"\n"),
    )
    .expect("write");
    let (port, seen) = rtsp_asking_for_basic_auth();
    let url = format!("rtsp://127.0.0.1:{port}/s");
    let out = vigil(
        home.path(),
        &["bench", "live", "--input", &url, "--seconds", "2"],
        &[],
    );
    let text = all_output(&out);
    assert!(
        seen.lock().expect("seen").contains(&expected),
        "bench live sent {:?}; {text}",
        seen.lock().expect("seen")
    );
    assert!(!text.contains("Zq9"), "{text}");
}
