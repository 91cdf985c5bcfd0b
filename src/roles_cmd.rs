//! `vigil roles set-password --role ROLE`: stores a role's Argon2id hash in the site
//! file's `[roles]` (docs/roles.md). The password comes from `VIGIL_ROLE_PASSWORD` or a
//! prompt (typed twice, not echoed), never from the command line.
//!
//! Owns: reading the password and saving the site. Must not: print, log or keep the
//! password.

use std::path::Path;

use anyhow::Context as _;

use vigil_config::{Role, load_site, save_site_atomic};

/// The variable the password may come from (scripts, tests).
pub const PASSWORD_ENV: &str = "VIGIL_ROLE_PASSWORD";

/// Who operates the app, for the toolbar and the audit trail: `USER`/`LOGNAME`, else
/// the account of the process's user id, else "unknown".
pub fn operator_name() -> String {
    let from_env = vigil_core::roles::os_user();
    if from_env != "unknown" {
        return from_env;
    }
    nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map_or(from_env, |user| user.name)
}

/// Sets `role`'s password in the site file at `site_path`.
pub fn set_password(site_path: &Path, role: Role) -> anyhow::Result<()> {
    if role == Role::Guard {
        anyhow::bail!("{}", vigil_config::RoleError::GuardHasNoPassword);
    }
    let mut site = load_site(site_path)
        .with_context(|| format!("cannot load the site file {}", site_path.display()))?;
    let password = match std::env::var(PASSWORD_ENV) {
        Ok(password) => password,
        Err(_) => prompt_twice(role)?,
    };
    site.roles.set_password(role, &password)?;
    save_site_atomic(site_path, &site)
        .with_context(|| format!("cannot save the site file {}", site_path.display()))?;
    println!(
        "{} password set in {} (stored as an Argon2id hash)",
        role.label(),
        site_path.display()
    );
    Ok(())
}

fn prompt_twice(role: Role) -> anyhow::Result<String> {
    let first = prompt(&format!("New {} password: ", role.label()))?;
    if !nix::unistd::isatty(std::io::stdin()).unwrap_or(false) {
        return Ok(first);
    }
    let again = prompt(&format!("The {} password again: ", role.label()))?;
    if first != again {
        anyhow::bail!("the two passwords differ: nothing changed");
    }
    Ok(first)
}

/// Reads one line from stdin; on a terminal without echo.
fn prompt(text: &str) -> anyhow::Result<String> {
    crate::prompt::hidden_or_piped(text, "pipe the password into standard input")
}
