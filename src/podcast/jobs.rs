//! Batches run for HTTP clients. [`Jobs`] checks a job, names it and hands
//! it to the [`BatchQueue`] of this Herald: the replicas' shared queue when
//! a database is configured ([`SharedJobs`]), else [`LocalJobs`], which
//! keeps each job under `CACHE_DIR/batches/{id}/` (the request, the batch's
//! output and, once finished, its final status) and runs jobs one after
//! another through the same [`super::batch`] as the command line; a job
//! that was unfinished when Herald stopped is resumed when it starts again
//! (finished episodes are kept, thanks to the batch's manifest). Nothing
//! here speaks HTTP.

use super::batch::{self, Batch, Progress};
use super::feed::episode_path;
pub(crate) use super::queue::{is_job_id, EpisodeState, JobError, JobKind, JobRequest, JobStatus, State};
use super::queue::{statements, BatchQueue, Job, MAX_DOCUMENTS};
use super::shared::SharedJobs;
use crate::book::job::{self as book_job, BookOrder};
use crate::cache::atomic::{self, Durability};
use crate::pipeline::Pipeline;
use crate::report::Chain;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// The jobs of this Herald: checked here, queued and run by its queue.
pub(crate) struct Jobs {
    pipeline: Arc<Pipeline>,
    queue: Arc<dyn BatchQueue>,
    /// Taken by the first [`Jobs::start`].
    unstarted: Mutex<bool>,
}

impl Jobs {
    /// The jobs of the cluster when a database is configured, else those
    /// under `CACHE_DIR/batches` (unfinished ones are queued again and run
    /// once [`Jobs::start`] is called).
    pub(crate) fn open(pipeline: Arc<Pipeline>) -> Self {
        let queue: Arc<dyn BatchQueue> = match pipeline.database() {
            Some(database) => Arc::new(SharedJobs::new(Arc::clone(&pipeline), Arc::clone(database))),
            None => Arc::new(LocalJobs::open(Arc::clone(&pipeline))),
        };
        Self { pipeline, queue, unstarted: Mutex::new(true) }
    }

    /// Works the queue on a task the caller stops (by aborting it) when
    /// Herald stops. Only the first call starts it.
    pub(crate) fn start(&self) -> Option<tokio::task::JoinHandle<()>> {
        let first = std::mem::replace(&mut *self.unstarted.lock().expect("start lock"), false);
        first.then(|| tokio::spawn(Arc::clone(&self.queue).work()))
    }

    /// Checks, stores and queues a new job; returns its id. A show without
    /// a base URL gets `base_url(id)`.
    pub(crate) async fn submit(
        &self,
        mut request: JobRequest,
        base_url: impl FnOnce(&str) -> String,
    ) -> Result<String, JobError> {
        if request.documents.is_empty() {
            return Err(JobError::NoDocuments);
        }
        if request.documents.len() > MAX_DOCUMENTS {
            return Err(JobError::TooMany(request.documents.len()));
        }
        statements(&request.documents).map_err(JobError::Document)?;
        let id = new_id(&serde_json::to_vec(&request).expect("requests serialize"));
        if request.show.base_url.trim().is_empty() {
            request.show.base_url = base_url(&id);
        }
        request.show = request.show.checked()?;
        let job = Job::Podcast(request);
        let status = job.initial_status(&id).map_err(JobError::Document)?;
        self.queue.enqueue(&id, &job, status).await?;
        Ok(id)
    }

    /// Checks, stores and queues a talking book of `epub`; returns the job's id.
    pub(crate) async fn submit_book(&self, epub: Vec<u8>, order: BookOrder) -> Result<String, JobError> {
        let id = new_id(&epub);
        let epub = tokio::task::spawn_blocking(move || book_job::check(&epub).map(|()| epub))
            .await
            .map_err(|e| JobError::Store(std::io::Error::other(e)))??;
        book_job::store_input(&self.pipeline.episode_files(), &id, epub).await.map_err(unavailable_store)?;
        let job = Job::Book { book: order };
        let status = job.initial_status(&id).map_err(JobError::Document)?;
        self.queue.enqueue(&id, &job, status).await?;
        Ok(id)
    }

    /// A local copy of file `name` of a finished book (`book.epub`,
    /// `audiobook/…`); `None` if there is no such file.
    pub(crate) async fn book_file(&self, id: &str, name: &str) -> Result<Option<PathBuf>, JobError> {
        self.pipeline.episode_files().local_copy(id, name).await.map_err(unavailable_store)
    }

    /// A job's status, if it exists.
    pub(crate) async fn status(&self, id: &str) -> Result<Option<JobStatus>, JobError> {
        self.queue.status(id).await
    }

    /// The local file of a finished job's feed.
    pub(crate) async fn feed_file(&self, id: &str) -> Result<PathBuf, JobError> {
        self.queue.feed_file(id).await
    }

    /// The local file of a finished episode's file `SLUG.EXTENSION`.
    pub(crate) async fn episode_file(&self, id: &str, slug: &str, extension: &str) -> Result<PathBuf, JobError> {
        self.queue.episode_file(id, slug, extension).await
    }
}

const REQUEST: &str = "request.json";
const STATUS: &str = "status.json";

/// The jobs of this replica alone, in memory and on disk.
pub(crate) struct LocalJobs {
    dir: PathBuf,
    pipeline: Arc<Pipeline>,
    jobs: Arc<Mutex<HashMap<String, Arc<Mutex<JobStatus>>>>>,
    queue: mpsc::UnboundedSender<String>,
    queued: Mutex<Option<mpsc::UnboundedReceiver<String>>>,
}

impl LocalJobs {
    /// Opens the jobs under `CACHE_DIR/batches`; unfinished ones are queued
    /// again and run once the queue is worked.
    pub(crate) fn open(pipeline: Arc<Pipeline>) -> Self {
        let dir = pipeline.settings().cache.dir.join("batches");
        let (queue, queued) = mpsc::unbounded_channel();
        let jobs = Self { dir, pipeline, jobs: Arc::default(), queue, queued: Mutex::new(Some(queued)) };
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
                let job: Job =
                    serde_json::from_slice(&std::fs::read(dir.join(REQUEST))?).map_err(std::io::Error::other)?;
                let status = job.initial_status(id).map_err(std::io::Error::other)?;
                let _ = self.queue.send(id.to_string());
                tracing::info!(%id, "resuming an unfinished batch");
                status
            }
        };
        self.jobs.lock().expect("jobs lock").insert(id.to_string(), Arc::new(Mutex::new(status)));
        Ok(())
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
        let Some(status) = self.jobs.lock().expect("jobs lock").get(id).cloned() else { return Ok(()) };
        let request_path = self.dir.join(id).join(REQUEST);
        let job: Job = tokio::task::spawn_blocking(move || {
            serde_json::from_slice(&std::fs::read(request_path)?).map_err(std::io::Error::other)
        })
        .await
        .map_err(std::io::Error::other)??;
        status.lock().expect("job lock").state = State::Running;
        match job {
            Job::Podcast(request) => self.run_podcast(id, &status, request).await?,
            Job::Book { book } => self.run_book(id, &status, &book).await,
        }
        let final_status = {
            let mut status = status.lock().expect("job lock");
            status.state = State::Done;
            status.clone()
        };
        let (path, bytes) = (self.dir.join(id).join(STATUS), serde_json::to_vec(&final_status)?);
        tokio::task::spawn_blocking(move || atomic::write(&path, &bytes, Durability::Synced))
            .await
            .map_err(std::io::Error::other)?
    }

    /// Runs a podcast batch, moving `status` on as its episodes are made.
    async fn run_podcast(&self, id: &str, status: &Arc<Mutex<JobStatus>>, request: JobRequest) -> std::io::Result<()> {
        let statements = statements(&request.documents).map_err(std::io::Error::other)?;
        let batch = Batch {
            show: request.show,
            statements,
            rejected: Vec::new(),
            out: self.output_dir(id),
            jobs: self.pipeline.settings().synthesis.worker_count(),
        };
        let progress = {
            let status = Arc::clone(status);
            Arc::new(move |event| update(&mut status.lock().expect("job lock"), event))
        };
        let summary = batch::run(Arc::clone(&self.pipeline), batch, progress).await.map_err(std::io::Error::other)?;
        status.lock().expect("job lock").audio_seconds = summary.audio_seconds;
        Ok(())
    }

    /// Makes a talking book; a book that cannot be made is the job's one
    /// failed part, with the reason.
    async fn run_book(&self, id: &str, status: &Arc<Mutex<JobStatus>>, order: &BookOrder) {
        let made = book_job::make(&self.pipeline, id, order).await;
        let mut status = status.lock().expect("job lock");
        let Some(book) = status.episodes.first_mut() else { return };
        match made {
            Ok(record) => {
                book.status = EpisodeState::Done;
                status.audio_seconds = record.seconds;
                status.book = Some(record);
            }
            Err(error) => {
                tracing::warn!(%id, error = %Chain(&error), "a book could not be made");
                (book.status, book.error) = (EpisodeState::Failed, Some(Chain(&error).to_string()));
            }
        }
        status.recount();
    }
}

#[async_trait::async_trait]
impl BatchQueue for LocalJobs {
    async fn enqueue(&self, id: &str, job: &Job, status: JobStatus) -> Result<(), JobError> {
        let (path, json) = (self.dir.join(id).join(REQUEST), serde_json::to_vec(job).expect("jobs serialize"));
        tokio::task::spawn_blocking(move || atomic::write(&path, &json, Durability::Synced))
            .await
            .map_err(|e| JobError::Store(std::io::Error::other(e)))??;
        self.jobs.lock().expect("jobs lock").insert(id.to_string(), Arc::new(Mutex::new(status)));
        let _ = self.queue.send(id.to_string());
        Ok(())
    }

    async fn status(&self, id: &str) -> Result<Option<JobStatus>, JobError> {
        let Some(job) = self.jobs.lock().expect("jobs lock").get(id).cloned() else { return Ok(None) };
        let status = job.lock().expect("job lock").clone();
        Ok(Some(status))
    }

    async fn feed_file(&self, id: &str) -> Result<PathBuf, JobError> {
        Ok(self.output_dir(id).join("feed.xml"))
    }

    async fn episode_file(&self, id: &str, slug: &str, extension: &str) -> Result<PathBuf, JobError> {
        Ok(self.output_dir(id).join(episode_path(slug, extension)))
    }

    async fn work(self: Arc<Self>) {
        let Some(mut queued) = self.queued.lock().expect("queue lock").take() else { return };
        while let Some(id) = queued.recv().await {
            if let Err(error) = self.run(&id).await {
                tracing::error!(%id, %error, "batch failed");
                let jobs = Arc::clone(&self);
                let _ = tokio::task::spawn_blocking(move || jobs.fail(&id)).await;
            }
        }
    }
}

/// Moves a local job's status on with its batch's progress.
fn update(status: &mut JobStatus, event: Progress) {
    let (slug, state, error) = match event {
        Progress::Started { .. } => return,
        Progress::Making { slug } => (slug, EpisodeState::Making, None),
        Progress::Ready { slug, .. } => (slug, EpisodeState::Done, None),
        Progress::Failed { name, error } => {
            let Some(episode) = status.episodes.iter().find(|e| e.name == name && e.status != EpisodeState::Failed)
            else {
                return;
            };
            (episode.slug.clone(), EpisodeState::Failed, Some(error))
        }
    };
    if let Some(episode) = status.episodes.iter_mut().find(|e| e.slug == slug) {
        episode.status = state;
        episode.error = error;
    }
    status.recount();
}

fn unavailable_store(error: std::io::Error) -> JobError {
    JobError::Unavailable(format!("the store: {error}"))
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
    use crate::podcast::queue::{initial_status, JobDocument};

    #[test]
    fn progress_updates_episodes_and_counts() {
        let documents: Vec<JobDocument> = ["a.txt", "a.md", "b.html"]
            .iter()
            .map(|n| JobDocument { name: Some(n.to_string()), text: "Hello there.".into(), format: None })
            .collect();
        let checked = statements(&documents).unwrap();
        let parts = checked.into_iter().map(|s| (s.name, s.slug)).collect();
        let mut status = initial_status("0123456789abcdef0123456789abcdef", JobKind::Podcast, parts);
        assert_eq!(status.episodes.iter().map(|e| e.slug.as_str()).collect::<Vec<_>>(), ["a", "a-2", "b"]);
        update(&mut status, Progress::Making { slug: "a-2".into() });
        update(&mut status, Progress::Ready { slug: "a".into(), seconds: 1.0, made: true });
        update(&mut status, Progress::Failed { name: "b.html".into(), error: "no".into() });
        let states: Vec<EpisodeState> = status.episodes.iter().map(|e| e.status).collect();
        assert_eq!(states, [EpisodeState::Done, EpisodeState::Making, EpisodeState::Failed]);
        assert_eq!((status.done, status.failed), (1, 1));
        let empty = [JobDocument { name: None, text: " ".into(), format: None }];
        assert_eq!(statements(&empty).unwrap_err().name, "document-1");
        assert!(is_job_id(&new_id(b"x")) && !is_job_id("../etc") && !is_job_id(&"A".repeat(32)));
    }
}
