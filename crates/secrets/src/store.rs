//! The configured password store: opening it, reading and writing through it.
//!
//! Owns: [`PasswordStore`] (keyring, vault or the read-only legacy file), choosing it
//! from `[credentials] store` (`auto` = the keyring when it answers, else the vault),
//! [`fill_credentials`] (a run's passwords into a `CredentialStore`) and
//! [`save_camera_credentials`] (a new password into the store, the user name into
//! `credentials.toml`). Must not: prompt (the caller supplies the vault passphrase),
//! write a password in plain text, or put one into an error.

use std::path::{Path, PathBuf};

use vigil_config::redact::Credentials;
use vigil_config::{ConfigError, CredentialStore, PasswordStoreKind};

use crate::keyring_store::{KeyringError, KeyringStore};
use crate::vault::{Vault, VaultError};

/// File name of the vault in the config directory.
pub const VAULT_FILE_NAME: &str = "credentials.vault";
/// Environment variable holding the vault passphrase (headless runs, the CLI without a
/// terminal). Never a command-line flag: every user can read a command line.
pub const VAULT_PASSPHRASE_ENV: &str = "VIGIL_VAULT_PASSPHRASE";

/// The vault next to `credentials_file` (both live in the config directory).
pub fn vault_path(credentials_file: &Path) -> PathBuf {
    credentials_file.with_file_name(VAULT_FILE_NAME)
}

/// Why the password store could not be used. Never holds a password.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// The keyring failed.
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    /// The vault failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// `credentials.toml` failed to load or save.
    #[error(transparent)]
    File(#[from] ConfigError),
    /// The vault is needed but no passphrase was given.
    #[error(
        "the credential vault {path} needs its passphrase: set {VAULT_PASSPHRASE_ENV} or run \
         from a terminal"
    )]
    NoPassphrase {
        /// The vault file.
        path: PathBuf,
    },
    /// `store = "file"` keeps no new passwords.
    #[error(
        "the password store is \"file\" (credentials.toml, read only): new passwords are not \
         written in plain text. Set [credentials] store = \"keyring\" or \"vault\" in the \
         site file"
    )]
    FileStoreIsReadOnly,
    /// A password was written but did not read back the same.
    #[error("the password of camera `{camera}` did not read back from the {store} as written")]
    ReadBackMismatch {
        /// The camera id.
        camera: String,
        /// "OS keyring" or "vault".
        store: &'static str,
    },
}

/// An open password store.
#[derive(Debug)]
pub enum PasswordStore {
    /// The OS keyring.
    Keyring(KeyringStore),
    /// The encrypted vault.
    Vault(Vault),
    /// Only the legacy `credentials.toml` (its passwords are already in the
    /// `CredentialStore`); read only.
    File,
}

/// The store in use and why.
#[derive(Debug)]
pub struct OpenedStore {
    /// The open store.
    pub store: PasswordStore,
    /// What the site asked for.
    pub configured: PasswordStoreKind,
    /// With `auto`: why the keyring was not used (the vault was).
    pub keyring_unavailable: Option<KeyringError>,
}

impl PasswordStore {
    /// "OS keyring", "vault" or "credentials.toml".
    pub fn name(&self) -> &'static str {
        match self {
            Self::Keyring(_) => "OS keyring",
            Self::Vault(_) => "vault",
            Self::File => "credentials.toml",
        }
    }

    /// The kind, as written in the site file.
    pub fn kind(&self) -> PasswordStoreKind {
        match self {
            Self::Keyring(_) => PasswordStoreKind::Keyring,
            Self::Vault(_) => PasswordStoreKind::Vault,
            Self::File => PasswordStoreKind::File,
        }
    }

    /// A camera's password in this store (`File`: none; the file's are read directly).
    pub fn get(&self, camera_id: &str) -> Result<Option<String>, SecretsError> {
        match self {
            Self::Keyring(k) => Ok(k.get(camera_id)?),
            Self::Vault(v) => Ok(v.get(camera_id).map(str::to_owned)),
            Self::File => Ok(None),
        }
    }

    /// Stores a camera's password durably (the vault file is rewritten) and checks that
    /// it reads back the same.
    pub fn set(&mut self, camera_id: &str, password: &str) -> Result<(), SecretsError> {
        self.set_many(&[(camera_id, password)])
    }

    /// Stores several passwords (the vault is written once) and checks each reads back.
    pub fn set_many(&mut self, items: &[(&str, &str)]) -> Result<(), SecretsError> {
        match self {
            Self::Keyring(k) => {
                for (id, pw) in items {
                    k.set(id, pw)?;
                    if k.get(id)?.as_deref() != Some(*pw) {
                        return Err(SecretsError::ReadBackMismatch {
                            camera: (*id).to_owned(),
                            store: "OS keyring",
                        });
                    }
                }
                Ok(())
            }
            Self::Vault(v) => {
                for (id, pw) in items {
                    v.set(id, pw);
                }
                v.save()?;
                let back = v.reread()?;
                for (id, pw) in items {
                    if back.get(id) != Some(*pw) {
                        return Err(SecretsError::ReadBackMismatch {
                            camera: (*id).to_owned(),
                            store: "vault",
                        });
                    }
                }
                Ok(())
            }
            Self::File => Err(SecretsError::FileStoreIsReadOnly),
        }
    }

    /// Deletes a camera's password from the store; false when it had none.
    pub fn delete(&mut self, camera_id: &str) -> Result<bool, SecretsError> {
        match self {
            Self::Keyring(k) => Ok(k.delete(camera_id)?),
            Self::Vault(v) => {
                let had = v.remove(camera_id);
                if had {
                    v.save()?;
                }
                Ok(had)
            }
            Self::File => Err(SecretsError::FileStoreIsReadOnly),
        }
    }
}

/// Opens the configured store. `keyring` is the keyring to use (tests name their own
/// service); `passphrase` is asked only when the vault is needed.
pub fn open_store(
    kind: PasswordStoreKind,
    credentials_file: &Path,
    keyring: KeyringStore,
    passphrase: impl FnOnce() -> Option<String>,
) -> Result<OpenedStore, SecretsError> {
    let vault = |passphrase: Option<String>| -> Result<PasswordStore, SecretsError> {
        let path = vault_path(credentials_file);
        let passphrase = passphrase.ok_or(SecretsError::NoPassphrase { path: path.clone() })?;
        Ok(PasswordStore::Vault(Vault::open_or_create(
            &path,
            &passphrase,
        )?))
    };
    let (store, keyring_unavailable) = match kind {
        PasswordStoreKind::File => (PasswordStore::File, None),
        PasswordStoreKind::Keyring => {
            keyring.probe()?;
            (PasswordStore::Keyring(keyring), None)
        }
        PasswordStoreKind::Vault => (vault(passphrase())?, None),
        PasswordStoreKind::Auto => match keyring.probe() {
            Ok(()) => (PasswordStore::Keyring(keyring), None),
            Err(e) => (vault(passphrase())?, Some(e)),
        },
    };
    Ok(OpenedStore {
        store,
        configured: kind,
        keyring_unavailable,
    })
}

/// What `vigil doctor` says about the store, found without prompting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreStatus {
    /// What the site asked for.
    pub configured: PasswordStoreKind,
    /// What a run would use (`auto` resolved).
    pub in_use: PasswordStoreKind,
    /// Whether the keyring answered; `None` when it was not asked (`vault`, `file`).
    pub keyring: Option<Result<(), String>>,
    /// The vault file.
    pub vault: PathBuf,
    /// Whether it exists.
    pub vault_exists: bool,
    /// Whether it opens with the passphrase given (`None`: no passphrase, or not used).
    pub vault_opens: Option<Result<usize, String>>,
}

/// Finds which store a run would use and whether it is reachable, without prompting:
/// the vault is only opened when `passphrase` is given.
pub fn store_status(
    kind: PasswordStoreKind,
    credentials_file: &Path,
    keyring: &KeyringStore,
    passphrase: Option<&str>,
) -> StoreStatus {
    let keyring_answer = matches!(kind, PasswordStoreKind::Auto | PasswordStoreKind::Keyring)
        .then(|| keyring.probe().map_err(|e| e.to_string()));
    let in_use = match (kind, &keyring_answer) {
        (PasswordStoreKind::Auto, Some(Ok(()))) => PasswordStoreKind::Keyring,
        (PasswordStoreKind::Auto, _) => PasswordStoreKind::Vault,
        (other, _) => other,
    };
    let vault = vault_path(credentials_file);
    let vault_exists = vault.exists();
    let vault_opens = match (in_use, passphrase) {
        (PasswordStoreKind::Vault, Some(pp)) if vault_exists => Some(
            Vault::open(&vault, pp)
                .map(|v| v.camera_ids().count())
                .map_err(|e| e.to_string()),
        ),
        _ => None,
    };
    StoreStatus {
        configured: kind,
        in_use,
        keyring: keyring_answer,
        vault,
        vault_exists,
        vault_opens,
    }
}

/// Reads the store's password of each of `camera_ids` into `credentials` for this run
/// (kept in memory, never saved; the environment override still wins). Returns the
/// cameras whose password could not be read, with the reason.
pub fn fill_credentials<'a>(
    credentials: &mut CredentialStore,
    store: &PasswordStore,
    camera_ids: impl IntoIterator<Item = &'a str>,
) -> Vec<(String, SecretsError)> {
    let mut failed = Vec::new();
    for id in camera_ids {
        match store.get(id) {
            Ok(Some(password)) => credentials.set_store_password(id, password),
            Ok(None) => {}
            Err(e) => failed.push((id.to_owned(), e)),
        }
    }
    failed
}

/// Saves a camera's login: the password into the store (checked by reading it back),
/// then the user name into `credentials.toml` with any legacy plain-text password of
/// that camera removed. The order means a failure never loses the old password.
pub fn save_camera_credentials(
    credentials: &mut CredentialStore,
    store: &mut PasswordStore,
    camera_id: &str,
    login: &Credentials,
) -> Result<(), SecretsError> {
    store.set(camera_id, &login.password)?;
    credentials.set_username(camera_id, &login.username);
    credentials.forget_file_password(camera_id);
    credentials.save()?;
    credentials.set_store_password(camera_id, login.password.clone());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_store_refuses_new_passwords_and_vault_needs_a_passphrase() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let file = tmp.path().join("credentials.toml");
        let mut opened = open_store(
            PasswordStoreKind::File,
            &file,
            KeyringStore::default(),
            || panic!("no passphrase needed"),
        )
        .expect("file");
        assert!(matches!(
            opened.store.set("a", "b"),
            Err(SecretsError::FileStoreIsReadOnly)
        ));
        let err = open_store(
            PasswordStoreKind::Vault,
            &file,
            KeyringStore::default(),
            || None,
        )
        .expect_err("no passphrase");
        assert!(err.to_string().contains(VAULT_PASSPHRASE_ENV), "{err}");
    }

    #[test]
    fn save_through_the_vault_keeps_only_the_user_name_in_the_file() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let file = tmp.path().join("credentials.toml");
        let mut creds = CredentialStore::new(&file);
        creds.set(
            "lobby",
            Credentials {
                username: "old".into(),
                password: "old-plain".into(),
            },
        );
        creds.save().expect("save");
        let mut opened = open_store(
            PasswordStoreKind::Vault,
            &file,
            KeyringStore::default(),
            || Some("pass phrase".into()),
        )
        .expect("vault");
        let login = Credentials {
            username: "admin".into(),
            password: "n3w p@ss/ü".into(),
        };
        save_camera_credentials(&mut creds, &mut opened.store, "lobby", &login).expect("saved");
        let text = std::fs::read_to_string(&file).expect("read");
        assert!(text.contains("admin") && !text.contains("p@ss") && !text.contains("old-plain"));
        let mut fresh = CredentialStore::load(&file).expect("load");
        let vault = Vault::open(&vault_path(&file), "pass phrase").expect("open");
        let failed = fill_credentials(&mut fresh, &PasswordStore::Vault(vault), ["lobby", "x"]);
        assert!(failed.is_empty());
        assert_eq!(fresh.get_with_env("lobby", |_| None), Some(login.clone()));
    }
}
