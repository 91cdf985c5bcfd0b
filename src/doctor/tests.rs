use std::path::PathBuf;

use super::*;

/// A machine with everything: lavapipe, demo clips, writable config, plenty of space.
fn healthy() -> Facts {
    Facts {
        vigil_version: "0.1.0".into(),
        flatpak: false,
        ffmpeg: FfmpegFacts {
            libraries: vec![Library {
                name: "libavcodec".into(),
                version: "59.37.100".into(),
            }],
            license: "GPL version 2 or later".into(),
            decoders: vec![
                DecoderFact {
                    codec: "H.264".into(),
                    needed: true,
                    decoder: Some("h264".into()),
                },
                DecoderFact {
                    codec: "HEVC".into(),
                    needed: true,
                    decoder: Some("hevc".into()),
                },
                DecoderFact {
                    codec: "AV1".into(),
                    needed: false,
                    decoder: None,
                },
            ],
        },
        hardware_decoding: HwFacts {
            enabled: true,
            devices: vec![HwDevice {
                kind: "vaapi".into(),
                opens: false,
                error: Some("Input/output error".into()),
            }],
            codecs: vec![HwCodec {
                codec: "H.264".into(),
                device_types: vec!["vaapi".into()],
                vigil_device: None,
                vigil_error: Some("vaapi: Input/output error".into()),
            }],
            error: None,
        },
        gpu: GpuFacts {
            backends: "VULKAN | GL".into(),
            adapters: vec![GpuAdapter {
                name: "AMD Radeon".into(),
                backend: "Vulkan".into(),
                device_type: "discrete GPU".into(),
                driver: "radv".into(),
                software: false,
            }],
            error: None,
        },
        demo: DemoFacts {
            dir: "/usr/share/vigil/demo".into(),
            expected: 7,
            missing: vec![],
        },
        paths: Some(PathFacts {
            config_dir: "/home/u/.config/vigil".into(),
            config_dir_state: DirState::Writable,
            site_file: "/home/u/.config/vigil/site.toml".into(),
            site_file_state: SiteState::Absent,
            data_dir: "/home/u/.local/share/vigil".into(),
            log_dir: "/home/u/.local/state/vigil/logs".into(),
        }),
        paths_error: None,
        credentials: Some(CredentialFacts {
            store: "/home/u/.config/vigil/credentials.toml".into(),
            store_state: StoreState::Absent,
            plain_text_passwords: 0,
            configured_store: "auto".into(),
            store_in_use: "keyring".into(),
            keyring_reachable: Some(true),
            keyring_error: None,
            vault: "/home/u/.config/vigil/credentials.vault".into(),
            vault_exists: false,
            vault_check: None,
            session_bus_set: true,
            session_bus_socket_exists: Some(true),
        }),
        storage: Some(StorageFacts {
            recordings_dir: "/home/u/.local/share/vigil/recordings".into(),
            measured_at: Some("/home/u".into()),
            free_bytes: Some(50 * LOW_SPACE_BYTES),
            total_bytes: Some(100 * LOW_SPACE_BYTES),
            error: None,
            index_damaged: None,
            index_set_aside: Vec::new(),
        }),
    }
}

fn needed(findings: &[Finding]) -> Vec<&Finding> {
    findings
        .iter()
        .filter(|f| f.severity == Severity::Needed)
        .collect()
}

#[test]
fn version_is_major_minor_micro() {
    assert_eq!(version_string((59 << 16) | (37 << 8) | 100), "59.37.100");
    assert_eq!(version_string(0), "0.0.0");
    assert_eq!(version_string((6 << 16) | (7 << 8) | 255), "6.7.255");
}

#[test]
fn bytes_for_people() {
    assert_eq!(human_bytes(0), "0 B");
    assert_eq!(human_bytes(1023), "1023 B");
    assert_eq!(human_bytes(1024), "1.0 KiB");
    assert_eq!(human_bytes(1536), "1.5 KiB");
    assert_eq!(human_bytes(LOW_SPACE_BYTES), "1.0 GiB");
    assert_eq!(human_bytes(5 * 1024 * LOW_SPACE_BYTES / 2), "2.5 TiB");
    assert_eq!(human_bytes(u64::MAX), "16.0 EiB");
}

#[test]
fn software_adapters_are_recognised() {
    assert!(is_software_adapter(true, "anything"));
    assert!(is_software_adapter(
        false,
        "llvmpipe (LLVM 15.0.6, 256 bits)"
    ));
    assert!(is_software_adapter(false, "SwiftShader Device"));
    assert!(is_software_adapter(false, "Microsoft Basic Render Driver"));
    assert!(!is_software_adapter(false, "NVIDIA GeForce RTX 3060"));
}

#[test]
fn healthy_machine_has_no_findings() {
    let facts = healthy();
    assert_eq!(evaluate(&facts), vec![]);
    let text = render_text(&facts, &[]);
    assert!(text.contains("Vigil has everything it needs"), "{text}");
    assert!(text.contains("[ok  ] H.264 decoder: h264"), "{text}");
    assert!(
        text.contains("[ -- ] AV1 decoder: none (optional)"),
        "{text}"
    );
    assert!(
        text.contains("[ok  ] OS keyring: the Secret Service answers"),
        "{text}"
    );
    assert!(text.contains("50.0 GiB free of 100.0 GiB"), "{text}");
    assert!(
        text.contains(
            "H.264 decoder can use: vaapi; Vigil's streams decode in software: hardware device \
             unavailable: vaapi: Input/output error"
        ),
        "{text}"
    );
}

#[test]
fn hardware_decoding_line_says_what_vigil_does() {
    let mut facts = healthy();
    facts.hardware_decoding.codecs[0].vigil_device = Some("vaapi".into());
    facts.hardware_decoding.codecs[0].vigil_error = None;
    let text = render_text(&facts, &[]);
    assert!(
        text.contains(
            "[ok  ] H.264 decoder can use: vaapi; Vigil's streams decode on vaapi (one device \
             shared by all;"
        ),
        "{text}"
    );
    facts.hardware_decoding.enabled = false;
    let text = render_text(&facts, &[]);
    assert!(
        text.contains("vaapi would work, but it is turned off"),
        "{text}"
    );
    assert!(text.contains("turned off (--software-decoding"), "{text}");
    // Hardware decoding is never needed.
    assert!(evaluate(&facts).is_empty());
}

#[test]
fn missing_h264_is_needed_with_advice() {
    let mut facts = healthy();
    facts.ffmpeg.decoders[0].decoder = None;
    let findings = evaluate(&facts);
    let needed = needed(&findings);
    assert_eq!(needed.len(), 1, "{findings:?}");
    assert!(needed[0].what.contains("H.264"));
    assert!(needed[0].advice.iter().any(|a| a.contains("libavcodec59")));
    // An optional decoder missing is not a finding at all.
    assert!(!findings.iter().any(|f| f.what.contains("AV1")));
}

#[test]
fn no_adapter_is_needed_software_only_is_a_note() {
    let mut facts = healthy();
    facts.gpu.adapters.clear();
    let findings = evaluate(&facts);
    assert_eq!(needed(&findings).len(), 1);
    assert!(
        findings[0]
            .advice
            .iter()
            .any(|a| a.contains("mesa-vulkan-drivers")),
        "{findings:?}"
    );

    let mut facts = healthy();
    facts.gpu.adapters[0].software = true;
    let findings = evaluate(&facts);
    assert!(needed(&findings).is_empty(), "{findings:?}");
    assert_eq!(findings.len(), 1);
    assert!(findings[0].what.contains("software rendering"));
}

#[test]
fn missing_demo_clips_name_them_and_the_fixes() {
    let mut facts = healthy();
    facts.demo.missing = vec!["lobby.mp4".into(), "gate.mp4".into()];
    let findings = evaluate(&facts);
    let needed = needed(&findings);
    assert_eq!(needed.len(), 1);
    assert!(needed[0].what.contains("demo clips missing"));
    assert!(needed[0].what.contains("lobby.mp4, gate.mp4"));
    let advice = needed[0].advice.join("\n");
    assert!(advice.contains("--reinstall vigil"), "{advice}");
    assert!(advice.contains("make-demo-clips.sh"), "{advice}");
    assert!(advice.contains("VIGIL_DEMO_DIR"), "{advice}");
}

#[test]
fn unwritable_config_and_no_home_are_needed() {
    let mut facts = healthy();
    if let Some(p) = facts.paths.as_mut() {
        p.config_dir_state = DirState::NotWritable {
            reason: "Permission denied".into(),
        };
    }
    let findings = evaluate(&facts);
    assert_eq!(needed(&findings).len(), 1);
    assert!(
        findings[0]
            .advice
            .iter()
            .any(|a| a.contains("VIGIL_CONFIG_DIR"))
    );

    let mut facts = healthy();
    facts.paths = None;
    facts.paths_error = Some("no home directory".into());
    let findings = evaluate(&facts);
    assert_eq!(needed(&findings).len(), 1);
    assert!(findings[0].what.contains("no home directory"));
}

#[test]
fn notes_do_not_fail_and_sort_after_needed() {
    let mut facts = healthy();
    if let Some(s) = facts.storage.as_mut() {
        s.free_bytes = Some(LOW_SPACE_BYTES / 2);
    }
    if let Some(c) = facts.credentials.as_mut() {
        c.store_state = StoreState::TooOpen { mode: 0o644 };
    }
    if let Some(p) = facts.paths.as_mut() {
        p.site_file_state = SiteState::Invalid {
            error: "site.toml:3:1: unknown key".into(),
        };
    }
    let findings = evaluate(&facts);
    assert!(needed(&findings).is_empty(), "{findings:?}");
    assert_eq!(findings.len(), 3, "{findings:?}");
    let all = format!("{findings:?}");
    assert!(all.contains("512.0 MiB free"), "{all}");
    assert!(all.contains("chmod 600"), "{all}");
    assert!(all.contains("vigil check-config"), "{all}");

    facts.demo.missing = vec!["yard.mp4".into()];
    let findings = evaluate(&facts);
    assert_eq!(findings[0].severity, Severity::Needed);
    assert!(findings[1..].iter().all(|f| f.severity == Severity::Note));
    let text = render_text(&facts, &findings);
    assert!(
        text.contains("Vigil is missing 1 needed thing. 3 notes."),
        "{text}"
    );
    assert!(text.contains("  MISSING: demo clips missing"), "{text}");
}

#[test]
fn unmeasured_storage_is_a_note() {
    let mut facts = healthy();
    facts.storage = Some(StorageFacts {
        recordings_dir: PathBuf::from("/x/recordings"),
        measured_at: None,
        free_bytes: None,
        total_bytes: None,
        error: Some("no part of the path exists".into()),
        index_damaged: None,
        index_set_aside: Vec::new(),
    });
    let findings = evaluate(&facts);
    assert!(needed(&findings).is_empty());
    assert!(findings[0].what.contains("no part of the path exists"));
}

#[test]
fn a_damaged_or_rebuilt_index_is_a_note_naming_the_file() {
    let mut facts = healthy();
    if let Some(s) = facts.storage.as_mut() {
        s.index_damaged = Some("file is not a database".into());
        s.index_set_aside = vec![PathBuf::from("/r/index.sqlite3.corrupt-1700000000")];
    }
    let findings = evaluate(&facts);
    assert!(needed(&findings).is_empty());
    let text: Vec<&str> = findings.iter().map(|f| f.what.as_str()).collect();
    assert!(
        text.iter().any(|t| t.contains("file is not a database")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains("/r/index.sqlite3.corrupt-1700000000") && t.contains("rebuilt")),
        "{text:?}"
    );
}

#[test]
fn json_has_the_same_facts() {
    let facts = healthy();
    let value = serde_json::to_value(&facts).expect("json");
    assert_eq!(value["ffmpeg"]["decoders"][0]["decoder"], "h264");
    assert_eq!(value["paths"]["config_dir_state"]["state"], "writable");
    assert_eq!(value["credentials"]["store_state"]["state"], "absent");
    assert_eq!(value["gpu"]["adapters"][0]["software"], false);
}

#[test]
fn flatpak_advice_does_not_mention_apt() {
    let mut facts = healthy();
    facts.flatpak = true;
    facts.ffmpeg.decoders[1].decoder = None;
    facts.demo.missing = vec!["lobby.mp4".into()];
    let findings = evaluate(&facts);
    assert_eq!(needed(&findings).len(), 2, "{findings:?}");
    let advice = format!("{findings:?}");
    assert!(!advice.contains("apt-get"), "{advice}");
    assert!(advice.contains("codecs-extra"), "{advice}");
    assert!(advice.contains("flatpak install --reinstall"), "{advice}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]

    /// `vigil doctor` on a site file whose camera source holds a password: the text
    /// report, its findings and the JSON never show a 3-character piece of it.
    #[test]
    fn doctor_never_shows_a_piece_of_any_password(
        password in crate::redaction_tests::password()
    ) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let config_dir = tmp.path().join("config");
        let data_dir = tmp.path().join("data");
        std::fs::create_dir_all(&config_dir).expect("mkdir");
        let paths = vigil_config::AppPaths::resolve(|name| match name {
            vigil_config::CONFIG_DIR_ENV => Some(config_dir.clone().into_os_string()),
            vigil_config::DATA_DIR_ENV => Some(data_dir.clone().into_os_string()),
            _ => None,
        })
        .expect("paths");
        crate::redaction_tests::check_paths(&password, |written| {
            std::fs::write(
                &paths.default_site_file,
                crate::redaction_tests::site_file_text(written),
            )
            .expect("write site file");
            let mut facts = healthy();
            facts.paths = Some(super::probe::path_facts(&paths, None));
            let findings = evaluate(&facts);
            assert!(
                findings.iter().any(|f| f.what.contains("does not load")),
                "{findings:?}"
            );
            vec![
                render_text(&facts, &findings),
                format!("{findings:?}"),
                serde_json::to_string(&facts).expect("json"),
            ]
        })?;
    }
}

#[test]
fn plain_text_passwords_and_an_unreachable_keyring_are_noted() {
    let mut facts = healthy();
    assert!(evaluate(&facts).is_empty());
    let text = render_text(&facts, &evaluate(&facts));
    assert!(text.contains("passwords in: the OS keyring"), "{text}");
    if let Some(c) = facts.credentials.as_mut() {
        c.plain_text_passwords = 2;
        c.configured_store = "keyring".into();
        c.keyring_reachable = Some(false);
        c.keyring_error = Some("no Secret Service".into());
    }
    let findings = evaluate(&facts);
    assert!(needed(&findings).is_empty(), "{findings:?}");
    let all = format!("{findings:?}");
    assert!(
        all.contains("2 camera password(s) are still in plain text"),
        "{all}"
    );
    assert!(all.contains("vigil credentials migrate"), "{all}");
    assert!(all.contains("does not answer: no Secret Service"), "{all}");
    if let Some(c) = facts.credentials.as_mut() {
        c.configured_store = "auto".into();
        c.store_in_use = "vault".into();
        c.vault_exists = true;
        c.vault_check = Some(Err("wrong passphrase for the credential vault x".into()));
    }
    let text = render_text(&facts, &evaluate(&facts));
    assert!(text.contains("passwords in: the encrypted vault"), "{text}");
    assert!(
        text.contains("vault     /home/u/.config/vigil/credentials.vault: wrong passphrase"),
        "{text}"
    );
}
