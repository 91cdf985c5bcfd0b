//! Device service calls: GetSystemDateAndTime (and the clock offset it gives),
//! GetDeviceInformation, GetNetworkInterfaces (the MAC), GetServices with
//! GetCapabilities as the fallback (where Media, Media2, PTZ and Events live).
//! Must not: keep device strings unsanitised.

use chrono::{NaiveDate, TimeDelta, Utc};

use crate::client::Client;
use crate::error::{ErrorKind, OnvifError};
use crate::sanitize::{clean_uri, display_safe};
use crate::xml::Element;

const DEVICE_NS: &str = "http://www.onvif.org/ver10/device/wsdl";
const MEDIA_NS: &str = "http://www.onvif.org/ver10/media/wsdl";
const MEDIA2_NS: &str = "http://www.onvif.org/ver20/media/wsdl";
const PTZ_NS: &str = "http://www.onvif.org/ver20/ptz/wsdl";
const EVENTS_NS: &str = "http://www.onvif.org/ver10/events/wsdl";

/// Where the device's services are (absolute http(s) URLs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Services {
    pub device: String,
    pub media: Option<String>,
    pub media2: Option<String>,
    pub ptz: Option<String>,
    pub events: Option<String>,
}

impl Services {
    pub(crate) fn only_device(url: &str) -> Self {
        Self {
            device: url.to_owned(),
            ..Self::default()
        }
    }

    /// Whether any service is offered over HTTPS.
    pub fn any_https(&self) -> bool {
        [
            Some(&self.device),
            self.media.as_ref(),
            self.media2.as_ref(),
            self.ptz.as_ref(),
            self.events.as_ref(),
        ]
        .into_iter()
        .flatten()
        .any(|u| u.starts_with("https://"))
    }
}

/// The device's clock as GetSystemDateAndTime gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemDateTime {
    /// The device's UTC time, when it gave one.
    pub utc: Option<chrono::DateTime<Utc>>,
    /// "NTP" or "Manual".
    pub date_time_type: Option<String>,
    /// The device's time zone (POSIX TZ), display-safe.
    pub time_zone: Option<String>,
}

/// What GetDeviceInformation says, display-safe.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DeviceInformation {
    pub manufacturer: String,
    pub model: String,
    pub firmware: String,
    pub serial: String,
    pub hardware_id: String,
}

/// One network interface: its token, name, MAC and whether it is enabled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkInterface {
    pub token: String,
    pub name: String,
    pub mac: Option<String>,
    pub enabled: bool,
}

fn text(e: &Element, path: &[&str]) -> String {
    e.text_at(path).map(display_safe).unwrap_or_default()
}

fn number<T: std::str::FromStr>(e: &Element, path: &[&str]) -> Option<T> {
    e.text_at(path)?.parse().ok()
}

fn parse_utc(e: &Element) -> Option<chrono::DateTime<Utc>> {
    let date = NaiveDate::from_ymd_opt(
        number(e, &["Date", "Year"])?,
        number(e, &["Date", "Month"])?,
        number(e, &["Date", "Day"])?,
    )?;
    let time = date.and_hms_opt(
        number(e, &["Time", "Hour"])?,
        number(e, &["Time", "Minute"])?,
        number(e, &["Time", "Second"])?,
    )?;
    Some(time.and_utc())
}

/// A MAC address in lower-case `aa:bb:cc:dd:ee:ff` form, or `None` when it is not one.
fn normalise_mac(raw: &str) -> Option<String> {
    let hex: String = raw.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    let separators_ok = raw
        .chars()
        .all(|c| c.is_ascii_hexdigit() || matches!(c, ':' | '-' | '.'));
    if hex.len() != 12 || !separators_ok {
        return None;
    }
    let lower = hex.to_ascii_lowercase();
    let pairs: Vec<&str> = (0..6).map(|i| &lower[i * 2..i * 2 + 2]).collect();
    Some(pairs.join(":"))
}

fn service_url(client: &Client, call: &str, raw: &str) -> Result<String, OnvifError> {
    clean_uri(raw, &["http", "https"]).map_err(|e| {
        client.error(
            call,
            ErrorKind::Invalid {
                what: "service address",
                detail: e.to_string(),
            },
        )
    })
}

impl Client {
    /// GetSystemDateAndTime (sent without credentials, as the standard allows) and
    /// the clock offset from it, which the WS-Security header then uses.
    pub fn sync_clock(&mut self) -> Result<SystemDateTime, OnvifError> {
        let call = "GetSystemDateAndTime";
        let ask = |authenticate: bool| {
            let before = Utc::now();
            let response = self.call_with(
                &self.services.device,
                call,
                &format!("{DEVICE_NS}/GetSystemDateAndTime"),
                "<tds:GetSystemDateAndTime/>",
                authenticate,
                "",
                std::time::Duration::ZERO,
            );
            (before, response, Utc::now())
        };
        // Some firmware wants credentials even here: then ask again with them (the
        // Created time is our clock's until the offset is known).
        let (before, response, after) = match ask(false) {
            (_, Err(e), _) if e.is_unauthorized() && self.has_credentials() => ask(true),
            first => first,
        };
        let response = response?;
        let sdt = response.child("SystemDateAndTime").ok_or_else(|| {
            self.error(
                call,
                ErrorKind::Missing {
                    what: "SystemDateAndTime",
                },
            )
        })?;
        let utc = sdt.child("UTCDateTime").and_then(parse_utc);
        if let Some(device) = utc {
            // The device read its clock somewhere between our two readings.
            let midpoint = before + (after - before) / 2;
            self.set_clock_offset(device - midpoint);
        } else {
            self.set_clock_offset(TimeDelta::zero());
        }
        Ok(SystemDateTime {
            utc,
            date_time_type: sdt.text_at(&["DateTimeType"]).map(display_safe),
            time_zone: sdt.text_at(&["TimeZone", "TZ"]).map(display_safe),
        })
    }

    /// GetDeviceInformation: manufacturer, model, firmware, serial, hardware id.
    pub fn get_device_information(&self) -> Result<DeviceInformation, OnvifError> {
        let r = self.call(
            &self.services.device,
            "GetDeviceInformation",
            &format!("{DEVICE_NS}/GetDeviceInformation"),
            "<tds:GetDeviceInformation/>",
        )?;
        Ok(DeviceInformation {
            manufacturer: text(&r, &["Manufacturer"]),
            model: text(&r, &["Model"]),
            firmware: text(&r, &["FirmwareVersion"]),
            serial: text(&r, &["SerialNumber"]),
            hardware_id: text(&r, &["HardwareId"]),
        })
    }

    /// GetNetworkInterfaces: each interface with its MAC.
    pub fn get_network_interfaces(&self) -> Result<Vec<NetworkInterface>, OnvifError> {
        let r = self.call(
            &self.services.device,
            "GetNetworkInterfaces",
            &format!("{DEVICE_NS}/GetNetworkInterfaces"),
            "<tds:GetNetworkInterfaces/>",
        )?;
        Ok(r.children_named("NetworkInterfaces")
            .map(|i| NetworkInterface {
                token: i.attribute("token").map(display_safe).unwrap_or_default(),
                name: text(i, &["Info", "Name"]),
                mac: i.text_at(&["Info", "HwAddress"]).and_then(normalise_mac),
                enabled: i.text_at(&["Enabled"]) != Some("false"),
            })
            .collect())
    }

    /// Finds the services with GetServices, or GetCapabilities when the device does
    /// not know GetServices (older firmware), and remembers them.
    pub fn discover_services(&mut self) -> Result<&Services, OnvifError> {
        let services = match self.get_services() {
            Ok(s) => s,
            Err(e) if matches!(e.kind, ErrorKind::Fault { .. } | ErrorKind::Http { .. }) => {
                tracing::debug!(host = %self.host(), error = %e, "GetServices failed; trying GetCapabilities");
                self.get_capabilities()?
            }
            Err(e) => return Err(e),
        };
        self.services = services;
        Ok(&self.services)
    }

    /// GetServices: the services' namespaces and addresses.
    pub fn get_services(&self) -> Result<Services, OnvifError> {
        let call = "GetServices";
        let r = self.call(
            &self.services.device,
            call,
            &format!("{DEVICE_NS}/GetServices"),
            "<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>",
        )?;
        let mut services = Services::only_device(&self.services.device);
        for s in r.children_named("Service") {
            let (Some(ns), Some(addr)) = (s.text_at(&["Namespace"]), s.text_at(&["XAddr"])) else {
                continue;
            };
            let url = service_url(self, call, addr)?;
            match ns {
                DEVICE_NS => services.device = url,
                MEDIA_NS => services.media = Some(url),
                MEDIA2_NS => services.media2 = Some(url),
                PTZ_NS => services.ptz = Some(url),
                EVENTS_NS => services.events = Some(url),
                _ => {}
            }
        }
        Ok(services)
    }

    /// GetCapabilities (category All): the services' addresses the older way.
    pub fn get_capabilities(&self) -> Result<Services, OnvifError> {
        let call = "GetCapabilities";
        let r = self.call(
            &self.services.device,
            call,
            &format!("{DEVICE_NS}/GetCapabilities"),
            "<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>",
        )?;
        let caps = r.child("Capabilities").ok_or_else(|| {
            self.error(
                call,
                ErrorKind::Missing {
                    what: "Capabilities",
                },
            )
        })?;
        let addr = |path: &[&str]| -> Result<Option<String>, OnvifError> {
            caps.text_at(path)
                .map(|a| service_url(self, call, a))
                .transpose()
        };
        Ok(Services {
            device: addr(&["Device", "XAddr"])?.unwrap_or_else(|| self.services.device.clone()),
            media: addr(&["Media", "XAddr"])?,
            media2: None,
            ptz: addr(&["PTZ", "XAddr"])?,
            events: addr(&["Events", "XAddr"])?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_are_normalised_or_refused() {
        assert_eq!(
            normalise_mac("28:57:BE:65:7D:D5").as_deref(),
            Some("28:57:be:65:7d:d5")
        );
        assert_eq!(
            normalise_mac("2857-be65-7dd5").as_deref(),
            Some("28:57:be:65:7d:d5")
        );
        assert_eq!(normalise_mac("28:57:be:65:7d"), None);
        assert_eq!(normalise_mac("28:57:be:65:7d:d5\u{202e}"), None);
    }
}
