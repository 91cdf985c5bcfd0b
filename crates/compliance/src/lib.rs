//! Vigil's restricted-vendor inventory (`docs/compliance.md`): which cameras show a
//! sign of being made by an entity that a law or regulator restricts (the FCC Covered
//! List, NDAA §889, Canada's order against Hikvision Canada), with the evidence behind
//! each answer.
//!
//! - `rules`: the rules file (`assets/restricted-vendors.toml`, built in; replaceable).
//! - `mac`: MAC and OUI parsing.
//! - `text`: manufacturer names compared without case, punctuation or invisible marks.
//! - `classify`: signals → status and evidence; the one classifier every caller uses.
//! - `banner`: the device web server's `Server` / `WWW-Authenticate` headers, on request.
//! - `report`: the inventory's rows, CSV and printable HTML.
//!
//! Must not: know egui, wgpu or FFmpeg; start threads; talk to a device unless a
//! caller asks for the banner. Its answers are evidence for a person, not legal advice.

pub mod banner;
pub mod classify;
pub mod mac;
pub mod report;
pub mod rules;
pub mod text;

pub use banner::{BannerError, HttpBanner};
pub use classify::{Classification, Evidence, EvidenceSource, Finding, Signals, Status, classify};
pub use mac::{Mac, MacError, Oui};
pub use report::{Inventory, InventoryRow, Warning};
pub use rules::{Rules, RulesError, RulesOrigin};
