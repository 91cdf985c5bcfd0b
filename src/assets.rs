//! Where Vigil's bundled files (the demo clips) live at run time, and what is built in
//! (the application id and window icon).
//!
//! Must not: extract or download anything; it only looks in the known places.

use std::path::PathBuf;

/// Vigil's application id (reverse DNS). The same string names the `.desktop` file,
/// the AppStream metainfo, the icon and the Flatpak, and is the window's Wayland
/// `app_id` / X11 `WM_CLASS`, so desktops match the window to its launcher.
pub const APP_ID: &str = "io.github.vigil_vms.Vigil";

/// The 256 px application icon (generated from `assets/icons/vigil.svg`), for the window.
pub const ICON_PNG: &[u8] = include_bytes!("../assets/icons/vigil-256.png");

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icon_is_a_square_png() {
        let icon = image::load_from_memory(ICON_PNG).expect("icon decodes");
        assert_eq!((icon.width(), icon.height()), (256, 256));
    }

    /// The packaging files carry the application id in their names and contents.
    #[test]
    fn packaging_uses_the_app_id() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging");
        for (file, needle) in [
            (format!("{APP_ID}.desktop"), format!("Icon={APP_ID}")),
            (
                format!("{APP_ID}.desktop"),
                format!("StartupWMClass={APP_ID}"),
            ),
            (
                format!("{APP_ID}.metainfo.xml"),
                format!("<id>{APP_ID}</id>"),
            ),
            (format!("{APP_ID}.yml"), format!("id: {APP_ID}")),
        ] {
            let text = std::fs::read_to_string(dir.join(&file)).expect(&file);
            assert!(text.contains(&needle), "{file} lacks {needle}");
        }
    }
}
