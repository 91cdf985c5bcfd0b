//! The Probe we send: a SOAP 1.2 envelope in the WS-Discovery (2005/04) dialect ONVIF
//! devices speak, asking for `dn:NetworkVideoTransmitter`, with a fresh random
//! `urn:uuid` MessageID that replies must name in their RelatesTo.
//!
//! Must not: carry anything but the Probe (no credentials, no host details).

use crate::Error;

/// A fresh version 4 UUID as `urn:uuid:xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`, from the
/// system's random source, so that a third party cannot guess it and answer for a
/// device.
pub fn new_message_id() -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(Error::Random)?;
    Ok(message_id_from_bytes(bytes))
}

fn message_id_from_bytes(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The Probe envelope for `message_id`.
pub fn probe_envelope(message_id: &str) -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope""#,
            r#" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing""#,
            r#" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery""#,
            r#" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">"#,
            r#"<s:Header>"#,
            r#"<a:Action s:mustUnderstand="1">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action>"#,
            r#"<a:MessageID>{}</a:MessageID>"#,
            r#"<a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>"#,
            r#"<a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>"#,
            r#"</s:Header>"#,
            r#"<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body>"#,
            r#"</s:Envelope>"#
        ),
        message_id
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_version_4_uuids_and_differ() {
        let a = new_message_id().expect("random");
        let b = new_message_id().expect("random");
        assert_ne!(a, b);
        let uuid = a.strip_prefix("urn:uuid:").expect("urn");
        let groups: Vec<&str> = uuid.split('-').collect();
        assert_eq!(
            groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(groups[2].starts_with('4'), "{a}");
        assert!(matches!(&groups[3][..1], "8" | "9" | "a" | "b"), "{a}");
        assert_eq!(
            message_id_from_bytes([0xff; 16]),
            "urn:uuid:ffffffff-ffff-4fff-bfff-ffffffffffff"
        );
    }

    #[test]
    fn the_envelope_is_a_probe_for_video_transmitters() {
        let xml = probe_envelope("urn:uuid:1");
        assert!(xml.contains("<a:MessageID>urn:uuid:1</a:MessageID>"));
        assert!(xml.contains("<d:Types>dn:NetworkVideoTransmitter</d:Types>"));
        assert!(xml.len() < 1400, "one unfragmented datagram: {}", xml.len());
    }
}
