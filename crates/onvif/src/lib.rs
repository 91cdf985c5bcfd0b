//! A blocking ONVIF client for setting cameras up and driving them: device identity,
//! media profiles and stream URIs (Media and Media2), PTZ, and pull-point events.
//! Authentication is WS-Security UsernameToken with a password digest (the `Created`
//! time corrected by the device's clock offset) and HTTP Digest when the device asks
//! for it. Every request has a deadline, every response a size cap, and the XML parser
//! refuses DTDs and entities and limits depth; strings from a device are made
//! display-safe before they leave this crate, and URIs carry no credentials.
//!
//! One [`Client`] talks to one device from the caller's thread (run it on a worker
//! thread from a UI); [`inspect()`] is what "Add by ONVIF" needs in one call.
//! See `docs/onvif.md`.
//!
//! Must not: know egui, wgpu, FFmpeg, the site file or the keyring; start threads or an
//! async runtime; log a password.

pub mod client;
pub mod device;
pub mod error;
pub mod events;
pub mod http_digest;
pub mod inspect;
pub mod media;
pub mod ptz;
pub mod sanitize;
pub mod soap;
pub mod transport;
pub mod wsse;
pub mod xml;

pub use client::Client;
pub use device::{DeviceInformation, NetworkInterface, Services, SystemDateTime};
pub use error::{ErrorKind, OnvifError};
pub use events::{Notification, PullPoint};
pub use inspect::{
    DeviceIdentity, InspectOptions, InspectedProfile, Inspection, Proposal, Warning, inspect,
    inspect_with, propose,
};
pub use media::{MediaService, Profile, VideoEncoder};
pub use ptz::{Preset, PtzSpeed};
pub use transport::{ClientConfig, Credentials};
