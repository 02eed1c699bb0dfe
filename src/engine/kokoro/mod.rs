//! The Kokoro engine: Kokoro-82M (a StyleTTS 2 model exported to ONNX)
//! run with ONNX Runtime, for natural English, Spanish, French, Hindi,
//! Italian, Japanese and Brazilian Portuguese.
//!
//! Like Piper it lives in worker processes of its own. Japanese voices speak
//! kana: the text they are handed is the reading of a Japanese sentence,
//! turned into Kokoro's phoneme symbols ([`kana`]). The other languages'
//! text goes through libespeak-ng's IPA, mapped to Kokoro's symbols
//! ([`ipa`]). Symbols become token ids with the pack's vocabulary; a symbol
//! out of it is dropped, logged and counted. Each voice is a table of style
//! vectors, one row per input length. Each sentence is one inference (split
//! further only past the model's 510 tokens), streamed as soon as it is
//! ready; word marks are estimated, as for Piper. The model is loaded once,
//! when the worker starts, and serves every voice.

pub mod ipa;
pub mod kana;
pub mod pack;

use super::espeak::Espeak;
use super::neural::discover::{Found, Unavailable};
use super::neural::{deliver, onnx, speed, to_pcm, voice_index, NATURAL_RATES};
use super::protocol::Hello;
use super::{
    Cancellation, Capabilities, Engine, EngineError, EngineInfo, EngineVoice, Flow, Outcome, SynthEvent,
    SynthesisRequest,
};
use ort::session::Session;
use ort::value::Tensor;
use pack::{PackVoice, VoicePack, STYLE_WIDTH};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::PathBuf;

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
}

/// The rate Kokoro models speak at.
const MODEL_RATE: u32 = 24_000;
/// Most tokens one inference takes (the model's context, less its two pads).
const MAX_TOKENS: usize = 510;
/// The kana → phoneme mapping's version: it shapes the audio, so it is
/// part of the engine's version, and so of every cache key.
const PHONEMES_VERSION: &str = "kana-phonemes 1; espeak-kokoro 1";
/// Characters that end a sentence.
const SENTENCE_ENDS: &[char] = &['。', '！', '？', '!', '?', '.', '।', '\n'];

impl KokoroSetup {
    /// Every voice pack among the files found.
    pub fn find(found: &Found, threads: usize, sample_rate: u32) -> Result<Self, Unavailable> {
        Ok(Self { runtime: found.runtime.clone(), packs: pack::find(found)?, threads, sample_rate })
    }

    /// What a worker on this setup would greet with, minus model
    /// fingerprints: read from the packs' files, no model loaded.
    pub fn hello(&self) -> Result<Hello, EngineError> {
        let mut voices = Vec::new();
        for pack in &self.packs {
            voices.extend(pack.voices()?.iter().map(|voice| listing(voice, None)));
        }
        Ok(Hello { info: engine_info(self), voices })
    }
}

fn engine_info(setup: &KokoroSetup) -> EngineInfo {
    EngineInfo {
        id: Kokoro::ID.into(),
        version: format!("onnxruntime {}; {PHONEMES_VERSION}", onnx::version(&setup.runtime)),
        sample_rate: setup.sample_rate,
        capabilities: Capabilities { rate_range: NATURAL_RATES },
    }
}

/// Each language's first voice: the best-graded in Kokoro's voice list
/// (hexgrad/Kokoro-82M `VOICES.md`). The others rank after it.
const FIRST_CHOICES: &[&str] =
    &["af_heart", "bf_emma", "ef_dora", "ff_siwis", "hf_alpha", "if_sara", "jf_alpha", "pf_dora"];

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
    session: Session,
    vocab: HashMap<char, i64>,
}

struct LoadedVoice {
    pack: usize,
    /// Rows of [`STYLE_WIDTH`] floats; row `n - 1` styles `n` tokens.
    styles: Vec<f32>,
    listing: EngineVoice,
    /// Kana (Japanese), or this espeak-ng voice's IPA under these rules.
    espeak: Option<(&'static str, ipa::Dialect)>,
}

pub struct Kokoro {
    info: EngineInfo,
    packs: Vec<LoadedPack>,
    voices: Vec<LoadedVoice>,
    phonemizer: Espeak,
    /// Phoneme symbols dropped for want of a token, since the worker started.
    out_of_vocabulary: u64,
}

impl Kokoro {
    pub const ID: &'static str = "kokoro";

    /// Loads ONNX Runtime, and every pack's model, vocabulary and voices.
    pub fn new(setup: &KokoroSetup) -> Result<Self, EngineError> {
        let environment = onnx::environment(&setup.runtime)?;
        let mut packs = Vec::new();
        let mut voices = Vec::new();
        for pack in &setup.packs {
            let (model, checksum) = pack.model()?;
            let what = format!("the Kokoro model of {}", pack.vocab.display());
            let session = onnx::session(&environment, &model, setup.threads, &what)?;
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
                let espeak = ipa::espeak_voice(voice.language);
                let listing = listing(&voice, Some(fingerprint));
                voices.push(LoadedVoice { pack: packs.len(), styles, listing, espeak });
            }
            packs.push(LoadedPack { session, vocab });
        }
        let phonemizer = Espeak::new()?;
        Ok(Self { info: engine_info(setup), packs, voices, phonemizer, out_of_vocabulary: 0 })
    }

    /// Kokoro's phoneme symbols for one sentence in `voice`'s language.
    fn phonemes(&mut self, voice: usize, text: &str) -> Result<String, EngineError> {
        let Some((espeak_voice, dialect)) = self.voices[voice].espeak else { return Ok(kana::phonemes(text)) };
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

    /// One run of at most [`MAX_TOKENS`] tokens through the model, as 16-bit
    /// audio at the engine's rate, or `None` when `cancel` terminated it.
    fn infer(
        &mut self,
        voice: usize,
        tokens: &[i64],
        rate: u32,
        cancel: &Cancellation,
    ) -> Result<Option<Vec<i16>>, EngineError> {
        let failed = onnx::failed;
        let LoadedVoice { pack, styles, .. } = &self.voices[voice];
        let rows = styles.len() / STYLE_WIDTH;
        let row = tokens.len().min(rows).max(1) - 1;
        let style = styles[row * STYLE_WIDTH..(row + 1) * STYLE_WIDTH].to_vec();
        let ids: Vec<i64> = std::iter::once(0).chain(tokens.iter().copied()).chain(std::iter::once(0)).collect();
        let count = ids.len();
        let inputs = ort::inputs![
            "tokens" => Tensor::from_array(([1usize, count], ids)).map_err(failed)?,
            "style" => Tensor::from_array(([1usize, STYLE_WIDTH], style)).map_err(failed)?,
            "speed" => Tensor::from_array(([1usize], vec![speed(rate)])).map_err(failed)?,
        ];
        let session = &mut self.packs[*pack].session;
        let Some(audio) = onnx::audio_cancellable(session, inputs, cancel)? else { return Ok(None) };
        Ok(Some(to_pcm(&audio, 1.0, MODEL_RATE, self.info.sample_rate)))
    }
}

/// Byte ranges of the sentences of `text`, each with its ending mark.
fn sentences(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let mut start = 0;
    for (at, c) in text.char_indices() {
        if SENTENCE_ENDS.contains(&c) {
            ranges.push(start..at + c.len_utf8());
            start = at + c.len_utf8();
        }
    }
    ranges.push(start..text.len());
    ranges.retain(|r| !text[r.clone()].trim().is_empty());
    ranges
}

/// Runs of at most [`MAX_TOKENS`] tokens, cut after the last space where
/// a run must be cut.
fn runs(tokens: &[i64], space: Option<i64>) -> Vec<&[i64]> {
    let mut runs = Vec::new();
    let mut rest = tokens;
    while rest.len() > MAX_TOKENS {
        let cut = rest[..MAX_TOKENS].iter().rposition(|t| Some(*t) == space).map_or(MAX_TOKENS, |i| i + 1);
        let (run, tail) = rest.split_at(cut);
        runs.push(run);
        rest = tail;
    }
    runs.push(rest);
    runs
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
            let tokens = self.tokens(voice, &request.text[sentence.clone()])?;
            if tokens.is_empty() {
                continue;
            }
            let mut audio = Vec::new();
            for run in runs(&tokens, space) {
                let Some(part) = self.infer(voice, run, request.rate, cancel)? else {
                    outcome.aborted = true;
                    return Ok(outcome);
                };
                audio.extend(part);
            }
            if !deliver(&request.text, sentence, true, &audio, request.max_samples, &mut outcome, sink) {
                break;
            }
        }
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_end_at_japanese_and_ascii_marks() {
        let text = "にほん。 へいわ！ほんとう？ Yes. おわり";
        let parts: Vec<&str> = sentences(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(parts, ["にほん。", " へいわ！", "ほんとう？", " Yes.", " おわり"]);
        assert!(sentences("  \n ").is_empty());
    }

    #[test]
    fn long_token_runs_are_cut_after_a_space() {
        let tokens: Vec<i64> = (0..1200).map(|i| if i % 100 == 99 { 16 } else { 43 }).collect();
        let lengths: Vec<usize> = runs(&tokens, Some(16)).iter().map(|r| r.len()).collect();
        assert_eq!(lengths, [500, 500, 200]);
        assert_eq!(runs(&[43; 600], Some(16)).iter().map(|r| r.len()).collect::<Vec<_>>(), [510, 90]);
    }
}
