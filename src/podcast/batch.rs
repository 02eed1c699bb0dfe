//! The batch: every statement becomes an episode (or is skipped because its
//! episode is up to date), several at once, then the feed is written. Files
//! are replaced atomically and the manifest is saved after every episode, so
//! a batch killed half-way picks up where it stopped.

use super::config::Show;
use super::episode::{self, Episode, EpisodeError};
use super::feed::{self, FeedItem};
use super::manifest::{self, Entry, Manifest};
use super::{LOUDNESS_LUFS, MP3_RATE, TRUE_PEAK_DBTP};
use crate::cache::atomic::Durability;
use crate::pipeline::{Pipeline, SpeechRequest};
use crate::report::Chain;
use crate::speech::Plan;
use crate::statements::{SourceError, Statement};
use futures::StreamExt;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, UNIX_EPOCH};
use tokio::sync::watch;

/// What to make.
#[derive(Debug, Clone)]
pub(crate) struct Batch {
    pub show: Show,
    pub statements: Vec<Statement>,
    /// Sources that could not be read or checked; reported as failed.
    pub rejected: Vec<SourceError>,
    pub out: PathBuf,
    /// Episodes made at once.
    pub jobs: usize,
}

/// What a running batch reports, as it happens.
#[derive(Debug, Clone)]
pub(crate) enum Progress {
    /// `total` episodes to account for, `to_make` of them need work.
    Started {
        total: usize,
        to_make: usize,
    },
    /// An episode is being made.
    Making {
        slug: String,
    },
    /// An episode is ready (made now, or unchanged since the last run).
    Ready {
        slug: String,
        seconds: f64,
        made: bool,
    },
    Failed {
        name: String,
        error: String,
    },
}

/// The outcome of a batch.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Summary {
    pub total: usize,
    pub made: usize,
    pub unchanged: usize,
    pub failed: Vec<SourceError>,
    /// Seconds of audio in the episodes made by this run.
    pub audio_seconds: f64,
    /// Sentences synthesized by the engine / served from the segment cache.
    pub synthesized: u64,
    pub cached: u64,
    /// Files written (episodes, feed, manifest); 0 when nothing changed.
    pub files_written: usize,
    pub elapsed_seconds: f64,
}

/// Why a batch could not run at all (single episodes fail on their own).
#[derive(Debug, thiserror::Error)]
pub(crate) enum BatchError {
    #[error("{}", path.display())]
    File {
        path: PathBuf,
        #[source]
        error: std::io::Error,
    },
    #[error("a file task did not finish")]
    Task(#[source] tokio::task::JoinError),
}

/// Why one episode was not published; the batch goes on without it.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EpisodeFailure {
    #[error(transparent)]
    Plan(#[from] crate::pipeline::PlanTextError),
    #[error(transparent)]
    Produce(#[from] EpisodeError),
    /// An episode missing sentences is not published: the next run tries again.
    #[error("{0} sentence(s) could not be spoken")]
    Unspoken(usize),
    #[error("cannot write the episode")]
    Write(#[source] std::io::Error),
    #[error("the episode's file task did not finish")]
    Task(#[source] tokio::task::JoinError),
    /// The shared queue does not answer, or no longer holds the episode.
    #[error("the batch queue")]
    Queue(#[source] super::queue::JobError),
}

/// An episode that failed, and which one.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {failure}")]
pub(crate) struct EpisodeFailed {
    pub name: String,
    #[source]
    pub failure: EpisodeFailure,
}

/// Runs `batch`, reporting to `progress`. File work (the manifest, stale
/// files, episode files, the feed) runs on blocking threads, never on the
/// async threads that serve requests.
pub(crate) async fn run(
    pipeline: Arc<Pipeline>,
    batch: Batch,
    progress: Arc<dyn Fn(Progress) + Send + Sync>,
) -> Result<Summary, BatchError> {
    let started = Instant::now();
    let out = batch.out.clone();
    let manifest = blocking(move || prepare(&out)).await?;
    let planned = plan_all(&pipeline, &batch).await;
    let episodes_dir = batch.out.join("episodes");
    let mut summary = Summary {
        total: batch.statements.len() + batch.rejected.len(),
        failed: batch.rejected.clone(),
        ..Summary::default()
    };
    let (mut to_make, mut fresh) = (Vec::new(), Vec::new());
    for (statement, plan) in planned {
        match plan {
            Ok(plan) => {
                let settings = settings_hash(&pipeline, &batch.show, &plan);
                if manifest.up_to_date(&statement.slug, &statement.hash, &settings, &episodes_dir).is_some() {
                    fresh.push(statement);
                } else {
                    to_make.push((statement, plan, settings));
                }
            }
            Err(failure) => {
                let failed = EpisodeFailed { name: statement.name.clone(), failure: failure.into() };
                summary
                    .failed
                    .push(SourceError { name: failed.name.clone(), reason: Chain(&failed.failure).to_string() });
            }
        }
    }
    progress(Progress::Started { total: summary.total, to_make: to_make.len() });
    for failed in &summary.failed {
        progress(Progress::Failed { name: failed.name.clone(), error: failed.reason.clone() });
    }
    for statement in &fresh {
        let seconds = manifest.episodes[&statement.slug].duration;
        progress(Progress::Ready { slug: statement.slug.clone(), seconds, made: false });
    }
    summary.unchanged = fresh.len();
    let (records, saved) = watch::channel(manifest);
    let saver = tokio::spawn(save_changes(saved.clone(), batch.out.clone()));
    let context = Context { pipeline, show: batch.show.clone(), out: batch.out.clone(), manifest: records };
    let results: Vec<_> = futures::stream::iter(to_make)
        .map(|(statement, plan, settings)| {
            let (context, progress) = (context.clone(), Arc::clone(&progress));
            async move {
                progress(Progress::Making { slug: statement.slug.clone() });
                let result = context.make(&statement, plan, settings).await;
                match &result {
                    Ok(made) => {
                        progress(Progress::Ready { slug: statement.slug.clone(), seconds: made.duration, made: true })
                    }
                    Err(failure) => {
                        progress(Progress::Failed { name: statement.name.clone(), error: Chain(&failure).to_string() })
                    }
                }
                (statement, result)
            }
        })
        .buffer_unordered(batch.jobs.max(1))
        .collect()
        .await;
    for (statement, result) in results {
        match result {
            Ok(made) => {
                summary.made += 1;
                summary.audio_seconds += made.duration;
                summary.synthesized += made.synthesized;
                summary.cached += made.cached;
                summary.files_written += made.files_written;
            }
            Err(failure) => {
                summary.failed.push(SourceError { name: statement.name.clone(), reason: Chain(&failure).to_string() })
            }
        }
    }
    // The last sender goes with the context: the saver finishes its last save.
    drop(context);
    let _ = saver.await;
    let manifest = saved.borrow().clone();
    let (out, show, statements) = (batch.out.clone(), batch.show.clone(), batch.statements.clone());
    summary.files_written += blocking(move || finish(&out, &show, &statements, &manifest)).await?;
    summary.failed.sort_by(|a, b| a.name.cmp(&b.name));
    summary.elapsed_seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// Runs file work on a blocking thread.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, BatchError> + Send + 'static,
) -> Result<T, BatchError> {
    tokio::task::spawn_blocking(work).await.unwrap_or_else(|e| Err(BatchError::Task(e)))
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> BatchError {
    let path = path.to_path_buf();
    move |error| BatchError::File { path, error }
}

/// Makes the output folders, removes what a killed run left half-written,
/// and reads the manifest.
fn prepare(out: &Path) -> Result<Manifest, BatchError> {
    let episodes_dir = out.join("episodes");
    std::fs::create_dir_all(&episodes_dir).map_err(io_error(&episodes_dir))?;
    for dir in [out, &episodes_dir] {
        for stale in manifest::remove_stale_temporaries(dir).map_err(io_error(dir))? {
            tracing::info!(file = %stale.display(), "removed a partial file left by an interrupted run");
        }
    }
    Ok(Manifest::load(out))
}

/// Plans every statement (the service plans on its blocking threads).
async fn plan_all(
    pipeline: &Arc<Pipeline>,
    batch: &Batch,
) -> Vec<(Statement, Result<Plan, crate::pipeline::PlanTextError>)> {
    let options = episode::speech_options(&batch.show);
    let mut plans = Vec::with_capacity(batch.statements.len());
    for statement in &batch.statements {
        let request =
            SpeechRequest { text: statement.text.clone(), format: statement.format, options: options.clone() };
        plans.push((statement.clone(), pipeline.plan_text(request).await));
    }
    plans
}

/// Plans one statement for `show`.
pub(super) async fn plan(pipeline: &Arc<Pipeline>, show: &Show, statement: &Statement) -> Result<Plan, EpisodeFailure> {
    let request = SpeechRequest {
        text: statement.text.clone(),
        format: statement.format,
        options: episode::speech_options(show),
    };
    Ok(pipeline.plan_text(request).await?)
}

/// Saves the manifest each time an episode is recorded, off the episodes'
/// path: recording never waits for a sync.
async fn save_changes(mut saved: watch::Receiver<Manifest>, out: PathBuf) {
    while saved.changed().await.is_ok() {
        let (snapshot, out) = (saved.borrow_and_update().clone(), out.clone());
        match tokio::task::spawn_blocking(move || snapshot.save(&out)).await {
            Ok(Ok(_)) => {}
            Ok(Err(error)) => {
                tracing::warn!(%error, "could not save the podcast manifest; retrying on the next episode")
            }
            Err(error) => tracing::warn!(%error, "the manifest writer failed"),
        }
    }
}

/// Saves the final manifest and writes the feed; returns the files written.
fn finish(out: &Path, show: &Show, statements: &[Statement], manifest: &Manifest) -> Result<usize, BatchError> {
    let manifest_path = out.join(manifest::FILE_NAME);
    manifest.save(out).map_err(io_error(&manifest_path))?;
    let feed_path = out.join("feed.xml");
    let feed = feed_bytes(show, statements, manifest);
    let written = manifest::write_if_changed(&feed_path, &feed, Durability::Synced).map_err(io_error(&feed_path))?;
    Ok(usize::from(written))
}

/// What every episode task shares.
#[derive(Clone)]
struct Context {
    pipeline: Arc<Pipeline>,
    show: Show,
    out: PathBuf,
    manifest: watch::Sender<Manifest>,
}

/// What making one episode did.
struct Made {
    duration: f64,
    synthesized: u64,
    cached: u64,
    files_written: usize,
}

impl Context {
    /// Makes, writes and records one episode.
    async fn make(&self, statement: &Statement, plan: Plan, settings: String) -> Result<Made, EpisodeFailure> {
        let published = self.manifest.borrow().episodes.get(&statement.slug).map(|e| e.published);
        let published = published.unwrap_or_else(|| UNIX_EPOCH.elapsed().map_or(0, |d| d.as_secs()));
        let time = UNIX_EPOCH + Duration::from_secs(published);
        let episode = episode::produce(&self.pipeline, &self.show, statement, plan, time).await?;
        if episode.skipped > 0 {
            return Err(EpisodeFailure::Unspoken(episode.skipped));
        }
        let Episode { title, summary, duration, files, synthesized, cached, .. } = episode;
        let (out, slug) = (self.out.clone(), statement.slug.clone());
        let sizes = tokio::task::spawn_blocking(move || write_files(&out, &slug, &files))
            .await
            .map_err(EpisodeFailure::Task)?
            .map_err(EpisodeFailure::Write)?;
        let entry = Entry {
            name: statement.name.clone(),
            source_hash: statement.hash.clone(),
            settings_hash: settings,
            title,
            summary,
            duration,
            published,
            files: sizes,
        };
        self.manifest.send_modify(|manifest| {
            manifest.episodes.insert(statement.slug.clone(), entry);
        });
        Ok(Made { duration, synthesized, cached, files_written: super::episode::EXTENSIONS.len() + 1 })
    }
}

fn write_files(
    out: &Path,
    slug: &str,
    files: &[(&'static str, Vec<u8>)],
) -> std::io::Result<std::collections::BTreeMap<String, u64>> {
    let mut sizes = std::collections::BTreeMap::new();
    for (extension, bytes) in files {
        let path = out.join(feed::episode_path(slug, extension));
        crate::cache::atomic::write_published(&path, bytes, Durability::Rebuildable)?;
        sizes.insert(extension.to_string(), bytes.len() as u64);
    }
    Ok(sizes)
}

/// The feed of the statements that have an episode, newest first.
pub(super) fn feed_bytes(show: &Show, statements: &[Statement], manifest: &Manifest) -> Vec<u8> {
    let mut items: Vec<FeedItem> = statements
        .iter()
        .filter_map(|s| {
            let entry = manifest.episodes.get(&s.slug).filter(|e| e.source_hash == s.hash)?;
            Some(FeedItem {
                slug: &s.slug,
                title: &entry.title,
                summary: &entry.summary,
                published: UNIX_EPOCH + Duration::from_secs(entry.published),
                duration: entry.duration,
                length: entry.files.get("mp3").copied().unwrap_or(0),
            })
        })
        .collect();
    items.sort_by(|a, b| b.published.cmp(&a.published).then(a.slug.cmp(b.slug)));
    feed::feed(show, &items)
}

/// A hash of everything besides the source that shapes an episode's files:
/// the voices its plan uses (their engines, versions and models), the
/// show's options, the pause and the audio settings. A voice installed for
/// another language changes nothing here.
pub(super) fn settings_hash(pipeline: &Pipeline, show: &Show, plan: &Plan) -> String {
    let key = serde_json::json!({
        "herald": env!("CARGO_PKG_VERSION"),
        "voices": pipeline.audio_fingerprint(plan),
        "options": episode::speech_options(show),
        "pause_ms": pipeline.settings().synthesis.paragraph_pause_ms,
        "audio": [LOUDNESS_LUFS, TRUE_PEAK_DBTP, f64::from(MP3_RATE)],
        "tags": [&show.title, &show.author],
    });
    blake3::hash(key.to_string().as_bytes()).to_hex().to_string()
}
