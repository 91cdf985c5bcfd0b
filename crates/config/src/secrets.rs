//! The camera credential store, kept apart from the site file.
//!
//! Owns: `<config_dir>/credentials.toml` (mode 0600), mapping camera id → user name and
//! (legacy) password, the passwords the configured store (OS keyring or vault, crate
//! `vigil-secrets`) supplied for this run, and the `VIGIL_CAMERA_<ID>_PASSWORD`
//! environment override for headless use. A password is looked up in that order:
//! environment, configured store, then the legacy password in this file.
//! Must not: log, display or put into an error any password, read a file that other
//! users can access, or write a password that came from the configured store.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::{ConfigError, LineCol};
use super::load::text_from_bytes;
use super::site::CameraConfig;
use super::write::write_atomic;
use crate::redact::{Credentials, redact};

/// Mode of the credentials file.
pub const CREDENTIALS_FILE_MODE: u32 = 0o600;
/// Credentials files larger than this are rejected unread.
pub const MAX_CREDENTIALS_FILE_BYTES: u64 = 1024 * 1024;

const HEADER: &str = "# Vigil camera credentials. Keep this file private: chmod 600.\n\n";

#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialsFile {
    #[serde(default)]
    cameras: BTreeMap<String, FileEntry>,
}

/// One `[cameras.<id>]` table. Since the keyring and vault, `password` is optional: a
/// migrated file keeps only the user names.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEntry {
    #[serde(default)]
    username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    password: Option<String>,
}

/// Camera credentials: user names (and legacy passwords) from the credentials file,
/// plus the passwords the configured store supplied for this run.
///
/// Only the file's own entries are ever saved; passwords given with
/// [`Self::set_store_password`] stay in memory. `Debug` shows camera ids and user names
/// only.
#[derive(Clone)]
pub struct CredentialStore {
    path: PathBuf,
    entries: BTreeMap<String, FileEntry>,
    from_store: BTreeMap<String, String>,
}

impl std::fmt::Debug for CredentialStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let users: BTreeMap<&str, &str> = self
            .entries
            .iter()
            .map(|(id, e)| (id.as_str(), e.username.as_str()))
            .collect();
        f.debug_struct("CredentialStore")
            .field("path", &self.path)
            .field("users", &users)
            .field("from_store", &self.from_store.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Name of the environment variable that overrides a camera's password:
/// `VIGIL_CAMERA_<ID>_PASSWORD`, id uppercased with `-` → `_`.
pub fn password_env_var(camera_id: &str) -> String {
    let id: String = camera_id
        .chars()
        .map(|c| {
            if c == '-' {
                '_'
            } else {
                c.to_ascii_uppercase()
            }
        })
        .collect();
    format!("VIGIL_CAMERA_{id}_PASSWORD")
}

impl CredentialStore {
    /// An empty store that will be saved to `path`.
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            entries: BTreeMap::new(),
            from_store: BTreeMap::new(),
        }
    }

    /// Loads the store; a missing file is an empty store. Refuses a file that group or
    /// others can access ([`ConfigError::InsecurePermissions`]).
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let read_err = |source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        };
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::new(path)),
            Err(e) => return Err(read_err(e)),
        };
        let meta = file.metadata().map_err(read_err)?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(ConfigError::InsecurePermissions {
                path: path.to_path_buf(),
                mode,
            });
        }
        let mut bytes = Vec::new();
        file.take(MAX_CREDENTIALS_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(read_err)?;
        if bytes.len() as u64 > MAX_CREDENTIALS_FILE_BYTES {
            return Err(ConfigError::TooLarge {
                path: path.to_path_buf(),
                limit: MAX_CREDENTIALS_FILE_BYTES,
            });
        }
        let text = text_from_bytes(path, &bytes)?;
        let parsed: CredentialsFile = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: path.to_path_buf(),
            location: e.span().map(|s| LineCol::from_offset(text, s.start)),
            message: secret_safe_message(e.message()),
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            entries: parsed.cameras,
            from_store: BTreeMap::new(),
        })
    }

    /// The file this store saves to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Credentials for a camera, with the `VIGIL_CAMERA_<ID>_PASSWORD` override applied.
    pub fn get(&self, camera_id: &str) -> Option<Credentials> {
        self.get_with_env(camera_id, |name| std::env::var_os(name))
    }

    /// [`Self::get`] with `env` standing in for the process environment (tests).
    pub fn get_with_env(
        &self,
        camera_id: &str,
        env: impl Fn(&str) -> Option<OsString>,
    ) -> Option<Credentials> {
        let entry = self.entries.get(camera_id);
        let store_password = self.from_store.get(camera_id);
        let stored = match (entry, store_password) {
            (None, None) => None,
            (entry, store_password) => Some(Credentials {
                username: entry.map(|e| e.username.clone()).unwrap_or_default(),
                password: store_password
                    .or_else(|| entry.and_then(|e| e.password.as_ref()))
                    .cloned()
                    .unwrap_or_default(),
            }),
        };
        let var = password_env_var(camera_id);
        let Some(value) = env(&var) else {
            return stored;
        };
        let Ok(password) = value.into_string() else {
            tracing::warn!(camera = camera_id, "{var} is not valid UTF-8; ignoring it");
            return stored;
        };
        let mut creds = stored.unwrap_or_default();
        creds.password = password;
        Some(creds)
    }

    /// Credentials for a camera of the site: the store's (or environment's) password,
    /// and its user name, falling back to the camera's `username` from the site file.
    pub fn for_camera(&self, camera: &CameraConfig) -> Option<Credentials> {
        let site_user = camera.username.clone().filter(|u| !u.is_empty());
        match self.get(&camera.id) {
            Some(mut c) => {
                if c.username.is_empty() {
                    c.username = site_user.unwrap_or_default();
                }
                Some(c)
            }
            None => site_user.map(|username| Credentials {
                username,
                password: String::new(),
            }),
        }
    }

    /// Sets (or replaces) a camera's credentials in the file (a legacy, plain-text
    /// password); call [`Self::save`] to persist. New passwords belong in the keyring or
    /// vault: see `vigil_secrets`, which calls [`Self::set_username`] instead.
    pub fn set(&mut self, camera_id: &str, creds: Credentials) {
        self.entries.insert(
            camera_id.to_string(),
            FileEntry {
                username: creds.username,
                password: Some(creds.password),
            },
        );
    }

    /// Sets a camera's user name in the file, keeping its legacy password if any.
    pub fn set_username(&mut self, camera_id: &str, username: &str) {
        self.entries
            .entry(camera_id.to_string())
            .or_default()
            .username = username.to_owned();
    }

    /// Removes a camera's credentials from the file (and this run's store password),
    /// returning what the file had.
    pub fn remove(&mut self, camera_id: &str) -> Option<Credentials> {
        self.from_store.remove(camera_id);
        self.entries.remove(camera_id).map(|e| Credentials {
            username: e.username,
            password: e.password.unwrap_or_default(),
        })
    }

    /// Ids of cameras with an entry in the file or a password from the store, sorted.
    pub fn camera_ids(&self) -> impl Iterator<Item = &str> {
        let mut ids: Vec<&str> = self
            .entries
            .keys()
            .chain(self.from_store.keys())
            .map(String::as_str)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.into_iter()
    }

    /// The legacy plain-text password the file holds for a camera.
    pub fn file_password(&self, camera_id: &str) -> Option<&str> {
        self.entries
            .get(camera_id)
            .and_then(|e| e.password.as_deref())
    }

    /// Ids of cameras whose password is still in the file, sorted.
    pub fn cameras_with_file_password(&self) -> impl Iterator<Item = &str> {
        self.entries
            .iter()
            .filter(|(_, e)| e.password.is_some())
            .map(|(id, _)| id.as_str())
    }

    /// Drops a camera's legacy password from the file (in memory; [`Self::save`]
    /// writes it), keeping its user name; an entry left with nothing is removed.
    /// Returns whether there was a password.
    pub fn forget_file_password(&mut self, camera_id: &str) -> bool {
        let Some(entry) = self.entries.get_mut(camera_id) else {
            return false;
        };
        let had = entry.password.take().is_some();
        if entry.username.is_empty() {
            self.entries.remove(camera_id);
        }
        had
    }

    /// Gives a camera's password as read from the configured store (keyring or
    /// vault) for this run: it takes precedence over the file's and is never saved.
    pub fn set_store_password(&mut self, camera_id: &str, password: String) {
        self.from_store.insert(camera_id.to_string(), password);
    }

    /// Writes the store atomically with mode 0600.
    pub fn save(&self) -> Result<(), ConfigError> {
        let file = CredentialsFile {
            cameras: self.entries.clone(),
        };
        // The file's own entries only: `from_store` never reaches the disk.
        let body = toml::to_string_pretty(&file).map_err(|_| ConfigError::Serialize {
            message: "credentials could not be serialized".into(),
        })?;
        write_atomic(
            &self.path,
            format!("{HEADER}{body}").as_bytes(),
            CREDENTIALS_FILE_MODE,
        )
    }
}

/// A toml error message that cannot contain a value from the file: serde's
/// "invalid type/value" messages quote the offending value, which may be a password.
fn secret_safe_message(message: &str) -> String {
    let message = message.trim_end();
    if message.contains("invalid type")
        || message.contains("invalid value")
        || message.contains('"')
    {
        "wrong type or value (not shown, because this file holds passwords); each \
         [cameras.<id>] needs username = \"...\" and password = \"...\""
            .to_string()
    } else {
        redact(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    const NASTY: &str = "p@ss:w/rd%#?ü \"q\"";

    fn creds(user: &str, pass: &str) -> Credentials {
        Credentials {
            username: user.into(),
            password: pass.into(),
        }
    }

    fn no_env(_: &str) -> Option<OsString> {
        None
    }

    #[test]
    fn save_load_round_trip_with_mode_0600() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("cfg/credentials.toml");
        let mut store = CredentialStore::load(&path).expect("missing file is empty");
        assert_eq!(store.camera_ids().count(), 0);
        store.set("lobby", creds("admin", NASTY));
        store.set("loading-dock", creds("", "pw2"));
        store.save().expect("save");
        assert_eq!(
            fs::metadata(&path).expect("meta").permissions().mode() & 0o777,
            0o600
        );
        let loaded = CredentialStore::load(&path).expect("load");
        assert_eq!(
            loaded.get_with_env("lobby", no_env),
            Some(creds("admin", NASTY))
        );
        assert_eq!(
            loaded.get_with_env("loading-dock", no_env),
            Some(creds("", "pw2"))
        );
        assert_eq!(
            loaded.camera_ids().collect::<Vec<_>>(),
            ["loading-dock", "lobby"]
        );
        let mut loaded = loaded;
        assert_eq!(loaded.remove("lobby"), Some(creds("admin", NASTY)));
        assert_eq!(loaded.get_with_env("lobby", no_env), None);
        assert_eq!(
            fs::read_dir(path.parent().expect("dir"))
                .expect("ls")
                .count(),
            1
        );
    }

    #[test]
    fn refuses_group_or_world_accessible_file() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("credentials.toml");
        fs::write(
            &path,
            "[cameras.lobby]\nusername = \"a\"\npassword = \"hunter2\"\n",
        )
        .expect("write");
        for mode in [0o644, 0o640, 0o604, 0o660, 0o602] {
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).expect("chmod");
            let err = CredentialStore::load(&path).expect_err("insecure");
            let msg = err.to_string();
            assert!(
                matches!(err, ConfigError::InsecurePermissions { .. }),
                "{msg}"
            );
            assert!(msg.contains("chmod 600"), "{msg}");
            assert!(!msg.contains("hunter2"));
        }
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
        let store = CredentialStore::load(&path).expect("0600 is fine");
        assert_eq!(
            store.get_with_env("lobby", no_env),
            Some(creds("a", "hunter2"))
        );
    }

    #[test]
    fn env_override() {
        assert_eq!(
            password_env_var("loading-dock"),
            "VIGIL_CAMERA_LOADING_DOCK_PASSWORD"
        );
        assert_eq!(password_env_var("Cam_1"), "VIGIL_CAMERA_CAM_1_PASSWORD");
        let mut store = CredentialStore::new(Path::new("/nonexistent/credentials.toml"));
        store.set("lobby", creds("admin", "stored"));
        let env = |name: &str| match name {
            "VIGIL_CAMERA_LOBBY_PASSWORD" => Some(OsString::from("from-env")),
            "VIGIL_CAMERA_LOADING_DOCK_PASSWORD" => Some(OsString::from("dock")),
            _ => None,
        };
        assert_eq!(
            store.get_with_env("lobby", env),
            Some(creds("admin", "from-env"))
        );
        assert_eq!(
            store.get_with_env("loading-dock", env),
            Some(creds("", "dock"))
        );
        assert_eq!(store.get_with_env("yard", env), None);
    }

    #[test]
    fn for_camera_fills_username_from_site() {
        let mut store = CredentialStore::new(Path::new("/nonexistent/c.toml"));
        let mut cam = CameraConfig {
            username: Some("site-user".into()),
            ..CameraConfig::new("cam-without-env-override-test", "x", "rtsp://h/s")
        };
        assert_eq!(store.for_camera(&cam), Some(creds("site-user", "")));
        store.set(&cam.id, creds("", "pw"));
        assert_eq!(store.for_camera(&cam), Some(creds("site-user", "pw")));
        store.set(&cam.id, creds("store-user", "pw"));
        assert_eq!(store.for_camera(&cam), Some(creds("store-user", "pw")));
        cam.username = None;
        store.remove(&cam.id);
        assert_eq!(store.for_camera(&cam), None);
    }

    #[test]
    fn parse_errors_do_not_leak_passwords() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("credentials.toml");
        let cases = [
            "[cameras.lobby]\nusername = \"a\"\npassword = 918273645\n",
            "[cameras.lobby]\nusername = \"a\"\npassword = [\"918273645\"]\n",
            "[cameras.lobby]\nusername = \"a\"\npasword = \"918273645\"\n",
            "[cameras.lobby]\nusername = \"a\"\npassword = \"918273645\n",
            "[cameras.lobby]\nusername = \"a\"\npassword = 918273645x\n",
            "cameras = \"918273645\"\n",
        ];
        for text in cases {
            fs::write(&path, text).expect("write");
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
            let err = CredentialStore::load(&path).expect_err(text);
            let msg = format!("{err} {err:?}");
            assert!(
                msg.contains("credentials.toml:3:") || msg.contains("credentials.toml:1:"),
                "{msg}"
            );
            assert!(!msg.contains("918273645"), "leaked: {msg}");
        }
    }

    #[test]
    fn debug_hides_passwords() {
        let mut store = CredentialStore::new(Path::new("/x"));
        store.set("lobby", creds("admin", "hunter2"));
        store.set_store_password("yard", "swordfish".into());
        let dbg = format!("{store:?}");
        assert!(!dbg.contains("swordfish"), "{dbg}");
        assert!(
            dbg.contains("lobby") && dbg.contains("admin") && !dbg.contains("hunter2"),
            "{dbg}"
        );
    }

    #[test]
    fn store_passwords_win_over_the_file_and_are_never_saved() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("credentials.toml");
        let mut store = CredentialStore::new(&path);
        store.set("lobby", creds("admin", "legacy"));
        store.set_username("yard", "guard");
        store.set_store_password("lobby", "from-keyring".into());
        store.set_store_password("yard", NASTY.into());
        store.set_store_password("gate", "gate-pw".into());
        assert_eq!(
            store.get_with_env("lobby", no_env),
            Some(creds("admin", "from-keyring"))
        );
        assert_eq!(
            store.get_with_env("yard", no_env),
            Some(creds("guard", NASTY))
        );
        assert_eq!(
            store.get_with_env("gate", no_env),
            Some(creds("", "gate-pw"))
        );
        let env = |name: &str| {
            (name == "VIGIL_CAMERA_LOBBY_PASSWORD").then(|| OsString::from("from-env"))
        };
        assert_eq!(
            store.get_with_env("lobby", env),
            Some(creds("admin", "from-env"))
        );
        assert_eq!(
            store.camera_ids().collect::<Vec<_>>(),
            ["gate", "lobby", "yard"]
        );
        store.save().expect("save");
        let text = fs::read_to_string(&path).expect("read");
        for secret in ["from-keyring", "gate-pw", "p@ss"] {
            assert!(!text.contains(secret), "{secret} saved: {text}");
        }
        assert!(
            text.contains("legacy"),
            "the legacy password stays until migrated"
        );
        let mut loaded = CredentialStore::load(&path).expect("load");
        assert_eq!(
            loaded.cameras_with_file_password().collect::<Vec<_>>(),
            ["lobby"]
        );
        assert_eq!(
            loaded.get_with_env("yard", no_env),
            Some(creds("guard", ""))
        );
        assert!(loaded.forget_file_password("lobby"));
        assert!(!loaded.forget_file_password("lobby"));
        loaded.save().expect("save");
        let text = fs::read_to_string(&path).expect("read");
        assert!(!text.contains("legacy") && text.contains("admin"), "{text}");
    }
}
