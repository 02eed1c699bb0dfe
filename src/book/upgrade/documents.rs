//! The XML files of an EPUB 2 book (content documents and the NCX) as
//! EPUB 3 wants them: the DOCTYPE replaced (XHTML 5's for content
//! documents, none for the NCX), named entities made character references
//! (an EPUB 3 document has no DTD to define them), the `http-equiv`
//! content-type metas XHTML 5 forbids dropped, and links to renamed files
//! pointed at their new names. Also what a content document holds that
//! EPUB 3 wants its manifest item to declare (`svg`, `mathml`, `scripted`).

use super::super::epub::{relative, resolve};
use super::super::xml;
use super::super::BookError;
use quick_xml::events::{BytesStart, Event};
use std::collections::{BTreeMap, BTreeSet};

/// `http-equiv` values of XHTML 1.1 that XHTML 5 forbids.
const LEGACY_HTTP_EQUIV: &[&str] = &["content-type", "content-style-type", "content-script-type"];
/// Attributes that link to other files of the book.
const LINKS: &[&str] = &["href", "src"];

/// How one file is rewritten.
pub(crate) struct Rewrite<'a> {
    /// The file's path in the container.
    pub path: &'a str,
    /// What replaces its DOCTYPE.
    pub doctype: &'a str,
    /// Renamed files: old path → new path.
    pub renamed: &'a BTreeMap<String, String>,
}

/// A rewritten file, and the manifest properties its content calls for.
pub(crate) struct Rewritten {
    pub text: String,
    pub properties: BTreeSet<&'static str>,
}

/// Rewrites `text` as `rewrite` says (see the module's documentation).
pub(crate) fn rewrite(text: &str, rewrite: &Rewrite<'_>) -> Result<Rewritten, BookError> {
    let path = rewrite.path;
    let mut reader = xml::reader(text);
    let (mut changes, mut properties) = (Vec::new(), BTreeSet::new());
    // A legacy `<meta …>` written with an end tag: where it starts.
    let mut dropping: Option<usize> = None;
    loop {
        let (range, event) = xml::next(&mut reader, path)?;
        let (element, empty) = match &event {
            Event::DocType(_) => {
                changes.push((range, rewrite.doctype.to_string()));
                continue;
            }
            Event::GeneralRef(reference) => {
                changes.extend(character_references(reference).map(|references| (range, references)));
                continue;
            }
            Event::End(e) if dropping.is_some() && e.local_name().as_ref() == "meta" => {
                changes.push((dropping.take().unwrap_or(range.start)..range.end, String::new()));
                continue;
            }
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::Eof => break,
            _ => continue,
        };
        match xml::local_name(element).as_str() {
            "svg" => properties.insert("svg"),
            "math" => properties.insert("mathml"),
            "script" => properties.insert("scripted"),
            _ => false,
        };
        if is_legacy_meta(element, path)? {
            match empty {
                true => changes.push((range, String::new())),
                false => dropping = Some(range.start),
            }
            continue;
        }
        let source = &text[range.clone()];
        let mut attributes = xml::raw_attributes(element, path)?;
        let mut changed = false;
        for (key, value) in &mut attributes {
            if value.contains('&') {
                *value = references_in(value);
            }
            if LINKS.contains(&key.as_str()) {
                if let Some(link) = relinked(path, &xml::unescape(value, path)?, rewrite.renamed) {
                    *value = xml::escape(&link);
                    changed = true;
                }
            }
        }
        if changed || source.contains('&') {
            let name = element.name().as_ref().to_string();
            changes.push((range, xml::start_tag(&name, &attributes, empty)));
        }
    }
    Ok(Rewritten { text: xml::splice(text, changes), properties })
}

/// `href` (in the file `base`) pointed at its target's new name, if its
/// target was renamed.
pub(crate) fn relinked(base: &str, href: &str, renamed: &BTreeMap<String, String>) -> Option<String> {
    let new = renamed.get(&resolve(base, href)?)?;
    let mut link = relative(base, new);
    if let Some((_, fragment)) = href.split_once('#') {
        link = format!("{link}#{fragment}");
    }
    Some(link)
}

fn is_legacy_meta(element: &BytesStart, path: &str) -> Result<bool, BookError> {
    if xml::local_name(element) != "meta" {
        return Ok(false);
    }
    let http_equiv = xml::attribute(element, "http-equiv", path)?.unwrap_or_default().to_ascii_lowercase();
    Ok(LEGACY_HTTP_EQUIV.contains(&http_equiv.as_str()))
}

/// The character references that stand for the named entity `name`
/// (`nbsp` → `&#xA0;`); `None` for XML's own five and for references
/// that are characters already.
fn character_references(name: &str) -> Option<String> {
    if name.starts_with('#') || quick_xml::escape::resolve_xml_entity(name).is_some() {
        return None;
    }
    let text = quick_xml::escape::resolve_html5_entity(name)?;
    Some(text.chars().map(|ch| format!("&#x{:X};", ch as u32)).collect())
}

/// A raw attribute value with its named entities made character references.
fn references_in(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let name = after.find(';').map(|end| &after[..end]);
        match name.and_then(character_references) {
            Some(references) => {
                out.push_str(&references);
                rest = &after[name.map_or(0, str::len) + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_epub2_content_document_becomes_xhtml5() {
        let source = "<?xml version='1.0' encoding='utf-8'?>\n\
            <!DOCTYPE html PUBLIC '-//W3C//DTD XHTML 1.1//EN' 'http://www.w3.org/TR/xhtml11/DTD/xhtml11.dtd'>\n\
            <html xmlns=\"http://www.w3.org/1999/xhtml\"><head><title>t</title>\
            <meta http-equiv=\"Content-Type\" content=\"application/xhtml+xml; charset=utf-8\"/>\
            <meta name=\"generator\" content=\"x\"/></head>\
            <body><p title=\"caf&eacute; &amp; th&eacute;\">a&nbsp;b &amp; c&mdash;&#233;\
            <a href=\"b.html#n2\">next</a> <a href='https://example.com/b.html'>web</a></p>\
            <div><svg xmlns=\"http://www.w3.org/2000/svg\"/></div></body></html>";
        let renamed = BTreeMap::from([("OEBPS/b.html".to_string(), "OEBPS/b.xhtml".to_string())]);
        let rewrite = Rewrite { path: "OEBPS/a.html", doctype: "<!DOCTYPE html>", renamed: &renamed };
        let Rewritten { text, properties } = super::rewrite(source, &rewrite).unwrap();
        assert!(text.contains("\n<!DOCTYPE html>\n<html"), "{text}");
        assert!(!text.contains("http-equiv"), "{text}");
        assert!(text.contains("<meta name=\"generator\" content=\"x\"/>"));
        assert!(text.contains("title=\"caf&#xE9; &amp; th&#xE9;\""), "{text}");
        assert!(text.contains(">a&#xA0;b &amp; c&#x2014;&#233;<a href=\"b.xhtml#n2\">next</a>"), "{text}");
        assert!(text.contains("<a href='https://example.com/b.html'>web</a>"), "{text}");
        assert_eq!(properties, BTreeSet::from(["svg"]));
    }

    #[test]
    fn an_ncx_loses_its_doctype() {
        let ncx = "<?xml version='1.0'?>\n<!DOCTYPE ncx PUBLIC '-//NISO//DTD ncx 2005-1//EN' \
            'http://www.daisy.org/z3986/2005/ncx-2005-1.dtd'>\n<ncx><navMap><navPoint><content src=\"t/b.html\"/>\
            </navPoint></navMap></ncx>";
        let renamed = BTreeMap::from([("OEBPS/t/b.html".to_string(), "OEBPS/t/b.xhtml".to_string())]);
        let rewrite = Rewrite { path: "OEBPS/toc.ncx", doctype: "", renamed: &renamed };
        let text = super::rewrite(ncx, &rewrite).unwrap().text;
        assert_eq!(
            text,
            "<?xml version='1.0'?>\n\n<ncx><navMap><navPoint><content src=\"t/b.xhtml\"/></navPoint></navMap></ncx>"
        );
    }
}
