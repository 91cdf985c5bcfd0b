//! The HTTP banner of a device's web port, read only when an installer asks: one
//! `GET /` without credentials, a short deadline, at most [`MAX_HEAD_BYTES`] read, and
//! only the `Server` and `WWW-Authenticate` headers kept (display-safe). The body is
//! never read; redirects are not followed.
//!
//! Owns: [`HttpBanner`], [`fetch`], [`web_target`]. Must not: send credentials, write
//! anything to the device, or spawn threads (the caller runs it on a worker).

use std::io::{Read as _, Write as _};
use std::net::{TcpStream, ToSocketAddrs as _};
use std::time::{Duration, Instant};

use serde::Serialize;

/// The most bytes of the response head read.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;

/// The web port when the address names none.
pub const DEFAULT_WEB_PORT: u16 = 80;

/// What the device's web server said about itself.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HttpBanner {
    /// `host:port` asked.
    pub target: String,
    /// The status line's code (`200`, `401`, …), when there was one.
    pub status: Option<u16>,
    pub server: Option<String>,
    pub www_authenticate: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum BannerError {
    #[error("{target}: cannot resolve the address: {source}")]
    Resolve {
        target: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{target}: cannot connect: {source}")]
    Connect {
        target: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{target}: no answer within {timeout_secs:.1} s")]
    Timeout { target: String, timeout_secs: f64 },
    #[error("{target}: reading the answer failed: {source}")]
    Io {
        target: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{target}: the answer is not HTTP")]
    NotHttp { target: String },
}

/// `host:port` of a camera's web server: the host of its ONVIF address (with that
/// address's port, which is the device's web server on most cameras) or, without one,
/// the host of its stream URL on port 80. `None` when neither names a host (a file).
pub fn web_target(onvif: Option<&str>, source_url: Option<&str>) -> Option<String> {
    if let Some(onvif) = onvif.map(str::trim).filter(|s| !s.is_empty()) {
        let rest = onvif
            .split_once("://")
            .map_or(onvif, |(_, r)| r)
            .split(['/', '?'])
            .next()
            .unwrap_or_default();
        let (host, port) = split_host_port(rest);
        return (!host.is_empty()).then(|| join(host, port.unwrap_or(DEFAULT_WEB_PORT)));
    }
    let url = source_url?.trim();
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(
        scheme.to_ascii_lowercase().as_str(),
        "rtsp" | "rtsps" | "http" | "https"
    ) {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, _) = split_host_port(authority);
    (!host.is_empty()).then(|| join(host, DEFAULT_WEB_PORT))
}

/// `host` and its port from `host`, `host:port`, `[v6]` or `[v6]:port`.
fn split_host_port(s: &str) -> (&str, Option<u16>) {
    if let Some(inner) = s.strip_prefix('[') {
        let Some((host, after)) = inner.split_once(']') else {
            return ("", None);
        };
        return (host, after.strip_prefix(':').and_then(|p| p.parse().ok()));
    }
    match s.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => (host, port.parse().ok()),
        Some(_) => (s, None),
        None => (s, None),
    }
}

fn join(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// One `GET /` to `target` (`host:port`), everything within `timeout`.
pub fn fetch(target: &str, timeout: Duration) -> Result<HttpBanner, BannerError> {
    let began = Instant::now();
    let timed_out = || BannerError::Timeout {
        target: target.to_owned(),
        timeout_secs: timeout.as_secs_f64(),
    };
    let addr = target
        .to_socket_addrs()
        .map_err(|source| BannerError::Resolve {
            target: target.to_owned(),
            source,
        })?
        .next()
        .ok_or_else(|| BannerError::Resolve {
            target: target.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no address"),
        })?;
    let mut stream = TcpStream::connect_timeout(&addr, timeout).map_err(|source| {
        if source.kind() == std::io::ErrorKind::TimedOut {
            timed_out()
        } else {
            BannerError::Connect {
                target: target.to_owned(),
                source,
            }
        }
    })?;
    let io = |source| BannerError::Io {
        target: target.to_owned(),
        source,
    };
    let host = target.rsplit_once(':').map_or(target, |(h, _)| h);
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: Vigil\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    let left = |began: Instant| {
        timeout
            .checked_sub(began.elapsed())
            .filter(|d| !d.is_zero())
    };
    stream
        .set_write_timeout(Some(left(began).ok_or_else(timed_out)?))
        .map_err(io)?;
    stream.write_all(request.as_bytes()).map_err(io)?;
    let mut head = Vec::with_capacity(4096);
    let mut buf = [0u8; 4096];
    loop {
        let Some(remaining) = left(began) else {
            return Err(timed_out());
        };
        stream.set_read_timeout(Some(remaining)).map_err(io)?;
        let n = match stream.read(&mut buf) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(timed_out());
            }
            Err(e) => return Err(io(e)),
        };
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
        if head.windows(4).any(|w| w == b"\r\n\r\n") || head.len() >= MAX_HEAD_BYTES {
            break;
        }
    }
    head.truncate(MAX_HEAD_BYTES);
    parse_head(target, &head)
}

/// The status and the two headers from a response head (lossy UTF-8, display-safe).
pub fn parse_head(target: &str, head: &[u8]) -> Result<HttpBanner, BannerError> {
    let text = String::from_utf8_lossy(head);
    let end = text.find("\r\n\r\n").unwrap_or(text.len());
    let mut lines = text[..end].split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    if !status_line.starts_with("HTTP/") {
        return Err(BannerError::NotHttp {
            target: target.to_owned(),
        });
    }
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok());
    let mut banner = HttpBanner {
        target: target.to_owned(),
        status,
        ..HttpBanner::default()
    };
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = vigil_onvif::sanitize::display_safe(value);
        if name.trim().eq_ignore_ascii_case("server") && banner.server.is_none() {
            banner.server = Some(value);
        } else if name.trim().eq_ignore_ascii_case("www-authenticate")
            && banner.www_authenticate.is_none()
        {
            banner.www_authenticate = Some(value);
        }
    }
    Ok(banner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A one-shot HTTP server on loopback answering `response`; returns its address
    /// and the thread that hands back the request it read.
    fn serve(response: &'static [u8]) -> (String, std::thread::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        let handle = std::thread::Builder::new()
            .name("test-http".into())
            .spawn(move || {
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
                conn.write_all(response).expect("write");
                String::from_utf8_lossy(&request).into_owned()
            })
            .expect("spawn");
        (addr, handle)
    }

    #[test]
    fn the_server_and_auth_headers_are_read_with_one_plain_get() {
        let (addr, server) = serve(
            b"HTTP/1.1 401 Unauthorized\r\nServer: App-webs/\r\nWWW-Authenticate: Digest realm=\"DS-2CD2032\"\r\nContent-Length: 0\r\n\r\n",
        );
        let banner = fetch(&addr, Duration::from_secs(5)).expect("banner");
        assert_eq!(banner.status, Some(401));
        assert_eq!(banner.server.as_deref(), Some("App-webs/"));
        assert_eq!(
            banner.www_authenticate.as_deref(),
            Some("Digest realm=\"DS-2CD2032\"")
        );
        let request = server.join().expect("server");
        assert!(request.starts_with("GET / HTTP/1.1\r\n"), "{request}");
        assert!(
            !request.to_lowercase().contains("authorization"),
            "{request}"
        );
    }

    #[test]
    fn a_silent_server_times_out_and_a_closed_port_is_an_error() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        // Accepted by the kernel's backlog, never answered.
        let began = Instant::now();
        let err = fetch(&addr, Duration::from_millis(300)).expect_err("silent");
        assert!(matches!(err, BannerError::Timeout { .. }), "{err}");
        assert!(began.elapsed() < Duration::from_secs(5));
        drop(listener);
        let err = fetch(&addr, Duration::from_secs(2)).expect_err("closed");
        assert!(matches!(err, BannerError::Connect { .. }), "{err}");
    }

    #[test]
    fn header_values_are_made_display_safe_and_non_http_is_refused() {
        let banner = parse_head(
            "h:80",
            b"HTTP/1.0 200 OK\r\nserver: evil\x1b[2J\xe2\x80\xae\r\n\r\nbody",
        )
        .expect("http");
        assert_eq!(banner.server.as_deref(), Some("evil\\u{001B}[2J\\u{202E}"));
        assert!(matches!(
            parse_head("h:80", b"SSH-2.0-OpenSSH\r\n"),
            Err(BannerError::NotHttp { .. })
        ));
    }

    #[test]
    fn the_web_port_comes_from_the_onvif_address_or_the_stream_host() {
        assert_eq!(
            web_target(Some("10.0.0.5"), None).as_deref(),
            Some("10.0.0.5:80")
        );
        assert_eq!(
            web_target(Some("10.0.0.5:8080"), Some("rtsp://10.0.0.9/x")).as_deref(),
            Some("10.0.0.5:8080")
        );
        assert_eq!(
            web_target(Some("http://cam.local:81/onvif/device_service"), None).as_deref(),
            Some("cam.local:81")
        );
        assert_eq!(
            web_target(None, Some("rtsp://user@10.0.0.9:554/Streaming/101")).as_deref(),
            Some("10.0.0.9:80")
        );
        assert_eq!(
            web_target(Some("[fe80::1]:8000"), None).as_deref(),
            Some("[fe80::1]:8000")
        );
        assert_eq!(web_target(None, Some("/clips/a.mp4")), None);
        assert_eq!(web_target(None, None), None);
    }
}
