//! Comparing manufacturer names the way a person would: invisible and control
//! characters (bidi overrides, zero-width spaces) removed first, then case and
//! punctuation ignored, so "HIKVISION DIGITAL TECHNOLOGY CO.,LTD.", "Hik-Vision" and
//! "hik\u{200B}vision" all name Hikvision, while "Aztec" does not name ZTE.
//!
//! Owns: [`NameKey`]. Must not: know any vendor.

/// A name reduced for comparison: its words (lowercase letters and digits) and the
/// words run together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameKey {
    words: Vec<String>,
    squashed: String,
}

/// A name run together shorter than this only matches word for word (so "ZTE" or
/// "LTS" never match inside another word).
const MIN_PREFIX_CHARS: usize = 5;

impl NameKey {
    pub fn new(name: &str) -> Self {
        let visible: String = name
            .chars()
            .filter(|c| !vigil_onvif::sanitize::is_unsafe_char(*c))
            .collect();
        let words: Vec<String> = visible
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        let squashed = words.concat();
        NameKey { words, squashed }
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Whether `self` (what a device said) names `rule` (a rule's name variant): the
    /// rule's words appear in order, side by side; or, run together, the device's name
    /// is the rule's or starts with it (for rule names of five characters or more).
    pub fn names(&self, rule: &NameKey) -> bool {
        if self.is_empty() || rule.is_empty() {
            return false;
        }
        let words_match = self
            .words
            .windows(rule.words.len())
            .any(|w| w == rule.words.as_slice());
        words_match
            || self.squashed == rule.squashed
            || (rule.squashed.chars().count() >= MIN_PREFIX_CHARS
                && self.squashed.starts_with(&rule.squashed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(device: &str, rule: &str) -> bool {
        NameKey::new(device).names(&NameKey::new(rule))
    }

    #[test]
    fn case_punctuation_and_invisible_characters_do_not_matter() {
        assert!(names("HIKVISION DIGITAL TECHNOLOGY CO.,LTD.", "Hikvision"));
        assert!(names("hikvision", "HIKVISION"));
        assert!(names("Hik-Vision", "Hikvision"));
        assert!(names("Hik\u{200B}vision", "Hikvision"));
        assert!(names("\u{202E}Hikvision\u{202C}", "Hikvision"));
        assert!(names("HikvisionDigital", "Hikvision"));
        assert!(names("Zhejiang Dahua Technology Co., Ltd", "Dahua"));
        assert!(names("ZTE Corporation", "ZTE"));
        assert!(names("Q-See", "Q-See"));
        assert!(names("QSee", "Q-See"));
    }

    #[test]
    fn short_names_match_only_whole_words() {
        assert!(!names("Aztec Systems", "ZTE"));
        assert!(!names("Volts Inc", "LTS"));
        assert!(!names("Axis Communications", "Hikvision"));
        assert!(!names("", "Hikvision"));
        assert!(!names("\u{200B}", "Hikvision"));
    }
}
