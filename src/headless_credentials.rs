//! Camera credentials for the headless commands (`archive record`, `bench live`).
//!
//! Owns: turning a command's `--input` and camera id into a source and its login. The
//! password comes from `VIGIL_CAMERA_<ID>_PASSWORD`, else the configured store (OS
//! keyring or vault, as for the app), else a legacy one in `credentials.toml`; a user
//! name may also be written in the URL. A
//! password written in the URL is refused with advice, because every user of the
//! machine can read a command line (`ps`, `/proc`) and shells keep it in their history.
//! Must not: put a password into an error, a log line or the output.

use vigil_config::redact::{Credentials, SourceSpec, parse_source_with_credentials};
use vigil_config::{AppPaths, CredentialStore, password_env_var};

/// Parses `input` and finds its credentials. `option` names the argument in messages
/// (`--input`); `camera_id` picks the store's entry and the environment variable;
/// `store` loads the credential store (only for network sources).
pub fn resolve(
    input: &str,
    option: &str,
    camera_id: &str,
    store: impl FnOnce() -> anyhow::Result<CredentialStore>,
) -> anyhow::Result<(SourceSpec, Option<Credentials>)> {
    let (source, in_url) =
        parse_source_with_credentials(input).map_err(|e| anyhow::anyhow!("{option}: {e}"))?;
    if in_url.as_ref().is_some_and(|c| !c.password.is_empty()) {
        let var = password_env_var(camera_id);
        let file = AppPaths::from_env().map_or_else(
            |_| "credentials.toml in the config directory".to_owned(),
            |p| p.credentials_file().display().to_string(),
        );
        anyhow::bail!(
            "{option} holds a password, and a command line can be read by every user of this \
             machine (ps, /proc) and stays in shell histories. Remove it from the URL (a user \
             name may stay) and give it in the environment, {var}=..., or in {file} \
             (chmod 600):\n  [cameras.{camera_id}]\n  username = \"...\"\n  password = \"...\"\nthen \
             `vigil credentials migrate` moves it into the OS keyring (docs/credentials.md)"
        );
    }
    if !matches!(source, SourceSpec::Network(_)) {
        return Ok((source, None));
    }
    let url_user = in_url.map(|c| c.username).filter(|u| !u.is_empty());
    let stored = store()?.get(camera_id);
    let credentials = match (stored, url_user) {
        (Some(mut c), Some(user)) if c.username.is_empty() => {
            c.username = user;
            Some(c)
        }
        (Some(c), _) => Some(c),
        (None, Some(username)) => Some(Credentials {
            username,
            password: String::new(),
        }),
        (None, None) => None,
    };
    Ok((source, credentials))
}

/// Loads the credential store from the config directory (`VIGIL_CONFIG_DIR` or the
/// default) with `camera_id`'s password from the store the default site file
/// configures; a missing file is an empty store, a file others can read an error.
pub fn default_store(camera_id: &str) -> anyhow::Result<CredentialStore> {
    let paths = AppPaths::from_env()?;
    let site = vigil_config::load_site(&paths.default_site_file).ok();
    Ok(crate::credentials_cmd::run_credentials(
        &paths,
        site.as_ref(),
        &[camera_id],
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn empty() -> anyhow::Result<CredentialStore> {
        Ok(CredentialStore::new(Path::new(
            "/nonexistent/credentials.toml",
        )))
    }

    #[test]
    fn a_user_name_in_the_url_is_kept_and_files_need_no_store() {
        let (_, creds) = resolve(
            "rtsp://viewer@cam/s",
            "--input",
            "no-such-camera-xyz",
            empty,
        )
        .expect("ok");
        assert_eq!(creds.map(|c| c.username).as_deref(), Some("viewer"));
        let (source, creds) = resolve("/srv/clip.mp4", "--input", "cam1", || {
            anyhow::bail!("the store is not read for files")
        })
        .expect("ok");
        assert!(matches!(source, SourceSpec::File(_)) && creds.is_none());
    }

    #[test]
    fn store_entries_are_used_and_passwords_in_urls_refused() {
        let mut store = CredentialStore::new(Path::new("/nonexistent/credentials.toml"));
        store.set(
            "gate-cam-test-only",
            Credentials {
                username: String::new(),
                password: "from-store".into(),
            },
        );
        let (_, creds) = resolve(
            "rtsp://admin@cam/s",
            "--input",
            "gate-cam-test-only",
            || Ok(store.clone()),
        )
        .expect("ok");
        let creds = creds.expect("credentials");
        assert_eq!(
            (creds.username.as_str(), creds.password.as_str()),
            ("admin", "from-store")
        );
        let err = resolve("rtsp://admin:hunter2@cam/s", "--input", "gate", empty)
            .expect_err("refused")
            .to_string();
        assert!(
            err.contains("VIGIL_CAMERA_GATE_PASSWORD") && !err.contains("hunter2"),
            "{err}"
        );
    }
}
