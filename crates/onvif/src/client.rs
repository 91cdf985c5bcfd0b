//! The ONVIF client: which device (its address and the label errors use), the
//! credentials, the clock offset measured with GetSystemDateAndTime (so the
//! WS-Security `Created` is in the device's time), the services' addresses, and the one
//! function every call goes through ([`Client::call`]): envelope, WS-Security header,
//! POST, fault or body. The calls themselves live in `device`, `media`, `ptz`, `events`.
//! Must not: spawn threads (a caller runs it on its own worker), or log a password.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::device::Services;
use crate::error::{ErrorKind, OnvifError};
use crate::soap;
use crate::transport::{ClientConfig, Credentials, Transport};
use crate::xml::Element;
use crate::{sanitize, wsse};

/// A blocking client for one device.
pub struct Client {
    host: String,
    device_url: String,
    credentials: Option<Credentials>,
    clock_offset: TimeDelta,
    transport: Transport,
    pub(crate) services: Services,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("host", &self.host)
            .field("device_url", &self.device_url)
            .field("credentials", &self.credentials)
            .field("clock_offset", &self.clock_offset)
            .field("services", &self.services)
            .finish()
    }
}

/// The device service URL and the host label for `address`: `HOST`, `HOST:PORT`,
/// `[v6]:PORT` (then `http://…/onvif/device_service`) or a whole `http(s)://` URL.
pub fn device_url(address: &str) -> Result<(String, String), ErrorKind> {
    let address = address.trim();
    let bad = |detail: &str| ErrorKind::BadAddress {
        detail: detail.to_owned(),
    };
    if address.is_empty() {
        return Err(bad("it is empty"));
    }
    if address
        .chars()
        .any(|c| sanitize::is_unsafe_char(c) || c.is_whitespace())
    {
        return Err(bad("it holds a space or a control character"));
    }
    let (scheme, rest) = match address.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => ("http", rest),
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("https") => ("https", rest),
        Some(_) => return Err(bad("only http:// and https:// are supported")),
        None => ("", address),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    if authority.is_empty() {
        return Err(bad("there is no host"));
    }
    if authority.contains('@') {
        return Err(bad("credentials do not belong in the address (use --user)"));
    }
    if scheme.is_empty() && !path.is_empty() {
        return Err(bad(
            "a path needs the whole URL, e.g. http://HOST/onvif/device_service",
        ));
    }
    let url = if scheme.is_empty() {
        format!("http://{authority}/onvif/device_service")
    } else if path.is_empty() {
        format!("{scheme}://{authority}/onvif/device_service")
    } else {
        format!("{scheme}://{authority}{path}")
    };
    Ok((url, authority.to_owned()))
}

impl Client {
    /// A client for `address` (see [`device_url`]); sends nothing yet.
    pub fn new(
        address: &str,
        credentials: Option<Credentials>,
        config: ClientConfig,
    ) -> Result<Self, OnvifError> {
        let (device_url, host) = device_url(address)
            .map_err(|kind| kind.at(&sanitize::display_safe(address), "connect"))?;
        Ok(Self {
            services: Services::only_device(&device_url),
            host,
            device_url,
            credentials,
            clock_offset: TimeDelta::zero(),
            transport: Transport::new(config),
        })
    }

    /// A client that has measured the clock offset and found the services: what
    /// every other call needs first.
    pub fn connect(
        address: &str,
        credentials: Option<Credentials>,
        config: ClientConfig,
    ) -> Result<Self, OnvifError> {
        let mut client = Self::new(address, credentials, config)?;
        client.sync_clock()?;
        client.discover_services()?;
        Ok(client)
    }

    /// The device as errors name it (`HOST[:PORT]`).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The device service's URL.
    pub fn device_url(&self) -> &str {
        &self.device_url
    }

    /// Whether credentials were given.
    pub fn has_credentials(&self) -> bool {
        self.credentials.is_some()
    }

    /// The services' addresses (after [`Client::discover_services`]).
    pub fn services(&self) -> &Services {
        &self.services
    }

    /// The device's clock minus ours, as last measured.
    pub fn clock_offset(&self) -> TimeDelta {
        self.clock_offset
    }

    /// Sets the clock offset (when it is known from elsewhere).
    pub fn set_clock_offset(&mut self, offset: TimeDelta) {
        self.clock_offset = offset;
    }

    /// Our clock in the device's time.
    pub fn device_now(&self) -> DateTime<Utc> {
        Utc::now() + self.clock_offset
    }

    pub(crate) fn error(&self, call: &str, kind: ErrorKind) -> OnvifError {
        kind.at(&self.host, call)
    }

    /// Posts `body` (the call's element) to `url` as SOAP `action`, authenticated when
    /// credentials were given, and returns the response element inside the body.
    pub fn call(
        &self,
        url: &str,
        call: &str,
        action: &str,
        body: &str,
    ) -> Result<Element, OnvifError> {
        self.call_with(url, call, action, body, true, "", Duration::ZERO)
    }

    /// [`Client::call`] with the choices spelt out: whether to add WS-Security, extra
    /// header XML (WS-Addressing), and extra time on the deadline.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn call_with(
        &self,
        url: &str,
        call: &str,
        action: &str,
        body: &str,
        authenticate: bool,
        extra_headers: &str,
        extra_time: Duration,
    ) -> Result<Element, OnvifError> {
        let mut headers = String::new();
        if authenticate && let Some(c) = &self.credentials {
            headers.push_str(&wsse::security_header(
                &c.user,
                c.password(),
                &wsse::nonce(),
                self.device_now(),
            ));
        }
        headers.push_str(extra_headers);
        let envelope = soap::envelope(&headers, body);
        tracing::debug!(host = %self.host, call, "ONVIF request");
        let reply = self
            .transport
            .post(
                url,
                action,
                &envelope,
                self.credentials.as_ref(),
                extra_time,
            )
            .map_err(|kind| self.error(call, kind))?;
        match soap::response_body(&reply.body) {
            Ok(element) if (200..300).contains(&reply.status) => Ok(element),
            Ok(_) => Err(self.error(
                call,
                ErrorKind::Http {
                    status: reply.status,
                },
            )),
            // A fault says more than the status code that came with it.
            Err(kind @ (ErrorKind::Fault { .. } | ErrorKind::Unauthorized { .. })) => {
                Err(self.error(call, kind))
            }
            Err(_) if !(200..300).contains(&reply.status) => Err(self.error(
                call,
                ErrorKind::Http {
                    status: reply.status,
                },
            )),
            Err(kind) => Err(self.error(call, kind)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(
            device_url("10.0.0.5").expect("ok"),
            (
                "http://10.0.0.5/onvif/device_service".into(),
                "10.0.0.5".into()
            )
        );
        assert_eq!(
            device_url("cam.local:8080").expect("ok").0,
            "http://cam.local:8080/onvif/device_service"
        );
        assert_eq!(
            device_url("[fe80::1]:80").expect("ok").0,
            "http://[fe80::1]:80/onvif/device_service"
        );
        assert_eq!(
            device_url("https://cam/onvif/device_service")
                .expect("ok")
                .0,
            "https://cam/onvif/device_service"
        );
        assert!(device_url("admin:pw@cam").is_err());
        assert!(device_url("rtsp://cam").is_err());
        assert!(device_url("").is_err());
        assert!(device_url("cam/x").is_err());
    }
}
