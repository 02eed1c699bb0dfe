//! The Piper engine: neural voices (VITS models exported to ONNX) run with
//! ONNX Runtime, loaded from the shared library at run time.
//!
//! It lives in worker processes like espeak-ng, so a crash or runaway
//! allocation in the runtime costs one worker, never the server. Text
//! becomes IPA phonemes through libespeak-ng in the same worker, then model
//! ids ([`config`]). Each sentence, or each clause of a long sentence
//! ([`units`]), is one inference. A voice split into encoder and decoder
//! ([`stream`]) plays a sentence's first frames while the rest are decoded;
//! any other is handed over when its whole inference is done. A cancel
//! terminates the inference in flight. Models give no timing, so word marks
//! are estimated. Every model is loaded once, when the worker starts.
//!
//! A voice is any `NAME.onnx` with its `NAME.onnx.json` under the neural
//! directories, wherever it lies (installed packages keep theirs in data
//! folders); its config says which language it speaks.

pub(crate) mod config;
pub(crate) mod listing;
mod stream;
mod units;

use super::espeak::{Clause, Espeak};
use super::neural::discover::{Found, Unavailable};
use super::neural::onnx::{self, Inputs, SplitModel};
use super::neural::{deliver, deliver_audio, deliver_marks, speed, to_pcm, voice_index, NATURAL_RATES};
use super::{
    Cancellation, Capabilities, Cause, Engine, EngineError, EngineInfo, EngineVoice, Flow, Outcome, SynthEvent,
    SynthesisRequest,
};
use config::VoiceConfig;
use ort::session::Session;
use ort::value::Tensor;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use stream::Streamed;
use units::Gain;

/// What a Piper worker loads; sent by the server as the worker's engine config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PiperSetup {
    /// ONNX Runtime's shared library (`libonnxruntime.so.<version>`).
    pub(crate) runtime: PathBuf,
    /// Model files (`NAME.onnx`, with `NAME.onnx.json` beside each).
    pub(crate) models: Vec<PathBuf>,
    /// Intra-op threads per model session.
    pub(crate) threads: usize,
    /// Rate the engine delivers, whatever the models' own rates.
    pub(crate) sample_rate: u32,
    /// Long sentences are inferred clause by clause (see [`units`]).
    #[serde(default)]
    pub(crate) split_clauses: bool,
    /// Voices split for streaming: `NAME.encoder.onnx` and
    /// `NAME.decoder.onnx` for the model `NAME.onnx` (see [`stream`]).
    #[serde(default)]
    pub parts: Vec<PathBuf>,
}

impl PiperSetup {
    /// Every voice among the files found: a `NAME.onnx` with its config beside it.
    pub fn find(found: &Found, threads: usize, sample_rate: u32) -> Result<Self, Unavailable> {
        let models: Vec<PathBuf> = found
            .files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "onnx") && config_path(f).is_file())
            .cloned()
            .collect();
        if models.is_empty() {
            return Err(found.no_voices("Piper voice (NAME.onnx with NAME.onnx.json)"));
        }
        let parts = found
            .files
            .iter()
            .filter(|f| f.to_str().is_some_and(|f| f.ends_with(".encoder.onnx") || f.ends_with(".decoder.onnx")))
            .cloned()
            .collect();
        Ok(Self { runtime: found.runtime.clone(), models, threads, sample_rate, split_clauses: false, parts })
    }

    /// The encoder and decoder of `model`, where both were found and the
    /// model speaks at the output rate (resampling works on whole units).
    /// Workers check on load that the parts came from the model.
    fn parts_of(&self, model: &Path, config: &VoiceConfig) -> Option<(&Path, &Path)> {
        if config.audio.sample_rate != self.sample_rate {
            return None;
        }
        let stem = model.file_stem()?.to_str()?;
        let part = |kind: &str| {
            let name = format!("{stem}.{kind}.onnx");
            self.parts.iter().find(|p| p.file_name().is_some_and(|n| n.to_str() == Some(name.as_str())))
        };
        Some((part("encoder")?.as_path(), part("decoder")?.as_path()))
    }
}

/// The model's config file: `NAME.onnx.json` beside `NAME.onnx`.
fn config_path(model: &Path) -> PathBuf {
    let mut name = model.as_os_str().to_owned();
    name.push(".json");
    PathBuf::from(name)
}

struct Model {
    inference: Inference,
    config: VoiceConfig,
}

/// How a model runs: one inference per unit, or streamed.
enum Inference {
    Whole(Session),
    Streamed {
        parts: Streamed,
        /// The peak a streamed unit is scaled for from its first frames,
        /// before its loudest frame is known (see [`calibrate`]).
        level: f32,
    },
}

/// A voice: a model, and a speaker for multi-speaker models.
struct LoadedVoice {
    model: usize,
    speaker: Option<i64>,
    listing: EngineVoice,
}

pub struct Piper {
    info: EngineInfo,
    phonemizer: Espeak,
    models: Vec<Model>,
    voices: Vec<LoadedVoice>,
    split_clauses: bool,
}

impl Piper {
    pub(crate) const ID: &'static str = "piper";

    /// Loads ONNX Runtime and every model in `setup`.
    pub fn new(setup: &PiperSetup) -> Result<Self, EngineError> {
        let environment = onnx::environment(&setup.runtime)?;
        let mut phonemizer = Espeak::new()?;
        let mut models = Vec::new();
        let mut voices = Vec::new();
        for path in &setup.models {
            let (name, config_json, config) = read_config(path)?;
            let what = path.display().to_string();
            let bytes = std::fs::read(path).map_err(|e| onnx::init_error(&what, &e))?;
            // Streamed where the parts load and calibrate; whole otherwise.
            let streamed = setup.parts_of(path, &config).and_then(|parts| {
                let sha256 = format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(&bytes));
                SplitModel::load(&environment, parts, &sha256, setup.threads)
                    .and_then(Streamed::new)
                    .and_then(|mut parts| Ok((calibrate(&mut parts, &config, &mut phonemizer)?, parts)))
                    .inspect_err(|error| tracing::warn!(%error, "inferring the voice whole, unstreamed"))
                    .ok()
            });
            let inference = match streamed {
                Some((level, parts)) => Inference::Streamed { parts, level },
                None => Inference::Whole(onnx::session(&environment, &bytes, setup.threads, &what)?),
            };
            // The model and its config (scales, phoneme map) shape the audio.
            let fingerprint = blake3::Hasher::new().update(&bytes).update(config_json.as_bytes()).finalize();
            let fingerprint = fingerprint.to_hex()[..16].to_string();
            let index = models.len();
            voices.extend(
                listings(&name, &config, Some(&fingerprint)).into_iter().map(|(speaker, listing)| LoadedVoice {
                    model: index,
                    speaker,
                    listing,
                }),
            );
            models.push(Model { inference, config });
        }
        let streamed = models.iter().any(|m: &Model| matches!(m.inference, Inference::Streamed { .. }));
        let info = engine_info(setup, &phonemizer.info().version, streamed);
        Ok(Self { info, phonemizer, models, voices, split_clauses: setup.split_clauses })
    }

    /// Speaks one unit (a sentence, or a part of one that does not
    /// `opens_sentence`) of `request` with `voice`: its marks and audio go
    /// to `sink`, scaled by `gain`. Returns whether synthesis goes on; a
    /// cancel ends it with `outcome.aborted`.
    #[allow(clippy::too_many_arguments)] // one unit's request, place in it, and output
    fn speak_unit(
        &mut self,
        request: &SynthesisRequest,
        voice: usize,
        unit: &[Clause],
        opens_sentence: bool,
        gain: &mut Gain,
        outcome: &mut Outcome,
        sink: &mut dyn FnMut(SynthEvent<'_>) -> Flow,
        cancel: &Cancellation,
    ) -> Result<bool, EngineError> {
        let LoadedVoice { model, speaker, .. } = self.voices[voice];
        let model = &mut self.models[model];
        let source = unit[0].source.start..unit[unit.len() - 1].source.end;
        let inputs = inputs(&model.config, unit, request.rate, speaker)?;
        let (model_rate, output_rate) = (model.config.audio.sample_rate, self.info.sample_rate);
        let (text, max_samples) = (&request.text, request.max_samples);
        match &mut model.inference {
            Inference::Whole(session) => {
                let Some(audio) = onnx::audio_cancellable(session, inputs, cancel)? else {
                    outcome.aborted = true;
                    return Ok(false);
                };
                let audio = to_pcm(&audio, gain.for_part(&audio), model_rate, output_rate);
                Ok(deliver(text, source, opens_sentence, &audio, max_samples, outcome, sink))
            }
            Inference::Streamed { parts, level } => {
                let Some(latent) = parts.encode(inputs, cancel)? else {
                    outcome.aborted = true;
                    return Ok(false);
                };
                gain.expect_peak(*level);
                let mut marked = false;
                // Streamed voices speak at the output rate (see `parts_of`).
                for frames in stream::runs(latent.frames()) {
                    let Some(audio) = parts.decode(&latent, frames.clone(), cancel)? else {
                        outcome.aborted = true;
                        return Ok(false);
                    };
                    let audio = to_pcm(&audio, gain.for_part(&audio), model_rate, output_rate);
                    if !marked {
                        // The unit's length, known from its first run.
                        let samples = (audio.len() * latent.frames() / frames.len().max(1)) as u64;
                        if !deliver_marks(text, source.clone(), opens_sentence, samples, max_samples, outcome, sink) {
                            return Ok(false);
                        }
                        marked = true;
                    }
                    if !deliver_audio(&audio, max_samples, outcome, sink) {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
        }
    }
}

/// The model's inputs for `clauses` at `rate` (wpm), as `speaker`.
fn inputs(
    config: &VoiceConfig,
    clauses: &[Clause],
    rate: u32,
    speaker: Option<i64>,
) -> Result<Inputs<'static>, EngineError> {
    let failed = onnx::failed;
    let ids = config.phoneme_ids(clauses);
    let scales = config.inference;
    let count = ids.len();
    let mut inputs: Inputs<'static> = vec![
        ("input".into(), Tensor::from_array(([1usize, count], ids)).map_err(failed)?.into()),
        ("input_lengths".into(), Tensor::from_array(([1usize], vec![count as i64])).map_err(failed)?.into()),
        (
            "scales".into(),
            Tensor::from_array(([3usize], vec![scales.noise_scale, scales.length_scale / speed(rate), scales.noise_w]))
                .map_err(failed)?
                .into(),
        ),
    ];
    if let Some(speaker) = speaker {
        inputs.push(("sid".into(), Tensor::from_array(([1usize], vec![speaker])).map_err(failed)?.into()));
    }
    Ok(inputs)
}

/// The level a streamed voice starts each unit at (see
/// [`Streamed::calibrate`]), from a phrase in its own language.
fn calibrate(parts: &mut Streamed, config: &VoiceConfig, phonemizer: &mut Espeak) -> Result<f32, EngineError> {
    let clauses = phonemizer.phonemize(&config.espeak.voice, "1, 2, 3, 4, 5.")?;
    let speaker = (config.num_speakers > 1).then_some(0);
    parts.calibrate(inputs(config, &clauses, crate::prosody::Rate::NORMAL, speaker)?)
}

/// The engine's identity for a setup. Phonemes come from libespeak-ng, so
/// its version shapes the audio too.
fn engine_info(setup: &PiperSetup, espeak_version: &str, streamed: bool) -> EngineInfo {
    EngineInfo {
        id: Piper::ID.into(),
        version: format!(
            "onnxruntime {}; espeak-ng {espeak_version}{}{}",
            onnx::version(&setup.runtime),
            if setup.split_clauses { "; clause units" } else { "" },
            if streamed { "; streamed" } else { "" },
        ),
        sample_rate: setup.sample_rate,
        capabilities: Capabilities { rate_range: NATURAL_RATES },
    }
}

/// A model's name (its file stem), and its config file's text and contents.
fn read_config(model: &std::path::Path) -> Result<(String, String, VoiceConfig), EngineError> {
    let name = model.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let config_path = config_path(model);
    let failed = |e: &dyn std::error::Error| EngineError::Init(Cause::of(config_path.display().to_string(), e));
    let config_json = std::fs::read_to_string(&config_path).map_err(|e| failed(&e))?;
    let config = VoiceConfig::parse(&config_json).map_err(|e| failed(&e))?;
    Ok((name, config_json, config))
}

/// The voices one model offers: itself, or one per speaker. `fingerprint`
/// identifies the loaded model (none when only its config was read).
fn listings(name: &str, config: &VoiceConfig, fingerprint: Option<&str>) -> Vec<(Option<i64>, EngineVoice)> {
    let languages: Vec<(u8, String)> =
        config.languages().into_iter().enumerate().map(|(i, l)| (i as u8 + 1, l)).collect();
    let voice = |identifier: String, label: String| EngineVoice {
        identifier,
        name: label,
        languages: languages.clone(),
        gender: None,
        model: fingerprint.map(str::to_string),
    };
    let title = config.dataset.clone().unwrap_or_else(|| name.to_string());
    if config.num_speakers <= 1 {
        return vec![(None, voice(name.to_string(), title))];
    }
    config
        .speaker_id_map
        .iter()
        .map(|(speaker, id)| {
            let safe: String = speaker.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
            (Some(*id), voice(format!("{name}.{safe}"), format!("{title} ({speaker})")))
        })
        .collect()
}

impl Engine for Piper {
    fn info(&self) -> &EngineInfo {
        &self.info
    }

    fn voices(&self) -> Vec<EngineVoice> {
        self.voices.iter().map(|v| v.listing.clone()).collect()
    }

    fn synthesize(
        &mut self,
        request: &SynthesisRequest,
        sink: &mut dyn FnMut(SynthEvent<'_>) -> Flow,
        cancel: &Cancellation,
    ) -> Result<Outcome, EngineError> {
        let voice = voice_index(self.voices.iter().map(|v| &v.listing), &request.voice)?;
        let espeak_voice = self.models[self.voices[voice].model].config.espeak.voice.clone();
        let clauses = self.phonemizer.phonemize(&espeak_voice, &request.text)?;
        let mut outcome = Outcome::default();
        for sentence in clauses.split_inclusive(Clause::ends_sentence) {
            let mut gain = Gain::new();
            for (part, unit) in units::split(sentence, self.split_clauses).into_iter().enumerate() {
                if !self.speak_unit(request, voice, unit, part == 0, &mut gain, &mut outcome, sink, cancel)? {
                    return Ok(outcome);
                }
            }
        }
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::neural::discover;

    #[test]
    fn voices_are_found_at_any_depth_with_their_configs_only() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("site-packages/de_voice/data");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::create_dir_all(root.path().join("pkg/capi")).unwrap();
        for file in
            ["pkg/capi/libonnxruntime.so.1.2.3", "pkg/test.onnx", "site-packages/de_voice/data/de_DE-x-medium.onnx"]
        {
            std::fs::write(root.path().join(file), b"").unwrap();
        }
        std::fs::write(data.join("de_DE-x-medium.onnx.json"), b"{}").unwrap();
        let found = discover::find(None, &[root.path().to_path_buf()]).unwrap();
        let setup = PiperSetup::find(&found, 2, 22050).unwrap();
        assert_eq!(setup.models, [data.join("de_DE-x-medium.onnx")]);
        let runtime_only = discover::find(None, &[root.path().join("pkg")]).unwrap();
        let error = PiperSetup::find(&runtime_only, 2, 22050).unwrap_err().to_string();
        assert!(error.contains("no Piper voice"), "{error}");
    }
}
