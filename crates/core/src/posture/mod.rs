//! A camera's security posture: read-only checks, using only the credentials the
//! installer entered, whose findings the Cameras panel, the Inventory and `vigil
//! posture` show. Each check says ok, warning, "for review" or "could not check" and
//! why:
//!
//! - the RTSP stream opens without credentials;
//! - ONVIF answers without authentication (GetDeviceInformation with no credentials);
//! - only plain transport is offered (the source is `rtsp://`, not `rtsps://`, and/or
//!   no ONVIF service has an `https://` address);
//! - the camera's clock is more than 5 s off ours (GetSystemDateAndTime);
//! - the user name looks like a factory default (`admin`, `root`, `888888`, …);
//! - the firmware string, recorded for review against the vendor's advisories.
//!
//! This module is the pure half: what was observed ([`Observations`]) becomes the
//! findings ([`evaluate`]). The network half is [`gather`] (blocking, for a worker
//! thread or the command line) and [`PostureCheck`] (that worker).
//! Must not: guess passwords, change anything on the camera, or put a password or a URL
//! with credentials into a finding.

mod gather;

pub use gather::{PostureCheck, PostureOptions, check_camera, gather};

/// A device clock further off than this is a warning (the same limit as ONVIF's
/// `inspect`).
pub const MAX_CLOCK_SKEW_SECS: f64 = vigil_onvif::inspect::MAX_CLOCK_OFFSET_SECS;

/// User names cameras ship with, or that installers choose by habit (lower case).
pub const DEFAULT_USER_NAMES: &[&str] = &[
    "admin",
    "administrator",
    "root",
    "user",
    "service",
    "supervisor",
    "888888",
    "666666",
    "guest",
    "default",
    "operator",
    "ubnt",
    "support",
    "system",
    "super",
    "admin1",
];

/// Which check a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CheckKind {
    RtspAnonymous,
    OnvifAnonymous,
    PlainTransport,
    ClockSkew,
    DefaultUser,
    Firmware,
}

impl CheckKind {
    /// Every check, in the order findings are listed.
    pub const ALL: [Self; 6] = [
        Self::RtspAnonymous,
        Self::OnvifAnonymous,
        Self::PlainTransport,
        Self::ClockSkew,
        Self::DefaultUser,
        Self::Firmware,
    ];

    /// The stable name (JSON, logs).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RtspAnonymous => "rtsp_anonymous",
            Self::OnvifAnonymous => "onvif_anonymous",
            Self::PlainTransport => "plain_transport",
            Self::ClockSkew => "clock_skew",
            Self::DefaultUser => "default_user",
            Self::Firmware => "firmware",
        }
    }

    /// The check's name for a person.
    pub fn title(self) -> &'static str {
        match self {
            Self::RtspAnonymous => "RTSP without credentials",
            Self::OnvifAnonymous => "ONVIF without authentication",
            Self::PlainTransport => "Encryption",
            Self::ClockSkew => "Clock",
            Self::DefaultUser => "User name",
            Self::Firmware => "Firmware",
        }
    }
}

/// What a check concluded; ordered from the most to the least urgent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Something to fix.
    Warning,
    /// Not a fault in itself, recorded for a person to review (the firmware).
    Review,
    /// The check could not be made; the message says why.
    NotChecked,
    Ok,
}

impl Status {
    /// The stable name (JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Warning => "warning",
            Self::Review => "review",
            Self::NotChecked => "not_checked",
            Self::Ok => "ok",
        }
    }
}

/// One check's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub check: CheckKind,
    pub status: Status,
    /// What was found, or why it could not be checked, and what to do.
    pub message: String,
}

/// Every check on one camera.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostureReport {
    pub camera: String,
    pub camera_name: String,
    /// The firmware string the device reported (or the site file recorded).
    pub firmware: Option<String>,
    /// One per [`CheckKind`], in [`CheckKind::ALL`]'s order.
    pub findings: Vec<Finding>,
}

impl PostureReport {
    /// The findings that are warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.status == Status::Warning)
    }

    /// The finding of one check.
    pub fn finding(&self, check: CheckKind) -> Option<&Finding> {
        self.findings.iter().find(|f| f.check == check)
    }
}

/// Something observed, or why it could not be.
#[derive(Clone, Debug, PartialEq)]
pub enum Seen<T> {
    Yes(T),
    /// Not observed, and why (shown to the user).
    No(String),
}

/// What the camera's source is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceKind {
    Rtsp,
    Rtsps,
    /// A local file (the demo): no network, nothing to check.
    File,
    /// The site file's source does not parse (the message says why).
    Bad(String),
}

/// The device as GetDeviceInformation (or the site file) describes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceSeen {
    pub manufacturer: String,
    pub model: String,
    pub firmware: String,
}

/// What the network half found, the input of [`evaluate`].
#[derive(Clone, Debug, PartialEq)]
pub struct Observations {
    pub source: SourceKind,
    /// Whether the stream opened without credentials.
    pub rtsp_anonymous: Seen<bool>,
    /// The ONVIF address, when the site file has one.
    pub onvif: Option<String>,
    /// Whether GetDeviceInformation answered without credentials.
    pub onvif_anonymous: Seen<bool>,
    /// The ONVIF services' addresses (device service first).
    pub onvif_services: Seen<Vec<String>>,
    /// Device clock minus ours, in seconds.
    pub clock_offset_secs: Seen<f64>,
    /// The user name the camera is logged in with (site file or credential store).
    pub username: Option<String>,
    pub device: Option<DeviceSeen>,
}

/// Whether `user` looks like a factory default or a habitual name.
pub fn is_default_user(user: &str) -> bool {
    let user = user.trim().to_lowercase();
    DEFAULT_USER_NAMES.contains(&user.as_str())
}

fn finding(check: CheckKind, status: Status, message: impl Into<String>) -> Finding {
    Finding {
        check,
        status,
        message: message.into(),
    }
}

fn rtsp_anonymous(o: &Observations) -> Finding {
    let check = CheckKind::RtspAnonymous;
    match (&o.source, &o.rtsp_anonymous) {
        (SourceKind::File, _) => finding(check, Status::NotChecked, "a file, not a camera"),
        (SourceKind::Bad(why), _) => finding(check, Status::NotChecked, why.clone()),
        (_, Seen::Yes(true)) => finding(
            check,
            Status::Warning,
            "the stream opens without a user name or password: anyone on the camera's network can watch; turn anonymous access off in the camera",
        ),
        (_, Seen::Yes(false)) => finding(
            check,
            Status::Ok,
            "the camera refuses the stream without credentials",
        ),
        (_, Seen::No(why)) => finding(check, Status::NotChecked, why.clone()),
    }
}

fn onvif_anonymous(o: &Observations) -> Finding {
    let check = CheckKind::OnvifAnonymous;
    match (&o.onvif, &o.onvif_anonymous) {
        (None, _) => finding(
            check,
            Status::NotChecked,
            "no ONVIF address in the site file (add the camera by ONVIF, or set [cameras.device] onvif)",
        ),
        (Some(_), Seen::Yes(true)) => finding(
            check,
            Status::Warning,
            "ONVIF answers GetDeviceInformation without authentication: anyone on the network can query the camera; require authentication for ONVIF in the camera",
        ),
        (Some(_), Seen::Yes(false)) => finding(
            check,
            Status::Ok,
            "ONVIF refuses GetDeviceInformation without authentication",
        ),
        (Some(_), Seen::No(why)) => finding(check, Status::NotChecked, why.clone()),
    }
}

fn plain_transport(o: &Observations) -> Finding {
    let check = CheckKind::PlainTransport;
    let video = match &o.source {
        SourceKind::Rtsp => Some(true),
        SourceKind::Rtsps => Some(false),
        SourceKind::File | SourceKind::Bad(_) => None,
    };
    let onvif_plain = match (&o.onvif, &o.onvif_services) {
        (Some(_), Seen::Yes(urls)) if !urls.is_empty() => Some(
            !urls
                .iter()
                .any(|u| u.to_ascii_lowercase().starts_with("https://")),
        ),
        _ => None,
    };
    let mut plain = Vec::new();
    let mut encrypted = Vec::new();
    let mut unknown = Vec::new();
    match video {
        Some(true) => plain.push(
            "the video source is rtsp:// (not rtsps://), so the RTSP login and the video cross the network unencrypted".to_owned(),
        ),
        Some(false) => encrypted.push("the video source is rtsps://".to_owned()),
        None => {}
    }
    match (onvif_plain, &o.onvif, &o.onvif_services) {
        (Some(true), _, _) => plain.push(
            "ONVIF offers only plain HTTP (no service has an https:// address), so its requests are unencrypted".to_owned(),
        ),
        (Some(false), _, _) => encrypted.push("ONVIF offers HTTPS".to_owned()),
        (None, None, _) => {}
        (None, Some(_), Seen::No(why)) => unknown.push(format!("ONVIF not checked: {why}")),
        (None, Some(_), Seen::Yes(_)) => {
            unknown.push("ONVIF not checked: the device listed no services".to_owned());
        }
    }
    let mut parts = plain.clone();
    parts.extend(encrypted.iter().cloned());
    parts.extend(unknown.iter().cloned());
    if !plain.is_empty() {
        finding(check, Status::Warning, parts.join("; "))
    } else if !encrypted.is_empty() {
        finding(check, Status::Ok, parts.join("; "))
    } else if unknown.is_empty() {
        finding(check, Status::NotChecked, "a file, not a camera")
    } else {
        finding(check, Status::NotChecked, parts.join("; "))
    }
}

fn clock_skew(o: &Observations) -> Finding {
    let check = CheckKind::ClockSkew;
    match (&o.onvif, &o.clock_offset_secs) {
        (None, _) => finding(
            check,
            Status::NotChecked,
            "no ONVIF address in the site file, so the camera's clock cannot be read",
        ),
        (Some(_), Seen::Yes(offset)) if offset.abs() > MAX_CLOCK_SKEW_SECS => finding(
            check,
            Status::Warning,
            format!(
                "the camera's clock is {offset:+.0} s off this computer's (more than {MAX_CLOCK_SKEW_SECS:.0} s): recordings and evidence carry the wrong time; set NTP on the camera"
            ),
        ),
        (Some(_), Seen::Yes(offset)) => finding(
            check,
            Status::Ok,
            format!(
                "the camera's clock is within {MAX_CLOCK_SKEW_SECS:.0} s of this computer's ({offset:+.1} s)"
            ),
        ),
        (Some(_), Seen::No(why)) => finding(check, Status::NotChecked, why.clone()),
    }
}

fn default_user(o: &Observations) -> Finding {
    let check = CheckKind::DefaultUser;
    if matches!(o.source, SourceKind::File) && o.onvif.is_none() {
        return finding(check, Status::NotChecked, "a file, not a camera");
    }
    match o.username.as_deref().map(str::trim) {
        None | Some("") => finding(
            check,
            Status::NotChecked,
            "no user name is configured for this camera",
        ),
        Some(user) if is_default_user(user) => finding(
            check,
            Status::Warning,
            format!(
                "the user name \"{}\" is a factory default or a common guess: give Vigil its own account with a name of its own, allowed only to view",
                vigil_onvif::sanitize::display_safe(user)
            ),
        ),
        Some(_) => finding(check, Status::Ok, "the user name is not a common default"),
    }
}

fn firmware(o: &Observations) -> Finding {
    let check = CheckKind::Firmware;
    match o.device.as_ref().filter(|d| !d.firmware.trim().is_empty()) {
        Some(d) => {
            let who = [d.manufacturer.trim(), d.model.trim()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            let who = if who.is_empty() {
                String::new()
            } else {
                format!(" ({who})")
            };
            finding(
                check,
                Status::Review,
                format!(
                    "firmware {}{who}: compare it with the manufacturer's security advisories and update if it is behind",
                    d.firmware.trim()
                ),
            )
        }
        None if o.onvif.is_none() => finding(
            check,
            Status::NotChecked,
            "the firmware is unknown: no ONVIF address, and none recorded in the site file",
        ),
        None => finding(
            check,
            Status::NotChecked,
            "the firmware is unknown: the device did not report it",
        ),
    }
}

/// The findings from what was observed, one per check in [`CheckKind::ALL`]'s order.
pub fn evaluate(o: &Observations) -> Vec<Finding> {
    CheckKind::ALL
        .iter()
        .map(|check| match check {
            CheckKind::RtspAnonymous => rtsp_anonymous(o),
            CheckKind::OnvifAnonymous => onvif_anonymous(o),
            CheckKind::PlainTransport => plain_transport(o),
            CheckKind::ClockSkew => clock_skew(o),
            CheckKind::DefaultUser => default_user(o),
            CheckKind::Firmware => firmware(o),
        })
        .collect()
}

#[cfg(test)]
mod tests;
