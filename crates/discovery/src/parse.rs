//! Reading one WS-Discovery reply: a SOAP envelope whose header names the message it
//! relates to and whose body holds ProbeMatches. Namespaces are resolved (prefixes are
//! the sender's choice); WS-Discovery 2005/04 (ONVIF) and 1.1 are both read.
//!
//! Hostile input gets an error, never a crash or unbounded work: the datagram size,
//! the nesting depth, the matches per reply, the text per field and the entries per
//! list are capped; a DTD is refused and only XML's predefined entities and character
//! references are resolved (quick-xml expands nothing by itself).
//!
//! Must not: decide what a reply means for the probe (RelatesTo matching, merging);
//! that is `probe`'s.

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

/// The largest reply read (a UDP datagram cannot be larger anyway).
pub const MAX_REPLY_BYTES: usize = 65_535;
/// The deepest element nesting accepted.
pub const MAX_DEPTH: usize = 32;
/// ProbeMatch elements read from one reply.
pub const MAX_MATCHES: usize = 16;
/// Bytes of text in one field (an endpoint, the scopes list …).
pub const MAX_FIELD_BYTES: usize = 8 * 1024;
/// Entries kept of one list (scopes, types, XAddrs).
pub const MAX_LIST_ENTRIES: usize = 64;

/// Why a reply was skipped.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("reply of {0} bytes is too large")]
    TooLarge(usize),
    #[error("reply is not UTF-8")]
    NotUtf8,
    #[error("XML: {0}")]
    Xml(#[from] quick_xml::Error),
    #[error("XML text: {0}")]
    Encoding(#[from] quick_xml::encoding::EncodingError),
    #[error("a DTD is not accepted")]
    Dtd,
    #[error("entity '&{0};' is not accepted (only XML's predefined ones)")]
    Entity(String),
    #[error("elements nested deeper than {MAX_DEPTH}")]
    TooDeep,
    #[error("more than {MAX_MATCHES} ProbeMatch elements")]
    TooManyMatches,
    #[error("a field is longer than {MAX_FIELD_BYTES} bytes")]
    FieldTooLong,
    #[error("the document ends inside an element")]
    Truncated,
    #[error("no SOAP Envelope with ProbeMatches in its Body")]
    NotProbeMatches,
    #[error("a ProbeMatch has no EndpointReference address")]
    NoEndpoint,
}

/// One ProbeMatch as sent (texts not yet sanitised).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Match {
    pub endpoint: String,
    pub types: Vec<String>,
    pub scopes: Vec<String>,
    pub xaddrs: Vec<String>,
}

/// A parsed reply.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reply {
    pub relates_to: Option<String>,
    pub matches: Vec<Match>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ns {
    Soap,
    Addressing,
    Discovery,
    Other,
}

fn ns_of(resolved: &ResolveResult<'_>) -> Ns {
    match resolved {
        ResolveResult::Bound(ns) => match ns.as_ref() {
            b"http://www.w3.org/2003/05/soap-envelope"
            | b"http://schemas.xmlsoap.org/soap/envelope/" => Ns::Soap,
            b"http://schemas.xmlsoap.org/ws/2004/08/addressing"
            | b"http://www.w3.org/2005/08/addressing" => Ns::Addressing,
            b"http://schemas.xmlsoap.org/ws/2005/04/discovery"
            | b"http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01" => Ns::Discovery,
            _ => Ns::Other,
        },
        _ => Ns::Other,
    }
}

/// The fields whose text is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    RelatesTo,
    Endpoint,
    Types,
    Scopes,
    XAddrs,
}

/// What the element at the top of `path` is, given where it sits.
fn field_at(path: &[(Ns, Vec<u8>)]) -> Option<Field> {
    let names: Vec<(Ns, &[u8])> = path.iter().map(|(ns, n)| (*ns, n.as_slice())).collect();
    use Ns::{Addressing as A, Discovery as D, Soap as S};
    match names.as_slice() {
        [(S, b"Envelope"), (S, b"Header"), (A, b"RelatesTo")] => Some(Field::RelatesTo),
        [
            (S, b"Envelope"),
            (S, b"Body"),
            (D, b"ProbeMatches"),
            (D, b"ProbeMatch"),
            rest @ ..,
        ] => match rest {
            [(A, b"EndpointReference"), (A, b"Address")] => Some(Field::Endpoint),
            [(D, b"Types")] => Some(Field::Types),
            [(D, b"Scopes")] => Some(Field::Scopes),
            [(D, b"XAddrs")] => Some(Field::XAddrs),
            _ => None,
        },
        _ => None,
    }
}

fn is_match(path: &[(Ns, Vec<u8>)]) -> bool {
    matches!(
        path,
        [(Ns::Soap, e), (Ns::Soap, b), (Ns::Discovery, ms), (Ns::Discovery, m)]
            if e == b"Envelope" && b == b"Body" && ms == b"ProbeMatches" && m == b"ProbeMatch"
    )
}

fn is_matches(path: &[(Ns, Vec<u8>)]) -> bool {
    matches!(
        path,
        [(Ns::Soap, e), (Ns::Soap, b), (Ns::Discovery, ms)]
            if e == b"Envelope" && b == b"Body" && ms == b"ProbeMatches"
    )
}

/// Entries separated by XML white space (space, tab, CR, LF: not Unicode's, which
/// would split at a U+0085 inside an entry), deduplicated, at most
/// [`MAX_LIST_ENTRIES`].
fn list(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let entries = text
        .split([' ', '\t', '\r', '\n'])
        .filter(|e| !e.is_empty());
    for entry in entries {
        if out.len() == MAX_LIST_ENTRIES {
            break;
        }
        if !out.iter().any(|e| e == entry) {
            out.push(entry.to_owned());
        }
    }
    out
}

/// Parse one reply datagram.
pub fn parse_reply(bytes: &[u8]) -> Result<Reply, ParseError> {
    if bytes.len() > MAX_REPLY_BYTES {
        return Err(ParseError::TooLarge(bytes.len()));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| ParseError::NotUtf8)?;
    let mut reader = NsReader::from_str(text);
    let mut path: Vec<(Ns, Vec<u8>)> = Vec::new();
    let mut state = State::default();

    loop {
        let (resolved, event) = reader.read_resolved_event()?;
        match event {
            Event::Start(start) => {
                enter(&mut path, ns_of(&resolved), start.local_name().as_ref())?;
                open(&path, &mut state)?;
            }
            Event::Empty(start) => {
                enter(&mut path, ns_of(&resolved), start.local_name().as_ref())?;
                open(&path, &mut state)?;
                close(&mut path, &mut state)?;
            }
            Event::End(_) => close(&mut path, &mut state)?,
            Event::Text(t) => state.append(path.len(), &t.decode()?)?,
            Event::CData(t) => state.append(path.len(), &t.decode()?)?,
            Event::GeneralRef(r) => {
                let resolved = if r.is_char_ref() {
                    r.resolve_char_ref()?.map(String::from)
                } else {
                    let name = r.decode()?;
                    quick_xml::escape::resolve_predefined_entity(&name).map(str::to_owned)
                };
                match resolved {
                    Some(s) => state.append(path.len(), &s)?,
                    None => return Err(ParseError::Entity(r.decode()?.into_owned())),
                }
            }
            Event::DocType(_) => return Err(ParseError::Dtd),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !path.is_empty() {
        return Err(ParseError::Truncated);
    }
    if !state.saw_matches {
        return Err(ParseError::NotProbeMatches);
    }
    Ok(state.reply)
}

/// What has been read so far.
#[derive(Default)]
struct State {
    reply: Reply,
    saw_matches: bool,
    /// The ProbeMatch being read.
    current: Option<Match>,
    /// The field being read, the depth of its element, and its text so far.
    capture: Option<(Field, usize, String)>,
}

impl State {
    /// Text at `depth`: kept when it is directly inside the field being read.
    fn append(&mut self, depth: usize, text: &str) -> Result<(), ParseError> {
        if let Some((_, at, buffer)) = &mut self.capture
            && *at == depth
        {
            if buffer.len() + text.len() > MAX_FIELD_BYTES {
                return Err(ParseError::FieldTooLong);
            }
            buffer.push_str(text);
        }
        Ok(())
    }
}

fn enter(path: &mut Vec<(Ns, Vec<u8>)>, ns: Ns, local: &[u8]) -> Result<(), ParseError> {
    if path.len() == MAX_DEPTH {
        return Err(ParseError::TooDeep);
    }
    path.push((ns, local.to_vec()));
    Ok(())
}

/// The element at the top of `path` was opened.
fn open(path: &[(Ns, Vec<u8>)], state: &mut State) -> Result<(), ParseError> {
    if is_matches(path) {
        state.saw_matches = true;
    } else if is_match(path) {
        if state.reply.matches.len() == MAX_MATCHES {
            return Err(ParseError::TooManyMatches);
        }
        state.current = Some(Match::default());
    } else if let Some(field) = field_at(path) {
        state.capture = Some((field, path.len(), String::new()));
    }
    Ok(())
}

/// The element at the top of `path` ends.
fn close(path: &mut Vec<(Ns, Vec<u8>)>, state: &mut State) -> Result<(), ParseError> {
    if let Some((field, at, _)) = &state.capture
        && *at == path.len()
    {
        let field = *field;
        let text = state
            .capture
            .take()
            .map(|(_, _, text)| text)
            .unwrap_or_default();
        match (field, state.current.as_mut()) {
            (Field::RelatesTo, _) => state.reply.relates_to = Some(text.trim().to_owned()),
            (Field::Endpoint, Some(m)) => m.endpoint = text.trim().to_owned(),
            (Field::Types, Some(m)) => m.types = list(&text),
            (Field::Scopes, Some(m)) => m.scopes = list(&text),
            (Field::XAddrs, Some(m)) => m.xaddrs = list(&text),
            (_, None) => {}
        }
    } else if is_match(path) {
        let done = state.current.take().unwrap_or_default();
        if done.endpoint.is_empty() {
            return Err(ParseError::NoEndpoint);
        }
        state.reply.matches.push(done);
    }
    path.pop();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The real-format ProbeMatches (agsh/onvif's mock-up, see tests/fixtures/LICENSE).
    const FIXTURE: &str = include_str!("../tests/fixtures/ProbeMatches.xml");

    fn fixture(relates_to: &str, xaddrs: &str) -> String {
        FIXTURE
            .replace("RELATES_TO", relates_to)
            .replace("SERVICE_URI", xaddrs)
    }

    #[test]
    fn the_fixture_parses() {
        let xml = fixture(
            "urn:uuid:0000-1",
            "http://192.168.1.9/onvif/device_service http://[fe80::1]/onvif/device_service",
        );
        let reply = parse_reply(xml.as_bytes()).expect("parses");
        assert_eq!(reply.relates_to.as_deref(), Some("urn:uuid:0000-1"));
        assert_eq!(reply.matches.len(), 1);
        let m = &reply.matches[0];
        assert_eq!(m.endpoint, "uuid:c9790c3a-701b-464d-a189-0060351c8ada");
        assert_eq!(m.types, ["dn:NetworkVideoTransmitter", "tds:Device"]);
        assert_eq!(m.scopes.len(), 7);
        assert!(
            m.scopes
                .contains(&"onvif://www.onvif.org/name/PREDATOR".to_owned())
        );
        assert_eq!(
            m.xaddrs,
            [
                "http://192.168.1.9/onvif/device_service",
                "http://[fe80::1]/onvif/device_service"
            ]
        );
    }

    #[test]
    fn prefixes_are_the_senders_choice_and_entities_are_predefined_only() {
        let xml = r#"<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"
            xmlns:x="http://schemas.xmlsoap.org/ws/2004/08/addressing"
            xmlns="http://schemas.xmlsoap.org/ws/2005/04/discovery">
            <e:Header><x:RelatesTo>urn:uuid:a&amp;b&#x41;</x:RelatesTo></e:Header>
            <e:Body><ProbeMatches><ProbeMatch>
              <x:EndpointReference><x:Address><![CDATA[urn:uuid:cd]]></x:Address></x:EndpointReference>
              <XAddrs>http://h/?a=1&amp;b=2</XAddrs>
            </ProbeMatch><ProbeMatch>
              <x:EndpointReference><x:Address>urn:uuid:ef</x:Address></x:EndpointReference>
              <Scopes/>
            </ProbeMatch></ProbeMatches></e:Body></e:Envelope>"#;
        let reply = parse_reply(xml.as_bytes()).expect("parses");
        assert_eq!(reply.relates_to.as_deref(), Some("urn:uuid:a&bA"));
        assert_eq!(reply.matches[0].endpoint, "urn:uuid:cd");
        assert_eq!(reply.matches[0].xaddrs, ["http://h/?a=1&b=2"]);
        assert_eq!(reply.matches[1].endpoint, "urn:uuid:ef");
        assert!(reply.matches[1].scopes.is_empty());
    }

    #[test]
    fn an_element_in_another_namespace_is_not_read() {
        let xml = fixture("x", "y").replace(
            "xmlns:wsdd=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\"",
            "xmlns:wsdd=\"urn:not-discovery\"",
        );
        assert!(matches!(
            parse_reply(xml.as_bytes()),
            Err(ParseError::NotProbeMatches)
        ));
    }

    #[test]
    fn hostile_and_broken_replies_are_errors() {
        let dtd = format!(
            "<!DOCTYPE e [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>{}",
            fixture("&b;", "x").replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "")
        );
        assert!(matches!(parse_reply(dtd.as_bytes()), Err(ParseError::Dtd)));
        let entity = fixture("&b;", "x");
        assert!(matches!(
            parse_reply(entity.as_bytes()),
            Err(ParseError::Entity(name)) if name == "b"
        ));
        let deep = format!("{}{}", "<a>".repeat(5_000), "</a>".repeat(5_000));
        assert!(matches!(
            parse_reply(deep.as_bytes()),
            Err(ParseError::TooDeep)
        ));
        let big = vec![b' '; MAX_REPLY_BYTES + 1];
        assert!(matches!(parse_reply(&big), Err(ParseError::TooLarge(_))));
        let long = fixture("x", &"h".repeat(MAX_FIELD_BYTES + 1));
        assert!(matches!(
            parse_reply(long.as_bytes()),
            Err(ParseError::FieldTooLong)
        ));
        let cut = fixture("x", "y");
        let cut = &cut[..cut.len() / 2];
        assert!(parse_reply(cut.as_bytes()).is_err());
        let mismatched = fixture("x", "y").replace("</wsdd:Types>", "</wsdd:Typo>");
        assert!(matches!(
            parse_reply(mismatched.as_bytes()),
            Err(ParseError::Xml(_))
        ));
        let no_endpoint = fixture("x", "y").replace(
            "<wsa:Address>uuid:c9790c3a-701b-464d-a189-0060351c8ada</wsa:Address>",
            "",
        );
        assert!(matches!(
            parse_reply(no_endpoint.as_bytes()),
            Err(ParseError::NoEndpoint)
        ));
        assert!(matches!(
            parse_reply(b"\xff\xfe<a/>"),
            Err(ParseError::NotUtf8)
        ));
        assert!(matches!(
            parse_reply(b"not xml at all"),
            Err(ParseError::NotProbeMatches)
        ));
        let many = fixture("x", "y").replace(
            "<wsdd:ProbeMatches>",
            &format!(
                "<wsdd:ProbeMatches>{}",
                "<wsdd:ProbeMatch><wsa:EndpointReference><wsa:Address>u</wsa:Address></wsa:EndpointReference></wsdd:ProbeMatch>"
                    .repeat(MAX_MATCHES)
            ),
        );
        assert!(matches!(
            parse_reply(many.as_bytes()),
            Err(ParseError::TooManyMatches)
        ));
    }

    #[test]
    fn lists_are_capped_and_deduplicated() {
        let scopes: Vec<String> = (0..200).map(|i| format!("s{}", i % 100)).collect();
        let xml =
            fixture("x", "y").replace("onvif://www.onvif.org/Profile/Streaming", &scopes.join(" "));
        let reply = parse_reply(xml.as_bytes()).expect("parses");
        let got = &reply.matches[0].scopes;
        assert_eq!(got.len(), MAX_LIST_ENTRIES);
        assert_eq!(got[0], "s0");
        assert_eq!(got[63], "s63");
    }
}
