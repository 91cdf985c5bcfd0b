//! Evidence bundles checked: `vigil verify` catches each kind of tampering, and the
//! procedure docs/evidence.md gives a recipient without Vigil (`sha256sum`,
//! `openssl`) works as written.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod export_common;

use std::path::Path;
use std::process::Command;

use export_common::*;

#[test]
fn verify_catches_each_kind_of_tampering() {
    let site = Site::new();
    let (from, to) = quiet_range(&site, "cam01");
    let from = from.min(site.store().gaps(Some("cam01")).unwrap()[0].start_ns - 20 * SEC);
    let to = to.max(site.store().gaps(Some("cam01")).unwrap()[0].start_ns + 20 * SEC);
    let out = site.export(&["cam01", "cam02"], from, to, "original");
    assert!(out.status.success(), "{}", text(&out));
    let original = site.bundle("original");
    let m = manifest(&original);
    assert!(!m.cameras[0].gaps.is_empty(), "the range crosses a gap");
    let verify = |name: &str, extra: &[&str]| {
        let dir = site.bundle(name);
        let mut args = vec!["verify", dir.to_str().unwrap()];
        args.extend(extra);
        let out = site.vigil(&args);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let fingerprint = m.key_fingerprint_sha256.clone();
    let (code, stdout) = verify("original", &["--fingerprint", &fingerprint]);
    assert_eq!(code, Some(0), "{stdout}");
    let (v1, v2) = (m.cameras[0].video.clone(), m.cameras[1].video.clone());
    let hash = |name: &str| {
        m.files
            .iter()
            .find(|f| f.name == name)
            .map(|f| (f.size, f.sha256.clone()))
            .unwrap()
    };

    // One flipped bit in an MP4.
    let dir = site.bundle("bit");
    copy_bundle(&original, &dir);
    let mut bytes = std::fs::read(dir.join(&v1)).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x10;
    std::fs::write(dir.join(&v1), &bytes).unwrap();
    let (code, stdout) = verify("bit", &[]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!("{v1}: SHA-256 expected {}, found ", hash(&v1).1)),
        "{stdout}"
    );
    assert!(
        !stdout.contains(&format!("{v2}:")),
        "only the flipped file: {stdout}"
    );

    // A truncated file.
    let dir = site.bundle("truncated");
    copy_bundle(&original, &dir);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.join(&v2))
        .unwrap();
    file.set_len(hash(&v2).0 - 1000).unwrap();
    let (code, stdout) = verify("truncated", &[]);
    assert_eq!(code, Some(1));
    assert!(
        stdout.contains(&format!(
            "{v2}: size expected {} bytes, found {}",
            hash(&v2).0,
            hash(&v2).0 - 1000
        )),
        "{stdout}"
    );

    // A removed file.
    let dir = site.bundle("removed");
    copy_bundle(&original, &dir);
    let still = m.cameras[1].still.clone();
    std::fs::remove_file(dir.join(&still)).unwrap();
    let (code, stdout) = verify("removed", &[]);
    assert_eq!(code, Some(1));
    assert!(stdout.contains(&format!("{still}: missing")), "{stdout}");

    // Two files swapped.
    let dir = site.bundle("swapped");
    copy_bundle(&original, &dir);
    std::fs::rename(dir.join(&v1), dir.join("tmp")).unwrap();
    std::fs::rename(dir.join(&v2), dir.join(&v1)).unwrap();
    std::fs::rename(dir.join("tmp"), dir.join(&v2)).unwrap();
    let (code, stdout) = verify("swapped", &[]);
    assert_eq!(code, Some(1));
    for v in [&v1, &v2] {
        assert!(
            stdout.contains(&format!("{v}: SHA-256 expected {}", hash(v).1)),
            "{stdout}"
        );
    }

    // An edited gap list.
    let dir = site.bundle("gaps");
    copy_bundle(&original, &dir);
    let json = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
    let reason = &m.cameras[0].gaps[0].reason;
    let edited = json.replacen(
        &format!("\"reason\": \"{reason}\""),
        "\"reason\": \"disk_full\"",
        1,
    );
    assert_ne!(edited, json);
    std::fs::write(dir.join("manifest.json"), edited).unwrap();
    let (code, stdout) = verify("gaps", &[]);
    assert_eq!(code, Some(1));
    assert!(
        stdout.contains("manifest.sig: the signature does not match manifest.json"),
        "{stdout}"
    );

    // Re-signed with another key, the bundle's public key left alone.
    let dir = site.bundle("resigned");
    copy_bundle(&original, &dir);
    let other = site.dir.path().join("other.pem");
    openssl(
        &dir,
        &[
            "genpkey",
            "-algorithm",
            "ed25519",
            "-out",
            other.to_str().unwrap(),
        ],
    );
    openssl(
        &dir,
        &[
            "pkeyutl",
            "-sign",
            "-inkey",
            other.to_str().unwrap(),
            "-rawin",
            "-in",
            "manifest.json",
            "-out",
            "manifest.sig",
        ],
    );
    let (code, stdout) = verify("resigned", &[]);
    assert_eq!(code, Some(1));
    assert!(
        stdout.contains("manifest.sig: the signature does not match"),
        "{stdout}"
    );

    // Re-signed with another key whose public key replaces the bundle's, the manifest
    // rewritten to match: only the fingerprint given out of band catches it.
    let dir = site.bundle("forged");
    copy_bundle(&original, &dir);
    openssl(
        &dir,
        &[
            "pkey",
            "-in",
            other.to_str().unwrap(),
            "-pubout",
            "-out",
            "public_key.pem",
        ],
    );
    let forged_fp = vigil_export::key::fingerprint(
        &vigil_export::key::verifying_key_from_pem(
            &std::fs::read_to_string(dir.join("public_key.pem")).unwrap(),
        )
        .unwrap(),
    );
    let mut forged = m.clone();
    forged.key_fingerprint_sha256 = forged_fp.clone();
    let (size, sha) = vigil_export::manifest::hash_file(&dir.join("public_key.pem")).unwrap();
    let key_entry = forged
        .files
        .iter_mut()
        .find(|f| f.name == "public_key.pem")
        .unwrap();
    (key_entry.size, key_entry.sha256) = (size, sha);
    let sums_files: Vec<_> = forged
        .files
        .iter()
        .filter(|f| f.name != "SHA256SUMS")
        .cloned()
        .collect();
    std::fs::write(
        dir.join("SHA256SUMS"),
        vigil_export::manifest::sums_text(&sums_files),
    )
    .unwrap();
    let (size, sha) = vigil_export::manifest::hash_file(&dir.join("SHA256SUMS")).unwrap();
    let sums_entry = forged
        .files
        .iter_mut()
        .find(|f| f.name == "SHA256SUMS")
        .unwrap();
    (sums_entry.size, sums_entry.sha256) = (size, sha);
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_vec_pretty(&forged).unwrap(),
    )
    .unwrap();
    openssl(
        &dir,
        &[
            "pkeyutl",
            "-sign",
            "-inkey",
            other.to_str().unwrap(),
            "-rawin",
            "-in",
            "manifest.json",
            "-out",
            "manifest.sig",
        ],
    );
    let (code, stdout) = verify("forged", &[]);
    assert_eq!(code, Some(0), "self-consistent: {stdout}");
    assert!(
        stdout.contains(&forged_fp),
        "the fingerprint is shown: {stdout}"
    );
    let (code, stdout) = verify("forged", &["--fingerprint", &fingerprint]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "signing key fingerprint expected {fingerprint}, found {forged_fp}"
        )),
        "{stdout}"
    );

    // A file the manifest does not list.
    let dir = site.bundle("extra");
    copy_bundle(&original, &dir);
    std::fs::write(dir.join("note.txt"), b"added later").unwrap();
    let (code, stdout) = verify("extra", &[]);
    assert_eq!(code, Some(1));
    assert!(
        stdout.contains("note.txt: not listed in manifest.json"),
        "{stdout}"
    );

    // Usage errors exit 2.
    let out = site.vigil(&["verify"]);
    assert_eq!(out.status.code(), Some(2));
}

/// The procedure docs/evidence.md gives a recipient without Vigil, run as written
/// (the shell block under "Checking a bundle without Vigil") in an exported bundle.
#[test]
fn the_documented_check_without_vigil_works() {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/evidence.md")).unwrap();
    let section = docs
        .split("## Checking a bundle without Vigil")
        .nth(1)
        .expect("the section");
    let script = section
        .split("```sh\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("a sh block");
    assert!(script.contains("sha256sum -c SHA256SUMS"), "{script}");
    assert!(script.contains("openssl pkeyutl -verify"), "{script}");
    let site = Site::new();
    let (from, to) = quiet_range(&site, "cam01");
    let out = site.export(&["cam01"], from, to, "bundle");
    assert!(out.status.success(), "{}", text(&out));
    let bundle = site.bundle("bundle");
    let run = |dir: &Path| {
        Command::new("bash")
            .args(["-e", "-o", "pipefail", "-c", script])
            .current_dir(dir)
            .output()
            .unwrap()
    };
    let out = run(&bundle);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Signature Verified Successfully"),
        "{stdout}"
    );
    // The fingerprint the procedure prints is the one Vigil printed.
    let fp = manifest(&bundle).key_fingerprint_sha256;
    assert!(stdout.contains(&fp), "{stdout}");
    assert!(text(&site.vigil(&["verify", bundle.to_str().unwrap()])).contains(&fp));
    // And the same procedure fails on a changed manifest or file.
    let json = bundle.join("manifest.json");
    let mut bytes = std::fs::read(&json).unwrap();
    bytes.push(b' ');
    std::fs::write(&json, &bytes).unwrap();
    assert!(!run(&bundle).status.success());
    bytes.pop();
    std::fs::write(&json, &bytes).unwrap();
    assert!(run(&bundle).status.success());
    let png = bundle.join(&manifest(&bundle).cameras[0].still);
    std::fs::write(&png, b"changed").unwrap();
    assert!(!run(&bundle).status.success());
}
