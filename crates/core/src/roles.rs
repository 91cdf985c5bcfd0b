//! Operator roles in the core: the role each [`Command`] needs, the operator session
//! (who, which role, single-user or not) and why a command was refused.
//!
//! Owns: the one table of which command needs which role ([`Command::required_role`]).
//! Must not: check passwords itself (`vigil_config::RolesConfig` does) or draw (the app
//! greys out what [`crate::Core::may`] says the role cannot do).

pub use vigil_config::Role;

use crate::command::Command;

/// A password typed into the role switch; never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct RolePassword(pub String);

impl std::fmt::Debug for RolePassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RolePassword(***)")
    }
}

/// Who operates the app now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operator {
    /// The operating-system user the app runs as.
    pub name: String,
    pub role: Role,
    /// No role password is set: every role is open (docs/roles.md).
    pub single_user: bool,
}

impl Operator {
    /// The session a site starts with: Guard when role passwords are set, else
    /// Installer in single-user mode.
    pub fn start(name: String, single_user: bool) -> Self {
        Self {
            name,
            role: if single_user {
                Role::Installer
            } else {
                Role::Guard
            },
            single_user,
        }
    }
}

/// The operating-system user name (`USER`, `LOGNAME`, `USERNAME`), else "unknown".
pub fn os_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Why the core did not carry out a command.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("{what} needs the {needed} role (now {have}): switch role first")]
    NeedsRole {
        what: &'static str,
        needed: Role,
        have: Role,
    },
    #[error("role not switched: {0}")]
    Switch(#[from] vigil_config::RoleError),
}

impl Command {
    /// The lowest role that may carry out this command: Guard watches (the live wall,
    /// layouts, snapshots); Reviewer plays back, bookmarks and exports; Installer
    /// changes cameras, recording and rules.
    pub fn required_role(&self) -> Role {
        match self {
            Command::Assign { .. }
            | Command::PutOnWall(_)
            | Command::Swap(..)
            | Command::Clear(_)
            | Command::Select(_)
            | Command::ToggleMaximise(_)
            | Command::Maximise(_)
            | Command::ToggleFill(_)
            | Command::ZoomAt { .. }
            | Command::Pan { .. }
            | Command::ResetZoom(_)
            | Command::SetLayout(_)
            | Command::SaveLayoutAs(_)
            | Command::ShowStats(_)
            | Command::Snapshot(_)
            | Command::Live
            | Command::Say(_)
            | Command::StopTest
            | Command::AcknowledgeAlarm { .. }
            | Command::CloseAlarm(_)
            | Command::ShowMotion(_)
            | Command::OpenWallWindow
            | Command::CloseWallWindow(_)
            | Command::PlaceWallWindow { .. }
            | Command::Ptz { .. }
            | Command::SwitchRole { .. } => Role::Guard,
            Command::OnWall(_, inner) => inner.required_role(),
            Command::Seek { .. }
            | Command::Play
            | Command::Pause
            | Command::SetSpeed(_)
            | Command::Step(_)
            | Command::Replay { .. }
            | Command::AddBookmark { .. }
            | Command::RemoveBookmark(_)
            | Command::Export(_)
            | Command::ReviewAlarm(_)
            | Command::CancelExport => Role::Reviewer,
            Command::SetRecording { .. }
            | Command::ChangeSite(_)
            | Command::TestStream(_)
            | Command::SecurityCheck(_)
            | Command::UnlockVault(_)
            | Command::MigratePasswords
            | Command::InspectOnvif(_)
            | Command::ClearOnvif
            | Command::Discover(_) => Role::Installer,
        }
    }

    /// The command for a person ("Export", "Playback", …).
    pub fn what(&self) -> &'static str {
        match self {
            Command::Seek { .. }
            | Command::Play
            | Command::Pause
            | Command::SetSpeed(_)
            | Command::Step(_) => "Playback",
            Command::Replay { .. } => "Instant replay",
            Command::ReviewAlarm(_) => "Playing an alarm",
            Command::AddBookmark { .. } => "Adding a bookmark",
            Command::RemoveBookmark(_) => "Removing a bookmark",
            Command::Export(_) | Command::CancelExport => "Export",
            Command::SetRecording { .. } => "Changing recording settings",
            Command::ChangeSite(_) => "Changing cameras or storage",
            Command::TestStream(_) => "Testing a camera",
            Command::SecurityCheck(_) => "Checking a camera's security",
            Command::SaveLayoutAs(_) => "Saving a layout",
            Command::SwitchRole { .. } => "Switching role",
            Command::OnWall(_, inner) => inner.what(),
            Command::Ptz { .. } => "Moving a camera",
            _ => "This",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_config::CameraId;
    use vigil_playback::SeekMode;
    use vigil_time::WallNanos;

    #[test]
    fn the_table_matches_the_roles() {
        let seek = Command::Seek {
            time: WallNanos(0),
            mode: SeekMode::Exact,
        };
        assert_eq!(seek.required_role(), Role::Reviewer);
        assert_eq!(Command::CancelExport.required_role(), Role::Reviewer);
        assert_eq!(Command::Live.required_role(), Role::Guard);
        // Guards steer PTZ cameras.
        for action in [
            crate::ptz::PtzAction::Stop,
            crate::ptz::PtzAction::SavePreset("Gate".into()),
            crate::ptz::PtzAction::Home,
        ] {
            assert_eq!(
                Command::Ptz {
                    camera: CameraId::from("a"),
                    action
                }
                .required_role(),
                Role::Guard
            );
        }
        assert_eq!(
            Command::PutOnWall(CameraId::from("a")).required_role(),
            Role::Guard
        );
        assert_eq!(
            Command::SetRecording {
                camera: CameraId::from("a"),
                recording: None
            }
            .required_role(),
            Role::Installer
        );
    }

    #[test]
    fn a_password_never_shows_in_debug() {
        let c = Command::SwitchRole {
            role: Role::Installer,
            password: RolePassword("hunter2".to_owned()),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn sessions_start_as_guard_unless_single_user() {
        assert_eq!(Operator::start("a".into(), false).role, Role::Guard);
        assert_eq!(Operator::start("a".into(), true).role, Role::Installer);
    }
}
