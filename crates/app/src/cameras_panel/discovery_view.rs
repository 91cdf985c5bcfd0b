//! The Cameras window's discovery page: the network interfaces to probe on (as
//! crates/discovery lists them), *Probe* (the core sends a WS-Discovery Probe on its
//! `vigil-discover` thread, bounded in time and replies), and the responders with
//! address, name and hardware (from their scopes) and XAddrs, each with *Add by ONVIF*.
//!
//! Owns: the interface choice. Must not: send credentials anywhere (a found device
//! starts the ONVIF step with its host only), or show a device's text unescaped.

use std::time::Duration;

use egui::{Color32, RichText};

use crate::a11y::Named as _;
use vigil_core::{Command, DiscoveryLookup, DiscoveryOrder};

/// Accessible names and button texts the tests drive the page by.
pub const PROBE_LABEL: &str = "Probe";
pub const ADD_FOUND_PREFIX: &str = "Add by ONVIF:";

/// How long a Probe listens, and how many devices it keeps.
pub const PROBE_SECONDS: u64 = 3;
pub const PROBE_MAX_DEVICES: usize = 64;

/// The discovery page's state.
#[derive(Default)]
pub(super) struct DiscoveryPage {
    /// The interfaces as listed, with whether each is chosen.
    interfaces: Option<Result<Vec<(vigil_discovery::Interface, bool)>, String>>,
}

/// The `host[:port]` of a device's first XAddr (the device service URL), else its
/// address.
fn host_of(device: &vigil_discovery::Device) -> String {
    device
        .xaddrs
        .iter()
        .find_map(|x| {
            let rest = x
                .strip_prefix("http://")
                .or_else(|| x.strip_prefix("https://"))?;
            let host = rest.split('/').next()?;
            (!host.is_empty() && !host.contains('@')).then(|| host.to_owned())
        })
        .unwrap_or_else(|| device.address.to_string())
}

impl DiscoveryPage {
    /// Draws the page; returns the host of a device whose *Add by ONVIF* was clicked.
    pub(super) fn ui(
        &mut self,
        ui: &mut egui::Ui,
        lookup: Option<&DiscoveryLookup>,
        commands: &mut Vec<Command>,
    ) -> Option<String> {
        let interfaces = self.interfaces.get_or_insert_with(|| {
            vigil_discovery::list_interfaces()
                .map(|all| {
                    all.into_iter()
                        .filter(|i| !i.loopback)
                        .map(|i| (i, true))
                        .collect()
                })
                .map_err(|e| e.to_string())
        });
        ui.label("Network interfaces to probe on:");
        match interfaces {
            Ok(list) if list.is_empty() => {
                ui.label("No IPv4 network interface besides loopback.");
            }
            Ok(list) => {
                ui.horizontal_wrapped(|ui| {
                    for (interface, chosen) in list.iter_mut() {
                        ui.checkbox(
                            chosen,
                            format!("{} ({})", interface.name, interface.address),
                        );
                    }
                });
            }
            Err(why) => {
                ui.colored_label(Color32::from_rgb(235, 80, 70), why.as_str());
            }
        }
        let chosen: Vec<String> = match interfaces {
            Ok(list) => list
                .iter()
                .filter(|(_, c)| *c)
                .map(|(i, _)| i.name.clone())
                .collect(),
            Err(_) => Vec::new(),
        };
        let running = matches!(lookup, Some(DiscoveryLookup::Running));
        if ui
            .add_enabled(
                !running && !chosen.is_empty(),
                egui::Button::new(PROBE_LABEL),
            )
            .on_hover_text(format!(
                "Ask ONVIF devices on the chosen networks to answer (WS-Discovery; listens \
                 {PROBE_SECONDS} s, at most {PROBE_MAX_DEVICES} devices; sends no password)"
            ))
            .clicked()
        {
            commands.push(Command::Discover(DiscoveryOrder {
                interfaces: chosen,
                duration: Duration::from_secs(PROBE_SECONDS),
                max_devices: PROBE_MAX_DEVICES,
            }));
        }
        let mut add = None;
        match lookup {
            None => {}
            Some(DiscoveryLookup::Running) => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(format!("Listening for {PROBE_SECONDS} s…"));
                });
            }
            Some(DiscoveryLookup::Failed(why)) => {
                ui.colored_label(Color32::from_rgb(235, 80, 70), why);
            }
            Some(DiscoveryLookup::Done(found)) => {
                ui.label(format!(
                    "{} device(s) answered{}{}.",
                    found.devices.len(),
                    if found.truncated {
                        " (the cap was reached: there may be more)"
                    } else {
                        ""
                    },
                    if found.malformed > 0 {
                        format!(", {} malformed repl(ies) skipped", found.malformed)
                    } else {
                        String::new()
                    }
                ));
                egui::Grid::new("discovered")
                    .num_columns(5)
                    .striped(true)
                    .spacing([12.0, 4.0])
                    .show(ui, |ui| {
                        for title in ["Address", "Name", "Hardware", "XAddrs", ""] {
                            ui.label(RichText::new(title).weak());
                        }
                        ui.end_row();
                        for device in &found.devices {
                            // Names, hardware and XAddrs are sanitised by crates/discovery.
                            ui.label(device.address.to_string());
                            ui.label(device.name.as_deref().unwrap_or("—"));
                            ui.label(device.hardware.as_deref().unwrap_or("—"));
                            ui.label(device.xaddrs.join("\n"));
                            let host = host_of(device);
                            if ui
                                .button("Add by ONVIF")
                                .named_button(&format!("{ADD_FOUND_PREFIX} {host}"))
                                .clicked()
                            {
                                add = Some(host);
                            }
                            ui.end_row();
                        }
                    });
            }
        }
        add
    }
}
