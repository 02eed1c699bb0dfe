//! The in-order stream of a request: each utterance, once prepared, is
//! streamed in turn (cached audio at once, live audio as the worker makes
//! it), with the pauses between sentences and paragraphs, and fresh audio
//! is stored when it is complete.

use super::{Source, Speaker, ADMISSION_PATIENCE};
use crate::cache::Segment;
use crate::engine::pool::{JobError, JobEvent};
use crate::engine::queue::Urgency;
use crate::engine::Mark;
use crate::speech::events::{SpeakError, SpeechEvent};
use crate::speech::plan::Utterance;
use std::sync::Arc;
use tokio::sync::mpsc;

impl Speaker {
    pub(super) async fn drive(
        self: Arc<Self>,
        mut utterances: mpsc::Receiver<Utterance>,
        tx: mpsc::Sender<SpeechEvent>,
    ) {
        let sample_rate = self.sample_rate();
        let pause = crate::audio::silence(self.settings.paragraph_pause_ms, sample_rate);
        // The scheduler prepares utterances in order, at most `lookahead`
        // ahead of the one streaming; the first is dispatched at once.
        let (prepared, mut ready) = mpsc::channel(self.settings.lookahead.max(1));
        if let Some(first) = utterances.recv().await {
            let source = self.prepare(&first, Urgency::Now, Some(ADMISSION_PATIENCE)).await;
            let _ = prepared.send((first, source)).await;
        }
        let scheduler = Arc::clone(&self);
        tokio::spawn(async move {
            let stream_ended = prepared.clone();
            let schedule = async {
                while let Some(utterance) = utterances.recv().await {
                    let source = scheduler.prepare(&utterance, Urgency::Ahead, None).await;
                    if prepared.send((utterance, source)).await.is_err() {
                        return;
                    }
                }
            };
            tokio::select! {
                () = schedule => {}
                () = stream_ended.closed() => {}
            }
        });
        let mut position = 0u64;
        let mut stores = Vec::new();
        let mut before: Option<Utterance> = None;
        let mut index = 0;
        while let Some((utterance, source)) = ready.recv().await {
            let this = index;
            index += 1;
            let previous = before.replace(utterance.clone());
            if let Source::Live { promotion, .. } = &source {
                promotion.now();
            }
            let source = self.resolve(source, &utterance).await;
            if let Source::Failed(error) = source {
                if tx.send(SpeechEvent::Skipped { index: this, error }).await.is_err() {
                    return;
                }
                continue;
            }
            // After a sentence, the pause its source asks for; between
            // paragraphs, the paragraph pause.
            let gap = previous.and_then(|before| match before.pause_after_ms {
                Some(ms) => Some(crate::audio::silence(ms, sample_rate)),
                None => (before.paragraph != utterance.paragraph).then(|| pause.clone()),
            });
            if let Some(gap) = gap.filter(|g| !g.is_empty()) {
                position += gap.len() as u64;
                if tx.send(SpeechEvent::Audio(gap)).await.is_err() {
                    return;
                }
            }
            let cached = matches!(source, Source::Cached(_));
            let start = SpeechEvent::Utterance {
                index: this,
                paragraph: utterance.paragraph,
                sentence: utterance.sentence,
                start_sample: position,
                cached,
            };
            if tx.send(start).await.is_err() {
                return;
            }
            let streamed = self.stream(source, this, &mut position, &tx, &mut stores).await;
            match streamed {
                Ok(()) => {
                    if tx.send(SpeechEvent::UtteranceEnd { index: this, end_sample: position }).await.is_err() {
                        return;
                    }
                }
                Err(Stop::Skipped(error)) => {
                    if tx.send(SpeechEvent::Skipped { index: this, error }).await.is_err() {
                        return;
                    }
                }
                Err(Stop::Disconnected) => return,
            }
        }
        // The stream ends once its fresh segments are stored, so the next
        // identical request is a cache hit.
        for store in stores {
            let _ = store.await;
        }
        let _ = tx.send(SpeechEvent::Finished { samples: position }).await;
    }

    /// Streams one resolved source, caching fresh audio when it completes.
    async fn stream(
        &self,
        source: Source,
        index: usize,
        position: &mut u64,
        tx: &mpsc::Sender<SpeechEvent>,
        stores: &mut Vec<tokio::task::JoinHandle<()>>,
    ) -> Result<(), Stop> {
        let start = *position;
        match source {
            Source::Cached(segment) => {
                for mark in segment.marks {
                    send(tx, SpeechEvent::Mark { index, mark: Mark { sample: mark.sample + start, ..mark } }).await?;
                }
                *position += segment.samples.len() as u64;
                send(tx, SpeechEvent::Audio(segment.samples)).await
            }
            Source::Live { mut events, key, claim, .. } => {
                let mut fresh = Segment { sample_rate: self.sample_rate(), samples: Vec::new(), marks: Vec::new() };
                loop {
                    match events.recv().await {
                        Some(JobEvent::Audio(samples)) => {
                            fresh.samples.extend_from_slice(&samples);
                            *position += samples.len() as u64;
                            send(tx, SpeechEvent::Audio(samples)).await?;
                        }
                        Some(JobEvent::Mark(mark)) => {
                            fresh.marks.push(mark);
                            send(tx, SpeechEvent::Mark { index, mark: Mark { sample: mark.sample + start, ..mark } })
                                .await?;
                        }
                        Some(JobEvent::Done(outcome)) => {
                            if !outcome.aborted {
                                // Stored off the streaming path; the claim is held
                                // until the entry exists, so waiters find it.
                                let cache = Arc::clone(&self.cache);
                                stores.push(tokio::spawn(async move {
                                    if let Err(error) = cache.put(&key, &fresh).await {
                                        tracing::warn!(%error, "could not store a segment in the cache");
                                    }
                                    drop(claim);
                                }));
                            }
                            return Ok(());
                        }
                        Some(JobEvent::Failed(error)) => return Err(Stop::Skipped(SpeakError::Synthesis(error))),
                        None => return Err(Stop::Skipped(SpeakError::Synthesis(JobError::Closed))),
                    }
                }
            }
            Source::Failed(error) => Err(Stop::Skipped(error)),
            Source::Waiting(_) => unreachable!("resolved before streaming"),
        }
    }
}

/// Why streaming an utterance stopped early.
enum Stop {
    Skipped(SpeakError),
    Disconnected,
}

async fn send(tx: &mpsc::Sender<SpeechEvent>, event: SpeechEvent) -> Result<(), Stop> {
    tx.send(event).await.map_err(|_| Stop::Disconnected)
}
