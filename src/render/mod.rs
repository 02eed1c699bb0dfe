//! Renders: a document, or one of its paragraphs, as a finished audio file
//! in one format, with its timeline (when each sentence and word is heard).
//!
//! A render is made once, by one pass over the speech stream that writes
//! the audio and the timeline together, and stored (audio beside a
//! `.timeline.json`). While it is being made, every request for it, audio
//! or timeline, follows the same growing render from its start, so a
//! player starts as soon as the first sentence is encoded, whatever the
//! document's length. Paragraphs are renders of their own, so a listener
//! who jumps to paragraph N starts rendering there.

mod growing;
mod produce;

pub(crate) use crate::cache::RemoteRender;
pub(crate) use growing::{Render, RenderFailure, RenderReader, RenderState, TimelineEvent};

use crate::audio::{AudioFormat, EncodeError};
use crate::cache::{RenderStore, StoredRender};
use crate::speech::{Speaker, StoredDocument, Utterance};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// Speech events buffered between the speaker and a render's encoder.
const EVENT_BUFFER: usize = 64;

/// Which part of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    Whole,
    Paragraph(usize),
}

impl Part {
    fn name(self) -> String {
        match self {
            Self::Whole => "all".into(),
            Self::Paragraph(n) => format!("p{n}"),
        }
    }
}

/// Why a render could not be had.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RenderError {
    #[error("document {document} has no paragraph {paragraph}")]
    NoParagraph { document: String, paragraph: usize },
    #[error("render storage: {0}")]
    Store(#[from] std::io::Error),
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

/// A render's audio: stored (here, or only in the shared store), or being
/// made (followed from its start).
pub(crate) enum RenderedAudio {
    Stored { path: PathBuf, etag: String },
    Remote { render: RemoteRender, etag: String },
    Growing(RenderReader),
}

/// A render's timeline: stored, or being made.
pub(crate) enum RenderedTimeline {
    Stored(PathBuf),
    Growing(RenderReader),
}

/// Renders being made, by (document, file name).
type Active = HashMap<(String, String), Arc<Render>>;

/// The renders of all documents: those stored, and those being made.
pub(crate) struct Renders {
    store: RenderStore,
    speaker: Arc<Speaker>,
    paragraph_pause_ms: u32,
    active: Arc<Mutex<Active>>,
    /// Renders (and timelines) this replica stored lately, by (document,
    /// file name): found without reading the store.
    finished: Arc<Finished>,
}

/// Local files of renders stored lately.
type Finished = quick_cache::sync::Cache<(String, String), PathBuf>;

/// Stored renders remembered in memory.
const FINISHED_REMEMBERED: usize = 4096;

impl Renders {
    pub(crate) fn new(store: RenderStore, speaker: Arc<Speaker>, paragraph_pause_ms: u32) -> Self {
        let finished = Arc::new(Finished::new(FINISHED_REMEMBERED));
        Self { store, speaker, paragraph_pause_ms, active: Arc::default(), finished }
    }

    /// The audio of `part` in `format`: the stored render, or the render in
    /// progress (started now if there is none). The store is awaited, never
    /// read under the lock: a slow store delays this request only, never
    /// another's.
    pub(crate) async fn audio(
        &self,
        document: &Arc<StoredDocument>,
        part: Part,
        format: AudioFormat,
    ) -> Result<RenderedAudio, RenderError> {
        let (utterances, base) = self.part(document, part)?;
        let name = format!("{base}.{}", format.extension());
        let etag = format!("{}-{name}", document.id);
        let stored = |path| RenderedAudio::Stored { path, etag: etag.clone() };
        if let Some(render) = self.following(document, &name) {
            return Ok(RenderedAudio::Growing(render));
        }
        match self.stored(document, &name).await {
            Some(StoredRender::Local(path)) => return Ok(stored(path)),
            Some(StoredRender::Remote(render)) => return Ok(RenderedAudio::Remote { render, etag }),
            None => {}
        }
        let mut active = self.active.lock().expect("renders lock");
        // Made (or started) by another request while the store was read.
        if let Some(path) = self.finished.get(&(document.id.to_string(), name.clone())) {
            return Ok(stored(path));
        }
        if let Some(render) = active.get(&(document.id.to_string(), name.clone())) {
            return Ok(RenderedAudio::Growing(RenderReader::new(Arc::clone(render))));
        }
        let reader = self.start(&mut active, document, utterances, &base, format)?;
        Ok(RenderedAudio::Growing(reader))
    }

    /// The timeline of `part`: stored, or followed from a render in progress
    /// in any format (a WAV render is started if there is none).
    pub(crate) async fn timeline(
        &self,
        document: &Arc<StoredDocument>,
        part: Part,
    ) -> Result<RenderedTimeline, RenderError> {
        let (utterances, base) = self.part(document, part)?;
        let renders = AudioFormat::FILES.map(|format| format!("{base}.{}", format.extension()));
        if let Some(render) = renders.iter().find_map(|name| self.following(document, name)) {
            return Ok(RenderedTimeline::Growing(render));
        }
        if let Some(path) = self.stored_timeline(document, &timeline_name(&base)).await {
            return Ok(RenderedTimeline::Stored(path));
        }
        let mut active = self.active.lock().expect("renders lock");
        if let Some(path) = self.finished.get(&(document.id.to_string(), timeline_name(&base))) {
            return Ok(RenderedTimeline::Stored(path));
        }
        for name in renders {
            if let Some(render) = active.get(&(document.id.to_string(), name)) {
                return Ok(RenderedTimeline::Growing(RenderReader::new(Arc::clone(render))));
            }
        }
        let reader = self.start(&mut active, document, utterances, &base, AudioFormat::Wav)?;
        Ok(RenderedTimeline::Growing(reader))
    }

    /// The render of `name` in progress, if there is one (memory only).
    fn following(&self, document: &StoredDocument, name: &str) -> Option<RenderReader> {
        let active = self.active.lock().expect("renders lock");
        active.get(&(document.id.to_string(), name.to_string())).map(|render| RenderReader::new(Arc::clone(render)))
    }

    /// Stored render `name`: this replica's file, or the store's object.
    async fn stored(&self, document: &StoredDocument, name: &str) -> Option<StoredRender> {
        if let Some(path) = self.finished.get(&(document.id.to_string(), name.to_string())) {
            return Some(StoredRender::Local(path));
        }
        self.store.find(document.id.as_str(), name).await
    }

    /// The local file of stored timeline `name` (fetched from the store, if
    /// this replica has no copy).
    async fn stored_timeline(&self, document: &StoredDocument, name: &str) -> Option<PathBuf> {
        if let Some(path) = self.finished.get(&(document.id.to_string(), name.to_string())) {
            return Some(path);
        }
        self.store.local_copy(document.id.as_str(), name).await
    }

    /// How many renders are being made now.
    pub(crate) fn in_progress(&self) -> usize {
        self.active.lock().expect("renders lock").len()
    }

    /// The utterances of `part`, and the base name of its renders: the
    /// part, and the fingerprint of the voices it uses and of the pause
    /// between paragraphs, so a new engine, model or setting is never
    /// served from old files.
    fn part(&self, document: &StoredDocument, part: Part) -> Result<(Vec<Utterance>, String), RenderError> {
        let plan = &document.plan;
        let utterances = match part {
            Part::Whole => plan.utterances(),
            Part::Paragraph(n) => {
                let paragraph = plan
                    .paragraphs
                    .get(n)
                    .ok_or_else(|| RenderError::NoParagraph { document: document.id.to_string(), paragraph: n })?;
                plan.paragraph_utterances(paragraph)
            }
        };
        let voices = self.speaker.fingerprint(&utterances);
        let shape = blake3::hash(format!("{voices} {}", self.paragraph_pause_ms).as_bytes());
        let base = format!("{}-{}", &shape.to_hex()[..16], part.name());
        Ok((utterances, base))
    }

    /// Starts a render (the caller holds the lock on `active`).
    fn start(
        &self,
        active: &mut Active,
        document: &Arc<StoredDocument>,
        utterances: Vec<Utterance>,
        base: &str,
        format: AudioFormat,
    ) -> Result<RenderReader, RenderError> {
        let name = format!("{base}.{}", format.extension());
        let writer = self.store.writer(document.id.as_str(), &name)?;
        let sample_rate = self.speaker.sample_rate();
        let (forward, encoder_input) = mpsc::channel(EVENT_BUFFER);
        let speech = crate::speech::EncodedSpeech::new(encoder_input, format, sample_rate)?;
        let render = Arc::new(Render::new(format, speech.output_rate(), writer.follower()?));
        let reader = RenderReader::new(Arc::clone(&render));
        let key = (document.id.to_string(), name);
        active.insert(key.clone(), Arc::clone(&render));
        let job = produce::Job {
            render,
            document: Arc::clone(document),
            events: self.speaker.speak(utterances.clone()),
            utterances,
            forward,
            speech,
            sample_rate,
            writer,
            store: self.store.clone(),
            timeline_name: timeline_name(base),
        };
        let (registry, finished) = (Arc::clone(&self.active), Arc::clone(&self.finished));
        let (store, timeline) = (self.store.clone(), timeline_name(base));
        tokio::spawn(produce::produce(job, move |stored| {
            let mut active = registry.lock().expect("renders lock");
            if stored {
                finished.insert(key.clone(), store.path(&key.0, &key.1));
                finished.insert((key.0.clone(), timeline.clone()), store.path(&key.0, &timeline));
            }
            active.remove(&key);
        }));
        Ok(reader)
    }
}

fn timeline_name(base: &str) -> String {
    format!("{base}.timeline.json")
}
