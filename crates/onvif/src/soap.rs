//! SOAP 1.2 framing: the request envelope (with the namespace prefixes the calls use)
//! and the response's body or fault. A fault becomes [`ErrorKind::Fault`], or
//! [`ErrorKind::Unauthorized`] when its subcode says the credentials were refused.
//! Must not: do I/O or know individual calls.

use crate::error::ErrorKind;
use crate::sanitize::display_safe;
use crate::xml::{self, Element};

/// The namespaces every request declares on its envelope.
const NAMESPACES: &str = concat!(
    r#"xmlns:s="http://www.w3.org/2003/05/soap-envelope" "#,
    r#"xmlns:tds="http://www.onvif.org/ver10/device/wsdl" "#,
    r#"xmlns:trt="http://www.onvif.org/ver10/media/wsdl" "#,
    r#"xmlns:tr2="http://www.onvif.org/ver20/media/wsdl" "#,
    r#"xmlns:tptz="http://www.onvif.org/ver20/ptz/wsdl" "#,
    r#"xmlns:tev="http://www.onvif.org/ver10/events/wsdl" "#,
    r#"xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" "#,
    r#"xmlns:wsa="http://www.w3.org/2005/08/addressing" "#,
    r#"xmlns:tt="http://www.onvif.org/ver10/schema""#,
);

/// A request envelope with `headers` (already XML) and `body` (the call's element).
pub fn envelope(headers: &str, body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><s:Envelope {NAMESPACES}><s:Header>{headers}</s:Header><s:Body>{body}</s:Body></s:Envelope>"#
    )
}

/// Fault subcodes that mean the credentials were refused.
const AUTH_SUBCODES: &[&str] = &["NotAuthorized", "FailedAuthentication", "InvalidSecurity"];

fn local(value: &str) -> &str {
    value.rsplit(':').next().unwrap_or(value)
}

/// The fault's code (with its subcodes, `/`-separated) and reason, SOAP 1.2 or 1.1.
fn fault(fault: &Element) -> ErrorKind {
    let mut codes = Vec::new();
    if let Some(code) = fault.child("Code") {
        let mut level = Some(code);
        while let Some(c) = level {
            if let Some(v) = c.text_at(&["Value"]) {
                codes.push(v.to_owned());
            }
            level = c.child("Subcode");
        }
    } else if let Some(code) = fault.text_at(&["faultcode"]) {
        codes.push(code.to_owned());
    }
    let reason = fault
        .text_at(&["Reason", "Text"])
        .or_else(|| fault.text_at(&["faultstring"]))
        .unwrap_or("no reason given");
    let code = if codes.is_empty() {
        "no code".to_owned()
    } else {
        codes.join(" / ")
    };
    let code = display_safe(&code);
    let reason = display_safe(reason);
    if codes
        .iter()
        .any(|c| AUTH_SUBCODES.contains(&local(c.trim())))
    {
        return ErrorKind::Unauthorized {
            detail: format!("the device said {code}: {reason}"),
        };
    }
    ErrorKind::Fault { code, reason }
}

/// Parses a response and returns the element inside its Body (the call's response),
/// or the fault as an error.
pub fn response_body(bytes: &[u8]) -> Result<Element, ErrorKind> {
    let root = xml::parse(bytes)?;
    if root.name != "Envelope" {
        return Err(ErrorKind::NotSoap);
    }
    let body = root.child("Body").ok_or(ErrorKind::NotSoap)?;
    let first = body.children.first().ok_or(ErrorKind::Missing {
        what: "a response element in the SOAP body",
    })?;
    if first.name == "Fault" {
        return Err(fault(first));
    }
    Ok(first.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_names_code_and_reason() {
        let doc = br#"<e:Envelope xmlns:e="urn:e"><e:Body><e:Fault><e:Code><e:Value>e:Receiver</e:Value><e:Subcode><e:Value>ter:ActionNotSupported</e:Value></e:Subcode></e:Code><e:Reason><e:Text xml:lang="en">No PTZ here</e:Text></e:Reason></e:Fault></e:Body></e:Envelope>"#;
        assert_eq!(
            response_body(doc),
            Err(ErrorKind::Fault {
                code: "e:Receiver / ter:ActionNotSupported".into(),
                reason: "No PTZ here".into()
            })
        );
    }

    #[test]
    fn a_not_authorized_fault_is_unauthorized() {
        let doc = br#"<e:Envelope xmlns:e="urn:e"><e:Body><e:Fault><e:Code><e:Value>e:Sender</e:Value><e:Subcode><e:Value>ter:NotAuthorized</e:Value></e:Subcode></e:Code><e:Reason><e:Text>Sender not Authorized</e:Text></e:Reason></e:Fault></e:Body></e:Envelope>"#;
        assert!(matches!(
            response_body(doc),
            Err(ErrorKind::Unauthorized { .. })
        ));
    }

    #[test]
    fn not_an_envelope() {
        assert_eq!(response_body(b"<html/>"), Err(ErrorKind::NotSoap));
    }
}
