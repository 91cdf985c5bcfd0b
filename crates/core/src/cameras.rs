//! Camera management as plain data: adding, editing (renaming its id too), removing and
//! reordering cameras and changing the storage settings, each producing a new site
//! that is checked with the site file's own rules before anything changes.
//!
//! Owns: the edits ([`CameraEdit`], [`PasswordChange`], [`SiteChange`]), applying one to
//! a copy of the site (ids carried through the wall and custom layouts), and the
//! outcome the Cameras panel reads back ([`ChangeOutcome`]). Must not: start or stop
//! streams, write files or hold a password anywhere but in [`PasswordChange`] (whose
//! `Debug` hides it) on its way to the credential store.

use std::fmt;

use vigil_config::{CameraConfig, CameraId, Issue, Locator, Site, StorageConfig, validate_site};

/// What happens to a camera's stored password.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum PasswordChange {
    /// Keep what the credential store has.
    #[default]
    Keep,
    /// Store this password.
    Set(String),
    /// Forget the stored password.
    Clear,
}

impl fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Keep => f.write_str("Keep"),
            Self::Set(_) => f.write_str("Set(***)"),
            Self::Clear => f.write_str("Clear"),
        }
    }
}

/// A camera as the Cameras panel saves it.
#[derive(Clone, Debug, PartialEq)]
pub struct CameraEdit {
    /// The camera's id before the edit; `None` adds a new camera.
    pub original: Option<CameraId>,
    /// The camera as it should be (its `username` is the login name; never a password).
    pub camera: CameraConfig,
    pub password: PasswordChange,
}

/// One change to the site's cameras or storage.
#[derive(Clone, Debug, PartialEq)]
pub enum SiteChange {
    /// Add or replace a camera.
    Save(Box<CameraEdit>),
    /// Remove a camera (from the wall and custom layouts too) and its stored password.
    Remove(CameraId),
    /// Move a camera up (negative) or down (positive) the list by this many places.
    Move { camera: CameraId, by: i32 },
    /// Where recordings go and how much room they may take (`None`: the defaults).
    Storage(Option<StorageConfig>),
}

/// What became of the last change, for the Cameras panel.
#[derive(Clone, Debug, PartialEq)]
pub enum ChangeOutcome {
    /// Applied (and queued for saving when the site has a file); the text says what.
    Applied(String),
    /// Refused: nothing changed. The site file's messages, each with where it is.
    Refused(Vec<Issue>),
    /// Not applied yet: the password goes to the vault, whose passphrase is needed
    /// ([`crate::Command::UnlockVault`], then send the change again).
    NeedsPassphrase,
}

/// The site after `change`, checked with the site file's rules; the issues when the
/// result would not load again. `site` itself is not touched.
pub fn apply_change(site: &Site, change: &SiteChange) -> Result<(Site, String), Vec<Issue>> {
    let mut next = site.clone();
    let said = match change {
        SiteChange::Save(edit) => save_camera(&mut next, edit)?,
        SiteChange::Remove(id) => {
            let Some(index) = next.cameras.iter().position(|c| c.id == *id) else {
                return Err(vec![not_found(id)]);
            };
            let removed = next.cameras.remove(index);
            replace_id(&mut next, id, None);
            format!("Camera \"{}\" removed", removed.name)
        }
        SiteChange::Move { camera, by } => {
            let Some(from) = next.cameras.iter().position(|c| c.id == *camera) else {
                return Err(vec![not_found(camera)]);
            };
            let last = next.cameras.len().saturating_sub(1);
            let to = i64::try_from(from)
                .unwrap_or(i64::MAX)
                .saturating_add(i64::from(*by))
                .clamp(0, i64::try_from(last).unwrap_or(i64::MAX));
            let to = usize::try_from(to).unwrap_or(last);
            let moved = next.cameras.remove(from);
            let name = moved.name.clone();
            next.cameras.insert(to, moved);
            format!("Camera \"{name}\" moved to place {}", to + 1)
        }
        SiteChange::Storage(storage) => {
            next.storage.clone_from(storage);
            "Storage settings changed".to_owned()
        }
    };
    let issues = validate_site(&next);
    if issues.is_empty() {
        Ok((next, said))
    } else {
        Err(issues)
    }
}

fn not_found(id: &CameraId) -> Issue {
    Issue {
        locator: Locator::Root("cameras"),
        message: format!(
            "there is no camera `{}` (it was removed meanwhile?)",
            id.escape_debug()
        ),
    }
}

fn save_camera(site: &mut Site, edit: &CameraEdit) -> Result<String, Vec<Issue>> {
    let camera = edit.camera.clone();
    let Some(original) = &edit.original else {
        let said = format!("Camera \"{}\" added", camera.name);
        site.cameras.push(camera);
        return Ok(said);
    };
    let Some(index) = site.cameras.iter().position(|c| c.id == *original) else {
        return Err(vec![not_found(original)]);
    };
    if camera.id != *original {
        replace_id(site, original, Some(&camera.id));
    }
    let said = format!("Camera \"{}\" saved", camera.name);
    site.cameras[index] = camera;
    Ok(said)
}

/// Points every reference to camera `from` (wall tiles, wall windows' tiles, custom
/// layout tiles) at `to`, or empties them with `None`.
fn replace_id(site: &mut Site, from: &CameraId, to: Option<&CameraId>) {
    let references = site
        .wall
        .assignment
        .iter_mut()
        .chain(
            site.wall_windows
                .iter_mut()
                .flat_map(|w| w.assignment.iter_mut()),
        )
        .chain(
            site.layouts
                .iter_mut()
                .flat_map(|l| l.tiles.iter_mut().map(|t| &mut t.camera)),
        );
    for slot in references {
        if slot.as_ref() == Some(from) {
            *slot = to.cloned();
        }
    }
}

/// The index in `site.cameras` an issue is about, and its key, when it is about a
/// camera.
pub fn issue_camera(issue: &Issue) -> Option<(usize, &'static str)> {
    match issue.locator {
        Locator::Camera { index, key } => Some((index, key)),
        Locator::Recording { index, key } => Some((index, key)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_config::{CustomLayout, CustomLayoutKind, TileConfig};

    fn site() -> Site {
        let mut site = Site::empty();
        for id in ["a", "b", "c"] {
            site.cameras.push(CameraConfig::new(
                id,
                id.to_uppercase(),
                format!("/v/{id}.mp4"),
            ));
        }
        site.wall.assignment = vec![Some("a".into()), Some("b".into()), None, None];
        site.layouts.push(CustomLayout {
            name: "Door".into(),
            kind: CustomLayoutKind::Custom,
            cols: 1,
            rows: 1,
            tiles: vec![TileConfig {
                col: 0,
                row: 0,
                w: 1,
                h: 1,
                camera: Some("b".into()),
            }],
        });
        site
    }

    fn edit(original: Option<&str>, camera: CameraConfig) -> SiteChange {
        SiteChange::Save(Box::new(CameraEdit {
            original: original.map(CameraId::from),
            camera,
            password: PasswordChange::Set("hunter2".into()),
        }))
    }

    #[test]
    fn add_edit_rename_remove_and_move() {
        let site = site();
        let (next, said) = apply_change(
            &site,
            &edit(None, CameraConfig::new("d", "Dock", "rtsp://h/s")),
        )
        .expect("add");
        assert_eq!(next.cameras.len(), 4);
        assert_eq!(said, "Camera \"Dock\" added");

        // Renaming an id carries it through the wall and the custom layout.
        let renamed = CameraConfig::new("bee", "Bee", "/v/b.mp4");
        let (next, _) = apply_change(&site, &edit(Some("b"), renamed)).expect("rename");
        assert_eq!(next.cameras[1].id, "bee");
        assert_eq!(next.wall.assignment[1].as_deref(), Some("bee"));
        assert_eq!(next.layouts[0].tiles[0].camera.as_deref(), Some("bee"));

        let (next, _) = apply_change(&site, &SiteChange::Remove("b".into())).expect("remove");
        assert_eq!(next.cameras.len(), 2);
        assert_eq!(next.wall.assignment[1], None);
        assert_eq!(next.layouts[0].tiles[0].camera, None);

        let (next, _) = apply_change(
            &site,
            &SiteChange::Move {
                camera: "a".into(),
                by: 1,
            },
        )
        .expect("move");
        let ids: Vec<&str> = next.cameras.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["b", "a", "c"]);
        let (next, _) = apply_change(
            &site,
            &SiteChange::Move {
                camera: "a".into(),
                by: -5,
            },
        )
        .expect("move past the top stays at the top");
        assert_eq!(next.cameras[0].id, "a");
    }

    #[test]
    fn invalid_changes_are_refused_with_the_site_files_messages() {
        let site = site();
        let issues = apply_change(
            &site,
            &edit(None, CameraConfig::new("a", "Again", "/v/x.mp4")),
        )
        .expect_err("duplicate id");
        assert_eq!(issues.len(), 1);
        assert!(issues[0].message.contains("duplicate camera id `a`"));
        assert_eq!(issue_camera(&issues[0]), Some((3, "id")));

        let issues = apply_change(
            &site,
            &edit(None, CameraConfig::new("d", "D", "rtsp://u:secret@h/s")),
        )
        .expect_err("credentials in the URL");
        assert!(
            issues[0]
                .message
                .contains("contains a user name or password")
        );
        assert!(!issues[0].message.contains("secret"));

        let issues = apply_change(&site, &SiteChange::Remove("zz".into())).expect_err("missing");
        assert!(issues[0].message.contains("no camera `zz`"));

        let issues = apply_change(
            &site,
            &SiteChange::Storage(Some(StorageConfig {
                path: Some("relative/dir".into()),
                quota_gb: Some(0.5),
            })),
        )
        .expect_err("bad storage");
        assert_eq!(issues.len(), 2);
    }

    #[test]
    fn a_password_never_shows_in_debug() {
        let change = edit(None, CameraConfig::new("d", "D", "rtsp://h/s"));
        let text = format!("{change:?}");
        assert!(
            !text.contains("hunter2") && text.contains("Set(***)"),
            "{text}"
        );
    }
}
