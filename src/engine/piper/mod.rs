//! The Piper engine: neural voices (VITS models exported to ONNX) run with
//! ONNX Runtime, loaded from the shared library at run time.
//!
//! It lives in worker processes like espeak-ng, so a crash or runaway
//! allocation in the runtime costs one worker, never the server. Text
//! becomes IPA phonemes through libespeak-ng in the same worker, then model
//! ids ([`config`]). Each sentence, or each clause of a long sentence
//! ([`units`]), is one inference, streamed as soon as it is ready; a cancel
//! terminates the inference in flight. Models give no timing, so word marks
//! are estimated. Every model is loaded once, when the worker starts.
//!
//! A voice is any `NAME.onnx` with its `NAME.onnx.json` under the neural
//! directories, wherever it lies (installed packages keep theirs in data
//! folders); its config says which language it speaks.

pub mod config;
pub mod listing;
mod units;

use super::espeak::{Clause, Espeak};
use super::neural::discover::{Found, Unavailable};
use super::neural::{deliver, onnx, speed, to_pcm, voice_index, NATURAL_RATES};
use super::{
    Cancellation, Capabilities, Engine, EngineError, EngineInfo, EngineVoice, Flow, Outcome, SynthEvent,
    SynthesisRequest,
};
use config::VoiceConfig;
use ort::session::Session;
use ort::value::Tensor;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What a Piper worker loads; sent by the server as the worker's engine config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PiperSetup {
    /// ONNX Runtime's shared library (`libonnxruntime.so.<version>`).
    pub runtime: PathBuf,
    /// Model files (`NAME.onnx`, with `NAME.onnx.json` beside each).
    pub models: Vec<PathBuf>,
    /// Intra-op threads per model session.
    pub threads: usize,
    /// Rate the engine delivers, whatever the models' own rates.
    pub sample_rate: u32,
    /// Long sentences are inferred clause by clause (see [`units`]).
    #[serde(default)]
    pub split_clauses: bool,
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
        Ok(Self { runtime: found.runtime.clone(), models, threads, sample_rate, split_clauses: false })
    }
}

/// The model's config file: `NAME.onnx.json` beside `NAME.onnx`.
pub fn config_path(model: &Path) -> PathBuf {
    let mut name = model.as_os_str().to_owned();
    name.push(".json");
    PathBuf::from(name)
}

struct Model {
    session: Session,
    config: VoiceConfig,
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
    pub const ID: &'static str = "piper";

    /// Loads ONNX Runtime and every model in `setup`.
    pub fn new(setup: &PiperSetup) -> Result<Self, EngineError> {
        let environment = onnx::environment(&setup.runtime)?;
        let mut models = Vec::new();
        let mut voices = Vec::new();
        for path in &setup.models {
            let (name, config_json, config) = read_config(path)?;
            let what = path.display().to_string();
            let bytes = std::fs::read(path).map_err(|e| onnx::init_error(&what, &e))?;
            let session = onnx::session(&environment, &bytes, setup.threads, &what)?;
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
            models.push(Model { session, config });
        }
        let phonemizer = Espeak::new()?;
        let info = engine_info(setup, &phonemizer.info().version);
        Ok(Self { info, phonemizer, models, voices, split_clauses: setup.split_clauses })
    }

    /// Clauses of phonemes through the model: 16-bit audio at the engine's
    /// rate, scaled by `gain`, or `None` when `cancel` terminated the inference.
    fn infer(
        &mut self,
        voice: usize,
        clauses: &[Clause],
        rate: u32,
        gain: &mut Gain,
        cancel: &Cancellation,
    ) -> Result<Option<Vec<i16>>, EngineError> {
        let failed = onnx::failed;
        let LoadedVoice { model, speaker, .. } = self.voices[voice];
        let model = &mut self.models[model];
        let ids = model.config.phoneme_ids(clauses);
        let scales = model.config.inference;
        let length_scale = scales.length_scale / speed(rate);
        let count = ids.len();
        let mut inputs = ort::inputs![
            "input" => Tensor::from_array(([1usize, count], ids)).map_err(failed)?,
            "input_lengths" => Tensor::from_array(([1usize], vec![count as i64])).map_err(failed)?,
            "scales" => Tensor::from_array(([3usize], vec![scales.noise_scale, length_scale, scales.noise_w])).map_err(failed)?,
        ];
        if let Some(speaker) = speaker {
            inputs.push(("sid".into(), Tensor::from_array(([1usize], vec![speaker])).map_err(failed)?.into()));
        }
        let Some(audio) = onnx::run_cancellable(&mut model.session, inputs, cancel)? else { return Ok(None) };
        let gain = gain.for_part(&audio);
        Ok(Some(to_pcm(&audio, gain, model.config.audio.sample_rate, self.info.sample_rate)))
    }
}

/// Peak normalisation as Piper does it, across the parts of one sentence:
/// each part is scaled by the loudest peak so far, so a sentence inferred
/// in parts keeps one level and never clips.
struct Gain {
    peak: f32,
}

impl Gain {
    fn new() -> Self {
        Self { peak: 0.01 }
    }

    fn for_part(&mut self, audio: &[f32]) -> f32 {
        self.peak = audio.iter().fold(self.peak, |m, s| m.max(s.abs()));
        1.0 / self.peak
    }
}

/// The engine's identity for a setup. Phonemes come from libespeak-ng, so
/// its version shapes the audio too.
fn engine_info(setup: &PiperSetup, espeak_version: &str) -> EngineInfo {
    EngineInfo {
        id: Piper::ID.into(),
        version: format!(
            "onnxruntime {}; espeak-ng {espeak_version}{}",
            onnx::version(&setup.runtime),
            if setup.split_clauses { "; clause units" } else { "" }
        ),
        sample_rate: setup.sample_rate,
        capabilities: Capabilities { rate_range: NATURAL_RATES },
    }
}

/// A model's name (its file stem), and its config file's text and contents.
fn read_config(model: &std::path::Path) -> Result<(String, String, VoiceConfig), EngineError> {
    let name = model.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let config_path = config_path(model);
    let failed = |e: &dyn std::fmt::Display| EngineError::Init(format!("{}: {e}", config_path.display()));
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
                let Some(audio) = self.infer(voice, unit, request.rate, &mut gain, cancel)? else {
                    outcome.aborted = true;
                    return Ok(outcome);
                };
                let source = unit[0].source.start..unit[unit.len() - 1].source.end;
                if !deliver(&request.text, source, part == 0, &audio, request.max_samples, &mut outcome, sink) {
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
