//! EPUB 2 in, EPUB 3 out: what an EPUB 2 book needs to become a valid
//! EPUB 3 book that media overlays can be added to, done in place on the
//! container before anything is marked or spoken.
//!
//! - Content documents named otherwise are renamed `….xhtml`, as EPUB 3
//!   asks, and every link to them follows; [`documents`] makes them XHTML 5
//!   and the NCX DOCTYPE-free (the NCX is kept for older reading systems).
//! - A navigation document is made from the NCX (or, without one, from the
//!   spine).
//! - [`package`] makes the package document EPUB 3's.

mod documents;
mod package;

use super::epub::{relative, Container};
use super::nav::{self, Entry};
use super::package::Package;
use super::xml;
use super::BookError;
use documents::Rewrite;
use quick_xml::events::Event;
use std::collections::{BTreeMap, BTreeSet};

const XHTML: &str = "application/xhtml+xml";
const NCX: &str = "application/x-dtbncx+xml";

/// Makes the EPUB 2 book in `container` an EPUB 3 book, with a navigation
/// document at `nav_path`; returns its new package.
pub(crate) fn to_epub3(container: &mut Container, package: &Package, nav_path: &str) -> Result<Package, BookError> {
    let renamed = renames(container, package);
    let mut properties = BTreeMap::new();
    for item in package.manifest.iter().filter(|item| item.media_type == XHTML) {
        // A missing content document is reported when the spine is read.
        let Ok(text) = container.text(&item.path) else { continue };
        let rewrite = Rewrite { path: &item.path, doctype: "<!DOCTYPE html>", renamed: &renamed };
        let rewritten = documents::rewrite(&text, &rewrite)?;
        let new_path = renamed.get(&item.path).unwrap_or(&item.path);
        container.remove(&item.path);
        container.replace(new_path, rewritten.text.into_bytes());
        properties.insert(item.id.clone(), rewritten.properties);
    }
    let ncx = package.manifest.iter().find(|item| item.media_type == NCX);
    if let Some(ncx) = ncx {
        let text = container.text(&ncx.path)?;
        let rewritten = documents::rewrite(&text, &Rewrite { path: &ncx.path, doctype: "", renamed: &renamed })?;
        container.replace(&ncx.path, rewritten.text.into_bytes());
    }
    let changes =
        package::Changes { nav_href: &relative(&package.path, nav_path), renamed: &renamed, properties: &properties };
    let upgraded = Package::parse(&package.path, package::upgraded(package, &changes)?)?;
    let entries = match ncx.map(|ncx| nav::from_ncx(&ncx.path, &container.text(&ncx.path)?)).transpose()? {
        Some(entries) if !entries.is_empty() => entries,
        _ => spine_contents(container, &upgraded),
    };
    let title = package.title.as_deref().filter(|t| !t.is_empty()).unwrap_or("Contents");
    let lang = package.languages.first().map(String::as_str);
    container.replace(nav_path, nav::document(nav_path, title, lang, &entries).into_bytes());
    Ok(upgraded)
}

/// The XHTML documents whose names do not end in `.xhtml`: old path → new
/// path (`ch1.html` → `ch1.xhtml`, or `ch1.html.xhtml` where that is taken).
fn renames(container: &Container, package: &Package) -> BTreeMap<String, String> {
    let mut renamed = BTreeMap::new();
    let mut taken: BTreeSet<String> = container.files().map(|(path, _)| path.to_string()).collect();
    for item in package.manifest.iter().filter(|item| item.media_type == XHTML && !item.path.ends_with(".xhtml")) {
        let stem = item.path.rsplit_once('.').filter(|(stem, _)| !stem.ends_with('/')).map_or(&item.path[..], |s| s.0);
        let mut new = format!("{stem}.xhtml");
        if taken.contains(&new) {
            new = format!("{}.xhtml", item.path);
        }
        taken.insert(new.clone());
        renamed.insert(item.path.clone(), new);
    }
    renamed
}

/// A chapter per content document of the spine, named by its `<title>`
/// (else its file name).
fn spine_contents(container: &Container, package: &Package) -> Vec<Entry> {
    let mut entries = Vec::new();
    for item in package.reading_order() {
        let title = container.text(&item.path).ok().and_then(|text| title_of(&item.path, &text));
        let name = item.path.rsplit('/').next().unwrap_or(&item.path);
        let label = title.unwrap_or_else(|| name.to_string());
        entries.push(Entry { label, target: item.path.clone(), children: Vec::new() });
    }
    entries
}

/// The text of a document's `<title>`, if it has a non-empty one.
fn title_of(path: &str, text: &str) -> Option<String> {
    let mut reader = xml::reader(text);
    let mut title: Option<String> = None;
    loop {
        match xml::next(&mut reader, path).ok()?.1 {
            Event::Start(e) if xml::local_name(&e) == "title" => title = Some(String::new()),
            Event::Text(text) => title.iter_mut().for_each(|t| t.push_str(&text)),
            Event::GeneralRef(r) => title.iter_mut().for_each(|t| t.push_str(&xml::entity(&r).unwrap_or_default())),
            Event::End(e) if e.local_name().as_ref() == "title" => {
                let title = title?.split_whitespace().collect::<Vec<_>>().join(" ");
                return (!title.is_empty()).then_some(title);
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPF2: &str = r#"<?xml version='1.0' encoding='utf-8'?>
<package xmlns="http://www.idpf.org/2007/opf" unique-identifier="id" version="2.0">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">x</dc:identifier>
    <dc:title>T</dc:title><dc:language>de</dc:language></metadata>
  <manifest>
    <item href="text/a.html" id="a" media-type="application/xhtml+xml"/>
    <item href="text/b.xhtml" id="b" media-type="application/xhtml+xml"/>
  </manifest>
  <spine><itemref idref="a"/><itemref idref="b"/></spine>
</package>"#;

    #[test]
    fn a_book_without_an_ncx_gets_contents_from_its_spine_and_xhtml_names() {
        let mut container = Container::from_files([
            (
                "OEBPS/text/a.html",
                "<html><head><title> Einleitung </title></head><body><a href='b.xhtml'>b</a></body></html>",
            ),
            ("OEBPS/text/b.xhtml", "<html><head/><body><a href=\"a.html#x\">a</a></body></html>"),
        ]);
        let package = Package::parse("OEBPS/content.opf", OPF2.to_string()).unwrap();
        let upgraded = to_epub3(&mut container, &package, "OEBPS/herald/nav.xhtml").unwrap();
        let order: Vec<&str> = upgraded.reading_order().iter().map(|item| item.path.as_str()).collect();
        assert_eq!(order, ["OEBPS/text/a.xhtml", "OEBPS/text/b.xhtml"]);
        assert!(container.file("OEBPS/text/a.html").is_none());
        assert!(container.text("OEBPS/text/b.xhtml").unwrap().contains("<a href=\"a.xhtml#x\">a</a>"));
        let nav = container.text("OEBPS/herald/nav.xhtml").unwrap();
        assert!(nav.contains(r#"<li><a href="../text/a.xhtml">Einleitung</a></li>"#), "{nav}");
        assert!(nav.contains(r#"<li><a href="../text/b.xhtml">b.xhtml</a></li>"#), "{nav}");
        assert!(nav.contains(r#"xml:lang="de" lang="de""#), "{nav}");
        assert!(upgraded.item_with("nav").is_some());
    }
}
