//! Batches run for HTTP clients: each job is a show and its statements,
//! kept under `CACHE_DIR/batches/{id}/` (the request, the batch's output and,
//! once finished, its final status). Jobs run one after another through the
//! same [`super::batch`] as the command line; a job that was unfinished when
//! Herald stopped is resumed when it starts again (finished episodes are
//! kept, thanks to the batch's manifest). Nothing here speaks HTTP.

use super::batch::{self, Batch};
use super::config::{Show, ShowError};
use super::feed::episode_path;
use super::shared::SharedJobs;
use super::source::{dedupe_slugs, SourceError, Statement};
use crate::cache::atomic::{self, Durability};
use crate::document::InputFormat;
use crate::pipeline::Pipeline;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

mod status;

pub(super) use status::initial_status;
use status::update;
pub use status::{EpisodeState, EpisodeStatus, JobStatus, State};

/// What a client sends: the show and its statements.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobRequest {
    pub show: Show,
    pub documents: Vec<JobDocument>,
}

/// One statement of a job.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobDocument {
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
pub enum JobError {
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
    /// The database or store shared by the replicas does not answer.
    #[error("the batch queue is unavailable: {0}")]
    Unavailable(String),
}

/// Documents one job may hold.
pub const MAX_DOCUMENTS: usize = 500;

const REQUEST: &str = "request.json";
const STATUS: &str = "status.json";

/// The jobs of this Herald, in memory and on disk.
pub struct Jobs {
    dir: PathBuf,
    pipeline: Arc<Pipeline>,
    /// With a database configured: the batches of the whole cluster.
    shared: Option<Arc<SharedJobs>>,
    jobs: Mutex<HashMap<String, Arc<Mutex<JobStatus>>>>,
    queue: mpsc::UnboundedSender<String>,
    queued: Mutex<Option<mpsc::UnboundedReceiver<String>>>,
}

impl Jobs {
    /// Opens the jobs under `CACHE_DIR/batches`; unfinished ones are queued
    /// again and run once [`Jobs::start`] is called. With a database
    /// configured, the jobs are the cluster's, queued in the database
    /// ([`SharedJobs`]).
    pub fn open(pipeline: Arc<Pipeline>) -> Self {
        let dir = pipeline.settings().cache_dir.join("batches");
        let (queue, queued) = mpsc::unbounded_channel();
        let shared =
            pipeline.database().map(|database| Arc::new(SharedJobs::new(Arc::clone(&pipeline), Arc::clone(database))));
        let jobs =
            Self { dir, pipeline, shared, jobs: Mutex::new(HashMap::new()), queue, queued: Mutex::new(Some(queued)) };
        if jobs.shared.is_some() {
            return jobs;
        }
        let mut found: Vec<(std::time::SystemTime, String)> = std::fs::read_dir(&jobs.dir)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .filter_map(|e| {
                let id = e.file_name().into_string().ok().filter(|id| is_job_id(id))?;
                Some((e.metadata().and_then(|m| m.modified()).ok()?, id))
            })
            .collect();
        found.sort();
        for (_, id) in found {
            if let Err(error) = jobs.load(&id) {
                tracing::warn!(%id, %error, "a stored batch is unreadable and was left alone");
            }
        }
        jobs
    }

    fn load(&self, id: &str) -> std::io::Result<()> {
        let dir = self.dir.join(id);
        let status = match std::fs::read(dir.join(STATUS)) {
            Ok(bytes) => serde_json::from_slice::<JobStatus>(&bytes).map_err(std::io::Error::other)?,
            Err(_) => {
                let request: JobRequest =
                    serde_json::from_slice(&std::fs::read(dir.join(REQUEST))?).map_err(std::io::Error::other)?;
                let status = initial_status(id, &statements(&request.documents).map_err(std::io::Error::other)?);
                let _ = self.queue.send(id.to_string());
                tracing::info!(%id, "resuming an unfinished batch");
                status
            }
        };
        self.jobs.lock().expect("jobs lock").insert(id.to_string(), Arc::new(Mutex::new(status)));
        Ok(())
    }

    /// Runs queued jobs, one at a time, on a task the caller stops (by
    /// aborting it) when Herald stops. Only the first call starts it.
    pub fn start(self: &Arc<Self>) -> Option<tokio::task::JoinHandle<()>> {
        let mut queued = self.queued.lock().expect("queue lock").take()?;
        if let Some(shared) = &self.shared {
            return Some(tokio::spawn(Arc::clone(shared).work(self.pipeline.settings().worker_count())));
        }
        let jobs = Arc::clone(self);
        Some(tokio::spawn(async move {
            while let Some(id) = queued.recv().await {
                if let Err(error) = jobs.run(&id).await {
                    tracing::error!(%id, %error, "batch failed");
                    let jobs = Arc::clone(&jobs);
                    let _ = tokio::task::spawn_blocking(move || jobs.fail(&id)).await;
                }
            }
        }))
    }

    /// Stores and queues a new job; returns its id. A show without a base
    /// URL gets `base_url(id)`.
    pub async fn submit(
        self: &Arc<Self>,
        mut request: JobRequest,
        base_url: impl FnOnce(&str) -> String,
    ) -> Result<String, JobError> {
        if request.documents.is_empty() {
            return Err(JobError::NoDocuments);
        }
        if request.documents.len() > MAX_DOCUMENTS {
            return Err(JobError::TooMany(request.documents.len()));
        }
        let statements = statements(&request.documents).map_err(JobError::Document)?;
        let id = new_id(&serde_json::to_vec(&request).expect("requests serialize"));
        if request.show.base_url.trim().is_empty() {
            request.show.base_url = base_url(&id);
        }
        request.show = request.show.checked()?;
        if let Some(shared) = &self.shared {
            shared.submit(&id, &request).await?;
            return Ok(id);
        }
        let jobs = Arc::clone(self);
        tokio::task::spawn_blocking(move || jobs.store(id, &request, &statements))
            .await
            .map_err(|e| JobError::Store(std::io::Error::other(e)))?
    }

    /// Stores and queues a new local job.
    fn store(&self, id: String, request: &JobRequest, statements: &[Statement]) -> Result<String, JobError> {
        let json = serde_json::to_vec(request).expect("requests serialize");
        atomic::write(&self.dir.join(&id).join(REQUEST), &json, Durability::Synced)?;
        let status = initial_status(&id, statements);
        self.jobs.lock().expect("jobs lock").insert(id.clone(), Arc::new(Mutex::new(status)));
        let _ = self.queue.send(id.clone());
        Ok(id)
    }

    /// A job's status, if it exists.
    pub async fn status(&self, id: &str) -> Result<Option<JobStatus>, JobError> {
        if let Some(shared) = &self.shared {
            return shared.status(id).await;
        }
        let Some(job) = self.jobs.lock().expect("jobs lock").get(id).cloned() else { return Ok(None) };
        let status = job.lock().expect("job lock").clone();
        Ok(Some(status))
    }

    /// The local file of a finished job's feed.
    pub async fn feed_file(&self, id: &str) -> Result<PathBuf, JobError> {
        match &self.shared {
            Some(shared) => shared.feed_file(id).await,
            None => Ok(self.output_dir(id).join("feed.xml")),
        }
    }

    /// The local file of a finished episode's file `SLUG.EXTENSION`.
    pub async fn episode_file(&self, id: &str, slug: &str, extension: &str) -> Result<PathBuf, JobError> {
        match &self.shared {
            Some(shared) => shared.file(id, &format!("{slug}.{extension}")).await,
            None => Ok(self.output_dir(id).join(episode_path(slug, extension))),
        }
    }

    /// Where a local job's batch writes (`feed.xml`, `episodes/`).
    fn output_dir(&self, id: &str) -> PathBuf {
        self.dir.join(id).join("out")
    }

    /// Marks a job that could not run to its end as failed, for good: its
    /// clients stop waiting, and a restart does not run it again.
    fn fail(&self, id: &str) {
        let Some(job) = self.jobs.lock().expect("jobs lock").get(id).cloned() else { return };
        let status = {
            let mut status = job.lock().expect("job lock");
            status.state = State::Failed;
            status.error = Some("the batch could not be completed; the server log says why".into());
            status.clone()
        };
        let saved = serde_json::to_vec(&status)
            .map_err(std::io::Error::other)
            .and_then(|bytes| atomic::write(&self.dir.join(id).join(STATUS), &bytes, Durability::Synced));
        if let Err(error) = saved {
            tracing::warn!(%id, %error, "could not record that a batch failed");
        }
    }

    /// Runs one job; file work goes to blocking threads.
    async fn run(&self, id: &str) -> std::io::Result<()> {
        let Some(job) = self.jobs.lock().expect("jobs lock").get(id).cloned() else { return Ok(()) };
        let request_path = self.dir.join(id).join(REQUEST);
        let request: JobRequest = tokio::task::spawn_blocking(move || {
            serde_json::from_slice(&std::fs::read(request_path)?).map_err(std::io::Error::other)
        })
        .await
        .map_err(std::io::Error::other)??;
        let statements = statements(&request.documents).map_err(std::io::Error::other)?;
        job.lock().expect("job lock").state = State::Running;
        let batch = Batch {
            show: request.show,
            statements,
            rejected: Vec::new(),
            out: self.output_dir(id),
            jobs: self.pipeline.settings().worker_count(),
        };
        let progress = {
            let job = Arc::clone(&job);
            Arc::new(move |event| update(&mut job.lock().expect("job lock"), event))
        };
        let summary = batch::run(Arc::clone(&self.pipeline), batch, progress).await.map_err(std::io::Error::other)?;
        let status = {
            let mut status = job.lock().expect("job lock");
            status.state = State::Done;
            status.audio_seconds = summary.audio_seconds;
            status.clone()
        };
        let (path, bytes) = (self.dir.join(id).join(STATUS), serde_json::to_vec(&status)?);
        tokio::task::spawn_blocking(move || atomic::write(&path, &bytes, Durability::Synced))
            .await
            .map_err(std::io::Error::other)?
    }
}

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
pub fn is_job_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn new_id(request: &[u8]) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(request);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    hasher.update(&now.as_nanos().to_le_bytes());
    hasher.update(&std::process::id().to_le_bytes());
    hasher.finalize().to_hex()[..32].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::podcast::batch::Progress;

    #[test]
    fn progress_updates_episodes_and_counts() {
        let documents: Vec<JobDocument> = ["a.txt", "a.md", "b.html"]
            .iter()
            .map(|n| JobDocument { name: Some(n.to_string()), text: "Hello there.".into(), format: None })
            .collect();
        let checked = statements(&documents).unwrap();
        let mut status = initial_status("0123456789abcdef0123456789abcdef", &checked);
        assert_eq!(status.episodes.iter().map(|e| e.slug.as_str()).collect::<Vec<_>>(), ["a", "a-2", "b"]);
        update(&mut status, Progress::Making { slug: "a-2".into() });
        update(&mut status, Progress::Ready { slug: "a".into(), name: "a.txt".into(), seconds: 1.0, made: true });
        update(&mut status, Progress::Failed { name: "b.html".into(), error: "no".into() });
        let states: Vec<EpisodeState> = status.episodes.iter().map(|e| e.status).collect();
        assert_eq!(states, [EpisodeState::Done, EpisodeState::Making, EpisodeState::Failed]);
        assert_eq!((status.done, status.failed), (1, 1));
        let empty = [JobDocument { name: None, text: " ".into(), format: None }];
        assert_eq!(statements(&empty).unwrap_err().name, "document-1");
        assert!(is_job_id(&new_id(b"x")) && !is_job_id("../etc") && !is_job_id(&"A".repeat(32)));
    }
}
