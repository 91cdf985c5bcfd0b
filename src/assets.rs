//! Where Vigil's bundled files (the demo clips) live at run time.
//!
//! Must not: extract or download anything; it only looks in the known places.

use std::path::PathBuf;

/// The folder of the demo site's clips: `$VIGIL_DEMO_DIR`, then the installed
/// `<prefix>/share/vigil/demo` next to the binary, then the source tree's `assets/demo`.
pub fn demo_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("VIGIL_DEMO_DIR") {
        return PathBuf::from(dir);
    }
    let installed = std::env::current_exe().ok().and_then(|exe| {
        exe.parent()
            .and_then(|bin| bin.parent())
            .map(|p| p.join("share/vigil/demo"))
    });
    if let Some(dir) = installed.filter(|d| d.join("lobby.mp4").is_file()) {
        return dir;
    }
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo"))
}
