//! What a speech stream delivers (events in plan order), how its reader
//! takes them, why an utterance can fail, and whether a request will be
//! served from the cache.

use crate::engine::pool::JobError;
use crate::engine::Mark;
use crate::voice::VoiceError;
use tokio::sync::{mpsc, oneshot};

/// What a speech stream delivers, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum SpeechEvent {
    /// Utterance `index` starts at `start_sample` of the stream.
    Utterance {
        index: usize,
        paragraph: usize,
        sentence: usize,
        start_sample: u64,
        cached: bool,
    },
    Audio(Vec<i16>),
    /// Utterance `index` ends at `end_sample` (its audio is complete).
    UtteranceEnd {
        index: usize,
        end_sample: u64,
    },
    /// A mark of utterance `index`; `mark.sample` counts from the stream's start.
    Mark {
        index: usize,
        mark: Mark,
    },
    /// Utterance `index` produced no audio; the stream goes on without it.
    Skipped {
        index: usize,
        error: SpeakError,
    },
    /// The stream is complete.
    Finished {
        samples: u64,
    },
}

/// The events of a speech stream, as its reader takes them.
///
/// A reader that comes back for more after the first utterance ended (or
/// failed) has delivered it. That is told once, to work that waits so as
/// not to compete for the CPU with the first speech on its way to the
/// listener: planning the rest of a text.
pub struct SpeechEvents {
    events: mpsc::Receiver<SpeechEvent>,
    delivered: Option<oneshot::Sender<()>>,
    utterance_taken: bool,
}

impl SpeechEvents {
    /// `events`, telling `delivered` once the reader has delivered the
    /// first utterance.
    pub(crate) fn telling_delivery(events: mpsc::Receiver<SpeechEvent>, delivered: oneshot::Sender<()>) -> Self {
        Self { events, delivered: Some(delivered), utterance_taken: false }
    }

    /// The next event; `None` once the stream is over.
    pub async fn recv(&mut self) -> Option<SpeechEvent> {
        if self.utterance_taken {
            if let Some(delivered) = self.delivered.take() {
                let _ = delivered.send(());
            }
        }
        let event = self.events.recv().await;
        self.utterance_taken |= matches!(
            event,
            Some(SpeechEvent::UtteranceEnd { .. } | SpeechEvent::Skipped { .. } | SpeechEvent::Finished { .. })
        );
        event
    }
}

impl From<mpsc::Receiver<SpeechEvent>> for SpeechEvents {
    fn from(events: mpsc::Receiver<SpeechEvent>) -> Self {
        Self { events, delivered: None, utterance_taken: false }
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum SpeakError {
    #[error("Herald is busy: the synthesis queue is full")]
    Busy,
    #[error(transparent)]
    Voice(#[from] VoiceError),
    #[error(transparent)]
    Synthesis(JobError),
}

/// Whether a request will be served from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CacheStatus {
    Hit,
    Miss,
    Partial,
}

impl CacheStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Hit => "hit",
            Self::Miss => "miss",
            Self::Partial => "partial",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oneshot::error::TryRecvError;

    fn stream(events: Vec<SpeechEvent>) -> (SpeechEvents, oneshot::Receiver<()>) {
        let (tx, rx) = mpsc::channel(events.len());
        for event in events {
            tx.try_send(event).unwrap();
        }
        let (delivered_tx, delivered) = oneshot::channel();
        (SpeechEvents::telling_delivery(rx, delivered_tx), delivered)
    }

    fn utterance(index: usize) -> SpeechEvent {
        SpeechEvent::Utterance { index, paragraph: 0, sentence: index, start_sample: 0, cached: false }
    }

    #[tokio::test]
    async fn delivery_is_told_when_the_reader_comes_back_after_the_first_utterance() {
        let (mut events, mut delivered) = stream(vec![
            utterance(0),
            SpeechEvent::Audio(vec![1; 441]),
            SpeechEvent::Audio(vec![2; 441]),
            SpeechEvent::UtteranceEnd { index: 0, end_sample: 882 },
            utterance(1),
        ]);
        for _ in 0..4 {
            events.recv().await.unwrap();
            assert_eq!(delivered.try_recv(), Err(TryRecvError::Empty), "told before the utterance was delivered");
        }
        events.recv().await.unwrap();
        assert_eq!(delivered.try_recv(), Ok(()));
    }

    #[tokio::test]
    async fn a_first_utterance_that_failed_is_delivered_too() {
        let failed = SpeechEvent::Skipped { index: 0, error: SpeakError::Busy };
        let (mut events, mut delivered) = stream(vec![utterance(0), failed, utterance(1)]);
        events.recv().await.unwrap();
        events.recv().await.unwrap();
        assert_eq!(delivered.try_recv(), Err(TryRecvError::Empty));
        events.recv().await.unwrap();
        assert_eq!(delivered.try_recv(), Ok(()));
    }

    #[tokio::test]
    async fn a_reader_that_leaves_lets_the_waiting_work_go_on() {
        let (events, mut delivered) = stream(vec![utterance(0)]);
        drop(events);
        assert_eq!(delivered.try_recv(), Err(TryRecvError::Closed));
    }
}
