//! The Cameras window: the site's cameras by group with add, edit, duplicate, remove
//! (confirmed) and reorder; the edit form (name, id, group, RTSP URL, user and password
//! in their own fields, enabled, transport, priority, sub-streams, recording) with the
//! site file's messages beside the fields; *Test* with a live preview and the stream's
//! figures; and the storage settings.
//!
//! Adding a camera starts at a source step ([`AddSource`]): today the RTSP URL; the
//! ONVIF and discovery steps add their own variants and fill the same form.
//!
//! Owns: the form's text and the window's state. Must not: change the site, open a
//! stream or touch the credential store — it sends [`Command::ChangeSite`],
//! [`Command::TestStream`] and [`Command::StopTest`], and checks a change with the same
//! function the core applies it with ([`apply_change`]) to show messages as you type.
//! A password typed here goes only into [`vigil_core::PasswordChange::Set`].

use egui::{Color32, RichText, Role};

mod discovery_view;
mod form;
mod onvif_view;
mod probe_view;
mod secrets_view;

use discovery_view::DiscoveryPage;
pub use discovery_view::{ADD_FOUND_PREFIX, PROBE_LABEL};
pub use form::AddSource;
use form::{Form, id_from_name};
use onvif_view::OnvifStep;
pub use onvif_view::{
    INSPECT_LABEL, MAIN_PROFILE_LABEL, ONVIF_HOST_LABEL, ONVIF_PASSWORD_LABEL, ONVIF_USER_LABEL,
    SUB_PROFILE_LABEL, USE_STREAMS_LABEL,
};
use probe_view::probe_ui;
pub use secrets_view::{
    MIGRATE_LABEL, MIGRATE_TO_VAULT_LABEL, PASSPHRASE_LABEL, PASSPHRASE_TITLE, UNLOCK_LABEL,
};
use secrets_view::{PassphrasePrompt, migrate_banner_ui};

use crate::a11y::Named as _;
use vigil_config::{CameraId, Issue, Locator, RecordingMode, Site, StorageConfig, Transport};
use vigil_core::cameras::{apply_change, issue_camera};
use vigil_core::{
    ChangeOutcome, Command, DiscoveryLookup, MigrationStatus, OnvifLookup, ProbeReport, SiteChange,
};

/// Accessible names and button texts the tests drive the window by.
pub const OPEN_LABEL: &str = "Cameras…";
pub const WINDOW_TITLE: &str = "Cameras";
pub const ADD_LABEL: &str = "Add camera";
pub const DUPLICATE_LABEL: &str = "Duplicate";
pub const REMOVE_LABEL: &str = "Remove";
pub const CONFIRM_REMOVE_LABEL: &str = "Yes, remove";
pub const NAME_LABEL: &str = "Camera name";
pub const ID_LABEL: &str = "Camera id";
pub const GROUP_LABEL: &str = "Group";
pub const URL_LABEL: &str = "RTSP URL";
pub const USER_LABEL: &str = "User name";
pub const PASSWORD_LABEL: &str = "Password";
pub const TEST_LABEL: &str = "Test";
pub const SAVE_LABEL: &str = "Save camera";
pub const CANCEL_LABEL: &str = "Cancel";
pub const STORAGE_PATH_LABEL: &str = "Storage folder";
pub const QUOTA_LABEL: &str = "Storage quota (GB)";
pub const APPLY_STORAGE_LABEL: &str = "Apply storage settings";
/// The warning *Test* shows when the stream opens without credentials.
pub const ANONYMOUS_WARNING: &str = "This camera accepts anonymous viewers: anyone on its network can watch without a password. Turn anonymous access off in the camera.";

/// The Cameras window's state.
#[derive(Default)]
pub struct CamerasPanel {
    open: bool,
    selected: Option<CameraId>,
    form: Option<Form>,
    /// Asked "remove this camera?".
    confirm_remove: Option<CameraId>,
    /// The last refusal from the core (shown until the form changes).
    refused: Vec<Issue>,
    storage_path: String,
    quota_gb: String,
    storage_loaded: bool,
    storage_error: Option<String>,
    /// The form was saved and awaits the core's word.
    awaiting: bool,
    /// The last change sent, to send again once the vault is unlocked.
    last_save: Option<Command>,
    /// The vault passphrase, asked when a save or the migration needs it.
    passphrase: PassphrasePrompt,
    /// The migration's outcome already answered with the passphrase prompt.
    migration_seen: Option<MigrationStatus>,
    /// "Add by ONVIF": host, login and the chosen profiles.
    onvif: OnvifStep,
    /// The discovery page's interface choice.
    discovery: DiscoveryPage,
}

/// What the window needs from the app this frame.
pub struct PanelInput<'a> {
    pub site: &'a Site,
    /// Changes are written to a site file (false: the demo site).
    pub saves: bool,
    pub probe: Option<ProbeReport>,
    /// What became of the last change sent.
    pub outcome: Option<ChangeOutcome>,
    /// Cameras whose password `credentials.toml` still holds in plain text.
    pub plain_text_passwords: usize,
    /// The move of those passwords into the store, once started.
    pub migration: Option<MigrationStatus>,
    /// The last ONVIF inspection asked for.
    pub onvif: Option<OnvifLookup>,
    /// The last discovery Probe.
    pub discovery: Option<DiscoveryLookup>,
}

impl CamerasPanel {
    pub fn is_open(&self) -> bool {
        self.open
    }

    pub fn open(&mut self) {
        self.open = true;
    }

    /// Draws the window; returns the commands for the core.
    pub fn window_ui(&mut self, ctx: &egui::Context, mut input: PanelInput<'_>) -> Vec<Command> {
        let mut commands = Vec::new();
        match input.outcome.take() {
            Some(ChangeOutcome::Applied(_)) if self.awaiting => {
                self.awaiting = false;
                self.selected = self
                    .form
                    .take()
                    .map(|f| CameraId::from(f.id.trim()))
                    .or(self.selected.take());
                self.refused.clear();
                self.last_save = None;
                commands.push(Command::StopTest);
            }
            Some(ChangeOutcome::Refused(issues)) => {
                self.awaiting = false;
                self.last_save = None;
                self.refused = issues;
            }
            Some(ChangeOutcome::NeedsPassphrase) => {
                self.awaiting = false;
                self.passphrase.ask(self.last_save.clone());
            }
            _ => {}
        }
        if input.migration != self.migration_seen {
            if input.migration == Some(MigrationStatus::NeedsPassphrase) {
                self.passphrase.ask(Some(Command::MigratePasswords));
            }
            self.migration_seen.clone_from(&input.migration);
        }
        for command in self.passphrase.ui(ctx) {
            if matches!(command, Command::ChangeSite(_)) {
                self.awaiting = true;
            }
            commands.push(command);
        }
        if !self.open {
            return commands;
        }
        if !self.storage_loaded {
            let storage = input.site.storage.clone().unwrap_or_default();
            self.storage_path = storage.path.unwrap_or_default();
            self.quota_gb = storage.quota_gb.map(|q| q.to_string()).unwrap_or_default();
            self.storage_loaded = true;
        }
        let mut open = self.open;
        egui::Window::new(WINDOW_TITLE)
            .open(&mut open)
            .default_size([820.0, 560.0])
            .resizable(true)
            .collapsible(false)
            .show(ctx, |ui| {
                if !input.saves {
                    ui.colored_label(
                        Color32::from_rgb(240, 170, 40),
                        "This site has no file (the demo): changes last until Vigil closes. \
                         Start with --config to keep them.",
                    );
                }
                if input.saves {
                    migrate_banner_ui(
                        ui,
                        input.plain_text_passwords,
                        input.site.password_store(),
                        input.migration.as_ref(),
                        &mut commands,
                    );
                }
                ui.horizontal_top(|ui| {
                    ui.vertical(|ui| {
                        ui.set_width(230.0);
                        self.list_ui(ui, input.site, &mut commands);
                    });
                    ui.separator();
                    ui.vertical(|ui| {
                        egui::ScrollArea::vertical()
                            .id_salt("camera_form")
                            .show(ui, |ui| {
                                if self.form.is_some() {
                                    self.form_ui(ui, &input, &mut commands);
                                } else {
                                    ui.label(
                                        "Pick a camera to edit it, or add one. Changes are \
                                         checked, applied at once and saved.",
                                    );
                                }
                                ui.separator();
                                self.storage_ui(ui, input.site, &mut commands);
                            });
                    });
                });
            });
        if !open {
            self.open = false;
            self.form = None;
            commands.push(Command::StopTest);
        }
        commands
    }

    fn list_ui(&mut self, ui: &mut egui::Ui, site: &Site, commands: &mut Vec<Command>) {
        let mut groups: Vec<Option<&str>> = Vec::new();
        for camera in &site.cameras {
            let group = camera.group.as_deref();
            if !groups.contains(&group) {
                groups.push(group);
            }
        }
        egui::ScrollArea::vertical()
            .id_salt("camera_list")
            .max_height(380.0)
            .show(ui, |ui| {
                for group in groups {
                    ui.label(RichText::new(group.unwrap_or("No group")).strong());
                    let count = site.cameras.len();
                    for (index, camera) in site.cameras.iter().enumerate() {
                        if camera.group.as_deref() != group {
                            continue;
                        }
                        ui.horizontal(|ui| {
                            let up = ui
                                .add_enabled(index > 0, egui::Button::new("⏶").small())
                                .named_button(&format!("Move {} up", camera.name));
                            if up.clicked() {
                                commands.push(Command::ChangeSite(SiteChange::Move {
                                    camera: camera.id.clone(),
                                    by: -1,
                                }));
                            }
                            let down = ui
                                .add_enabled(index + 1 < count, egui::Button::new("⏷").small())
                                .named_button(&format!("Move {} down", camera.name));
                            if down.clicked() {
                                commands.push(Command::ChangeSite(SiteChange::Move {
                                    camera: camera.id.clone(),
                                    by: 1,
                                }));
                            }
                            let selected = self.selected.as_ref() == Some(&camera.id);
                            let text = if camera.enabled {
                                RichText::new(&camera.name)
                            } else {
                                RichText::new(format!("{} (disabled)", camera.name)).weak()
                            };
                            if ui
                                .selectable_label(selected, text)
                                .on_hover_text(camera.shown_source())
                                .named_toggle(
                                    Role::Button,
                                    selected,
                                    &format!("Edit {}", camera.name),
                                )
                                .clicked()
                            {
                                self.selected = Some(camera.id.clone());
                                self.form = Some(Form::from_camera(
                                    Some(camera.id.clone()),
                                    camera.clone(),
                                ));
                                self.refused.clear();
                                self.confirm_remove = None;
                                commands.push(Command::StopTest);
                            }
                        });
                    }
                    ui.add_space(4.0);
                }
            });
        ui.separator();
        ui.horizontal_wrapped(|ui| {
            if ui.button(ADD_LABEL).clicked() {
                self.form = Some(Form::new_camera(site));
                self.onvif = OnvifStep::default();
                commands.push(Command::ClearOnvif);
                self.selected = None;
                self.refused.clear();
                commands.push(Command::StopTest);
            }
            let chosen = self.selected.as_ref().and_then(|id| site.camera(id));
            if ui
                .add_enabled(chosen.is_some(), egui::Button::new(DUPLICATE_LABEL))
                .on_hover_text("A new camera with this one's settings (the password is not copied)")
                .clicked()
                && let Some(camera) = chosen
            {
                let mut copy = camera.clone();
                let mut n = 2;
                while site.camera(&format!("{}-{n}", camera.id)).is_some() {
                    n += 1;
                }
                copy.id = CameraId::from(format!("{}-{n}", camera.id));
                copy.name = format!("{} ({n})", camera.name);
                let mut form = Form::from_camera(None, copy);
                form.id_typed = true;
                self.form = Some(form);
                self.selected = None;
                self.refused.clear();
            }
            if ui
                .add_enabled(chosen.is_some(), egui::Button::new(REMOVE_LABEL))
                .clicked()
                && let Some(camera) = chosen
            {
                self.confirm_remove = Some(camera.id.clone());
            }
        });
        if let Some(id) = self.confirm_remove.clone() {
            let name = site.camera(&id).map_or(id.to_string(), |c| c.name.clone());
            ui.colored_label(
                Color32::from_rgb(240, 170, 40),
                format!(
                    "Remove \"{name}\"? It leaves the wall and its password is forgotten; \
                     its recordings stay until retention deletes them."
                ),
            );
            ui.horizontal(|ui| {
                if ui.button(CONFIRM_REMOVE_LABEL).clicked() {
                    commands.push(Command::ChangeSite(SiteChange::Remove(id.clone())));
                    self.confirm_remove = None;
                    self.selected = None;
                    self.form = None;
                    commands.push(Command::StopTest);
                }
                if ui.button("Keep it").clicked() {
                    self.confirm_remove = None;
                }
            });
        }
    }

    fn form_ui(&mut self, ui: &mut egui::Ui, input: &PanelInput<'_>, commands: &mut Vec<Command>) {
        let Some(form) = &mut self.form else {
            return;
        };
        ui.heading(if form.original.is_some() {
            format!("Edit \"{}\"", form.base.name)
        } else {
            "New camera".to_owned()
        });
        if form.original.is_none() {
            ui.horizontal(|ui| {
                ui.label("Add by");
                for (source, label) in [
                    (AddSource::RtspUrl, "RTSP URL"),
                    (AddSource::Onvif, "ONVIF"),
                    (AddSource::Discovery, "Discovery"),
                ] {
                    ui.selectable_value(&mut form.source, source, label)
                        .named_toggle(
                            Role::Button,
                            form.source == source,
                            &format!("Add by {label}"),
                        );
                }
            });
        }
        match form.source {
            AddSource::RtspUrl => {}
            AddSource::Onvif => {
                if let Some(chosen) = self.onvif.ui(ui, input.onvif.as_ref(), commands) {
                    form.use_onvif(chosen);
                    self.onvif.password.clear();
                    commands.push(Command::ClearOnvif);
                }
                return;
            }
            AddSource::Discovery => {
                if let Some(host) = self.discovery.ui(ui, input.discovery.as_ref(), commands) {
                    // The host only: nothing is sent to the device until Inspect.
                    self.onvif = OnvifStep::for_host(host);
                    form.source = AddSource::Onvif;
                    commands.push(Command::ClearOnvif);
                }
                return;
            }
        }
        // The change as it would be sent, checked like the core checks it.
        let candidate = form.camera();
        let issues: Vec<Issue> = match &candidate {
            Ok(camera) => {
                let change = SiteChange::Save(Box::new(form.edit(camera.clone())));
                apply_change(input.site, &change).err().unwrap_or_default()
            }
            Err(_) => Vec::new(),
        };
        let number_errors = candidate.as_ref().err().cloned().unwrap_or_default();
        // Where the edited camera is in the candidate site: messages about it go next
        // to its fields, the others under the form.
        let index = form
            .original
            .as_ref()
            .and_then(|o| input.site.cameras.iter().position(|c| c.id == *o))
            .unwrap_or(input.site.cameras.len());
        let field_messages = |key: &str| -> Vec<String> {
            issues
                .iter()
                .filter(|i| matches!(issue_camera(i), Some((n, k)) if n == index && k == key))
                .map(|i| i.message.clone())
                .chain(
                    number_errors
                        .iter()
                        .filter(|(k, _)| *k == key)
                        .map(|(_, m)| m.clone()),
                )
                .collect()
        };
        let mut changed = false;
        egui::Grid::new("camera_form_grid")
            .num_columns(2)
            .spacing([8.0, 6.0])
            .show(ui, |ui| {
                ui.label("Name");
                let r = ui
                    .text_edit_singleline(&mut form.name)
                    .named_text(NAME_LABEL, &form.name);
                if r.changed() {
                    changed = true;
                    if !form.id_typed {
                        form.id = id_from_name(&form.name);
                    }
                }
                ui.end_row();
                messages_row(ui, &field_messages("name"));

                ui.label("Id");
                let r = ui
                    .text_edit_singleline(&mut form.id)
                    .on_hover_text("Letters, digits, '-' and '_'; unique in the site")
                    .named_text(ID_LABEL, &form.id);
                if r.changed() {
                    form.id_typed = true;
                    changed = true;
                }
                ui.end_row();
                messages_row(ui, &field_messages("id"));

                ui.label("Group");
                changed |= ui
                    .add(egui::TextEdit::singleline(&mut form.group).hint_text("Site / floor"))
                    .named_text(GROUP_LABEL, &form.group)
                    .changed();
                ui.end_row();
                messages_row(ui, &field_messages("group"));

                ui.label("RTSP URL");
                let r = ui
                    .add(
                        egui::TextEdit::singleline(&mut form.url)
                            .desired_width(360.0)
                            .hint_text("rtsp://camera:554/stream"),
                    )
                    .named_text(URL_LABEL, &vigil_config::redact::redact(&form.url));
                if r.changed() {
                    changed = true;
                    form.split_credentials();
                }
                ui.end_row();
                if let Some(notice) = &form.url_notice {
                    messages_row_coloured(ui, std::slice::from_ref(notice), Color32::LIGHT_BLUE);
                }
                messages_row(ui, &field_messages("source"));

                ui.label("User");
                changed |= ui
                    .text_edit_singleline(&mut form.user)
                    .named_text(USER_LABEL, &form.user)
                    .changed();
                ui.end_row();
                messages_row(ui, &field_messages("username"));

                ui.label("Password");
                let hint = if form.original.is_some() {
                    "unchanged"
                } else {
                    ""
                };
                let r = ui
                    .add(
                        egui::TextEdit::singleline(&mut form.password)
                            .password(true)
                            .hint_text(hint),
                    )
                    .named(Role::PasswordInput, PASSWORD_LABEL);
                if r.changed() {
                    form.password_typed = true;
                    changed = true;
                }
                ui.end_row();

                ui.label("");
                ui.horizontal(|ui| {
                    changed |= ui.checkbox(&mut form.enabled, "Enabled").changed();
                    ui.label("Transport");
                    changed |= ui
                        .selectable_value(&mut form.transport, Transport::Tcp, "TCP")
                        .changed();
                    changed |= ui
                        .selectable_value(&mut form.transport, Transport::Udp, "UDP")
                        .changed();
                    ui.label("Priority");
                    changed |= ui
                        .add(egui::DragValue::new(&mut form.priority).range(-100..=100))
                        .on_hover_text("Higher keeps its full frame rate longer under load")
                        .named(Role::SpinButton, "Priority")
                        .changed();
                });
                ui.end_row();

                ui.label("Sub-streams");
                ui.vertical(|ui| {
                    let mut remove = None;
                    for (n, (name, url)) in form.substreams.iter_mut().enumerate() {
                        ui.horizontal(|ui| {
                            changed |= ui
                                .add(egui::TextEdit::singleline(name).desired_width(60.0))
                                .named_text(&format!("Sub-stream {} name", n + 1), name)
                                .changed();
                            changed |= ui
                                .add(egui::TextEdit::singleline(url).desired_width(280.0))
                                .named_text(
                                    &format!("Sub-stream {} URL", n + 1),
                                    &vigil_config::redact::redact(url),
                                )
                                .changed();
                            if ui
                                .small_button("✖")
                                .named_button(&format!("Remove sub-stream {}", n + 1))
                                .clicked()
                            {
                                remove = Some(n);
                            }
                        });
                    }
                    if let Some(n) = remove {
                        form.substreams.remove(n);
                        changed = true;
                    }
                    if ui.small_button("Add sub-stream").clicked() {
                        let name = if form.substreams.is_empty() {
                            "sub"
                        } else {
                            "third"
                        };
                        form.substreams.push((name.to_owned(), String::new()));
                        changed = true;
                    }
                });
                ui.end_row();
                messages_row(ui, &field_messages("substreams"));

                ui.label("Recording");
                ui.horizontal(|ui| {
                    for (mode, label) in [
                        (RecordingMode::Off, "Off"),
                        (RecordingMode::Continuous, "Continuous"),
                        (RecordingMode::Events, "Events"),
                    ] {
                        changed |= ui
                            .selectable_value(&mut form.mode, mode, label)
                            .named_toggle(
                                Role::Button,
                                form.mode == mode,
                                &format!("Recording {label}"),
                            )
                            .changed();
                    }
                });
                ui.end_row();
                if form.mode != RecordingMode::Off {
                    ui.label("Keep (days)");
                    changed |= ui
                        .add(
                            egui::TextEdit::singleline(&mut form.max_age_days)
                                .desired_width(80.0)
                                .hint_text("until full"),
                        )
                        .named_text("Retention days", &form.max_age_days)
                        .changed();
                    ui.end_row();
                    messages_row(ui, &field_messages("max_age_days"));
                }
                if form.mode == RecordingMode::Events {
                    ui.label("Pre-roll (s)");
                    changed |= ui
                        .add(egui::TextEdit::singleline(&mut form.pre_roll_s).desired_width(80.0))
                        .named_text("Pre-roll seconds", &form.pre_roll_s)
                        .changed();
                    ui.end_row();
                    messages_row(ui, &field_messages("pre_roll_s"));
                    ui.label("Post-roll (s)");
                    changed |= ui
                        .add(egui::TextEdit::singleline(&mut form.post_roll_s).desired_width(80.0))
                        .named_text("Post-roll seconds", &form.post_roll_s)
                        .changed();
                    ui.end_row();
                    messages_row(ui, &field_messages("post_roll_s"));
                }
            });
        if changed {
            self.refused.clear();
        }
        // Messages about other parts of the site, and the core's refusal.
        let placed = ["name", "id", "group", "source", "username", "substreams"];
        let others: Vec<String> = issues
            .iter()
            .filter(|i| {
                !matches!(issue_camera(i), Some((n, k)) if n == index
                    && (placed.contains(&k) || matches!(i.locator, Locator::Recording { .. })))
            })
            .chain(self.refused.iter())
            .map(|i| i.message.clone())
            .collect();
        for message in &others {
            ui.colored_label(Color32::from_rgb(235, 80, 70), message);
        }
        let valid = issues.is_empty() && candidate.is_ok();
        let mut cancel = false;
        ui.horizontal(|ui| {
            let can_test = candidate.is_ok() && !form.url.trim().is_empty();
            if ui
                .add_enabled(can_test, egui::Button::new(TEST_LABEL))
                .on_hover_text("Open the stream and measure it, without saving")
                .clicked()
                && let Ok(camera) = &candidate
            {
                commands.push(Command::TestStream(Box::new(form.edit(camera.clone()))));
            }
            if ui
                .add_enabled(valid && !self.awaiting, egui::Button::new(SAVE_LABEL))
                .clicked()
                && let Ok(camera) = candidate.clone()
            {
                let save = Command::ChangeSite(SiteChange::Save(Box::new(form.edit(camera))));
                self.last_save = Some(save.clone());
                commands.push(save);
                self.awaiting = true;
            }
            cancel = ui.button(CANCEL_LABEL).clicked();
        });
        if cancel {
            self.form = None;
            self.refused.clear();
            commands.push(Command::StopTest);
            return;
        }
        if let Some(report) = &input.probe {
            probe_ui(ui, report);
        }
    }

    fn storage_ui(&mut self, ui: &mut egui::Ui, site: &Site, commands: &mut Vec<Command>) {
        ui.heading("Storage");
        let quota = self.quota_gb.trim();
        let quota_gb = if quota.is_empty() {
            Ok(None)
        } else {
            quota
                .parse::<f64>()
                .map(Some)
                .map_err(|_| format!("`{}` is not a number", quota.escape_debug()))
        };
        let path = self.storage_path.trim();
        let storage = quota_gb.clone().map(|quota_gb| {
            let storage = StorageConfig {
                path: Some(path.to_owned()).filter(|p| !p.is_empty()),
                quota_gb,
            };
            (storage != StorageConfig::default()).then_some(storage)
        });
        let issues: Vec<String> = match &storage {
            Ok(storage) => apply_change(site, &SiteChange::Storage(storage.clone()))
                .err()
                .unwrap_or_default()
                .into_iter()
                .filter(|i| matches!(i.locator, Locator::Storage(_)))
                .map(|i| i.message)
                .collect(),
            Err(why) => vec![why.clone()],
        };
        egui::Grid::new("storage_grid")
            .num_columns(2)
            .show(ui, |ui| {
                ui.label("Folder");
                ui.add(
                    egui::TextEdit::singleline(&mut self.storage_path)
                        .desired_width(320.0)
                        .hint_text("<data directory>/recordings"),
                )
                .named_text(STORAGE_PATH_LABEL, &self.storage_path);
                ui.end_row();
                ui.label("Quota (GB)");
                ui.add(
                    egui::TextEdit::singleline(&mut self.quota_gb)
                        .desired_width(80.0)
                        .hint_text("none"),
                )
                .named_text(QUOTA_LABEL, &self.quota_gb);
                ui.end_row();
            });
        for message in &issues {
            ui.colored_label(Color32::from_rgb(235, 80, 70), message);
        }
        if let Some(err) = &self.storage_error {
            ui.colored_label(Color32::from_rgb(235, 80, 70), err);
        }
        let unchanged = storage.as_ref().is_ok_and(|s| *s == site.storage);
        if ui
            .add_enabled(
                issues.is_empty() && !unchanged,
                egui::Button::new(APPLY_STORAGE_LABEL),
            )
            .on_hover_text("The quota applies at once; a new folder is used from the next start")
            .clicked()
            && let Ok(storage) = storage
        {
            commands.push(Command::ChangeSite(SiteChange::Storage(storage)));
        }
    }
}

fn messages_row(ui: &mut egui::Ui, messages: &[String]) {
    messages_row_coloured(ui, messages, Color32::from_rgb(235, 80, 70));
}

fn messages_row_coloured(ui: &mut egui::Ui, messages: &[String], colour: Color32) {
    if messages.is_empty() {
        return;
    }
    ui.label("");
    ui.vertical(|ui| {
        for message in messages {
            ui.colored_label(colour, message);
        }
    });
    ui.end_row();
}
