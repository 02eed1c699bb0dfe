//! Streamed inference of a Piper voice split into its encoder and its
//! decoder (`scripts/voice_split.py`, run by the setup).
//!
//! The encoder (text encoder, duration predictor, flow) turns phoneme ids
//! into latent frames, one per 256 samples of audio. The decoder (HiFi-GAN)
//! turns frames into audio and is most of the work. It is convolutional, so
//! a run on some frames with [`CONTEXT_FRAMES`] of context on either side
//! gives the same audio as one run on all of them. A sentence's first audio
//! is ready after the encoder and one small decoder run; later runs grow, so
//! the decoder keeps ahead of playback with few runs, and a cancel stops the
//! run in flight.

use super::units::peak;
use crate::engine::neural::growing_runs;
use crate::engine::neural::onnx::{self, Inputs, Output, SplitModel};
use crate::engine::{Cancellation, Cause, EngineError};
use ort::value::{Tensor, TensorElementType};
use std::ops::Range;

/// Frames in the first decoder run: about 0.19 s of speech at 22,050 Hz,
/// more than the next run takes to decode.
const FIRST_FRAMES: usize = 16;
/// Frames in the largest decoder run; each run doubles the one before.
const MAX_FRAMES: usize = 256;
/// Frames of context decoded on either side of a run and then dropped.
/// With 10, chunked audio matches the whole decoder's to within float
/// rounding (SNR above 120 dB); with 5 it does not (37 dB).
const CONTEXT_FRAMES: usize = 10;

/// How far above a calibration phrase's peak a streamed unit's level is
/// set, so that a louder sentence rarely lowers its gain midway.
const LEVEL_HEADROOM: f32 = 1.5;

/// A voice's encoder and decoder; the decoder reads latent frames first.
pub(crate) struct Streamed(SplitModel);

/// The encoder's output for one unit: latent frames, `[1, channels, frames]`,
/// and the other tensors the decoder reads (a speaker's embedding).
pub(crate) struct Latent {
    channels: usize,
    frames: usize,
    values: Vec<f32>,
    passed_through: Vec<Output>,
}

impl Latent {
    pub(crate) fn frames(&self) -> usize {
        self.frames
    }
}

impl Streamed {
    /// The streamed voice of a split model: its decoder must read only
    /// float tensors the encoder gives, latent frames first.
    pub(crate) fn new(parts: SplitModel) -> Result<Self, EngineError> {
        let float = parts.decoder.inputs().iter().all(|i| i.dtype().tensor_type() == Some(TensorElementType::Float32));
        let (reads, gives) = (&parts.decoder_inputs, &parts.encoder_outputs);
        if !float || reads.is_empty() || reads.iter().any(|name| !gives.contains(name)) {
            return Err(parts.mismatch("float tensors the encoder gives expected"));
        }
        Ok(Self(parts))
    }

    /// Runs the encoder; `None` when `cancel` stopped it.
    pub(crate) fn encode(&mut self, inputs: Inputs<'_>, cancel: &Cancellation) -> Result<Option<Latent>, EngineError> {
        let Some(outputs) = onnx::run_cancellable(&mut self.0.encoder, inputs, cancel)? else { return Ok(None) };
        let mut by_name: Vec<(&String, Output)> = self.0.encoder_outputs.iter().zip(outputs).collect();
        let mut take = |wanted: &str| {
            let at = by_name.iter().position(|(name, _)| *name == wanted).expect("checked at load");
            by_name.swap_remove(at).1
        };
        let latent = take(&self.0.decoder_inputs[0]);
        let passed_through = self.0.decoder_inputs[1..].iter().map(|name| take(name)).collect();
        let [1, channels, frames] = latent.shape[..] else {
            return Err(EngineError::Synthesis(Cause::new(format!("latent frames of shape {:?}", latent.shape))));
        };
        Ok(Some(Latent { channels: channels as usize, frames: frames as usize, values: latent.values, passed_through }))
    }

    /// The audio of `frames` of `latent`; `None` when `cancel` stopped it.
    pub(crate) fn decode(
        &mut self,
        latent: &Latent,
        frames: Range<usize>,
        cancel: &Cancellation,
    ) -> Result<Option<Vec<f32>>, EngineError> {
        let from = frames.start.saturating_sub(CONTEXT_FRAMES);
        let to = (frames.end + CONTEXT_FRAMES).min(latent.frames);
        let width = to - from;
        let mut window = Vec::with_capacity(latent.channels * width);
        for channel in latent.values.chunks_exact(latent.frames) {
            window.extend_from_slice(&channel[from..to]);
        }
        let failed = onnx::failed;
        let mut inputs: Inputs<'_> = vec![(
            self.0.decoder_inputs[0].clone().into(),
            Tensor::from_array(([1, latent.channels, width], window)).map_err(failed)?.into(),
        )];
        for (name, tensor) in self.0.decoder_inputs[1..].iter().zip(&latent.passed_through) {
            let value = Tensor::from_array((tensor.shape.clone(), tensor.values.clone())).map_err(failed)?;
            inputs.push((name.clone().into(), value.into()));
        }
        let Some(audio) = onnx::audio_cancellable(&mut self.0.decoder, inputs, cancel)? else { return Ok(None) };
        let per_frame = audio.len() / width.max(1);
        Ok(Some(audio[(frames.start - from) * per_frame..(frames.end - from) * per_frame].to_vec()))
    }

    /// The peak a streamed unit is scaled for: what the calibration phrase
    /// of `inputs` reaches at its loudest, with [`LEVEL_HEADROOM`]. A run
    /// louder still lowers the gain from there on, so nothing clips.
    pub(crate) fn calibrate(&mut self, inputs: Inputs<'_>) -> Result<f32, EngineError> {
        let cancel = Cancellation::default();
        let latent = self.encode(inputs, &cancel)?.expect("never cancelled");
        let audio = self.decode(&latent, 0..latent.frames(), &cancel)?.expect("never cancelled");
        Ok(LEVEL_HEADROOM * peak(&audio).max(0.01))
    }
}

/// The decoder runs for `frames` latent frames: [`FIRST_FRAMES`] first,
/// each later run twice the one before, up to [`MAX_FRAMES`].
pub(crate) fn runs(frames: usize) -> Vec<Range<usize>> {
    growing_runs(frames, FIRST_FRAMES, MAX_FRAMES)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::espeak::Clause;
    use crate::engine::piper::{config::VoiceConfig, inputs};
    use std::path::Path;

    /// The setup's split of the voice it installs, and the runtime.
    fn installed(file: &str) -> std::path::PathBuf {
        let neural = Path::new(env!("CARGO_MANIFEST_DIR")).join(".neural");
        let found = crate::engine::neural::discover::find(None, &[neural]).expect("./scripts/setup.sh installs them");
        if file == "runtime" {
            return found.runtime;
        }
        let path = found.named(file).next().cloned();
        path.unwrap_or_else(|| panic!("./scripts/setup.sh installs {file}"))
    }

    #[test]
    fn decoding_in_runs_gives_the_audio_of_one_run() {
        let environment = onnx::test_environment(&installed("runtime"));
        let (encoder, decoder) =
            (installed("en_US-joe-medium.encoder.onnx"), installed("en_US-joe-medium.decoder.onnx"));
        let model = std::fs::read(installed("en_US-joe-medium.onnx")).unwrap();
        let sha256 = format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(&model));
        let mut parts =
            Streamed::new(SplitModel::load(environment, (&encoder, &decoder), &sha256, 1).unwrap()).unwrap();
        let other = SplitModel::load(environment, (&encoder, &decoder), &"0".repeat(64), 1);
        assert!(other.err().is_some_and(|e| crate::report::Chain(&e).to_string().contains("another model")));
        let config = std::fs::read_to_string(installed("en_US-joe-medium.onnx.json")).unwrap();
        let config = VoiceConfig::parse(&config).unwrap();
        // Phonemes as libespeak-ng gives them (which this process may not
        // initialise twice): "the quick brown fox jumps over the lazy dog".
        let phonemes = "ðə kwˈɪk bɹˈaʊn fˈɑːks dʒˈʌmps ˌoʊvɚ ðə lˈeɪzi dˈɑːɡ";
        let clauses = [Clause { phonemes: format!("{phonemes} {phonemes}"), terminator: Some('.'), source: 0..0 }];
        let cancel = Cancellation::default();
        let latent = parts.encode(inputs(&config, &clauses, 175, None).unwrap(), &cancel).unwrap().unwrap();
        assert!(latent.frames() > 2 * FIRST_FRAMES, "{} frames", latent.frames());
        let whole = parts.decode(&latent, 0..latent.frames(), &cancel).unwrap().unwrap();
        let mut chunked = Vec::new();
        for frames in runs(latent.frames()) {
            chunked.extend(parts.decode(&latent, frames, &cancel).unwrap().unwrap());
        }
        assert_eq!(chunked.len(), whole.len());
        let signal: f64 = whole.iter().map(|s| f64::from(*s).powi(2)).sum();
        let noise: f64 = whole.iter().zip(&chunked).map(|(a, b)| f64::from(a - b).powi(2)).sum();
        let snr = 10.0 * (signal / noise.max(f64::MIN_POSITIVE)).log10();
        assert!(snr > 60.0, "runs differ from one run: SNR {snr:.1} dB");
    }
}
