//! Stored documents: a statement, the options it was created with and its
//! plan, under a content-addressed [`DocumentId`].

use super::options::SpeechOptions;
use super::plan::Plan;
use crate::document::InputFormat;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A document id: 32 lower-case hex digits (128 bits of a BLAKE3 hash of the
/// format, options and text). Parsed before it touches a path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub(crate) struct DocumentId(String);

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("`{0}` is not a document id (32 hexadecimal digits)")]
pub(crate) struct InvalidDocumentId(pub(crate) String);

impl DocumentId {
    const LEN: usize = 32;

    pub(crate) fn parse(raw: &str) -> Result<Self, InvalidDocumentId> {
        if raw.len() == Self::LEN && raw.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            Ok(Self(raw.to_string()))
        } else {
            Err(InvalidDocumentId(raw.chars().take(40).collect()))
        }
    }

    /// The id of a text with its format and options.
    pub(crate) fn for_content(text: &str, format: InputFormat, options: &SpeechOptions) -> Self {
        let mut hasher = blake3::Hasher::new();
        hasher.update(serde_json::to_string(&(format, options)).expect("options serialize").as_bytes());
        hasher.update(b"\0");
        hasher.update(text.as_bytes());
        Self(hasher.finalize().to_hex()[..Self::LEN].to_string())
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for DocumentId {
    type Error = InvalidDocumentId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<DocumentId> for String {
    fn from(id: DocumentId) -> Self {
        id.0
    }
}

/// A document as stored: its source and its plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoredDocument {
    pub(crate) id: DocumentId,
    pub(crate) format: InputFormat,
    pub(crate) options: SpeechOptions,
    pub(crate) text: String,
    pub(crate) plan: Plan,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_content_addressed_and_validated() {
        let options = SpeechOptions::default();
        let a = DocumentId::for_content("hello", InputFormat::Text, &options);
        assert_eq!(a, DocumentId::for_content("hello", InputFormat::Text, &options));
        assert_ne!(a, DocumentId::for_content("hello", InputFormat::Markdown, &options));
        let faster = SpeechOptions { rate: super::super::Rate::new(300).unwrap(), ..options };
        assert_ne!(a, DocumentId::for_content("hello", InputFormat::Text, &faster));
        assert_eq!(DocumentId::parse(a.as_str()), Ok(a));
        for bad in ["", "../../etc/passwd", "ABCDEF0123456789ABCDEF0123456789", &"a".repeat(33)] {
            assert!(DocumentId::parse(bad).is_err(), "{bad}");
        }
    }
}
