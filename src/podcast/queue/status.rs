//! Where a job and its episodes stand (a book is one), as clients see it:
//! made from the job's statements, moved on by the batch's progress (or, for batches
//! shared by replicas, by the queue's records).

use crate::book::job::BookRecord;
use serde::{Deserialize, Serialize};

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = BatchState)]
pub(crate) enum State {
    Queued,
    Running,
    Done,
    /// Stopped for good by an error outside any one episode (see `error`).
    Failed,
}

/// Where one episode of a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum EpisodeState {
    Pending,
    Making,
    Done,
    Failed,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct EpisodeStatus {
    pub name: String,
    pub slug: String,
    pub status: EpisodeState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A job's progress, as clients see it (and as stored once finished).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct JobStatus {
    pub id: String,
    #[serde(default)]
    pub kind: JobKind,
    pub state: State,
    pub total: usize,
    pub done: usize,
    pub failed: usize,
    pub episodes: Vec<EpisodeStatus>,
    /// Seconds of audio made, once finished.
    #[serde(default)]
    pub audio_seconds: f64,
    /// Why a failed job stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A finished book.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub book: Option<BookRecord>,
}

impl JobStatus {
    /// Counts the episodes done and failed.
    pub(in crate::podcast) fn recount(&mut self) {
        let count = |state| self.episodes.iter().filter(|e| e.status == state).count();
        (self.done, self.failed) = (count(EpisodeState::Done), count(EpisodeState::Failed));
    }
}

/// What a job makes: a podcast's episodes, or one talking book.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum JobKind {
    #[default]
    Podcast,
    Book,
}

/// A new job's status: `parts` (name, slug) pending, nothing made.
pub(in crate::podcast) fn initial_status(id: &str, kind: JobKind, parts: Vec<(String, String)>) -> JobStatus {
    let episodes: Vec<EpisodeStatus> = parts
        .into_iter()
        .map(|(name, slug)| EpisodeStatus { name, slug, status: EpisodeState::Pending, error: None })
        .collect();
    JobStatus {
        id: id.to_string(),
        kind,
        state: State::Queued,
        total: episodes.len(),
        done: 0,
        failed: 0,
        episodes,
        audio_seconds: 0.0,
        error: None,
        book: None,
    }
}
