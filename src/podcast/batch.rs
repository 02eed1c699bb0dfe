//! The batch: every statement becomes an episode (or is skipped because its
//! episode is up to date), several at once, then the feed is written. Files
//! are replaced atomically and the manifest is saved after every episode, so
//! a batch killed half-way picks up where it stopped.

use super::config::Show;
use super::episode::{self, Episode};
use super::feed::{self, FeedItem};
use super::manifest::{self, Entry, Manifest};
use super::source::{SourceError, Statement};
use super::{LOUDNESS_LUFS, MP3_RATE, TRUE_PEAK_DBTP};
use crate::cache::atomic::Durability;
use crate::pipeline::Pipeline;
use futures::StreamExt;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, UNIX_EPOCH};

/// What to make.
#[derive(Debug, Clone)]
pub struct Batch {
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
pub enum Progress {
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
        name: String,
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
pub struct Summary {
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
#[error("{path}: {error}")]
pub struct BatchError {
    pub path: PathBuf,
    pub error: std::io::Error,
}

/// Runs `batch`, reporting to `progress`.
pub async fn run(
    pipeline: Arc<Pipeline>,
    batch: Batch,
    progress: Arc<dyn Fn(Progress) + Send + Sync>,
) -> Result<Summary, BatchError> {
    let started = Instant::now();
    let episodes_dir = batch.out.join("episodes");
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |error| BatchError { path, error }
    };
    std::fs::create_dir_all(&episodes_dir).map_err(io_error(&episodes_dir))?;
    for dir in [&batch.out, &episodes_dir] {
        for stale in manifest::remove_stale_temporaries(dir).map_err(io_error(dir))? {
            tracing::info!(file = %stale.display(), "removed a partial file left by an interrupted run");
        }
    }
    let manifest = Manifest::load(&batch.out);
    let settings = settings_hash(&pipeline, &batch.show);
    let (fresh, stale): (Vec<&Statement>, Vec<&Statement>) = batch
        .statements
        .iter()
        .partition(|s| manifest.up_to_date(&s.slug, &s.hash, &settings, &episodes_dir).is_some());
    let mut summary = Summary {
        total: batch.statements.len() + batch.rejected.len(),
        failed: batch.rejected.clone(),
        ..Summary::default()
    };
    progress(Progress::Started { total: summary.total, to_make: stale.len() });
    for rejected in &batch.rejected {
        progress(Progress::Failed { name: rejected.name.clone(), error: rejected.reason.clone() });
    }
    for statement in &fresh {
        let seconds = manifest.episodes[&statement.slug].duration;
        progress(Progress::Ready { slug: statement.slug.clone(), name: statement.name.clone(), seconds, made: false });
    }
    summary.unchanged = fresh.len();
    let manifest = Arc::new(Mutex::new(manifest));
    let context = Context { pipeline, show: batch.show.clone(), out: batch.out.clone(), settings, manifest };
    let results: Vec<_> = futures::stream::iter(stale.into_iter().cloned())
        .map(|statement| {
            let (context, progress) = (context.clone(), Arc::clone(&progress));
            async move {
                progress(Progress::Making { slug: statement.slug.clone() });
                let result = context.make(&statement).await;
                match &result {
                    Ok(made) => progress(Progress::Ready {
                        slug: statement.slug.clone(),
                        name: statement.name.clone(),
                        seconds: made.duration,
                        made: true,
                    }),
                    Err(error) => progress(Progress::Failed { name: statement.name.clone(), error: error.clone() }),
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
            Err(reason) => summary.failed.push(SourceError { name: statement.name.clone(), reason }),
        }
    }
    let manifest = context.manifest.lock().expect("manifest lock").clone();
    let feed_path = batch.out.join("feed.xml");
    let feed = feed_bytes(&batch.show, &batch.statements, &manifest);
    if manifest::write_if_changed(&feed_path, &feed, Durability::Synced).map_err(io_error(&feed_path))? {
        summary.files_written += 1;
    }
    summary.failed.sort_by(|a, b| a.name.cmp(&b.name));
    summary.elapsed_seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// What every episode task shares.
#[derive(Clone)]
struct Context {
    pipeline: Arc<Pipeline>,
    show: Show,
    out: PathBuf,
    settings: String,
    manifest: Arc<Mutex<Manifest>>,
}

/// What making one episode did.
struct Made {
    duration: f64,
    synthesized: u64,
    cached: u64,
    files_written: usize,
}

impl Context {
    /// Makes, writes and records one episode; the error is a one-line reason.
    async fn make(&self, statement: &Statement) -> Result<Made, String> {
        let published = self.manifest.lock().expect("manifest lock").episodes.get(&statement.slug).map(|e| e.published);
        let published = published.unwrap_or_else(|| UNIX_EPOCH.elapsed().map_or(0, |d| d.as_secs()));
        let time = UNIX_EPOCH + Duration::from_secs(published);
        let episode = episode::produce(&self.pipeline, &self.show, statement, time).await.map_err(|e| e.to_string())?;
        // An episode missing sentences is not published: the statement is
        // named as failed, and the next run tries it again.
        if episode.skipped > 0 {
            return Err(format!("{} sentence(s) could not be spoken", episode.skipped));
        }
        let Episode { title, summary, duration, files, synthesized, cached, .. } = episode;
        let (out, slug) = (self.out.clone(), statement.slug.clone());
        let sizes = tokio::task::spawn_blocking(move || write_files(&out, &slug, &files))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("cannot write the episode: {e}"))?;
        let entry = Entry {
            name: statement.name.clone(),
            source_hash: statement.hash.clone(),
            settings_hash: self.settings.clone(),
            title,
            summary,
            duration,
            published,
            files: sizes,
        };
        let mut manifest = self.manifest.lock().expect("manifest lock");
        manifest.episodes.insert(statement.slug.clone(), entry);
        manifest.save(&self.out).map_err(|e| format!("cannot save the manifest: {e}"))?;
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
fn feed_bytes(show: &Show, statements: &[Statement], manifest: &Manifest) -> Vec<u8> {
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

/// A hash of everything besides the source that shapes an episode's files.
fn settings_hash(pipeline: &Pipeline, show: &Show) -> String {
    let engines: Vec<[&str; 2]> =
        pipeline.speaker.pools().map(|p| [p.hello().info.id.as_str(), p.hello().info.version.as_str()]).collect();
    let models: Vec<&str> = pipeline.speaker.catalog().voices().iter().filter_map(|v| v.model.as_deref()).collect();
    let key = serde_json::json!({
        "herald": env!("CARGO_PKG_VERSION"),
        "engines": engines,
        "models": models,
        "options": episode::speech_options(show),
        "pause_ms": pipeline.settings.paragraph_pause_ms,
        "audio": [LOUDNESS_LUFS, TRUE_PEAK_DBTP, f64::from(MP3_RATE)],
        "tags": [&show.title, &show.author],
    });
    blake3::hash(key.to_string().as_bytes()).to_hex().to_string()
}
