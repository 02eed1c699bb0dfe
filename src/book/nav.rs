//! The labels a book's navigation document (EPUB 3) gives its content
//! documents: a chapter's title is the first label that points at it.

use super::epub::resolve;
use super::xml;
use super::BookError;
use quick_xml::events::Event;
use std::collections::HashMap;

/// Each content document's first label in the navigation document at
/// `path`, by the document's path in the container.
pub fn labels(path: &str, text: &str) -> Result<HashMap<String, String>, BookError> {
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
}
