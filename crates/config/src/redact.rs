//! Camera source parsing and credential redaction.
//!
//! Owns: parsing a camera source string into a [`SourceSpec`] (network URL or local
//! file), holding credentials apart from the URL, building the credential-bearing URL
//! that FFmpeg opens, and [`redact`], the ONE function every URL passes through before
//! it can reach a log line, an error message or the UI.
//!
//! Must not: store, log or print a password. Errors carry only redacted input.
//! It does no I/O and knows nothing about the site file or the credential store.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Network schemes a camera can be reached by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `rtsp://`
    Rtsp,
    /// `rtsps://` (RTSP over TLS)
    Rtsps,
}

impl Scheme {
    /// The lowercase scheme name without `://`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Rtsp => "rtsp",
            Scheme::Rtsps => "rtsps",
        }
    }
}

/// A camera's network URL, never holding credentials.
///
/// `host` is stored without IPv6 brackets; they are added back when displayed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CameraUrl {
    /// rtsp or rtsps.
    pub scheme: Scheme,
    /// Host name, IPv4 literal, or IPv6 literal (without brackets, zone id kept as `%25zone`).
    pub host: String,
    /// Explicit port, if the URL had one.
    pub port: Option<u16>,
    /// Everything after the authority (`/path?query#frag`), possibly empty.
    pub path_and_query: String,
}

/// Where a camera's video comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SourceSpec {
    /// An RTSP(S) camera.
    Network(CameraUrl),
    /// A local video file (demo / test footage).
    File(PathBuf),
}

/// A camera login. Its `Debug` output hides the password; it has no `Display`.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// User name (plain text, not percent-encoded).
    #[serde(default)]
    pub username: String,
    /// Password (plain text, not percent-encoded).
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"***")
            .finish()
    }
}

/// Why a source string could not be parsed. `input` is always redacted and escaped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// The source string is empty.
    #[error("camera source is empty")]
    Empty,
    /// A scheme other than rtsp, rtsps or file.
    #[error("unsupported scheme `{scheme}` in {input} (use rtsp://, rtsps:// or a file path)")]
    UnsupportedScheme {
        /// The scheme found.
        scheme: String,
        /// The source, redacted and escaped.
        input: String,
    },
    /// Whitespace or a control character inside a URL.
    #[error("whitespace or control character at byte {position} in {input}")]
    ForbiddenCharacter {
        /// Byte offset of the character.
        position: usize,
        /// The source, redacted and escaped.
        input: String,
    },
    /// No host after `scheme://`.
    #[error("missing host in {input}")]
    EmptyHost {
        /// The source, redacted and escaped.
        input: String,
    },
    /// A host with characters no host name or IP literal may contain.
    #[error("invalid host `{host}` in {input}")]
    InvalidHost {
        /// The host text, escaped.
        host: String,
        /// The source, redacted and escaped.
        input: String,
    },
    /// A port that is not a number in 1..=65535.
    #[error("port {port} out of range in {input} (must be 1..=65535)")]
    PortOutOfRange {
        /// The port text.
        port: String,
        /// The source, redacted and escaped.
        input: String,
    },
    /// A port that is not a number at all.
    #[error("port is not a number in {input}")]
    InvalidPort {
        /// The source, redacted and escaped.
        input: String,
    },
    /// Bad `%XX` escape or non-UTF-8 result in user name or password.
    #[error("invalid percent-encoding in the user name or password of {input}")]
    InvalidPercentEncoding {
        /// The source, redacted and escaped.
        input: String,
    },
    /// `scheme:` without `//` (`rtsp:admin:pw@cam`, `rtsp:/cam`): neither a URL nor a
    /// file path. The input is not shown: without `//` it cannot be redacted reliably.
    #[error(
        "`{scheme}:` is not followed by `//`: write {scheme}://host/path (a file whose name \
         has a colon is written ./name)"
    )]
    MissingSlashes {
        /// The scheme found, escaped.
        scheme: String,
    },
    /// `file://` URL naming a remote host.
    #[error("file URL with a remote host is not supported: {input}")]
    RemoteFile {
        /// The source, redacted and escaped.
        input: String,
    },
}

/// Redacts and escapes an input for inclusion in an error message.
fn shown(input: &str) -> String {
    redact(input).escape_debug().to_string()
}

/// Parses a camera source; credentials found in the URL are dropped (see
/// [`parse_source_with_credentials`] to keep them).
pub fn parse_source(s: &str) -> Result<SourceSpec, UrlError> {
    parse_source_with_credentials(s).map(|(spec, _)| spec)
}

/// Parses a camera source and splits out any `user:password@` it contains, percent-decoded.
///
/// `rtsp://` / `rtsps://` (scheme case-insensitive) give [`SourceSpec::Network`];
/// `file://…` or a string without `://` gives [`SourceSpec::File`]; other schemes fail.
pub fn parse_source_with_credentials(
    s: &str,
) -> Result<(SourceSpec, Option<Credentials>), UrlError> {
    if s.is_empty() {
        return Err(UrlError::Empty);
    }
    let Some((scheme, rest)) = split_scheme(s) else {
        if let Some(scheme) = scheme_without_slashes(s) {
            return Err(UrlError::MissingSlashes {
                scheme: scheme.escape_debug().to_string(),
            });
        }
        if let Some(position) = s.find(char::is_control) {
            return Err(UrlError::ForbiddenCharacter {
                position,
                input: shown(s),
            });
        }
        return Ok((SourceSpec::File(PathBuf::from(s)), None));
    };
    if let Some(position) = s.find(|c: char| c.is_whitespace() || c.is_control()) {
        return Err(UrlError::ForbiddenCharacter {
            position,
            input: shown(s),
        });
    }
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "rtsp" => Scheme::Rtsp,
        "rtsps" => Scheme::Rtsps,
        "file" => return parse_file_url(s, rest).map(|p| (SourceSpec::File(p), None)),
        other => {
            return Err(UrlError::UnsupportedScheme {
                scheme: other.to_string(),
                input: shown(s),
            });
        }
    };
    let (userinfo, after_userinfo) = match userinfo_end(rest) {
        Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
        None => (None, rest),
    };
    let host_end = after_userinfo
        .find(['/', '?', '#'])
        .unwrap_or(after_userinfo.len());
    let (host_port, path_and_query) = after_userinfo.split_at(host_end);
    let (host, port) = parse_host_port(host_port, s)?;
    let creds = userinfo.map(|u| parse_userinfo(u, s)).transpose()?;
    let url = CameraUrl {
        scheme,
        host,
        port,
        path_and_query: path_and_query.to_string(),
    };
    Ok((SourceSpec::Network(url), creds))
}

/// Splits `scheme://rest` when the prefix is a syntactically valid scheme.
fn split_scheme(s: &str) -> Option<(&str, &str)> {
    let idx = s.find("://")?;
    let scheme = &s[..idx];
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    (first_ok && rest_ok).then(|| (scheme, &s[idx + 3..]))
}

/// The `scheme` of a source that starts `scheme:` but has no `://`. FFmpeg would take
/// such a "file name" as a protocol; one letter (`C:`) is left alone, as FFmpeg does.
fn scheme_without_slashes(s: &str) -> Option<&str> {
    let (scheme, _) = s.split_once(':')?;
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    (first_ok && rest_ok && scheme.len() >= 2).then_some(scheme)
}

fn parse_file_url(full: &str, rest: &str) -> Result<PathBuf, UrlError> {
    let path = if rest.starts_with('/') {
        rest
    } else if let Some(p) = rest
        .strip_prefix("localhost")
        .filter(|p| p.starts_with('/'))
    {
        p
    } else {
        return Err(UrlError::RemoteFile { input: shown(full) });
    };
    if path.is_empty() {
        return Err(UrlError::RemoteFile { input: shown(full) });
    }
    let bytes = percent_decode(path)
        .ok_or_else(|| UrlError::InvalidPercentEncoding { input: shown(full) })?;
    let decoded = String::from_utf8(bytes)
        .map_err(|_| UrlError::InvalidPercentEncoding { input: shown(full) })?;
    Ok(PathBuf::from(decoded))
}

fn parse_host_port(host_port: &str, full: &str) -> Result<(String, Option<u16>), UrlError> {
    let (host, port_text) = if let Some(inner) = host_port.strip_prefix('[') {
        let Some(close) = inner.find(']') else {
            return Err(UrlError::InvalidHost {
                host: host_port.to_string(),
                input: shown(full),
            });
        };
        let literal = &inner[..close];
        let after = &inner[close + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => {
                return Err(UrlError::InvalidHost {
                    host: host_port.to_string(),
                    input: shown(full),
                });
            }
        };
        let addr_part = literal.split_once("%25").map_or(literal, |(a, _)| a);
        if addr_part.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(UrlError::InvalidHost {
                host: host_port.to_string(),
                input: shown(full),
            });
        }
        (literal, port)
    } else {
        match host_port.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        }
    };
    if host.is_empty() {
        return Err(UrlError::EmptyHost { input: shown(full) });
    }
    let bracketed = host_port.starts_with('[');
    let host_ok = bracketed
        || host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '~' | '%'));
    if !host_ok {
        return Err(UrlError::InvalidHost {
            host: host.escape_debug().to_string(),
            input: shown(full),
        });
    }
    let port = match port_text {
        None => None,
        Some(p) if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) => {
            return Err(UrlError::InvalidPort { input: shown(full) });
        }
        Some(p) => match p.parse::<u32>() {
            Ok(n @ 1..=65535) => {
                Some(u16::try_from(n).map_err(|_| UrlError::InvalidPort { input: shown(full) })?)
            }
            _ => {
                return Err(UrlError::PortOutOfRange {
                    port: p.to_string(),
                    input: shown(full),
                });
            }
        },
    };
    Ok((host.to_string(), port))
}

fn parse_userinfo(userinfo: &str, full: &str) -> Result<Credentials, UrlError> {
    let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let decode = |part: &str| {
        percent_decode(part)
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| UrlError::InvalidPercentEncoding { input: shown(full) })
    };
    Ok(Credentials {
        username: decode(user)?,
        password: decode(pass)?,
    })
}

/// Decodes `%XX` escapes with the `percent-encoding` crate; `None` on a malformed
/// escape. The crate keeps a malformed escape as literal text (`%zz` stays `%zz`), so
/// the strictness is ours: every `%` must be followed by two hex digits, or the source
/// is refused rather than opened with a guessed password.
fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let well_formed = bytes.iter().enumerate().all(|(i, &b)| {
        b != b'%'
            || bytes
                .get(i + 1..i + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    });
    well_formed.then(|| percent_encoding::percent_decode(bytes).collect())
}

/// Everything except the RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`).
const USERINFO_ESCAPED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes everything except RFC 3986 unreserved characters.
fn percent_encode_userinfo(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, USERINFO_ESCAPED).to_string()
}

/// Finds the byte index of the `@` that ends the userinfo in `after_scheme` (the text
/// right after `://`, up to the end of the URL token).
///
/// Rule: the LAST `@` before the first `/`. Fallback for an unencoded `/` in a password:
/// when the part before the first `/` looks like `user:pass` (text after its last `:` is
/// not a port number) and an `@` follows later, the last `@` of the token is taken.
/// Over-redacting a path is acceptable; leaking a password is not.
fn userinfo_end(after_scheme: &str) -> Option<usize> {
    let slash = after_scheme.find('/').unwrap_or(after_scheme.len());
    if let Some(at) = after_scheme[..slash].rfind('@') {
        return Some(at);
    }
    let authority = &after_scheme[..slash];
    let looks_like_user_pass = !authority.starts_with('[')
        && authority
            .rsplit_once(':')
            .is_some_and(|(_, tail)| tail.is_empty() || !tail.bytes().all(|b| b.is_ascii_digit()));
    if looks_like_user_pass {
        after_scheme.rfind('@')
    } else {
        None
    }
}

impl CameraUrl {
    /// Host as it appears in a URL (IPv6 literals in brackets).
    fn host_for_url(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }

    /// Builds the URL FFmpeg opens, with percent-encoded credentials.
    ///
    /// The result contains the password: pass it only to FFmpeg, never to a log, an
    /// error or the UI (run it through [`redact`] if it must be shown).
    pub fn to_ffmpeg_url(&self, creds: Option<&Credentials>) -> String {
        let mut out = format!("{}://", self.scheme.as_str());
        if let Some(c) = creds.filter(|c| !c.username.is_empty() || !c.password.is_empty()) {
            out.push_str(&percent_encode_userinfo(&c.username));
            if !c.password.is_empty() {
                out.push(':');
                out.push_str(&percent_encode_userinfo(&c.password));
            }
            out.push('@');
        }
        out.push_str(&self.host_for_url());
        if let Some(port) = self.port {
            out.push_str(&format!(":{port}"));
        }
        out.push_str(&self.path_and_query);
        out
    }
}

impl fmt::Display for CameraUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme.as_str(), self.host_for_url())?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        f.write_str(&self.path_and_query)
    }
}

impl fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceSpec::Network(url) => url.fmt(f),
            SourceSpec::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// Characters that end a URL token inside free text.
fn ends_token(c: char) -> bool {
    c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>' | '`')
}

/// Query keys whose values are secrets.
const SECRET_KEYS: [&str; 4] = ["password", "passwd", "pass", "pwd"];

/// Schemes whose `scheme:` is treated as the start of a URL even without `//` (a
/// malformed source such as `rtsp:admin:pw@cam` must not show its password either).
const URL_SCHEMES_WITHOUT_SLASHES: [&str; 4] = ["rtsp:", "rtsps:", "http:", "https:"];

/// Removes credentials from arbitrary text (log lines, FFmpeg messages, errors).
///
/// * After every `scheme://` (and after `rtsp:`, `rtsps:`, `http:`, `https:` without
///   `//`), everything up to the LAST `@` before the line's next URL (or its end)
///   becomes `***`: a password written without percent-encoding may hold spaces,
///   quotes, `/`, `?`, `#`, `@` or `://`, so no shorter rule is safe. The price is
///   over-redaction: an `@` later on the line (a path `/a@b`, a query, an e-mail
///   address after the URL) hides the host and path up to it. Leaking a password is
///   never the better trade.
/// * The values of `password=`, `passwd=`, `pass=`, `pwd=` (any case) become `***`.
/// * The rest of a line after `Authorization:` (FFmpeg's debug log of RTSP requests
///   prints the Basic credentials there) becomes `***`.
///
/// Text without secrets is returned unchanged. This is the one redaction function:
/// every path that shows or logs a source (errors, the camera list, tile reasons, log
/// lines, FFmpeg's own log, `vigil doctor`, `check-config`) goes through it.
pub fn redact(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| redact_authorization(&redact_query_secrets(&redact_userinfo(line))))
        .collect()
}

/// Where the URL that starts at or after byte `from` of `line` begins its authority:
/// the byte after `scheme://` or after a bare `rtsp:`-like scheme. `None` if no URL.
fn next_authority(line: &str, from: usize) -> Option<(usize, usize)> {
    let lower = line.to_ascii_lowercase();
    let slashes = line[from..].find("://").map(|i| (from + i, from + i + 3));
    let bare = URL_SCHEMES_WITHOUT_SLASHES
        .iter()
        .filter_map(|scheme| {
            let mut at = from;
            while let Some(i) = lower[at..].find(scheme) {
                let start = at + i;
                let end = start + scheme.len();
                let boundary = start == 0 || !lower.as_bytes()[start - 1].is_ascii_alphanumeric();
                if boundary && !line[end..].starts_with("//") {
                    return Some((start, end));
                }
                at = end;
            }
            None
        })
        .min();
    match (slashes, bare) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn redact_userinfo(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut copied = 0;
    while let Some((_, authority)) = next_authority(line, copied) {
        out.push_str(&line[copied..authority]);
        let rest = &line[authority..];
        match rest[..next_url_start(rest)].rfind('@') {
            Some(at) => {
                out.push_str("***@");
                copied = authority + at + 1;
            }
            None => copied = authority,
        }
        if copied == authority {
            // No userinfo: keep the URL's first character and look further on.
            let step = rest.chars().next().map_or(0, char::len_utf8);
            if step == 0 {
                break;
            }
            out.push_str(&rest[..step]);
            copied += step;
        }
    }
    out.push_str(&line[copied..]);
    out
}

/// Where the next URL of a line begins: a `scheme://` whose scheme starts the line or
/// follows whitespace or punctuation that ends a token. A `://` inside a password
/// (`admin:a://b@cam`) follows other characters, so it does not count.
fn next_url_start(rest: &str) -> usize {
    let mut from = 0;
    while let Some(i) = rest[from..].find("://") {
        let sep = from + i;
        let scheme_start = rest[..sep]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
            .map_or(0, |j| j + 1);
        let starts_token = rest[..scheme_start]
            .chars()
            .next_back()
            .is_some_and(|c| ends_token(c) || matches!(c, '(' | '[' | ',' | ';' | '='));
        if scheme_start < sep && starts_token {
            return scheme_start;
        }
        from = sep + 3;
    }
    rest.len()
}

/// The value of an `Authorization:` header to the end of the line becomes `***`.
fn redact_authorization(line: &str) -> String {
    const HEADER: &str = "authorization:";
    let lower = line.to_ascii_lowercase();
    let Some(start) = lower.find(HEADER) else {
        return line.to_string();
    };
    let value = start + HEADER.len();
    let end = line[value..]
        .find(['\r', '\n'])
        .map_or(line.len(), |i| value + i);
    format!("{} ***{}", &line[..value], &line[end..])
}

fn redact_query_secrets(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < text.len() {
        let boundary_ok = i == 0
            || !lower.as_bytes()[i - 1].is_ascii_alphanumeric() && lower.as_bytes()[i - 1] != b'_';
        let key = SECRET_KEYS.iter().find(|k| {
            boundary_ok && lower[i..].starts_with(*k) && lower[i + k.len()..].starts_with('=')
        });
        if let Some(key) = key {
            let value_start = i + key.len() + 1;
            let value_len = text[value_start..]
                .find(|c: char| ends_token(c) || matches!(c, '&' | '#' | ';' | ','))
                .unwrap_or(text.len() - value_start);
            out.push_str(&text[copied..value_start]);
            out.push_str("***");
            copied = value_start + value_len;
            i = copied;
        } else {
            i += text[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
