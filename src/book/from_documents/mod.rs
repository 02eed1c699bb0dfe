//! A book from Herald's other inputs: statements (plain text, Markdown,
//! HTML), one chapter each in the order given, made into a minimal EPUB 3
//! in memory, which [`crate::book::make`] then reads like any other book.
//!
//! The EPUB holds the `mimetype` (first, stored), `META-INF/container.xml`,
//! a package document, a navigation document listing the chapters, and an
//! XHTML 5 content document per statement ([`chapter`]). The package says:
//!
//! - `dc:identifier`: a `urn:uuid:` from the BLAKE3 hash of the statements'
//!   names and bytes, so the same statements make the same book;
//! - `dc:title`: a lone statement's title (its first heading), else the
//!   name given (the file's or the folder's);
//! - `dc:language`: the chapters' languages, the one with the most text
//!   first (`und` only where no chapter names or shows one);
//! - `dcterms:modified`, and the accessibility of the text.

mod chapter;
#[cfg(test)]
mod tests;

use super::xml::escape;
use super::BookError;
use crate::statements::{dedupe_slugs, Statement};
use crate::text::LangTag;
use chapter::{xml_text, Chapter};
use std::collections::HashMap;
use std::io::Write;

/// Where the package document is; the content documents are in `EPUB/text/`.
const PACKAGE: &str = "EPUB/package.opf";
const NAV: &str = "EPUB/nav.xhtml";
const CONTAINER: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<container version=\"1.0\" xmlns=\"urn:oasis:names:tc:opendocument:xmlns:container\">\n\
  <rootfiles>\n    <rootfile full-path=\"EPUB/package.opf\" media-type=\"application/oebps-package+xml\"/>\n  \
</rootfiles>\n</container>\n";

/// The EPUB 3 of `statements`, a chapter each, in order; the book is
/// called `name` unless it is one statement with a title of its own.
pub(crate) fn epub(name: &str, mut statements: Vec<Statement>) -> Result<Vec<u8>, BookError> {
    if statements.is_empty() {
        return Err(BookError::Missing("statements to read (.txt, .md, .html)".into()));
    }
    dedupe_slugs(&mut statements);
    let mut chapters = Vec::new();
    for statement in &statements {
        let chapter =
            chapter::read(statement).map_err(|reason| BookError::Statement { name: statement.name.clone(), reason })?;
        chapters.push(chapter);
    }
    let title = match chapters.as_slice() {
        [only] if only.titled => only.title.clone(),
        _ => name.to_string(),
    };
    let languages = languages(&chapters);
    let book_lang = languages.first().cloned().unwrap_or_else(LangTag::und);
    let mut files: Vec<(String, Vec<u8>)> = vec![("META-INF/container.xml".into(), CONTAINER.as_bytes().to_vec())];
    let mut entries = Vec::new();
    for (statement, chapter) in statements.iter().zip(&chapters) {
        let path = format!("EPUB/text/{}.xhtml", statement.slug);
        let lang = chapter.lang.as_ref().unwrap_or(&book_lang);
        files.push((path.clone(), chapter::xhtml(chapter, lang).into_bytes()));
        let label = xml_text(&chapter.title);
        entries.push(super::nav::Entry { label, target: path, children: Vec::new() });
    }
    let nav = super::nav::document(NAV, &xml_text(&title), Some(book_lang.as_str()), &entries);
    files.push((NAV.into(), nav.into_bytes()));
    let identifier = identifier(&statements);
    let package = package(&identifier, &xml_text(&title), &languages, &entries);
    files.push((PACKAGE.into(), package.into_bytes()));
    zip(&files).map_err(|e| BookError::Write(format!("the EPUB of the statements: {e}")))
}

/// The chapters' languages, the one with the most text first.
fn languages(chapters: &[Chapter]) -> Vec<LangTag> {
    let mut weight: HashMap<&LangTag, usize> = HashMap::new();
    for chapter in chapters {
        let Some(lang) = &chapter.lang else { continue };
        *weight.entry(lang).or_default() += chapter.blocks.iter().map(|b| b.text.len()).sum::<usize>();
    }
    let mut languages: Vec<(&LangTag, usize)> = weight.into_iter().collect();
    languages.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    languages.into_iter().map(|(lang, _)| lang.clone()).collect()
}

/// `urn:uuid:` and a UUID (version 8, RFC 9562) from the statements' hashes.
fn identifier(statements: &[Statement]) -> String {
    let mut hasher = blake3::Hasher::new();
    for statement in statements {
        hasher.update(statement.name.as_bytes()).update(&[0]).update(statement.hash.as_bytes()).update(&[0]);
    }
    let mut bytes: [u8; 16] = hasher.finalize().as_bytes()[..16].try_into().expect("16 bytes");
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("urn:uuid:{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// The package document: metadata, the navigation document and the
/// chapters in the manifest, the chapters in the spine.
fn package(identifier: &str, title: &str, languages: &[LangTag], chapters: &[super::nav::Entry]) -> String {
    let first = languages.first().cloned().unwrap_or_else(LangTag::und);
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <package xmlns=\"http://www.idpf.org/2007/opf\" version=\"3.0\" unique-identifier=\"book-id\" xml:lang=\"{}\">\n\
         \x20 <metadata xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n\
         \x20   <dc:identifier id=\"book-id\">{}</dc:identifier>\n\
         \x20   <dc:title>{}</dc:title>\n",
        escape(first.as_str()),
        escape(identifier),
        escape(title)
    );
    for lang in if languages.is_empty() { std::slice::from_ref(&first) } else { languages } {
        out.push_str(&format!("    <dc:language>{}</dc:language>\n", escape(lang.as_str())));
    }
    let modified = humantime::format_rfc3339_seconds(std::time::SystemTime::now());
    out.push_str(&format!("    <meta property=\"dcterms:modified\">{modified}</meta>\n"));
    for (property, value) in [
        ("schema:accessMode", "textual"),
        ("schema:accessModeSufficient", "textual"),
        ("schema:accessibilityFeature", "tableOfContents"),
        ("schema:accessibilityFeature", "readingOrder"),
        ("schema:accessibilityFeature", "structuralNavigation"),
        ("schema:accessibilityHazard", "none"),
    ] {
        out.push_str(&format!("    <meta property=\"{property}\">{value}</meta>\n"));
    }
    out.push_str(
        "  </metadata>\n  <manifest>\n    \
         <item id=\"nav\" href=\"nav.xhtml\" media-type=\"application/xhtml+xml\" properties=\"nav\"/>\n",
    );
    let href = |entry: &super::nav::Entry| super::epub::relative(PACKAGE, &entry.target);
    for (n, entry) in chapters.iter().enumerate() {
        let item = format!("<item id=\"chapter-{}\" href=\"{}\"", n + 1, escape(&href(entry)));
        out.push_str(&format!("    {item} media-type=\"application/xhtml+xml\"/>\n"));
    }
    out.push_str("  </manifest>\n  <spine>\n");
    for n in 1..=chapters.len() {
        out.push_str(&format!("    <itemref idref=\"chapter-{n}\"/>\n"));
    }
    out.push_str("  </spine>\n</package>\n");
    out
}

/// The zip of an EPUB: `mimetype` first and stored, then `files`.
fn zip(files: &[(String, Vec<u8>)]) -> zip::result::ZipResult<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("mimetype", stored)?;
    zip.write_all(b"application/epub+zip")?;
    for (path, bytes) in files {
        zip.start_file(path.as_str(), deflated)?;
        zip.write_all(bytes)?;
    }
    Ok(zip.finish()?.into_inner())
}
