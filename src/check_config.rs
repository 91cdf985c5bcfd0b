//! `vigil check-config`: loads a site file and words the result for the terminal.
//!
//! Owns: the text the command prints and whether it succeeded. Must not: print
//! anything that has not passed through `vigil_config::redact::redact`.

use std::path::Path;

/// What `vigil check-config PATH` prints, and whether the file loads.
pub fn report(path: &Path) -> (String, bool) {
    match vigil_config::load_site(path) {
        Ok(site) => (
            format!(
                "{}: OK ({} cameras, {} custom layouts)",
                path.display(),
                site.cameras.len(),
                site.layouts.len()
            ),
            true,
        ),
        Err(err) => (vigil_config::redact::redact(&err.to_string()), false),
    }
}
