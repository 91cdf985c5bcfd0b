//! Where snapshots go: the site file's `[snapshots] dir`, else a `Vigil` folder in the
//! user's Pictures folder as the XDG user-dirs convention names it.
//!
//! The Pictures folder is, in order: `$XDG_PICTURES_DIR` when set to an absolute path;
//! the `XDG_PICTURES_DIR` line of `$XDG_CONFIG_HOME/user-dirs.dirs` (default
//! `~/.config/user-dirs.dirs`, the file `xdg-user-dirs-update` writes and
//! `xdg-user-dir PICTURES` reads, in the user's language: `~/Bilder`, `~/Images`);
//! else `~/Pictures`.
//!
//! Owns: parsing `user-dirs.dirs` and the choice of snapshot folder. Reads that one
//! small file and nothing else. Must not: create the folder (the snapshot writer does,
//! when it saves).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::site::Site;

/// The folder inside the Pictures folder that snapshots go into.
pub const SNAPSHOTS_SUBDIR: &str = "Vigil";
/// The environment variable (and `user-dirs.dirs` key) naming the Pictures folder.
pub const PICTURES_DIR_ENV: &str = "XDG_PICTURES_DIR";

/// The snapshot folder for `site`, from the process environment and the user's
/// `user-dirs.dirs`; `None` only without a home directory and without an override.
pub fn snapshot_dir(site: &Site) -> Option<PathBuf> {
    snapshot_dir_with(
        site,
        |name| std::env::var_os(name),
        |path| std::fs::read_to_string(path).ok(),
    )
}

/// [`snapshot_dir`] with `env` standing in for the environment and `read` for reading
/// a file (tests).
pub fn snapshot_dir_with(
    site: &Site,
    env: impl Fn(&str) -> Option<OsString>,
    read: impl Fn(&Path) -> Option<String>,
) -> Option<PathBuf> {
    let from_site = site
        .snapshots
        .as_ref()
        .and_then(|s| s.dir.as_deref())
        .filter(|dir| Path::new(dir).is_absolute());
    if let Some(dir) = from_site {
        return Some(PathBuf::from(dir));
    }
    pictures_dir(env, read).map(|p| p.join(SNAPSHOTS_SUBDIR))
}

/// The user's Pictures folder (see the module header for the order).
pub fn pictures_dir(
    env: impl Fn(&str) -> Option<OsString>,
    read: impl Fn(&Path) -> Option<String>,
) -> Option<PathBuf> {
    let absolute = |name: &str| env(name).map(PathBuf::from).filter(|p| p.is_absolute());
    if let Some(dir) = absolute(PICTURES_DIR_ENV) {
        return Some(dir);
    }
    let home = absolute("HOME")?;
    let config_home = absolute("XDG_CONFIG_HOME").unwrap_or_else(|| home.join(".config"));
    read(&config_home.join("user-dirs.dirs"))
        .and_then(|text| user_dir(&text, PICTURES_DIR_ENV, &home))
        .or_else(|| Some(home.join("Pictures")))
}

/// The folder `key` names in the text of a `user-dirs.dirs` file. Its lines read
/// `KEY="$HOME/Folder"` or `KEY="/absolute/folder"` (shell syntax, `#` comments,
/// backslash escapes); anything else is ignored, as `xdg-user-dirs` does. The last
/// line for a key wins, as when the shell sources the file.
pub fn user_dir(text: &str, key: &str, home: &Path) -> Option<PathBuf> {
    text.lines().rev().find_map(|line| {
        let (name, value) = line.trim().split_once('=')?;
        if name.trim_end() != key {
            return None;
        }
        let value = unquote(value.trim())?;
        if let Some(rest) = value.strip_prefix("$HOME") {
            match rest.strip_prefix('/') {
                Some(rel) => Some(home.join(rel.trim_end_matches('/'))),
                None if rest.is_empty() => Some(home.to_path_buf()),
                None => None,
            }
        } else if value.starts_with('/') {
            Some(PathBuf::from(value))
        } else {
            None
        }
    })
}

/// The text between double quotes, with backslash escapes undone; `None` when the
/// value is not one quoted string.
fn unquote(value: &str) -> Option<String> {
    let inner = value.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            '"' => {
                let rest = chars.as_str().trim();
                return (rest.is_empty() || rest.starts_with('#')).then_some(out);
            }
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::SnapshotsConfig;

    const USER_DIRS: &str = r#"# This file is written by xdg-user-dirs-update
# If you want to change or add directories, just edit the line you're
# interested in.
XDG_DESKTOP_DIR="$HOME/Desktop"
XDG_PICTURES_DIR="$HOME/Bilder"
XDG_VIDEOS_DIR="$HOME/Videos"
"#;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    /// Reads `user-dirs.dirs` only at `expected`.
    fn file_at(expected: &str, text: &'static str) -> impl Fn(&Path) -> Option<String> {
        let expected = PathBuf::from(expected);
        move |path| (path == expected).then(|| text.to_owned())
    }

    fn no_file(_: &Path) -> Option<String> {
        None
    }

    #[test]
    fn the_user_dirs_file_names_the_pictures_folder() {
        let site = Site::empty();
        let dir = snapshot_dir_with(
            &site,
            env(&[("HOME", "/home/ana")]),
            file_at("/home/ana/.config/user-dirs.dirs", USER_DIRS),
        );
        assert_eq!(dir, Some(PathBuf::from("/home/ana/Bilder/Vigil")));
        // XDG_CONFIG_HOME moves the file.
        let dir = snapshot_dir_with(
            &site,
            env(&[("HOME", "/home/ana"), ("XDG_CONFIG_HOME", "/etc/ana")]),
            file_at("/etc/ana/user-dirs.dirs", USER_DIRS),
        );
        assert_eq!(dir, Some(PathBuf::from("/home/ana/Bilder/Vigil")));
    }

    #[test]
    fn the_environment_variable_wins_over_the_file() {
        let dir = snapshot_dir_with(
            &Site::empty(),
            env(&[("HOME", "/home/ana"), (PICTURES_DIR_ENV, "/data/pics")]),
            file_at("/home/ana/.config/user-dirs.dirs", USER_DIRS),
        );
        assert_eq!(dir, Some(PathBuf::from("/data/pics/Vigil")));
        // A relative value is not a folder: ignored.
        let dir = snapshot_dir_with(
            &Site::empty(),
            env(&[("HOME", "/home/ana"), (PICTURES_DIR_ENV, "pics")]),
            no_file,
        );
        assert_eq!(dir, Some(PathBuf::from("/home/ana/Pictures/Vigil")));
    }

    #[test]
    fn the_site_file_wins_over_everything() {
        let mut site = Site::empty();
        site.snapshots = Some(SnapshotsConfig {
            dir: Some("/srv/evidence".into()),
        });
        let dir = snapshot_dir_with(
            &site,
            env(&[("HOME", "/home/ana"), (PICTURES_DIR_ENV, "/data/pics")]),
            file_at("/home/ana/.config/user-dirs.dirs", USER_DIRS),
        );
        assert_eq!(dir, Some(PathBuf::from("/srv/evidence")));
        // Without a home directory too.
        assert_eq!(
            snapshot_dir_with(&site, env(&[]), no_file),
            Some(PathBuf::from("/srv/evidence"))
        );
    }

    #[test]
    fn without_a_file_it_is_pictures_in_home() {
        let dir = snapshot_dir_with(&Site::empty(), env(&[("HOME", "/home/ana")]), no_file);
        assert_eq!(dir, Some(PathBuf::from("/home/ana/Pictures/Vigil")));
        // A file without a Pictures line, too.
        let dir = snapshot_dir_with(
            &Site::empty(),
            env(&[("HOME", "/home/ana")]),
            file_at(
                "/home/ana/.config/user-dirs.dirs",
                "XDG_MUSIC_DIR=\"$HOME/Music\"\n",
            ),
        );
        assert_eq!(dir, Some(PathBuf::from("/home/ana/Pictures/Vigil")));
        assert_eq!(snapshot_dir_with(&Site::empty(), env(&[]), no_file), None);
    }

    #[test]
    fn user_dirs_lines_follow_the_file_format() {
        let home = Path::new("/home/ana");
        let pics = |text: &str| user_dir(text, PICTURES_DIR_ENV, home);
        assert_eq!(
            pics("XDG_PICTURES_DIR=\"/mnt/photos\"\n"),
            Some(PathBuf::from("/mnt/photos"))
        );
        assert_eq!(
            pics("XDG_PICTURES_DIR=\"$HOME/My \\\"Pics\\\"/\"  # quoted\n"),
            Some(PathBuf::from("/home/ana/My \"Pics\""))
        );
        // `$HOME` alone: the user turned the folder off, it is home itself.
        assert_eq!(
            pics("XDG_PICTURES_DIR=\"$HOME\""),
            Some(PathBuf::from("/home/ana"))
        );
        // Comments, unquoted or relative values and other keys are not folders.
        assert_eq!(pics("#XDG_PICTURES_DIR=\"/x\""), None);
        assert_eq!(pics("XDG_PICTURES_DIR=/x"), None);
        assert_eq!(pics("XDG_PICTURES_DIR=\"Pictures\""), None);
        assert_eq!(pics("XDG_PICTURES_DIR=\"$HOMEx\""), None);
        assert_eq!(pics("XDG_PICTURES_DIR_OLD=\"/x\""), None);
        assert_eq!(pics("XDG_PICTURES_DIR=\"/x"), None);
        // The last line wins, as when a shell sources the file.
        assert_eq!(
            pics("XDG_PICTURES_DIR=\"/a\"\nXDG_PICTURES_DIR=\"/b\"\n"),
            Some(PathBuf::from("/b"))
        );
    }
}
