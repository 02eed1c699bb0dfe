//! Batches (and books, each one part) shared by several replicas: with a
//! database configured, a batch posted to any replica is queued in PostgreSQL
//! ([`crate::coordination::queue`]) and its episodes are made by whichever
//! replicas are free, each episode by one replica at a time. An episode's
//! files go to the store (`batch-episodes/{id}/`), its manifest entry (title,
//! duration, file sizes) to the queue, and any replica serves the batch's
//! status, files and feed from those two. A replica killed mid-episode
//! loses its lease, and another makes the episode again.

use super::batch::{self as local, EpisodeFailure};
use super::episode::{self, Episode};
use super::manifest::{self, Entry, Manifest};
use super::queue::{self, BatchQueue, EpisodeState, Job, JobError, JobStatus, State};
use crate::book::job as book_job;
use crate::cache::atomic::Durability;
use crate::coordination::queue::{Outcome, Stage, Taken, LEASE};
use crate::coordination::Database;
use crate::pipeline::Pipeline;
use crate::report::Chain;
use crate::statements::Statement;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How often an idle replica looks for open episodes (at once when a
/// batch is posted to it).
const IDLE_POLL: Duration = Duration::from_millis(500);
/// An episode taken this many times without being recorded (each time its
/// replica died making it) fails, rather than take down one more replica.
const MAX_ATTEMPTS: u32 = 3;

/// A job's request, read once per replica, with a podcast's statements.
struct Batch {
    job: Job,
    statements: Vec<Statement>,
}

/// The batches of the cluster, as one replica sees and works them.
pub(crate) struct SharedJobs {
    pipeline: Arc<Pipeline>,
    database: Arc<Database>,
    batches: Mutex<HashMap<String, Arc<Batch>>>,
    /// Wakes this replica's idle workers when a batch is posted to it.
    posted: tokio::sync::Notify,
}

#[async_trait::async_trait]
impl BatchQueue for SharedJobs {
    async fn enqueue(&self, id: &str, job: &Job, status: JobStatus) -> Result<(), JobError> {
        let json = serde_json::to_string(job).expect("jobs serialize");
        self.database.submit_batch(id, &json, status.total).await.map_err(unavailable)?;
        self.posted.notify_waiters();
        Ok(())
    }

    /// Batch `id` as clients see it; `Ok(None)` if there is no such batch.
    async fn status(&self, id: &str) -> Result<Option<JobStatus>, JobError> {
        let Some(batch) = self.batch(id).await? else { return Ok(None) };
        let stages = self.database.batch_episodes(id).await.map_err(unavailable)?;
        let mut status = batch.job.initial_status(id).map_err(JobError::Document)?;
        for (episode, stage) in status.episodes.iter_mut().zip(&stages) {
            (episode.status, episode.error) = match stage {
                Stage::Pending => (EpisodeState::Pending, None),
                Stage::Making => (EpisodeState::Making, None),
                Stage::Done(record) => {
                    match &batch.job {
                        Job::Podcast(_) => status.audio_seconds += parse(record).map_or(0.0, |r| r.duration),
                        Job::Book { .. } => {
                            status.book = serde_json::from_str(record).ok();
                            status.audio_seconds = status.book.as_ref().map_or(0.0, |book| book.seconds);
                        }
                    }
                    (EpisodeState::Done, None)
                }
                Stage::Failed(error) => (EpisodeState::Failed, Some(error.clone())),
            };
        }
        status.recount();
        status.state = if status.done + status.failed == status.total {
            State::Done
        } else if stages.iter().any(|s| *s != Stage::Pending) {
            State::Running
        } else {
            State::Queued
        };
        Ok(Some(status))
    }

    /// A local file of the feed of batch `id`: its finished episodes,
    /// newest first, from their records in the queue.
    async fn feed_file(&self, id: &str) -> Result<PathBuf, JobError> {
        let batch = self.batch(id).await?.ok_or_else(|| unavailable("the batch vanished"))?;
        let Job::Podcast(request) = &batch.job else { return Err(unavailable("a book has no feed")) };
        let stages = self.database.batch_episodes(id).await.map_err(unavailable)?;
        let mut made = Manifest::default();
        for (statement, stage) in batch.statements.iter().zip(&stages) {
            if let Stage::Done(record) = stage {
                made.episodes.extend(parse(record).map(|entry| (statement.slug.clone(), entry)));
            }
        }
        let feed = local::feed_bytes(&request.show, &batch.statements, &made);
        let path = self.pipeline.episode_files().local_path(id, "feed.xml");
        let written = path.clone();
        tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(written.parent().expect("feeds live in a batch directory"))?;
            manifest::write_if_changed(&written, &feed, Durability::Rebuildable)
        })
        .await
        .map_err(unavailable)?
        .map_err(JobError::Store)?;
        Ok(path)
    }

    async fn episode_file(&self, id: &str, slug: &str, extension: &str) -> Result<PathBuf, JobError> {
        self.file(id, &format!("{slug}.{extension}")).await
    }

    /// Works the queue with as many episodes at once as the settings'
    /// workers, until aborted.
    async fn work(self: Arc<Self>) {
        let jobs = self.pipeline.settings().synthesis.worker_count();
        let workers: Vec<_> = (0..jobs.max(1)).map(|_| tokio::spawn(Arc::clone(&self).worker())).collect();
        for worker in workers {
            let _ = worker.await;
        }
    }
}

impl SharedJobs {
    pub(crate) fn new(pipeline: Arc<Pipeline>, database: Arc<Database>) -> Self {
        Self { pipeline, database, batches: Mutex::new(HashMap::new()), posted: tokio::sync::Notify::new() }
    }

    /// A local copy of file `name` (`SLUG.EXT`) of batch `id`, fetched from
    /// the store when this replica has none.
    async fn file(&self, id: &str, name: &str) -> Result<PathBuf, JobError> {
        let copy = self.pipeline.episode_files().local_copy(id, name).await.map_err(unavailable)?;
        copy.ok_or_else(|| unavailable(format!("{name} of batch {id} is missing from the store")))
    }

    async fn worker(self: Arc<Self>) {
        loop {
            match self.database.take_episode().await {
                Ok(Some(taken)) => self.make(taken).await,
                Ok(None) => {
                    let _ = tokio::time::timeout(IDLE_POLL, self.posted.notified()).await;
                }
                // Logged by the database; the queue waits for it to return.
                Err(_) => tokio::time::sleep(IDLE_POLL * 4).await,
            }
        }
    }

    /// Makes a taken episode while renewing its lease, and records it.
    async fn make(&self, taken: Taken) {
        let outcome = if taken.attempts > MAX_ATTEMPTS {
            Outcome::Failed(format!("tried {MAX_ATTEMPTS} times; the server log says why"))
        } else {
            tokio::select! {
                outcome = self.produce(&taken) => outcome,
                () = self.hold(&taken) => {
                    tracing::warn!(batch = %taken.batch, episode = taken.position, "lost the lease on an episode; another replica makes it");
                    return;
                }
            }
        };
        match self.database.record(&taken, outcome).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(batch = %taken.batch, episode = taken.position, "an episode was taken over before it was recorded")
            }
            // The lease runs out and the episode is made again.
            Err(_) => {}
        }
    }

    /// Renews the lease on `taken` until it is lost (never returns while
    /// it holds; a database outage longer than the lease loses it).
    async fn hold(&self, taken: &Taken) {
        let mut renewed = tokio::time::Instant::now();
        loop {
            tokio::time::sleep(LEASE / 4).await;
            match self.database.renew(taken).await {
                Ok(true) => renewed = tokio::time::Instant::now(),
                Ok(false) => return,
                Err(_) if renewed.elapsed() >= LEASE => return,
                Err(_) => {}
            }
        }
    }

    async fn produce(&self, taken: &Taken) -> Outcome {
        let vanished = || EpisodeFailure::Queue(unavailable("the batch vanished"));
        let batch = match self.batch(&taken.batch).await.map_err(EpisodeFailure::Queue) {
            Ok(Some(batch)) => batch,
            Ok(None) => return failed(taken, &vanished()),
            Err(failure) => return failed(taken, &failure),
        };
        let request = match &batch.job {
            Job::Podcast(request) => request,
            Job::Book { book } => {
                return match book_job::make(&self.pipeline, &taken.batch, book).await {
                    Ok(record) => Outcome::Done(serde_json::to_string(&record).expect("records serialize")),
                    Err(error) => failed(taken, &error),
                };
            }
        };
        let made = async {
            let statement = batch
                .statements
                .get(taken.position)
                .ok_or_else(|| EpisodeFailure::Queue(unavailable("no such episode")))?;
            let plan = local::plan(&self.pipeline, &request.show, statement).await?;
            let settings = local::settings_hash(&self.pipeline, &request.show, &plan);
            let published = SystemTime::now();
            let episode = episode::produce(&self.pipeline, &request.show, statement, plan, published).await?;
            if episode.skipped > 0 {
                return Err(EpisodeFailure::Unspoken(episode.skipped));
            }
            self.store(&taken.batch, statement, episode, settings, published).await
        };
        match made.await {
            Ok(record) => Outcome::Done(serde_json::to_string(&record).expect("records serialize")),
            Err(failure) => failed(taken, &failure),
        }
    }

    /// Puts an episode's files in the store; returns its record.
    async fn store(
        &self,
        id: &str,
        statement: &Statement,
        episode: Episode,
        settings_hash: String,
        published: SystemTime,
    ) -> Result<Entry, EpisodeFailure> {
        let Episode { title, summary, duration, files, .. } = episode;
        let mut sizes = BTreeMap::new();
        for (extension, bytes) in files {
            sizes.insert(extension.to_string(), bytes.len() as u64);
            let name = format!("{}.{extension}", statement.slug);
            self.pipeline.episode_files().put(id, &name, bytes).await.map_err(EpisodeFailure::Write)?;
        }
        let files = sizes;
        let published = published.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let (name, source_hash) = (statement.name.clone(), statement.hash.clone());
        Ok(Entry { name, source_hash, settings_hash, title, summary, duration, published, files })
    }

    /// Batch `id`'s request, from memory or the database.
    async fn batch(&self, id: &str) -> Result<Option<Arc<Batch>>, JobError> {
        if let Some(batch) = self.batches.lock().expect("batches lock").get(id) {
            return Ok(Some(Arc::clone(batch)));
        }
        let Some(json) = self.database.batch_request(id).await.map_err(unavailable)? else { return Ok(None) };
        let job: Job = serde_json::from_str(&json).map_err(|e| JobError::Store(std::io::Error::other(e)))?;
        let statements = match &job {
            Job::Podcast(request) => queue::statements(&request.documents).map_err(JobError::Document)?,
            Job::Book { .. } => Vec::new(),
        };
        let batch = Arc::new(Batch { job, statements });
        self.batches.lock().expect("batches lock").insert(id.to_string(), Arc::clone(&batch));
        Ok(Some(batch))
    }
}

/// A part of a job that failed, logged.
fn failed(taken: &Taken, failure: &(dyn std::error::Error + 'static)) -> Outcome {
    tracing::warn!(batch = %taken.batch, episode = taken.position, failure = %Chain(failure), "a part of a batch failed");
    Outcome::Failed(Chain(failure).to_string())
}

fn parse(record: &str) -> Option<Entry> {
    serde_json::from_str(record).ok()
}

fn unavailable(error: impl std::fmt::Display) -> JobError {
    JobError::Unavailable(error.to_string())
}
