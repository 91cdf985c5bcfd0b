//! "Add by ONVIF" in the Cameras window: host[:port], user and password, *Inspect* (the
//! core asks the device on its `vigil-onvif` thread), then the device's identity, its
//! profiles with their encoder settings, the proposed main and sub stream (changeable),
//! the warnings, and *Use these streams*, which fills the edit form for the installer
//! to check, test and save.
//!
//! Owns: the step's fields and the chosen profiles. Must not: contact the device itself
//! (it sends [`Command::InspectOnvif`]), show a device's text unescaped (crates/onvif
//! makes it display-safe; this view adds nothing raw), or keep the password anywhere
//! but its field and the form it fills.

use egui::{Color32, RichText, Role};

use crate::a11y::Named as _;
use vigil_config::DeviceInfo;
use vigil_core::{Command, OnvifLogin, OnvifLookup};
use vigil_onvif::{InspectedProfile, Inspection};

/// Accessible names and button texts the tests drive the step by.
pub const ONVIF_HOST_LABEL: &str = "ONVIF host";
pub const ONVIF_USER_LABEL: &str = "ONVIF user name";
pub const ONVIF_PASSWORD_LABEL: &str = "ONVIF password";
pub const INSPECT_LABEL: &str = "Inspect";
pub const USE_STREAMS_LABEL: &str = "Use these streams";
pub const MAIN_PROFILE_LABEL: &str = "Main stream profile";
pub const SUB_PROFILE_LABEL: &str = "Sub-stream profile";

/// The ONVIF step's fields.
#[derive(Clone, Debug, Default)]
pub(super) struct OnvifStep {
    pub(super) host: String,
    pub(super) user: String,
    pub(super) password: String,
    /// The profiles chosen (tokens); `None`: the proposal.
    main: Option<String>,
    sub: Option<String>,
    /// The inspection the choices belong to (its host).
    inspected_host: Option<String>,
}

/// What *Use these streams* hands to the edit form.
pub(super) struct ChosenStreams {
    pub(super) name: String,
    pub(super) main_uri: String,
    pub(super) sub_uri: Option<String>,
    pub(super) user: String,
    pub(super) password: String,
    pub(super) device: DeviceInfo,
}

fn some(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

impl OnvifStep {
    /// A step with the host filled in (from discovery); no credentials are sent until
    /// the installer types them and presses *Inspect*.
    pub(super) fn for_host(host: String) -> Self {
        Self {
            host,
            ..Self::default()
        }
    }

    /// Draws the step; pushes [`Command::InspectOnvif`] on *Inspect* and returns the
    /// streams on *Use these streams*.
    pub(super) fn ui(
        &mut self,
        ui: &mut egui::Ui,
        lookup: Option<&OnvifLookup>,
        commands: &mut Vec<Command>,
    ) -> Option<ChosenStreams> {
        let running = matches!(lookup, Some(OnvifLookup::Running { .. }));
        egui::Grid::new("onvif_login_grid")
            .num_columns(2)
            .spacing([8.0, 6.0])
            .show(ui, |ui| {
                ui.label("Host[:port]");
                ui.add(
                    egui::TextEdit::singleline(&mut self.host)
                        .hint_text("192.168.1.64 or camera.local:8080"),
                )
                .named_text(ONVIF_HOST_LABEL, &self.host);
                ui.end_row();
                ui.label("User");
                ui.text_edit_singleline(&mut self.user)
                    .named_text(ONVIF_USER_LABEL, &self.user);
                ui.end_row();
                ui.label("Password");
                ui.add(egui::TextEdit::singleline(&mut self.password).password(true))
                    .named(Role::PasswordInput, ONVIF_PASSWORD_LABEL);
                ui.end_row();
            });
        let can_inspect = !self.host.trim().is_empty() && !running;
        if ui
            .add_enabled(can_inspect, egui::Button::new(INSPECT_LABEL))
            .on_hover_text(
                "Ask the device who it is and which streams it has (the user name and \
                 password go to this host only)",
            )
            .clicked()
        {
            self.main = None;
            self.sub = None;
            commands.push(Command::InspectOnvif(OnvifLogin {
                host: self.host.trim().to_owned(),
                user: self.user.trim().to_owned(),
                password: self.password.clone(),
            }));
        }
        match lookup {
            None => None,
            Some(OnvifLookup::Running { host }) => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(format!("Asking {}…", host.escape_debug()));
                });
                None
            }
            Some(OnvifLookup::Failed { message, .. }) => {
                ui.colored_label(Color32::from_rgb(235, 80, 70), message);
                None
            }
            Some(OnvifLookup::Done(inspection)) => self.inspection_ui(ui, inspection),
        }
    }

    fn inspection_ui(
        &mut self,
        ui: &mut egui::Ui,
        inspection: &Inspection,
    ) -> Option<ChosenStreams> {
        if self.inspected_host.as_deref() != Some(inspection.host.as_str()) {
            self.inspected_host = Some(inspection.host.clone());
            self.main.clone_from(&inspection.proposal.main);
            self.sub.clone_from(&inspection.proposal.sub);
        }
        ui.separator();
        let d = &inspection.device;
        ui.label(RichText::new("Device").strong());
        egui::Grid::new("onvif_identity")
            .num_columns(2)
            .spacing([8.0, 2.0])
            .show(ui, |ui| {
                for (key, value) in [
                    ("Manufacturer", d.manufacturer.as_str()),
                    ("Model", d.model.as_str()),
                    ("Firmware", d.firmware.as_str()),
                    ("Serial", d.serial.as_str()),
                    ("Hardware id", d.hardware_id.as_str()),
                    ("MAC", d.mac.as_deref().unwrap_or("unknown")),
                ] {
                    ui.label(key);
                    // Already display-safe (crates/onvif escapes controls and bidi).
                    ui.label(value);
                    ui.end_row();
                }
            });
        ui.label(RichText::new("Profiles").strong());
        egui::Grid::new("onvif_profiles")
            .num_columns(7)
            .striped(true)
            .spacing([12.0, 2.0])
            .show(ui, |ui| {
                for title in [
                    "Profile",
                    "Codec",
                    "Resolution",
                    "fps",
                    "GOP",
                    "kbit/s",
                    "Stream",
                ] {
                    ui.label(RichText::new(title).weak());
                }
                ui.end_row();
                for p in &inspection.profiles {
                    ui.label(&p.profile.name);
                    match &p.profile.video {
                        Some(v) => {
                            ui.label(&v.codec);
                            ui.label(format!("{}×{}", v.width, v.height));
                            ui.label(v.fps.map_or("?".to_owned(), |f| format!("{f:.0}")));
                            ui.label(match (v.gop, v.keyframe_interval_secs()) {
                                (Some(g), Some(s)) => format!("{g} ({s:.1} s)"),
                                (Some(g), None) => g.to_string(),
                                _ => "?".to_owned(),
                            });
                            ui.label(v.bitrate_kbps.map_or("?".to_owned(), |b| b.to_string()));
                        }
                        None => {
                            for _ in 0..5 {
                                ui.label("—");
                            }
                        }
                    }
                    ui.label(p.stream_uri.as_deref().unwrap_or("no stream URI"));
                    ui.end_row();
                }
            });
        let usable: Vec<&InspectedProfile> = inspection
            .profiles
            .iter()
            .filter(|p| p.profile.video.is_some() && p.stream_uri.is_some())
            .collect();
        let describe = |token: &Option<String>| -> String {
            token
                .as_ref()
                .and_then(|t| usable.iter().find(|p| p.profile.token == *t))
                .map_or("none".to_owned(), |p| profile_text(p))
        };
        egui::Grid::new("onvif_choice")
            .num_columns(2)
            .spacing([8.0, 4.0])
            .show(ui, |ui| {
                for (label, choice, id) in [
                    ("Main stream", &mut self.main, MAIN_PROFILE_LABEL),
                    ("Sub-stream", &mut self.sub, SUB_PROFILE_LABEL),
                ] {
                    ui.label(label);
                    let shown = describe(choice);
                    egui::ComboBox::from_id_salt(id)
                        .selected_text(shown.clone())
                        .width(320.0)
                        .show_ui(ui, |ui| {
                            for p in &usable {
                                ui.selectable_value(
                                    choice,
                                    Some(p.profile.token.clone()),
                                    profile_text(p),
                                );
                            }
                        })
                        .response
                        .named_text(id, &shown);
                    ui.end_row();
                }
            });
        for warning in &inspection.warnings {
            ui.colored_label(Color32::from_rgb(240, 170, 40), format!("⚠ {warning}"));
        }
        let uri = |token: &Option<String>| {
            token
                .as_ref()
                .and_then(|t| usable.iter().find(|p| p.profile.token == *t))
                .and_then(|p| p.stream_uri.clone())
        };
        let main_uri = uri(&self.main);
        if ui
            .add_enabled(main_uri.is_some(), egui::Button::new(USE_STREAMS_LABEL))
            .on_hover_text("Fill the camera's form with these streams, to test and save")
            .clicked()
            && let Some(main_uri) = main_uri
        {
            let sub_uri = uri(&self.sub).filter(|s| *s != main_uri);
            let name = [d.manufacturer.trim(), d.model.trim()]
                .into_iter()
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            return Some(ChosenStreams {
                name: if name.is_empty() {
                    inspection.host.clone()
                } else {
                    name
                },
                main_uri,
                sub_uri,
                user: self.user.trim().to_owned(),
                password: self.password.clone(),
                device: DeviceInfo {
                    onvif: some(&inspection.host),
                    manufacturer: some(&d.manufacturer),
                    model: some(&d.model),
                    firmware: some(&d.firmware),
                    serial: some(&d.serial),
                    hardware_id: some(&d.hardware_id),
                    mac: d.mac.clone(),
                },
            });
        }
        None
    }
}

fn profile_text(p: &InspectedProfile) -> String {
    match &p.profile.video {
        Some(v) => format!(
            "{} — {} {}×{}{}",
            p.profile.name,
            v.codec,
            v.width,
            v.height,
            v.fps.map_or(String::new(), |f| format!(" {f:.0} fps"))
        ),
        None => p.profile.name.clone(),
    }
}
