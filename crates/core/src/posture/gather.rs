//! The network half of the security check: opens the camera's stream without
//! credentials (the *Test*'s [`AnonymousAttempt`]) and asks its ONVIF device service,
//! once without credentials and once with the installer's, filling [`Observations`].
//! [`PostureCheck`] runs it on a named worker thread (`vigil-posture`) for the app.
//! Must not: try a password the installer did not enter, change a setting on the
//! camera, or run on the UI thread.

use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use vigil_config::redact::{Credentials, Scheme, SourceSpec, parse_source};
use vigil_config::{CameraConfig, CameraId, CredentialStore};
use vigil_media::{Failure, Notify};
use vigil_onvif::{Client, ClientConfig, ErrorKind, OnvifError};

use super::{DeviceSeen, Observations, PostureReport, Seen, SourceKind, evaluate};
use crate::probe::{AnonymousAttempt, AttemptOutcome, main_spec};

/// How the checks run.
#[derive(Clone, Debug)]
pub struct PostureOptions {
    /// The ONVIF requests' deadline and size cap.
    pub onvif: ClientConfig,
    /// How long the stream may take to open (or be refused) without credentials.
    pub rtsp_limit: Duration,
}

impl Default for PostureOptions {
    fn default() -> Self {
        Self {
            onvif: ClientConfig::default(),
            rtsp_limit: Duration::from_secs(8),
        }
    }
}

fn source_kind(source: &str) -> SourceKind {
    match parse_source(source) {
        Ok(SourceSpec::Network(url)) => match url.scheme {
            Scheme::Rtsps => SourceKind::Rtsps,
            Scheme::Rtsp => SourceKind::Rtsp,
        },
        Ok(SourceSpec::File(_)) => SourceKind::File,
        Err(e) => SourceKind::Bad(format!("the source does not parse: {e}")),
    }
}

/// Opens the stream without credentials: `true` when it plays.
fn rtsp_anonymous(camera: &CameraConfig, limit: Duration) -> Seen<bool> {
    let spec = match main_spec(camera, None) {
        Ok(spec) => spec,
        Err(why) => return Seen::No(format!("the source does not parse: {why}")),
    };
    match AnonymousAttempt::start(&spec, limit).wait() {
        AttemptOutcome::Opened => Seen::Yes(true),
        AttemptOutcome::Failed(Failure::WrongCredentials | Failure::Forbidden) => Seen::Yes(false),
        AttemptOutcome::Failed(why) => Seen::No(format!(
            "the stream could not be opened to try without credentials: {why}"
        )),
        AttemptOutcome::NoAnswer => Seen::No(format!(
            "the camera neither played nor refused the stream within {} s",
            limit.as_secs()
        )),
    }
}

/// Whether the device could not be reached at all (then nothing else is asked).
fn unreachable(e: &OnvifError) -> bool {
    matches!(
        e.kind,
        ErrorKind::BadAddress { .. } | ErrorKind::Unreachable { .. } | ErrorKind::Timeout { .. }
    )
}

/// What ONVIF says: anonymous access, the services, the clock and the device.
struct OnvifSeen {
    anonymous: Seen<bool>,
    services: Seen<Vec<String>>,
    clock_offset_secs: Seen<f64>,
    device: Option<DeviceSeen>,
}

fn device_seen(info: vigil_onvif::DeviceInformation) -> DeviceSeen {
    DeviceSeen {
        manufacturer: info.manufacturer,
        model: info.model,
        firmware: info.firmware,
    }
}

fn onvif(address: &str, credentials: Option<&Credentials>, config: ClientConfig) -> OnvifSeen {
    let mut seen = OnvifSeen {
        anonymous: Seen::No(String::new()),
        services: Seen::No(String::new()),
        clock_offset_secs: Seen::No(String::new()),
        device: None,
    };
    let mut bare = match Client::new(address, None, config) {
        Ok(client) => client,
        Err(e) => {
            let why = format!("the ONVIF address is unusable: {e}");
            seen.anonymous = Seen::No(why.clone());
            seen.services = Seen::No(why.clone());
            seen.clock_offset_secs = Seen::No(why);
            return seen;
        }
    };
    // GetSystemDateAndTime is open to anyone by the standard; some firmware wants
    // credentials even there (then the authenticated client below reads the clock).
    let mut clock_needs_login = false;
    match bare.sync_clock() {
        Ok(sdt) if sdt.utc.is_some() => {
            seen.clock_offset_secs = Seen::Yes(bare.clock_offset().as_seconds_f64());
        }
        Ok(_) => seen.clock_offset_secs = Seen::No("the camera did not give its UTC time".into()),
        Err(e) if unreachable(&e) => {
            let why = format!("cannot reach ONVIF: {e}");
            seen.anonymous = Seen::No(why.clone());
            seen.services = Seen::No(why.clone());
            seen.clock_offset_secs = Seen::No(why);
            return seen;
        }
        Err(e) => {
            clock_needs_login = e.is_unauthorized();
            seen.clock_offset_secs = Seen::No(format!("cannot read the camera's clock: {e}"));
        }
    }
    seen.anonymous = match bare.get_device_information() {
        Ok(info) => {
            seen.device = Some(device_seen(info));
            Seen::Yes(true)
        }
        Err(e) if e.is_unauthorized() => Seen::Yes(false),
        Err(e) => Seen::No(format!(
            "GetDeviceInformation without credentials failed for another reason: {e}"
        )),
    };
    let login = credentials
        .filter(|c| !c.username.is_empty())
        .map(|c| vigil_onvif::Credentials::new(c.username.clone(), c.password.clone()));
    match Client::connect(address, login, config) {
        Ok(client) => {
            let s = client.services();
            let urls: Vec<String> = [
                Some(&s.device),
                s.media.as_ref(),
                s.media2.as_ref(),
                s.ptz.as_ref(),
                s.events.as_ref(),
            ]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
            seen.services = Seen::Yes(urls);
            if clock_needs_login {
                seen.clock_offset_secs = Seen::Yes(client.clock_offset().as_seconds_f64());
            }
            if seen.device.is_none() {
                match client.get_device_information() {
                    Ok(info) => seen.device = Some(device_seen(info)),
                    Err(e) => tracing::info!(error = %e, "security check: no device information"),
                }
            }
        }
        Err(e) => seen.services = Seen::No(format!("cannot list the ONVIF services: {e}")),
    }
    seen
}

/// Runs every check's network part on the caller's thread (the stream and ONVIF in
/// parallel): blocks for up to the RTSP limit or a few ONVIF deadlines.
pub fn gather(
    camera: &CameraConfig,
    credentials: Option<&Credentials>,
    options: &PostureOptions,
) -> Observations {
    let source = source_kind(&camera.source);
    let address = camera
        .device
        .as_ref()
        .and_then(|d| d.onvif.clone())
        .filter(|a| !a.trim().is_empty());
    let (rtsp, onvif_seen) = std::thread::scope(|scope| {
        let rtsp = matches!(source, SourceKind::Rtsp | SourceKind::Rtsps).then(|| {
            std::thread::Builder::new()
                .name("vigil-posture-rtsp".to_owned())
                .spawn_scoped(scope, || rtsp_anonymous(camera, options.rtsp_limit))
        });
        let onvif_seen = address
            .as_deref()
            .map(|a| onvif(a, credentials, options.onvif));
        let rtsp = match rtsp {
            Some(Ok(handle)) => handle
                .join()
                .unwrap_or_else(|_| Seen::No("the RTSP check failed".into())),
            Some(Err(e)) => Seen::No(format!("cannot start the RTSP check: {e}")),
            None => Seen::No("a file, not a camera".into()),
        };
        (rtsp, onvif_seen)
    });
    let recorded = camera.device.as_ref().map(|d| DeviceSeen {
        manufacturer: d.manufacturer.clone().unwrap_or_default(),
        model: d.model.clone().unwrap_or_default(),
        firmware: d.firmware.clone().unwrap_or_default(),
    });
    let not_asked = "no ONVIF address";
    let (anonymous, services, clock, device) = match onvif_seen {
        Some(o) => (o.anonymous, o.services, o.clock_offset_secs, o.device),
        None => (
            Seen::No(not_asked.to_owned()),
            Seen::No(not_asked.to_owned()),
            Seen::No(not_asked.to_owned()),
            None,
        ),
    };
    Observations {
        source,
        rtsp_anonymous: rtsp,
        onvif: address,
        onvif_anonymous: anonymous,
        onvif_services: services,
        clock_offset_secs: clock,
        username: credentials
            .map(|c| c.username.clone())
            .filter(|u| !u.is_empty())
            .or_else(|| camera.username.clone()),
        device: device
            .filter(|d| !d.firmware.is_empty())
            .or(recorded.filter(|d| !d.firmware.is_empty())),
    }
}

/// Every check on `camera` with its `credentials`, on the caller's thread.
pub fn check_camera(
    camera: &CameraConfig,
    credentials: Option<&Credentials>,
    options: &PostureOptions,
) -> PostureReport {
    let _span = tracing::info_span!("posture", camera = %camera.id).entered();
    let observed = gather(camera, credentials, options);
    let findings = evaluate(&observed);
    for f in findings
        .iter()
        .filter(|f| f.status == super::Status::Warning)
    {
        tracing::warn!(check = f.check.as_str(), "security check: {}", f.message);
    }
    PostureReport {
        camera: camera.id.to_string(),
        camera_name: camera.name.clone(),
        firmware: observed
            .device
            .map(|d| d.firmware)
            .filter(|f| !f.is_empty()),
        findings,
    }
}

/// The security check of one camera on a worker thread; dropping it lets the worker
/// finish on its own (its result is then dropped).
pub struct PostureCheck {
    camera: CameraId,
    result: Arc<Mutex<Option<PostureReport>>>,
    thread: Option<JoinHandle<()>>,
}

fn lock(result: &Mutex<Option<PostureReport>>) -> MutexGuard<'_, Option<PostureReport>> {
    result.lock().unwrap_or_else(|e| e.into_inner())
}

impl PostureCheck {
    /// Starts checking `camera` with the store's credentials for it; `notify` is
    /// called when the report is ready.
    pub fn start(
        camera: &CameraConfig,
        store: &CredentialStore,
        notify: Notify,
    ) -> Result<Self, String> {
        let credentials = store.for_camera(camera);
        let result = Arc::new(Mutex::new(None));
        let thread = {
            let result = Arc::clone(&result);
            let camera = camera.clone();
            std::thread::Builder::new()
                .name("vigil-posture".to_owned())
                .spawn(move || {
                    let report =
                        check_camera(&camera, credentials.as_ref(), &PostureOptions::default());
                    *lock(&result) = Some(report);
                    notify();
                })
                .map_err(|e| format!("cannot start the security check: {e}"))?
        };
        Ok(Self {
            camera: camera.id.clone(),
            result,
            thread: Some(thread),
        })
    }

    /// The camera being checked.
    pub fn camera(&self) -> &CameraId {
        &self.camera
    }

    /// The report, once the checks are done.
    pub fn report(&self) -> Option<PostureReport> {
        lock(&self.result).clone()
    }

    /// Whether the worker still runs.
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }
}
