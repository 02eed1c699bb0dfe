//! The assembled pipeline every front door uses: worker pool, voice catalog,
//! language detector, segment cache and speaker, started from [`Settings`].

use crate::cache::{DocumentStore, RenderStore, SegmentCache};
use crate::document::{IngestError, InputFormat};
use crate::engine::espeak::Espeak;
use crate::engine::piper::{discover, Piper};
use crate::engine::pool::{Pool, PoolConfig, PoolError};
use crate::settings::Settings;
use crate::speech::{DocumentId, Plan, PlanError, Speaker, SpeakerSettings, SpeechOptions, StoredDocument};
use crate::text::LanguageDetector;
use crate::voice::{Catalog, CatalogError, Quality};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Why the pipeline could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Pool(#[from] PoolError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    CatalogFile(#[from] crate::planning::PlanningError),
    #[error("cache directory {path}: {error}")]
    Cache { path: PathBuf, error: std::io::Error },
}

/// Why a text could not be planned.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PlanTextError {
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Plan(#[from] PlanError),
}

/// Parsed documents kept in memory (each is a few kilobytes to a few megabytes).
const RECENT_DOCUMENTS: usize = 256;

/// Why a document could not be created or read.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error(transparent)]
    Plan(#[from] PlanTextError),
    #[error("document store: {0}")]
    Store(#[from] std::io::Error),
    #[error("stored document {0} is unreadable: {1}")]
    Corrupt(DocumentId, serde_json::Error),
}

/// The running pipeline. Share it in an `Arc`.
pub struct Pipeline {
    pub speaker: Arc<Speaker>,
    /// Recently used documents, parsed, in front of the store.
    recent: quick_cache::sync::Cache<DocumentId, Arc<StoredDocument>>,
    pub documents: DocumentStore,
    pub renders: RenderStore,
    pub detector: LanguageDetector,
    pub settings: Settings,
    /// Whether neural voices are running, and if not, why.
    pub neural: Result<(), discover::Unavailable>,
}

impl Pipeline {
    /// Starts workers with `worker_program` (the Herald binary) and opens the cache.
    pub async fn start(settings: Settings, worker_program: PathBuf) -> Result<Self, StartError> {
        let espeak = Pool::start(PoolConfig {
            program: worker_program.clone(),
            engine: Espeak::ID.into(),
            engine_config: String::new(),
            workers: settings.worker_count(),
            queue_capacity: settings.queue_capacity,
            deadline: Duration::from_secs(settings.utterance_deadline_secs),
            memory_limit_mb: settings.worker_memory_mb,
        })
        .await?;
        let mut pools = vec![Arc::new(espeak)];
        let neural = match start_neural(&settings, worker_program, pools[0].hello().info.sample_rate).await {
            Ok(pool) => {
                let voices: Vec<&str> = pool.hello().voices.iter().map(|v| v.identifier.as_str()).collect();
                tracing::info!(voices = %voices.join(", "), runtime = %pool.hello().info.version, "neural voices ready");
                pools.push(Arc::new(pool));
                Ok(())
            }
            Err(reason) => {
                tracing::info!(%reason, "neural voices unavailable; speaking with espeak-ng only");
                Err(reason)
            }
        };
        let catalog_toml = crate::planning::catalog_toml(&settings)?;
        let hellos: Vec<_> = pools.iter().map(|p| p.hello()).collect();
        let catalog = Catalog::new(&catalog_toml, &hellos)?;
        let cache_error = |error| StartError::Cache { path: settings.cache_dir.clone(), error };
        let cache = SegmentCache::open(&settings.cache_dir, settings.cache_max_bytes).map_err(cache_error)?;
        let documents = DocumentStore::open(&settings.cache_dir).map_err(cache_error)?;
        let renders = RenderStore::open(&settings.cache_dir).map_err(cache_error)?;
        let speaker_settings = SpeakerSettings {
            lookahead: settings.lookahead.max(1),
            paragraph_pause_ms: settings.paragraph_pause_ms,
            ..SpeakerSettings::default()
        };
        let speaker = Speaker::new(pools, Arc::new(cache), Arc::new(catalog), speaker_settings);
        Ok(Self {
            speaker: Arc::new(speaker),
            recent: quick_cache::sync::Cache::new(RECENT_DOCUMENTS),
            documents,
            renders,
            detector: LanguageDetector::default(),
            settings,
            neural,
        })
    }

    /// Ingests and plans a text.
    pub fn plan(&self, text: &str, format: InputFormat, options: &SpeechOptions) -> Result<Plan, PlanTextError> {
        crate::planning::plan_with(self.speaker.catalog(), &self.detector, text, format, options)
    }

    /// Creates (or finds, since ids are content-addressed) a stored document.
    /// Documents are for listening (pages, the Listen button, podcasts), so
    /// they are spoken by natural voices unless the options say otherwise.
    pub fn create_document(
        &self,
        text: &str,
        format: InputFormat,
        options: &SpeechOptions,
    ) -> Result<Arc<StoredDocument>, DocumentError> {
        let options = &SpeechOptions { quality: options.quality.or(Some(Quality::Natural)), ..options.clone() };
        let id = DocumentId::for_content(text, format, options);
        if let Some(existing) = self.document(&id)? {
            return Ok(existing);
        }
        let plan = self.plan(text, format, options)?;
        let stored = Arc::new(StoredDocument { id, format, options: options.clone(), text: text.to_string(), plan });
        self.documents.put(stored.id.as_str(), &serde_json::to_vec(&*stored).expect("documents serialize"))?;
        self.recent.insert(stored.id.clone(), Arc::clone(&stored));
        Ok(stored)
    }

    /// A document if it is in memory (no I/O).
    pub fn recent_document(&self, id: &DocumentId) -> Option<Arc<StoredDocument>> {
        self.recent.get(id)
    }

    /// A stored document, if it exists.
    pub fn document(&self, id: &DocumentId) -> Result<Option<Arc<StoredDocument>>, DocumentError> {
        if let Some(document) = self.recent_document(id) {
            return Ok(Some(document));
        }
        let Some(bytes) = self.documents.get(id.as_str())? else { return Ok(None) };
        let mut document: StoredDocument =
            serde_json::from_slice(&bytes).map_err(|e| DocumentError::Corrupt(id.clone(), e))?;
        // Planned with a voice this run does not have (a neural engine that
        // is not installed now): plan again with the voices there are. The
        // stored plan is kept for runs that have the voice.
        let catalog = self.speaker.catalog();
        if document.plan.paragraphs.iter().flat_map(|p| &p.sentences).any(|s| catalog.get(&s.voice).is_none()) {
            document.plan = self.plan(&document.text, document.format, &document.options)?;
        }
        let document = Arc::new(document);
        self.recent.insert(id.clone(), Arc::clone(&document));
        Ok(Some(document))
    }
}

/// Starts the neural (Piper) workers, if enabled and installed.
async fn start_neural(settings: &Settings, program: PathBuf, sample_rate: u32) -> Result<Pool, discover::Unavailable> {
    if !settings.neural {
        return Err(discover::Unavailable::Disabled);
    }
    let setup =
        discover::find(settings.onnxruntime.as_deref(), &settings.neural_dirs, settings.neural_threads, sample_rate)?;
    Pool::start(PoolConfig {
        program,
        engine: Piper::ID.into(),
        engine_config: serde_json::to_string(&setup).expect("setup serializes"),
        workers: settings.neural_workers.max(1),
        queue_capacity: settings.queue_capacity,
        deadline: Duration::from_secs(settings.utterance_deadline_secs),
        memory_limit_mb: settings.neural_worker_memory_mb,
    })
    .await
    .map_err(|e| discover::Unavailable::Failed(e.to_string()))
}
