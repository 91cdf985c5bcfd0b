//! The role switch window ("Switch role") and the operator's name and role in the
//! toolbar. The password goes to the core in a [`Command::SwitchRole`]; the core checks
//! it and says why it refused.
//!
//! Owns: the window's state (the role picked, the password being typed, the last
//! refusal). Must not: check or keep a password (it is cleared after each try).

use egui::{Color32, RichText};

use crate::a11y::Named as _;
use vigil_core::{Command, Core, Refused, Role, RolePassword};

pub const OPEN_LABEL: &str = "Switch role…";
pub const PASSWORD_LABEL: &str = "Role password";
pub const SWITCH_LABEL: &str = "Switch";
pub const CLOSE_LABEL: &str = "Close role switch";
/// The toolbar's operator label starts with this.
pub const OPERATOR_PREFIX: &str = "Operator:";

/// The option a role is picked with ("Role Reviewer").
pub fn role_option_label(role: Role) -> String {
    format!("Role {}", role.label())
}

/// The operator and role as a screen reader names the toolbar's operator menu
/// ("Operator: alice · Guard").
pub fn operator_text(core: &Core) -> String {
    let operator = core.operator();
    format!("{OPERATOR_PREFIX} {} · {}", operator.name, operator.role)
}

/// The operator menu's visible text: short, the toolbar is full ("alice · Guard").
pub fn operator_button_text(core: &Core) -> String {
    let operator = core.operator();
    format!("{} · {}", operator.name, operator.role)
}

/// The role switch window.
#[derive(Default)]
pub struct RoleSwitch {
    open: bool,
    role: Option<Role>,
    password: String,
    refusal: Option<String>,
}

impl RoleSwitch {
    pub fn open(&mut self) {
        self.open = true;
        self.refusal = None;
    }

    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Draws the window while it is open; a switch is sent to `core` at once.
    pub fn ui(&mut self, ctx: &egui::Context, core: &mut Core) {
        if !self.open {
            return;
        }
        let current = core.role();
        let single_user = core.operator().single_user;
        let picked = *self.role.get_or_insert(current);
        let mut open = true;
        let mut switch = false;
        let mut close = false;
        egui::Window::new("Switch role")
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .default_width(360.0)
            .show(ctx, |ui| {
                ui.label(format!("Now: {current}"));
                ui.horizontal(|ui| {
                    for role in Role::ALL {
                        let selected = picked == role;
                        if ui
                            .selectable_label(selected, role.label())
                            .named_toggle(
                                egui::accesskit::Role::RadioButton,
                                selected,
                                &role_option_label(role),
                            )
                            .clicked()
                        {
                            self.role = Some(role);
                            self.refusal = None;
                            ui.ctx().request_repaint();
                        }
                    }
                });
                ui.label(
                    RichText::new(match picked {
                        Role::Guard => "Watch the wall and acknowledge alarms.",
                        Role::Reviewer => "Also play recordings back, bookmark and export.",
                        Role::Installer => "Also change cameras, recording and rules.",
                    })
                    .small(),
                );
                let needs_password = picked > current && !single_user;
                if needs_password {
                    ui.label(format!("{} password", picked.label()));
                    let edit = ui
                        .add(egui::TextEdit::singleline(&mut self.password).password(true))
                        .named_text(PASSWORD_LABEL, "");
                    if edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                        switch = true;
                    }
                } else if single_user {
                    ui.label(
                        RichText::new(
                            "Single-user mode: no role passwords are set (vigil roles set-password).",
                        )
                        .small()
                        .weak(),
                    );
                } else if picked < current {
                    ui.label(RichText::new("Switching down needs no password.").small().weak());
                } else {
                    ui.label(RichText::new("Pick another role.").small().weak());
                }
                if let Some(refusal) = &self.refusal {
                    ui.colored_label(Color32::from_rgb(235, 80, 70), refusal);
                }
                ui.horizontal(|ui| {
                    if ui
                        .add_enabled(picked != current, egui::Button::new(SWITCH_LABEL))
                        .named_button(SWITCH_LABEL)
                        .clicked()
                    {
                        switch = true;
                    }
                    if ui.button("Close").named_button(CLOSE_LABEL).clicked() {
                        close = true;
                    }
                });
            });
        if switch && picked != current {
            let password = RolePassword(std::mem::take(&mut self.password));
            match core.try_apply(Command::SwitchRole {
                role: picked,
                password,
            }) {
                Ok(()) => close = true,
                Err(Refused::Switch(err)) => self.refusal = Some(err.to_string()),
                Err(other) => self.refusal = Some(other.to_string()),
            }
        }
        if close || !open {
            self.open = false;
            self.role = None;
            self.password.clear();
        }
    }
}
