//! Camera passwords saved from the Cameras panel into the store the site asks for
//! (`[credentials] store`: the OS keyring or the encrypted vault), through
//! `vigil_secrets::save_camera_credentials` (the store first, read back, then the user
//! name into `credentials.toml`).
//!
//! Owns: the open store of this run (opened on first use), the vault passphrase the app
//! handed over (or `VIGIL_VAULT_PASSPHRASE`), and telling the caller that a passphrase is
//! needed. Must not: prompt (the app asks in its own window), log or put a password or
//! the passphrase into an error, or write a password in plain text.

use std::fmt;
use std::path::PathBuf;

use crossbeam_channel::Receiver;
use vigil_config::redact::Credentials;
use vigil_config::{CredentialStore, PasswordStoreKind};
use vigil_secrets::{
    KeyringStore, MigrationReport, PasswordStore, SecretsError, VAULT_PASSPHRASE_ENV, migrate,
    open_store, save_camera_credentials,
};

/// The vault passphrase on its way from the installer to the core; `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct VaultPassphrase(pub String);

impl fmt::Debug for VaultPassphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VaultPassphrase(***)")
    }
}

/// Where moving `credentials.toml`'s plain-text passwords into the store stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MigrationStatus {
    /// The worker is moving them.
    Running,
    /// Done: what moved (camera ids only).
    Done(MigrationReport),
    /// The vault needs its passphrase first.
    NeedsPassphrase,
    /// Failed; `credentials.toml` is as it was.
    Failed(String),
}

/// Why a password was not saved. Never holds the password or the passphrase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSaveError {
    /// The vault is the store in use and its passphrase is not known yet: ask for it
    /// ([`crate::Core::set_vault_passphrase`]) and save again.
    NeedsPassphrase,
    /// The store failed (or is `file`, which takes no new passwords); the reason.
    Failed(String),
}

/// The password store of a run, opened when a password is first saved.
#[derive(Default)]
pub(crate) struct Passwords {
    keyring: KeyringStore,
    passphrase: Option<String>,
    opened: Option<(PasswordStoreKind, PasswordStore)>,
    /// The migration worker's answer, while it runs.
    migration: Option<Receiver<MigrationStatus>>,
    /// The last migration's outcome, for the panel.
    migration_status: Option<MigrationStatus>,
}

impl fmt::Debug for Passwords {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Passwords")
            .field("passphrase", &self.passphrase.as_ref().map(|_| "***"))
            .field("opened", &self.opened.as_ref().map(|(_, s)| s.name()))
            .finish()
    }
}

impl Passwords {
    /// Gives the vault passphrase (typed by the installer); a store opened with another
    /// one is opened again on the next save.
    pub(crate) fn set_passphrase(&mut self, passphrase: String) {
        if matches!(self.opened, Some((_, PasswordStore::Vault(_)))) {
            self.opened = None;
        }
        self.passphrase = Some(passphrase).filter(|p| !p.is_empty());
    }

    fn passphrase(&self) -> Option<String> {
        self.passphrase.clone().or_else(|| {
            std::env::var(VAULT_PASSPHRASE_ENV)
                .ok()
                .filter(|p| !p.is_empty())
        })
    }

    /// The open store for `kind`, opening it (again, when the site changed its kind).
    pub(crate) fn store(
        &mut self,
        kind: PasswordStoreKind,
        credentials: &CredentialStore,
    ) -> Result<&mut PasswordStore, PasswordSaveError> {
        if self.opened.as_ref().is_none_or(|(k, _)| *k != kind) {
            let passphrase = self.passphrase();
            let opened = open_store(kind, credentials.path(), self.keyring.clone(), || {
                passphrase
            })
            .map_err(|e| match e {
                SecretsError::NoPassphrase { .. } => PasswordSaveError::NeedsPassphrase,
                other => PasswordSaveError::Failed(other.to_string()),
            })?;
            if let Some(why) = &opened.keyring_unavailable {
                tracing::info!(%why, "no OS keyring: camera passwords go to the vault");
            }
            self.opened = Some((kind, opened.store));
        }
        match &mut self.opened {
            Some((_, store)) => Ok(store),
            None => Err(PasswordSaveError::Failed(
                "the password store did not open".to_owned(),
            )),
        }
    }

    /// Saves a camera's login: the password into the store (read back), the user name
    /// into `credentials.toml` (written now, 0600), and the password into this run's
    /// `credentials` so the camera logs in with it.
    pub(crate) fn save(
        &mut self,
        kind: PasswordStoreKind,
        credentials: &mut CredentialStore,
        camera_id: &str,
        login: &Credentials,
    ) -> Result<(), PasswordSaveError> {
        let store = self.store(kind, credentials)?;
        let name = store.name();
        match save_camera_credentials(credentials, store, camera_id, login) {
            Ok(()) => {
                tracing::info!(store = name, "camera password saved");
                Ok(())
            }
            Err(SecretsError::Vault(e)) if matches!(store, PasswordStore::Vault(_)) => {
                // A wrong passphrase (or a damaged vault): ask again next time.
                self.opened = None;
                Err(PasswordSaveError::Failed(e.to_string()))
            }
            Err(e) => Err(PasswordSaveError::Failed(e.to_string())),
        }
    }

    /// Forgets a camera's password in the store (removed or renamed camera); failures
    /// are logged, the camera is gone either way.
    pub(crate) fn forget(
        &mut self,
        kind: PasswordStoreKind,
        credentials: &CredentialStore,
        camera_id: &str,
    ) {
        if kind == PasswordStoreKind::File {
            return;
        }
        match self.store(kind, credentials) {
            Ok(store) => {
                if let Err(err) = store.delete(camera_id) {
                    tracing::warn!(camera = camera_id, %err, "password not deleted from the store");
                }
            }
            Err(PasswordSaveError::NeedsPassphrase) => {
                tracing::info!(
                    camera = camera_id,
                    "the vault is locked: its entry for this camera stays until the next unlock"
                );
            }
            Err(PasswordSaveError::Failed(err)) => {
                tracing::warn!(camera = camera_id, %err, "password store not reachable");
            }
        }
    }
}

impl Passwords {
    /// Starts moving `credentials.toml`'s plain-text passwords into the store on the
    /// `vigil-migrate` thread (its own store and its own copy of the file); a running
    /// one is left alone.
    pub(crate) fn start_migration(
        &mut self,
        kind: PasswordStoreKind,
        file: PathBuf,
        notify: vigil_media::Notify,
    ) {
        if self.migration.is_some() {
            return;
        }
        let passphrase = self.passphrase();
        let keyring = self.keyring.clone();
        let (tx, rx) = crossbeam_channel::bounded(1);
        let spawned = std::thread::Builder::new()
            .name("vigil-migrate".to_owned())
            .spawn(move || {
                let outcome = migrate_file(kind, &file, keyring, passphrase);
                tx.send(outcome).ok();
                notify();
            });
        match spawned {
            Ok(_) => {
                self.migration = Some(rx);
                self.migration_status = Some(MigrationStatus::Running);
            }
            Err(err) => {
                self.migration_status = Some(MigrationStatus::Failed(format!(
                    "cannot start the migration: {err}"
                )));
            }
        }
    }

    /// The finished migration's report, once (the caller updates its credentials).
    pub(crate) fn poll_migration(&mut self) -> Option<MigrationStatus> {
        let rx = self.migration.as_ref()?;
        let status = match rx.try_recv() {
            Ok(status) => status,
            Err(crossbeam_channel::TryRecvError::Empty) => return None,
            Err(crossbeam_channel::TryRecvError::Disconnected) => {
                MigrationStatus::Failed("the migration stopped unexpectedly".to_owned())
            }
        };
        self.migration = None;
        // The store's file changed under an open vault: read it again next time.
        self.opened = None;
        self.migration_status = Some(status.clone());
        Some(status)
    }

    pub(crate) fn migration_status(&self) -> Option<&MigrationStatus> {
        self.migration_status.as_ref()
    }
}

fn migrate_file(
    kind: PasswordStoreKind,
    file: &std::path::Path,
    keyring: KeyringStore,
    passphrase: Option<String>,
) -> MigrationStatus {
    let mut credentials = match CredentialStore::load(file) {
        Ok(c) => c,
        Err(err) => return MigrationStatus::Failed(err.to_string()),
    };
    let mut opened = match open_store(kind, file, keyring, || passphrase) {
        Ok(opened) => opened,
        Err(SecretsError::NoPassphrase { .. }) => return MigrationStatus::NeedsPassphrase,
        Err(err) => return MigrationStatus::Failed(err.to_string()),
    };
    match migrate(&mut credentials, &mut opened.store) {
        Ok(report) => {
            tracing::info!(
                moved = report.moved.len(),
                store = opened.store.name(),
                "plain-text passwords moved out of credentials.toml"
            );
            MigrationStatus::Done(report)
        }
        Err(err) => {
            tracing::warn!(%err, "moving passwords out of credentials.toml failed");
            MigrationStatus::Failed(err.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vault_asks_for_its_passphrase_then_keeps_only_the_user_name_in_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("credentials.toml");
        let mut credentials = CredentialStore::new(&file);
        let mut passwords = Passwords::default();
        let login = Credentials {
            username: "admin".into(),
            password: "p@ss wörd".into(),
        };
        if std::env::var_os(VAULT_PASSPHRASE_ENV).is_none() {
            assert_eq!(
                passwords.save(PasswordStoreKind::Vault, &mut credentials, "yard", &login),
                Err(PasswordSaveError::NeedsPassphrase)
            );
        }
        passwords.set_passphrase("pass phrase".into());
        assert!(!format!("{passwords:?}").contains("pass phrase"));
        passwords
            .save(PasswordStoreKind::Vault, &mut credentials, "yard", &login)
            .expect("saved");
        let text = std::fs::read_to_string(&file).expect("credentials.toml");
        assert!(text.contains("admin") && !text.contains("wörd"), "{text}");
        assert_eq!(credentials.get_with_env("yard", |_| None), Some(login));
        let vault = vigil_secrets::Vault::open(&vigil_secrets::vault_path(&file), "pass phrase")
            .expect("vault");
        assert_eq!(vault.get("yard"), Some("p@ss wörd"));
        // `file` takes no new passwords.
        let refused = passwords.save(
            PasswordStoreKind::File,
            &mut credentials,
            "gate",
            &Credentials::default(),
        );
        assert!(matches!(refused, Err(PasswordSaveError::Failed(m)) if m.contains("read only")));
    }
}
