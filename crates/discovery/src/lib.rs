//! WS-Discovery for Vigil: find the ONVIF cameras (network video transmitters) on the
//! local networks.
//!
//! [`probe`] sends one WS-Discovery Probe (SOAP over UDP, to 239.255.255.250:3702,
//! `Types` `dn:NetworkVideoTransmitter`, a fresh `urn:uuid` MessageID) out of each
//! chosen IPv4 interface (`IP_MULTICAST_IF`), repeats it once shortly after (UDP is
//! lossy), and collects the unicast ProbeMatches for a bounded time and a bounded
//! number of datagrams and devices. Replies that do not relate to our MessageID are
//! ignored, malformed ones are counted and skipped, and the same device answering
//! twice (same endpoint reference) is merged. Every text a device sent is cleaned of
//! control characters and bidi overrides before anyone sees it.
//!
//! It blocks for at most [`ProbeOptions::duration`] (30 s at most): the GUI calls it on
//! a worker thread, and can stop it early with [`ProbeOptions::cancel`].
//!
//! ```no_run
//! let found = vigil_discovery::probe(&vigil_discovery::ProbeOptions::default())?;
//! for device in &found.devices {
//!     println!("{} {:?} {:?}", device.address, device.name, device.xaddrs);
//! }
//! # Ok::<(), vigil_discovery::Error>(())
//! ```
//!
//! Must not: send credentials or anything else to a device (discovery only listens to
//! what devices say about themselves), talk ONVIF SOAP over HTTP (that is the ONVIF
//! client's), know FFmpeg, egui or wgpu, or process DTDs and entities.

mod interfaces;
mod message;
mod parse;
mod probe;
mod text;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use serde::Serialize;

pub use interfaces::{Interface, list_interfaces};
pub use probe::probe;
pub use text::sanitize;

/// The WS-Discovery multicast group and port.
pub const MULTICAST_GROUP: Ipv4Addr = Ipv4Addr::new(239, 255, 255, 250);
/// The WS-Discovery port.
pub const PORT: u16 = 3702;
/// The longest a probe may listen.
pub const MAX_DURATION: Duration = Duration::from_secs(30);
/// How long a probe listens unless told otherwise.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(3);
/// Distinct devices kept by default; more are dropped (and [`Discovery::truncated`]).
pub const DEFAULT_MAX_DEVICES: usize = 256;
/// Datagrams read by default before listening stops (a flood cannot keep us busy).
pub const DEFAULT_MAX_DATAGRAMS: usize = 4096;

/// What to probe and for how long.
#[derive(Clone, Debug)]
pub struct ProbeOptions {
    /// Interface names to probe on; empty: every up, non-loopback IPv4 interface with
    /// multicast.
    pub interfaces: Vec<String>,
    /// How long to listen for replies (more than zero, at most [`MAX_DURATION`]).
    pub duration: Duration,
    /// Distinct devices to keep at most (at least 1).
    pub max_devices: usize,
    /// Datagrams to read at most; listening stops when they are read (at least 1).
    pub max_datagrams: usize,
    /// Set to `true` from another thread to stop listening early; what was found so
    /// far is returned.
    pub cancel: Option<Arc<AtomicBool>>,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        Self {
            interfaces: Vec::new(),
            duration: DEFAULT_DURATION,
            max_devices: DEFAULT_MAX_DEVICES,
            max_datagrams: DEFAULT_MAX_DATAGRAMS,
            cancel: None,
        }
    }
}

/// One responder, as it described itself. Every string is sanitised ([`sanitize`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Device {
    /// The IP address its first reply came from.
    pub address: IpAddr,
    /// Its endpoint reference (`wsa:EndpointReference/wsa:Address`, often
    /// `urn:uuid:…`): the identity replies are merged by.
    pub endpoint: String,
    /// Its service addresses (`XAddrs`): the device service URLs for the ONVIF client.
    pub xaddrs: Vec<String>,
    /// The name from an `onvif://www.onvif.org/name/…` scope, percent-decoded.
    pub name: Option<String>,
    /// The hardware from an `onvif://www.onvif.org/hardware/…` scope, percent-decoded.
    pub hardware: Option<String>,
    /// Every scope it listed.
    pub scopes: Vec<String>,
    /// Its types (qualified names as sent, e.g. `dn:NetworkVideoTransmitter`).
    pub types: Vec<String>,
}

/// What a probe found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Discovery {
    /// The devices, in the order their first reply came.
    pub devices: Vec<Device>,
    /// Replies that were not well-formed ProbeMatches (skipped).
    pub malformed: u32,
    /// Replies that did not answer our Probe (another RelatesTo, or none).
    pub ignored: u32,
    /// Whether a cap (devices or datagrams) was reached: there may be more devices.
    pub truncated: bool,
    /// The interfaces the Probe went out on.
    pub interfaces: Vec<Interface>,
    /// How long it listened.
    pub duration: Duration,
}

/// Why a probe could not run. Replies never cause an error: they are skipped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot list the network interfaces: {0}")]
    ListInterfaces(#[source] nix::Error),
    #[error("no network interface named '{name}' (IPv4 interfaces here: {available})")]
    UnknownInterface { name: String, available: String },
    #[error("interface '{name}' cannot be probed: {reason}")]
    UnusableInterface { name: String, reason: &'static str },
    #[error(
        "no up, non-loopback IPv4 interface with multicast to probe on (interfaces here: {available}); name one with --interface"
    )]
    NoInterface { available: String },
    #[error("the probe must listen for more than 0 and at most 30 seconds, not {secs} s")]
    Duration { secs: f64 },
    #[error("the probe's caps on devices and datagrams must be at least 1")]
    Caps,
    #[error("cannot generate a message id: {0}")]
    Random(getrandom::Error),
    #[error("cannot {what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the Probe could not be sent on any interface: {0}")]
    NotSent(String),
}
