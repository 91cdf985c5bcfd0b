//! Where camera passwords live: the OS keyring, an encrypted vault, or (legacy, read
//! only) `credentials.toml`; choosing among them, filling a
//! [`vigil_config::CredentialStore`] for a run, storing a new password, and moving old
//! plain-text passwords out of `credentials.toml` ([`migrate`]).
//!
//! Owns: the store choice (`[credentials] store` in the site file, see
//! docs/credentials.md), [`PasswordStore`] and the migration. Must not: write a password
//! in plain text, put one into an error or a log line, or know about the UI.
//!
//! A camera's password is looked up in this order: the `VIGIL_CAMERA_<ID>_PASSWORD`
//! environment variable, the configured store, then a legacy password still in
//! `credentials.toml`. User names stay in `credentials.toml` (or the site file).

mod keyring_store;
mod migrate;
mod store;
mod vault;

pub use keyring_store::{KEYRING_SERVICE, KeyringError, KeyringStore};
pub use migrate::{MigrationReport, migrate};
pub use store::{
    OpenedStore, PasswordStore, SecretsError, StoreStatus, VAULT_FILE_NAME, VAULT_PASSPHRASE_ENV,
    fill_credentials, open_store, save_camera_credentials, store_status, vault_path,
};
pub use vault::{MAX_VAULT_FILE_BYTES, VAULT_FILE_MODE, VAULT_FORMAT_VERSION, Vault, VaultError};
pub use vigil_config::PasswordStoreKind;
