//! One CSV cell (RFC 4180) with spreadsheet formulas neutralised: the one rule every
//! CSV export of Vigil uses (the audit trail, the compliance inventory).
//!
//! Owns: [`cell`]. Must not: know what the cells hold.

/// One cell: a leading `=`, `+`, `-`, `@` (or tab, carriage return) gets a `'` so a
/// spreadsheet shows it as text instead of running it; then quoted when it holds a
/// comma, a quote, a line break or edge spaces, quotes doubled.
pub fn cell(text: &str) -> String {
    let neutral = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    let needs_quotes = neutral.contains([',', '"', '\n', '\r'])
        || neutral.starts_with(' ')
        || neutral.ends_with(' ');
    if needs_quotes {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}
