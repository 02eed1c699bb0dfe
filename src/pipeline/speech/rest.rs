//! Planning the rest of a text once its opening is on its way: in
//! batches on a thread of the stream's own at a lower priority, handed to
//! the speaker as they come, with the outline of the whole text told at
//! the end.

use super::Outline;
use crate::pipeline::stats::BeingPlanned;
use crate::pipeline::PlanTextError;
use crate::speech::plan::paragraph_utterances;
use crate::speech::{Paragraph, PlanCursor, Utterance};
use crate::text::LangTag;
use crate::voice::VoiceId;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Sentences planned at a time after the opening, between checks that the
/// listener is still there.
const PLAN_BATCH: usize = 32;

/// Plans paragraphs until at least `sentences` sentences are planned or
/// the text ends; `None` as soon as they are no longer `wanted`.
pub(super) fn plan_batch(
    cursor: &mut PlanCursor,
    sentences: usize,
    wanted: impl Fn() -> bool,
) -> Option<Result<Vec<Paragraph>, PlanTextError>> {
    let mut batch = Vec::new();
    let mut planned = 0;
    while planned < sentences {
        if !wanted() {
            return None;
        }
        let Some(paragraph) = cursor.next_paragraph() else { break };
        match paragraph {
            Ok(paragraph) => {
                planned += paragraph.sentences.len();
                batch.push(paragraph);
            }
            Err(error) => return Some(Err(error.into())),
        }
    }
    Some(Ok(batch))
}

/// What planning the rest of a text reports to.
pub(super) struct Rest {
    pub(super) to_speaker: mpsc::Sender<Utterance>,
    /// Told when the stream's reader has delivered the first utterance.
    pub(super) delivered: oneshot::Receiver<()>,
    pub(super) outline: OutlineBuilder,
    pub(super) outline_tx: oneshot::Sender<Outline>,
    pub(super) planned: Arc<AtomicUsize>,
    /// Counted in [`crate::pipeline::Pipeline::stats`] until planning ends.
    pub(super) _being_planned: BeingPlanned,
}

impl Rest {
    /// Hands the speaker as many of `utterances` as it has room for
    /// without waiting; the ones it had no room for.
    pub(super) fn send_now(&self, utterances: Vec<Utterance>) -> Vec<Utterance> {
        let mut utterances = utterances.into_iter();
        while let Ok(room) = self.to_speaker.try_reserve() {
            let Some(utterance) = utterances.next() else { break };
            room.send(utterance);
            self.planned.fetch_add(1, Ordering::SeqCst);
        }
        utterances.collect()
    }

    /// Hands the rest of a text planned whole (its opening is all of it) to
    /// the speaker: what [`Rest::send_now`] had no room for.
    pub(super) async fn hand_over(self, cursor: PlanCursor, utterances: Vec<Utterance>) {
        for utterance in utterances {
            if self.to_speaker.send(utterance).await.is_err() {
                return;
            }
            self.planned.fetch_add(1, Ordering::SeqCst);
        }
        let _ = self.outline_tx.send(self.outline.finish(cursor.document_lang()));
    }

    /// Hands the speaker what [`Rest::send_now`] left of the opening, then
    /// plans and hands over the rest, a batch at a time; tells the outline
    /// at the end. Runs on a thread of its own at a lower priority, and
    /// plans the rest only once the stream's reader has delivered the first
    /// utterance whole: on a small machine, planning beside the first
    /// synthesis and its delivery delays them, even at a lower priority.
    /// The first utterance plays for longer than it takes to plan and
    /// synthesize the next, with any engine faster than real time.
    pub(super) fn plan(mut self, mut cursor: PlanCursor, opening: Vec<Utterance>) {
        lower_priority();
        let (rate, pitch) = cursor.delivery();
        let mut batch = opening;
        let mut delivered = Some(self.delivered);
        loop {
            for utterance in batch {
                if self.to_speaker.blocking_send(utterance).is_err() {
                    return;
                }
                self.planned.fetch_add(1, Ordering::SeqCst);
            }
            if cursor.remaining() == 0 {
                break;
            }
            if let Some(delivered) = delivered.take() {
                // Told, or the stream ended: either way, go on.
                let _ = delivered.blocking_recv();
            }
            // The listener left: nothing more to plan.
            let Some(planned) = plan_batch(&mut cursor, PLAN_BATCH, || !self.to_speaker.is_closed()) else { return };
            match planned {
                Ok(paragraphs) => {
                    self.outline.add(&paragraphs);
                    batch = paragraphs.iter().flat_map(|p| paragraph_utterances(p, rate, pitch)).collect();
                }
                Err(error) => {
                    tracing::error!(%error, "the rest of the text could not be planned; speech ends here");
                    return;
                }
            }
        }
        drop(self.to_speaker);
        let _ = self.outline_tx.send(self.outline.finish(cursor.document_lang()));
    }
}

/// Lowers this thread's scheduling priority (nice 10): it yields the CPU
/// to synthesis and delivery whenever they want it.
fn lower_priority() {
    // SAFETY: gettid has no preconditions; setpriority on this thread's own
    // id changes only this thread, and its failure leaves it as it was.
    unsafe {
        let thread = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, thread as libc::id_t, 10);
    }
}

/// The outline, gathered as paragraphs are planned.
#[derive(Default)]
pub(super) struct OutlineBuilder {
    voices: Vec<VoiceId>,
    langs: Vec<LangTag>,
    sentences: usize,
    words: usize,
}

impl OutlineBuilder {
    pub(super) fn add(&mut self, paragraphs: &[Paragraph]) {
        self.words += paragraphs.iter().map(|p| p.text.split_whitespace().count()).sum::<usize>();
        for sentence in paragraphs.iter().flat_map(|p| &p.sentences) {
            self.sentences += 1;
            if self.voices.last() != Some(&sentence.voice) {
                self.voices.push(sentence.voice.clone());
            }
            if !self.langs.contains(&sentence.lang) {
                self.langs.push(sentence.lang.clone());
            }
        }
    }

    pub(super) fn finish(self, lang: LangTag) -> Outline {
        Outline { lang, voices: self.voices, langs: self.langs, sentences: self.sentences, words: self.words }
    }
}
