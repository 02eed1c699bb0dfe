//! The speaker: streams a list of utterances as audio and marks, in order.
//!
//! For each utterance it serves the cached segment if there is one, waits
//! for a concurrent request that is already synthesizing the same segment
//! (single-flight), or submits it to the worker pool. While utterance *k*
//! streams, up to `lookahead` later ones are already being prepared, so the
//! pool works ahead while memory per request stays bounded. Audio chunks are
//! forwarded as the worker produces them. The first utterance is queued as
//! urgent, look-ahead as not, and each becomes urgent when the stream
//! reaches it. Dropping the receiver stops everything at once, even while
//! the stream waits for a worker: queued jobs are skipped and the running
//! one is cancelled inside its worker.

use super::events::{CacheStatus, SpeakError, SpeechEvent};
use super::identity::{self, AudioIdentity};
use super::plan::Utterance;
use crate::cache::{Segment, SegmentCache, SegmentKey};
use crate::coordination::Database;
use crate::engine::pool::{JobError, JobEvent, Pool, Submitted};
use crate::engine::queue::{Promotion, Urgency};
use crate::engine::SynthesisRequest;
use crate::voice::{Catalog, Voice, VoiceError};
use futures::StreamExt;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, Notify};

mod flight;
mod stream;

use flight::Claim;

/// Speech events buffered per stream between the speaker and its reader.
const STREAM_BUFFER: usize = 64;
/// Cache lookups in flight at once when counting what is cached.
const LOOKUPS_AT_ONCE: usize = 16;

/// Tuning of the speaker (from [`Settings`](crate::settings::Settings),
/// the one source of defaults).
#[derive(Debug, Clone)]
pub(crate) struct SpeakerSettings {
    /// Utterances prepared ahead of the one streaming (at least 1).
    pub(crate) lookahead: usize,
    /// Silence between paragraphs.
    pub(crate) paragraph_pause_ms: u32,
}

/// Audio longer than this per utterance is cut off.
const MAX_UTTERANCE_SECONDS: u64 = 120;
/// How long a request's first utterance waits for room in a full queue
/// before the request is refused as busy: not at all, so a client hears
/// "busy" at once and can retry elsewhere.
const ADMISSION_PATIENCE: Duration = Duration::ZERO;

/// Streams utterances through the cache and the pools. Share it in an `Arc`.
pub(crate) struct Speaker {
    /// One pool per engine; the first (espeak-ng) sets the output rate, and
    /// every engine delivers audio at that rate.
    pools: Vec<Arc<Pool>>,
    cache: Arc<SegmentCache>,
    catalog: Arc<Catalog>,
    settings: SpeakerSettings,
    inflight: Mutex<HashMap<SegmentKey, Arc<Notify>>>,
    /// Other replicas sharing the cache, if any: single-flight across them.
    cluster: Option<Arc<Database>>,
}

/// An utterance on its way: cached, being synthesized, or not started.
enum Source {
    Cached(Segment),
    Live {
        events: mpsc::UnboundedReceiver<JobEvent>,
        promotion: Promotion,
        key: SegmentKey,
        claim: Claim,
    },
    /// Another request is synthesizing the same segment.
    Waiting(Arc<Notify>),
    Failed(SpeakError),
}

impl Speaker {
    /// # Panics
    ///
    /// If `pools` is empty.
    pub(crate) fn new(
        pools: Vec<Arc<Pool>>,
        cache: Arc<SegmentCache>,
        catalog: Arc<Catalog>,
        settings: SpeakerSettings,
        cluster: Option<Arc<Database>>,
    ) -> Self {
        assert!(!pools.is_empty(), "a speaker needs at least one engine");
        Self { pools, cache, catalog, settings, inflight: Mutex::new(HashMap::new()), cluster }
    }

    pub(crate) fn sample_rate(&self) -> u32 {
        self.pool().hello().info.sample_rate
    }

    /// The primary (espeak-ng) pool.
    pub(crate) fn pool(&self) -> &Pool {
        &self.pools[0]
    }

    /// Every engine's pool, primary first.
    pub(crate) fn pools(&self) -> impl Iterator<Item = &Pool> {
        self.pools.iter().map(|p| &**p)
    }

    /// The pool of the engine that hosts `voice`.
    fn pool_for(&self, voice: &Voice) -> Result<&Pool, SpeakError> {
        self.pools()
            .find(|p| p.hello().info.id == voice.engine)
            .ok_or_else(|| VoiceError::Unknown(voice.id.to_string()).into())
    }

    pub(crate) fn cache(&self) -> &SegmentCache {
        &self.cache
    }

    pub(crate) fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    fn voice(&self, utterance: &Utterance) -> Result<&Voice, SpeakError> {
        self.catalog.get(&utterance.voice).ok_or_else(|| VoiceError::Unknown(utterance.voice.to_string()).into())
    }

    fn key(&self, utterance: &Utterance, voice: &Voice) -> SegmentKey {
        let (rate, pitch) = (utterance.rate.wpm().to_string(), utterance.pitch.value().to_string());
        SegmentKey::from_digest(self.identity(voice).hash_with(&[&rate, &pitch, &utterance.text]))
    }

    /// What shapes `voice`'s audio besides the text and options.
    pub(crate) fn identity(&self, voice: &Voice) -> AudioIdentity {
        let version = self.pool_for(voice).map_or("", |pool| pool.hello().info.version.as_str());
        AudioIdentity {
            engine: voice.engine.clone(),
            engine_version: version.to_string(),
            voice: voice.id.to_string(),
            model: voice.model.clone(),
        }
    }

    /// The fingerprint of the voices `utterances` use (see [`identity::fingerprint`]).
    pub(crate) fn fingerprint(&self, utterances: &[Utterance]) -> String {
        let voices: std::collections::BTreeSet<&crate::voice::VoiceId> = utterances.iter().map(|u| &u.voice).collect();
        let identities: Vec<AudioIdentity> =
            voices.into_iter().filter_map(|id| self.catalog.get(id)).map(|v| self.identity(v)).collect();
        identity::fingerprint(&identities)
    }

    /// How many of these utterances are cached.
    pub(crate) async fn cached_count(&self, utterances: &[Utterance]) -> usize {
        let keys: Vec<SegmentKey> = utterances.iter().filter_map(|u| Some(self.key(u, self.voice(u).ok()?))).collect();
        futures::stream::iter(keys)
            .map(|key| async move { self.cache.contains(&key).await })
            .buffer_unordered(LOOKUPS_AT_ONCE)
            .filter(|cached| std::future::ready(*cached))
            .count()
            .await
    }

    /// Whether all, some or none of these utterances are cached.
    pub(crate) async fn cache_status(&self, utterances: &[Utterance]) -> CacheStatus {
        match self.cached_count(utterances).await {
            0 => CacheStatus::Miss,
            n if n == utterances.len() => CacheStatus::Hit,
            _ => CacheStatus::Partial,
        }
    }

    /// Starts streaming `utterances`. Events arrive in order; the last one is
    /// `Finished` unless the receiver is dropped first (which cancels).
    pub(crate) fn speak(self: &Arc<Self>, utterances: Vec<Utterance>) -> mpsc::Receiver<SpeechEvent> {
        let (tx, rx) = mpsc::channel(utterances.len().max(1));
        for utterance in utterances {
            tx.try_send(utterance).expect("the channel holds every utterance");
        }
        self.speak_as_planned(rx)
    }

    /// Starts streaming utterances as they are planned: the first is
    /// dispatched as soon as it arrives, each later one as the look-ahead
    /// allows, and the stream is `Finished` once `utterances` is closed and
    /// all of it spoken. Planning is held back with the stream: a reader
    /// that does not read stops the planning too.
    pub(crate) fn speak_as_planned(
        self: &Arc<Self>,
        utterances: mpsc::Receiver<Utterance>,
    ) -> mpsc::Receiver<SpeechEvent> {
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        let speaker = Arc::clone(self);
        tokio::spawn(async move {
            // A reader who leaves stops the stream at once, not at its next
            // event: what it had queued and in flight is dropped now.
            let reader_left = tx.clone();
            tokio::select! {
                () = speaker.drive(utterances, tx) => {}
                () = reader_left.closed() => {}
            }
        });
        rx
    }

    /// Looks an utterance up in the cache and, if absent, claims and submits
    /// it with `urgency`, waiting for room in the queue for up to `patience`
    /// (`None`: as long as it takes). The first utterance of a request is
    /// its admission: if the queue stays full for [`ADMISSION_PATIENCE`],
    /// the request is refused as busy. Later utterances belong to an
    /// admitted request and wait as long as it takes.
    async fn prepare(self: &Arc<Self>, utterance: &Utterance, urgency: Urgency, patience: Option<Duration>) -> Source {
        let voice = match self.voice(utterance) {
            Ok(voice) => voice,
            Err(error) => return Source::Failed(error),
        };
        let key = self.key(utterance, voice);
        // A miss costs one metadata lookup; only a hit reads the segment.
        if self.cache.contains(&key).await {
            if let Some(segment) = self.cache.get(&key).await {
                return Source::Cached(segment);
            }
        } else {
            self.cache.record_miss();
        }
        let claim = {
            let mut inflight = self.inflight.lock().expect("inflight lock");
            if let Some(notify) = inflight.get(&key) {
                return Source::Waiting(Arc::clone(notify));
            }
            inflight.insert(key, Arc::new(Notify::new()));
            Claim { speaker: Arc::clone(self), key, cluster: None }
        };
        let claim = match self.claim_in_cluster(claim).await {
            Ok(claim) => claim,
            Err(segment) => return Source::Cached(segment),
        };
        let request = SynthesisRequest {
            text: utterance.text.clone(),
            voice: voice.engine_voice.clone(),
            rate: utterance.rate.wpm(),
            pitch: utterance.pitch.value(),
            max_samples: MAX_UTTERANCE_SECONDS * voice.sample_rate as u64,
        };
        let pool = match self.pool_for(voice) {
            Ok(pool) => pool,
            Err(error) => return Source::Failed(error),
        };
        match pool.submit(request, urgency, patience).await {
            Ok(Submitted { events, promotion }) => Source::Live { events, promotion, key, claim },
            Err(JobError::QueueFull) => Source::Failed(SpeakError::Busy),
            Err(error) => Source::Failed(SpeakError::Synthesis(error)),
        }
    }
}
