//! The application service every front door uses (web, CLI, podcast): it
//! owns the worker pools, voice catalog, language detector, segment cache,
//! speaker, documents and renders, started from [`Settings`], and offers
//! operations — plan, speak, documents, renders with their timelines,
//! voices and engines — never its parts. Front doors only translate I/O.

use crate::audio::AudioFormat;
use crate::cache::store::Storage;
use crate::cache::{DocumentStore, EpisodeFiles, RenderStore, SegmentCache};
use crate::coordination::Database;
use crate::document::InputFormat;
use crate::engine::neural::discover::Unavailable;
use crate::engine::pool::{Pool, PoolError};
use crate::render::{Part, RenderError, RenderedAudio, RenderedTimeline, Renders};
use crate::settings::Settings;
use crate::speech::{
    DocumentId, Plan, Planner, Speaker, SpeakerSettings, SpeechEvent, SpeechOptions, StoredDocument, Utterance,
};
use crate::text::{LangTag, LanguageDetector, Readers};
use crate::voice::{Catalog, CatalogError, Quality, Voice, VoiceId};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::sync::mpsc;

mod engines;
pub(crate) mod planning;
mod speech;
mod stats;
mod text_stream;

pub use planning::{PlanTextError, PlanningError};
pub use speech::{Opening, Outline, SpeechRequest, SpeechStream};
pub(crate) use speech::{PlannedSpeech, SpeechCut, SpeechError, SpokenPlan};
pub use stats::Stats;
pub(crate) use text_stream::TextStream;

/// Why the pipeline could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Pool(#[from] PoolError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    CatalogFile(#[from] PlanningError),
    #[error("cache directory {path}: {error}")]
    Cache { path: PathBuf, error: std::io::Error },
    #[error("store {url}: {error}")]
    Store { url: String, error: std::io::Error },
}

/// Parsed documents kept in memory (each is a few kilobytes to a few megabytes).
const RECENT_DOCUMENTS: usize = 256;

/// Why a document could not be created or read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DocumentError {
    #[error(transparent)]
    Plan(#[from] PlanTextError),
    #[error("document store: {0}")]
    Store(#[from] std::io::Error),
    #[error("stored document {0} is unreadable: {1}")]
    Corrupt(DocumentId, serde_json::Error),
}

/// An engine, running or not.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct EngineStatus {
    pub(crate) id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) version: Option<String>,
    pub(crate) available: bool,
    /// Why it is not available.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) reason: Option<String>,
}

/// How much of a document has been synthesized (is in the segment cache).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct SynthesisProgress {
    pub(crate) sentences: usize,
    pub(crate) synthesized: usize,
    /// Renders being made now, across all documents.
    pub(crate) renders_in_progress: usize,
}

/// The running service. Share it in an `Arc`.
pub struct Pipeline {
    speaker: Arc<Speaker>,
    /// Recently used documents, parsed, in front of the store.
    recent: quick_cache::sync::Cache<DocumentId, Arc<StoredDocument>>,
    documents: DocumentStore,
    storage: Arc<Storage>,
    /// Shared with the other replicas, if configured.
    database: Option<Arc<Database>>,
    renders: Renders,
    planner: Planner,
    /// Texts whose planning goes on while they are spoken.
    being_planned: Arc<std::sync::atomic::AtomicUsize>,
    settings: Settings,
    /// Each neural engine, and why it is not running if it is not.
    neural: engines::NeuralStatus,
}

impl Pipeline {
    /// Starts workers with `worker_program` (the Herald binary) and opens the cache.
    pub async fn start(settings: Settings, worker_program: PathBuf) -> Result<Self, StartError> {
        let (pools, neural) = engines::start(&settings, &worker_program).await?;
        let catalog_toml = planning::catalog_toml(&settings.synthesis)?;
        let hellos: Vec<_> = pools.iter().map(|p| p.hello()).collect();
        let catalog = Arc::new(Catalog::new(&catalog_toml, &hellos)?);
        let storage = Arc::new(open_storage(&settings)?);
        tracing::info!(store = storage.kind(), "storage ready");
        let cache =
            SegmentCache::open(Arc::clone(&storage), settings.cache.max_bytes, settings.store.memory_mb << 20).await;
        let documents = DocumentStore::new(Arc::clone(&storage));
        let renders = RenderStore::new(Arc::clone(&storage));
        let speaker_settings = SpeakerSettings {
            lookahead: settings.synthesis.lookahead.max(1),
            paragraph_pause_ms: settings.synthesis.paragraph_pause_ms,
        };
        let database = settings.database.url.as_ref().map(|url| Arc::new(Database::new(url.expose())));
        let planner = Planner {
            catalog: Arc::clone(&catalog),
            detector: LanguageDetector::default(),
            readers: Arc::new(Readers::new(settings.reading())),
        };
        let speaker = Arc::new(Speaker::new(pools, Arc::new(cache), catalog, speaker_settings, database.clone()));
        Ok(Self {
            renders: Renders::new(renders, Arc::clone(&speaker), settings.synthesis.paragraph_pause_ms),
            speaker,
            recent: quick_cache::sync::Cache::new(RECENT_DOCUMENTS),
            documents,
            storage,
            database,
            planner,
            being_planned: Arc::default(),
            settings,
            neural,
        })
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Ingests and plans a text.
    pub fn plan(&self, text: &str, format: InputFormat, options: &SpeechOptions) -> Result<Plan, PlanTextError> {
        planning::plan_with(&self.planner, text, format, options)
    }

    /// Speaks a plan's utterances: audio and marks, in order (see
    /// [`Speaker::speak`]); dropping the receiver cancels.
    pub fn speak(&self, utterances: Vec<Utterance>) -> mpsc::Receiver<SpeechEvent> {
        self.speaker.speak(utterances)
    }

    /// The rate of the PCM that [`Pipeline::speak`] delivers.
    pub fn sample_rate(&self) -> u32 {
        self.speaker.sample_rate()
    }

    /// The fingerprint of what shapes a plan's audio (the voices it uses,
    /// their engines, versions and models): audio kept whole is named by it.
    pub(crate) fn audio_fingerprint(&self, plan: &Plan) -> String {
        self.speaker.fingerprint(&plan.utterances())
    }

    /// A part of a document as audio in `format`: stored, or being rendered
    /// (started now if needed) and followed from its start.
    pub(crate) async fn render(
        &self,
        document: &Arc<StoredDocument>,
        part: Part,
        format: AudioFormat,
    ) -> Result<RenderedAudio, RenderError> {
        self.renders.audio(document, part, format).await
    }

    /// The timeline of a part of a document, made by the same render as its audio.
    pub(crate) async fn timeline(
        &self,
        document: &Arc<StoredDocument>,
        part: Part,
    ) -> Result<RenderedTimeline, RenderError> {
        self.renders.timeline(document, part).await
    }

    /// How much of a document is synthesized.
    pub(crate) async fn synthesis_progress(&self, document: &StoredDocument) -> SynthesisProgress {
        let utterances = document.plan.utterances();
        SynthesisProgress {
            sentences: utterances.len(),
            synthesized: self.speaker.cached_count(&utterances).await,
            renders_in_progress: self.renders_in_progress(),
        }
    }

    /// Renders being made now, across all documents.
    pub(crate) fn renders_in_progress(&self) -> usize {
        self.renders.in_progress()
    }

    /// The voices, best first for `lang` if given.
    pub(crate) fn voices(&self, lang: Option<&LangTag>) -> Vec<&Voice> {
        let catalog = self.speaker.catalog();
        match lang {
            Some(lang) => catalog.for_lang(lang),
            None => catalog.voices().iter().collect(),
        }
    }

    /// How a voice is named to listeners: its name and engine (a talking
    /// book's narrator).
    pub(crate) fn voice_name(&self, id: &str) -> String {
        let voice = VoiceId::parse(id).ok().and_then(|id| self.speaker.catalog().get(&id).cloned());
        voice.map_or_else(|| id.to_string(), |voice| format!("{} ({})", voice.name, voice.engine))
    }

    /// A voice of the catalog.
    pub fn voice(&self, id: &VoiceId) -> Option<&Voice> {
        self.speaker.catalog().get(id)
    }

    /// Every engine, with its version, or why it is not running.
    pub(crate) fn engines(&self) -> Vec<EngineStatus> {
        let running = self.speaker.pools().map(|pool| {
            let info = &pool.hello().info;
            EngineStatus { id: info.id.clone(), version: Some(info.version.clone()), available: true, reason: None }
        });
        let missing = self.neural.iter().filter_map(|(engine, status)| status.as_ref().err().map(|r| (engine, r)));
        let missing = missing.map(|(engine, reason)| EngineStatus {
            id: engine.to_string(),
            version: None,
            available: false,
            reason: Some(reason.to_string()),
        });
        running.chain(missing).collect()
    }

    /// Why natural voices are not running, when no neural engine runs.
    pub fn natural_unavailable(&self) -> Option<&Unavailable> {
        planning::natural_unavailable(&self.neural)
    }

    /// Live workers of the primary engine (0: the service cannot speak).
    pub(crate) fn live_workers(&self) -> usize {
        self.speaker.pool().stats().live_workers.load(Ordering::SeqCst)
    }

    /// The worker pool of the primary (espeak-ng) engine.
    pub fn pool(&self) -> &Pool {
        self.speaker.pool()
    }

    /// Every engine's worker pool, for metrics.
    pub fn pools(&self) -> impl Iterator<Item = &Pool> {
        self.speaker.pools()
    }

    /// The segment cache, for metrics.
    pub fn segment_cache(&self) -> &SegmentCache {
        self.speaker.cache()
    }

    /// Where shared podcast batches keep their episode files.
    pub(crate) fn episode_files(&self) -> EpisodeFiles {
        EpisodeFiles::new(Arc::clone(&self.storage))
    }

    /// The database shared with other replicas, if one is configured.
    pub(crate) fn database(&self) -> Option<&Arc<Database>> {
        self.database.as_ref()
    }

    /// Creates (or finds, since ids are content-addressed) a stored document.
    /// Documents are for listening (pages, the Listen button, podcasts), so
    /// they are spoken by natural voices unless the options say otherwise.
    pub(crate) async fn create_document(
        &self,
        text: String,
        format: InputFormat,
        options: &SpeechOptions,
    ) -> Result<Arc<StoredDocument>, DocumentError> {
        let options = SpeechOptions { quality: options.quality.or(Some(Quality::Natural)), ..options.clone() };
        let id = DocumentId::for_content(&text, format, &options);
        if let Some(existing) = self.document(&id).await? {
            return Ok(existing);
        }
        let plan = self.plan_text(SpeechRequest { text: text.clone(), format, options: options.clone() }).await?;
        let stored = Arc::new(StoredDocument { id, format, options, text, plan });
        self.documents.put(stored.id.as_str(), serde_json::to_vec(&*stored).expect("documents serialize")).await?;
        self.recent.insert(stored.id.clone(), Arc::clone(&stored));
        Ok(stored)
    }

    /// A document if it is in memory (no I/O).
    fn recent_document(&self, id: &DocumentId) -> Option<Arc<StoredDocument>> {
        self.recent.get(id)
    }

    /// A stored document, if it exists.
    pub(crate) async fn document(&self, id: &DocumentId) -> Result<Option<Arc<StoredDocument>>, DocumentError> {
        if let Some(document) = self.recent_document(id) {
            return Ok(Some(document));
        }
        let Some(bytes) = self.documents.get(id.as_str()).await? else { return Ok(None) };
        let mut document: StoredDocument =
            serde_json::from_slice(&bytes).map_err(|e| DocumentError::Corrupt(id.clone(), e))?;
        // Planned with a voice this run does not have (a neural engine that
        // is not installed now): plan again with the voices there are. The
        // stored plan is kept for runs that have the voice.
        let catalog = self.speaker.catalog();
        if document.plan.paragraphs.iter().flat_map(|p| &p.sentences).any(|s| catalog.get(&s.voice).is_none()) {
            let request = SpeechRequest {
                text: document.text.clone(),
                format: document.format,
                options: document.options.clone(),
            };
            document.plan = self.plan_text(request).await?;
        }
        let document = Arc::new(document);
        self.recent.insert(id.clone(), Arc::clone(&document));
        Ok(Some(document))
    }
}

/// The store the settings choose: an object store if one is set, else
/// the cache directory.
fn open_storage(settings: &Settings) -> Result<Storage, StartError> {
    match settings.store.object_store() {
        Some(object_store) => Storage::s3(&object_store, &settings.cache.dir)
            .map_err(|error| StartError::Store { url: object_store.url.clone(), error }),
        None => Storage::local(&settings.cache.dir)
            .map_err(|error| StartError::Cache { path: settings.cache.dir.clone(), error }),
    }
}
