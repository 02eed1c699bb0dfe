//! Ingest: parses an input (plain text, Markdown, HTML) into a [`Document`].
//!
//! Pure: no I/O, nothing about audio. Both parsers produce raw blocks; the
//! shared [`front_matter`] step then lifts the title, byline, dates and
//! editorial notes out of the head of the document, so every format gets the
//! same treatment. Page furniture (lines of bullets and bars with no letters
//! or digits) never becomes a block.

mod front_matter;
mod html;
mod markdown;
mod plain;

use crate::text::LangTag;
use serde::{Deserialize, Serialize};

/// Largest input Herald accepts, in bytes (documented in the README).
pub const MAX_INPUT_BYTES: usize = 2 * 1024 * 1024;

/// The input formats Herald can ingest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum InputFormat {
    #[default]
    Text,
    Markdown,
    Html,
}

impl InputFormat {
    /// The format for a media type such as `text/markdown; charset=utf-8`.
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        match media_type.split(';').next()?.trim().to_ascii_lowercase().as_str() {
            "text/plain" => Some(Self::Text),
            "text/markdown" | "text/x-markdown" => Some(Self::Markdown),
            "text/html" | "application/xhtml+xml" => Some(Self::Html),
            _ => None,
        }
    }

    /// The format for a file name's extension (`.md`, `.txt`).
    pub fn from_extension(ext: &str) -> Option<Self> {
        match ext.to_ascii_lowercase().as_str() {
            "txt" | "text" => Some(Self::Text),
            "md" | "markdown" => Some(Self::Markdown),
            "html" | "htm" | "xhtml" => Some(Self::Html),
            _ => None,
        }
    }
}

/// A parsed statement: its title, metadata lines and body blocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub title: Option<String>,
    pub meta: Vec<MetaLine>,
    pub blocks: Vec<Block>,
}

/// A line of metadata from the head of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetaLine {
    pub kind: MetaKind,
    pub text: String,
}

/// What a metadata line is. Only bylines are spoken by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetaKind {
    Byline,
    Date,
    Note,
}

impl MetaKind {
    pub fn is_spoken(self) -> bool {
        matches!(self, MetaKind::Byline)
    }
}

/// One block of body text, already normalised to a single line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub kind: BlockKind,
    pub text: String,
    /// A language hint carried by the source (e.g. an HTML `lang` attribute).
    pub lang: Option<LangTag>,
}

/// The structural role of a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum BlockKind {
    Heading { level: u8 },
    Paragraph,
    ListItem,
    Quote,
}

/// Why an input cannot become a document.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IngestError {
    #[error("the text is empty: it has no letters or digits to speak")]
    Empty,
    #[error("the text is {0} bytes; the limit is {MAX_INPUT_BYTES} bytes")]
    TooLarge(usize),
    #[error("the HTML is nested more than {0} elements deep")]
    TooDeep(usize),
}

/// Parses `input` in the given format.
pub fn ingest(input: &str, format: InputFormat) -> Result<Document, IngestError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(IngestError::TooLarge(input.len()));
    }
    let blocks = match format {
        InputFormat::Text => plain::parse(input),
        InputFormat::Markdown => markdown::parse(input),
        InputFormat::Html => html::parse(input)?,
    };
    let document = front_matter::split(blocks);
    if document.title.is_none() && document.blocks.is_empty() && document.meta.is_empty() {
        return Err(IngestError::Empty);
    }
    Ok(document)
}

/// A block as a parser found it, before the head of the document is read.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RawBlock {
    kind: BlockKind,
    text: String,
    /// True for a block that was one short line in the source (title candidate).
    single_line: bool,
    /// The source's own language for the block (HTML `lang`).
    lang: Option<LangTag>,
}
