//! `vigil verify`: checks a bundle's signature and every file's size and SHA-256, and
//! says exactly what is wrong.
//!
//! Owns: the checks and their messages. Must not: change the bundle, or trust the
//! manifest's file names as paths (a name with a separator is itself a problem).

use std::path::Path;

use ed25519_dalek::Signature;

use crate::key;
use crate::manifest::{self, MANIFEST_FILE, Manifest, PUBLIC_KEY_FILE, SIGNATURE_FILE};

/// What [`verify`] found.
#[derive(Clone, Debug, Default)]
pub struct VerifyReport {
    /// Fingerprint (SHA-256 of the DER) of the bundle's public key, when it reads.
    pub fingerprint: Option<String>,
    /// Files whose size and hash matched.
    pub files_ok: usize,
    /// Everything wrong, one sentence each: which file, expected against found.
    pub problems: Vec<String>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks `bundle`; with `expected_fingerprint`, also that it was signed by that key.
pub fn verify(bundle: &Path, expected_fingerprint: Option<&str>) -> VerifyReport {
    let mut report = VerifyReport::default();
    let problems = &mut report.problems;
    let read = |name: &str, problems: &mut Vec<String>| match std::fs::read(bundle.join(name)) {
        Ok(bytes) => Some(bytes),
        Err(err) => {
            problems.push(format!("{name}: cannot read it ({err})"));
            None
        }
    };
    let manifest_bytes = read(MANIFEST_FILE, problems);
    let signature = read(SIGNATURE_FILE, problems);
    let public = read(PUBLIC_KEY_FILE, problems).and_then(|bytes| {
        let key = key::verifying_key_from_pem(&String::from_utf8_lossy(&bytes));
        if key.is_none() {
            problems.push(format!(
                "{PUBLIC_KEY_FILE}: not an Ed25519 public key in PEM"
            ));
        }
        key
    });
    if let Some(public) = &public {
        let found = key::fingerprint(public);
        if let Some(expected) = expected_fingerprint {
            let expected = expected.trim().to_ascii_lowercase().replace(':', "");
            if expected != found {
                problems.push(format!(
                    "{PUBLIC_KEY_FILE}: signing key fingerprint expected {expected}, found {found}"
                ));
            }
        }
        report.fingerprint = Some(found);
    }
    if let (Some(bytes), Some(sig), Some(public)) = (&manifest_bytes, &signature, &public) {
        match <[u8; 64]>::try_from(sig.as_slice()) {
            Ok(sig) => {
                if public
                    .verify_strict(bytes, &Signature::from_bytes(&sig))
                    .is_err()
                {
                    problems.push(format!(
                        "{SIGNATURE_FILE}: the signature does not match {MANIFEST_FILE} under \
                         {PUBLIC_KEY_FILE} (the manifest was changed, or signed with another key)"
                    ));
                }
            }
            Err(_) => problems.push(format!(
                "{SIGNATURE_FILE}: expected a 64-byte Ed25519 signature, found {} bytes",
                sig.len()
            )),
        }
    }
    let Some(bytes) = manifest_bytes else {
        return report;
    };
    let manifest: Manifest = match serde_json::from_slice(&bytes) {
        Ok(m) => m,
        Err(err) => {
            report.problems.push(format!(
                "{MANIFEST_FILE}: not a Vigil evidence manifest ({err})"
            ));
            return report;
        }
    };
    if let Some(public) = &public
        && manifest.key_fingerprint_sha256 != key::fingerprint(public)
    {
        report.problems.push(format!(
            "{MANIFEST_FILE}: key fingerprint expected {}, found {} in {PUBLIC_KEY_FILE}",
            manifest.key_fingerprint_sha256,
            key::fingerprint(public)
        ));
    }
    for file in &manifest.files {
        let name = &file.name;
        if name.is_empty()
            || name.contains(['/', '\\', '\0'])
            || name.starts_with('.')
            || name == MANIFEST_FILE
            || name == SIGNATURE_FILE
        {
            report.problems.push(format!(
                "{MANIFEST_FILE}: lists an unsafe file name {name:?}"
            ));
            continue;
        }
        let path = bundle.join(name);
        match manifest::hash_file(&path) {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => report
                .problems
                .push(format!("{name}: missing (expected {} bytes)", file.size)),
            Err(err) => report
                .problems
                .push(format!("{name}: cannot read it ({err})")),
            Ok((size, sha256)) => {
                let mut ok = true;
                if size != file.size {
                    ok = false;
                    report.problems.push(format!(
                        "{name}: size expected {} bytes, found {size}",
                        file.size
                    ));
                }
                if sha256 != file.sha256 {
                    ok = false;
                    report.problems.push(format!(
                        "{name}: SHA-256 expected {}, found {sha256}",
                        file.sha256
                    ));
                }
                if ok {
                    report.files_ok += 1;
                }
            }
        }
    }
    match std::fs::read_dir(bundle) {
        Ok(entries) => {
            let mut extra: Vec<String> = entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| {
                    n != MANIFEST_FILE
                        && n != SIGNATURE_FILE
                        && !manifest.files.iter().any(|f| &f.name == n)
                })
                .collect();
            extra.sort();
            for name in extra {
                report
                    .problems
                    .push(format!("{name}: not listed in {MANIFEST_FILE}"));
            }
        }
        Err(err) => report
            .problems
            .push(format!("{}: cannot list it ({err})", bundle.display())),
    }
    report
}
