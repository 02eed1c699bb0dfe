//! A talking book made as a job of the batch queue (`POST /v1/books`): the
//! EPUB a client sent is stored beside the job's files (in the store the
//! replicas share, when there is one), and whichever replica takes the job
//! makes the book and the audiobook and puts their files there too, so any
//! replica serves them.

use super::make::Page;
use super::BookError;
use crate::cache::EpisodeFiles;
use crate::document::InputFormat;
use crate::pipeline::Pipeline;
use crate::speech::SpeechOptions;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Largest EPUB a client may send.
pub(crate) const MAX_BOOK_BYTES: usize = 64 << 20;
/// The stored EPUB a job reads.
const INPUT: &str = "input.epub";
/// The talking book a job makes.
pub(crate) const BOOK: &str = "book.epub";
/// The folder of the audiobook's files.
pub(crate) const AUDIOBOOK: &str = "audiobook";

/// What a client asked for: how to speak the book it sent.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BookOrder {
    /// A name for messages (`book.epub` unless the client named it).
    pub name: String,
    #[serde(default)]
    pub options: SpeechOptions,
}

/// A finished book, as its job records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct BookRecord {
    pub title: Option<String>,
    /// Seconds of audio.
    pub seconds: f64,
    pub sentences: usize,
    /// The audiobook's files, in playing order (chapters, playlist, cover).
    pub audiobook: Vec<String>,
    /// The chapters as Herald documents, for the reading page.
    #[serde(default)]
    pub chapters: Vec<ChapterDocument>,
}

/// A chapter of a finished book as a stored Herald document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct ChapterDocument {
    pub title: String,
    /// The document's id (its page is `/d/{id}`).
    pub document: String,
}

/// Checks that `epub` is a book Herald can read (a safe container with a
/// package document, EPUB 2 or 3), before it is queued.
pub(crate) fn check(epub: &[u8]) -> Result<(), BookError> {
    super::make::open(epub).map(drop)
}

/// Stores the EPUB of job `id`.
pub(crate) async fn store_input(files: &EpisodeFiles, id: &str, epub: Vec<u8>) -> std::io::Result<()> {
    files.put(id, INPUT, epub).await
}

/// Makes the talking book and the audiobook of job `id` and stores their
/// files beside its EPUB.
pub(crate) async fn make(pipeline: &Arc<Pipeline>, id: &str, order: &BookOrder) -> Result<BookRecord, BookError> {
    let files = pipeline.episode_files();
    let stored = |e: std::io::Error| BookError::Write(format!("the job's files: {e}"));
    let input = files.local_copy(id, INPUT).await.map_err(stored)?;
    let input = input.ok_or_else(|| BookError::Write(format!("the EPUB of job {id} is missing from the store")))?;
    let epub = tokio::fs::read(&input).await.map_err(stored)?;
    let work = tempfile::tempdir().map_err(stored)?;
    let out = work.path().join(BOOK);
    let made = super::make(pipeline, epub, &order.options, &out, |_| {}).await?;
    if made.skipped > 0 {
        return Err(BookError::Plan(format!("{} sentence(s) could not be spoken", made.skipped)));
    }
    let dir = work.path().join(AUDIOBOOK);
    let writing = dir.clone();
    let (made, names) = tokio::task::spawn_blocking(move || made.write_audiobook(&writing).map(|names| (made, names)))
        .await
        .map_err(|e| BookError::Write(e.to_string()))?
        .map_err(stored)?;
    files.put_file(id, BOOK, &out).await.map_err(stored)?;
    for name in &names {
        files.put_file(id, &format!("{AUDIOBOOK}/{name}"), &dir.join(name)).await.map_err(stored)?;
    }
    let chapters = chapter_documents(pipeline, &made.pages, &order.options).await;
    Ok(BookRecord {
        title: made.title.clone(),
        seconds: made.seconds,
        sentences: made.sentences,
        audiobook: names,
        chapters,
    })
}

/// Each chapter as a stored document (content-addressed, so shared by the
/// replicas and made once). Spoken with the book's options, its sentences
/// are those already in the segment cache. A chapter Herald cannot store as
/// a document (longer than a document may be) has no page.
async fn chapter_documents(pipeline: &Pipeline, pages: &[Page], options: &SpeechOptions) -> Vec<ChapterDocument> {
    let mut documents = Vec::new();
    for page in pages {
        match pipeline.create_document(page.html.clone(), InputFormat::Html, options).await {
            Ok(stored) => {
                documents.push(ChapterDocument { title: page.title.clone(), document: stored.id.to_string() })
            }
            Err(error) => tracing::warn!(chapter = %page.title, %error, "a chapter has no reading page"),
        }
    }
    documents
}
