//! What the neural engines (Piper, Kokoro) share: finding ONNX Runtime and
//! voices on disk ([`discover`]), loading the runtime and models
//! ([`onnx`]), the rates they speak naturally, estimated word marks
//! ([`marks`]) and handing a sentence's audio to the worker.
//!
//! Every neural engine runs in its own pool of worker processes, so a crash
//! or runaway allocation in the runtime costs one worker, never the server.

pub mod discover;
pub(crate) mod marks;
pub(crate) mod onnx;

use super::{EngineError, EngineVoice, Flow, Outcome, SynthEvent};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Slowest and fastest rate (wpm) neural voices stay natural at; requests
/// outside are spoken at the nearest end of the range.
pub(crate) const NATURAL_RATES: (u32, u32) = (120, 300);
/// The rate a model speaks at its own pace.
const MODEL_WPM: u32 = crate::prosody::Rate::NORMAL;
/// Audio handed to the sink per call, in samples.
const CHUNK_SAMPLES: usize = 4096;

/// How much faster than its own pace a model speaks for `rate` (wpm).
pub(crate) fn speed(rate: u32) -> f32 {
    let (slowest, fastest) = NATURAL_RATES;
    rate.clamp(slowest, fastest) as f32 / MODEL_WPM as f32
}

/// Where neural engines look, and how their workers run.
pub(crate) struct Search<'a> {
    /// ONNX Runtime's library; none: found under `dirs`.
    pub(crate) runtime: Option<&'a Path>,
    pub(crate) dirs: &'a [PathBuf],
    pub(crate) threads: usize,
    /// The rate every engine delivers.
    pub(crate) sample_rate: u32,
}

/// Where the voice `identifier` is among an engine's loaded voices.
pub(crate) fn voice_index<'a>(
    mut voices: impl Iterator<Item = &'a EngineVoice>,
    identifier: &str,
) -> Result<usize, EngineError> {
    voices.position(|v| v.identifier == identifier).ok_or_else(|| EngineError::UnknownVoice(identifier.to_string()))
}

/// Hands one sentence's audio (or a part of it that does not
/// `open_sentence`) to `sink`: marks estimated over `text[source]`, then the
/// audio in chunks, counted in `outcome`. Returns whether synthesis goes on
/// (not aborted, not at `max_samples`).
pub(crate) fn deliver(
    text: &str,
    source: std::ops::Range<usize>,
    opens_sentence: bool,
    audio: &[i16],
    max_samples: u64,
    outcome: &mut Outcome,
    sink: &mut dyn FnMut(SynthEvent<'_>) -> Flow,
) -> bool {
    deliver_marks(text, source, opens_sentence, audio.len() as u64, max_samples, outcome, sink)
        && deliver_audio(audio, max_samples, outcome, sink)
}

/// Hands `sink` the marks of `text[source]`, estimated over the next
/// `samples` of audio (as many as `max_samples` leaves). Returns whether
/// synthesis goes on.
pub(crate) fn deliver_marks(
    text: &str,
    source: std::ops::Range<usize>,
    opens_sentence: bool,
    samples: u64,
    max_samples: u64,
    outcome: &mut Outcome,
    sink: &mut dyn FnMut(SynthEvent<'_>) -> Flow,
) -> bool {
    let samples = samples.min(max_samples.saturating_sub(outcome.samples));
    for mark in marks::estimate(text, source, opens_sentence, outcome.samples, samples) {
        if sink(SynthEvent::Mark(mark)) == Flow::Abort {
            outcome.aborted = true;
            return false;
        }
    }
    true
}

/// Hands `sink` the next `audio` in chunks, counted in `outcome`, up to
/// `max_samples` in all. Returns whether synthesis goes on.
pub(crate) fn deliver_audio(
    audio: &[i16],
    max_samples: u64,
    outcome: &mut Outcome,
    sink: &mut dyn FnMut(SynthEvent<'_>) -> Flow,
) -> bool {
    let remaining = max_samples.saturating_sub(outcome.samples) as usize;
    let audio = &audio[..audio.len().min(remaining)];
    for chunk in audio.chunks(CHUNK_SAMPLES) {
        if sink(SynthEvent::Audio(chunk)) == Flow::Abort {
            outcome.aborted = true;
            return false;
        }
    }
    outcome.samples += audio.len() as u64;
    if outcome.samples >= max_samples {
        outcome.truncated = true;
        return false;
    }
    true
}

/// Runs of a streamed decoder over `frames` frames: `first` frames first,
/// so the first audio comes soon, then each run twice the one before, up
/// to `max`, so fewer runs (each with its context) keep ahead of playback.
pub(crate) fn growing_runs(frames: usize, first: usize, max: usize) -> Vec<Range<usize>> {
    let mut runs = Vec::new();
    let (mut start, mut size) = (0, first);
    while start < frames {
        let end = (start + size).min(frames);
        runs.push(start..end);
        start = end;
        size = (size * 2).min(max);
    }
    runs
}

/// Model output (-1..1) times `gain` as 16-bit samples at `to` Hz.
pub(crate) fn to_pcm(audio: &[f32], gain: f32, from: u32, to: u32) -> Vec<i16> {
    let pcm: Vec<i16> = audio.iter().map(|s| (s * gain * 32767.0).clamp(-32767.0, 32767.0) as i16).collect();
    if from == to {
        pcm
    } else {
        crate::audio::resample(&pcm, from, to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_start_small_grow_and_cover_every_frame_once() {
        assert_eq!(growing_runs(0, 16, 256), Vec::<Range<usize>>::new());
        assert_eq!(growing_runs(10, 16, 256), vec![0..10]);
        assert_eq!(growing_runs(100, 16, 256), [0..16, 16..48, 48..100]);
        let long = growing_runs(2000, 16, 256);
        assert!(long.windows(2).all(|w| w[0].end == w[1].start));
        assert_eq!(long.last().unwrap().end, 2000);
        assert!(long.iter().all(|r| r.len() <= 256));
    }
}
