//! `vigil credentials migrate`, and the camera passwords of a run (window or headless
//! command) read from the configured store.
//!
//! Owns: finding the configured store (`[credentials] store` of the site file, see
//! docs/credentials.md), the vault passphrase (from `VIGIL_VAULT_PASSPHRASE`, else a
//! prompt on the terminal without echo; never a flag), the migration's report, and
//! [`run_credentials`]. Must not: print, log or put into an error any password or the
//! passphrase.

use std::io::IsTerminal as _;
use std::path::Path;

use anyhow::Context as _;
use vigil_config::{AppPaths, CredentialStore, PasswordStoreKind, Site};
use vigil_secrets::{
    KeyringStore, PasswordStore, VAULT_PASSPHRASE_ENV, fill_credentials, migrate, open_store,
    vault_path,
};

/// The store the site file at `site_file` asks for (`auto` when it is missing or does
/// not load: `vigil check-config` reports that).
pub fn configured_store(site_file: &Path) -> PasswordStoreKind {
    if !site_file.exists() {
        return PasswordStoreKind::Auto;
    }
    vigil_config::load_site(site_file).map_or(PasswordStoreKind::Auto, |s| s.password_store())
}

/// The vault passphrase from the environment, if set and not empty.
pub fn passphrase_from_env() -> Option<String> {
    std::env::var(VAULT_PASSPHRASE_ENV)
        .ok()
        .filter(|p| !p.is_empty())
}

/// Reads a line from the terminal with echo off; `None` without a terminal or for an
/// empty line.
fn prompt_hidden(prompt: &str) -> Option<String> {
    let hint = format!("set {VAULT_PASSPHRASE_ENV}");
    match crate::prompt::hidden(prompt, &hint) {
        Ok(line) => (!line.is_empty()).then_some(line),
        Err(e) => {
            eprintln!("{e:#}");
            None
        }
    }
}

/// The vault passphrase: `VIGIL_VAULT_PASSPHRASE`, else asked on the terminal (twice
/// for a new vault).
fn passphrase_for(vault: &Path) -> Option<String> {
    if let Some(p) = passphrase_from_env() {
        return Some(p);
    }
    if !std::io::stdin().is_terminal() {
        return None;
    }
    let first = prompt_hidden(&format!("Passphrase of {}: ", vault.display()))?;
    if vault.exists() {
        return Some(first);
    }
    let again = prompt_hidden("The same passphrase again (a new vault): ")?;
    if again == first {
        Some(first)
    } else {
        eprintln!("vigil: the two passphrases differ");
        None
    }
}

/// `vigil credentials migrate`: moves every password of `credentials.toml` into the
/// configured store (or `to`), verified, then rewrites the file without them.
pub fn migrate_cmd(
    paths: &AppPaths,
    site_file: Option<&Path>,
    to: Option<PasswordStoreKind>,
) -> anyhow::Result<()> {
    let file = paths.credentials_file();
    let site_file = site_file.unwrap_or(&paths.default_site_file);
    let kind = match to {
        Some(kind) => kind,
        None if site_file.exists() => vigil_config::load_site(site_file)
            .map(|s| s.password_store())
            .context("the site file says where passwords go, and it does not load (or use --to)")?,
        None => PasswordStoreKind::Auto,
    };
    let mut creds = CredentialStore::load(&file)?;
    let pending = creds.cameras_with_file_password().count();
    if pending == 0 {
        println!("Nothing to move: {} holds no passwords.", file.display());
        return Ok(());
    }
    if kind == PasswordStoreKind::File {
        anyhow::bail!(
            "the password store is \"file\": choose where the passwords go with --to keyring \
             or --to vault, or set [credentials] store in {}",
            site_file.display()
        );
    }
    let vault = vault_path(&file);
    let mut opened = open_store(kind, &file, KeyringStore::default(), || {
        passphrase_for(&vault)
    })
    .context("cannot open the password store")?;
    if let Some(why) = &opened.keyring_unavailable {
        println!("The OS keyring is not available ({why}); using the vault.");
    }
    let report = migrate(&mut creds, &mut opened.store)?;
    let into = match &opened.store {
        PasswordStore::Vault(v) => format!("the vault {}", v.path().display()),
        other => format!("the {}", other.name()),
    };
    println!(
        "Moved {} password(s) into {into}: {}.",
        report.moved.len(),
        if report.moved.is_empty() {
            "none".to_owned()
        } else {
            report.moved.join(", ")
        }
    );
    if !report.already_in_store.is_empty() {
        println!(
            "Already in the store, kept (the file's older copy was removed): {}.",
            report.already_in_store.join(", ")
        );
    }
    println!(
        "{} now holds user names only; no copy with passwords was kept.",
        file.display()
    );
    Ok(())
}

/// The credentials of a run: `credentials.toml` (user names, legacy passwords) with
/// the configured store's passwords of `site`'s cameras (and `extra_ids`) filled in.
/// The store never prompts here: a vault needs `VIGIL_VAULT_PASSPHRASE`. A store that
/// cannot be opened is logged and the run goes on with the file and the environment.
pub fn run_credentials(
    paths: &AppPaths,
    site: Option<&Site>,
    extra_ids: &[&str],
) -> Result<CredentialStore, vigil_config::ConfigError> {
    let file = paths.credentials_file();
    let mut creds = CredentialStore::load(&file)?;
    let kind = site.map_or(PasswordStoreKind::Auto, Site::password_store);
    let ids: Vec<&str> = site
        .into_iter()
        .flat_map(|s| s.cameras.iter().map(|c| c.id.as_str()))
        .chain(extra_ids.iter().copied())
        .collect();
    if ids.is_empty() || kind == PasswordStoreKind::File {
        return Ok(creds);
    }
    let vault = vault_path(&file);
    let passphrase = || passphrase_from_env();
    // `auto` without a keyring and without a vault file: nothing to read, no warning.
    let quiet_auto = kind == PasswordStoreKind::Auto && !vault.exists();
    match open_store(kind, &file, KeyringStore::default(), passphrase) {
        Ok(opened) => {
            for (camera, err) in fill_credentials(&mut creds, &opened.store, ids) {
                tracing::warn!(%camera, %err, "password not read from the {}", opened.store.name());
            }
        }
        Err(err) if quiet_auto => {
            tracing::debug!(%err, "no OS keyring and no vault: passwords from credentials.toml and the environment only");
        }
        Err(err) => {
            tracing::error!(%err, "camera passwords not read from the configured store; cameras that need one will fail");
        }
    }
    Ok(creds)
}
