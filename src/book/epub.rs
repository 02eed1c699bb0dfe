//! EPUB in: the OCF container (a zip) read whole into memory, safely.
//!
//! Every entry is checked before its bytes are trusted: names that would
//! escape the book's folder (`..`, absolute paths, backslashes) refuse the
//! book; the inflated size of each entry and of the whole book, and each
//! entry's compression ratio, are capped while inflating (the sizes a zip
//! claims are not believed); and a book encrypted with DRM
//! (`META-INF/encryption.xml` naming anything but font obfuscation) is
//! refused with a problem that says so.

use super::BookError;
use std::collections::BTreeMap;
use std::io::Read;

/// Largest inflated entry.
const MAX_ENTRY_BYTES: u64 = 64 << 20;
/// Largest inflated book.
const MAX_BOOK_BYTES: u64 = 512 << 20;
/// Entries at most.
const MAX_ENTRIES: usize = 10_000;
/// Highest inflated-to-stored ratio of an entry larger than [`RATIO_FLOOR`].
const MAX_RATIO: u64 = 200;
/// Entries smaller than this may compress as well as they like.
const RATIO_FLOOR: u64 = 1 << 20;

/// Font obfuscation algorithms (IDPF, Adobe): allowed in
/// `encryption.xml`; anything else there is DRM.
const FONT_OBFUSCATION: [&str; 2] = ["http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC"];

/// The files of an EPUB, by their path in the container.
#[derive(Debug)]
pub(crate) struct Container {
    files: BTreeMap<String, Vec<u8>>,
}

impl Container {
    /// Reads and checks every entry of the zip `bytes`.
    pub(crate) fn read(bytes: &[u8]) -> Result<Self, BookError> {
        let mut zip =
            zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| BookError::NotZip(e.to_string()))?;
        if zip.len() > MAX_ENTRIES {
            return Err(BookError::TooLarge(format!("{} entries; the limit is {MAX_ENTRIES}", zip.len())));
        }
        let mut files = BTreeMap::new();
        let mut total = 0u64;
        for index in 0..zip.len() {
            let mut entry = zip.by_index(index).map_err(|e| BookError::NotZip(e.to_string()))?;
            let name = entry.name().map_err(|e| BookError::Broken(e.to_string()))?.to_string();
            check_name(&name)?;
            if entry.is_dir() {
                continue;
            }
            let stored = entry.compressed_size().max(1);
            let mut inflated = Vec::new();
            (&mut entry)
                .take(MAX_ENTRY_BYTES + 1)
                .read_to_end(&mut inflated)
                .map_err(|e| BookError::Broken(format!("{name}: {e}")))?;
            let size = inflated.len() as u64;
            if size > MAX_ENTRY_BYTES {
                return Err(BookError::TooLarge(format!("{name} inflates past {} MiB", MAX_ENTRY_BYTES >> 20)));
            }
            if size > RATIO_FLOOR && size / stored > MAX_RATIO {
                return Err(BookError::TooLarge(format!("{name} inflates {}-fold (a zip bomb?)", size / stored)));
            }
            total += size;
            if total > MAX_BOOK_BYTES {
                return Err(BookError::TooLarge(format!("the book inflates past {} MiB", MAX_BOOK_BYTES >> 20)));
            }
            files.insert(name, inflated);
        }
        let container = Self { files };
        container.refuse_drm()?;
        Ok(container)
    }

    /// The bytes of the file at `path`.
    pub(crate) fn file(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    /// Every file, by path, in name order.
    pub(crate) fn files(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files.iter().map(|(path, bytes)| (path.as_str(), bytes.as_slice()))
    }

    /// Puts `bytes` at `path`, in place of what was there.
    pub(crate) fn replace(&mut self, path: &str, bytes: Vec<u8>) {
        self.files.insert(path.to_string(), bytes);
    }

    /// Takes the file at `path` out.
    pub(crate) fn remove(&mut self, path: &str) {
        self.files.remove(path);
    }

    /// A container of `files` (path, text), as tests make them.
    #[cfg(test)]
    pub(crate) fn from_files<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self { files: files.into_iter().map(|(path, text)| (path.to_string(), text.as_bytes().to_vec())).collect() }
    }

    /// The package document's path, from `META-INF/container.xml`.
    pub(crate) fn package_path(&self) -> Result<String, BookError> {
        let container = self.text("META-INF/container.xml")?;
        super::xml::attribute_of_first(&container, "rootfile", "full-path")?
            .ok_or_else(|| BookError::Broken("META-INF/container.xml names no package document".into()))
    }

    /// The UTF-8 (or UTF-16, with a byte order mark) text of the file at `path`.
    pub(crate) fn text(&self, path: &str) -> Result<String, BookError> {
        let bytes = self.file(path).ok_or_else(|| BookError::Missing(path.to_string()))?;
        let (text, _, malformed) =
            encoding_rs::Encoding::for_bom(bytes).map_or(encoding_rs::UTF_8, |(encoding, _)| encoding).decode(bytes);
        if malformed {
            return Err(BookError::Broken(format!("{path} is not valid text")));
        }
        Ok(text.into_owned())
    }

    /// Refuses a book whose `encryption.xml` encrypts anything other than
    /// obfuscated fonts.
    fn refuse_drm(&self) -> Result<(), BookError> {
        let Ok(encryption) = self.text("META-INF/encryption.xml") else { return Ok(()) };
        let algorithms = super::xml::attributes_of_all(&encryption, "EncryptionMethod", "Algorithm")?;
        match algorithms.into_iter().find(|algorithm| !FONT_OBFUSCATION.contains(&algorithm.as_str())) {
            Some(algorithm) => Err(BookError::Drm(algorithm)),
            None => Ok(()),
        }
    }
}

/// Refuses an entry name that would leave the book's folder.
fn check_name(name: &str) -> Result<(), BookError> {
    let escapes = name.starts_with('/')
        || name.contains('\\')
        || name.contains('\0')
        || name.split('/').any(|part| part == "..")
        || name.get(1..2) == Some(":");
    if escapes {
        return Err(BookError::UnsafePath(name.chars().take(200).collect()));
    }
    Ok(())
}

/// Resolves `href` (percent-encoded, relative to the file `base`) to a path
/// in the container; `None` if it leaves the container or is remote.
pub(crate) fn resolve(base: &str, href: &str) -> Option<String> {
    let href = href.split('#').next()?;
    if href.is_empty() || href.contains("://") || href.starts_with('/') {
        return None;
    }
    let href = percent_decode(href);
    let mut parts: Vec<&str> = base.rsplit_once('/').map_or_else(Vec::new, |(dir, _)| dir.split('/').collect());
    for part in href.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// The href from the file `from` to the file `to` (both paths in the
/// container), with the characters a URL cannot carry escaped.
pub(crate) fn relative(from: &str, to: &str) -> String {
    let from_dir: Vec<&str> = from.rsplit_once('/').map_or_else(Vec::new, |(dir, _)| dir.split('/').collect());
    let to_parts: Vec<&str> = to.split('/').collect();
    let common = from_dir.iter().zip(&to_parts).take_while(|(a, b)| a == b).count().min(to_parts.len() - 1);
    let mut parts = vec![".."; from_dir.len() - common];
    parts.extend(&to_parts[common..]);
    let mut href = String::new();
    for ch in parts.join("/").chars() {
        match ch {
            ' ' | '%' | '#' | '?' | '"' | '<' | '>' | '\\' | '^' | '`' | '{' | '|' | '}' => {
                href.push_str(&format!("%{:02X}", ch as u32));
            }
            ch => href.push(ch),
        }
    }
    href
}

/// `%XX` escapes decoded (as in hrefs to files with non-ASCII names).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_leave_the_folder_are_refused() {
        for name in ["../evil", "a/../../evil", "/etc/passwd", "C:/x", "a\\..\\b"] {
            assert!(matches!(check_name(name), Err(BookError::UnsafePath(_))), "{name}");
        }
        assert!(check_name("OEBPS/Text/ch01.xhtml").is_ok());
    }

    #[test]
    fn hrefs_resolve_inside_the_container() {
        assert_eq!(resolve("OEBPS/content.opf", "Text/ch1.xhtml#p2").as_deref(), Some("OEBPS/Text/ch1.xhtml"));
        assert_eq!(resolve("OEBPS/Text/ch1.xhtml", "../Images/a%20b.png").as_deref(), Some("OEBPS/Images/a b.png"));
        assert_eq!(resolve("content.opf", "../../x"), None);
        assert_eq!(resolve("content.opf", "https://example.com/x"), None);
    }

    #[test]
    fn relative_hrefs_round_trip() {
        let cases = [
            ("OEBPS/herald/1.smil", "OEBPS/Text/c 1.xhtml"),
            ("OEBPS/content.opf", "OEBPS/herald/a.mp3"),
            ("a.opf", "b/c.css"),
        ];
        for (from, to) in cases {
            assert_eq!(resolve(from, &relative(from, to)).as_deref(), Some(to), "{from} → {to}");
        }
        assert_eq!(relative("OEBPS/herald/1.smil", "OEBPS/Text/c 1.xhtml"), "../Text/c%201.xhtml");
    }
}
