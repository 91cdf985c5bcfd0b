//! Errors of the config module and source positions (`line:column`) for them.
//!
//! Owns: [`ConfigError`], [`ValidationIssue`], [`LineCol`] and byte-offset → line:column
//! conversion. Must not: put a password into any message; every text taken from a
//! file or URL passes through `crate::redact::redact` before it lands here.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// A 1-based line and column (in characters) inside a text file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineCol {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, counted in Unicode scalar values.
    pub column: usize,
}

impl fmt::Display for LineCol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

impl LineCol {
    /// Position of byte `offset` in `text` (clamped to the text, rounded down to a
    /// character boundary).
    pub fn from_offset(text: &str, offset: usize) -> Self {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        LineCol {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

/// One semantic problem in a site (duplicate id, unknown layout, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationIssue {
    /// Where in the file, when known.
    pub location: Option<LineCol>,
    /// What is wrong, naming the camera or layout.
    pub message: String,
}

/// Everything that can go wrong loading, validating or saving configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// File concerned.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: io::Error,
    },
    /// The file is implausibly large.
    #[error("{}: file is larger than {limit} bytes; this is not a Vigil configuration file", path.display())]
    TooLarge {
        /// File concerned.
        path: PathBuf,
        /// Size limit in bytes.
        limit: u64,
    },
    /// A zero-length (or whitespace-only) site file.
    #[error(
        "{}: empty site file; it needs at least `schema_version = 1` (delete the file to start from the demo site)",
        path.display()
    )]
    Empty {
        /// File concerned.
        path: PathBuf,
    },
    /// The file is not UTF-8 text.
    #[error("{}:{location}: file is not valid UTF-8 text", path.display())]
    NotUtf8 {
        /// File concerned.
        path: PathBuf,
        /// First invalid byte.
        location: LineCol,
    },
    /// TOML syntax error, unknown key, wrong type or missing field.
    #[error("{}", located(path, *location, message))]
    Syntax {
        /// File concerned.
        path: PathBuf,
        /// Position, when the parser gave one.
        location: Option<LineCol>,
        /// Parser message (redacted).
        message: String,
    },
    /// `schema_version` is newer than this build understands.
    #[error(
        "{}: schema_version {found} was written by a newer Vigil (this version reads up to {supported}); upgrade Vigil or use a backup of the file",
        located_path(path, *location)
    )]
    NewerSchema {
        /// File concerned.
        path: PathBuf,
        /// Position of the version number.
        location: Option<LineCol>,
        /// Version found in the file.
        found: i64,
        /// Newest version this build supports.
        supported: u32,
    },
    /// The file parsed but its content is inconsistent.
    #[error("{}", issues_text(path, issues))]
    Invalid {
        /// File concerned.
        path: PathBuf,
        /// Every problem found, in file order.
        issues: Vec<ValidationIssue>,
    },
    /// Writing (temp file, fsync, rename, permissions) failed.
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        /// File concerned.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: io::Error,
    },
    /// Serializing to TOML failed.
    #[error("cannot serialize configuration: {message}")]
    Serialize {
        /// Serializer message.
        message: String,
    },
    /// Saving refused because the file on disk could not be loaded.
    #[error(
        "{}: not saved, because the file could not be loaded and will not be overwritten ({reason}); fix or move the file, then restart Vigil",
        path.display()
    )]
    ReadOnly {
        /// File that is protected.
        path: PathBuf,
        /// Why it failed to load.
        reason: String,
    },
    /// Saving refused because the site is the `--demo` site, which has no file.
    #[error("the demo site is not saved; start Vigil with --config PATH to keep changes")]
    DemoNotSaved,
    /// The credentials file is readable or writable by group or others.
    #[error(
        "{p}: credentials file is accessible by other users (mode {mode:04o}); run `chmod 600 {p}`",
        p = path.display()
    )]
    InsecurePermissions {
        /// File concerned.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// No home directory to put configuration in.
    #[error("no home directory found; set VIGIL_CONFIG_DIR and VIGIL_DATA_DIR")]
    NoHomeDir,
}

fn located_path(path: &std::path::Path, location: Option<LineCol>) -> String {
    match location {
        Some(loc) => format!("{}:{loc}", path.display()),
        None => path.display().to_string(),
    }
}

fn located(path: &std::path::Path, location: Option<LineCol>, message: &str) -> String {
    format!("{}: {message}", located_path(path, location))
}

fn issues_text(path: &std::path::Path, issues: &[ValidationIssue]) -> String {
    if issues.is_empty() {
        return format!("{}: invalid site", path.display());
    }
    issues
        .iter()
        .map(|i| located(path, i.location, &i.message))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_from_offset() {
        let text = "a = 1\nbé = 2\n\nc";
        assert_eq!(
            LineCol::from_offset(text, 0),
            LineCol { line: 1, column: 1 }
        );
        assert_eq!(
            LineCol::from_offset(text, 4),
            LineCol { line: 1, column: 5 }
        );
        assert_eq!(
            LineCol::from_offset(text, 6),
            LineCol { line: 2, column: 1 }
        );
        // 'é' is two bytes; the '=' after it is the 4th character of line 2.
        assert_eq!(
            LineCol::from_offset(text, 10),
            LineCol { line: 2, column: 4 }
        );
        // Inside the two-byte 'é' rounds down to it.
        assert_eq!(
            LineCol::from_offset(text, 8),
            LineCol { line: 2, column: 2 }
        );
        assert_eq!(
            LineCol::from_offset(text, 14),
            LineCol { line: 3, column: 1 }
        );
        assert_eq!(
            LineCol::from_offset(text, 999),
            LineCol { line: 4, column: 2 }
        );
        assert_eq!(LineCol::from_offset("", 3), LineCol { line: 1, column: 1 });
    }

    #[test]
    fn messages_name_file_and_position() {
        let err = ConfigError::Syntax {
            path: "/home/u/.config/vigil/site.toml".into(),
            location: Some(LineCol {
                line: 7,
                column: 10,
            }),
            message: "unknown field `trasport`".into(),
        };
        assert_eq!(
            err.to_string(),
            "/home/u/.config/vigil/site.toml:7:10: unknown field `trasport`"
        );
        let err = ConfigError::Invalid {
            path: "s.toml".into(),
            issues: vec![
                ValidationIssue {
                    location: Some(LineCol { line: 3, column: 6 }),
                    message: "a".into(),
                },
                ValidationIssue {
                    location: None,
                    message: "b".into(),
                },
            ],
        };
        assert_eq!(err.to_string(), "s.toml:3:6: a\ns.toml: b");
        let err = ConfigError::InsecurePermissions {
            path: "/c/credentials.toml".into(),
            mode: 0o644,
        };
        assert!(
            err.to_string().contains("mode 0644")
                && err.to_string().contains("chmod 600 /c/credentials.toml")
        );
    }
}
