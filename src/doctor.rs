//! `vigil doctor`: what this machine offers Vigil, and what is missing.
//!
//! Owns: the facts the doctor gathers ([`Facts`], filled by `probe`), the judgement of
//! them ([`evaluate`]: what is needed, what is only worth a note, and concrete advice),
//! and the report (text in `report`, or JSON). All `unsafe` the doctor needs (FFmpeg's
//! hardware-device API) sits in `sys`.
//! Must not: change anything on the machine (the only write is a probe file that is
//! removed at once), start streams, open a window, or print a secret.

mod probe;
mod report;
mod sys;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Serialize;

pub use report::render_text;

/// Free space under which the recording storage gets a warning.
pub const LOW_SPACE_BYTES: u64 = 1024 * 1024 * 1024;

/// Everything the doctor found. Serialised as is for `vigil doctor --json`.
#[derive(Debug, Clone, Serialize)]
pub struct Facts {
    /// Vigil's own version.
    pub vigil_version: String,
    /// Running inside a Flatpak sandbox (advice differs: no apt there).
    pub flatpak: bool,
    /// FFmpeg libraries and decoders.
    pub ffmpeg: FfmpegFacts,
    /// Hardware decoding FFmpeg could use.
    pub hardware_decoding: HwFacts,
    /// wgpu adapters.
    pub gpu: GpuFacts,
    /// The demo site's clips.
    pub demo: DemoFacts,
    /// Config, data and log locations; `None` when they cannot be resolved.
    pub paths: Option<PathFacts>,
    /// Why the paths could not be resolved.
    pub paths_error: Option<String>,
    /// Where camera passwords are kept.
    pub credentials: Option<CredentialFacts>,
    /// Free space where recordings will go.
    pub storage: Option<StorageFacts>,
}

/// FFmpeg as linked into this binary.
#[derive(Debug, Clone, Serialize)]
pub struct FfmpegFacts {
    /// `libavformat`, `libavcodec`, `libavutil`, `libswscale` with their run-time versions.
    pub libraries: Vec<Library>,
    /// The licence FFmpeg was built under (libavcodec's answer).
    pub license: String,
    /// The decoders that matter to Vigil.
    pub decoders: Vec<DecoderFact>,
}

/// One FFmpeg library.
#[derive(Debug, Clone, Serialize)]
pub struct Library {
    /// e.g. `libavcodec`.
    pub name: String,
    /// `major.minor.micro`.
    pub version: String,
}

/// Whether FFmpeg can decode one codec.
#[derive(Debug, Clone, Serialize)]
pub struct DecoderFact {
    /// Codec as people say it (`H.264`).
    pub codec: String,
    /// Vigil cannot work without it.
    pub needed: bool,
    /// FFmpeg's decoder for it, if any (e.g. `h264`, `libdav1d`).
    pub decoder: Option<String>,
}

/// Hardware decoding: what FFmpeg offers, and what Vigil's decoders would use
/// (`media::hwaccel`: per stream, falling back to software).
#[derive(Debug, Clone, Default, Serialize)]
pub struct HwFacts {
    /// Vigil may try hardware decoding (not turned off by `--software-decoding` or
    /// `VIGIL_HWACCEL=off`).
    pub enabled: bool,
    /// Device types FFmpeg was built with, and whether one opens here.
    pub devices: Vec<HwDevice>,
    /// For H.264 and HEVC: the device types their decoders can use.
    pub codecs: Vec<HwCodec>,
    /// The probe itself failed (e.g. did not answer in time).
    pub error: Option<String>,
}

/// One hardware device type.
#[derive(Debug, Clone, Serialize)]
pub struct HwDevice {
    /// FFmpeg's name (`vaapi`, `vdpau`, `cuda`, …).
    pub kind: String,
    /// `av_hwdevice_ctx_create` succeeded with the default device.
    pub opens: bool,
    /// FFmpeg's error when it did not.
    pub error: Option<String>,
}

/// Hardware device types one decoder can use.
#[derive(Debug, Clone, Serialize)]
pub struct HwCodec {
    /// `H.264` or `HEVC`.
    pub codec: String,
    /// Device type names.
    pub device_types: Vec<String>,
    /// The device Vigil's decoder would open for it here (`vaapi`, `cuda`, …).
    pub vigil_device: Option<String>,
    /// Why it would decode in software instead.
    pub vigil_error: Option<String>,
}

/// What wgpu can render with.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GpuFacts {
    /// Backends asked for (as Vigil's window would: `WGPU_BACKEND` or Vulkan/Metal/DX12/GL).
    pub backends: String,
    /// Adapters found.
    pub adapters: Vec<GpuAdapter>,
    /// The probe itself failed.
    pub error: Option<String>,
}

/// One wgpu adapter.
#[derive(Debug, Clone, Serialize)]
pub struct GpuAdapter {
    /// e.g. `llvmpipe (LLVM 15.0.6, 256 bits)`.
    pub name: String,
    /// `Vulkan`, `OpenGL`, `Metal`, `DX12`.
    pub backend: String,
    /// `discrete GPU`, `integrated GPU`, `CPU`, …
    pub device_type: String,
    /// Driver name and version, as reported.
    pub driver: String,
    /// Rendering on the CPU (llvmpipe, lavapipe, SwiftShader, WARP).
    pub software: bool,
}

/// The demo site's clips.
#[derive(Debug, Clone, Serialize)]
pub struct DemoFacts {
    /// Where Vigil looks (`vigil::assets::demo_dir`).
    pub dir: PathBuf,
    /// How many clips the demo site uses.
    pub expected: usize,
    /// File names that are not there.
    pub missing: Vec<String>,
}

/// Vigil's directories and site file.
#[derive(Debug, Clone, Serialize)]
pub struct PathFacts {
    /// Site file and credentials.
    pub config_dir: PathBuf,
    /// Whether Vigil can write there.
    pub config_dir_state: DirState,
    /// The site file Vigil would open.
    pub site_file: PathBuf,
    /// Whether it exists and parses.
    pub site_file_state: SiteState,
    /// Snapshots, recordings.
    pub data_dir: PathBuf,
    /// Daily log files.
    pub log_dir: PathBuf,
}

/// Whether a directory is usable for writing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DirState {
    /// Exists, and a file could be created in it.
    Writable,
    /// Does not exist yet; Vigil can create it under this existing folder.
    WillBeCreated {
        /// The nearest existing ancestor.
        under: PathBuf,
    },
    /// Vigil cannot write there.
    NotWritable {
        /// What went wrong.
        reason: String,
    },
}

/// The site file's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SiteState {
    /// No file: Vigil opens the demo site.
    Absent,
    /// Parses and validates.
    Valid {
        /// Number of cameras in it.
        cameras: usize,
    },
    /// Does not load; Vigil opens an empty wall with this error.
    Invalid {
        /// The loader's message (file:line:column and what is wrong).
        error: String,
    },
}

/// Where camera passwords are kept.
#[derive(Debug, Clone, Serialize)]
pub struct CredentialFacts {
    /// `<config>/credentials.toml`: user names, and legacy plain-text passwords.
    pub store: PathBuf,
    /// Its state.
    pub store_state: StoreState,
    /// How many passwords are still in plain text in it (`vigil credentials migrate`).
    pub plain_text_passwords: usize,
    /// The site file's `[credentials] store` (`auto` without one).
    pub configured_store: String,
    /// The store a run uses: `keyring`, `vault` or `file`.
    pub store_in_use: String,
    /// Whether the OS keyring answered; `None` when it was not asked.
    pub keyring_reachable: Option<bool>,
    /// Why it did not (never holds a password).
    pub keyring_error: Option<String>,
    /// `<config>/credentials.vault`.
    pub vault: PathBuf,
    /// Whether the vault file exists.
    pub vault_exists: bool,
    /// With `VIGIL_VAULT_PASSPHRASE`: how many passwords the vault opened with, or why
    /// it did not open.
    pub vault_check: Option<Result<usize, String>>,
    /// `DBUS_SESSION_BUS_ADDRESS` is set (a Secret Service could be reachable).
    pub session_bus_set: bool,
    /// For a `unix:path=` address: whether that socket exists.
    pub session_bus_socket_exists: Option<bool>,
}

/// The credentials file's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum StoreState {
    /// No file: no passwords stored.
    Absent,
    /// Loads, and only its owner can read it.
    Private {
        /// Permission bits.
        mode: u32,
    },
    /// Group or others can access it: Vigil refuses to load it.
    TooOpen {
        /// Permission bits.
        mode: u32,
    },
    /// Does not load for another reason.
    Unusable {
        /// The loader's message (never contains a password).
        error: String,
    },
}

/// Free space where recordings will go.
#[derive(Debug, Clone, Serialize)]
pub struct StorageFacts {
    /// `<data>/recordings`.
    pub recordings_dir: PathBuf,
    /// The existing folder the numbers are for (the nearest existing ancestor).
    pub measured_at: Option<PathBuf>,
    /// Bytes available to Vigil.
    pub free_bytes: Option<u64>,
    /// Size of that file system.
    pub total_bytes: Option<u64>,
    /// Why there are no numbers.
    pub error: Option<String>,
    /// The recording index fails `PRAGMA quick_check` (read only): what SQLite says.
    pub index_damaged: Option<String>,
    /// Damaged indexes Vigil set aside (`index.sqlite3.corrupt-*`) and rebuilt.
    pub index_set_aside: Vec<PathBuf>,
}

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Vigil cannot work properly without it: the doctor exits 1.
    Needed,
    /// Worth knowing; Vigil works.
    Note,
}

/// Something missing or worth attention, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Needed or only a note.
    pub severity: Severity,
    /// What is wrong, in one line.
    pub what: String,
    /// Concrete steps, one per line.
    pub advice: Vec<String>,
}

/// Runs the doctor: gathers the facts, prints them (text, or JSON with `json`), and
/// returns exit code 0 when everything needed is there, 1 when not.
///
/// `site_file` is the `--config` path, if given.
pub fn run(site_file: Option<&Path>, json: bool) -> ExitCode {
    let facts = probe::collect(site_file);
    let findings = evaluate(&facts);
    let ok = !findings.iter().any(|f| f.severity == Severity::Needed);
    if json {
        #[derive(Serialize)]
        struct Output<'a> {
            ok: bool,
            facts: &'a Facts,
            findings: &'a [Finding],
        }
        let out = Output {
            ok,
            facts: &facts,
            findings: &findings,
        };
        match serde_json::to_string_pretty(&out) {
            Ok(text) => println!("{text}"),
            Err(err) => {
                eprintln!("vigil doctor: cannot write JSON: {err}");
                return ExitCode::from(2);
            }
        }
    } else {
        print!("{}", render_text(&facts, &findings));
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Judges the facts: one [`Finding`] per problem, needed ones first.
pub fn evaluate(facts: &Facts) -> Vec<Finding> {
    let mut out = Vec::new();
    let needed = |what: String, advice: Vec<String>| Finding {
        severity: Severity::Needed,
        what,
        advice,
    };
    let note = |what: String, advice: Vec<String>| Finding {
        severity: Severity::Note,
        what,
        advice,
    };

    for d in facts.ffmpeg.decoders.iter().filter(|d| d.decoder.is_none()) {
        if d.needed {
            let advice = if facts.flatpak {
                vec!["install the runtime's full FFmpeg: `flatpak install flathub org.freedesktop.Platform.codecs-extra` (runtime 25.08; ffmpeg-full on 24.08)".into()]
            } else {
                vec![
                    "install a complete FFmpeg build: on Debian/Ubuntu `apt-get install libavcodec59` (or run scripts/deps.sh in a source checkout)".into(),
                    "a stripped or custom libavcodec in LD_LIBRARY_PATH can hide the system one: unset it and retry".into(),
                ]
            };
            out.push(needed(format!("FFmpeg has no {} decoder", d.codec), advice));
        }
    }

    if facts.gpu.adapters.is_empty() {
        let mut what = "no GPU adapter: the video wall cannot be drawn".to_string();
        if let Some(err) = &facts.gpu.error {
            what.push_str(&format!(" ({err})"));
        }
        let first = if facts.flatpak {
            "update the runtime and its GL extension (Mesa's drivers): `flatpak update`"
        } else {
            "install the Vulkan loader and drivers: `apt-get install libvulkan1 mesa-vulkan-drivers` (software rendering works without a GPU)"
        };
        out.push(needed(
            what,
            vec![
                first.into(),
                "with an NVIDIA GPU, install its driver's Vulkan ICD (e.g. nvidia-vulkan-icd)"
                    .into(),
                "if WGPU_BACKEND is set, unset it to let Vigil try every backend".into(),
            ],
        ));
    } else if facts.gpu.adapters.iter().all(|a| a.software) {
        out.push(note(
            "only software rendering is available: the wall works but uses the CPU".into(),
            vec![
                "for a faster wall install your GPU's Vulkan driver (mesa-vulkan-drivers for AMD/Intel, the NVIDIA driver's Vulkan ICD for NVIDIA)".into(),
            ],
        ));
    }

    if !facts.demo.missing.is_empty() {
        out.push(needed(
            format!(
                "demo clips missing in {}: {}",
                facts.demo.dir.display(),
                facts.demo.missing.join(", ")
            ),
            vec![
                if facts.flatpak {
                    format!(
                        "reinstall the Flatpak: `flatpak install --reinstall {}`",
                        crate::assets::APP_ID
                    )
                } else {
                    "installed package: `apt-get install --reinstall vigil` puts them in /usr/share/vigil/demo".into()
                },
                "source checkout: run scripts/make-demo-clips.sh".into(),
                "or point VIGIL_DEMO_DIR at a folder that has the demo clips".into(),
            ],
        ));
    }

    match (&facts.paths, &facts.paths_error) {
        (None, err) => out.push(needed(
            format!(
                "cannot find the config and data directories{}",
                err.as_ref().map(|e| format!(": {e}")).unwrap_or_default()
            ),
            vec!["set HOME, or both VIGIL_CONFIG_DIR and VIGIL_DATA_DIR".into()],
        )),
        (Some(p), _) => {
            if let DirState::NotWritable { reason } = &p.config_dir_state {
                out.push(needed(
                    format!(
                        "config directory {} is not writable: {reason}",
                        p.config_dir.display()
                    ),
                    vec![
                        format!(
                            "make it yours: `chown -R $USER {}` (or fix its permissions)",
                            p.config_dir.display()
                        ),
                        "or set VIGIL_CONFIG_DIR to a writable folder".into(),
                    ],
                ));
            }
            if let SiteState::Invalid { error } = &p.site_file_state {
                out.push(note(
                    format!("the site file does not load: {error}"),
                    vec![
                        format!(
                            "run `vigil check-config {}` and fix what it reports; until then Vigil opens an empty wall and never writes the file",
                            p.site_file.display()
                        ),
                    ],
                ));
            }
        }
    }

    if let Some(c) = &facts.credentials {
        match &c.store_state {
            StoreState::TooOpen { mode } => out.push(note(
                format!(
                    "{} can be read by other users (mode {mode:04o}): Vigil refuses it, cameras that need a password will fail",
                    c.store.display()
                ),
                vec![format!("chmod 600 {}", c.store.display())],
            )),
            StoreState::Unusable { error } => out.push(note(
                format!("the credentials file does not load: {error}"),
                vec![format!(
                    "fix or remove {} (camera passwords can also come from VIGIL_CAMERA_<ID>_PASSWORD)",
                    c.store.display()
                )],
            )),
            StoreState::Absent | StoreState::Private { .. } => {}
        }
        if c.plain_text_passwords > 0 && c.store_in_use != "file" {
            out.push(note(
                format!(
                    "{} camera password(s) are still in plain text in {}",
                    c.plain_text_passwords,
                    c.store.display()
                ),
                vec![format!(
                    "run `vigil credentials migrate` to move them into the {}",
                    if c.store_in_use == "keyring" {
                        "OS keyring"
                    } else {
                        "vault"
                    }
                )],
            ));
        }
        if c.configured_store == "keyring" && c.keyring_reachable == Some(false) {
            out.push(note(
                format!(
                    "the site asks for the OS keyring but it does not answer: {}",
                    c.keyring_error.as_deref().unwrap_or("no reason given")
                ),
                vec!["start and unlock GNOME Keyring or KWallet in this session, or set [credentials] store = \"vault\" (docs/credentials.md)".into()],
            ));
        }
        if let Some(Err(why)) = &c.vault_check {
            out.push(note(
                format!("the credential vault does not open: {why}"),
                vec![format!(
                    "check VIGIL_VAULT_PASSPHRASE; the vault is {}",
                    c.vault.display()
                )],
            ));
        }
    }

    if let Some(s) = &facts.storage {
        if let Some(why) = &s.index_damaged {
            out.push(note(
                format!(
                    "the recording index in {} is damaged ({why})",
                    s.recordings_dir.display()
                ),
                vec!["at its next start Vigil sets it aside (renamed, not deleted) and rebuilds it from the segment files".into()],
            ));
        }
        if let Some(last) = s.index_set_aside.last() {
            out.push(note(
                format!(
                    "the recording index in {} was damaged: Vigil set it aside as {} and rebuilt it from the segment files; bookmarks, events and gaps are only in the set-aside file",
                    s.recordings_dir.display(),
                    last.display()
                ),
                vec!["keep the set-aside file for support; delete it once the rebuilt archive looks right".into()],
            ));
        }
        match (s.free_bytes, &s.measured_at) {
            (Some(free), Some(at)) if free < LOW_SPACE_BYTES => out.push(note(
                format!(
                    "only {} free for recordings on {}",
                    human_bytes(free),
                    at.display()
                ),
                vec!["free some space, or set VIGIL_DATA_DIR to a folder on a larger disk".into()],
            )),
            (Some(_), Some(_)) => {}
            _ => out.push(note(
                format!(
                    "cannot tell the free space for {}{}",
                    s.recordings_dir.display(),
                    s.error
                        .as_ref()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default()
                ),
                vec!["check that the data directory's disk is mounted and readable".into()],
            )),
        }
    }

    out.sort_by_key(|f| f.severity != Severity::Needed);
    out
}

/// FFmpeg's packed `AV_VERSION_INT` (`major << 16 | minor << 8 | micro`) as `major.minor.micro`.
pub fn version_string(packed: u32) -> String {
    format!(
        "{}.{}.{}",
        packed >> 16,
        (packed >> 8) & 0xff,
        packed & 0xff
    )
}

/// Bytes for people: `512 B`, `3.0 KiB`, `1.5 GiB` (binary units, one decimal).
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    // Precision loss is fine: one decimal is shown.
    #[allow(clippy::cast_precision_loss)]
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Whether an adapter renders on the CPU: its type says so, or its name is a known
/// software rasteriser (some drivers report those as "other").
pub fn is_software_adapter(device_type_is_cpu: bool, name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    device_type_is_cpu
        || [
            "llvmpipe",
            "lavapipe",
            "softpipe",
            "swiftshader",
            "microsoft basic render",
        ]
        .iter()
        .any(|s| name.contains(s))
}

#[cfg(test)]
mod tests;
