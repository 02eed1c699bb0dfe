//! Speaking a text as it is planned: the operation behind every live
//! speech front door (`POST /v1/speech`, OpenAI, MaryTTS, OpenTTS,
//! Wyoming, `herald synth`).
//!
//! The text is ingested, and its opening paragraph planned and handed to
//! the speaker, before the rest of it is read: first audio does not grow
//! with the length of the text. The rest is planned in batches on a thread
//! of the stream's own, once the stream's reader has delivered the first
//! utterance, and held back by the stream (a reader that stops reading
//! stops the planning too); what the whole text turned out to be (its
//! voices and languages) is told once it is all planned.

use super::stats::BeingPlanned;
use super::{Pipeline, PlanTextError};
use crate::audio::{AudioFormat, EncodeError};
use crate::document::{ingest, Document, InputFormat};
use crate::report::Chain;
use crate::speech::plan::paragraph_utterances;
use crate::speech::{
    CacheStatus, EncodedSpeech, Plan, SpeechEvent, SpeechEvents, SpeechOptions, Timeline, TimelineBuilder, Utterance,
};
use crate::text::LangTag;
use crate::voice::VoiceId;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

mod rest;

use rest::{plan_batch, OutlineBuilder, Rest};

/// A text to speak, and how: what every speech front door asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct SpeechRequest {
    pub text: String,
    pub format: InputFormat,
    pub options: SpeechOptions,
}

/// What is known of a text when its opening is planned: all a response's
/// headers can say without waiting for the rest.
#[derive(Debug, Clone)]
pub struct Opening {
    /// The document's language as guessed from its opening.
    pub(crate) lang: LangTag,
    /// The voice of the first sentence.
    pub voice: Option<VoiceId>,
    /// Whether the sentences planned so far are cached.
    pub(crate) cache: CacheStatus,
}

/// What the whole text turned out to be, once all of it is planned.
#[derive(Debug, Clone, PartialEq)]
pub struct Outline {
    /// The document's language, guessed from the whole text.
    pub lang: LangTag,
    /// The voices that speak it, in speaking order (a voice again only after another).
    pub voices: Vec<VoiceId>,
    /// The sentences' languages, each once, in order of first use.
    pub(crate) langs: Vec<LangTag>,
    pub sentences: usize,
    /// Words of the text spoken.
    pub(crate) words: usize,
}

/// Speech on its way: events in order, what the opening is, and the outline to come.
pub struct SpeechStream {
    pub events: SpeechEvents,
    pub opening: Opening,
    /// Sent once the whole text is planned; dropped if the stream is abandoned first.
    pub outline: oneshot::Receiver<Outline>,
    planned: Arc<AtomicUsize>,
}

impl SpeechStream {
    /// Sentences planned and handed to the speaker so far.
    pub fn planned(&self) -> usize {
        self.planned.load(Ordering::SeqCst)
    }
}

/// Speech on its way to a client as encoded audio.
pub(crate) struct Speech {
    pub(crate) audio: EncodedSpeech,
    pub(crate) opening: Opening,
    pub(crate) outline: oneshot::Receiver<Outline>,
}

/// A text planned whole, and its speech on the way: for a front door that
/// places things by the whole plan (the Speech Dispatcher module's marks).
pub(crate) struct PlannedSpeech {
    pub(crate) plan: Plan,
    /// The plan's utterances, in the order the events number them.
    pub(crate) utterances: Vec<Utterance>,
    pub(crate) events: mpsc::Receiver<SpeechEvent>,
}

/// A plan spoken whole into memory, with its timeline: for batch work
/// (podcast episodes), which needs all of the audio before it encodes.
pub(crate) struct SpokenPlan {
    pub(crate) samples: Vec<i16>,
    pub(crate) timeline: Timeline,
    /// Sentences synthesized now, served from the cache, and left out.
    pub(crate) synthesized: u64,
    pub(crate) cached: u64,
    pub(crate) skipped: usize,
}

/// The speech stream of a plan ended before the plan was spoken.
#[derive(Debug, thiserror::Error)]
#[error("the speech stream ended early")]
pub(crate) struct SpeechCut;

/// Why a text could not be spoken.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SpeechError {
    #[error(transparent)]
    Plan(#[from] PlanTextError),
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

/// Utterances planned ahead of the speaker, at most: past this, planning
/// waits for the stream.
const PLANNED_AHEAD: usize = 64;

/// Runs CPU work that the first audio waits for (ingesting a text and
/// planning its opening) without leaving the calling thread where the
/// runtime allows it: on a multi-threaded runtime the thread turns
/// blocking for the while and hands its other tasks to another
/// (`block_in_place`), so the request waits for no thread to wake, there
/// or back. On a current-thread runtime the work goes to a blocking thread.
async fn on_this_thread<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::runtime::Handle::current().runtime_flavor() {
        tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(work),
        _ => tokio::task::spawn_blocking(work).await.expect("planning does not panic"),
    }
}

impl Pipeline {
    /// Speaks a text as it is planned (see the module documentation).
    /// Errors in the text or its opening (bad SSML, an unknown voice) come
    /// back here, before any audio.
    pub async fn speech(self: &Arc<Self>, request: SpeechRequest) -> Result<SpeechStream, PlanTextError> {
        let planner = self.planner.clone();
        let (cursor, opening) = on_this_thread(move || {
            let document = ingest(&request.text, request.format)?;
            let mut cursor = planner.cursor(document, &request.options);
            let opening = plan_batch(&mut cursor, 1, || true).expect("always wanted")?;
            Ok::<_, PlanTextError>((cursor, opening))
        })
        .await?;
        let (rate, pitch) = cursor.delivery();
        let utterances: Vec<Utterance> =
            opening.iter().flat_map(|paragraph| paragraph_utterances(paragraph, rate, pitch)).collect();
        let mut outline = OutlineBuilder::default();
        outline.add(&opening);
        let first_voice = opening.iter().flat_map(|p| &p.sentences).next().map(|s| s.voice.clone());
        let (to_speaker, planned_utterances) = mpsc::channel(PLANNED_AHEAD);
        let (delivered_tx, delivered) = oneshot::channel();
        let events = SpeechEvents::telling_delivery(self.speaker.speak_as_planned(planned_utterances), delivered_tx);
        let planned = Arc::new(AtomicUsize::new(0));
        let (outline_tx, outline_rx) = oneshot::channel();
        let being_planned = BeingPlanned::begin(&self.being_planned);
        let rest = Rest {
            to_speaker,
            delivered,
            outline,
            outline_tx,
            planned: Arc::clone(&planned),
            _being_planned: being_planned,
        };
        // The opening goes to the speaker now, not after a thread starts,
        // and whether it is cached is asked beside its synthesis: the
        // look-ups are under way before the speaker has it, so before it
        // can have stored any of it.
        let (cache, unsent) =
            tokio::join!(self.speaker.cache_status(&utterances), async { rest.send_now(utterances.clone()) });
        let opening_known = Opening { lang: cursor.document_lang(), voice: first_voice, cache };
        // The speaker hands the opening to a worker before this request
        // goes on to its response, or to a thread for the rest.
        tokio::task::yield_now().await;
        if cursor.remaining() == 0 {
            tokio::spawn(rest.hand_over(cursor, unsent));
        } else {
            std::thread::Builder::new()
                .name("herald-plan".into())
                .spawn(move || rest.plan(cursor, unsent))
                .expect("a planning thread starts");
        }
        Ok(SpeechStream { events, opening: opening_known, outline: outline_rx, planned })
    }

    /// Speaks a plan made before (by [`super::planning::Planning`], which
    /// `herald synth` asks which engines a text needs before they start),
    /// encoded as it is spoken.
    pub(crate) fn encode_plan(&self, plan: &Plan, format: AudioFormat) -> Result<EncodedSpeech, EncodeError> {
        EncodedSpeech::new(self.speaker.speak(plan.utterances()), format, self.sample_rate())
    }

    /// Plans a whole text, then speaks it. For short texts (a screen
    /// reader's message); [`Pipeline::speech`] starts long ones sooner.
    pub(crate) async fn planned_speech(
        self: &Arc<Self>,
        request: SpeechRequest,
    ) -> Result<PlannedSpeech, PlanTextError> {
        let plan = self.plan_text(request).await?;
        let utterances = plan.utterances();
        let events = self.speaker.speak(utterances.clone());
        Ok(PlannedSpeech { plan, utterances, events })
    }

    /// Plans a document already parsed (a book's sentences), on a blocking thread.
    pub(crate) async fn plan_document(
        &self,
        document: Document,
        options: &SpeechOptions,
    ) -> Result<Plan, PlanTextError> {
        let (planner, options) = (self.planner.clone(), options.clone());
        tokio::task::spawn_blocking(move || Ok(planner.plan(document, &options)?))
            .await
            .expect("planning does not panic")
    }

    /// Plans a whole text (on a blocking thread: detection is CPU work).
    pub(crate) async fn plan_text(&self, request: SpeechRequest) -> Result<Plan, PlanTextError> {
        let planner = self.planner.clone();
        tokio::task::spawn_blocking(move || {
            super::planning::plan_with(&planner, &request.text, request.format, &request.options)
        })
        .await
        .expect("planning does not panic")
    }

    /// Loads what a first request would otherwise wait for (the language
    /// model, the readers' dictionaries) by planning a short text.
    pub(crate) async fn warm_up(&self) {
        let _ = tokio::task::spawn_blocking(crate::text::lang::preload).await;
        let text = "Herald is ready. Herald est prêt.".to_string();
        let request = SpeechRequest { text, format: InputFormat::Text, options: SpeechOptions::default() };
        if let Err(error) = self.plan_text(request).await {
            tracing::warn!(error = %Chain(&error), "warming up failed");
        }
    }

    /// Speaks a whole plan into memory with its timeline.
    pub(crate) async fn speak_plan(&self, plan: &Plan) -> Result<SpokenPlan, SpeechCut> {
        let mut samples = Vec::new();
        let spoken = self.speak_plan_into(plan, |chunk| samples.extend_from_slice(chunk)).await?;
        Ok(SpokenPlan { samples, ..spoken })
    }

    /// Speaks a whole plan, handing its audio to `audio` as it comes (a
    /// book's chapter goes to disk): the timeline and the counts, with no
    /// samples kept.
    pub(crate) async fn speak_plan_into(
        &self,
        plan: &Plan,
        mut audio: impl FnMut(&[i16]),
    ) -> Result<SpokenPlan, SpeechCut> {
        let utterances = plan.utterances();
        let mut events = self.speaker.speak(utterances.clone());
        let mut timeline = TimelineBuilder::new(plan, &utterances, self.sample_rate());
        let (mut synthesized, mut cached, mut skipped, mut finished) = (0, 0, 0, false);
        while let Some(event) = events.recv().await {
            timeline.push(&event);
            match event {
                SpeechEvent::Audio(chunk) => audio(&chunk),
                SpeechEvent::Utterance { cached: true, .. } => cached += 1,
                SpeechEvent::Utterance { cached: false, .. } => synthesized += 1,
                SpeechEvent::Skipped { .. } => skipped += 1,
                SpeechEvent::Finished { .. } => finished = true,
                SpeechEvent::UtteranceEnd { .. } | SpeechEvent::Mark { .. } => {}
            }
        }
        if !finished {
            return Err(SpeechCut);
        }
        Ok(SpokenPlan { samples: Vec::new(), timeline: timeline.finish(), synthesized, cached, skipped })
    }

    /// Speaks a text as encoded audio in `format`, resampled to
    /// `output_rate` if given (else at the format's natural rate).
    pub(crate) async fn synthesize(
        self: &Arc<Self>,
        request: SpeechRequest,
        format: AudioFormat,
        output_rate: Option<u32>,
    ) -> Result<Speech, SpeechError> {
        let stream = self.speech(request).await?;
        let audio = match output_rate {
            Some(rate) => EncodedSpeech::at(stream.events, format, self.sample_rate(), rate)?,
            None => EncodedSpeech::new(stream.events, format, self.sample_rate())?,
        };
        Ok(Speech { audio, opening: stream.opening, outline: stream.outline })
    }
}
