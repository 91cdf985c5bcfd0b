//! The one XML parser of the crate: turns a device's response into a small tree of
//! elements (local names, attributes, text), refusing what a hostile device could use
//! against us. No DTD (a `<!DOCTYPE` is an error, so no entity can be declared or
//! expanded), only the five predefined entities and character references, a size cap,
//! a depth limit and an element count limit, so memory stays bounded by the input.
//! Must not: do network I/O, know ONVIF calls or SOAP (see `soap`).

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// The most bytes a document may have.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
/// The deepest nesting of elements accepted (SOAP responses of ONVIF devices stay under 20).
pub const MAX_DEPTH: usize = 64;
/// The most elements one document may hold.
pub const MAX_ELEMENTS: usize = 100_000;

/// Why a document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    #[error("the XML is {len_bytes} bytes, over the limit of {limit_bytes}")]
    TooLarge {
        len_bytes: usize,
        limit_bytes: usize,
    },
    #[error("the XML declares a DTD (<!DOCTYPE>), which is refused (no entity processing)")]
    Doctype,
    #[error("the XML nests elements deeper than {limit}")]
    TooDeep { limit: usize },
    #[error("the XML has more than {limit} elements")]
    TooManyElements { limit: usize },
    #[error("the XML uses the undefined entity &{name};")]
    UndefinedEntity { name: String },
    #[error("the XML is malformed at byte {position}: {detail}")]
    Malformed { position: u64, detail: String },
    #[error("the XML has no root element")]
    Empty,
}

/// An element: its local name (the namespace prefix dropped), its attributes (local
/// names too), its children and the text directly inside it (trimmed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    /// The first child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child with this local name.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The element at this path of local names below `self`.
    pub fn path(&self, names: &[&str]) -> Option<&Element> {
        names.iter().try_fold(self, |e, n| e.child(n))
    }

    /// The trimmed text at this path, when present and not empty.
    pub fn text_at(&self, names: &[&str]) -> Option<&str> {
        self.path(names)
            .map(|e| e.text.as_str())
            .filter(|t| !t.is_empty())
    }

    /// An attribute's value by local name.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first element with this local name, depth first, `self` included.
    pub fn find(&self, name: &str) -> Option<&Element> {
        if self.name == name {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(name))
    }
}

fn local(name: &[u8]) -> String {
    let local = match name.iter().rposition(|&b| b == b':') {
        Some(i) => &name[i + 1..],
        None => name,
    };
    String::from_utf8_lossy(local).into_owned()
}

fn malformed(reader: &Reader<&[u8]>, detail: impl ToString) -> XmlError {
    XmlError::Malformed {
        position: reader.buffer_position(),
        detail: detail.to_string(),
    }
}

fn open(reader: &Reader<&[u8]>, start: &BytesStart<'_>) -> Result<Element, XmlError> {
    let mut attributes = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| malformed(reader, e))?;
        let value =
            attr.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|e| match e {
                    quick_xml::Error::Escape(
                        quick_xml::escape::EscapeError::UnrecognizedEntity(_, name),
                    ) => XmlError::UndefinedEntity { name },
                    other => malformed(reader, other),
                })?;
        attributes.push((local(attr.key.as_ref()), value.into_owned()));
    }
    Ok(Element {
        name: local(start.name().as_ref()),
        attributes,
        children: Vec::new(),
        text: String::new(),
    })
}

/// Parses a whole document into its root element.
pub fn parse(bytes: &[u8]) -> Result<Element, XmlError> {
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(XmlError::TooLarge {
            len_bytes: bytes.len(),
            limit_bytes: MAX_DOCUMENT_BYTES,
        });
    }
    let mut reader = Reader::from_reader(bytes);
    reader.config_mut().check_end_names = true;
    // The stack of open elements; the root ends up in `root`.
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut elements = 0usize;
    loop {
        let event = reader.read_event().map_err(|e| malformed(&reader, e))?;
        match event {
            Event::DocType(_) => return Err(XmlError::Doctype),
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err(malformed(&reader, "content after the root element"));
            }
            Event::Start(start) => {
                elements += 1;
                if elements > MAX_ELEMENTS {
                    return Err(XmlError::TooManyElements {
                        limit: MAX_ELEMENTS,
                    });
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::TooDeep { limit: MAX_DEPTH });
                }
                let element = open(&reader, &start)?;
                stack.push(element);
            }
            Event::Empty(start) => {
                elements += 1;
                if elements > MAX_ELEMENTS {
                    return Err(XmlError::TooManyElements {
                        limit: MAX_ELEMENTS,
                    });
                }
                let element = open(&reader, &start)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => root = Some(element),
                }
            }
            Event::End(_) => {
                let Some(mut done) = stack.pop() else {
                    return Err(malformed(&reader, "an end tag without a start"));
                };
                done.text = done.text.trim().to_owned();
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::Text(text) => {
                let decoded = text.xml10_content().map_err(|e| malformed(&reader, e))?;
                push_text(&mut stack, &reader, &decoded)?;
            }
            Event::CData(data) => {
                let decoded = data.decode().map_err(|e| malformed(&reader, e))?;
                push_text(&mut stack, &reader, &decoded)?;
            }
            Event::GeneralRef(reference) => {
                let resolved = if reference.is_char_ref() {
                    reference
                        .resolve_char_ref()
                        .map_err(|e| malformed(&reader, e))?
                        .map(String::from)
                } else {
                    let name = reference.decode().map_err(|e| malformed(&reader, e))?;
                    quick_xml::escape::resolve_predefined_entity(&name).map(str::to_owned)
                };
                let Some(resolved) = resolved else {
                    let name = reference
                        .decode()
                        .map(|n| n.into_owned())
                        .unwrap_or_default();
                    return Err(XmlError::UndefinedEntity { name });
                };
                push_text(&mut stack, &reader, &resolved)?;
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(malformed(&reader, "the document ends inside an element"));
    }
    root.ok_or(XmlError::Empty)
}

fn push_text(stack: &mut [Element], reader: &Reader<&[u8]>, text: &str) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(open) => {
            open.text.push_str(text);
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None => Err(malformed(reader, "text outside the root element")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_attributes_text_and_entities() {
        let doc = br#"<?xml version="1.0"?><s:A xmlns:s="urn:x"><s:B k="a&amp;b">x &lt; y &#65;</s:B><C/></s:A>"#;
        let root = parse(doc).expect("parses");
        assert_eq!(root.name, "A");
        let b = root.child("B").expect("B");
        assert_eq!(b.attribute("k"), Some("a&b"));
        assert_eq!(b.text, "x < y A");
        assert!(root.child("C").is_some());
    }

    #[test]
    fn a_doctype_is_refused() {
        let doc = br#"<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "boom">]><a>&x;</a>"#;
        assert_eq!(parse(doc), Err(XmlError::Doctype));
    }

    #[test]
    fn an_undefined_entity_is_refused() {
        assert_eq!(
            parse(b"<a>&x;</a>"),
            Err(XmlError::UndefinedEntity { name: "x".into() })
        );
        assert_eq!(
            parse(br#"<a b="&x;"/>"#),
            Err(XmlError::UndefinedEntity { name: "x".into() })
        );
    }

    #[test]
    fn depth_and_size_are_limited() {
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert_eq!(
            parse(deep.as_bytes()),
            Err(XmlError::TooDeep { limit: MAX_DEPTH })
        );
        let ok = "<a>".repeat(MAX_DEPTH) + &"</a>".repeat(MAX_DEPTH);
        assert!(parse(ok.as_bytes()).is_ok());
        let big = vec![b' '; MAX_DOCUMENT_BYTES + 1];
        assert!(matches!(parse(&big), Err(XmlError::TooLarge { .. })));
    }

    #[test]
    fn malformed_documents_are_errors() {
        assert!(matches!(
            parse(b"<a><b></a>"),
            Err(XmlError::Malformed { .. })
        ));
        assert!(matches!(parse(b"<a>"), Err(XmlError::Malformed { .. })));
        assert_eq!(parse(b""), Err(XmlError::Empty));
        assert!(parse(b"<a/><b/>").is_err());
    }
}
