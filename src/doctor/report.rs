//! The doctor's text report: one section per subject, then a summary with advice.
//!
//! Owns: wording and layout of `vigil doctor` (without `--json`).
//! Must not: gather facts or decide what is needed (that is `probe` and `evaluate`).

use std::fmt::Write as _;

use super::{
    DirState, Facts, Finding, LOW_SPACE_BYTES, Severity, SiteState, StoreState, human_bytes,
};

/// Status tags, all the same width so the report lines up.
const OK: &str = "ok  ";
const MISSING: &str = "MISS";
const WARN: &str = "warn";
const INFO: &str = "info";
const NO: &str = " -- ";

/// Renders the facts and findings as the text `vigil doctor` prints.
pub fn render_text(facts: &Facts, findings: &[Finding]) -> String {
    let mut r = Report(String::new());
    r.heading(&format!("Vigil {} doctor", facts.vigil_version));
    ffmpeg_section(&mut r, facts);
    hw_section(&mut r, facts);
    gpu_section(&mut r, facts);
    demo_section(&mut r, facts);
    paths_section(&mut r, facts);
    credentials_section(&mut r, facts);
    storage_section(&mut r, facts);
    summary(&mut r, findings);
    r.0
}

struct Report(String);

impl Report {
    fn heading(&mut self, title: &str) {
        if !self.0.is_empty() {
            self.0.push('\n');
        }
        self.0.push_str(title);
        self.0.push('\n');
    }

    fn line(&mut self, tag: &str, text: &str) {
        writeln!(self.0, "  [{tag}] {text}").ok();
    }
}

fn ffmpeg_section(r: &mut Report, facts: &Facts) {
    r.heading("FFmpeg");
    let libs = facts
        .ffmpeg
        .libraries
        .iter()
        .map(|l| format!("{} {}", l.name, l.version))
        .collect::<Vec<_>>()
        .join(", ");
    r.line(OK, &format!("{libs} ({})", facts.ffmpeg.license));
    for d in &facts.ffmpeg.decoders {
        let optional = if d.needed { "" } else { " (optional)" };
        match &d.decoder {
            Some(name) => r.line(OK, &format!("{} decoder: {name}{optional}", d.codec)),
            None if d.needed => r.line(MISSING, &format!("{} decoder: none", d.codec)),
            None => r.line(NO, &format!("{} decoder: none{optional}", d.codec)),
        }
    }
}

fn hw_section(r: &mut Report, facts: &Facts) {
    let hw = &facts.hardware_decoding;
    r.heading("Hardware decoding (optional: Vigil tries it per stream, else decodes in software)");
    if let Some(err) = &hw.error {
        r.line(WARN, &format!("probe failed: {err}"));
        return;
    }
    if !hw.enabled {
        r.line(
            INFO,
            "turned off (--software-decoding or VIGIL_HWACCEL=off): Vigil decodes in software",
        );
    }
    if hw.devices.is_empty() {
        r.line(INFO, "FFmpeg was built without hardware device support");
    } else {
        let kinds = hw
            .devices
            .iter()
            .map(|d| d.kind.as_str())
            .collect::<Vec<_>>();
        r.line(INFO, &format!("FFmpeg supports: {}", kinds.join(", ")));
    }
    for d in &hw.devices {
        if d.opens {
            r.line(OK, &format!("{}: a device opens here", d.kind));
        } else {
            let why = d.error.as_deref().unwrap_or("unknown error");
            r.line(NO, &format!("{}: no device ({why})", d.kind));
        }
    }
    for c in &hw.codecs {
        let can_use = c
            .device_types
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>();
        let (tag, vigil) = match (&c.vigil_device, &c.vigil_error) {
            (Some(device), _) if hw.enabled => (
                OK,
                format!(
                    "Vigil's streams decode on {device} (one device shared by all; a stream the \
                     hardware refuses is decoded in software, its HUD says why)"
                ),
            ),
            (Some(device), _) => (INFO, format!("{device} would work, but it is turned off")),
            (None, Some(err)) if hw.enabled => (
                INFO,
                format!("Vigil's streams decode in software: hardware device unavailable: {err}"),
            ),
            (None, _) => (INFO, "Vigil's streams decode in software".to_string()),
        };
        r.line(
            tag,
            &format!(
                "{} decoder can use: {}; {vigil}",
                c.codec,
                list_or_none(&can_use)
            ),
        );
    }
}

fn list_or_none(items: &[&str]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

fn gpu_section(r: &mut Report, facts: &Facts) {
    let gpu = &facts.gpu;
    r.heading(&format!("GPU (wgpu: {})", gpu.backends));
    if let Some(err) = &gpu.error {
        r.line(MISSING, &format!("probe failed: {err}"));
    } else if gpu.adapters.is_empty() {
        r.line(MISSING, "no adapter found");
    }
    for a in &gpu.adapters {
        let mut text = format!("{}: {}, {}", a.name, a.backend, a.device_type);
        if !a.driver.is_empty() {
            write!(text, ", driver {}", a.driver).ok();
        }
        if a.software {
            text.push_str(" - software rendering: works but uses CPU");
        }
        r.line(if a.software { INFO } else { OK }, &text);
    }
}

fn demo_section(r: &mut Report, facts: &Facts) {
    let d = &facts.demo;
    r.heading("Demo clips");
    let found = d.expected - d.missing.len().min(d.expected);
    if d.missing.is_empty() {
        r.line(
            OK,
            &format!("{found} of {} in {}", d.expected, d.dir.display()),
        );
    } else {
        r.line(
            MISSING,
            &format!(
                "{found} of {} in {}; missing: {}",
                d.expected,
                d.dir.display(),
                d.missing.join(", ")
            ),
        );
    }
}

fn paths_section(r: &mut Report, facts: &Facts) {
    r.heading("Paths");
    let Some(p) = &facts.paths else {
        r.line(
            MISSING,
            facts
                .paths_error
                .as_deref()
                .unwrap_or("cannot resolve the config and data directories"),
        );
        return;
    };
    let config = p.config_dir.display();
    match &p.config_dir_state {
        DirState::Writable => r.line(OK, &format!("config    {config} (writable)")),
        DirState::WillBeCreated { under } => r.line(
            OK,
            &format!(
                "config    {config} (not created yet; {} is writable)",
                under.display()
            ),
        ),
        DirState::NotWritable { reason } => {
            r.line(
                MISSING,
                &format!("config    {config}: not writable: {reason}"),
            );
        }
    }
    let site = p.site_file.display();
    match &p.site_file_state {
        SiteState::Absent => r.line(
            INFO,
            &format!("site file {site}: none, the demo site opens"),
        ),
        SiteState::Valid { cameras } => {
            r.line(OK, &format!("site file {site}: loads, {cameras} cameras"));
        }
        SiteState::Invalid { error } => {
            r.line(WARN, &format!("site file {site}: does not load: {error}"));
        }
    }
    r.line(INFO, &format!("data      {}", p.data_dir.display()));
    r.line(INFO, &format!("logs      {}", p.log_dir.display()));
}

fn credentials_section(r: &mut Report, facts: &Facts) {
    r.heading("Credentials");
    let Some(c) = &facts.credentials else {
        r.line(NO, "unknown (no config directory)");
        return;
    };
    let store = c.store.display();
    match &c.store_state {
        StoreState::Absent => r.line(
            INFO,
            &format!("store     {store}: not present (no camera passwords saved)"),
        ),
        StoreState::Private { mode } => r.line(
            OK,
            &format!("store     {store}: loads, mode {mode:04o} (only you can read it)"),
        ),
        StoreState::TooOpen { mode } => r.line(
            WARN,
            &format!("store     {store}: mode {mode:04o}, others can read it: Vigil refuses it"),
        ),
        StoreState::Unusable { error } => {
            r.line(WARN, &format!("store     {store}: does not load: {error}"));
        }
    }
    if c.plain_text_passwords > 0 {
        r.line(
            WARN,
            &format!(
                "          {} password(s) in plain text there (vigil credentials migrate)",
                c.plain_text_passwords
            ),
        );
    }
    let bus = match (c.session_bus_set, c.session_bus_socket_exists) {
        (false, _) => "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS unset)",
        (true, Some(false)) => "DBUS_SESSION_BUS_ADDRESS is set but its socket is missing",
        (true, _) => "a D-Bus session bus is set",
    };
    r.line(
        INFO,
        &format!(
            "passwords in: {} (site file: store = \"{}\")",
            match c.store_in_use.as_str() {
                "keyring" => "the OS keyring",
                "vault" => "the encrypted vault",
                _ => "credentials.toml only (read only)",
            },
            c.configured_store
        ),
    );
    match (c.keyring_reachable, &c.keyring_error) {
        (Some(true), _) => r.line(OK, "OS keyring: the Secret Service answers"),
        (Some(false), why) => r.line(
            if c.configured_store == "keyring" {
                WARN
            } else {
                INFO
            },
            &format!(
                "OS keyring: does not answer ({}); {bus}",
                why.as_deref().unwrap_or("no reason")
            ),
        ),
        (None, _) => r.line(INFO, "OS keyring: not asked (not the configured store)"),
    }
    if c.store_in_use == "vault" {
        let vault = c.vault.display();
        match (&c.vault_check, c.vault_exists) {
            (Some(Ok(n)), _) => r.line(OK, &format!("vault     {vault}: opens, {n} password(s)")),
            (Some(Err(why)), _) => r.line(WARN, &format!("vault     {vault}: {why}")),
            (None, true) => r.line(
                INFO,
                &format!("vault     {vault}: present (set VIGIL_VAULT_PASSPHRASE to check it)"),
            ),
            (None, false) => r.line(
                INFO,
                &format!("vault     {vault}: not created yet (no password saved in it)"),
            ),
        }
    }
}

fn storage_section(r: &mut Report, facts: &Facts) {
    r.heading("Recording storage");
    let Some(s) = &facts.storage else {
        r.line(NO, "unknown (no data directory)");
        return;
    };
    let dir = s.recordings_dir.display();
    let created = if s.recordings_dir.is_dir() {
        ""
    } else {
        " (not created yet)"
    };
    match (s.free_bytes, s.total_bytes, &s.measured_at) {
        (Some(free), Some(total), Some(at)) => {
            let tag = if free < LOW_SPACE_BYTES { WARN } else { OK };
            r.line(
                tag,
                &format!(
                    "{dir}{created}: {} free of {} (file system of {})",
                    human_bytes(free),
                    human_bytes(total),
                    at.display()
                ),
            );
        }
        _ => r.line(
            WARN,
            &format!(
                "{dir}{created}: free space unknown: {}",
                s.error.as_deref().unwrap_or("not measured")
            ),
        ),
    }
    if let Some(why) = &s.index_damaged {
        r.line(WARN, &format!("recording index damaged: {why}"));
    }
    if let Some(last) = s.index_set_aside.last() {
        r.line(
            WARN,
            &format!(
                "recording index was damaged, set aside as {} and rebuilt",
                last.display()
            ),
        );
    }
}

fn summary(r: &mut Report, findings: &[Finding]) {
    r.heading("Summary");
    let needed = findings
        .iter()
        .filter(|f| f.severity == Severity::Needed)
        .count();
    let notes = findings.len() - needed;
    if needed == 0 {
        r.0.push_str("  Vigil has everything it needs here.");
    } else {
        write!(
            r.0,
            "  Vigil is missing {needed} needed thing{}.",
            if needed == 1 { "" } else { "s" }
        )
        .ok();
    }
    if notes > 0 {
        write!(r.0, " {notes} note{}.", if notes == 1 { "" } else { "s" }).ok();
    }
    r.0.push('\n');
    for f in findings {
        let tag = match f.severity {
            Severity::Needed => "MISSING",
            Severity::Note => "note",
        };
        writeln!(r.0, "  {tag}: {}", f.what).ok();
        for a in &f.advice {
            writeln!(r.0, "    -> {a}").ok();
        }
    }
}
