//! The Cameras panel's device look-ups, off the UI thread: "Add by ONVIF" (one
//! `vigil_onvif::inspect` of a host with the credentials the installer typed, on the
//! `vigil-onvif` thread, with this machine's H.265 hardware decoding asked of
//! `vigil_media::hwaccel`) and discovery (a bounded WS-Discovery Probe on chosen
//! interfaces, on the `vigil-discover` thread).
//!
//! Owns: the jobs and their last outcomes. Must not: send credentials anywhere the
//! installer did not ask for (discovery sends none; an inspection goes only to the host
//! typed), keep the password after the inspection, or log it.

use std::fmt;
use std::time::Duration;

use crossbeam_channel::Receiver;

/// The login typed for an inspection; `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct OnvifLogin {
    pub host: String,
    pub user: String,
    pub password: String,
}

impl fmt::Debug for OnvifLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnvifLogin")
            .field("host", &self.host)
            .field("user", &self.user)
            .field("password", &"***")
            .finish()
    }
}

/// Where an ONVIF inspection stands.
#[derive(Clone, Debug, PartialEq)]
pub enum OnvifLookup {
    /// Asking the device.
    Running { host: String },
    /// What the device said (its texts already display-safe, URIs without
    /// credentials), with the H.265 warning resolved for this machine.
    Done(Box<vigil_onvif::Inspection>),
    /// Why not (no password in it).
    Failed { host: String, message: String },
}

/// What a discovery Probe asks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoveryOrder {
    /// Interface names (empty: every usable one).
    pub interfaces: Vec<String>,
    /// How long to listen (capped by `vigil_discovery::MAX_DURATION`).
    pub duration: Duration,
    /// Devices to keep at most.
    pub max_devices: usize,
}

/// Where a discovery Probe stands.
#[derive(Clone, Debug, PartialEq)]
pub enum DiscoveryLookup {
    Running,
    Done(vigil_discovery::Discovery),
    Failed(String),
}

/// The running jobs and their last outcomes.
#[derive(Default)]
pub(crate) struct Lookups {
    onvif: Option<Receiver<OnvifLookup>>,
    onvif_status: Option<OnvifLookup>,
    discovery: Option<Receiver<DiscoveryLookup>>,
    discovery_status: Option<DiscoveryLookup>,
}

/// Whether this machine decodes H.265 in hardware (the decoder's own test: a device for
/// HEVC opens).
fn h265_hardware_decoder() -> bool {
    vigil_media::hwaccel::allowed()
        && vigil_media::hwaccel::open_for(ffmpeg_next::codec::Id::HEVC).is_ok()
}

impl Lookups {
    /// Starts inspecting `login.host`; replaces the outcome of an earlier one (a
    /// running one finishes unseen).
    pub(crate) fn start_onvif(&mut self, login: OnvifLogin, notify: vigil_media::Notify) {
        let host = login.host.trim().to_owned();
        let (tx, rx) = crossbeam_channel::bounded(1);
        let thread_host = host.clone();
        let spawned = std::thread::Builder::new()
            .name("vigil-onvif".to_owned())
            .spawn(move || {
                let OnvifLogin { user, password, .. } = login;
                let outcome = match vigil_onvif::inspect(&thread_host, user.trim(), &password) {
                    Ok(mut inspection) => {
                        if inspection.proposes_h265() {
                            inspection.set_h265_hardware_decoder(h265_hardware_decoder());
                        }
                        tracing::info!(
                            host = %thread_host,
                            profiles = inspection.profiles.len(),
                            "ONVIF device inspected"
                        );
                        OnvifLookup::Done(Box::new(inspection))
                    }
                    Err(err) => {
                        tracing::warn!(host = %thread_host, %err, "ONVIF inspection failed");
                        OnvifLookup::Failed {
                            host: thread_host,
                            message: err.to_string(),
                        }
                    }
                };
                tx.send(outcome).ok();
                notify();
            });
        match spawned {
            Ok(_) => {
                self.onvif = Some(rx);
                self.onvif_status = Some(OnvifLookup::Running { host });
            }
            Err(err) => {
                self.onvif_status = Some(OnvifLookup::Failed {
                    host,
                    message: format!("cannot start the inspection: {err}"),
                });
            }
        }
    }

    /// Starts a Probe; a running one is left alone.
    pub(crate) fn start_discovery(&mut self, order: DiscoveryOrder, notify: vigil_media::Notify) {
        if self.discovery.is_some() {
            return;
        }
        let (tx, rx) = crossbeam_channel::bounded(1);
        let spawned = std::thread::Builder::new()
            .name("vigil-discover".to_owned())
            .spawn(move || {
                let options = vigil_discovery::ProbeOptions {
                    interfaces: order.interfaces,
                    duration: order.duration.min(vigil_discovery::MAX_DURATION),
                    max_devices: order.max_devices.max(1),
                    ..vigil_discovery::ProbeOptions::default()
                };
                let outcome = match vigil_discovery::probe(&options) {
                    Ok(found) => DiscoveryLookup::Done(found),
                    Err(err) => DiscoveryLookup::Failed(err.to_string()),
                };
                tx.send(outcome).ok();
                notify();
            });
        match spawned {
            Ok(_) => {
                self.discovery = Some(rx);
                self.discovery_status = Some(DiscoveryLookup::Running);
            }
            Err(err) => {
                self.discovery_status = Some(DiscoveryLookup::Failed(format!(
                    "cannot start the probe: {err}"
                )));
            }
        }
    }

    /// Takes finished jobs' outcomes; true when one arrived.
    pub(crate) fn poll(&mut self) -> bool {
        let mut arrived = false;
        if let Some(rx) = &self.onvif {
            match rx.try_recv() {
                Ok(outcome) => {
                    self.onvif_status = Some(outcome);
                    self.onvif = None;
                    arrived = true;
                }
                Err(crossbeam_channel::TryRecvError::Empty) => {}
                Err(crossbeam_channel::TryRecvError::Disconnected) => self.onvif = None,
            }
        }
        if let Some(rx) = &self.discovery {
            match rx.try_recv() {
                Ok(outcome) => {
                    self.discovery_status = Some(outcome);
                    self.discovery = None;
                    arrived = true;
                }
                Err(crossbeam_channel::TryRecvError::Empty) => {}
                Err(crossbeam_channel::TryRecvError::Disconnected) => self.discovery = None,
            }
        }
        arrived
    }

    pub(crate) fn onvif(&self) -> Option<&OnvifLookup> {
        self.onvif_status.as_ref()
    }

    pub(crate) fn discovery(&self) -> Option<&DiscoveryLookup> {
        self.discovery_status.as_ref()
    }

    /// Forgets the ONVIF outcome (the panel left the ONVIF step).
    pub(crate) fn clear_onvif(&mut self) {
        self.onvif = None;
        self.onvif_status = None;
    }
}
