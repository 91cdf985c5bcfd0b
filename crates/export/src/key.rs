//! The installation's signing key: an Ed25519 key made on first use and kept in the
//! data directory as PKCS#8 PEM with owner-only permissions (0600), and its public
//! half as PEM SubjectPublicKeyInfo (what `openssl pkeyutl -verify -pubin` reads).
//!
//! Owns: key generation, the PEM encodings (fixed DER prefixes: an Ed25519 key has one
//! shape), the fingerprint (SHA-256 of the public key's DER). Must not: sign or verify
//! manifests (see `manifest` and `verify`).
//!
//! The private key is not password-protected: the credential store it would follow
//! keeps its secrets in an owner-only file too.

use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use ed25519_dalek::{SigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};

use crate::ExportError;

/// File name of the key inside the data directory.
pub const KEY_FILE_NAME: &str = "evidence-signing-key.pem";

/// DER of a PKCS#8 Ed25519 private key, before its 32-byte seed (RFC 8410).
const PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];
/// DER of an Ed25519 SubjectPublicKeyInfo, before its 32-byte key (RFC 8410).
const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// The key in `data_dir`, made (and written 0600) when there is none yet.
pub fn load_or_create(data_dir: &Path) -> Result<SigningKey, ExportError> {
    let path = data_dir.join(KEY_FILE_NAME);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let mode = std::fs::metadata(&path)
                .map_err(|source| io(&path, source))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(ExportError::Key(format!(
                    "{} is readable by others (mode {:o}): run chmod 600 on it",
                    path.display(),
                    mode & 0o777
                )));
            }
            signing_key_from_pem(&text).ok_or_else(|| {
                ExportError::Key(format!("{} is not an Ed25519 key", path.display()))
            })
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed)
                .map_err(|err| ExportError::Key(format!("no random numbers: {err}")))?;
            let key = SigningKey::from_bytes(&seed);
            std::fs::create_dir_all(data_dir).map_err(|source| io(data_dir, source))?;
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .map_err(|source| io(&path, source))?;
            file.write_all(private_pem(&key).as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|source| io(&path, source))?;
            tracing::info!(path = %path.display(), "made the installation's evidence signing key");
            Ok(key)
        }
        Err(source) => Err(io(&path, source)),
    }
}

fn io(path: &Path, source: std::io::Error) -> ExportError {
    ExportError::Io {
        path: PathBuf::from(path),
        source,
    }
}

/// The private key as PKCS#8 PEM (`openssl pkey -in` reads it).
pub fn private_pem(key: &SigningKey) -> String {
    let mut der = PKCS8_PREFIX.to_vec();
    der.extend_from_slice(key.as_bytes());
    pem("PRIVATE KEY", &der)
}

/// The public key as PEM SubjectPublicKeyInfo.
pub fn public_pem(key: &VerifyingKey) -> String {
    pem("PUBLIC KEY", &public_der(key))
}

fn public_der(key: &VerifyingKey) -> Vec<u8> {
    let mut der = SPKI_PREFIX.to_vec();
    der.extend_from_slice(key.as_bytes());
    der
}

/// SHA-256 of the public key's DER, in hex: what
/// `openssl pkey -pubin -in public_key.pem -outform DER | sha256sum` prints.
pub fn fingerprint(key: &VerifyingKey) -> String {
    hex(&Sha256::digest(public_der(key)))
}

/// The public key in a PEM SubjectPublicKeyInfo text, if it is an Ed25519 key.
pub fn verifying_key_from_pem(text: &str) -> Option<VerifyingKey> {
    let der = pem_body(text, "PUBLIC KEY")?;
    let raw = der.strip_prefix(SPKI_PREFIX.as_slice())?;
    VerifyingKey::from_bytes(raw.try_into().ok()?).ok()
}

fn signing_key_from_pem(text: &str) -> Option<SigningKey> {
    let der = pem_body(text, "PRIVATE KEY")?;
    let raw = der.strip_prefix(PKCS8_PREFIX.as_slice())?;
    Some(SigningKey::from_bytes(raw.try_into().ok()?))
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn pem(label: &str, der: &[u8]) -> String {
    let mut b64 = String::new();
    for chunk in der.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                b64.push(char::from(B64[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                b64.push('=');
            }
        }
    }
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn pem_body(text: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)? + begin.len();
    let stop = start + text[start..].find(&end)?;
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text[start..stop]
        .bytes()
        .filter(|c| !c.is_ascii_whitespace())
    {
        if c == b'=' {
            break;
        }
        let v = B64.iter().position(|b| *b == c)?;
        bits = bits << 6 | u32::try_from(v).ok()?;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push(u8::try_from(bits >> count & 0xff).ok()?);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_round_trips() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let back = signing_key_from_pem(&private_pem(&key)).expect("private");
        assert_eq!(back.as_bytes(), key.as_bytes());
        let public = verifying_key_from_pem(&public_pem(&key.verifying_key())).expect("public");
        assert_eq!(public, key.verifying_key());
        assert!(
            verifying_key_from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")
                .is_none()
        );
    }

    #[test]
    fn the_key_is_made_once_and_kept_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = load_or_create(dir.path()).expect("create");
        let mode = std::fs::metadata(dir.path().join(KEY_FILE_NAME))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let second = load_or_create(dir.path()).expect("load");
        assert_eq!(first.as_bytes(), second.as_bytes());
        std::fs::set_permissions(
            dir.path().join(KEY_FILE_NAME),
            std::fs::Permissions::from_mode(0o644),
        )
        .expect("chmod");
        let err = load_or_create(dir.path()).expect_err("world-readable key");
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }
}
