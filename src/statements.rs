//! Statements to turn into podcast episodes or book chapters: read from a
//! directory (`.txt`, `.md`, `.html`) or given by a client, checked (valid UTF-8, something to speak)
//! and named by a slug that is stable across runs.

use crate::document::InputFormat;
use std::collections::HashSet;
use std::path::Path;

/// One statement, read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Statement {
    /// The file name (or the name a client gave), for messages.
    pub name: String,
    /// The episode's file stem: lower-case ASCII letters, digits and dashes.
    pub slug: String,
    pub format: InputFormat,
    pub text: String,
    /// BLAKE3 of the source bytes, hex.
    pub hash: String,
}

/// A statement that cannot become an episode, by name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[error("{name}: {reason}")]
pub(crate) struct SourceError {
    pub name: String,
    pub reason: String,
}

impl Statement {
    /// Checks `bytes` as the statement called `name` (its extension gives the format).
    pub(crate) fn from_bytes(name: &str, bytes: &[u8]) -> Result<Self, SourceError> {
        let fail = |reason: String| SourceError { name: name.to_string(), reason };
        let text = std::str::from_utf8(bytes)
            .map_err(|e| fail(format!("not valid UTF-8 (first bad byte at offset {})", e.valid_up_to())))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if !text.chars().any(char::is_alphanumeric) {
            return Err(fail("empty: there is nothing to speak".into()));
        }
        let path = Path::new(name);
        let format =
            path.extension().and_then(|e| e.to_str()).and_then(InputFormat::from_extension).unwrap_or_default();
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or(name);
        Ok(Self {
            name: name.to_string(),
            slug: slug(stem),
            format,
            text: text.to_string(),
            hash: blake3::hash(bytes).to_hex().to_string(),
        })
    }
}

/// Whether a file name is a statement Herald reads (by extension).
pub(crate) fn is_statement(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).and_then(InputFormat::from_extension).is_some()
}

/// Reads every statement in `dir` (not recursively), in name order. Files
/// that cannot be read or checked come back as errors; the rest are usable.
pub(crate) fn read_dir(dir: &Path) -> std::io::Result<(Vec<Statement>, Vec<SourceError>)> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file() && is_statement(path))
        .collect();
    paths.sort();
    let (mut statements, mut errors) = (Vec::new(), Vec::new());
    for path in paths {
        let name = path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        match std::fs::read(&path) {
            Ok(bytes) => match Statement::from_bytes(&name, &bytes) {
                Ok(statement) => statements.push(statement),
                Err(error) => errors.push(error),
            },
            Err(error) => errors.push(SourceError { name, reason: format!("cannot read: {error}") }),
        }
    }
    dedupe_slugs(&mut statements);
    Ok((statements, errors))
}

/// Makes slugs unique: a later statement with a taken slug gets `-2`, `-3`, …
pub(crate) fn dedupe_slugs(statements: &mut [Statement]) {
    let mut taken = HashSet::new();
    for statement in statements {
        let base = statement.slug.clone();
        let mut n = 1;
        while !taken.insert(statement.slug.clone()) {
            n += 1;
            statement.slug = format!("{base}-{n}");
        }
    }
}

/// `Joint Statement (2023).txt` → `joint-statement-2023`.
pub(crate) fn slug(stem: &str) -> String {
    let mut out = String::new();
    for c in stem.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    let out: String = out.chars().take(80).collect();
    if out.is_empty() {
        "episode".to_string()
    } else {
        out
    }
}

/// Whether `text` could be a slug Herald made (safe as a file name).
pub(crate) fn is_slug(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 90
        && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !text.starts_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_safe_and_unique() {
        assert_eq!(slug("Joint Statement (2023)"), "joint-statement-2023");
        assert_eq!(slug("Été à Paris"), "t-paris");
        assert_eq!(slug("..."), "episode");
        assert!(is_slug("a-1") && !is_slug("../x") && !is_slug("") && !is_slug("A"));
        let mut statements = vec![
            Statement::from_bytes("a.txt", b"One.").unwrap(),
            Statement::from_bytes("a.md", b"Two.").unwrap(),
            Statement::from_bytes("a.html", b"<p>Three.</p>").unwrap(),
        ];
        dedupe_slugs(&mut statements);
        let slugs: Vec<&str> = statements.iter().map(|s| s.slug.as_str()).collect();
        assert_eq!(slugs, ["a", "a-2", "a-3"]);
        assert_eq!(statements[1].format, InputFormat::Markdown);
        assert_eq!(statements[2].format, InputFormat::Html);
    }

    #[test]
    fn bad_statements_are_named() {
        let invalid = Statement::from_bytes("bad.txt", b"ok \xff\xfe").unwrap_err();
        assert_eq!(invalid.name, "bad.txt");
        assert!(invalid.reason.contains("UTF-8"), "{invalid}");
        let empty = Statement::from_bytes("empty.txt", b" \n-- \n").unwrap_err();
        assert!(empty.to_string().starts_with("empty.txt: empty"), "{empty}");
    }
}
