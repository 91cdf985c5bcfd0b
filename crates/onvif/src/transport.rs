//! The HTTP side of a SOAP call, blocking (ureq, no async runtime): one POST with a
//! deadline for the whole exchange, the response body read through a size cap, no
//! redirects followed and no proxy used, and the HTTP Digest retry when the device
//! answers 401 with a Digest challenge. TLS goes through the system's OpenSSL with the
//! OS trust store.
//! Must not: parse XML, or log a password or an `Authorization` header.

use std::time::Duration;

use ureq::Agent;
use ureq::tls::{RootCerts, TlsConfig, TlsProvider};

use crate::error::ErrorKind;
use crate::http_digest::Challenge;

/// Default deadline for one request, connection included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default cap on a response body.
pub const DEFAULT_BODY_LIMIT_BYTES: usize = crate::xml::MAX_DOCUMENT_BYTES;

/// A user name and password. `Debug` never shows the password.
#[derive(Clone)]
pub struct Credentials {
    pub user: String,
    password: String,
}

impl Credentials {
    pub fn new(user: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            user: user.into(),
            password: password.into(),
        }
    }

    /// The password, for the digests that need it.
    pub fn password(&self) -> &str {
        &self.password
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// The limits of every request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClientConfig {
    /// Deadline of one request (connect, send, receive).
    pub timeout: Duration,
    /// The most bytes a response body may have (at most the XML parser's cap).
    pub body_limit_bytes: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            body_limit_bytes: DEFAULT_BODY_LIMIT_BYTES,
        }
    }
}

/// A response: its status and body (at most the cap).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

/// The path and query of `url`, as a Digest `uri` names it.
fn request_target(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    match after_scheme.find('/') {
        Some(i) => &after_scheme[i..],
        None => "/",
    }
}

/// Posts SOAP requests.
pub struct Transport {
    agent: Agent,
    config: ClientConfig,
}

impl Transport {
    pub fn new(config: ClientConfig) -> Self {
        let tls = TlsConfig::builder()
            .provider(TlsProvider::NativeTls)
            .root_certs(RootCerts::PlatformVerifier)
            .build();
        let agent_config = Agent::config_builder()
            .timeout_global(Some(config.timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(None)
            .tls_config(tls)
            .user_agent(concat!("vigil-onvif/", env!("CARGO_PKG_VERSION")))
            .build();
        Self {
            agent: Agent::new_with_config(agent_config),
            config,
        }
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    fn post_once(
        &self,
        url: &str,
        action: &str,
        body: &str,
        authorization: Option<&str>,
        timeout: Duration,
    ) -> Result<(Reply, Vec<String>), ErrorKind> {
        let mut request = self
            .agent
            .post(url)
            .header(
                "Content-Type",
                format!(r#"application/soap+xml; charset=utf-8; action="{action}""#),
            )
            .config()
            .timeout_global(Some(timeout))
            .build();
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        let timeout_secs = timeout.as_secs_f64();
        let map = |e: ureq::Error| self.map_error(e, timeout_secs);
        let mut response = request.send(body).map_err(map)?;
        let status = response.status().as_u16();
        let challenges = response
            .headers()
            .get_all("www-authenticate")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(self.config.body_limit_bytes as u64)
            .read_to_vec()
            .map_err(map)?;
        Ok((Reply { status, body }, challenges))
    }

    fn map_error(&self, e: ureq::Error, timeout_secs: f64) -> ErrorKind {
        match e {
            ureq::Error::Timeout(_) => ErrorKind::Timeout { timeout_secs },
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
                ErrorKind::Timeout { timeout_secs }
            }
            ureq::Error::BodyExceedsLimit(_) => ErrorKind::TooLarge {
                limit_bytes: self.config.body_limit_bytes,
            },
            ureq::Error::LargeResponseHeader(_, _) => ErrorKind::TooLarge {
                limit_bytes: self.config.body_limit_bytes,
            },
            other => ErrorKind::Unreachable {
                detail: crate::sanitize::display_safe(&other.to_string()),
            },
        }
    }

    /// Posts `body` to `url`; on a 401 with a Digest challenge and credentials, posts it
    /// once more with the `Authorization` the challenge asks for. `extra` lengthens the
    /// deadline (a PullMessages call waits on the device by design).
    pub fn post(
        &self,
        url: &str,
        action: &str,
        body: &str,
        credentials: Option<&Credentials>,
        extra: Duration,
    ) -> Result<Reply, ErrorKind> {
        let timeout = self.config.timeout + extra;
        let (reply, challenges) = self.post_once(url, action, body, None, timeout)?;
        if reply.status != 401 {
            return Ok(reply);
        }
        let Some(credentials) = credentials else {
            return Err(ErrorKind::Unauthorized {
                detail: "the device asks for credentials (HTTP 401) and none were given".into(),
            });
        };
        let Some(challenge) = Challenge::pick(challenges.iter().map(String::as_str)) else {
            return Err(ErrorKind::Unauthorized {
                detail: "HTTP 401 without a Digest challenge this client supports".into(),
            });
        };
        let cnonce = hex_nonce();
        let authorization = challenge.authorization(
            &credentials.user,
            credentials.password(),
            "POST",
            request_target(url),
            &cnonce,
        );
        let (reply, _) = self.post_once(url, action, body, Some(&authorization), timeout)?;
        if reply.status == 401 {
            return Err(ErrorKind::Unauthorized {
                detail: "the device refused the HTTP Digest answer".into(),
            });
        }
        Ok(reply)
    }
}

fn hex_nonce() -> String {
    crate::wsse::nonce()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_target_is_path_and_query() {
        assert_eq!(
            request_target("http://h:80/onvif/device_service"),
            "/onvif/device_service"
        );
        assert_eq!(request_target("http://h/a?b=c"), "/a?b=c");
        assert_eq!(request_target("http://h"), "/");
    }

    #[test]
    fn credentials_debug_hides_the_password() {
        let c = Credentials::new("admin", "hunter2");
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
