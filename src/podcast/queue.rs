//! The batch queue every HTTP batch and book goes through: what a job is
//! (a podcast's request and documents, or a talking book's order; its
//! status), why one is refused, and the one trait its two backends implement — this replica's own directory
//! ([`super::jobs`]) or the queue the replicas share in PostgreSQL
//! ([`super::shared`]).

use super::config::{Show, ShowError};
use crate::book::job::BookOrder;
use crate::document::InputFormat;
use crate::statements::{dedupe_slugs, SourceError, Statement};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;

mod status;

pub(super) use status::initial_status;
pub(crate) use status::{EpisodeState, JobKind, JobStatus, State};

/// Where checked jobs wait, run, and leave their files.
#[async_trait::async_trait]
pub(crate) trait BatchQueue: Send + Sync {
    /// Stores and queues the checked job `id`, whose status starts as `status`.
    async fn enqueue(&self, id: &str, job: &Job, status: JobStatus) -> Result<(), JobError>;
    /// Job `id` as clients see it; `Ok(None)` if there is no such job.
    async fn status(&self, id: &str) -> Result<Option<JobStatus>, JobError>;
    /// A local file of a job's feed.
    async fn feed_file(&self, id: &str) -> Result<PathBuf, JobError>;
    /// A local file of a finished episode's file `SLUG.EXTENSION`.
    async fn episode_file(&self, id: &str, slug: &str, extension: &str) -> Result<PathBuf, JobError>;
    /// Works the queue until the task running it is aborted.
    async fn work(self: Arc<Self>);
}

/// A job as it is stored and run.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum Job {
    /// A talking book of the EPUB stored beside the job (`{"book": …}`).
    Book {
        book: BookOrder,
    },
    Podcast(JobRequest),
}

impl Job {
    /// The job's status before anything is made: an episode per statement,
    /// or the one book.
    pub(super) fn initial_status(&self, id: &str) -> Result<JobStatus, SourceError> {
        Ok(match self {
            Job::Podcast(request) => {
                let parts = statements(&request.documents)?.into_iter().map(|s| (s.name, s.slug)).collect();
                initial_status(id, JobKind::Podcast, parts)
            }
            Job::Book { book } => initial_status(id, JobKind::Book, vec![(book.name.clone(), "book".into())]),
        })
    }
}

/// What a client sends: the show and its statements.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct JobRequest {
    pub show: Show,
    pub documents: Vec<JobDocument>,
}

/// One statement of a job.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct JobDocument {
    /// A name for messages and the episode's slug (default `document-N`).
    #[serde(default)]
    pub name: Option<String>,
    pub text: String,
    /// text, markdown or html (default: from the name's extension, else text).
    #[serde(default)]
    pub format: Option<InputFormat>,
}

/// Why a job could not be accepted.
#[derive(Debug, thiserror::Error)]
pub(crate) enum JobError {
    #[error("a batch needs at least one document")]
    NoDocuments,
    #[error("a batch holds at most {MAX_DOCUMENTS} documents, not {0}")]
    TooMany(usize),
    #[error("document {0}")]
    Document(SourceError),
    #[error("show: {0}")]
    Show(#[from] ShowError),
    #[error("cannot store the batch: {0}")]
    Store(#[from] std::io::Error),
    /// The EPUB of a book cannot be read.
    #[error(transparent)]
    Book(#[from] crate::book::BookError),
    /// The database or store shared by the replicas does not answer.
    #[error("the batch queue is unavailable: {0}")]
    Unavailable(String),
}

/// Documents one job may hold.
pub(crate) const MAX_DOCUMENTS: usize = 500;

/// The statements of a job's documents, checked, with unique slugs.
pub(super) fn statements(documents: &[JobDocument]) -> Result<Vec<Statement>, SourceError> {
    let mut out = Vec::with_capacity(documents.len());
    for (i, document) in documents.iter().enumerate() {
        let name = document.name.clone().unwrap_or_else(|| format!("document-{}", i + 1));
        let mut statement = Statement::from_bytes(&name, document.text.as_bytes())?;
        if let Some(format) = document.format {
            statement.format = format;
        }
        out.push(statement);
    }
    dedupe_slugs(&mut out);
    Ok(out)
}

/// A job id: 32 lower-case hex digits.
pub(crate) fn is_job_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
