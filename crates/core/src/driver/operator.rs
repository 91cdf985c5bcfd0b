//! The operator half of [`Core`]: role checks before a command is carried out, role
//! switches, and what goes into the audit trail for each action.
//!
//! Owns: gating [`Command`]s by [`Role`] and describing them for the trail. Must not:
//! carry the commands out (`Core::carry_out` does) or write the index itself (the
//! `vigil-audit` thread does).

use std::time::Duration;

use vigil_config::CameraId;
use vigil_store::{AuditEntry, NewAuditEntry};
use vigil_time::WallNanos;
use vigil_timeline::TimeRange;

use super::Core;
use crate::cameras::{PasswordChange, SiteChange};
use crate::command::Command;
use crate::roles::{Operator, Refused, Role, RolePassword};

/// UTC, RFC 3339 to the millisecond.
pub(crate) fn time_text(time: WallNanos) -> String {
    chrono::DateTime::from_timestamp_nanos(time.0)
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn range_text(range: &TimeRange) -> String {
    format!("{} to {}", time_text(range.start), time_text(range.end))
}

fn cameras_text(cameras: &[CameraId]) -> String {
    cameras
        .iter()
        .map(CameraId::as_str)
        .collect::<Vec<_>>()
        .join(",")
}

/// What the trail says about `command` (action, target, details), for the commands
/// that are operator actions worth keeping; `None` for the rest (tile moves, play).
fn describe(command: &Command) -> Option<(&'static str, String, String)> {
    Some(match command {
        Command::AddBookmark {
            cameras,
            range,
            note,
        } => (
            "bookmark_add",
            cameras_text(cameras),
            format!("{}; note: {note}", range_text(range)),
        ),
        Command::RemoveBookmark(id) => ("bookmark_remove", format!("bookmark {id}"), String::new()),
        Command::Export(order) => (
            "export",
            cameras_text(&order.cameras),
            format!(
                "{}; to {}; case: {}; reason: {}{}",
                range_text(&order.range),
                order.out.display(),
                order.case,
                order.reason,
                if order.burn_in { "; burned in" } else { "" }
            ),
        ),
        Command::CancelExport => ("export_cancel", String::new(), String::new()),
        Command::SaveLayoutAs(name) => (
            "config_change",
            format!("layout {}", name.trim()),
            "saved the wall as a layout".to_owned(),
        ),
        Command::SetRecording { camera, recording } => (
            "config_change",
            camera.to_string(),
            match recording {
                Some(r) => format!(
                    "recording: {:?}, pre-roll {} s, post-roll {} s, max age {}",
                    r.mode,
                    r.pre_roll_s,
                    r.post_roll_s,
                    r.max_age_days
                        .map_or_else(|| "none".to_owned(), |d| format!("{d} days"))
                ),
                None => "recording: off".to_owned(),
            },
        ),
        Command::ChangeSite(change) => describe_site_change(change),
        Command::OnWall(_, inner) => return describe(inner),
        Command::Ptz {
            camera,
            action: crate::ptz::PtzAction::SavePreset(name),
        } => (
            "ptz_preset_save",
            camera.to_string(),
            format!("saved the current position as preset {name:?}"),
        ),
        _ => return None,
    })
}

/// A camera or storage change for the trail: what changed, never a password (only
/// that one was set or cleared).
fn describe_site_change(change: &SiteChange) -> (&'static str, String, String) {
    match change {
        SiteChange::Save(edit) => {
            let camera = &edit.camera;
            let mut details = match &edit.original {
                None => format!("added camera {} ({})", camera.id, camera.name),
                Some(old) if *old != camera.id => {
                    format!("edited camera {old}, now {} ({})", camera.id, camera.name)
                }
                Some(_) => format!("edited camera {} ({})", camera.id, camera.name),
            };
            details.push_str(&format!("; source {}", camera.shown_source()));
            match edit.password {
                PasswordChange::Keep => {}
                PasswordChange::Set(_) => details.push_str("; password set"),
                PasswordChange::Clear => details.push_str("; password cleared"),
            }
            ("config_change", camera.id.to_string(), details)
        }
        SiteChange::Remove(id) => ("config_change", id.to_string(), "removed camera".to_owned()),
        SiteChange::Move { camera, by } => (
            "config_change",
            camera.to_string(),
            format!("moved {by:+} in the camera list"),
        ),
        SiteChange::Storage(storage) => (
            "config_change",
            "storage".to_owned(),
            match storage {
                Some(s) => format!("storage settings: {s:?}"),
                None => "storage settings: defaults".to_owned(),
            },
        ),
    }
}

impl Core {
    /// Who operates the app, in which role.
    pub fn operator(&self) -> &Operator {
        &self.operator
    }

    /// The current role.
    pub fn role(&self) -> Role {
        self.operator.role
    }

    /// Whether the current role may do what `role` may.
    pub fn may(&self, role: Role) -> bool {
        self.operator.role >= role
    }

    /// Whether the current role may carry out `command`.
    pub fn allows(&self, command: &Command) -> bool {
        self.may(command.required_role())
    }

    /// Names the operator (default: the operating-system user).
    pub fn set_operator_name(&mut self, name: String) {
        self.operator.name = name;
    }

    /// Appends an operator action to the audit trail, attributed to the current
    /// operator and role: the hook for actions handled outside the core's commands
    /// (acknowledging and closing alarms). `target` names cameras comma-separated.
    pub fn audit(&mut self, action: &str, target: &str, details: &str) {
        let entry = NewAuditEntry {
            time_ns: self.now().0,
            operator: self.operator.name.clone(),
            role: self.operator.role.as_str().to_owned(),
            action: action.to_owned(),
            target: target.to_owned(),
            details: details.to_owned(),
        };
        if let Err(why) = self.audit_log.record(entry) {
            if self.audit_log.is_on() {
                self.say(format!("Audit trail: {why}"));
            } else {
                tracing::debug!(action, target, reason = %why, "not audited");
            }
        }
    }

    /// Whether actions are recorded (a storage folder is in use).
    pub fn audit_on(&self) -> bool {
        self.audit_log.is_on()
    }

    /// The newest audit entries, oldest first (the Reviewer role and above; empty
    /// below it).
    pub fn audit_entries(&self) -> Vec<AuditEntry> {
        if self.may(Role::Reviewer) {
            self.audit_log.entries()
        } else {
            Vec::new()
        }
    }

    /// Waits until every queued audit entry is written (tests, shutdown).
    pub fn flush_audit(&self, timeout: Duration) -> bool {
        self.audit_log.flush(timeout)
    }

    /// Carries out `command` when the current role allows it: operator actions are
    /// audited first, refusals are said in the status bar and audited too.
    pub fn try_apply(&mut self, command: Command) -> Result<(), Refused> {
        if let Command::SwitchRole { role, password } = command {
            return self.switch_role(role, &password);
        }
        let needed = command.required_role();
        if needed > self.operator.role {
            let refused = Refused::NeedsRole {
                what: command.what(),
                needed,
                have: self.operator.role,
            };
            self.say(refused.to_string());
            self.audit(
                "refused",
                describe(&command).map(|d| d.1).as_deref().unwrap_or(""),
                &refused.to_string(),
            );
            return Err(refused);
        }
        if let Some((action, target, details)) = describe(&command) {
            self.audit(action, &target, &details);
        }
        self.carry_out(command);
        Ok(())
    }

    fn switch_role(&mut self, role: Role, password: &RolePassword) -> Result<(), Refused> {
        let from = self.operator.role;
        if role > from
            && !self.operator.single_user
            && let Err(err) = self.site.roles.check(role, &password.0)
        {
            self.audit(
                "role_switch_refused",
                role.as_str(),
                &format!("from {}: {err}", from.as_str()),
            );
            self.say(format!("Role not switched: {err}"));
            return Err(Refused::Switch(err));
        }
        self.operator.role = role;
        self.audit(
            "role_switch",
            role.as_str(),
            &format!("from {}", from.as_str()),
        );
        self.say(format!("Now operating as {role}"));
        if role < Role::Reviewer && self.is_reviewing() {
            self.carry_out(Command::Live);
        }
        Ok(())
    }
}
