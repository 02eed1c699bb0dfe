//! Speech engines: the [`Engine`] trait, the espeak-ng engine, the worker
//! process that hosts an engine, and the supervised [`pool::Pool`] of workers.
//!
//! Engines run only inside worker processes (`herald worker`): libespeak-ng is
//! not thread-safe and aborts the process on some ordinary-looking inputs, so
//! the server never calls it directly. A crash fails one utterance, not the
//! server. The platform speech engine ([`platform`]) is the exception: it only
//! plays audio on the host and is used by `herald speak`.

pub(crate) mod cancel;
mod error;
pub mod espeak;
#[cfg(feature = "fault-engine")]
pub(crate) mod fault;
pub mod kokoro;
pub mod neural;
pub mod piper;
pub(crate) mod platform;
pub mod pool;
pub mod protocol;
pub mod queue;
pub(crate) mod registry;
pub(crate) mod worker;

pub use cancel::Cancellation;
pub use error::{Cause, EngineError};
use serde::{Deserialize, Serialize};

/// What an engine can do beyond what every engine does (stream audio in
/// chunks while it synthesizes, and mark where words and sentences start).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Capabilities {
    /// Slowest and fastest rate it accepts, in words per minute.
    pub(crate) rate_range: (u32, u32),
}

/// Identity and abilities of an engine, sent by a worker when it starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineInfo {
    /// Stable engine id, e.g. `espeak-ng`.
    pub id: String,
    /// The engine library's version; part of every cache key.
    pub version: String,
    pub sample_rate: u32,
    pub(crate) capabilities: Capabilities,
}

/// A voice as the engine itself lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineVoice {
    /// What the engine needs to select the voice (espeak: `gmw/en-US`).
    pub identifier: String,
    pub(crate) name: String,
    /// Language codes with the engine's priority (lower is preferred).
    pub(crate) languages: Vec<(u8, String)>,
    pub(crate) gender: Option<Gender>,
    /// Identity of the model file for engines that load models (a hash), so
    /// cached audio from a replaced model is never served.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) model: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Gender {
    Male,
    Female,
}

/// One synthesis call: a sentence or similar short text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SynthesisRequest {
    pub text: String,
    /// The engine's voice identifier ([`EngineVoice::identifier`]).
    pub voice: String,
    /// Words per minute.
    pub rate: u32,
    /// 0–100, 50 is the voice's normal pitch.
    pub pitch: u32,
    /// Synthesis stops (and reports [`Outcome::truncated`]) past this many samples.
    pub max_samples: u64,
}

/// A position in the text reached at a position in the audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    pub kind: MarkKind,
    /// 0-based offset in chars (Unicode scalar values) into the request text.
    pub text_offset: u32,
    /// Length in chars (words only; 0 for sentences).
    pub text_len: u32,
    /// Offset in samples from the start of this synthesis.
    pub sample: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MarkKind {
    Word,
    Sentence,
}

/// What an engine hands its sink while it synthesizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SynthEvent<'a> {
    Audio(&'a [i16]),
    Mark(Mark),
}

/// The sink's answer: carry on, or stop this synthesis now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Abort,
}

/// How a synthesis ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Outcome {
    pub samples: u64,
    /// The sink asked to stop.
    pub aborted: bool,
    /// Stopped at [`SynthesisRequest::max_samples`].
    pub(crate) truncated: bool,
}

/// A speech engine hosted in a worker process. One synthesis at a time.
pub trait Engine {
    fn info(&self) -> &EngineInfo;
    fn voices(&self) -> Vec<EngineVoice>;
    /// Synthesizes `request`, handing audio chunks and marks to `sink` in
    /// order as they are produced. Returns when done, when `sink` returns
    /// [`Flow::Abort`], at `max_samples`, or, with [`Outcome::aborted`], when
    /// `cancel` fires: an engine that spends long stretches without calling
    /// `sink` stops those through [`Cancellation::while_running`].
    fn synthesize(
        &mut self,
        request: &SynthesisRequest,
        sink: &mut dyn FnMut(SynthEvent<'_>) -> Flow,
        cancel: &Cancellation,
    ) -> Result<Outcome, EngineError>;
}
