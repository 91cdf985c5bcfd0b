//! `vigil audit verify` and `vigil audit export --csv`: the operator audit trail of a
//! storage folder's recording index (`vigil_store::audit`), read only.
//!
//! Owns: finding the storage folder, the report and the CSV (RFC 4180, with cells that
//! a spreadsheet would run as a formula neutralised). Must not: write to the index.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use vigil_config::{AppPaths, resolve_site};
use vigil_store::{AuditCheck, AuditEntry, AuditReader};

/// The storage folder: `--storage`, else the one the site file (`--config` or the
/// default) records into.
pub fn storage_dir(storage: Option<&Path>, config: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = storage {
        return Ok(dir.to_path_buf());
    }
    let paths = AppPaths::from_env().context("cannot find the config and data directories")?;
    let resolved = resolve_site(config, false, Some(&paths.default_site_file), Path::new(""));
    if let Some(err) = &resolved.load_error {
        anyhow::bail!("the site file does not load ({err}): give --storage DIR");
    }
    Ok(paths.storage_dir(&resolved.source, &resolved.site))
}

/// UTC, RFC 3339 with nanoseconds.
pub fn time_text(time_ns: i64) -> String {
    chrono::DateTime::from_timestamp_nanos(time_ns)
        .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

/// `vigil audit verify`: prints the outcome; true when the chain is intact.
pub fn verify(storage: &Path) -> anyhow::Result<bool> {
    let reader = AuditReader::open(storage)?;
    match reader.verify()? {
        AuditCheck::Intact { entries, head } => {
            println!(
                "audit trail intact: {entries} entries in {}; head hash {head}",
                storage.display()
            );
            Ok(true)
        }
        AuditCheck::Broken { entry, why } => {
            println!(
                "audit trail BROKEN at entry {} ({}, {}): {why}",
                entry.id,
                time_text(entry.time_ns),
                entry.action
            );
            Ok(false)
        }
    }
}

/// `vigil audit export --csv OUT`: every entry, oldest first; returns how many.
pub fn export_csv(storage: &Path, out: &Path) -> anyhow::Result<usize> {
    let entries = AuditReader::open(storage)?.entries()?;
    let mut text = String::new();
    write_csv(&entries, &mut text);
    let mut file =
        std::fs::File::create(out).with_context(|| format!("cannot create {}", out.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", out.display()))?;
    Ok(entries.len())
}

/// The CSV's header row.
pub const CSV_HEADER: [&str; 9] = [
    "id",
    "time",
    "operator",
    "role",
    "action",
    "target",
    "details",
    "prev_hash",
    "hash",
];

/// Appends the header and one record per entry (CRLF line ends, RFC 4180).
pub fn write_csv(entries: &[AuditEntry], out: &mut String) {
    let mut record = |cells: &[&str]| {
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&csv_cell(cell));
        }
        out.push_str("\r\n");
    };
    record(&CSV_HEADER);
    for e in entries {
        let id = e.id.to_string();
        let time = time_text(e.time_ns);
        record(&[
            &id,
            &time,
            &e.operator,
            &e.role,
            &e.action,
            &e.target,
            &e.details,
            &e.prev_hash,
            &e.hash,
        ]);
    }
}

/// One cell, formulas neutralised (`vigil_config::csv::cell`, shared with the
/// compliance inventory's CSV).
pub use vigil_config::csv::cell as csv_cell;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_neutralised() {
        assert_eq!(csv_cell("cam1"), "cam1");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_cell("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-1"), "'-1");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("=a,b"), "\"'=a,b\"");
        assert_eq!(csv_cell(""), "");
    }

    #[test]
    fn times_are_utc_with_nanoseconds() {
        assert_eq!(
            time_text(1_500_000_000_123_456_789),
            "2017-07-14T02:40:00.123456789Z"
        );
    }
}
