//! The package document (OPF): what the book says about itself (title,
//! languages), what it holds (the manifest) and its reading order (the
//! spine); and the edits that make it a book with media overlays.

use super::epub::resolve;
use super::xml;
use super::BookError;
use quick_xml::events::Event;

/// A file the manifest lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Item {
    pub id: String,
    /// Its path in the container.
    pub path: String,
    pub media_type: String,
    pub properties: Vec<String>,
    /// Where its start tag ends in the package text (`/>` or `>`).
    tag_end: usize,
}

/// A spine entry: an item read in order, or aside (`linear="no"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SpineItem {
    pub idref: String,
    pub linear: bool,
}

/// A parsed package document, with the text it came from.
#[derive(Debug)]
pub(crate) struct Package {
    pub path: String,
    pub text: String,
    /// `3.0`, `2.0`…
    pub version: String,
    pub title: Option<String>,
    /// The first `dc:creator`.
    pub author: Option<String>,
    pub languages: Vec<String>,
    pub manifest: Vec<Item>,
    pub spine: Vec<SpineItem>,
    /// The `<meta property=…>` values, as (property, value).
    pub metas: Vec<(String, String)>,
    /// Where `</metadata>` and `</manifest>` start.
    metadata_end: usize,
    manifest_end: usize,
    /// The value of the existing `dcterms:modified`, and where it is.
    modified: Option<std::ops::Range<usize>>,
}

impl Package {
    pub(crate) fn parse(path: &str, text: String) -> Result<Self, BookError> {
        let broken = |e: &dyn std::fmt::Display| BookError::Broken(format!("{path}: {e}"));
        let mut reader = xml::reader(&text);
        let (mut version, mut title, mut author, mut languages) = (None, None, None, Vec::new());
        let (mut manifest, mut spine, mut metas) = (Vec::new(), Vec::new(), Vec::new());
        let (mut metadata_end, mut manifest_end, mut modified) = (None, None, None);
        // The element whose text is being gathered, and the text so far.
        let (mut in_element, mut content): (Option<String>, String) = (None, String::new());
        let mut modified_start = None;
        loop {
            let (std::ops::Range { start: before, end: after }, event) = xml::next(&mut reader, path)?;
            match event {
                Event::Start(e) | Event::Empty(e) => {
                    let name = xml::local_name(&e);
                    match name.as_str() {
                        "package" => version = xml::attribute(&e, "version", path)?,
                        "item" => {
                            let get = |name| xml::attribute(&e, name, path);
                            let (Some(id), Some(href), Some(media_type)) =
                                (get("id")?, get("href")?, get("media-type")?)
                            else {
                                continue;
                            };
                            let Some(item_path) = resolve(path, &href) else { continue };
                            let properties = get("properties")?.unwrap_or_default();
                            let properties = properties.split_whitespace().map(str::to_string).collect();
                            let tag_end = after - if text[..after].ends_with("/>") { 2 } else { 1 };
                            manifest.push(Item { id, path: item_path, media_type, properties, tag_end });
                        }
                        "itemref" => {
                            if let Some(idref) = xml::attribute(&e, "idref", path)? {
                                let linear = xml::attribute(&e, "linear", path)?.as_deref() != Some("no");
                                spine.push(SpineItem { idref, linear });
                            }
                        }
                        "meta" => {
                            if let Some(property) = xml::attribute(&e, "property", path)? {
                                if property == "dcterms:modified" {
                                    modified_start = Some(after);
                                }
                                in_element = Some(format!("meta {property}"));
                            }
                        }
                        "title" | "creator" | "language" => in_element = Some(name),
                        _ => {}
                    }
                }
                Event::Text(text) if in_element.is_some() => content.push_str(&text),
                Event::GeneralRef(reference) if in_element.is_some() => {
                    let resolved =
                        xml::entity(&reference).ok_or_else(|| broken(&format!("unknown entity &{};", &*reference)))?;
                    content.push_str(&resolved);
                }
                Event::End(e) => {
                    let gathered = std::mem::take(&mut content).trim().to_string();
                    match in_element.take().as_deref() {
                        Some("title") if title.is_none() => title = Some(gathered),
                        Some("creator") if author.is_none() => author = Some(gathered),
                        Some("language") => languages.push(gathered),
                        Some(meta) if meta.starts_with("meta ") => metas.push((meta[5..].to_string(), gathered)),
                        _ => {}
                    }
                    match e.local_name().as_ref() {
                        "metadata" => metadata_end = Some(before),
                        "manifest" => manifest_end = Some(before),
                        "meta" => {
                            if let Some(start) = modified_start.take() {
                                modified = Some(start..before);
                            }
                        }
                        _ => {}
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        let missing = |what: &str| BookError::Broken(format!("{path} has no {what}"));
        Ok(Self {
            path: path.to_string(),
            version: version.unwrap_or_else(|| "2.0".into()),
            title,
            author,
            languages: languages.into_iter().filter(|l| !l.is_empty()).collect(),
            spine,
            metadata_end: metadata_end.ok_or_else(|| missing("metadata"))?,
            manifest_end: manifest_end.ok_or_else(|| missing("manifest"))?,
            modified,
            manifest,
            metas,
            text,
        })
    }

    /// Whether the book is EPUB 3 (which media overlays need).
    pub(crate) fn is_epub3(&self) -> bool {
        self.version.starts_with('3')
    }

    pub(crate) fn item(&self, id: &str) -> Option<&Item> {
        self.manifest.iter().find(|item| item.id == id)
    }

    /// The content documents read in order (linear spine items that are XHTML).
    pub(crate) fn reading_order(&self) -> Vec<&Item> {
        self.spine
            .iter()
            .filter(|entry| entry.linear)
            .filter_map(|entry| self.item(&entry.idref))
            .filter(|item| item.media_type == "application/xhtml+xml")
            .collect()
    }

    /// The item with `property` among its properties (`nav`, `cover-image`).
    pub(crate) fn item_with(&self, property: &str) -> Option<&Item> {
        self.manifest.iter().find(|item| item.properties.iter().any(|p| p == property))
    }

    /// The package text with `edits` made: metadata and manifest items
    /// added, `media-overlay` set on the items that have one, and
    /// `dcterms:modified` set to `modified`.
    pub(crate) fn edited(&self, edits: &PackageEdits) -> String {
        let mut changes: Vec<(std::ops::Range<usize>, String)> = Vec::new();
        for (id, overlay) in &edits.overlays {
            if let Some(item) = self.item(id) {
                changes.push((item.tag_end..item.tag_end, format!(" media-overlay=\"{}\"", xml::escape(overlay))));
            }
        }
        let mut metadata = edits.metadata.clone();
        match &self.modified {
            // The old modification date is replaced, not kept beside the new one.
            Some(range) => changes.push((range.clone(), edits.modified.clone())),
            None => metadata.push_str(&format!("    <meta property=\"dcterms:modified\">{}</meta>\n", edits.modified)),
        }
        changes.push((self.metadata_end..self.metadata_end, metadata));
        changes.push((self.manifest_end..self.manifest_end, edits.manifest.clone()));
        xml::splice(&self.text, changes)
    }
}

/// What a book with media overlays adds to its package document.
#[derive(Debug, Default)]
pub(crate) struct PackageEdits {
    /// (content item id, overlay item id).
    pub overlays: Vec<(String, String)>,
    /// `<meta>` elements to add, one per line.
    pub metadata: String,
    /// `<item>` elements to add, one per line.
    pub manifest: String,
    /// `dcterms:modified`, as `CCYY-MM-DDThh:mm:ssZ`.
    pub modified: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPF: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:identifier id="id">urn:x</dc:identifier>
    <dc:title>Le &amp; titre</dc:title>
    <dc:language>fr</dc:language>
    <meta property="dcterms:modified">2020-01-01T00:00:00Z</meta>
  </metadata>
  <manifest>
    <item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>
    <item id="c1" href="Text/c1.xhtml" media-type="application/xhtml+xml"/>
    <item id="notes" href="Text/notes.xhtml" media-type="application/xhtml+xml"></item>
  </manifest>
  <spine><itemref idref="c1"/><itemref idref="notes" linear="no"/></spine>
</package>"#;

    #[test]
    fn the_package_is_read_and_edited_in_place() {
        let package = Package::parse("OEBPS/content.opf", OPF.to_string()).unwrap();
        assert!(package.is_epub3());
        assert_eq!(package.title.as_deref(), Some("Le & titre"));
        assert_eq!(package.languages, ["fr"]);
        assert_eq!(package.item_with("nav").unwrap().path, "OEBPS/nav.xhtml");
        let order: Vec<&str> = package.reading_order().iter().map(|i| i.id.as_str()).collect();
        assert_eq!(order, ["c1"], "linear items only");
        let edits = PackageEdits {
            overlays: vec![("c1".into(), "mo-c1".into()), ("notes".into(), "mo-notes".into())],
            metadata: "    <meta property=\"media:duration\">0:00:01.000</meta>\n".into(),
            manifest: "    <item id=\"mo-c1\" href=\"c1.smil\" media-type=\"application/smil+xml\"/>\n".into(),
            modified: "2026-12-06T00:00:00Z".into(),
        };
        let edited = package.edited(&edits);
        assert!(edited.contains(r#"href="Text/c1.xhtml" media-type="application/xhtml+xml" media-overlay="mo-c1"/>"#));
        assert!(edited.contains(r#"media-type="application/xhtml+xml" media-overlay="mo-notes"></item>"#));
        assert!(edited.contains("<meta property=\"dcterms:modified\">2026-12-06T00:00:00Z</meta>"));
        assert!(!edited.contains("2020-01-01"), "the old date is replaced");
        assert!(edited.contains("media:duration\">0:00:01.000</meta>\n</metadata>"));
        let again = Package::parse("OEBPS/content.opf", edited).unwrap();
        assert_eq!(again.manifest.len(), 4);
    }
}
