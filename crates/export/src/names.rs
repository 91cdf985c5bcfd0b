//! File names inside an evidence bundle: safe on every OS whatever a camera is called.
//!
//! Owns: [`safe_file_stem`] (path separators, `..`, NUL and control characters,
//! Windows' reserved names and forbidden characters, trailing dots and spaces, length)
//! and [`unique_stems`]. Must not: touch the file system.

/// Longest stem in bytes; leaves room for a suffix and an extension within the
/// 255-byte limit of common file systems and Windows' 260-character paths.
pub const MAX_STEM_BYTES: usize = 64;

/// Windows' reserved device names (with or without an extension).
const RESERVED: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7",
    "COM8", "COM9", "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    "CONIN$", "CONOUT$",
];

/// A file stem made of ASCII letters, digits, `-`, `_` and `.` only, that is not
/// empty, does not start with `.`, does not end with `.` or a space, is not a Windows
/// device name, and is at most [`MAX_STEM_BYTES`] long. Anything else becomes `_`.
pub fn safe_file_stem(name: &str) -> String {
    let mut out = String::with_capacity(name.len().min(MAX_STEM_BYTES));
    for c in name.chars() {
        let keep = c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        let c = if keep { c } else { '_' };
        // Collapse runs of `_` and of `.` (no `..` survives).
        if (c == '_' || c == '.') && out.ends_with(c) {
            continue;
        }
        out.push(c);
    }
    let mut out = out.trim_matches(['.', '_', ' ']).to_owned();
    out.truncate(MAX_STEM_BYTES);
    let mut out = out.trim_end_matches(['.', ' ']).to_owned();
    if out.is_empty() {
        out.push_str("camera");
    }
    let base = out
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    if RESERVED.contains(&base.as_str()) {
        out.insert(0, '_');
        out.truncate(MAX_STEM_BYTES);
    }
    out
}

/// Safe stems for `names`, made distinct (case-insensitively, as on Windows and macOS)
/// by a `-2`, `-3` … suffix.
pub fn unique_stems(names: &[String]) -> Vec<String> {
    let mut taken: Vec<String> = Vec::with_capacity(names.len());
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let base = safe_file_stem(name);
        let mut stem = base.clone();
        let mut n = 2;
        while taken.contains(&stem.to_ascii_lowercase()) {
            let suffix = format!("-{n}");
            let mut b = base.clone();
            b.truncate(MAX_STEM_BYTES - suffix.len());
            stem = format!("{b}{suffix}");
            n += 1;
        }
        taken.push(stem.to_ascii_lowercase());
        out.push(stem);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_and_separators_are_gone() {
        for name in ["../../etc/passwd", "..\\..\\windows", "/abs/path", "a/../b"] {
            let stem = safe_file_stem(name);
            assert!(!stem.contains('/') && !stem.contains('\\'), "{stem}");
            assert!(!stem.contains(".."), "{stem}");
            assert!(!stem.starts_with('.'), "{stem}");
        }
        assert_eq!(safe_file_stem("../../etc/passwd"), "etc_passwd");
    }

    #[test]
    fn nul_and_control_characters_are_replaced() {
        assert_eq!(safe_file_stem("door\0cam"), "door_cam");
        assert_eq!(safe_file_stem("a\nb\tc"), "a_b_c");
        assert_eq!(safe_file_stem("Hall: <east>?*|\""), "Hall_east");
    }

    #[test]
    fn reserved_device_names_are_escaped() {
        for name in ["CON", "con", "Nul", "com1", "LPT9", "aux.mp4", "PRN.tar.gz"] {
            let stem = safe_file_stem(name);
            assert!(stem.starts_with('_'), "{name} -> {stem}");
        }
        assert_eq!(safe_file_stem("CONSOLE"), "CONSOLE");
        assert_eq!(safe_file_stem("com10"), "com10");
    }

    #[test]
    fn long_names_are_cut_and_never_empty() {
        let long = "x".repeat(500);
        assert_eq!(safe_file_stem(&long).len(), MAX_STEM_BYTES);
        let long_utf8 = "é".repeat(300);
        assert!(safe_file_stem(&long_utf8).len() <= MAX_STEM_BYTES);
        assert_eq!(safe_file_stem(""), "camera");
        assert_eq!(safe_file_stem("..."), "camera");
        assert_eq!(safe_file_stem("   "), "camera");
        assert_eq!(safe_file_stem("name. "), "name");
    }

    #[test]
    fn unicode_names_become_ascii() {
        let stem = safe_file_stem("Entrée nord");
        assert!(stem.is_ascii(), "{stem}");
        assert_eq!(stem, "Entr_e_nord");
    }

    #[test]
    fn stems_are_made_distinct() {
        let names = ["Door".to_owned(), "door".to_owned(), "Door?".to_owned()];
        assert_eq!(unique_stems(&names), ["Door", "door-2", "Door-3"]);
    }
}
