//! An EPUB 2 package document as EPUB 3's: `version="3.0"` and the
//! package's `xml:lang` (its first `dc:language`); the `opf:`
//! attributes of Dublin Core elements, which EPUB 3 forbids, become `role`
//! and `file-as` refinements where they carry a name's role or sort key; a
//! second `dc:date` goes; manifest items get the properties EPUB 3 asks
//! for (`cover-image` on the cover `<meta name="cover">` names, `svg`…)
//! and the names of renamed files; the navigation document is listed.

use super::super::package::Package;
use super::super::xml;
use super::super::BookError;
use super::documents::relinked;
use quick_xml::events::{BytesStart, Event};
use std::collections::{BTreeMap, BTreeSet};

/// Dublin Core elements (the metadata's `dc:` children).
const DUBLIN_CORE: &[&str] = &[
    "contributor",
    "coverage",
    "creator",
    "date",
    "description",
    "format",
    "identifier",
    "language",
    "publisher",
    "relation",
    "rights",
    "source",
    "subject",
    "title",
    "type",
];
/// Attributes EPUB 3 allows on a Dublin Core element.
const DUBLIN_CORE_ATTRIBUTES: &[&str] = &["id", "xml:lang", "dir"];

/// What the upgraded package must say beyond the EPUB 2 one.
pub(crate) struct Changes<'a> {
    /// The navigation document's href, relative to the package.
    pub nav_href: &'a str,
    /// Renamed files: old path → new path.
    pub renamed: &'a BTreeMap<String, String>,
    /// Manifest properties by item id.
    pub properties: &'a BTreeMap<String, BTreeSet<&'static str>>,
}

/// The package document of `package` as EPUB 3's.
pub(crate) fn upgraded(package: &Package, changes: &Changes<'_>) -> Result<String, BookError> {
    let (path, text) = (package.path.as_str(), package.text.as_str());
    let mut reader = xml::reader(text);
    let mut edits = Vec::new();
    let mut refinements = Refinements::default();
    let (mut in_metadata, mut dates, mut cover) = (false, 0, None);
    // A second `dc:date` being removed: where it starts.
    let mut removing: Option<usize> = None;
    loop {
        let (range, event) = xml::next(&mut reader, path)?;
        let (element, empty) = match &event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(e) => {
                let at = range.start..range.start;
                match e.local_name().as_ref() {
                    "metadata" => {
                        in_metadata = false;
                        edits.push((at, std::mem::take(&mut refinements.metas)));
                    }
                    "manifest" => edits.push((at, nav_item(changes.nav_href))),
                    "date" => edits.extend(removing.take().map(|start| (start..range.end, String::new()))),
                    _ => {}
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let mut attributes = xml::raw_attributes(element, path)?;
        match xml::local_name(element).as_str() {
            "package" => {
                attributes.retain(|(key, _)| key != "version");
                attributes.push(("version".into(), "3.0".into()));
                let lang = package.languages.first().filter(|_| !attributes.iter().any(|(key, _)| key == "xml:lang"));
                attributes.extend(lang.map(|lang| ("xml:lang".to_string(), xml::escape(lang))));
            }
            "metadata" => {
                in_metadata = true;
                continue;
            }
            "meta" if in_metadata => {
                if xml::attribute(element, "name", path)?.as_deref() == Some("cover") {
                    cover = xml::attribute(element, "content", path)?;
                }
                continue;
            }
            "date" if in_metadata && dates > 0 => {
                match empty {
                    true => edits.push((range, String::new())),
                    false => removing = Some(range.start),
                }
                continue;
            }
            name if in_metadata && DUBLIN_CORE.contains(&name) => {
                dates += usize::from(name == "date");
                refinements.dublin_core(element, &mut attributes, path)?;
            }
            "item" => item(element, &mut attributes, cover.as_deref(), changes, path)?,
            "reference" => relink(&mut attributes, changes.renamed, path)?,
            _ => continue,
        }
        let name = element.name().as_ref().to_string();
        edits.push((range, xml::start_tag(&name, &attributes, empty)));
    }
    Ok(xml::splice(text, edits))
}

fn nav_item(href: &str) -> String {
    format!(
        "  <item id=\"herald-nav\" href=\"{}\" media-type=\"application/xhtml+xml\" properties=\"nav\"/>\n  ",
        xml::escape(href)
    )
}

/// A manifest item with its new name and the properties EPUB 3 asks for.
fn item(
    element: &BytesStart,
    attributes: &mut Vec<(String, String)>,
    cover: Option<&str>,
    changes: &Changes<'_>,
    path: &str,
) -> Result<(), BookError> {
    relink(attributes, changes.renamed, path)?;
    let id = xml::attribute(element, "id", path)?.unwrap_or_default();
    let mut properties: BTreeSet<String> = BTreeSet::new();
    if let Some(index) = attributes.iter().position(|(key, _)| key == "properties") {
        let (_, value) = attributes.remove(index);
        properties.extend(xml::unescape(&value, path)?.split_whitespace().map(str::to_string));
    }
    properties.extend(changes.properties.get(&id).into_iter().flatten().map(|p| p.to_string()));
    let image = xml::attribute(element, "media-type", path)?.is_some_and(|t| t.starts_with("image/"));
    if image && cover == Some(id.as_str()) {
        properties.insert("cover-image".into());
    }
    if !properties.is_empty() {
        let properties: Vec<String> = properties.into_iter().collect();
        attributes.push(("properties".into(), xml::escape(&properties.join(" "))));
    }
    Ok(())
}

/// Points an `href` at its target's new name, if it was renamed.
fn relink(
    attributes: &mut [(String, String)],
    renamed: &BTreeMap<String, String>,
    path: &str,
) -> Result<(), BookError> {
    for (_, value) in attributes.iter_mut().filter(|(key, _)| key == "href") {
        if let Some(link) = relinked(path, &xml::unescape(value, path)?, renamed) {
            *value = xml::escape(&link);
        }
    }
    Ok(())
}

/// The refinements that carry what the `opf:` attributes said.
#[derive(Default)]
struct Refinements {
    /// `<meta refines=…>` lines.
    metas: String,
    /// Ids given to elements that had none.
    given: usize,
}

impl Refinements {
    /// Keeps only the attributes EPUB 3 allows on a Dublin Core element;
    /// `opf:role` and `opf:file-as` become refinements of it (giving it an
    /// id if it has none).
    fn dublin_core(
        &mut self,
        element: &BytesStart,
        attributes: &mut Vec<(String, String)>,
        path: &str,
    ) -> Result<(), BookError> {
        let role = xml::attribute(element, "opf:role", path)?;
        let file_as = xml::attribute(element, "opf:file-as", path)?;
        attributes.retain(|(key, _)| DUBLIN_CORE_ATTRIBUTES.contains(&key.as_str()) || key.starts_with("xmlns"));
        if role.is_none() && file_as.is_none() {
            return Ok(());
        }
        let id = match attributes.iter().find(|(key, _)| key == "id") {
            Some((_, id)) => xml::unescape(id, path)?,
            None => {
                self.given += 1;
                let id = format!("herald-dc-{}", self.given);
                attributes.push(("id".into(), id.clone()));
                id
            }
        };
        let id = xml::escape(&id);
        if let Some(role) = role {
            let role = xml::escape(&role);
            self.metas.push_str(&format!(
                "    <meta refines=\"#{id}\" property=\"role\" scheme=\"marc:relators\">{role}</meta>\n"
            ));
        }
        if let Some(file_as) = file_as {
            let file_as = xml::escape(&file_as);
            self.metas.push_str(&format!("    <meta refines=\"#{id}\" property=\"file-as\">{file_as}</meta>\n"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPF2: &str = r#"<?xml version='1.0' encoding='utf-8'?>
<package xmlns="http://www.idpf.org/2007/opf" unique-identifier="BookID" version="2.0">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:opf="http://www.idpf.org/2007/opf">
    <dc:title>Kurzanleitung</dc:title>
    <dc:creator opf:role="aut" opf:file-as="Schember, John">John Schember</dc:creator>
    <dc:identifier id="BookID" opf:scheme="UUID">urn:uuid:2c32</dc:identifier>
    <dc:date>2015-04-26</dc:date>
    <dc:date opf:event="modification">2015-04-27</dc:date>
    <dc:language>de</dc:language>
    <meta name="cover" content="cover"/>
  </metadata>
  <manifest>
    <item href="text/a.html" id="a" media-type="application/xhtml+xml"/>
    <item href="toc.ncx" id="ncx" media-type="application/x-dtbncx+xml"/>
    <item href="images/cover.jpg" id="cover" media-type="image/jpeg"/>
  </manifest>
  <spine toc="ncx"><itemref idref="a"/></spine>
  <guide><reference href="text/a.html#start" title="Start" type="text"/></guide>
</package>"#;

    #[test]
    fn an_epub2_package_becomes_epub3() {
        let package = Package::parse("OEBPS/content.opf", OPF2.to_string()).unwrap();
        let renamed = BTreeMap::from([("OEBPS/text/a.html".to_string(), "OEBPS/text/a.xhtml".to_string())]);
        let properties = BTreeMap::from([("a".to_string(), BTreeSet::from(["svg"]))]);
        let changes = Changes { nav_href: "herald/nav.xhtml", renamed: &renamed, properties: &properties };
        let upgraded = Package::parse("OEBPS/content.opf", upgraded(&package, &changes).unwrap()).unwrap();
        assert!(upgraded.is_epub3());
        let text = &upgraded.text;
        assert!(text.contains(r#"unique-identifier="BookID" version="3.0" xml:lang="de">"#), "{text}");
        assert!(!text.contains("opf:"), "{text}");
        assert!(text.contains(r#"<dc:creator id="herald-dc-1">John Schember</dc:creator>"#), "{text}");
        assert!(text.contains(r##"<meta refines="#herald-dc-1" property="role" scheme="marc:relators">aut</meta>"##));
        assert!(text.contains(r##"<meta refines="#herald-dc-1" property="file-as">Schember, John</meta>"##));
        assert!(text.contains(r#"<dc:identifier id="BookID">urn:uuid:2c32</dc:identifier>"#), "{text}");
        assert_eq!(text.matches("<dc:date").count(), 1, "{text}");
        assert!(text.contains(r#"<reference href="text/a.xhtml#start" title="Start" type="text"/>"#), "{text}");
        let a = upgraded.item("a").unwrap();
        assert_eq!((a.path.as_str(), &a.properties[..]), ("OEBPS/text/a.xhtml", &["svg".to_string()][..]));
        assert_eq!(upgraded.item_with("cover-image").map(|i| i.path.as_str()), Some("OEBPS/images/cover.jpg"));
        assert_eq!(upgraded.item_with("nav").map(|i| i.path.as_str()), Some("OEBPS/herald/nav.xhtml"));
        assert_eq!(upgraded.title.as_deref(), Some("Kurzanleitung"));
    }
}
