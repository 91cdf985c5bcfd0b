//! The `vigil` package: what the command line needs beyond the workspace's crates —
//! the bundled assets' locations (`assets`), `vigil check-config`'s report
//! (`check_config`), `vigil detect` (`detect`), `vigil discover`
//! (`discover_cmd`), `vigil doctor` (`doctor`), the headless benchmarks (`bench`), the
//! command line's definition (`cli`: help, completions, man pages), `vigil credentials`
//! and a run's camera passwords (`credentials_cmd`), the headless
//! commands' credentials (`headless_credentials`), logging set-up (`logging`), `vigil onvif
//! inspect` (`onvif_cmd`), `vigil audit` (`audit_cmd`), `vigil compliance`
//! (`compliance_cmd`), `vigil roles` (`roles_cmd`), the long commands' progress
//! (`progress`) and hidden prompts for secrets (`prompt`).
//!
//! The engine and the app live in `crates/` (see `docs/architecture.md` for the crate
//! map); `main.rs` parses the command line and calls into them.

pub mod assets;
pub mod audit_cmd;
pub mod bench;
pub mod check_config;
pub mod cli;
pub mod compliance_cmd;
pub mod credentials_cmd;
pub mod detect;
pub mod discover_cmd;
pub mod doctor;
pub mod evidence;
pub mod headless_credentials;
pub mod logging;
pub mod onvif_cmd;
pub mod progress;
pub mod prompt;
pub mod roles_cmd;

#[cfg(test)]
mod redaction_tests;
