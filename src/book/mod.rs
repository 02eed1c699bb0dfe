//! Talking books: an EPUB in; an EPUB 3 with media overlays out, every
//! sentence of its text wrapped and synchronised with its audio, the rest
//! of the book kept as it was; and an audiobook of its chapters.
//!
//! [`epub`] reads the container safely, [`package`] the package document
//! and [`nav`] its tables of contents, [`upgrade`] makes an EPUB 2 book
//! EPUB 3, [`markup`] wraps the sentences of a
//! content document, [`overlay`] writes the SMIL files and metadata,
//! [`audiobook`] the chapter files for plain players, [`chapter_audio`]
//! each chapter's MP3 (made on disk, whatever its length), and [`make`]
//! speaks it all through the service; [`job`] makes a book as a job of
//! the batch queue. [`from_documents`] makes an EPUB of Herald's other
//! inputs (text, Markdown, HTML), which is then made a talking book the
//! same way.

mod audiobook;
mod chapter_audio;
mod epub;
pub(crate) mod from_documents;
pub(crate) mod job;
mod make;
mod markup;
mod nav;
mod overlay;
mod package;
mod upgrade;
mod xml;

pub(crate) use make::{make, Progress};

/// Why a book cannot be made. Every variant but `Write` is a problem with
/// the book (or the statement) given.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BookError {
    #[error("this is not an EPUB (not a zip archive): {0}")]
    NotZip(String),
    #[error("the book names a file outside itself: {0}")]
    UnsafePath(String),
    #[error("the book is too large: {0}")]
    TooLarge(String),
    #[error("the book is encrypted with DRM ({0}); Herald reads only books without it")]
    Drm(String),
    #[error("{0} declares XML entities of its own, which Herald does not expand")]
    Entities(String),
    #[error("the book is broken: {0}")]
    Broken(String),
    #[error("the book lacks {0}")]
    Missing(String),
    #[error("the book is EPUB {0}; Herald reads EPUB 2 and EPUB 3")]
    UnknownVersion(String),
    #[error("the book cannot be spoken: {0}")]
    Plan(String),
    #[error("{name}: {reason}")]
    Statement { name: String, reason: String },
    #[error("the talking book cannot be written: {0}")]
    Write(String),
}
