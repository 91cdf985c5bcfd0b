//! MAC addresses and their OUI: parsing what an installer or a device wrote (`:`, `-`
//! or no separator, any case) into six octets, and the two bits that say whether the
//! first three octets name a vendor at all (locally administered, group address).
//!
//! Owns: [`Mac`], [`Oui`], [`MacError`]. Must not: know any vendor (the rules do).

use std::fmt;
use std::str::FromStr;

/// Six octets of a device's network interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Mac(pub [u8; 6]);

/// The first three octets (an IEEE MA-L assignment when the address is universal).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Oui(pub [u8; 3]);

/// Why a MAC (or an OUI prefix) was refused; `position` counts characters from 1.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MacError {
    #[error(
        "'{text}' is not a MAC address: character {position} ('{found}') is not a hex digit or a separator (write it as 12 hex digits, alone or in pairs joined by ':' or '-')"
    )]
    BadCharacter {
        text: String,
        position: usize,
        /// The character, escaped when it is a control or bidi character.
        found: String,
    },
    #[error(
        "'{text}' is not a MAC address: it mixes separators or groups them unevenly (write AA:BB:CC:DD:EE:FF, AA-BB-CC-DD-EE-FF or AABBCCDDEEFF)"
    )]
    Separators { text: String },
    #[error("'{text}' is not a MAC address: it has {digits} hex digits, a MAC has {expected}")]
    Length {
        text: String,
        digits: usize,
        expected: usize,
    },
}

impl Mac {
    /// `text` as a MAC: 12 hex digits, alone or in pairs joined by `:` or by `-`
    /// (one separator throughout); any case; surrounding spaces ignored.
    pub fn parse(text: &str) -> Result<Self, MacError> {
        let octets = parse_octets(text, 6)?;
        let mut mac = [0u8; 6];
        mac.copy_from_slice(&octets);
        Ok(Mac(mac))
    }

    pub fn oui(&self) -> Oui {
        Oui([self.0[0], self.0[1], self.0[2]])
    }

    /// The U/L bit (second-least-significant bit of the first octet): set, the address
    /// was assigned locally (a VM, a randomised MAC) and names no vendor.
    pub fn is_locally_administered(&self) -> bool {
        self.0[0] & 0b10 != 0
    }

    /// The I/G bit: set, this is a multicast group address, never one interface's.
    pub fn is_group(&self) -> bool {
        self.0[0] & 0b01 != 0
    }
}

impl Oui {
    /// `text` as three octets, with the same separators as [`Mac::parse`].
    pub fn parse(text: &str) -> Result<Self, MacError> {
        let octets = parse_octets(text, 3)?;
        Ok(Oui([octets[0], octets[1], octets[2]]))
    }
}

impl FromStr for Mac {
    type Err = MacError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mac::parse(s)
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02X}:{b:02X}:{c:02X}:{d:02X}:{e:02X}:{g:02X}")
    }
}

impl fmt::Display for Oui {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c] = self.0;
        write!(f, "{a:02X}:{b:02X}:{c:02X}")
    }
}

/// `count` octets from `text`: either `2 * count` bare hex digits, or `count` pairs
/// joined by one kind of separator.
fn parse_octets(text: &str, count: usize) -> Result<Vec<u8>, MacError> {
    let trimmed = text.trim();
    let shown = || vigil_onvif::sanitize::display_safe(text);
    let mut separator = None;
    let mut digits = Vec::with_capacity(count * 2);
    for (i, c) in trimmed.chars().enumerate() {
        if let Some(d) = c.to_digit(16) {
            digits.push(d as u8);
        } else if c == ':' || c == '-' {
            if separator.is_some_and(|s| s != c) {
                return Err(MacError::Separators { text: shown() });
            }
            separator = Some(c);
        } else {
            return Err(MacError::BadCharacter {
                text: shown(),
                position: i + 1,
                found: shown_char(c),
            });
        }
    }
    if digits.len() != count * 2 {
        return Err(MacError::Length {
            text: shown(),
            digits: digits.len(),
            expected: count * 2,
        });
    }
    if let Some(sep) = separator {
        // Pairs only: "AA:BB:CC", never "A:ABB:CC" or "AABB:CC".
        let groups: Vec<&str> = trimmed.split(sep).collect();
        if groups.len() != count || groups.iter().any(|g| g.len() != 2) {
            return Err(MacError::Separators { text: shown() });
        }
    }
    Ok(digits.chunks(2).map(|p| (p[0] << 4) | p[1]).collect())
}

/// `c` as text that cannot reorder or rewrite the line it is shown in.
fn shown_char(c: char) -> String {
    if vigil_onvif::sanitize::is_unsafe_char(c) {
        format!("\\u{{{:04X}}}", u32::from(c))
    } else {
        c.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colons_dashes_or_nothing_in_any_case() {
        let want = Mac([0x0C, 0x75, 0xD2, 0x12, 0xAB, 0xEF]);
        for text in [
            "0C:75:D2:12:AB:EF",
            "0c:75:d2:12:ab:ef",
            "0C-75-D2-12-ab-EF",
            "0c75d212abef",
            "  0C75D212ABEF ",
        ] {
            assert_eq!(Mac::parse(text), Ok(want), "{text}");
        }
        assert_eq!(want.to_string(), "0C:75:D2:12:AB:EF");
        assert_eq!(want.oui().to_string(), "0C:75:D2");
        assert_eq!(Oui::parse("0c-75-d2"), Ok(Oui([0x0C, 0x75, 0xD2])));
    }

    #[test]
    fn malformed_macs_say_what_and_where() {
        let err = Mac::parse("0C:75:D2:12:AB:EG").expect_err("G is not hex");
        assert_eq!(
            err,
            MacError::BadCharacter {
                text: "0C:75:D2:12:AB:EG".into(),
                position: 17,
                found: "G".into()
            }
        );
        assert!(err.to_string().contains("character 17 ('G')"), "{err}");
        assert!(matches!(
            Mac::parse("0C:75:D2:12:AB"),
            Err(MacError::Length { digits: 10, .. })
        ));
        assert!(matches!(
            Mac::parse("0C:75:D2:12:AB:EF:00"),
            Err(MacError::Length { digits: 14, .. })
        ));
        assert!(matches!(
            Mac::parse("0C:75-D2:12:AB:EF"),
            Err(MacError::Separators { .. })
        ));
        assert!(matches!(
            Mac::parse("0C7:5D2:12A:BEF"),
            Err(MacError::Separators { .. })
        ));
        assert!(matches!(
            Mac::parse("0C 75 D2 12 AB EF"),
            Err(MacError::BadCharacter { position: 3, .. })
        ));
        assert!(matches!(
            Mac::parse(""),
            Err(MacError::Length { digits: 0, .. })
        ));
        // A control character is shown escaped, never raw.
        let err = Mac::parse("0C:75\u{202E}").expect_err("bidi");
        assert!(err.to_string().contains("\\u{202E}"), "{err}");
    }

    #[test]
    fn the_two_low_bits_of_the_first_octet() {
        let local = Mac::parse("52:54:00:12:34:56").expect("parses");
        assert!(local.is_locally_administered());
        assert!(!local.is_group());
        let universal = Mac::parse("BC:5E:33:00:00:01").expect("parses");
        assert!(!universal.is_locally_administered());
        let group = Mac::parse("01:00:5E:00:00:FB").expect("parses");
        assert!(group.is_group());
    }
}
