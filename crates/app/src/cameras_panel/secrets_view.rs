//! The Cameras window's password-store faces: the vault passphrase asked once in a small
//! modal when a save needs it, and the banner offering to move `credentials.toml`'s
//! plain-text passwords into the keyring (or vault), with the migration's outcome.
//!
//! Owns: the passphrase field while it is typed (never echoed, dropped once sent) and
//! the banner's text. Must not: keep the passphrase after sending it, log it, or run the
//! migration itself (it sends [`Command::MigratePasswords`]; the core runs it on a
//! worker thread).

use egui::{Color32, Role};

use crate::a11y::Named as _;
use vigil_config::PasswordStoreKind;
use vigil_core::{Command, MigrationStatus, VaultPassphrase};

/// Accessible names the tests drive these by.
pub const PASSPHRASE_TITLE: &str = "Vault passphrase";
pub const PASSPHRASE_LABEL: &str = "Vault passphrase field";
pub const UNLOCK_LABEL: &str = "Unlock and save";
pub const MIGRATE_LABEL: &str = "Move them to the keyring";
pub const MIGRATE_TO_VAULT_LABEL: &str = "Move them to the vault";

/// The passphrase prompt's state.
#[derive(Default)]
pub(super) struct PassphrasePrompt {
    open: bool,
    text: String,
    /// The command to send again once the vault is unlocked.
    retry: Option<Command>,
}

impl PassphrasePrompt {
    /// Asks for the passphrase; `retry` is sent again after it.
    pub(super) fn ask(&mut self, retry: Option<Command>) {
        self.open = true;
        self.text.clear();
        if retry.is_some() {
            self.retry = retry;
        }
    }

    /// Draws the modal while it is asked; returns the unlock and the retried command.
    pub(super) fn ui(&mut self, ctx: &egui::Context) -> Vec<Command> {
        let mut commands = Vec::new();
        if !self.open {
            return commands;
        }
        let mut send = false;
        let mut cancel = false;
        egui::Modal::new(egui::Id::unique("vault_passphrase")).show(ctx, |ui| {
            ui.set_width(380.0);
            ui.heading(PASSPHRASE_TITLE);
            ui.label(
                "Camera passwords go to the encrypted vault (no OS keyring answers, or the \
                 site asks for the vault). Type its passphrase; a new vault is created with \
                 it. It is kept in memory until Vigil closes.",
            );
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut self.text)
                        .password(true)
                        .desired_width(340.0),
                )
                .named(Role::PasswordInput, PASSPHRASE_LABEL);
            if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                send = true;
            }
            ui.horizontal(|ui| {
                send |= ui
                    .add_enabled(!self.text.is_empty(), egui::Button::new(UNLOCK_LABEL))
                    .clicked();
                cancel = ui.button("Not now").clicked();
            });
        });
        if send && !self.text.is_empty() {
            commands.push(Command::UnlockVault(VaultPassphrase(std::mem::take(
                &mut self.text,
            ))));
            commands.extend(self.retry.take());
            self.open = false;
        } else if cancel {
            self.text.clear();
            self.retry = None;
            self.open = false;
        }
        commands
    }
}

/// The banner over the camera list: `count` plain-text passwords and the offer to move
/// them, or how the move went.
pub(super) fn migrate_banner_ui(
    ui: &mut egui::Ui,
    count: usize,
    store: PasswordStoreKind,
    status: Option<&MigrationStatus>,
    commands: &mut Vec<Command>,
) {
    let warn = Color32::from_rgb(240, 170, 40);
    match status {
        Some(MigrationStatus::Running) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Moving the passwords out of credentials.toml…");
            });
            return;
        }
        Some(MigrationStatus::Done(report)) if count == 0 => {
            ui.colored_label(
                Color32::LIGHT_GREEN,
                format!(
                    "Moved {} password(s) into the password store; credentials.toml now \
                     holds user names only.",
                    report.moved.len() + report.already_in_store.len()
                ),
            );
            return;
        }
        Some(MigrationStatus::Failed(why)) => {
            ui.colored_label(
                Color32::from_rgb(235, 80, 70),
                format!("The passwords were not moved (credentials.toml is unchanged): {why}"),
            );
        }
        _ => {}
    }
    if count == 0 || store == PasswordStoreKind::File {
        return;
    }
    let (to, label) = if store == PasswordStoreKind::Vault {
        ("the vault", MIGRATE_TO_VAULT_LABEL)
    } else {
        ("the keyring", MIGRATE_LABEL)
    };
    let noun = if count == 1 {
        "password is"
    } else {
        "passwords are"
    };
    ui.colored_label(
        warn,
        format!("{count} {noun} stored in plain text in credentials.toml — move them to {to}."),
    );
    if ui
        .button(label)
        .on_hover_text("Each one is stored, read back, and only then removed from the file")
        .clicked()
    {
        commands.push(Command::MigratePasswords);
    }
}
