//! The `vigil` package: what the command line needs beyond the workspace's crates —
//! the bundled assets' locations (`assets`), `vigil check-config`'s report
//! (`check_config`), `vigil doctor` (`doctor`), the headless benchmarks (`bench`), the
//! headless commands' credentials (`headless_credentials`) and logging set-up
//! (`logging`).
//!
//! The engine and the app live in `crates/` (see `docs/architecture.md` for the crate
//! map); `main.rs` parses the command line and calls into them.

pub mod assets;
pub mod bench;
pub mod check_config;
pub mod doctor;
pub mod headless_credentials;
pub mod logging;

#[cfg(test)]
mod redaction_tests;
