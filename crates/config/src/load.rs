//! Loading a site file: read, parse TOML, check the schema version, validate.
//!
//! Owns: turning bytes on disk into a validated [`Site`] or a [`ConfigError`] that
//! names the file and the line:column. Must not: write anything, fall back to a
//! default site on error (that policy is in `resolve.rs`), or echo a password.

use std::io::Read;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::error::{ConfigError, LineCol, ValidationIssue};
use super::site::{CURRENT_SCHEMA_VERSION, Site};
use super::validate::{Locator, validate_site};
use crate::redact::redact;

/// Site files larger than this are rejected unread.
pub const MAX_SITE_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Reads at most `limit` bytes of `path`; a longer file is [`ConfigError::TooLarge`].
pub(crate) fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, ConfigError> {
    let read_err = |source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > limit {
        return Err(ConfigError::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    Ok(bytes)
}

/// Bytes → UTF-8 text, without a leading byte-order mark.
pub(crate) fn text_from_bytes<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a str, ConfigError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let valid = String::from_utf8_lossy(&bytes[..e.valid_up_to()]).into_owned();
        ConfigError::NotUtf8 {
            path: path.to_path_buf(),
            location: LineCol::from_offset(&valid, valid.len()),
        }
    })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// Converts a toml error into [`ConfigError::Syntax`] with a line:column.
pub(crate) fn syntax_error(path: &Path, text: &str, err: &toml::de::Error) -> ConfigError {
    ConfigError::Syntax {
        path: path.to_path_buf(),
        location: err.span().map(|s| LineCol::from_offset(text, s.start)),
        message: redact(err.message().trim_end()),
    }
}

/// Loads and validates the site file at `path`.
pub fn load_site(path: &Path) -> Result<Site, ConfigError> {
    let bytes = read_limited(path, MAX_SITE_FILE_BYTES)?;
    let text = text_from_bytes(path, &bytes)?;
    parse_site(path, text)
}

#[derive(Deserialize)]
struct VersionProbe {
    schema_version: Option<Spanned<toml::Value>>,
}

/// Parses and validates site-file text; `path` is used in error messages only.
pub fn parse_site(path: &Path, text: &str) -> Result<Site, ConfigError> {
    if text.trim().is_empty() {
        return Err(ConfigError::Empty {
            path: path.to_path_buf(),
        });
    }
    let doc = DeTable::parse(text).map_err(|e| syntax_error(path, text, &e))?;
    let root = DeValue::Table(doc.into_inner());
    check_schema_version(path, text)?;
    let site: Site = toml::from_str(text).map_err(|e| syntax_error(path, text, &e))?;
    let issues = validate_site(&site);
    if issues.is_empty() {
        return Ok(site);
    }
    let issues = issues
        .into_iter()
        .map(|i| ValidationIssue {
            location: span_of(&root, i.locator).map(|s| LineCol::from_offset(text, s.start)),
            message: i.message,
        })
        .collect();
    Err(ConfigError::Invalid {
        path: path.to_path_buf(),
        issues,
    })
}

/// Checks `schema_version` before the typed parse, so that a file from a newer Vigil
/// (which may have keys this build rejects) gets the "newer Vigil" message.
fn check_schema_version(path: &Path, text: &str) -> Result<(), ConfigError> {
    let probe: VersionProbe = toml::from_str(text).map_err(|e| syntax_error(path, text, &e))?;
    let Some(version) = probe.schema_version else {
        return Err(ConfigError::Syntax {
            path: path.to_path_buf(),
            location: None,
            message: format!(
                "missing `schema_version = {CURRENT_SCHEMA_VERSION}` at the top of the file"
            ),
        });
    };
    let location = Some(LineCol::from_offset(text, version.span().start));
    match version.get_ref() {
        toml::Value::Integer(n) if *n > i64::from(CURRENT_SCHEMA_VERSION) => {
            Err(ConfigError::NewerSchema {
                path: path.to_path_buf(),
                location,
                found: *n,
                supported: CURRENT_SCHEMA_VERSION,
            })
        }
        toml::Value::Integer(n) if *n < 1 => Err(ConfigError::Syntax {
            path: path.to_path_buf(),
            location,
            message: format!("invalid schema_version {n}; expected {CURRENT_SCHEMA_VERSION}"),
        }),
        // Wrong types are reported by the typed parse.
        _ => Ok(()),
    }
}

/// The span of the value a locator points at, falling back to its enclosing item.
fn span_of(root: &DeValue<'_>, locator: Locator) -> Option<Range<usize>> {
    fn elem<'r, 'i>(
        v: &'r DeValue<'i>,
        key: &str,
        index: usize,
    ) -> Option<&'r Spanned<DeValue<'i>>> {
        v.get(key)?.get_ref().get(index)
    }
    fn field_or_item(item: &Spanned<DeValue<'_>>, key: &str) -> Range<usize> {
        item.get_ref()
            .get(key)
            .map_or_else(|| item.span(), Spanned::span)
    }
    match locator {
        Locator::Root(key) => root.get(key).map(Spanned::span),
        Locator::Camera { index, key } => {
            elem(root, "cameras", index).map(|c| field_or_item(c, key))
        }
        Locator::Layout { index, key } => {
            elem(root, "layouts", index).map(|l| field_or_item(l, key))
        }
        Locator::Tile { layout, tile } => {
            let l = elem(root, "layouts", layout)?;
            Some(elem(l.get_ref(), "tiles", tile).map_or_else(|| l.span(), Spanned::span))
        }
        Locator::Wall(key) => root.get("wall").map(|w| field_or_item(w, key)),
        Locator::Storage(key) => root.get("storage").map(|w| field_or_item(w, key)),
        Locator::Snapshots(key) => root.get("snapshots").map(|w| field_or_item(w, key)),
        Locator::Recording { index, key } => {
            let camera = elem(root, "cameras", index)?;
            Some(match camera.get_ref().get("recording") {
                Some(rec) => field_or_item(rec, key),
                None => camera.span(),
            })
        }
        Locator::Detection { index, key } => {
            let camera = elem(root, "cameras", index)?;
            Some(match camera.get_ref().get("detection") {
                Some(det) => field_or_item(det, key),
                None => camera.span(),
            })
        }
        Locator::WallAssignment(index) => {
            elem(root.get("wall")?.get_ref(), "assignment", index).map(Spanned::span)
        }
        Locator::WallWindow { index, key } => {
            elem(root, "wall_windows", index).map(|w| field_or_item(w, key))
        }
        Locator::WallWindowAssignment { window, tile } => {
            let w = elem(root, "wall_windows", window)?;
            Some(elem(w.get_ref(), "assignment", tile).map_or_else(|| w.span(), Spanned::span))
        }
    }
}

#[cfg(test)]
mod tests;
