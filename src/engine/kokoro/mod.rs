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
//! [`units`]), streamed as soon as it is ready; word marks are estimated, as for Piper. The model is checked when
//! the worker starts, loaded on its first inference, and serves every voice.

pub mod ipa;
pub mod kana;
pub mod pack;
pub mod pinyin;
mod units;

use super::espeak::Espeak;
use super::neural::discover::{Found, Unavailable};
use super::neural::{deliver, onnx, speed, to_pcm, voice_index, NATURAL_RATES};
use super::protocol::Hello;
use super::{
    Cancellation, Capabilities, Engine, EngineError, EngineInfo, EngineVoice, Flow, Outcome, SynthEvent,
    SynthesisRequest,
};
use ort::environment::Environment;
use ort::session::Session;
use ort::value::Tensor;
use pack::{PackVoice, VoicePack, STYLE_WIDTH};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::PathBuf;
use units::{clause_parts, runs, sentences};

/// What a Kokoro worker loads; sent by the server as the worker's engine config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KokoroSetup {
    /// ONNX Runtime's shared library (`libonnxruntime.so.<version>`).
    pub runtime: PathBuf,
    pub packs: Vec<VoicePack>,
    /// Intra-op threads per model session.
    pub threads: usize,
    /// Rate the engine delivers.
    pub sample_rate: u32,
    /// Infer a long sentence clause by clause (`[neural] split_clauses`).
    #[serde(default)]
    pub split_clauses: bool,
}

/// The rate Kokoro models speak at.
const MODEL_RATE: u32 = 24_000;
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

    /// What a worker on this setup would greet with, minus model
    /// fingerprints: read from the packs' files, no model loaded.
    pub fn hello(&self, espeak_version: &str) -> Result<Hello, EngineError> {
        let mut voices = Vec::new();
        for pack in &self.packs {
            voices.extend(pack.voices()?.iter().map(|voice| listing(voice, None)));
        }
        Ok(Hello { info: engine_info(self, espeak_version), voices })
    }
}

/// The engine and its version: ONNX Runtime's, libespeak-ng's (its IPA
/// shapes the audio) and the phoneme mappings', so each is in cache keys.
fn engine_info(setup: &KokoroSetup, espeak_version: &str) -> EngineInfo {
    EngineInfo {
        id: Kokoro::ID.into(),
        version: format!(
            "onnxruntime {}; espeak-ng {espeak_version}; {PHONEMES_VERSION}{}",
            onnx::version(&setup.runtime),
            if setup.split_clauses { "; clause units" } else { "" }
        ),
        sample_rate: setup.sample_rate,
        capabilities: Capabilities { rate_range: NATURAL_RATES },
    }
}

/// Each language's first voice: the best-graded in Kokoro's voice list
/// (hexgrad/Kokoro-82M `VOICES.md`). The others rank after it.
const FIRST_CHOICES: &[&str] =
    &["af_heart", "bf_emma", "ef_dora", "ff_siwis", "hf_alpha", "if_sara", "jf_alpha", "pf_dora", "zf_xiaobei"];

/// The voice's rank for its language (1 first). English ranks one lower:
/// Piper's English voice stays the first natural English voice.
fn priority(voice: &PackVoice) -> u8 {
    let first = FIRST_CHOICES.contains(&voice.name.as_str());
    1 + u8::from(!first) + u8::from(voice.language.starts_with("en"))
}

fn listing(voice: &PackVoice, fingerprint: Option<String>) -> EngineVoice {
    EngineVoice {
        identifier: voice.name.clone(),
        name: format!("Kokoro {}", voice.name),
        languages: vec![(priority(voice), voice.language.to_string())],
        gender: voice.gender,
        model: fingerprint,
    }
}

struct LoadedPack {
    /// The model's session, made on the pack's first inference.
    session: Option<Session>,
    source: VoicePack,
    vocab: HashMap<char, i64>,
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
    pub const ID: &'static str = "kokoro";

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
            packs.push(LoadedPack { session: None, source: pack.clone(), vocab });
        }
        let phonemizer = Espeak::new()?;
        let info = engine_info(setup, &phonemizer.info().version);
        let (threads, split_clauses) = (setup.threads, setup.split_clauses);
        Ok(Self { info, environment, threads, packs, voices, phonemizer, out_of_vocabulary: 0, split_clauses })
    }

    /// The session of pack `pack`, made on first use.
    fn session(&mut self, pack: usize) -> Result<&mut Session, EngineError> {
        let loaded = &mut self.packs[pack];
        if loaded.session.is_none() {
            let (model, _) = loaded.source.model()?;
            let what = format!("the Kokoro model of {}", loaded.source.vocab.display());
            loaded.session = Some(onnx::session(&self.environment, &model, self.threads, &what)?);
        }
        Ok(loaded.session.as_mut().expect("made above"))
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

    /// One run of at most 510 tokens through the model, styled as a
    /// sentence of `styled` tokens, as 16-bit audio at the engine's rate,
    /// or `None` when `cancel` terminated it.
    fn infer(
        &mut self,
        voice: usize,
        tokens: &[i64],
        styled: usize,
        rate: u32,
        cancel: &Cancellation,
    ) -> Result<Option<Vec<i16>>, EngineError> {
        let failed = onnx::failed;
        let LoadedVoice { pack, styles, .. } = &self.voices[voice];
        let pack = *pack;
        let rows = styles.len() / STYLE_WIDTH;
        let row = styled.min(rows).max(1) - 1;
        let style = styles[row * STYLE_WIDTH..(row + 1) * STYLE_WIDTH].to_vec();
        let ids: Vec<i64> = std::iter::once(0).chain(tokens.iter().copied()).chain(std::iter::once(0)).collect();
        let count = ids.len();
        let inputs = ort::inputs![
            "tokens" => Tensor::from_array(([1usize, count], ids)).map_err(failed)?,
            "style" => Tensor::from_array(([1usize, STYLE_WIDTH], style)).map_err(failed)?,
            "speed" => Tensor::from_array(([1usize], vec![speed(rate)])).map_err(failed)?,
        ];
        let session = self.session(pack)?;
        let Some(audio) = onnx::audio_cancellable(session, inputs, cancel)? else { return Ok(None) };
        Ok(Some(to_pcm(&audio, 1.0, MODEL_RATE, self.info.sample_rate)))
    }
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
            let styled = tokens.iter().map(Vec::len).sum();
            let mut opened = false;
            for (part, tokens) in parts.into_iter().zip(&tokens).filter(|(_, tokens)| !tokens.is_empty()) {
                let mut audio = Vec::new();
                for run in runs(tokens, space) {
                    let Some(part) = self.infer(voice, run, styled, request.rate, cancel)? else {
                        outcome.aborted = true;
                        return Ok(outcome);
                    };
                    audio.extend(part);
                }
                let opens_sentence = !std::mem::replace(&mut opened, true);
                if !deliver(&request.text, part, opens_sentence, &audio, request.max_samples, &mut outcome, sink) {
                    return Ok(outcome);
                }
            }
        }
        Ok(outcome)
    }
}
