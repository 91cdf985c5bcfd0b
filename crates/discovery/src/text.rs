//! Text a device sent, made safe to show: control characters and bidi overrides
//! removed, length capped; and the name and hardware read from ONVIF scopes.
//!
//! Must not: parse XML (that is `parse`'s).

use percent_encoding::percent_decode_str;

/// The most characters kept of one text a device sent.
pub const MAX_TEXT_CHARS: usize = 256;

/// Unicode formatting characters that reorder text (bidi embeddings, overrides,
/// isolates and marks): shown, they can make "gpj.exe" read as "exe.jpg".
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// `text` without control characters (C0, DEL, C1) or bidi controls, trimmed, at most
/// [`MAX_TEXT_CHARS`] characters.
pub fn sanitize(text: &str) -> String {
    let kept: String = text
        .chars()
        .filter(|&c| !c.is_control() && !is_bidi_control(c))
        .take(MAX_TEXT_CHARS)
        .collect();
    kept.trim().to_owned()
}

/// The value of the first scope `onvif://www.onvif.org/<kind>/<value>` (scheme and
/// host in any case), percent-decoded and sanitised; `None` if there is none or it is
/// empty.
pub fn onvif_scope(scopes: &[String], kind: &str) -> Option<String> {
    const PREFIX: &str = "onvif://www.onvif.org/";
    scopes.iter().find_map(|scope| {
        let head = scope.get(..PREFIX.len())?;
        if !head.eq_ignore_ascii_case(PREFIX) {
            return None;
        }
        let rest = &scope[PREFIX.len()..];
        let value = rest.strip_prefix(kind)?.strip_prefix('/')?;
        let decoded = percent_decode_str(value).decode_utf8_lossy();
        let clean = sanitize(&decoded);
        (!clean.is_empty()).then_some(clean)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_are_removed() {
        assert_eq!(sanitize("Lob\u{202E}by\u{0007}\n cam\u{2066}"), "Lobby cam");
        assert_eq!(sanitize("a\u{0085}b\u{009B}c\u{007F}d\u{200F}"), "abcd");
        assert_eq!(sanitize("Caméra Süd 東"), "Caméra Süd 東");
        assert_eq!(sanitize(&"x".repeat(10_000)).len(), MAX_TEXT_CHARS);
    }

    #[test]
    fn name_and_hardware_come_from_onvif_scopes_percent_decoded() {
        let scopes: Vec<String> = [
            "onvif://www.onvif.org/Profile/Streaming",
            "onvif://www.onvif.org/hardware/HD_PREDATOR",
            "ONVIF://WWW.ONVIF.ORG/name/Front%20Door%E2%80%AEcod",
            "onvif://www.onvif.org/name/second",
            "onvif://www.onvif.org/location/",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        assert_eq!(
            onvif_scope(&scopes, "hardware").as_deref(),
            Some("HD_PREDATOR")
        );
        assert_eq!(
            onvif_scope(&scopes, "name").as_deref(),
            Some("Front Doorcod")
        );
        assert_eq!(onvif_scope(&scopes, "location"), None, "empty value");
        assert_eq!(onvif_scope(&scopes, "nam"), None, "whole segment only");
    }

    #[test]
    fn broken_percent_encoding_does_not_fail() {
        let scopes = vec!["onvif://www.onvif.org/name/%FF%0Abad%2".to_owned()];
        assert_eq!(
            onvif_scope(&scopes, "name").as_deref(),
            Some("\u{FFFD}bad%2")
        );
    }
}
