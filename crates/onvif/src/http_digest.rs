//! HTTP Digest access authentication (RFC 7616) for devices that answer 401 with a
//! `WWW-Authenticate: Digest …` challenge: parsing the challenge and computing the
//! `Authorization` header, with MD5 or SHA-256 (SHA-256 preferred when both are offered),
//! `qop=auth` (or the RFC 2069 form without qop) and a fresh client nonce.
//! Must not: send requests (the transport does), or support `auth-int` or `-sess`
//! variants, which ONVIF devices do not ask for.

use md5::Md5;
use sha2::{Digest as _, Sha256};

/// The hash a challenge asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Md5,
    Sha256,
}

/// A parsed `Digest` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub realm: String,
    pub nonce: String,
    pub opaque: Option<String>,
    pub algorithm: Algorithm,
    /// Whether the server offered `qop=auth`.
    pub qop_auth: bool,
}

/// Splits `k=v, k="v, w"` parameters, honouring quotes and backslash escapes.
fn params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ',' {
                break;
            }
            key.push(c);
            chars.next();
        }
        if key.is_empty() && chars.peek().is_none() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'=') {
            chars.next();
            if chars.peek() == Some(&'"') {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(n) = chars.next() {
                                value.push(n);
                            }
                        }
                        '"' => break,
                        c => value.push(c),
                    }
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c == ',' {
                        break;
                    }
                    value.push(c);
                    chars.next();
                }
            }
        }
        out.push((key.trim().to_ascii_lowercase(), value.trim().to_owned()));
        if chars.peek().is_none() {
            break;
        }
    }
    out
}

impl Challenge {
    /// Parses one `WWW-Authenticate` value; `None` when it is not a usable Digest
    /// challenge (another scheme, no nonce, an algorithm or qop we do not support).
    pub fn parse(header: &str) -> Option<Challenge> {
        let header = header.trim();
        let (scheme, rest) = header.split_once(char::is_whitespace)?;
        if !scheme.eq_ignore_ascii_case("digest") {
            return None;
        }
        let mut realm = None;
        let mut nonce = None;
        let mut opaque = None;
        let mut algorithm = Algorithm::Md5;
        let mut qop: Option<String> = None;
        for (key, value) in params(rest) {
            match key.as_str() {
                "realm" => realm = Some(value),
                "nonce" => nonce = Some(value),
                "opaque" => opaque = Some(value),
                "qop" => qop = Some(value),
                "algorithm" => {
                    algorithm = match value.to_ascii_uppercase().as_str() {
                        "MD5" => Algorithm::Md5,
                        "SHA-256" => Algorithm::Sha256,
                        _ => return None,
                    }
                }
                _ => {}
            }
        }
        let qop_auth = match &qop {
            None => false,
            Some(q) if q.split(',').any(|v| v.trim().eq_ignore_ascii_case("auth")) => true,
            Some(_) => return None,
        };
        Some(Challenge {
            realm: realm.unwrap_or_default(),
            nonce: nonce.filter(|n| !n.is_empty())?,
            opaque,
            algorithm,
            qop_auth,
        })
    }

    /// The best challenge among several `WWW-Authenticate` values (SHA-256 first).
    pub fn pick<'a>(headers: impl IntoIterator<Item = &'a str>) -> Option<Challenge> {
        let mut all: Vec<Challenge> = headers.into_iter().filter_map(Challenge::parse).collect();
        all.sort_by_key(|c| c.algorithm != Algorithm::Sha256);
        all.into_iter().next()
    }

    /// The `Authorization` header value for `method uri`, with client nonce `cnonce`
    /// and nonce count 1.
    pub fn authorization(
        &self,
        user: &str,
        password: &str,
        method: &str,
        uri: &str,
        cnonce: &str,
    ) -> String {
        let h = |s: &str| hex_hash(self.algorithm, s);
        let ha1 = h(&format!("{user}:{}:{password}", self.realm));
        let ha2 = h(&format!("{method}:{uri}"));
        let nc = "00000001";
        let response = if self.qop_auth {
            h(&format!("{ha1}:{}:{nc}:{cnonce}:auth:{ha2}", self.nonce))
        } else {
            h(&format!("{ha1}:{}:{ha2}", self.nonce))
        };
        let algorithm = match self.algorithm {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha256 => "SHA-256",
        };
        let quote = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
        let mut header = format!(
            r#"Digest username="{}", realm="{}", nonce="{}", uri="{}", algorithm={algorithm}, response="{response}""#,
            quote(user),
            quote(&self.realm),
            quote(&self.nonce),
            quote(uri),
        );
        if self.qop_auth {
            header.push_str(&format!(r#", qop=auth, nc={nc}, cnonce="{cnonce}""#));
        }
        if let Some(opaque) = &self.opaque {
            header.push_str(&format!(r#", opaque="{}""#, quote(opaque)));
        }
        header
    }
}

/// Lower-case hex of the hash of `s`.
pub fn hex_hash(algorithm: Algorithm, s: &str) -> String {
    let bytes: Vec<u8> = match algorithm {
        Algorithm::Md5 => Md5::digest(s.as_bytes()).to_vec(),
        Algorithm::Sha256 => Sha256::digest(s.as_bytes()).to_vec(),
    };
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads the parameters of an `Authorization: Digest …` header (for the test device
/// and for checks): lower-case keys, unquoted values.
pub fn authorization_params(header: &str) -> Option<Vec<(String, String)>> {
    let (scheme, rest) = header.trim().split_once(char::is_whitespace)?;
    scheme.eq_ignore_ascii_case("digest").then(|| params(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7616 §3.9.1: user Mufasa, password "Circle of Life", GET /dir/index.html.
    #[test]
    fn rfc_7616_examples() {
        let md5 = Challenge::parse(
            r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#,
        )
        .expect("parses");
        let header = md5.authorization(
            "Mufasa",
            "Circle of Life",
            "GET",
            "/dir/index.html",
            "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
        );
        assert!(
            header.contains(r#"response="8ca523f5e9506fed4657c9700eebdbec""#),
            "{header}"
        );
        let sha = Challenge::parse(
            r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#,
        )
        .expect("parses");
        let header = sha.authorization(
            "Mufasa",
            "Circle of Life",
            "GET",
            "/dir/index.html",
            "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
        );
        assert!(
            header.contains(
                r#"response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1""#
            ),
            "{header}"
        );
        assert!(header.contains("algorithm=SHA-256"));
    }

    #[test]
    fn picks_sha256_and_refuses_other_schemes() {
        let picked = Challenge::pick([
            r#"Basic realm="x""#,
            r#"Digest realm="r", nonce="n1", qop="auth""#,
            r#"Digest realm="r", nonce="n2", qop="auth", algorithm=SHA-256"#,
        ])
        .expect("a digest challenge");
        assert_eq!(picked.algorithm, Algorithm::Sha256);
        assert_eq!(picked.nonce, "n2");
        assert_eq!(Challenge::parse(r#"Basic realm="x""#), None);
        assert_eq!(Challenge::parse(r#"Digest realm="x""#), None);
        assert_eq!(
            Challenge::parse(r#"Digest realm="x", nonce="n", algorithm=MD5-sess"#),
            None
        );
    }
}
