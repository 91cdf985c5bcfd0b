//! The `vigil` package: what the command line needs beyond the workspace's crates —
//! the bundled assets' locations (`assets`), `vigil check-config`'s report
//! (`check_config`), `vigil detect` (`detect`), `vigil doctor` (`doctor`), the headless benchmarks (`bench`), the
//! command line's definition (`cli`: help, completions, man pages), the headless
//! commands' credentials (`headless_credentials`), logging set-up (`logging`) and the
//! long commands' progress (`progress`), `vigil audit` (`audit_cmd`) and `vigil roles`
//! (`roles_cmd`).
//!
//! The engine and the app live in `crates/` (see `docs/architecture.md` for the crate
//! map); `main.rs` parses the command line and calls into them.

pub mod assets;
pub mod audit_cmd;
pub mod bench;
pub mod check_config;
pub mod cli;
pub mod detect;
pub mod doctor;
pub mod evidence;
pub mod headless_credentials;
pub mod logging;
pub mod progress;
pub mod roles_cmd;

#[cfg(test)]
mod redaction_tests;
