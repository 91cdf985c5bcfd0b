//! Moving legacy plain-text passwords out of `credentials.toml` into the configured
//! store (OS keyring or vault).
//!
//! Owns: [`migrate`]: store each password, read it back, and only then rewrite
//! `credentials.toml` atomically without them (user names stay). Idempotent: a second
//! run finds nothing to move and writes nothing. Must not: remove a password from the
//! file that is not verified in the store, keep a plain-text backup, or change the
//! password a camera actually uses.

use vigil_config::CredentialStore;

use crate::store::{PasswordStore, SecretsError};

/// What [`migrate`] did. Camera ids only, never passwords.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// Passwords stored in the store, verified, and removed from the file.
    pub moved: Vec<String>,
    /// Cameras whose store already had a password: that one is what the camera used
    /// (the store comes before the file), so it was kept and the file's copy removed.
    pub already_in_store: Vec<String>,
    /// Whether `credentials.toml` was rewritten.
    pub file_rewritten: bool,
}

/// Moves every password still in `credentials` (the loaded `credentials.toml`) into
/// `store`, verifies each reads back, then rewrites the file without them. On an error
/// the file is untouched (passwords already copied into the store are harmless: a rerun
/// stores them again).
pub fn migrate(
    credentials: &mut CredentialStore,
    store: &mut PasswordStore,
) -> Result<MigrationReport, SecretsError> {
    let pending: Vec<(String, String)> = credentials
        .cameras_with_file_password()
        .filter_map(|id| {
            credentials
                .file_password(id)
                .map(|pw| (id.to_owned(), pw.to_owned()))
        })
        .collect();
    let mut report = MigrationReport::default();
    if pending.is_empty() {
        return Ok(report);
    }
    if matches!(store, PasswordStore::File) {
        return Err(SecretsError::FileStoreIsReadOnly);
    }
    let mut to_store = Vec::new();
    for (id, pw) in &pending {
        if store.get(id)?.is_some() {
            report.already_in_store.push(id.clone());
        } else {
            to_store.push((id.as_str(), pw.as_str()));
        }
    }
    // Writes and reads back each one; any failure returns before the file is touched.
    if !to_store.is_empty() {
        store.set_many(&to_store)?;
    }
    for (id, _) in &to_store {
        if store.get(id)?.is_none() {
            return Err(SecretsError::ReadBackMismatch {
                camera: (*id).to_owned(),
                store: store.name(),
            });
        }
        report.moved.push((*id).to_owned());
    }
    for (id, _) in &pending {
        credentials.forget_file_password(id);
        tracing::info!(camera = %id, store = store.name(), "password moved out of credentials.toml");
    }
    credentials.save()?;
    report.file_rewritten = true;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::Vault;
    use crate::vault_path;
    use vigil_config::redact::Credentials;

    const NASTY: &str = "p@ss:w/rd%#?\" ü ñ 密码";

    #[test]
    fn migrate_into_the_vault_moves_verifies_and_is_idempotent() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let file = tmp.path().join("credentials.toml");
        let mut creds = CredentialStore::new(&file);
        creds.set(
            "lobby",
            Credentials {
                username: "admin".into(),
                password: NASTY.into(),
            },
        );
        creds.set(
            "yard",
            Credentials {
                username: String::new(),
                password: "yard-pw".into(),
            },
        );
        creds.set(
            "gate",
            Credentials {
                username: "g".into(),
                password: "gate-old".into(),
            },
        );
        creds.save().expect("save");
        let vpath = vault_path(&file);
        let mut v = Vault::open_or_create(&vpath, "pp").expect("vault");
        v.set("gate", "gate-new");
        v.save().expect("save");

        let mut store = PasswordStore::Vault(Vault::open(&vpath, "pp").expect("open"));
        let mut creds = CredentialStore::load(&file).expect("load");
        let report = migrate(&mut creds, &mut store).expect("migrate");
        assert_eq!(report.moved, ["lobby", "yard"]);
        assert_eq!(report.already_in_store, ["gate"]);
        assert!(report.file_rewritten);

        let text = std::fs::read_to_string(&file).expect("read");
        for secret in ["p@ss", "yard-pw", "gate-old", "gate-new", "password"] {
            assert!(!text.contains(secret), "{secret} left in {text}");
        }
        assert!(
            text.contains("admin") && !text.contains("[cameras.yard]"),
            "{text}"
        );
        let v = Vault::open(&vpath, "pp").expect("open");
        assert_eq!(v.get("lobby"), Some(NASTY));
        assert_eq!(v.get("yard"), Some("yard-pw"));
        assert_eq!(v.get("gate"), Some("gate-new"), "the used password is kept");

        let before = std::fs::metadata(&file)
            .expect("meta")
            .modified()
            .expect("mtime");
        let mut creds = CredentialStore::load(&file).expect("load");
        let again = migrate(&mut creds, &mut store).expect("again");
        assert_eq!(again, MigrationReport::default());
        let after = std::fs::metadata(&file)
            .expect("meta")
            .modified()
            .expect("mtime");
        assert_eq!(before, after, "nothing rewritten the second time");
    }

    #[test]
    fn a_store_failure_leaves_the_file_untouched() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let file = tmp.path().join("credentials.toml");
        let mut creds = CredentialStore::new(&file);
        creds.set(
            "lobby",
            Credentials {
                username: "admin".into(),
                password: NASTY.into(),
            },
        );
        creds.save().expect("save");
        let original = std::fs::read(&file).expect("read");
        // The vault lives in a directory that cannot be written: the vault save fails.
        let ro = tmp.path().join("ro");
        std::fs::create_dir(&ro).expect("mkdir");
        let vault = Vault::open_or_create(&ro.join("credentials.vault"), "pp").expect("vault");
        std::fs::remove_dir(&ro).expect("rmdir");
        std::fs::write(&ro, b"not a directory").expect("block");
        let mut store = PasswordStore::Vault(vault);
        let mut creds = CredentialStore::load(&file).expect("load");
        migrate(&mut creds, &mut store).expect_err("store fails");
        assert_eq!(std::fs::read(&file).expect("read"), original);
        let mut creds = CredentialStore::load(&file).expect("load");
        assert!(matches!(
            migrate(&mut creds, &mut PasswordStore::File),
            Err(SecretsError::FileStoreIsReadOnly)
        ));
        assert_eq!(std::fs::read(&file).expect("read"), original);
    }
}
