//! The encrypted vault: camera passwords in one file where no OS keyring answers.
//!
//! Owns: the vault file format (version 1, below), deriving its key from a passphrase
//! with Argon2id, sealing it with XChaCha20-Poly1305, and writing it atomically with
//! mode 0600. Must not: write a password in plain text anywhere, put a password or the
//! passphrase into an error or a log line, or overwrite a vault it could not open.
//!
//! Format, version 1 (all integers little-endian). The whole header is the AEAD's
//! associated data, so a change to any byte of the file fails the integrity check.
//!
//! | offset | bytes | field                                                        |
//! |--------|-------|--------------------------------------------------------------|
//! | 0      | 8     | magic `VGLVAULT`                                             |
//! | 8      | 1     | format version (1)                                           |
//! | 9      | 1     | KDF id (1 = Argon2id v0x13)                                  |
//! | 10     | 4     | Argon2 memory cost, KiB                                      |
//! | 14     | 4     | Argon2 time cost (passes)                                    |
//! | 18     | 4     | Argon2 parallelism                                           |
//! | 22     | 16    | random salt (new for each new vault)                         |
//! | 38     | 32    | passphrase check: bytes 32..64 of the Argon2 output          |
//! | 70     | 24    | random nonce (new for each write)                            |
//! | 94     | n+16  | ciphertext of the JSON `{"passwords":{id:password}}` and tag |
//!
//! Argon2id gives 64 bytes: the first 32 are the cipher key, the last 32 are stored as
//! the passphrase check. A check that does not match is a wrong passphrase; a check
//! that matches with a failing tag is a file that was changed or damaged.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use vigil_config::{ConfigError, write_atomic};

/// Mode of the vault file.
pub const VAULT_FILE_MODE: u32 = 0o600;
/// The current vault format version.
pub const VAULT_FORMAT_VERSION: u8 = 1;
/// Vault files larger than this are refused unread.
pub const MAX_VAULT_FILE_BYTES: u64 = 4 * 1024 * 1024;

const MAGIC: &[u8; 8] = b"VGLVAULT";
const KDF_ARGON2ID: u8 = 1;
const SALT_LEN: usize = 16;
const CHECK_LEN: usize = 32;
const NONCE_LEN: usize = 24;
const HEADER_LEN: usize = 8 + 1 + 1 + 4 + 4 + 4 + SALT_LEN + CHECK_LEN + NONCE_LEN;
const TAG_LEN: usize = 16;

/// Argon2id cost of a new vault: 64 MiB, 3 passes, 1 lane (about 0.1–0.3 s).
const NEW_M_COST_KIB: u32 = 64 * 1024;
const NEW_T_COST: u32 = 3;
const NEW_P_COST: u32 = 1;
/// Costs a file may ask for: a changed header must not make us allocate gigabytes.
const MAX_M_COST_KIB: u32 = 1024 * 1024;
const MAX_T_COST: u32 = 64;
const MAX_P_COST: u32 = 16;

/// Why a vault could not be opened or written. Never holds a password or passphrase.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The passphrase does not open this vault.
    #[error("wrong passphrase for the credential vault {path}")]
    WrongPassphrase {
        /// The vault file.
        path: PathBuf,
    },
    /// The header matched the passphrase but the sealed part failed its check.
    #[error(
        "the credential vault {path} fails its integrity check: it was changed or damaged \
         after Vigil wrote it. Nothing was written; restore it from a backup"
    )]
    Tampered {
        /// The vault file.
        path: PathBuf,
    },
    /// Not a vault at all (wrong magic or too short).
    #[error("{path} is not a Vigil credential vault ({reason})")]
    NotAVault {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: &'static str,
    },
    /// A format version this build does not read.
    #[error(
        "the credential vault {path} has format version {version}; this Vigil reads \
         version {VAULT_FORMAT_VERSION}: use a newer Vigil"
    )]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// The version found.
        version: u8,
    },
    /// An empty passphrase.
    #[error("the vault passphrase is empty")]
    EmptyPassphrase,
    /// Reading or writing the file failed.
    #[error(transparent)]
    Io(#[from] ConfigError),
    /// The random source or the cipher failed (not a property of the file).
    #[error("the credential vault could not be sealed: {0}")]
    Crypto(&'static str),
}

#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Plain {
    passwords: BTreeMap<String, String>,
}

#[derive(Clone, Copy)]
struct Kdf {
    m_cost_kib: u32,
    t_cost: u32,
    p_cost: u32,
    salt: [u8; SALT_LEN],
}

/// An open vault: its passwords in memory and the key that seals them again.
/// `Debug` shows the path and the camera ids only.
pub struct Vault {
    path: PathBuf,
    kdf: Kdf,
    key: [u8; 32],
    check: [u8; CHECK_LEN],
    passwords: BTreeMap<String, String>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("path", &self.path)
            .field("cameras", &self.passwords.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

fn derive(passphrase: &str, kdf: &Kdf) -> Result<([u8; 32], [u8; CHECK_LEN]), VaultError> {
    let params = Params::new(kdf.m_cost_kib, kdf.t_cost, kdf.p_cost, Some(64))
        .map_err(|_| VaultError::Crypto("bad Argon2 parameters"))?;
    let mut out = [0u8; 64];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), &kdf.salt, &mut out)
        .map_err(|_| VaultError::Crypto("Argon2 failed"))?;
    let mut key = [0u8; 32];
    let mut check = [0u8; CHECK_LEN];
    key.copy_from_slice(&out[..32]);
    check.copy_from_slice(&out[32..]);
    Ok((key, check))
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(b)
}

/// Constant-time equality of two equal-length byte strings.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Vault {
    /// Opens the vault at `path`, or starts a new empty one there if the file does not
    /// exist (written by [`Self::save`]).
    pub fn open_or_create(path: &Path, passphrase: &str) -> Result<Self, VaultError> {
        if passphrase.is_empty() {
            return Err(VaultError::EmptyPassphrase);
        }
        match std::fs::symlink_metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut salt = [0u8; SALT_LEN];
                getrandom::fill(&mut salt).map_err(|_| VaultError::Crypto("no random source"))?;
                let kdf = Kdf {
                    m_cost_kib: NEW_M_COST_KIB,
                    t_cost: NEW_T_COST,
                    p_cost: NEW_P_COST,
                    salt,
                };
                let (key, check) = derive(passphrase, &kdf)?;
                Ok(Self {
                    path: path.to_path_buf(),
                    kdf,
                    key,
                    check,
                    passwords: BTreeMap::new(),
                })
            }
            _ => Self::open(path, passphrase),
        }
    }

    /// Opens an existing vault.
    pub fn open(path: &Path, passphrase: &str) -> Result<Self, VaultError> {
        if passphrase.is_empty() {
            return Err(VaultError::EmptyPassphrase);
        }
        let bytes = read_limited(path)?;
        let not_a_vault = |reason| VaultError::NotAVault {
            path: path.to_path_buf(),
            reason,
        };
        if bytes.len() < 9 || &bytes[..8] != MAGIC {
            return Err(not_a_vault("it does not start with the vault header"));
        }
        if bytes[8] != VAULT_FORMAT_VERSION {
            return Err(VaultError::UnsupportedVersion {
                path: path.to_path_buf(),
                version: bytes[8],
            });
        }
        if bytes.len() < HEADER_LEN + TAG_LEN {
            return Err(not_a_vault("it is truncated"));
        }
        if bytes[9] != KDF_ARGON2ID {
            return Err(not_a_vault("unknown key derivation"));
        }
        let mut salt = [0u8; SALT_LEN];
        salt.copy_from_slice(&bytes[22..22 + SALT_LEN]);
        let kdf = Kdf {
            m_cost_kib: u32_at(&bytes, 10),
            t_cost: u32_at(&bytes, 14),
            p_cost: u32_at(&bytes, 18),
            salt,
        };
        if kdf.m_cost_kib > MAX_M_COST_KIB
            || kdf.t_cost == 0
            || kdf.t_cost > MAX_T_COST
            || kdf.p_cost == 0
            || kdf.p_cost > MAX_P_COST
        {
            return Err(VaultError::Tampered {
                path: path.to_path_buf(),
            });
        }
        let (key, check) = derive(passphrase, &kdf)?;
        if !ct_eq(&check, &bytes[38..38 + CHECK_LEN]) {
            return Err(VaultError::WrongPassphrase {
                path: path.to_path_buf(),
            });
        }
        let passwords = unseal(&key, &bytes).ok_or_else(|| VaultError::Tampered {
            path: path.to_path_buf(),
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            kdf,
            key,
            check,
            passwords,
        })
    }

    /// The vault file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A camera's password.
    pub fn get(&self, camera_id: &str) -> Option<&str> {
        self.passwords.get(camera_id).map(String::as_str)
    }

    /// Sets a camera's password in memory; [`Self::save`] writes it.
    pub fn set(&mut self, camera_id: &str, password: &str) {
        self.passwords
            .insert(camera_id.to_owned(), password.to_owned());
    }

    /// Removes a camera's password in memory; true if it had one.
    pub fn remove(&mut self, camera_id: &str) -> bool {
        self.passwords.remove(camera_id).is_some()
    }

    /// Camera ids with a password, sorted.
    pub fn camera_ids(&self) -> impl Iterator<Item = &str> {
        self.passwords.keys().map(String::as_str)
    }

    /// Seals the passwords with a fresh nonce and replaces the file atomically (0600).
    pub fn save(&self) -> Result<(), VaultError> {
        let plain = serde_json::to_vec(&Plain {
            passwords: self.passwords.clone(),
        })
        .map_err(|_| VaultError::Crypto("could not serialize"))?;
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| VaultError::Crypto("no random source"))?;
        let mut out = Vec::with_capacity(HEADER_LEN + plain.len() + TAG_LEN);
        out.extend_from_slice(MAGIC);
        out.push(VAULT_FORMAT_VERSION);
        out.push(KDF_ARGON2ID);
        out.extend_from_slice(&self.kdf.m_cost_kib.to_le_bytes());
        out.extend_from_slice(&self.kdf.t_cost.to_le_bytes());
        out.extend_from_slice(&self.kdf.p_cost.to_le_bytes());
        out.extend_from_slice(&self.kdf.salt);
        out.extend_from_slice(&self.check);
        out.extend_from_slice(&nonce);
        let cipher = XChaCha20Poly1305::new_from_slice(&self.key)
            .map_err(|_| VaultError::Crypto("bad key length"))?;
        let sealed = cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &plain,
                    aad: &out,
                },
            )
            .map_err(|_| VaultError::Crypto("encryption failed"))?;
        out.extend_from_slice(&sealed);
        write_atomic(&self.path, &out, VAULT_FILE_MODE)?;
        Ok(())
    }

    /// Reads the file back from disk with this vault's key: what a later start would
    /// see. Used to verify a write before anything else is removed.
    pub fn reread(&self) -> Result<Self, VaultError> {
        let bytes = read_limited(&self.path)?;
        if bytes.len() < HEADER_LEN + TAG_LEN || !ct_eq(&bytes[38..38 + CHECK_LEN], &self.check) {
            return Err(VaultError::Tampered {
                path: self.path.clone(),
            });
        }
        let passwords = unseal(&self.key, &bytes).ok_or_else(|| VaultError::Tampered {
            path: self.path.clone(),
        })?;
        Ok(Self {
            path: self.path.clone(),
            kdf: self.kdf,
            key: self.key,
            check: self.check,
            passwords,
        })
    }
}

fn unseal(key: &[u8; 32], bytes: &[u8]) -> Option<BTreeMap<String, String>> {
    let cipher = XChaCha20Poly1305::new_from_slice(key).ok()?;
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&bytes[HEADER_LEN - NONCE_LEN..HEADER_LEN]);
    let plain = cipher
        .decrypt(
            &XNonce::from(nonce),
            Payload {
                msg: &bytes[HEADER_LEN..],
                aad: &bytes[..HEADER_LEN],
            },
        )
        .ok()?;
    serde_json::from_slice::<Plain>(&plain)
        .ok()
        .map(|p| p.passwords)
}

fn read_limited(path: &Path) -> Result<Vec<u8>, VaultError> {
    let read_err = |source| {
        VaultError::Io(ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    let mut bytes = Vec::new();
    file.take(MAX_VAULT_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > MAX_VAULT_FILE_BYTES {
        return Err(VaultError::Io(ConfigError::TooLarge {
            path: path.to_path_buf(),
            limit: MAX_VAULT_FILE_BYTES,
        }));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    const NASTY: &str = "p@ss:w/rd%#?\" ü ñ 密码";

    fn fresh(dir: &Path) -> (PathBuf, Vault) {
        let path = dir.join("credentials.vault");
        let mut v = Vault::open_or_create(&path, "correct horse").expect("create");
        v.set("lobby", NASTY);
        v.set("yard", "pw2");
        v.save().expect("save");
        (path, v)
    }

    #[test]
    fn round_trip_mode_0600_and_no_plain_text() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (path, _) = fresh(tmp.path());
        let meta = std::fs::metadata(&path).expect("meta");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let bytes = std::fs::read(&path).expect("read");
        assert_eq!(&bytes[..8], MAGIC);
        assert_eq!(bytes[8], 1);
        for needle in [NASTY.as_bytes(), b"pw2", b"lobby", b"correct horse"] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "plain text in the vault"
            );
        }
        let v = Vault::open(&path, "correct horse").expect("open");
        assert_eq!(v.get("lobby"), Some(NASTY));
        assert_eq!(v.get("yard"), Some("pw2"));
        assert_eq!(v.camera_ids().collect::<Vec<_>>(), ["lobby", "yard"]);
        assert!(!format!("{v:?}").contains("pw2"));
        // Only the vault file is left: the atomic write's temp file is gone.
        assert_eq!(std::fs::read_dir(tmp.path()).expect("ls").count(), 1);
    }

    #[test]
    fn wrong_passphrase_is_a_clear_error() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (path, _) = fresh(tmp.path());
        let err = Vault::open(&path, "wrong horse").expect_err("wrong");
        assert!(matches!(err, VaultError::WrongPassphrase { .. }), "{err}");
        assert!(err.to_string().contains("wrong passphrase"), "{err}");
        let err = Vault::open_or_create(&path, "wrong horse").expect_err("wrong");
        assert!(matches!(err, VaultError::WrongPassphrase { .. }), "{err}");
        assert!(matches!(
            Vault::open(&path, ""),
            Err(VaultError::EmptyPassphrase)
        ));
    }

    #[test]
    fn every_tampered_byte_is_refused_and_nothing_is_overwritten() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (path, _) = fresh(tmp.path());
        let good = std::fs::read(&path).expect("read");
        // A byte of the ciphertext, the tag, the nonce, and the cost fields.
        for at in [HEADER_LEN + 3, good.len() - 1, HEADER_LEN - 5, 10, 22] {
            let mut bad = good.clone();
            bad[at] ^= 0x01;
            std::fs::write(&path, &bad).expect("write");
            let err = Vault::open_or_create(&path, "correct horse").expect_err("tampered");
            assert!(
                matches!(
                    err,
                    VaultError::Tampered { .. } | VaultError::WrongPassphrase { .. }
                ),
                "byte {at}: {err}"
            );
            if at >= HEADER_LEN - NONCE_LEN {
                assert!(
                    matches!(err, VaultError::Tampered { .. }),
                    "byte {at}: {err}"
                );
                assert!(err.to_string().contains("integrity"), "{err}");
            }
            assert_eq!(std::fs::read(&path).expect("read"), bad, "rewritten");
        }
        std::fs::write(&path, &good[..HEADER_LEN]).expect("truncate");
        assert!(matches!(
            Vault::open(&path, "correct horse"),
            Err(VaultError::NotAVault { .. })
        ));
        std::fs::write(&path, b"[cameras.lobby]\npassword = \"x\"\n").expect("toml");
        assert!(matches!(
            Vault::open(&path, "correct horse"),
            Err(VaultError::NotAVault { .. })
        ));
        let mut v2 = good.clone();
        v2[8] = 2;
        std::fs::write(&path, &v2).expect("write");
        assert!(matches!(
            Vault::open(&path, "correct horse"),
            Err(VaultError::UnsupportedVersion { version: 2, .. })
        ));
    }

    #[test]
    fn each_write_uses_a_new_nonce_and_reread_sees_it() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (path, mut v) = fresh(tmp.path());
        let first = std::fs::read(&path).expect("read");
        v.remove("yard");
        v.save().expect("save");
        let second = std::fs::read(&path).expect("read");
        assert_ne!(
            first[HEADER_LEN - NONCE_LEN..HEADER_LEN],
            second[HEADER_LEN - NONCE_LEN..HEADER_LEN]
        );
        assert_eq!(first[22..38], second[22..38], "the salt stays");
        let back = v.reread().expect("reread");
        assert_eq!(back.camera_ids().collect::<Vec<_>>(), ["lobby"]);
    }
}
