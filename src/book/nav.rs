//! A book's tables of contents: the labels its navigation document (EPUB 3)
//! gives its content documents (a chapter's title is the first label that
//! points at it); the contents of an EPUB 2 NCX; and a navigation document
//! made for a book that has none.

use super::epub::{relative, resolve};
use super::xml;
use super::BookError;
use quick_xml::events::Event;
use std::collections::HashMap;

/// Each content document's first label in the navigation document at
/// `path`, by the document's path in the container.
pub(crate) fn labels(path: &str, text: &str) -> Result<HashMap<String, String>, BookError> {
    let mut reader = xml::reader(text);
    let mut labels = HashMap::new();
    // The document the open `<a>` points at, and its label so far.
    let mut link: Option<(String, String)> = None;
    loop {
        match xml::next(&mut reader, path)?.1 {
            Event::Start(e) if xml::local_name(&e) == "a" => {
                let target = xml::attribute(&e, "href", path)?.and_then(|href| resolve(path, &href));
                link = target.map(|target| (target, String::new()));
            }
            Event::Text(text) => {
                if let Some((_, label)) = &mut link {
                    label.push_str(&text);
                }
            }
            Event::GeneralRef(reference) => {
                if let (Some((_, label)), Some(resolved)) = (&mut link, xml::entity(&reference)) {
                    label.push_str(&resolved);
                }
            }
            Event::End(e) if e.local_name().as_ref() == "a" => {
                if let Some((target, label)) = link.take() {
                    let label = label.split_whitespace().collect::<Vec<_>>().join(" ");
                    if !label.is_empty() {
                        labels.entry(target).or_insert(label);
                    }
                }
            }
            Event::Eof => return Ok(labels),
            _ => {}
        }
    }
}

/// A chapter of a table of contents: its label, where it points (a path in
/// the container, with its fragment) and the chapters inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub label: String,
    pub target: String,
    pub children: Vec<Entry>,
}

/// The table of contents of the EPUB 2 NCX at `path` (its `navMap`).
/// A point without a label or a target in the book gives way to its
/// children.
pub(crate) fn from_ncx(path: &str, text: &str) -> Result<Vec<Entry>, BookError> {
    let mut reader = xml::reader(text);
    // The points open (label, target, children), and the top level.
    let mut open: Vec<(String, Option<String>, Vec<Entry>)> = Vec::new();
    let mut top = Vec::new();
    let (mut in_map, mut in_label) = (false, false);
    loop {
        match xml::next(&mut reader, path)?.1 {
            Event::Start(e) if xml::local_name(&e) == "navMap" => in_map = true,
            Event::End(e) if e.local_name().as_ref() == "navMap" => in_map = false,
            Event::Start(e) if in_map && xml::local_name(&e) == "navPoint" => open.push(Default::default()),
            Event::Start(e) if in_map && xml::local_name(&e) == "navLabel" => in_label = true,
            Event::End(e) if e.local_name().as_ref() == "navLabel" => in_label = false,
            Event::Start(e) | Event::Empty(e) if in_map && xml::local_name(&e) == "content" => {
                let target = xml::attribute(&e, "src", path)?.and_then(|src| target(path, &src));
                if let Some(point) = open.last_mut() {
                    point.1 = point.1.take().or(target);
                }
            }
            Event::Text(text) if in_label => push_label(&mut open, &text),
            Event::CData(text) if in_label => push_label(&mut open, &text),
            Event::GeneralRef(reference) if in_label => {
                push_label(&mut open, &xml::entity(&reference).unwrap_or_default())
            }
            Event::End(e) if in_map && e.local_name().as_ref() == "navPoint" => {
                let Some((label, target, children)) = open.pop() else { continue };
                let label = label.split_whitespace().collect::<Vec<_>>().join(" ");
                let parent = open.last_mut().map_or(&mut top, |parent| &mut parent.2);
                match target {
                    Some(target) if !label.is_empty() => parent.push(Entry { label, target, children }),
                    _ => parent.extend(children),
                }
            }
            Event::Eof => return Ok(top),
            _ => {}
        }
    }
}

fn push_label(open: &mut [(String, Option<String>, Vec<Entry>)], text: &str) {
    if let Some(point) = open.last_mut() {
        point.0.push_str(text);
    }
}

/// `href` (relative to the file `base`) as a path in the container with
/// its fragment kept; `None` if it leaves the container.
fn target(base: &str, href: &str) -> Option<String> {
    let path = resolve(base, href)?;
    Some(match href.split_once('#') {
        Some((_, fragment)) if !fragment.is_empty() => format!("{path}#{fragment}"),
        _ => path,
    })
}

/// An EPUB 3 navigation document at `path` listing `entries`, in the
/// book's language `lang`.
pub(crate) fn document(path: &str, title: &str, lang: Option<&str>, entries: &[Entry]) -> String {
    let lang = lang.map(|lang| format!(" xml:lang=\"{0}\" lang=\"{0}\"", xml::escape(lang))).unwrap_or_default();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE html>\n\
         <html xmlns=\"http://www.w3.org/1999/xhtml\" xmlns:epub=\"http://www.idpf.org/2007/ops\"{lang}>\n\
         <head>\n<meta charset=\"utf-8\"/>\n<title>{0}</title>\n</head>\n<body>\n\
         <nav epub:type=\"toc\" id=\"toc\" role=\"doc-toc\">\n<h1>{0}</h1>\n",
        xml::escape(title)
    );
    list(path, entries, &mut out);
    out.push_str("</nav>\n</body>\n</html>\n");
    out
}

/// `entries` as a nested `<ol>`, with links relative to the file `path`.
fn list(path: &str, entries: &[Entry], out: &mut String) {
    out.push_str("<ol>\n");
    for entry in entries {
        let (file, fragment) =
            entry.target.split_once('#').map_or((entry.target.as_str(), None), |(f, r)| (f, Some(r)));
        let mut href = relative(path, file);
        if let Some(fragment) = fragment {
            href = format!("{href}#{fragment}");
        }
        out.push_str(&format!("<li><a href=\"{}\">{}</a>", xml::escape(&href), xml::escape(&entry.label)));
        if !entry.children.is_empty() {
            out.push('\n');
            list(path, &entry.children, out);
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ol>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_label_of_each_document() {
        let nav = r#"<html xmlns="http://www.w3.org/1999/xhtml"><body><nav><ol>
            <li><a href="c1.xhtml">Chapter&#160;one</a><ol><li><a href="c1.xhtml#s2">Part</a></li></ol></li>
            <li><a href="sub/c2.xhtml"><span>Two</span> &amp; more</a></li></ol></nav></body></html>"#;
        let labels = labels("EPUB/xhtml/nav.xhtml", nav).unwrap();
        assert_eq!(labels["EPUB/xhtml/c1.xhtml"], "Chapter one");
        assert_eq!(labels["EPUB/xhtml/sub/c2.xhtml"], "Two & more");
    }

    #[test]
    fn an_ncx_becomes_nested_contents_and_a_navigation_document() {
        let ncx = r#"<?xml version='1.0' encoding='UTF-8'?>
<!DOCTYPE ncx PUBLIC '-//NISO//DTD ncx 2005-1//EN' 'http://www.daisy.org/z3986/2005/ncx-2005-1.dtd'>
<ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1"><docTitle><text>Book</text></docTitle>
<navMap>
  <navPoint id="a" playOrder="1"><navLabel><text>Pars prior &amp; <![CDATA[x]]></text></navLabel>
    <content src="Text/c%201.html#id1"/>
    <navPoint id="b" playOrder="2"><navLabel><text> I.  Periculum </text></navLabel><content src="Text/c%201.html#id2"/></navPoint>
  </navPoint>
  <navPoint id="c" playOrder="3"><navLabel><text></text></navLabel><content src="x.html"/>
    <navPoint id="d" playOrder="4"><navLabel><text>Inside</text></navLabel><content src="../../outside.html"/></navPoint>
    <navPoint id="e" playOrder="5"><navLabel><text>Kept</text></navLabel><content src="y.html"/></navPoint>
  </navPoint>
</navMap><pageList><pageTarget><navLabel><text>1</text></navLabel><content src="y.html"/></pageTarget></pageList></ncx>"#;
        let entries = from_ncx("OEBPS/toc.ncx", ncx).unwrap();
        let entry =
            |label: &str, target: &str, children| Entry { label: label.into(), target: target.into(), children };
        assert_eq!(
            entries,
            [
                entry(
                    "Pars prior & x",
                    "OEBPS/Text/c 1.html#id1",
                    vec![entry("I. Periculum", "OEBPS/Text/c 1.html#id2", vec![])]
                ),
                entry("Kept", "OEBPS/y.html", vec![]),
            ]
        );
        let nav = document("OEBPS/herald/nav.xhtml", "Liber <Esther>", Some("la"), &entries);
        assert!(nav.contains(r#"<nav epub:type="toc" id="toc" role="doc-toc">"#));
        assert!(nav.contains("<title>Liber &lt;Esther&gt;</title>"));
        assert!(nav.contains("<li><a href=\"../Text/c%201.html#id1\">Pars prior &amp; x</a>\n<ol>\n<li><a href=\"../Text/c%201.html#id2\">I. Periculum</a></li>\n</ol>\n</li>"), "{nav}");
        assert!(nav.contains(r#"<li><a href="../y.html">Kept</a></li>"#), "{nav}");
        let labels = labels("OEBPS/herald/nav.xhtml", &nav).unwrap();
        assert_eq!(labels["OEBPS/Text/c 1.html"], "Pars prior & x");
    }
}
