//! Vigil: an open, vendor-neutral desktop video management client.
//!
//! The engine (`config`, `media`, `redact`) runs without a window; `gpu` and `ui` draw
//! it with egui and wgpu. `main.rs` is the command line on top.

pub mod assets;
pub mod bench;
pub mod config;
pub mod doctor;
pub mod gpu;
pub mod logging;
pub mod media;
pub mod playback;
pub mod record;
pub mod redact;
pub mod store;
pub mod timeline;
pub mod ui;
