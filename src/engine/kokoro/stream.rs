//! Streamed inference of Kokoro-82M split into its encoder and its decoder
//! (`scripts/voice_split.py`, run by the setup).
//!
//! The encoder (text encoder, duration and prosody predictors) turns tokens,
//! a style and a speed into frames of 600 samples at 24 kHz (25 ms): the
//! aligned text features `asr` `[1, 512, T]`, the pitch `f0` and energy
//! `noise` curves `[1, 2T]`, and the harmonic `source` `[1, 600T]`, a sine
//! following the pitch whose phase runs on from the sentence's start. The
//! decoder (iSTFTNet) turns them into audio and is most of the work, about
//! the same per frame however many frames a run has. It runs on a few frames
//! at a time, with [`CONTEXT_FRAMES`] of context either side, so a
//! sentence's first audio is ready after the encoder and one small run, and
//! a cancel stops the run in flight.
//!
//! Unlike Piper's decoder, a run does not give exactly the audio of one
//! run on the whole sentence: the decoder's adaptive instance normalisation
//! takes each run's own statistics. Each run therefore decodes
//! [`FADE_FRAMES`] more and is crossfaded into the next ([`Seams`]); the
//! recogniser's error rate on streamed speech is that of whole sentences
//! (BENCHMARKS.md).

use crate::engine::neural::growing_runs;
use crate::engine::neural::onnx::{self, Inputs, Output, SplitModel};
use crate::engine::{Cancellation, Cause, EngineError};
use ort::value::Tensor;
use std::ops::Range;

/// Frames in the first decoder run: 0.4 s of speech, decoded in about
/// 0.35 s on two threads with its context.
const FIRST_FRAMES: usize = 16;
/// Frames in the largest decoder run; each run doubles the one before.
const MAX_FRAMES: usize = 128;
/// Frames of context decoded on either side of a run and then dropped: the
/// decoder's convolutions reach about 17 frames, and beyond 10 the
/// recogniser's error rate no longer changes.
const CONTEXT_FRAMES: usize = 10;
/// Frames by which a run's audio overlaps the next one's, crossfaded.
const FADE_FRAMES: usize = 4;

/// The tensors the encoder gives and the decoder reads, time last.
const FRAMES: [&str; 4] = ["asr", "f0", "noise", "source"];
/// The decoder's other input: the voice's style vector.
const STYLE: &str = "style";

/// The model's encoder and decoder.
pub(crate) struct Streamed(SplitModel);

/// The encoder's output for one run of tokens: the [`FRAMES`] tensors, in
/// that order, for `frames` frames.
pub(crate) struct Encoded {
    frames: usize,
    tensors: Vec<Output>,
}

impl Encoded {
    pub(crate) fn frames(&self) -> usize {
        self.frames
    }

    /// The tensors' values in `frames`, with their shapes.
    fn window(&self, frames: Range<usize>) -> Vec<(Vec<i64>, Vec<f32>)> {
        let width = frames.len();
        self.tensors
            .iter()
            .map(|tensor| {
                let length = tensor.shape.last().copied().unwrap_or_default() as usize;
                let per_frame = length / self.frames;
                let mut values = Vec::with_capacity(tensor.values.len() / self.frames * width);
                for row in tensor.values.chunks_exact(length) {
                    values.extend_from_slice(&row[frames.start * per_frame..frames.end * per_frame]);
                }
                let mut shape = tensor.shape.clone();
                *shape.last_mut().expect("checked at encode") = (width * per_frame) as i64;
                (shape, values)
            })
            .collect()
    }
}

impl Streamed {
    /// The streamed model of a split model, whose parts must be cut where
    /// Kokoro's are (see [`FRAMES`]).
    pub(crate) fn new(parts: SplitModel) -> Result<Self, EngineError> {
        let mut expected: Vec<&str> = FRAMES.iter().copied().chain([STYLE]).collect();
        let mut reads: Vec<&str> = parts.decoder_inputs.iter().map(String::as_str).collect();
        expected.sort();
        reads.sort();
        if reads != expected || FRAMES.iter().any(|name| !parts.encoder_outputs.iter().any(|o| o == name)) {
            return Err(parts.mismatch(&format!("{expected:?} expected")));
        }
        Ok(Self(parts))
    }

    /// Runs the encoder on the model's inputs; `None` when `cancel` stopped it.
    pub(crate) fn encode(&mut self, inputs: Inputs<'_>, cancel: &Cancellation) -> Result<Option<Encoded>, EngineError> {
        let Some(outputs) = onnx::run_cancellable(&mut self.0.encoder, inputs, cancel)? else { return Ok(None) };
        let mut by_name: Vec<(&String, Output)> = self.0.encoder_outputs.iter().zip(outputs).collect();
        let tensors: Vec<Output> = FRAMES
            .iter()
            .map(|wanted| {
                let at = by_name.iter().position(|(name, _)| name == wanted).expect("checked at load");
                by_name.swap_remove(at).1
            })
            .collect();
        let frames = tensors[0].shape.last().copied().unwrap_or_default() as usize;
        let framed = |t: &Output| t.shape.last().is_some_and(|&n| frames > 0 && (n as usize).is_multiple_of(frames));
        if !tensors.iter().all(framed) {
            let shapes: Vec<_> = tensors.iter().map(|t| t.shape.clone()).collect();
            return Err(EngineError::Synthesis(Cause::new(format!("encoder outputs of shapes {shapes:?}"))));
        }
        Ok(Some(Encoded { frames, tensors }))
    }

    /// The audio of `frames` of `encoded` in `style`, and of the
    /// [`FADE_FRAMES`] after them (where there are); `None` when `cancel`
    /// stopped it.
    pub(crate) fn decode(
        &mut self,
        encoded: &Encoded,
        style: &[f32],
        frames: Range<usize>,
        cancel: &Cancellation,
    ) -> Result<Option<Vec<f32>>, EngineError> {
        let heard = frames.start..(frames.end + FADE_FRAMES).min(encoded.frames);
        let from = heard.start.saturating_sub(CONTEXT_FRAMES);
        let to = (heard.end + CONTEXT_FRAMES).min(encoded.frames);
        let failed = onnx::failed;
        let mut window: Vec<_> = encoded.window(from..to).into_iter().map(Some).collect();
        let mut inputs: Inputs<'_> = Vec::with_capacity(self.0.decoder_inputs.len());
        for name in &self.0.decoder_inputs {
            let value = if name == STYLE {
                Tensor::from_array(([1, style.len()], style.to_vec())).map_err(failed)?
            } else {
                let at = FRAMES.iter().position(|f| f == name).expect("checked at load");
                let (shape, values) = window[at].take().expect("each read once, checked at load");
                Tensor::from_array((shape, values)).map_err(failed)?
            };
            inputs.push((name.clone().into(), value.into()));
        }
        let Some(audio) = onnx::audio_cancellable(&mut self.0.decoder, inputs, cancel)? else { return Ok(None) };
        let per_frame = audio.len() / (to - from).max(1);
        Ok(Some(audio[(heard.start - from) * per_frame..(heard.end - from) * per_frame].to_vec()))
    }
}

/// The decoder runs for `frames` frames: [`FIRST_FRAMES`] first, each later
/// run twice the one before, up to [`MAX_FRAMES`].
pub(crate) fn runs(frames: usize) -> Vec<Range<usize>> {
    growing_runs(frames, FIRST_FRAMES, MAX_FRAMES)
}

/// Joins the audio of consecutive runs, each overlapping the next by
/// [`FADE_FRAMES`], with a linear crossfade over the overlap.
#[derive(Default)]
pub(crate) struct Seams {
    /// The last run's overlap with the next, not yet heard.
    tail: Vec<f32>,
}

impl Seams {
    /// The audio of the next run (`frames` of a sentence of `total` frames,
    /// as [`Streamed::decode`] gives it) ready to be heard: its start
    /// crossfaded with the last run's overlap, its own overlap kept back.
    pub(crate) fn join(&mut self, mut audio: Vec<f32>, frames: &Range<usize>, total: usize) -> Vec<f32> {
        let overlap = (frames.end + FADE_FRAMES).min(total) - frames.end;
        let per_frame = audio.len() / (frames.len() + overlap).max(1);
        let faded = self.tail.len().min(audio.len());
        for (i, (sample, previous)) in audio.iter_mut().zip(&self.tail).enumerate() {
            let weight = (i as f32 + 0.5) / faded as f32;
            *sample = *previous * (1.0 - weight) + *sample * weight;
        }
        self.tail = audio.split_off(audio.len() - overlap * per_frame);
        audio
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::kokoro::ipa::{to_kokoro, Dialect};
    use crate::engine::kokoro::pack;
    use crate::engine::neural::discover;
    use std::path::Path;

    /// Level in dB of each 25 ms frame of `audio` (24 kHz).
    fn envelope(audio: &[f32]) -> Vec<f64> {
        let frame = 600;
        let level = |f: &[f32]| f.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / f.len() as f64;
        audio.chunks_exact(frame).map(|f| 10.0 * (level(f) + 1e-9).log10()).collect()
    }

    fn correlation(a: &[f64], b: &[f64]) -> f64 {
        let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
        let (ma, mb) = (mean(a), mean(b));
        let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
        let var = |x: &[f64], m: f64| x.iter().map(|v| (v - m).powi(2)).sum::<f64>();
        cov / (var(a, ma) * var(b, mb)).sqrt()
    }

    #[test]
    fn seams_keep_every_frame_once_and_fade_each_run_into_the_next() {
        // Frames of 2 samples; each run's audio is its number, over its
        // frames and its overlap with the next.
        let total = 50;
        let mut seams = Seams::default();
        let mut joined = Vec::new();
        for (number, frames) in runs(total).into_iter().enumerate() {
            let heard = (frames.end + FADE_FRAMES).min(total) - frames.start;
            joined.extend(seams.join(vec![number as f32; heard * 2], &frames, total));
        }
        assert_eq!(joined.len(), total * 2);
        // The second run starts at frame 16: its first samples are mostly
        // the first run's, its last faded ones mostly its own.
        let fade = 16 * 2..(16 + FADE_FRAMES) * 2;
        assert!(joined[..fade.start].iter().all(|s| *s == 0.0));
        assert!(joined[fade.clone()].windows(2).all(|w| w[0] < w[1]), "{:?}", &joined[fade.clone()]);
        assert!(joined[fade.start] < 0.5 && joined[fade.end - 1] > 0.5);
        assert!(joined[fade.end..48 * 2].iter().all(|s| *s == 1.0));
    }

    #[test]
    fn decoding_in_runs_keeps_every_frame_and_the_sentence_s_loudness_contour() {
        let neural = Path::new(env!("CARGO_MANIFEST_DIR")).join(".neural");
        let found = discover::find(None, &[neural]).expect("./scripts/setup.sh installs the runtime");
        let pack = pack::find(&found).expect("./scripts/setup.sh installs Kokoro").remove(0);
        let (encoder, decoder) = pack.streaming.clone().expect("./scripts/setup.sh splits the model");
        let (_, sha256) = pack.model().unwrap();
        let environment = onnx::test_environment(&found.runtime);
        let mut parts =
            Streamed::new(SplitModel::load(environment, (&encoder, &decoder), &sha256, 2).unwrap()).unwrap();
        let other = SplitModel::load(environment, (&encoder, &decoder), &"0".repeat(64), 1);
        assert!(other.err().is_some_and(|e| crate::report::Chain(&e).to_string().contains("another model")));

        // Phonemes as libespeak-ng gives them (which this process may not
        // initialise twice): "the quick brown fox jumps over the lazy dog".
        let phonemes = "ðə kwˈɪk bɹˈaʊn fˈɑːks dʒˈʌmps ˌoʊvɚ ðə lˈeɪzi dˈɑːɡ";
        let symbols = to_kokoro(&format!("{phonemes}, {phonemes}."), Dialect::AmericanEnglish);
        let vocab = pack.vocab().unwrap();
        let tokens: Vec<i64> = symbols.chars().map(|c| vocab[&c]).collect();
        let styles = pack.styles("af_heart").unwrap();
        let style = pack::style_for(&styles, tokens.len());
        let inputs = crate::engine::kokoro::model_inputs(&tokens, style, crate::prosody::Rate::NORMAL).unwrap();
        let cancel = Cancellation::default();
        let encoded = parts.encode(inputs, &cancel).unwrap().unwrap();
        let total = encoded.frames();
        assert!(runs(total).len() >= 3, "{total} frames");

        let whole = parts.decode(&encoded, style, 0..total, &cancel).unwrap().unwrap();
        let mut seams = Seams::default();
        let mut streamed = Vec::new();
        for frames in runs(total) {
            let audio = parts.decode(&encoded, style, frames.clone(), &cancel).unwrap().unwrap();
            streamed.extend(seams.join(audio, &frames, total));
        }
        assert_eq!((streamed.len(), whole.len()), (total * 600, total * 600));
        // The runs' own normalisation changes the waveform, not the words:
        // where the sentence is loud and where it pauses stay the same.
        let (whole, streamed) = (envelope(&whole), envelope(&streamed));
        let r = correlation(&whole, &streamed);
        // Over the speech, not the pauses (within 30 dB of the loudest frame).
        let loudest = whole.iter().copied().fold(f64::MIN, f64::max);
        let speech: Vec<(f64, f64)> =
            whole.iter().zip(&streamed).filter(|(a, _)| **a > loudest - 30.0).map(|(a, b)| (*a, *b)).collect();
        let drift = speech.iter().map(|(a, b)| (a - b).abs()).sum::<f64>() / speech.len() as f64;
        eprintln!("envelope correlation {r:.3}, mean level difference {drift:.2} dB");
        assert!(r > 0.9 && drift < 2.0, "correlation {r:.3}, mean level difference {drift:.2} dB");
    }
}
