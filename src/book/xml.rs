//! XML as books carry it, read without expanding anything: a DOCTYPE is
//! accepted (EPUB 2 content documents legally carry XHTML's) and never
//! fetched, named entities resolve from the HTML5 table (`&nbsp;`), and a
//! DOCTYPE that declares entities of its own (external entities, entity
//! bombs) refuses the file.

use super::BookError;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// A reader over `text` that keeps all text as it is.
pub(crate) fn reader(text: &str) -> Reader<&[u8]> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(false);
    reader
}

/// The next event and the bytes of the source it spans. A DOCTYPE that
/// declares entities refuses the file.
pub(crate) fn next<'a>(
    reader: &mut Reader<&'a [u8]>,
    file: &str,
) -> Result<(std::ops::Range<usize>, Event<'a>), BookError> {
    let before = reader.buffer_position() as usize;
    let event = reader.read_event().map_err(|e| BookError::Broken(format!("{file}: {e}")))?;
    if let Event::DocType(doctype) = &event {
        check_doctype(doctype, file)?;
    }
    Ok((before..reader.buffer_position() as usize, event))
}

/// Refuses a DOCTYPE that declares entities.
pub(crate) fn check_doctype(doctype: &str, file: &str) -> Result<(), BookError> {
    let declares = doctype.as_bytes().windows(8).any(|w| w.eq_ignore_ascii_case(b"<!ENTITY"));
    if declares {
        return Err(BookError::Entities(file.to_string()));
    }
    Ok(())
}

/// The text an entity reference (`amp`, `nbsp`, `#x2014`) stands for.
pub(crate) fn entity(name: &str) -> Option<String> {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        return char::from_u32(code).filter(|c| *c != '\0').map(String::from);
    }
    quick_xml::escape::resolve_predefined_entity(name)
        .or_else(|| quick_xml::escape::resolve_html5_entity(name))
        .map(str::to_string)
}

/// `raw` with its entity references resolved; an unknown one is an error.
pub(crate) fn unescape(raw: &str, file: &str) -> Result<String, BookError> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let end = after.find(';').ok_or_else(|| BookError::Broken(format!("{file}: a stray `&`")))?;
        let name = &after[..end];
        out.push_str(&entity(name).ok_or_else(|| BookError::Broken(format!("{file}: unknown entity &{name};")))?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The value of attribute `name` (qualified as written: `xml:lang`,
/// `epub:type`) of an element, unescaped.
pub(crate) fn attribute(element: &BytesStart, name: &str, file: &str) -> Result<Option<String>, BookError> {
    for attribute in element.attributes().with_checks(false) {
        let attribute = attribute.map_err(|e| BookError::Broken(format!("{file}: {e}")))?;
        if attribute.key.as_ref() == name {
            return unescape(&attribute.value, file).map(Some);
        }
    }
    Ok(None)
}

/// Every attribute of an element as written: (qualified name, raw value
/// with its references unexpanded).
pub(crate) fn raw_attributes(element: &BytesStart, file: &str) -> Result<Vec<(String, String)>, BookError> {
    let mut out = Vec::new();
    for attribute in element.attributes().with_checks(false) {
        let attribute = attribute.map_err(|e| BookError::Broken(format!("{file}: {e}")))?;
        let key = attribute.key.as_ref().to_string();
        out.push((key, attribute.value.to_string()));
    }
    Ok(out)
}

/// A start tag (`<name …>`, or `<name …/>` when `empty`) with `attributes`
/// (raw values, as [`raw_attributes`] gives them).
pub(crate) fn start_tag(name: &str, attributes: &[(String, String)], empty: bool) -> String {
    let mut tag = format!("<{name}");
    for (key, value) in attributes {
        let quote = if value.contains('"') { '\'' } else { '"' };
        tag.push_str(&format!(" {key}={quote}{value}{quote}"));
    }
    tag.push_str(if empty { "/>" } else { ">" });
    tag
}

/// The local name of an element (`dc:title` → `title`).
pub(crate) fn local_name(element: &BytesStart) -> String {
    element.local_name().as_ref().to_string()
}

/// Attribute `name` of the first element called `element` (local name).
pub(crate) fn attribute_of_first(text: &str, element: &str, name: &str) -> Result<Option<String>, BookError> {
    Ok(attributes_of_all(text, element, name)?.into_iter().next())
}

/// Attribute `name` of every element called `element` (local name; `*`:
/// any) that has it.
pub(crate) fn attributes_of_all(text: &str, element: &str, name: &str) -> Result<Vec<String>, BookError> {
    let mut reader = reader(text);
    let mut found = Vec::new();
    loop {
        match next(&mut reader, element)?.1 {
            Event::Start(e) | Event::Empty(e) if element == "*" || local_name(&e) == element => {
                found.extend(attribute(&e, name, element)?);
            }
            Event::Eof => return Ok(found),
            _ => {}
        }
    }
}

/// `text` with each range replaced by its text (an empty range inserts);
/// the ranges may come in any order but must not overlap.
pub(crate) fn splice(text: &str, mut changes: Vec<(std::ops::Range<usize>, String)>) -> String {
    changes.sort_by_key(|(range, _)| (range.start, range.end));
    let mut out = String::with_capacity(text.len() + changes.iter().map(|(_, t)| t.len()).sum::<usize>());
    let mut cursor = 0;
    for (range, replacement) in changes {
        out.push_str(&text[cursor..range.start]);
        out.push_str(&replacement);
        cursor = range.end;
    }
    out.push_str(&text[cursor..]);
    out
}

/// Text escaped for an XML text node or a double-quoted attribute.
pub(crate) fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_resolve_from_the_html_table() {
        assert_eq!(unescape("caf&eacute; &amp; th&#xE9;&nbsp;&#8212;", "t").unwrap(), "café & thé\u{a0}—");
        assert!(unescape("&bogus;", "t").is_err());
    }

    #[test]
    fn declared_entities_are_refused() {
        let bomb = r#" lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]"#;
        assert!(matches!(check_doctype(bomb, "x"), Err(BookError::Entities(_))));
        let xhtml = r#" html PUBLIC "-//W3C//DTD XHTML 1.1//EN" "http://www.w3.org/TR/xhtml11/DTD/xhtml11.dtd""#;
        assert!(check_doctype(xhtml, "x").is_ok());
    }
}
