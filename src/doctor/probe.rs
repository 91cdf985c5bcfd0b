//! Gathers the doctor's [`Facts`]: asks FFmpeg, wgpu and the file system.
//!
//! Owns: the probes, each honest about what it measured. The GPU and hardware-decoder
//! probes talk to drivers that can hang, so they run on named threads with a time limit.
//! Must not: change anything (one probe file is created and removed to test that the
//! config directory is writable), or report a check it did not make.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use ffmpeg_next::codec::Id;

use super::{
    CredentialFacts, DecoderFact, DemoFacts, DirState, Facts, FfmpegFacts, GpuAdapter, GpuFacts,
    HwCodec, HwDevice, HwFacts, Library, PathFacts, SiteState, StorageFacts, StoreState, sys,
    version_string,
};
use vigil_config::redact::redact;
use vigil_config::{self as config, AppPaths, ConfigError, CredentialStore};

/// How long the GPU and hardware-decoder probes may take before they are reported as hung.
const PROBE_LIMIT: Duration = Duration::from_secs(20);

/// The decoders that matter: (codec, label, needed).
const DECODERS: [(Id, &str, bool); 4] = [
    (Id::H264, "H.264", true),
    (Id::HEVC, "HEVC", true),
    (Id::MJPEG, "MJPEG", false),
    (Id::AV1, "AV1", false),
];

/// Gathers every fact; `site_file` is the `--config` path, if given.
pub fn collect(site_file: Option<&Path>) -> Facts {
    // FFmpeg's own log goes through redaction into tracing; unless VIGIL_FFMPEG_LOG asks
    // for it, it would print every failed device open, which Vigil reports itself.
    vigil_media::ffmpeg_log::init();
    if std::env::var_os(vigil_media::ffmpeg_log::FFMPEG_LOG_ENV).is_none() {
        ffmpeg_next::util::log::set_level(ffmpeg_next::util::log::Level::Quiet);
    }
    // The two slow probes run at the same time.
    let gpu = spawn_limited("vigil-doctor-gpu", gpu_facts);
    let hw = spawn_limited("vigil-doctor-hw", hw_facts);

    let (paths, paths_error) = match AppPaths::from_env() {
        Ok(p) => (Some(p), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let demo = demo_facts(&crate::assets::demo_dir());
    let path_facts = paths.as_ref().map(|p| path_facts(p, site_file));
    let credentials = paths.as_ref().map(|p| credential_facts(p, site_file));
    let storage = paths
        .as_ref()
        .map(|p| storage_facts(&p.data_dir.join("recordings")));

    let gpu = gpu.wait().unwrap_or_else(|error| GpuFacts {
        error: Some(error),
        ..GpuFacts::default()
    });
    let hardware_decoding = hw.wait().unwrap_or_else(|error| HwFacts {
        error: Some(error),
        ..HwFacts::default()
    });
    Facts {
        vigil_version: env!("CARGO_PKG_VERSION").to_string(),
        flatpak: std::env::var_os("FLATPAK_ID").is_some() || Path::new("/.flatpak-info").exists(),
        ffmpeg: ffmpeg_facts(),
        hardware_decoding,
        gpu,
        demo,
        paths: path_facts,
        paths_error,
        credentials,
        storage,
    }
}

/// A probe running on its own thread, answered within [`PROBE_LIMIT`] or given up on.
struct Limited<T> {
    answer: Result<mpsc::Receiver<T>, String>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn spawn_limited<T: Send + 'static>(name: &str, f: fn() -> T) -> Limited<T> {
    let (tx, rx) = mpsc::sync_channel(1);
    let spawned = std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            tx.send(f()).ok();
        });
    match spawned {
        Ok(thread) => Limited {
            answer: Ok(rx),
            thread: Some(thread),
        },
        Err(e) => Limited {
            answer: Err(format!("cannot start the probe thread: {e}")),
            thread: None,
        },
    }
}

impl<T> Limited<T> {
    /// The probe's answer. A probe that answered is joined, so its drivers' teardown
    /// (thread-local destructors in Mesa, LLVM, the Vulkan loader) has finished before
    /// the process exits: exiting while a probe thread still tears down crashed once in
    /// libc's allocator. A hung probe's thread is left behind; the process exits soon.
    fn wait(self) -> Result<T, String> {
        let answer = self
            .answer?
            .recv_timeout(PROBE_LIMIT)
            .map_err(|e| match e {
                mpsc::RecvTimeoutError::Timeout => format!(
                    "the driver did not answer within {} s",
                    PROBE_LIMIT.as_secs()
                ),
                mpsc::RecvTimeoutError::Disconnected => "the probe failed (panicked)".to_string(),
            })?;
        if let Some(thread) = self.thread {
            thread.join().ok();
        }
        Ok(answer)
    }
}

fn ffmpeg_facts() -> FfmpegFacts {
    let libraries = [
        ("libavformat", ffmpeg_next::format::version()),
        ("libavcodec", ffmpeg_next::codec::version()),
        ("libavutil", ffmpeg_next::util::version()),
        ("libswscale", ffmpeg_next::software::scaling::version()),
    ]
    .into_iter()
    .map(|(name, v)| Library {
        name: name.to_string(),
        version: version_string(v),
    })
    .collect();
    let decoders = DECODERS
        .iter()
        .map(|&(id, codec, needed)| DecoderFact {
            codec: codec.to_string(),
            needed,
            decoder: ffmpeg_next::decoder::find(id).map(|c| c.name().to_string()),
        })
        .collect();
    FfmpegFacts {
        libraries,
        license: ffmpeg_next::codec::license().to_string(),
        decoders,
    }
}

fn hw_facts() -> HwFacts {
    let types = sys::hw_device_types();
    let name_of = |id| {
        types
            .iter()
            .find(|t| t.id == id)
            .map_or_else(|| format!("type {id}"), |t| t.name.clone())
    };
    let devices = types
        .iter()
        .map(|t| {
            let result = sys::open_hw_device(t.id);
            HwDevice {
                kind: t.name.clone(),
                opens: result.is_ok(),
                error: result.err().map(|e| e.to_string()),
            }
        })
        .collect();
    let codecs = DECODERS
        .iter()
        .filter(|(_, _, needed)| *needed)
        .map(|&(id, codec, _)| {
            // What the media engine itself opens for this codec: the shared device its
            // streams would use, or the remembered reason there is none.
            let vigil = vigil_media::hwaccel::open_for(id).map(|(device, _)| device.name());
            HwCodec {
                codec: codec.to_string(),
                device_types: ffmpeg_next::decoder::find(id)
                    .map(|c| {
                        sys::decoder_hw_device_ids(&c)
                            .into_iter()
                            .map(name_of)
                            .collect()
                    })
                    .unwrap_or_default(),
                vigil_device: vigil.as_ref().ok().cloned(),
                vigil_error: vigil.err(),
            }
        })
        .collect();
    HwFacts {
        enabled: vigil_media::hwaccel::allowed(),
        devices,
        codecs,
        error: None,
    }
}

fn gpu_facts() -> GpuFacts {
    use eframe::egui_wgpu::wgpu;
    // The same choice of backends egui-wgpu makes for Vigil's window.
    let backends =
        wgpu::Backends::from_env().unwrap_or(wgpu::Backends::PRIMARY | wgpu::Backends::GL);
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends,
        flags: wgpu::InstanceFlags::from_build_config().with_env(),
        memory_budget_thresholds: wgpu::MemoryBudgetThresholds::default(),
        backend_options: wgpu::BackendOptions::from_env_or_default(),
        display: None,
    });
    // wgpu's native enumeration is ready at once; pollster parks the thread (no busy
    // poll) for a backend that answers later.
    let adapters = pollster::block_on(instance.enumerate_adapters(backends))
        .into_iter()
        .map(|a| {
            let info = a.get_info();
            let device_type = match info.device_type {
                wgpu::DeviceType::DiscreteGpu => "discrete GPU",
                wgpu::DeviceType::IntegratedGpu => "integrated GPU",
                wgpu::DeviceType::VirtualGpu => "virtual GPU",
                wgpu::DeviceType::Cpu => "CPU",
                wgpu::DeviceType::Other => "other",
            };
            let backend = backend_name(info.backend);
            let driver = [info.driver.trim(), info.driver_info.trim()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            GpuAdapter {
                software: super::is_software_adapter(
                    info.device_type == wgpu::DeviceType::Cpu,
                    &info.name,
                ),
                name: info.name,
                backend: backend.to_string(),
                device_type: device_type.to_string(),
                driver,
            }
        })
        .collect();
    // Name only the backends this build and platform have (Vulkan and GL on Linux).
    let available = backends & wgpu::Instance::enabled_backend_features();
    let backend_names = wgpu::Backend::ALL
        .iter()
        .filter(|b| available.contains(wgpu::Backends::from(**b)))
        .map(|b| backend_name(*b))
        .collect::<Vec<_>>()
        .join(", ");
    GpuFacts {
        backends: backend_names,
        adapters,
        error: None,
    }
}

fn backend_name(backend: eframe::egui_wgpu::wgpu::Backend) -> &'static str {
    use eframe::egui_wgpu::wgpu::Backend;
    match backend {
        Backend::Vulkan => "Vulkan",
        Backend::Gl => "OpenGL",
        Backend::Metal => "Metal",
        Backend::Dx12 => "DX12",
        other => other.to_str(),
    }
}

fn demo_facts(dir: &Path) -> DemoFacts {
    let site = config::demo_site(dir);
    let missing = site
        .cameras
        .iter()
        .map(|c| PathBuf::from(&c.source))
        .filter(|p| !p.is_file())
        .map(|p| {
            p.file_name()
                .map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into())
        })
        .collect();
    DemoFacts {
        dir: dir.to_path_buf(),
        expected: site.cameras.len(),
        missing,
    }
}

pub(super) fn path_facts(paths: &AppPaths, site_file: Option<&Path>) -> PathFacts {
    let site_file = site_file.map_or_else(|| paths.default_site_file.clone(), Path::to_path_buf);
    let site_file_state = if site_file.exists() {
        match config::load_site(&site_file) {
            Ok(site) => SiteState::Valid {
                cameras: site.cameras.len(),
            },
            Err(e) => SiteState::Invalid {
                error: redact(&e.to_string()),
            },
        }
    } else {
        SiteState::Absent
    };
    PathFacts {
        config_dir_state: dir_state(&paths.config_dir),
        config_dir: paths.config_dir.clone(),
        site_file,
        site_file_state,
        data_dir: paths.data_dir.clone(),
        log_dir: paths.log_dir.clone(),
    }
}

/// Whether Vigil can write in `dir`, tested by creating and removing a probe file (in
/// the nearest existing ancestor when `dir` does not exist yet).
fn dir_state(dir: &Path) -> DirState {
    let not_writable = |reason: String| DirState::NotWritable { reason };
    if dir.is_dir() {
        return match probe_write(dir) {
            Ok(()) => DirState::Writable,
            Err(e) => not_writable(e.to_string()),
        };
    }
    if dir.exists() {
        return not_writable("it exists but is not a folder".into());
    }
    let Some(under) = nearest_existing_ancestor(dir) else {
        return not_writable("no part of the path exists".into());
    };
    if !under.is_dir() {
        return not_writable(format!("{} is not a folder", under.display()));
    }
    match probe_write(&under) {
        Ok(()) => DirState::WillBeCreated { under },
        Err(e) => not_writable(format!(
            "it does not exist and cannot be created in {}: {e}",
            under.display()
        )),
    }
}

fn probe_write(dir: &Path) -> std::io::Result<()> {
    let probe = dir.join(format!(".vigil-doctor-{}.tmp", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)?;
    std::fs::remove_file(&probe)
}

/// The closest of `path` and its ancestors that exists.
pub(super) fn nearest_existing_ancestor(path: &Path) -> Option<PathBuf> {
    path.ancestors()
        .find(|p| !p.as_os_str().is_empty() && p.exists())
        .map(Path::to_path_buf)
}

fn credential_facts(paths: &AppPaths, site_file: Option<&Path>) -> CredentialFacts {
    use std::os::unix::fs::PermissionsExt;
    let store = paths.credentials_file();
    let store_state = if store.exists() {
        match CredentialStore::load(&store) {
            Ok(_) => StoreState::Private {
                mode: std::fs::metadata(&store)
                    .map(|m| m.permissions().mode() & 0o777)
                    .unwrap_or(0),
            },
            Err(ConfigError::InsecurePermissions { mode, .. }) => StoreState::TooOpen { mode },
            Err(e) => StoreState::Unusable {
                error: redact(&e.to_string()),
            },
        }
    } else {
        StoreState::Absent
    };
    let bus = std::env::var("DBUS_SESSION_BUS_ADDRESS")
        .ok()
        .filter(|s| !s.is_empty());
    // The first `unix:path=` of the address list, if any (abstract sockets cannot be
    // checked from the file system).
    let socket = bus.as_deref().and_then(|addr| {
        addr.split(';')
            .filter_map(|a| a.strip_prefix("unix:"))
            .flat_map(|a| a.split(','))
            .find_map(|kv| kv.strip_prefix("path="))
            .map(|p| Path::new(p).exists())
    });
    let plain_text_passwords = CredentialStore::load(&store)
        .map_or(0, |loaded| loaded.cameras_with_file_password().count());
    let kind =
        crate::credentials_cmd::configured_store(site_file.unwrap_or(&paths.default_site_file));
    let status = vigil_secrets::store_status(
        kind,
        &store,
        &vigil_secrets::KeyringStore::default(),
        crate::credentials_cmd::passphrase_from_env().as_deref(),
    );
    CredentialFacts {
        store,
        store_state,
        plain_text_passwords,
        configured_store: status.configured.as_str().to_owned(),
        store_in_use: status.in_use.as_str().to_owned(),
        keyring_reachable: status.keyring.as_ref().map(Result::is_ok),
        keyring_error: status.keyring.and_then(Result::err),
        vault: status.vault,
        vault_exists: status.vault_exists,
        vault_check: status.vault_opens,
        session_bus_set: bus.is_some(),
        session_bus_socket_exists: socket,
    }
}

fn storage_facts(recordings_dir: &Path) -> StorageFacts {
    let mut facts = StorageFacts {
        recordings_dir: recordings_dir.to_path_buf(),
        measured_at: None,
        free_bytes: None,
        total_bytes: None,
        error: None,
        index_damaged: vigil_store::Store::check_file(recordings_dir).err(),
        index_set_aside: vigil_store::Store::set_aside_files(recordings_dir),
    };
    let Some(at) = nearest_existing_ancestor(recordings_dir) else {
        facts.error = Some("no part of the path exists".into());
        return facts;
    };
    match fs_space(&at) {
        Ok((free, total)) => {
            facts.free_bytes = Some(free);
            facts.total_bytes = Some(total);
        }
        Err(e) => facts.error = Some(e.to_string()),
    }
    facts.measured_at = Some(at);
    facts
}

/// Free space on the file system holding `path`: (bytes available to unprivileged
/// users, total bytes).
fn fs_space(path: &Path) -> std::io::Result<(u64, u64)> {
    let st = nix::sys::statvfs::statvfs(path).map_err(std::io::Error::from)?;
    // The field widths differ between platforms (u32 on some, u64 on others).
    #[allow(clippy::useless_conversion)]
    let (fragment, available, blocks) = (
        u64::from(st.fragment_size()),
        u64::from(st.blocks_available()),
        u64::from(st.blocks()),
    );
    Ok((
        available.saturating_mul(fragment),
        blocks.saturating_mul(fragment),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The adapters come through `pollster::block_on`; this machine has at least one
    /// (lavapipe where there is no GPU).
    #[test]
    fn gpu_facts_list_this_machines_adapters() {
        let facts = gpu_facts();
        assert!(facts.error.is_none(), "{facts:?}");
        assert!(!facts.adapters.is_empty(), "{facts:?}");
        assert!(
            facts.adapters.iter().all(|a| !a.name.is_empty()),
            "{facts:?}"
        );
    }

    #[test]
    fn nearest_ancestor_of_missing_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let deep = dir.path().join("a/b/c");
        assert_eq!(
            nearest_existing_ancestor(&deep).as_deref(),
            Some(dir.path())
        );
        assert_eq!(
            nearest_existing_ancestor(dir.path()).as_deref(),
            Some(dir.path())
        );
    }

    #[test]
    fn dir_state_existing_and_future() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(dir_state(dir.path()), DirState::Writable);
        assert_eq!(
            dir_state(&dir.path().join("x/y")),
            DirState::WillBeCreated {
                under: dir.path().to_path_buf()
            }
        );
        let file = dir.path().join("f");
        std::fs::write(&file, b"").expect("write");
        assert!(matches!(dir_state(&file), DirState::NotWritable { .. }));
        // The probe file is gone again.
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 1);
    }

    #[test]
    fn storage_is_measured_at_existing_ancestor() {
        let dir = tempfile::tempdir().expect("tempdir");
        let facts = storage_facts(&dir.path().join("data/recordings"));
        assert_eq!(facts.measured_at.as_deref(), Some(dir.path()));
        assert!(
            facts.free_bytes.is_some() && facts.total_bytes.is_some(),
            "{facts:?}"
        );
        assert!(facts.free_bytes <= facts.total_bytes);
    }

    #[test]
    fn a_damaged_index_is_found_read_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let index = dir.path().join(vigil_store::INDEX_FILE);
        std::fs::write(&index, vec![0x5Au8; 4096]).expect("garbage");
        let facts = storage_facts(dir.path());
        assert!(facts.index_damaged.is_some(), "{facts:?}");
        assert_eq!(
            std::fs::read(&index).expect("untouched"),
            vec![0x5Au8; 4096]
        );
        let (_, aside) = vigil_store::Store::open_checked(dir.path()).expect("rebuilt");
        let facts = storage_facts(dir.path());
        assert_eq!(facts.index_damaged, None, "{facts:?}");
        assert_eq!(facts.index_set_aside, vec![aside.expect("set aside").path]);
    }

    #[test]
    fn demo_clips_found_in_source_tree() {
        let facts = demo_facts(&PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/assets/demo"
        )));
        assert!(facts.expected >= 6, "{facts:?}");
        assert!(facts.missing.is_empty(), "{facts:?}");
        let empty = tempfile::tempdir().expect("tempdir");
        let facts = demo_facts(empty.path());
        assert_eq!(facts.missing.len(), facts.expected);
        assert!(facts.missing.iter().any(|m| m == "lobby.mp4"), "{facts:?}");
    }

    #[test]
    fn credentials_too_open_is_reported() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = AppPaths::resolve(|name| match name {
            config::CONFIG_DIR_ENV => Some(dir.path().as_os_str().to_owned()),
            config::DATA_DIR_ENV => Some(dir.path().join("data").into_os_string()),
            _ => None,
        })
        .expect("paths");
        assert_eq!(
            credential_facts(&paths, None).store_state,
            StoreState::Absent
        );
        let file = paths.credentials_file();
        std::fs::write(
            &file,
            "[cameras.gate]\nusername = \"u\"\npassword = \"p\"\n",
        )
        .expect("write");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert_eq!(
            credential_facts(&paths, None).store_state,
            StoreState::TooOpen { mode: 0o644 }
        );
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        assert_eq!(
            credential_facts(&paths, None).store_state,
            StoreState::Private { mode: 0o600 }
        );
    }
}
