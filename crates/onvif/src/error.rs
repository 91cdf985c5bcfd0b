//! The crate's error: which call on which host failed, and why, in words an installer
//! can act on. Every string in it that came from the device is already display-safe.
//! Must not: hold a password or a URL with credentials.

use crate::xml::XmlError;

/// An ONVIF call that failed: the device (`host`), the call (`call`, e.g.
/// "GetDeviceInformation") and the reason (`kind`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("ONVIF {call} on {host}: {kind}")]
pub struct OnvifError {
    pub host: String,
    pub call: String,
    pub kind: ErrorKind,
}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ErrorKind {
    #[error("the address is not HOST[:PORT] or an http(s) URL: {detail}")]
    BadAddress { detail: String },
    #[error("wrong user name or password ({detail})")]
    Unauthorized { detail: String },
    #[error("the device answered with a SOAP fault: {code}: {reason}")]
    Fault { code: String, reason: String },
    #[error("no answer within {timeout_secs} s")]
    Timeout { timeout_secs: f64 },
    #[error("cannot reach the device: {detail}")]
    Unreachable { detail: String },
    #[error("the device answered HTTP {status}")]
    Http { status: u16 },
    #[error("the response is over the limit of {limit_bytes} bytes")]
    TooLarge { limit_bytes: usize },
    #[error("{0}")]
    Xml(#[from] XmlError),
    #[error("the response is not a SOAP envelope with a body")]
    NotSoap,
    #[error("the response lacks {what}")]
    Missing { what: &'static str },
    #[error("the response's {what} is unusable: {detail}")]
    Invalid { what: &'static str, detail: String },
    #[error("the device offers no {service} service")]
    NoService { service: &'static str },
}

impl ErrorKind {
    /// This reason for `call` on `host`.
    pub fn at(self, host: &str, call: &str) -> OnvifError {
        OnvifError {
            host: host.to_owned(),
            call: call.to_owned(),
            kind: self,
        }
    }
}

impl OnvifError {
    /// Whether the device refused the credentials.
    pub fn is_unauthorized(&self) -> bool {
        matches!(self.kind, ErrorKind::Unauthorized { .. })
    }
}
