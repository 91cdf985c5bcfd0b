//! Camera passwords in the OS keyring, through the `keyring` crate.
//!
//! Owns: the naming of Vigil's keyring entries (service [`KEYRING_SERVICE`], account =
//! camera id), reading, writing and deleting them, and asking whether the keyring
//! answers at all. On Linux that is the Secret Service over the D-Bus session bus
//! (GNOME Keyring, KWallet); Keychain on macOS; Credential Manager on Windows.
//! Must not: put a keyring error's payload into a message (some carry the secret's
//! bytes), or cache passwords.

use keyring::{Entry, Error};
use vigil_config::redact::redact;

/// The keyring "service" of every Vigil camera password; the account is the camera id.
pub const KEYRING_SERVICE: &str = "io.github.vigil_vms.Vigil camera";

/// The keyring did not answer or refused an operation. The text never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("OS keyring: {0}")]
pub struct KeyringError(pub String);

/// Vigil's entries in the OS keyring.
#[derive(Debug, Clone)]
pub struct KeyringStore {
    service: String,
}

impl Default for KeyringStore {
    fn default() -> Self {
        Self::new(KEYRING_SERVICE)
    }
}

/// A message for a keyring error that cannot carry the secret (the `BadEncoding` and
/// `BadDataFormat` variants hold its bytes).
fn describe(e: &Error) -> String {
    // The platform's own text (a D-Bus error) goes through the one redaction function.
    redact(&match e {
        Error::PlatformFailure(p) => format!("the keyring service failed: {p}"),
        Error::NoStorageAccess(p) => format!("the keyring is locked or not reachable: {p}"),
        Error::NoEntry => "no such entry".into(),
        Error::BadEncoding(_) => "the stored password is not UTF-8".into(),
        Error::BadDataFormat(..) => "the stored password has an unexpected format".into(),
        Error::BadStoreFormat(_) => "the keyring's store is malformed".into(),
        Error::TooLong(what, limit) => format!("{what} is longer than the keyring's {limit}"),
        Error::Invalid(what, why) => format!("invalid {what}: {why}"),
        Error::Ambiguous(v) => format!("{} entries match one camera", v.len()),
        Error::NoDefaultStore => {
            "no keyring service answers (on Linux: no Secret Service on the D-Bus session \
             bus; is GNOME Keyring or KWallet running and unlocked?)"
                .into()
        }
        Error::NotSupportedByStore(what) => format!("not supported by this keyring: {what}"),
        _ => "unexpected keyring error".into(),
    })
}

impl KeyringStore {
    /// Entries under `service` (tests use their own).
    pub fn new(service: &str) -> Self {
        Self {
            service: service.to_owned(),
        }
    }

    fn entry(&self, camera_id: &str) -> Result<Entry, KeyringError> {
        Entry::new(&self.service, camera_id).map_err(|e| KeyringError(describe(&e)))
    }

    /// Whether the keyring answers: a read of an entry nobody writes must come back
    /// as "no entry" (or a value), not as an error.
    pub fn probe(&self) -> Result<(), KeyringError> {
        if let Err(e) = Entry::store_status() {
            return Err(KeyringError(describe(e)));
        }
        self.get(" vigil-probe").map(|_| ())
    }

    /// A camera's password; `None` when there is no entry.
    pub fn get(&self, camera_id: &str) -> Result<Option<String>, KeyringError> {
        match self.entry(camera_id)?.get_password() {
            Ok(p) => Ok(Some(p)),
            Err(Error::NoEntry) => Ok(None),
            Err(e) => Err(KeyringError(describe(&e))),
        }
    }

    /// Stores (or replaces) a camera's password.
    pub fn set(&self, camera_id: &str, password: &str) -> Result<(), KeyringError> {
        self.entry(camera_id)?
            .set_password(password)
            .map_err(|e| KeyringError(describe(&e)))
    }

    /// Deletes a camera's password; false when there was none.
    pub fn delete(&self, camera_id: &str) -> Result<bool, KeyringError> {
        match self.entry(camera_id)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(Error::NoEntry) => Ok(false),
            Err(e) => Err(KeyringError(describe(&e))),
        }
    }
}
