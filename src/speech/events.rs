//! What a speech stream delivers (events in plan order), why an utterance
//! can fail, and whether a request will be served from the cache.

use crate::engine::pool::JobError;
use crate::engine::Mark;
use crate::voice::VoiceError;

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
