//! Ingest: parses an input (plain text, Markdown, HTML, SSML) into a [`Document`].
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
mod ssml;

use crate::text::LangTag;
use serde::{Deserialize, Serialize};

/// Largest input Herald accepts, in bytes (documented in the README).
pub const MAX_INPUT_BYTES: usize = 2 * 1024 * 1024;

/// The input formats Herald can ingest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum InputFormat {
    #[default]
    Text,
    Markdown,
    Html,
    Ssml,
}

impl InputFormat {
    /// The format for a media type such as `text/markdown; charset=utf-8`.
    pub(crate) fn from_media_type(media_type: &str) -> Option<Self> {
        match media_type.split(';').next()?.trim().to_ascii_lowercase().as_str() {
            "text/plain" => Some(Self::Text),
            "text/markdown" | "text/x-markdown" => Some(Self::Markdown),
            "text/html" | "application/xhtml+xml" => Some(Self::Html),
            "application/ssml+xml" => Some(Self::Ssml),
            _ => None,
        }
    }

    /// Text, or SSML when the text is an SSML document (it starts with
    /// `<speak`, or a DOCTYPE, after an optional XML declaration): for
    /// front doors whose clients send either in one field. A DOCTYPE makes
    /// it SSML so that it is refused as such, never read out as text.
    pub(crate) fn text_or_ssml(text: &str) -> Self {
        let mut start = text.trim_start();
        if let Some(after) = start.strip_prefix("<?xml").and_then(|rest| rest.split_once("?>")) {
            start = after.1.trim_start();
        }
        if start.starts_with("<speak") || start.starts_with("<!DOCTYPE") {
            Self::Ssml
        } else {
            Self::Text
        }
    }

    /// The format for a file name's extension (`.md`, `.txt`).
    pub(crate) fn from_extension(ext: &str) -> Option<Self> {
        match ext.to_ascii_lowercase().as_str() {
            "txt" | "text" => Some(Self::Text),
            "md" | "markdown" => Some(Self::Markdown),
            "html" | "htm" | "xhtml" => Some(Self::Html),
            "ssml" => Some(Self::Ssml),
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MetaLine {
    pub(crate) kind: MetaKind,
    pub text: String,
}

/// What a metadata line is. Only bylines are spoken by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum MetaKind {
    Byline,
    Date,
    Note,
}

impl MetaKind {
    pub(crate) fn is_spoken(self) -> bool {
        matches!(self, MetaKind::Byline)
    }
}

/// One block of body text, already normalised to a single line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Block {
    pub(crate) kind: BlockKind,
    pub text: String,
    /// A language hint carried by the source (e.g. an HTML `lang` attribute).
    pub(crate) lang: Option<LangTag>,
    /// How the source asks for the block to be spoken (SSML only).
    #[serde(default, skip_serializing_if = "Speaking::is_default")]
    pub(crate) speaking: Speaking,
}

/// How a block is to be spoken, as SSML asks: a voice by name, rate and
/// pitch as factors of normal, a pause after it, and named marks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Speaking {
    pub(crate) voice: Option<String>,
    pub(crate) rate: Option<f32>,
    pub(crate) pitch: Option<f32>,
    pub(crate) pause_after_ms: Option<u32>,
    pub(crate) marks: Vec<TextMark>,
}

impl Speaking {
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// A named point in a block's text (an SSML `mark`), at a char offset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TextMark {
    pub(crate) name: String,
    pub(crate) offset: usize,
}

/// The structural role of a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub(crate) enum BlockKind {
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
    #[error("the markup is nested more than {0} elements deep")]
    TooDeep(usize),
    #[error("the SSML is not usable: {0}")]
    Ssml(String),
}

/// Parses `input` in the given format.
pub fn ingest(input: &str, format: InputFormat) -> Result<Document, IngestError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(IngestError::TooLarge(input.len()));
    }
    let document = match format {
        InputFormat::Text => front_matter::split(plain::parse(input)),
        InputFormat::Markdown => front_matter::split(markdown::parse(input)),
        InputFormat::Html => front_matter::split(html::parse(input)?),
        // SSML says what is spoken and how: no head is lifted out of it.
        InputFormat::Ssml => Document { title: None, meta: Vec::new(), blocks: ssml::parse(input)? },
    };
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
