//! The Kokoro engine: Kokoro-82M (a StyleTTS 2 model exported to ONNX)
//! run with ONNX Runtime, for natural English, Spanish, French, Hindi,
//! Italian, Japanese, Brazilian Portuguese and Mandarin.
//!
//! Like Piper it lives in worker processes of its own. Japanese voices speak
//! kana and Mandarin voices numbered pinyin: the text they are handed is a
//! sentence's reading, turned into Kokoro's phoneme symbols ([`kana`],
//! [`pinyin`]). The other languages' text goes through libespeak-ng's IPA,
//! mapped to Kokoro's symbols ([`ipa`]). Symbols become token ids with the pack's vocabulary; a symbol
//! out of it is dropped, logged and counted. Each voice is a table of style
//! vectors, one row per input length. Each sentence is one inference (or
//! one per clause with `[neural] split_clauses`, in the sentence's style;
//! [`units`]). Where the setup split the model into encoder and decoder, a
//! sentence's audio streams as its decoder runs on a few frames at a time
//! ([`stream`]); otherwise it comes when the sentence is inferred. Word
//! marks are estimated, as for Piper. The model is checked when the worker
//! starts, loaded on its first inference, and serves every voice.

pub mod ipa;
pub(crate) mod kana;
mod listing;
pub(crate) mod pack;
pub mod pinyin;
mod stream;
mod units;

use super::espeak::Espeak;
use super::neural::discover::{Found, Unavailable};
use super::neural::onnx::{self, Inputs, SplitModel};
use super::neural::{deliver, deliver_audio, deliver_marks, speed, to_pcm, voice_index, NATURAL_RATES};
use super::{
    Cancellation, Capabilities, Cause, Engine, EngineError, EngineInfo, EngineVoice, Flow, Outcome, SynthEvent,
    SynthesisRequest,
};
use crate::audio::StreamResampler;
use listing::listing;
use ort::environment::Environment;
use ort::session::Session;
use ort::value::Tensor;
use pack::{VoicePack, STYLE_WIDTH};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::ops::Range;
use std::path::PathBuf;
use stream::{Seams, Streamed};
use units::{clause_parts, runs, sentences};

/// What a Kokoro worker loads; sent by the server as the worker's engine config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KokoroSetup {
    /// ONNX Runtime's shared library (`libonnxruntime.so.<version>`).
    pub(crate) runtime: PathBuf,
    pub packs: Vec<VoicePack>,
    /// Intra-op threads per model session.
    pub(crate) threads: usize,
    /// Rate the engine delivers.
    pub(crate) sample_rate: u32,
    /// Infer a long sentence clause by clause (`[neural] split_clauses`).
    #[serde(default)]
    pub(crate) split_clauses: bool,
}

/// The rate Kokoro models speak at.
const MODEL_RATE: u32 = 24_000;
/// Samples of audio per frame of the model's encoder.
const FRAME_SAMPLES: u64 = 600;
/// The kana → phoneme mapping's version: it shapes the audio, so it is
/// part of the engine's version, and so of every cache key.
const PHONEMES_VERSION: &str = "kana-phonemes 1; espeak-kokoro 1; pinyin-kokoro 1";

impl KokoroSetup {
    /// Every voice pack among the files found.
    pub fn find(found: &Found, threads: usize, sample_rate: u32) -> Result<Self, Unavailable> {
        Ok(Self {
            runtime: found.runtime.clone(),
            packs: pack::find(found)?,
            threads,
            sample_rate,
            split_clauses: false,
        })
    }

    /// This setup with every model inferred whole (`[neural] streaming = false`).
    pub(crate) fn unstreamed(mut self) -> Self {
        self.packs.iter_mut().for_each(|pack| pack.streaming = None);
        self
    }

    /// Whether any model is split for streaming.
    fn streamed(&self) -> bool {
        self.packs.iter().any(|pack| pack.streaming.is_some())
    }
}

/// The engine and its version: ONNX Runtime's, libespeak-ng's (its IPA
/// shapes the audio), the phoneme mappings' and how sentences are inferred,
/// so each is in cache keys.
fn engine_info(setup: &KokoroSetup, espeak_version: &str) -> EngineInfo {
    EngineInfo {
        id: Kokoro::ID.into(),
        version: format!(
            "onnxruntime {}; espeak-ng {espeak_version}; {PHONEMES_VERSION}{}{}",
            onnx::version(&setup.runtime),
            if setup.split_clauses { "; clause units" } else { "" },
            if setup.streamed() { "; streamed" } else { "" }
        ),
        sample_rate: setup.sample_rate,
        capabilities: Capabilities { rate_range: NATURAL_RATES },
    }
}

struct LoadedPack {
    /// The model, loaded on the pack's first inference.
    model: Option<Model>,
    source: VoicePack,
    /// The model's SHA-256, checked at start-up.
    sha256: String,
    vocab: HashMap<char, i64>,
}

/// How a model runs: one inference per run of tokens, or streamed.
enum Model {
    Whole(Session),
    Streamed(Streamed),
}

struct LoadedVoice {
    pack: usize,
    /// Rows of [`STYLE_WIDTH`] floats; row `n - 1` styles `n` tokens.
    styles: Vec<f32>,
    listing: EngineVoice,
    front_end: FrontEnd,
}

/// How a voice's text becomes Kokoro's symbols.
#[derive(Debug, Clone, Copy)]
enum FrontEnd {
    /// A Japanese reading in kana.
    Kana,
    /// A Mandarin reading in numbered pinyin.
    Pinyin,
    /// Text, through this espeak-ng voice's IPA under these rules.
    Espeak(&'static str, ipa::Dialect),
}

impl FrontEnd {
    fn of(language: &str) -> Option<Self> {
        match language {
            "ja" => Some(Self::Kana),
            "zh" => Some(Self::Pinyin),
            other => ipa::espeak_voice(other).map(|(voice, dialect)| Self::Espeak(voice, dialect)),
        }
    }
}

pub struct Kokoro {
    info: EngineInfo,
    environment: Environment,
    threads: usize,
    packs: Vec<LoadedPack>,
    voices: Vec<LoadedVoice>,
    phonemizer: Espeak,
    /// Phoneme symbols dropped for want of a token, since the worker started.
    out_of_vocabulary: u64,
    split_clauses: bool,
}

impl Kokoro {
    pub(crate) const ID: &'static str = "kokoro";

    /// Loads ONNX Runtime, checks every pack's model against its checksum,
    /// and loads its vocabulary and voices. A model is loaded into a session
    /// on its first inference: a worker that never speaks a Kokoro voice
    /// never holds one (about 230 MiB).
    pub fn new(setup: &KokoroSetup) -> Result<Self, EngineError> {
        let environment = onnx::environment(&setup.runtime)?;
        let mut packs = Vec::new();
        let mut voices = Vec::new();
        for pack in &setup.packs {
            let (_, checksum) = pack.model()?;
            let vocab = pack.vocab()?;
            for voice in pack.voices()? {
                let styles = match pack.styles(&voice.name) {
                    Ok(styles) => styles,
                    Err(e) => {
                        let error = crate::report::Chain(&e).to_string();
                        tracing::warn!(voice = %voice.name, %error, "Kokoro voice left out: its language falls back");
                        continue;
                    }
                };
                // The model, the vocabulary and the voice's styles shape its audio.
                let mut hasher = blake3::Hasher::new();
                hasher.update(checksum.as_bytes());
                let mut symbols: Vec<(&char, &i64)> = vocab.iter().collect();
                symbols.sort();
                hasher.update(format!("{symbols:?}").as_bytes());
                styles.iter().for_each(|s| {
                    hasher.update(&s.to_le_bytes());
                });
                let fingerprint = hasher.finalize().to_hex()[..16].to_string();
                let Some(front_end) = FrontEnd::of(voice.language) else { continue };
                let listing = listing(&voice, Some(fingerprint));
                voices.push(LoadedVoice { pack: packs.len(), styles, listing, front_end });
            }
            packs.push(LoadedPack { model: None, source: pack.clone(), sha256: checksum, vocab });
        }
        let phonemizer = Espeak::new()?;
        let info = engine_info(setup, &phonemizer.info().version);
        let (threads, split_clauses) = (setup.threads, setup.split_clauses);
        Ok(Self { info, environment, threads, packs, voices, phonemizer, out_of_vocabulary: 0, split_clauses })
    }

    /// The model of pack `pack`, loaded on first use: streamed where its
    /// parts load, whole otherwise.
    fn model(&mut self, pack: usize) -> Result<&mut Model, EngineError> {
        let loaded = &mut self.packs[pack];
        if loaded.model.is_none() {
            let streamed = loaded.source.streaming.as_ref().and_then(|(encoder, decoder)| {
                SplitModel::load(&self.environment, (encoder, decoder), &loaded.sha256, self.threads)
                    .and_then(Streamed::new)
                    .inspect_err(|error| tracing::warn!(%error, "inferring the Kokoro model whole, unstreamed"))
                    .ok()
            });
            loaded.model = Some(match streamed {
                Some(parts) => Model::Streamed(parts),
                None => {
                    let (model, _) = loaded.source.model()?;
                    let what = format!("the Kokoro model of {}", loaded.source.vocab.display());
                    Model::Whole(onnx::session(&self.environment, &model, self.threads, &what)?)
                }
            });
        }
        Ok(loaded.model.as_mut().expect("made above"))
    }

    /// Kokoro's phoneme symbols for one sentence in `voice`'s language.
    fn phonemes(&mut self, voice: usize, text: &str) -> Result<String, EngineError> {
        let (espeak_voice, dialect) = match self.voices[voice].front_end {
            FrontEnd::Kana => return Ok(kana::phonemes(text)),
            FrontEnd::Pinyin => return Ok(pinyin::to_kokoro(text)),
            FrontEnd::Espeak(voice, dialect) => (voice, dialect),
        };
        let clauses = self.phonemizer.phonemize_tied(espeak_voice, text)?;
        let spoken = clauses.iter().map(|clause| {
            let mut symbols = ipa::to_kokoro(&clause.phonemes, dialect);
            symbols.extend(clause.terminator);
            symbols
        });
        Ok(spoken.collect::<Vec<_>>().join(" "))
    }

    /// Token ids of one sentence; symbols the model does not know are
    /// dropped, logged and counted.
    fn tokens(&mut self, voice: usize, text: &str) -> Result<Vec<i64>, EngineError> {
        let phonemes = self.phonemes(voice, text)?;
        let vocab = &self.packs[self.voices[voice].pack].vocab;
        let (known, unknown): (Vec<char>, Vec<char>) = phonemes.chars().partition(|c| vocab.contains_key(c));
        if !unknown.is_empty() {
            self.out_of_vocabulary += unknown.len() as u64;
            let voice = &self.voices[voice].listing.identifier;
            let (dropped, total) = (unknown.iter().collect::<String>(), self.out_of_vocabulary);
            tracing::warn!(%voice, %dropped, total, "phoneme symbols out of Kokoro's vocabulary dropped");
        }
        Ok(known.iter().map(|c| vocab[c]).collect())
    }

    /// Speaks one part of a sentence (all of it unless split into clauses):
    /// its token `runs` in `style`, over `text[source]`; the part opens its
    /// sentence if `opens_sentence`. Its marks and audio go to `sink`.
    /// Returns whether synthesis goes on; a cancel ends it with
    /// `outcome.aborted`.
    #[allow(clippy::too_many_arguments)] // one part's request, place in it, and output
    fn speak_part(
        &mut self,
        request: &SynthesisRequest,
        voice: usize,
        (source, runs): (Range<usize>, &[&[i64]]),
        style: &[f32],
        opens_sentence: bool,
        outcome: &mut Outcome,
        sink: &mut dyn FnMut(SynthEvent<'_>) -> Flow,
        cancel: &Cancellation,
    ) -> Result<bool, EngineError> {
        let output_rate = self.info.sample_rate;
        let (text, max_samples) = (&request.text, request.max_samples);
        let model = self.model(self.voices[voice].pack)?;
        let inputs = |tokens: &[i64]| model_inputs(tokens, style, request.rate);
        let cancelled = |outcome: &mut Outcome| {
            outcome.aborted = true;
            Ok(false)
        };
        match model {
            Model::Whole(session) => {
                let mut audio = Vec::new();
                for run in runs {
                    let Some(part) = onnx::audio_cancellable(session, inputs(run)?, cancel)? else {
                        return cancelled(outcome);
                    };
                    audio.extend(to_pcm(&part, 1.0, MODEL_RATE, output_rate));
                }
                Ok(deliver(text, source, opens_sentence, &audio, max_samples, outcome, sink))
            }
            Model::Streamed(parts) => {
                // The encoder is quick: every run of tokens is encoded
                // first, so the part's length is known for its marks.
                let mut encoded = Vec::with_capacity(runs.len());
                for run in runs {
                    let Some(frames) = parts.encode(inputs(run)?, cancel)? else { return cancelled(outcome) };
                    encoded.push(frames);
                }
                let frames: usize = encoded.iter().map(stream::Encoded::frames).sum();
                let samples = (frames as u64 * FRAME_SAMPLES * u64::from(output_rate)).div_ceil(MODEL_RATE.into());
                if !deliver_marks(text, source, opens_sentence, samples, max_samples, outcome, sink) {
                    return Ok(false);
                }
                let resampling = |e| EngineError::Synthesis(Cause::of("resampling Kokoro's audio", &e));
                let mut resampler = StreamResampler::new(MODEL_RATE, output_rate).map_err(resampling)?;
                for encoded in &encoded {
                    let mut seams = Seams::default();
                    for frames in stream::runs(encoded.frames()) {
                        let Some(audio) = parts.decode(encoded, style, frames.clone(), cancel)? else {
                            return cancelled(outcome);
                        };
                        let audio = seams.join(audio, &frames, encoded.frames());
                        let audio = resampler.push(&to_pcm(&audio, 1.0, MODEL_RATE, MODEL_RATE)).map_err(resampling)?;
                        if !deliver_audio(&audio, max_samples, outcome, sink) {
                            return Ok(false);
                        }
                    }
                }
                Ok(deliver_audio(&resampler.finish().map_err(resampling)?, max_samples, outcome, sink))
            }
        }
    }
}

/// The model's inputs for one run of at most 510 tokens, padded as Kokoro
/// expects, in `style`, at `rate` (wpm).
pub(super) fn model_inputs(tokens: &[i64], style: &[f32], rate: u32) -> Result<Inputs<'static>, EngineError> {
    let failed = onnx::failed;
    let ids: Vec<i64> = std::iter::once(0).chain(tokens.iter().copied()).chain(std::iter::once(0)).collect();
    let count = ids.len();
    Ok(vec![
        ("tokens".into(), Tensor::from_array(([1usize, count], ids)).map_err(failed)?.into()),
        ("style".into(), Tensor::from_array(([1usize, STYLE_WIDTH], style.to_vec())).map_err(failed)?.into()),
        ("speed".into(), Tensor::from_array(([1usize], vec![speed(rate)])).map_err(failed)?.into()),
    ])
}

impl Engine for Kokoro {
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
        let space = self.packs[self.voices[voice].pack].vocab.get(&' ').copied();
        let mut outcome = Outcome::default();
        for sentence in sentences(&request.text) {
            // A sentence is inferred whole, or clause by clause in one style:
            // the style vector of the whole sentence's length.
            let parts = clause_parts(&request.text, sentence, self.split_clauses);
            let mut tokens = Vec::with_capacity(parts.len());
            for part in &parts {
                tokens.push(self.tokens(voice, &request.text[part.clone()])?);
            }
            let style = pack::style_for(&self.voices[voice].styles, tokens.iter().map(Vec::len).sum()).to_vec();
            let mut opened = false;
            for (part, tokens) in parts.into_iter().zip(&tokens).filter(|(_, tokens)| !tokens.is_empty()) {
                let opens_sentence = !std::mem::replace(&mut opened, true);
                let runs = runs(tokens, space);
                let part = (part, runs.as_slice());
                if !self.speak_part(request, voice, part, &style, opens_sentence, &mut outcome, sink, cancel)? {
                    return Ok(outcome);
                }
            }
        }
        Ok(outcome)
    }
}
