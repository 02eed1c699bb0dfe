//! The Piper engine: neural voices (VITS models exported to ONNX) run with
//! ONNX Runtime, loaded from the shared library at run time.
//!
//! It lives in worker processes like espeak-ng, so a crash or runaway
//! allocation in the runtime costs one worker, never the server. Text
//! becomes IPA phonemes through libespeak-ng in the same worker, then model
//! ids ([`config`]). Each sentence, or each clause of a long sentence
//! ([`units`]), is one inference, streamed as soon as it is ready; every
//! inference has its own run options, so a cancel terminates it at once.
//! Models give no timing, so word marks are estimated ([`marks`]).
//! Every model is loaded once, when the worker starts.

pub mod config;
pub mod discover;
pub mod listing;
mod marks;
mod units;

use super::espeak::{Clause, Espeak};
use super::{
    Cancellation, Capabilities, Engine, EngineError, EngineInfo, EngineVoice, Flow, Outcome, SynthEvent,
    SynthesisRequest,
};
use config::VoiceConfig;
use ort::session::{RunOptions, Session};
use ort::value::Tensor;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;

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

/// Speaking rates (words per minute) the models stay natural at; requests
/// outside are spoken at the nearest end of the range.
pub const NATURAL_RATES: (u32, u32) = (120, 300);
/// The rate a model speaks at with its own length scale.
const MODEL_WPM: u32 = crate::speech::Rate::NORMAL;
/// Audio handed to the sink per call, in samples.
const CHUNK_SAMPLES: usize = 4096;

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
        let init = |what: &str, error: &dyn std::fmt::Display| EngineError::Init(format!("{what}: {error}"));
        let environment = ort::init_from(&setup.runtime)
            .map_err(|e| init(&format!("ONNX Runtime at {}", setup.runtime.display()), &e))?
            .with_name("herald")
            .build()
            .map_err(|e| init("ONNX Runtime environment", &e))?;
        let mut models = Vec::new();
        let mut voices = Vec::new();
        for path in &setup.models {
            let (name, config_json, config) = read_config(path)?;
            let bytes = std::fs::read(path).map_err(|e| init(&path.display().to_string(), &e))?;
            let session = Session::builder(&environment)
                .and_then(|b| b.with_intra_threads(setup.threads.max(1)).map_err(Into::into))
                .and_then(|b| b.with_inter_threads(1).map_err(Into::into))
                .and_then(|b| b.with_intra_op_spinning(false).map_err(Into::into))
                .and_then(|mut b| b.commit_from_memory(&bytes))
                .map_err(|e| init(&path.display().to_string(), &e))?;
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

    /// Clauses of phonemes through the model: raw audio at the model's rate,
    /// or `None` when `cancel` terminated the inference.
    fn infer(
        &mut self,
        voice: usize,
        clauses: &[Clause],
        rate: u32,
        cancel: &Cancellation,
    ) -> Result<Option<Vec<f32>>, EngineError> {
        let failed = |e: ort::Error| EngineError::Synthesis(format!("ONNX Runtime: {e}"));
        let LoadedVoice { model, speaker, .. } = self.voices[voice];
        let model = &mut self.models[model];
        let ids = model.config.phoneme_ids(clauses);
        let scales = model.config.inference;
        let (slowest, fastest) = NATURAL_RATES;
        let length_scale = scales.length_scale * MODEL_WPM as f32 / rate.clamp(slowest, fastest) as f32;
        let count = ids.len();
        let mut inputs = ort::inputs![
            "input" => Tensor::from_array(([1usize, count], ids)).map_err(failed)?,
            "input_lengths" => Tensor::from_array(([1usize], vec![count as i64])).map_err(failed)?,
            "scales" => Tensor::from_array(([3usize], vec![scales.noise_scale, length_scale, scales.noise_w])).map_err(failed)?,
        ];
        if let Some(speaker) = speaker {
            inputs.push(("sid".into(), Tensor::from_array(([1usize], vec![speaker])).map_err(failed)?.into()));
        }
        let run = Arc::new(RunOptions::new().map_err(failed)?);
        let terminate = {
            let run = Arc::clone(&run);
            move || {
                let _ = run.terminate();
            }
        };
        let audio = cancel.while_running(terminate, || -> Result<Vec<f32>, ort::Error> {
            let outputs = model.session.run_with_options(inputs, &*run)?;
            let (_, audio) = outputs[0].try_extract_tensor::<f32>()?;
            Ok(audio.to_vec())
        });
        match audio {
            Ok(audio) => Ok(Some(audio)),
            Err(_) if cancel.is_cancelled() => Ok(None),
            Err(error) => Err(failed(error)),
        }
    }

    /// Raw model audio as 16-bit samples at the engine's rate, scaled by
    /// `gain`'s loudest peak so far: a sentence inferred in parts keeps one
    /// level (no part louder than the one before it), and never clips.
    fn to_pcm(&self, voice: usize, audio: &[f32], gain: &mut Gain) -> Vec<i16> {
        let scale = gain.scale_for(audio);
        let pcm: Vec<i16> = audio.iter().map(|s| (s * scale).clamp(-32767.0, 32767.0) as i16).collect();
        let native = self.models[self.voices[voice].model].config.audio.sample_rate;
        if native == self.info.sample_rate {
            pcm
        } else {
            crate::audio::resample(&pcm, native, self.info.sample_rate)
        }
    }
}

/// Peak normalisation across the parts of one sentence, as Piper
/// normalises each utterance to full scale.
struct Gain {
    peak: f32,
}

impl Gain {
    fn new() -> Self {
        Self { peak: 0.01 }
    }

    fn scale_for(&mut self, audio: &[f32]) -> f32 {
        self.peak = audio.iter().fold(self.peak, |m, s| m.max(s.abs()));
        32767.0 / self.peak
    }
}

/// The engine's identity for a setup. Phonemes come from libespeak-ng, so
/// its version shapes the audio too.
fn engine_info(setup: &PiperSetup, espeak_version: &str) -> EngineInfo {
    let runtime = setup.runtime.file_name().and_then(|n| n.to_str()).and_then(|n| n.split_once(".so."));
    EngineInfo {
        id: Piper::ID.into(),
        version: format!(
            "onnxruntime {}; espeak-ng {espeak_version}{}",
            runtime.map_or("", |(_, v)| v),
            if setup.split_clauses { "; clause units" } else { "" }
        ),
        sample_rate: setup.sample_rate,
        capabilities: Capabilities { rate_range: NATURAL_RATES },
    }
}

/// A model's name (its file stem), and its config file's text and contents.
fn read_config(model: &std::path::Path) -> Result<(String, String, VoiceConfig), EngineError> {
    let name = model.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let config_path = discover::config_path(model);
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
        let voice = self
            .voices
            .iter()
            .position(|v| v.listing.identifier == request.voice)
            .ok_or_else(|| EngineError::UnknownVoice(request.voice.clone()))?;
        let espeak_voice = self.models[self.voices[voice].model].config.espeak.voice.clone();
        let clauses = self.phonemizer.phonemize(&espeak_voice, &request.text)?;
        let mut outcome = Outcome { samples: 0, aborted: false, truncated: false };
        for sentence in clauses.split_inclusive(Clause::ends_sentence) {
            let mut gain = Gain::new();
            for (part, unit) in units::split(sentence, self.split_clauses).into_iter().enumerate() {
                let Some(raw) = self.infer(voice, unit, request.rate, cancel)? else {
                    outcome.aborted = true;
                    return Ok(outcome);
                };
                let audio = self.to_pcm(voice, &raw, &mut gain);
                let remaining = request.max_samples.saturating_sub(outcome.samples) as usize;
                let audio = &audio[..audio.len().min(remaining)];
                let source = unit[0].source.start..unit[unit.len() - 1].source.end;
                let marks = marks::estimate(&request.text, source, part == 0, outcome.samples, audio.len() as u64);
                let events =
                    marks.into_iter().map(SynthEvent::Mark).chain(audio.chunks(CHUNK_SAMPLES).map(SynthEvent::Audio));
                for event in events {
                    if sink(event) == Flow::Abort {
                        outcome.aborted = true;
                        return Ok(outcome);
                    }
                }
                outcome.samples += audio.len() as u64;
                if outcome.samples >= request.max_samples {
                    outcome.truncated = true;
                    return Ok(outcome);
                }
            }
        }
        Ok(outcome)
    }
}
