//! A simulated ONVIF device for tests: an HTTP/1.1 server on 127.0.0.1 (a std
//! `TcpListener` on a named thread, a named thread per connection) that answers each
//! SOAP action with the real-format response in `../fixtures/`, with the device's
//! addresses rewritten to its own. It checks authentication as a device does: the
//! WS-Security UsernameToken digest against its password and its `Created` against its
//! own clock (±5 s, so a client that ignores the clock offset fails), or HTTP Digest
//! (RFC 7616, MD5) when configured; a wrong password gets the NotAuthorized fault or a
//! 401. Every request is recorded for the test to look at. Overrides let a test send
//! hostile answers.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use base64::Engine as _;
use chrono::{Datelike, SecondsFormat, TimeDelta, Timelike, Utc};

/// How the device authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// WS-Security UsernameToken with a password digest (GetSystemDateAndTime open).
    WsSecurity,
    /// HTTP Digest on every request.
    HttpDigest,
    /// Nothing checked.
    None,
}

/// A canned answer for one action.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 with this body.
    Body(Vec<u8>),
    /// This status and body.
    Status(u16, Vec<u8>),
    /// Read the request and never answer (the connection stays open until the client
    /// gives up).
    Hang,
    /// Answer 200 with a long body one byte every 50 ms (until the client gives up).
    Drip,
}

/// What the device is like.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub user: String,
    pub password: String,
    pub auth: Auth,
    /// The device's clock minus the real one.
    pub clock_offset_secs: i64,
    /// Three profiles (main, sub, mjpeg) instead of the single one of the capture.
    pub three_profiles: bool,
    /// Stream URIs carry `user:password@`, as some firmware does.
    pub uri_credentials: bool,
    /// GetServices answers with a fault (older firmware): clients use GetCapabilities.
    pub no_get_services: bool,
    /// GetSystemDateAndTime needs the WS-Security header too (some firmware).
    pub clock_needs_auth: bool,
    /// Offer Media2 at `/onvif/media2` (answered with the hand-written media2.* files).
    pub media2: bool,
    /// Answers that replace the fixtures, by action (local name of the body element).
    pub overrides: Vec<(String, Reply)>,
    /// Presets kept by the device: GetPresets lists [`SIM_PRESETS`] and what SetPreset
    /// added since; GotoPreset of an unknown token is a fault.
    pub stateful_presets: bool,
}

/// The presets a device with `stateful_presets` starts with (token, name).
pub const SIM_PRESETS: [(&str, &str); 2] = [("1", "Gate"), ("2", "Car park")];

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            user: "admin".into(),
            password: "9999".into(),
            auth: Auth::WsSecurity,
            clock_offset_secs: 0,
            three_profiles: true,
            uri_credentials: false,
            no_get_services: false,
            media2: false,
            clock_needs_auth: false,
            overrides: Vec::new(),
            stateful_presets: false,
        }
    }
}

/// One request the device received.
#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    pub action: String,
    pub body: String,
    pub authorization: Option<String>,
    /// Whether it passed the authentication check.
    pub authenticated: bool,
}

/// A running simulated device; stops when dropped.
pub struct Sim {
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

const DEVICE_HOST: &str = "192.168.68.111";
const DIGEST_REALM: &str = "vigil-sim";
const DIGEST_NONCE: &str = "dcd98b7102dd2f0e8b11d0f600bfb0c093";

fn fixture(path: &str, action: &str, config: &SimConfig) -> Option<&'static str> {
    if config.media2 && path == "/onvif/media2" {
        return Some(match action {
            "GetProfiles" => include_str!("../fixtures/media2.GetProfiles.xml"),
            "GetStreamUri" => include_str!("../fixtures/media2.GetStreamUri.xml"),
            "GetSnapshotUri" => include_str!("../fixtures/media2.GetSnapshotUri.xml"),
            _ => return None,
        });
    }
    Some(match action {
        "GetSystemDateAndTime" => include_str!("../fixtures/GetSystemDateAndTime.xml"),
        "GetDeviceInformation" => include_str!("../fixtures/GetDeviceInformation.xml"),
        "GetNetworkInterfaces" => include_str!("../fixtures/device.GetNetworkInterfaces.xml"),
        "GetServices" if config.no_get_services => include_str!("../fixtures/Error.xml"),
        "GetServices" => include_str!("../fixtures/GetServices.xml"),
        "GetCapabilities" => include_str!("../fixtures/GetCapabilities.xml"),
        "GetProfiles" if config.three_profiles => include_str!("../fixtures/GetProfiles.three.xml"),
        "GetProfiles" => include_str!("../fixtures/GetProfiles.xml"),
        "GetStreamUri" => include_str!("../fixtures/GetStreamUri.xml"),
        "GetSnapshotUri" => include_str!("../fixtures/GetSnapshotUri.xml"),
        "ContinuousMove" => include_str!("../fixtures/ptz.ContinuousMove.xml"),
        "Stop" => include_str!("../fixtures/ptz.Stop.xml"),
        "GetPresets" => include_str!("../fixtures/ptz.GetPresets.xml"),
        "GotoPreset" => include_str!("../fixtures/ptz.GotoPreset.xml"),
        "SetPreset" => include_str!("../fixtures/ptz.SetPreset.xml"),
        "GotoHomePosition" => include_str!("../fixtures/ptz.GotoHomePosition.xml"),
        "CreatePullPointSubscription" => {
            include_str!("../fixtures/events.CreatePullPointSubscription.xml")
        }
        "PullMessages" => include_str!("../fixtures/PullMessages.xml"),
        "Unsubscribe" => include_str!("../fixtures/Unsubscribe.xml"),
        _ => return None,
    })
}

/// The start tags in `xml`: (byte offset of '<', local name, the tag's text).
fn start_tags(xml: &str) -> impl Iterator<Item = (usize, &str, &str)> {
    xml.match_indices('<').filter_map(move |(i, _)| {
        let rest = &xml[i + 1..];
        if rest.starts_with(['/', '?', '!']) {
            return None;
        }
        let tag = &rest[..rest.find('>')?];
        let name = tag.split(|c: char| c.is_whitespace() || c == '/').next()?;
        Some((i, name.rsplit(':').next()?, tag))
    })
}

/// The text of the first element with this local name in `xml` (raw, not unescaped).
pub fn element_text<'a>(xml: &'a str, local: &str) -> Option<&'a str> {
    let (i, _, tag) = start_tags(xml).find(|(_, name, _)| *name == local)?;
    if tag.ends_with('/') {
        return None;
    }
    let content = &xml[i + 1 + tag.len() + 1..];
    Some(content[..content.find('<')?].trim())
}

/// The value of attribute `attr` on the first element with this local name.
pub fn element_attribute<'a>(xml: &'a str, local: &str, attr: &str) -> Option<&'a str> {
    let (_, _, tag) = start_tags(xml).find(|(_, name, _)| *name == local)?;
    let key = format!(" {attr}=\"");
    let j = tag.find(&key)? + key.len();
    Some(&tag[j..j + tag[j..].find('"')?])
}

/// The local name of the first element in the SOAP body.
fn action_of(body: &str) -> String {
    let Some(i) = body.find("Body>") else {
        return String::new();
    };
    let rest = &body[i + 5..];
    let Some(j) = rest.find('<') else {
        return String::new();
    };
    let name: String = rest[j + 1..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '/' && *c != '>')
        .collect();
    name.rsplit(':').next().unwrap_or_default().to_owned()
}

/// Fills the doT template fields and rewrites the device's addresses.
fn render(template: &str, port: u16, device_now: chrono::DateTime<Utc>) -> String {
    let iso = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
    let mut out = String::with_capacity(template.len());
    for line in template.lines() {
        let trimmed = line.trim();
        // Conditional blocks: always shown (deterministic answers).
        if trimmed.starts_with("{{?") && trimmed.ends_with("}}") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.replace("{{=it.hostname}}", "127.0.0.1")
        .replace("{{=it.port}}", &port.to_string())
        .replace("{{=it.pullPointUrl}}", "/onvif/subscription?Idx=7")
        .replace("{{=new Date().toISOString()}}", &iso(device_now))
        .replace(
            "{{=new Date(Date.now()+5000).toISOString()}}",
            &iso(device_now + TimeDelta::seconds(5)),
        )
        .replace(
            &format!("http://{DEVICE_HOST}"),
            &format!("http://127.0.0.1:{port}"),
        )
}

/// Percent-encodes everything but ASCII letters and digits (URI userinfo).
fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn set_number(xml: String, tag: &str, old: &str, new: u32) -> String {
    xml.replace(
        &format!("<tt:{tag}>{old}</tt:{tag}>"),
        &format!("<tt:{tag}>{new}</tt:{tag}>"),
    )
}

struct Context {
    config: SimConfig,
    port: u16,
    requests: Arc<Mutex<Vec<Request>>>,
    /// (token, name) with `stateful_presets`.
    presets: Mutex<Vec<(String, String)>>,
}

impl Context {
    /// GetPresets, SetPreset and GotoPreset against the kept presets.
    fn presets_answer(&self, action: &str, body: &str) -> Option<Reply> {
        let mut presets = self.presets.lock().ok()?;
        let envelope = |inner: String| {
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:tptz="http://www.onvif.org/ver20/ptz/wsdl"><SOAP-ENV:Body>{inner}</SOAP-ENV:Body></SOAP-ENV:Envelope>"#
            )
            .into_bytes()
        };
        Some(match action {
            "GetPresets" => Reply::Body(envelope(format!(
                "<tptz:GetPresetsResponse>{}</tptz:GetPresetsResponse>",
                presets
                    .iter()
                    .map(|(token, name)| format!(
                        r#"<tptz:Preset token="{token}"><tt:Name>{name}</tt:Name></tptz:Preset>"#
                    ))
                    .collect::<String>()
            ))),
            "SetPreset" => {
                let name = element_text(body, "PresetName")
                    .unwrap_or_default()
                    .to_owned();
                let token = format!("{}", presets.len() + 1);
                presets.push((token.clone(), name));
                Reply::Body(envelope(format!(
                    "<tptz:SetPresetResponse><tptz:PresetToken>{token}</tptz:PresetToken></tptz:SetPresetResponse>"
                )))
            }
            "GotoPreset" => {
                let token = element_text(body, "PresetToken").unwrap_or_default();
                if presets.iter().any(|(t, _)| t == token) {
                    return None;
                }
                Reply::Status(
                    500,
                    include_str!("../fixtures/Error.xml").as_bytes().to_vec(),
                )
            }
            _ => return None,
        })
    }

    fn device_now(&self) -> chrono::DateTime<Utc> {
        Utc::now() + TimeDelta::seconds(self.config.clock_offset_secs)
    }

    fn ws_security_ok(&self, body: &str) -> bool {
        let (Some(user), Some(digest), Some(nonce), Some(created)) = (
            element_text(body, "Username"),
            element_text(body, "Password"),
            element_text(body, "Nonce"),
            element_text(body, "Created"),
        ) else {
            return false;
        };
        let Ok(nonce) = base64::engine::general_purpose::STANDARD.decode(nonce) else {
            return false;
        };
        let Ok(created_at) = chrono::DateTime::parse_from_rfc3339(created) else {
            return false;
        };
        let skew = (created_at.with_timezone(&Utc) - self.device_now())
            .num_seconds()
            .abs();
        user == self.config.user
            && skew <= 5
            && vigil_onvif::wsse::password_digest(&nonce, created, &self.config.password) == digest
    }

    fn http_digest_ok(&self, authorization: Option<&str>, path: &str) -> bool {
        use vigil_onvif::http_digest::{Algorithm, authorization_params, hex_hash};
        let Some(params) = authorization.and_then(authorization_params) else {
            return false;
        };
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let (Some(user), Some(uri), Some(response), Some(nc), Some(cnonce)) = (
            get("username"),
            get("uri"),
            get("response"),
            get("nc"),
            get("cnonce"),
        ) else {
            return false;
        };
        let h = |s: String| hex_hash(Algorithm::Md5, &s);
        let ha1 = h(format!("{user}:{DIGEST_REALM}:{}", self.config.password));
        let ha2 = h(format!("POST:{uri}"));
        let expected = h(format!("{ha1}:{DIGEST_NONCE}:{nc}:{cnonce}:auth:{ha2}"));
        user == self.config.user
            && uri == path
            && get("nonce") == Some(DIGEST_NONCE)
            && get("qop") == Some("auth")
            && response == expected
    }

    /// The status, extra headers and body for one request.
    fn answer(&self, path: &str, authorization: Option<&str>, body: &str) -> (Reply, Vec<String>) {
        let action = action_of(body);
        let authenticated = match self.config.auth {
            Auth::None => true,
            Auth::WsSecurity => {
                (action == "GetSystemDateAndTime" && !self.config.clock_needs_auth)
                    || self.ws_security_ok(body)
            }
            Auth::HttpDigest => self.http_digest_ok(authorization, path),
        };
        if let Ok(mut log) = self.requests.lock() {
            log.push(Request {
                path: path.to_owned(),
                action: action.clone(),
                body: body.to_owned(),
                authorization: authorization.map(str::to_owned),
                authenticated,
            });
        }
        if !authenticated {
            return match self.config.auth {
                Auth::HttpDigest => (
                    Reply::Status(401, b"unauthorized".to_vec()),
                    vec![format!(
                        r#"WWW-Authenticate: Digest realm="{DIGEST_REALM}", qop="auth", nonce="{DIGEST_NONCE}", algorithm=MD5"#
                    )],
                ),
                _ => (
                    Reply::Status(
                        400,
                        include_str!("../fixtures/NotAuthorized.xml")
                            .as_bytes()
                            .to_vec(),
                    ),
                    Vec::new(),
                ),
            };
        }
        if let Some((_, reply)) = self.config.overrides.iter().find(|(a, _)| *a == action) {
            return (reply.clone(), Vec::new());
        }
        if self.config.stateful_presets
            && let Some(reply) = self.presets_answer(&action, body)
        {
            return (reply, Vec::new());
        }
        let Some(template) = fixture(path, &action, &self.config) else {
            return (
                Reply::Status(
                    500,
                    include_str!("../fixtures/Error.xml").as_bytes().to_vec(),
                ),
                Vec::new(),
            );
        };
        let now = self.device_now();
        let mut xml = render(template, self.port, now);
        if action == "GetServices" && self.config.no_get_services {
            return (Reply::Status(500, xml.into_bytes()), Vec::new());
        }
        if action == "GetServices" && self.config.media2 {
            let media2 = format!(
                "<tds:Service><tds:Namespace>http://www.onvif.org/ver20/media/wsdl</tds:Namespace><tds:XAddr>http://127.0.0.1:{}/onvif/media2</tds:XAddr><tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service></tds:GetServicesResponse>",
                self.port
            );
            xml = xml.replace("</tds:GetServicesResponse>", &media2);
        }
        if action == "GetSystemDateAndTime" {
            xml = set_number(xml, "Hour", "19", now.hour());
            xml = set_number(xml, "Minute", "14", now.minute());
            xml = set_number(xml, "Second", "37", now.second());
            xml = set_number(xml, "Year", "2014", now.year() as u32);
            xml = set_number(xml, "Month", "12", now.month());
            xml = set_number(xml, "Day", "24", now.day());
        }
        if action == "GetStreamUri" {
            let token = element_text(body, "ProfileToken").unwrap_or("none");
            let credentials = if self.config.uri_credentials {
                format!(
                    "{}:{}@",
                    percent(&self.config.user),
                    percent(&self.config.password)
                )
            } else {
                String::new()
            };
            xml = xml.replace(
                &format!("rtsp://{DEVICE_HOST}/h264main"),
                &format!("rtsp://{credentials}127.0.0.1:8554/{token}"),
            );
        }
        (Reply::Body(xml.into_bytes()), Vec::new())
    }
}

fn read_request(stream: &TcpStream) -> Option<(String, Option<String>, String)> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_owned();
    let mut content_length = 0usize;
    let mut authorization = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => content_length = value.trim().parse().ok()?,
            "authorization" => authorization = Some(value.trim().to_owned()),
            _ => {}
        }
    }
    if content_length > 1024 * 1024 {
        return None;
    }
    let mut body = vec![0u8; content_length];
    reader.read_exact(&mut body).ok()?;
    Some((
        path,
        authorization,
        String::from_utf8_lossy(&body).into_owned(),
    ))
}

fn serve(mut stream: TcpStream, context: &Context) {
    let Some((path, authorization, body)) = read_request(&stream) else {
        return;
    };
    let (reply, headers) = context.answer(&path, authorization.as_deref(), &body);
    let (status, bytes) = match reply {
        Reply::Body(b) => (200, b),
        Reply::Status(s, b) => (s, b),
        Reply::Drip => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml\r\nContent-Length: 100000\r\n\r\n<";
            if stream.write_all(head.as_bytes()).is_err() {
                return;
            }
            // Bounded: 100 000 bytes at 20 a second would take over an hour; the client
            // closes long before, and the write fails.
            for _ in 0..100_000 {
                std::thread::sleep(std::time::Duration::from_millis(50));
                if stream
                    .write_all(b" ")
                    .and_then(|()| stream.flush())
                    .is_err()
                {
                    return;
                }
            }
            return;
        }
        Reply::Hang => {
            // Wait for the client to give up and close.
            let mut sink = [0u8; 64];
            while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
            return;
        }
    };
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        _ => "Internal Server Error",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/soap+xml; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n",
        bytes.len()
    );
    for h in headers {
        head.push_str(&h);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    // A client that stops reading (a body over its cap) closes the socket: not an error here.
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&bytes);
    let _ = stream.flush();
}

impl Sim {
    pub fn start(config: SimConfig) -> Sim {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the simulator");
        let addr = listener.local_addr().expect("local address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let context = Arc::new(Context {
            config,
            port: addr.port(),
            requests: Arc::clone(&requests),
            presets: Mutex::new(
                SIM_PRESETS
                    .iter()
                    .map(|(t, n)| ((*t).to_owned(), (*n).to_owned()))
                    .collect(),
            ),
        });
        let stop_flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("onvif-sim".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if stop_flag.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let context = Arc::clone(&context);
                    let _ = std::thread::Builder::new()
                        .name("onvif-sim-conn".into())
                        .spawn(move || serve(stream, &context));
                }
            })
            .expect("spawn the simulator");
        Sim {
            addr,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// `127.0.0.1:PORT`, what `--host` takes.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// The requests for one action.
    pub fn requests_for(&self, action: &str) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.action == action)
            .collect()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
