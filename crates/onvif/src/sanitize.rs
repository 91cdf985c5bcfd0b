//! Making a device's strings safe to show and to store: control characters, bidi
//! overrides and other invisible formatting characters are written as visible `\u{..}`
//! escapes (so a manufacturer name cannot rewrite a terminal line or reorder the text
//! around it), and the length is capped. Stream and snapshot URIs lose any user:password.
//! Must not: parse XML or know ONVIF calls.

/// The most characters kept of a string from a device.
pub const MAX_DISPLAY_CHARS: usize = 256;

/// Whether `c` must not reach a screen or a log as it is: C0/C1 controls (tab, line feed
/// and carriage return too), the bidi embeddings, overrides, isolates and marks, zero
/// width characters, the BOM, and line/paragraph separators.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
        )
}

/// `s` made safe to show: unsafe characters escaped as `\u{XXXX}`, surrounding
/// whitespace trimmed, at most [`MAX_DISPLAY_CHARS`] characters kept (then `…`).
pub fn display_safe(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MAX_DISPLAY_CHARS * 4));
    for (count, c) in s.trim().chars().enumerate() {
        if count >= MAX_DISPLAY_CHARS {
            out.push('…');
            break;
        }
        if is_unsafe_char(c) {
            out.push_str(&format!("\\u{{{:04X}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Why a URI from the device was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UriError {
    #[error("the URI is empty")]
    Empty,
    #[error("the URI holds a control, space or bidi character")]
    UnsafeCharacter,
    #[error("the URI's scheme is not {expected}")]
    Scheme { expected: &'static str },
    #[error("the URI is longer than 2048 bytes")]
    TooLong,
}

/// A URI from the device, checked (scheme among `schemes`, no control, space or bidi
/// character, at most 2048 bytes) and without any `user:password@` it carried.
pub fn clean_uri(uri: &str, schemes: &[&'static str]) -> Result<String, UriError> {
    let uri = uri.trim();
    if uri.is_empty() {
        return Err(UriError::Empty);
    }
    if uri.len() > 2048 {
        return Err(UriError::TooLong);
    }
    if uri.chars().any(|c| is_unsafe_char(c) || c.is_whitespace()) {
        return Err(UriError::UnsafeCharacter);
    }
    let Some((scheme, rest)) = uri.split_once("://") else {
        return Err(UriError::Scheme {
            expected: schemes.first().copied().unwrap_or("known"),
        });
    };
    if !schemes.iter().any(|s| s.eq_ignore_ascii_case(scheme)) {
        return Err(UriError::Scheme {
            expected: schemes.first().copied().unwrap_or("known"),
        });
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let host = match authority.rfind('@') {
        Some(at) => &authority[at + 1..],
        None => authority,
    };
    Ok(format!("{}://{host}{tail}", scheme.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_overrides_are_escaped() {
        let hostile = "Acme\u{1b}[2J\u{202E}moc.evil\u{7}\nX";
        let shown = display_safe(hostile);
        assert_eq!(
            shown,
            "Acme\\u{001B}[2J\\u{202E}moc.evil\\u{0007}\\u{000A}X"
        );
        assert!(!shown.chars().any(is_unsafe_char));
        assert_eq!(display_safe("  Plain Name  "), "Plain Name");
    }

    #[test]
    fn long_strings_are_capped() {
        let long = "a".repeat(10_000);
        assert_eq!(display_safe(&long).chars().count(), MAX_DISPLAY_CHARS + 1);
    }

    #[test]
    fn credentials_are_removed_from_uris() {
        assert_eq!(
            clean_uri("rtsp://admin:se:cr@t@10.0.0.5:554/s1?a=b", &["rtsp"]),
            Ok("rtsp://10.0.0.5:554/s1?a=b".into())
        );
        assert_eq!(
            clean_uri("RTSP://10.0.0.5/x", &["rtsp"]),
            Ok("rtsp://10.0.0.5/x".into())
        );
        assert_eq!(
            clean_uri("file:///etc/passwd", &["rtsp"]),
            Err(UriError::Scheme { expected: "rtsp" })
        );
        assert_eq!(
            clean_uri("rtsp://a/\u{202E}b", &["rtsp"]),
            Err(UriError::UnsafeCharacter)
        );
    }
}
