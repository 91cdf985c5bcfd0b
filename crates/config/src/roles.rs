//! Operator roles and their passwords: [`Role`] (Guard < Reviewer < Installer) and the
//! site file's `[roles]` table ([`RolesConfig`]), which holds each role's password as an
//! Argon2id PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), never the password.
//!
//! Owns: hashing a role password and checking one against the site's hashes. Must not:
//! keep, log or return a password; decide what a role may do (`vigil-core` does).
//!
//! Rules (docs/roles.md): Guard never needs a password. A role is reached with its own
//! password or the password of any role above it (an installer can always step in as a
//! reviewer). With no role password at all the site is in explicit single-user mode.

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _, phc::PasswordHash};
use serde::{Deserialize, Serialize};

/// What an operator may do; ordered, each role may do everything below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Role {
    /// Watches the live wall and acknowledges alarms.
    Guard,
    /// Also plays recordings back, bookmarks and exports evidence.
    Reviewer,
    /// Also changes the configuration: cameras, recording, rules.
    Installer,
}

impl Role {
    /// Every role, lowest first.
    pub const ALL: [Role; 3] = [Role::Guard, Role::Reviewer, Role::Installer];

    /// The name in the site file, the audit trail and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Guard => "guard",
            Role::Reviewer => "reviewer",
            Role::Installer => "installer",
        }
    }

    /// The name for a person.
    pub fn label(self) -> &'static str {
        match self {
            Role::Guard => "Guard",
            Role::Reviewer => "Reviewer",
            Role::Installer => "Installer",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// Why a role switch or a password change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoleError {
    #[error("wrong password for {0}")]
    WrongPassword(Role),
    #[error(
        "no password is set for {0} or any role above it: an installer sets one with `vigil roles set-password --role {role}`",
        role = .0.as_str()
    )]
    NoPassword(Role),
    #[error("Guard has no password: it is the role Vigil starts in")]
    GuardHasNoPassword,
    #[error("the password is empty")]
    EmptyPassword,
    #[error("the site's {0} password hash is not an Argon2id PHC string: set it again")]
    BadHash(Role),
    #[error("cannot hash the password: {0}")]
    Hashing(String),
}

/// The site file's `[roles]`: each role's password as an Argon2id PHC string.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolesConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installer: Option<String>,
}

impl RolesConfig {
    /// No role password is set: single-user mode.
    pub fn is_empty(&self) -> bool {
        self.reviewer.is_none() && self.installer.is_none()
    }

    /// The hash stored for `role` (Guard has none).
    pub fn hash(&self, role: Role) -> Option<&str> {
        match role {
            Role::Guard => None,
            Role::Reviewer => self.reviewer.as_deref(),
            Role::Installer => self.installer.as_deref(),
        }
    }

    /// Stores `password`'s Argon2id hash for `role`.
    pub fn set_password(&mut self, role: Role, password: &str) -> Result<(), RoleError> {
        let hash = hash_password(password)?;
        match role {
            Role::Guard => return Err(RoleError::GuardHasNoPassword),
            Role::Reviewer => self.reviewer = Some(hash),
            Role::Installer => self.installer = Some(hash),
        }
        Ok(())
    }

    /// Whether `password` opens `role`: Guard always; another role with its own
    /// password or that of a role above it.
    pub fn check(&self, role: Role, password: &str) -> Result<(), RoleError> {
        if role == Role::Guard {
            return Ok(());
        }
        let mut any = false;
        for candidate in Role::ALL.into_iter().filter(|r| *r >= role) {
            let Some(hash) = self.hash(candidate) else {
                continue;
            };
            any = true;
            let parsed = PasswordHash::new(hash).map_err(|_| RoleError::BadHash(candidate))?;
            if parsed.algorithm != argon2::Algorithm::Argon2id.ident() {
                return Err(RoleError::BadHash(candidate));
            }
            if argon2::Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
            {
                return Ok(());
            }
        }
        Err(if any {
            RoleError::WrongPassword(role)
        } else {
            RoleError::NoPassword(role)
        })
    }

    /// Problems with the stored hashes, for the site file's validation.
    pub fn problems(&self) -> Vec<(Role, RoleError)> {
        [Role::Reviewer, Role::Installer]
            .into_iter()
            .filter_map(|role| {
                let hash = self.hash(role)?;
                let ok = PasswordHash::new(hash)
                    .is_ok_and(|p| p.algorithm == argon2::Algorithm::Argon2id.ident());
                (!ok).then_some((role, RoleError::BadHash(role)))
            })
            .collect()
    }
}

/// An Argon2id PHC string for `password` (default parameters, 16 random salt bytes).
pub fn hash_password(password: &str) -> Result<String, RoleError> {
    if password.is_empty() {
        return Err(RoleError::EmptyPassword);
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| RoleError::Hashing(e.to_string()))?;
    argon2::Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| RoleError::Hashing(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_phc_strings_without_the_password() {
        let hash = hash_password("s3cret pass").expect("hash");
        assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
        assert!(!hash.contains("s3cret"));
        assert_ne!(hash, hash_password("s3cret pass").expect("hash"), "salted");
    }

    #[test]
    fn a_role_opens_with_its_password_or_a_higher_ones() {
        let mut roles = RolesConfig::default();
        assert!(roles.is_empty());
        assert_eq!(
            roles.check(Role::Reviewer, "x"),
            Err(RoleError::NoPassword(Role::Reviewer))
        );
        roles.set_password(Role::Installer, "inst").expect("set");
        roles.set_password(Role::Reviewer, "rev").expect("set");
        assert!(!roles.is_empty());
        assert_eq!(roles.check(Role::Guard, ""), Ok(()));
        assert_eq!(roles.check(Role::Reviewer, "rev"), Ok(()));
        assert_eq!(roles.check(Role::Reviewer, "inst"), Ok(()));
        assert_eq!(roles.check(Role::Installer, "inst"), Ok(()));
        assert_eq!(
            roles.check(Role::Installer, "rev"),
            Err(RoleError::WrongPassword(Role::Installer))
        );
        assert_eq!(
            roles.check(Role::Reviewer, "nope"),
            Err(RoleError::WrongPassword(Role::Reviewer))
        );
        assert_eq!(
            roles.set_password(Role::Guard, "g"),
            Err(RoleError::GuardHasNoPassword)
        );
        assert_eq!(
            roles.set_password(Role::Reviewer, ""),
            Err(RoleError::EmptyPassword)
        );
    }

    #[test]
    fn a_hash_that_is_not_argon2id_is_refused() {
        let roles = RolesConfig {
            reviewer: Some("plain text".to_owned()),
            installer: None,
        };
        assert_eq!(
            roles.check(Role::Reviewer, "plain text"),
            Err(RoleError::BadHash(Role::Reviewer))
        );
        assert_eq!(roles.problems().len(), 1);
    }
}
