//! A Piper voice's configuration (`MODEL.onnx.json`): sample rate, espeak
//! voice for phonemes, inference scales, speakers, and the phoneme → id map,
//! with Piper's id conventions (BOS `^`, EOS `$`, pad `_` after every phoneme).

use super::super::espeak::Clause;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use unicode_normalization::UnicodeNormalization;

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct VoiceConfig {
    pub(crate) audio: AudioConfig,
    pub(crate) espeak: EspeakConfig,
    #[serde(default)]
    pub(crate) inference: InferenceConfig,
    pub(crate) phoneme_id_map: HashMap<String, Vec<i64>>,
    #[serde(default)]
    pub(crate) num_speakers: u32,
    #[serde(default)]
    pub(crate) speaker_id_map: BTreeMap<String, i64>,
    #[serde(default)]
    pub(crate) language: Option<LanguageConfig>,
    #[serde(default)]
    pub(crate) dataset: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct AudioConfig {
    pub(crate) sample_rate: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct EspeakConfig {
    pub(crate) voice: String,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub(crate) struct InferenceConfig {
    pub(crate) noise_scale: f32,
    pub(crate) length_scale: f32,
    pub(crate) noise_w: f32,
}

impl Default for InferenceConfig {
    fn default() -> Self {
        Self { noise_scale: 0.667, length_scale: 1.0, noise_w: 0.8 }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct LanguageConfig {
    /// e.g. `en_US`.
    pub(crate) code: String,
}

const PAD: &str = "_";
const BOS: &str = "^";
const EOS: &str = "$";

impl VoiceConfig {
    pub(crate) fn parse(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// Language tags the voice speaks, most specific first (`en-US`, `en`),
    /// from the config's language code or else its espeak voice.
    pub(crate) fn languages(&self) -> Vec<String> {
        let code = self.language.as_ref().map_or(self.espeak.voice.as_str(), |l| l.code.as_str());
        let tag = code.replace('_', "-");
        let primary = tag.split('-').next().unwrap_or(&tag).to_string();
        if primary == tag {
            vec![tag]
        } else {
            vec![tag, primary]
        }
    }

    /// Model input ids for one sentence of clauses: BOS, then each phoneme
    /// followed by a pad, then EOS. Phonemes are NFD-decomposed; phonemes
    /// the voice does not know are dropped. Clause punctuation is spoken as
    /// the voice was trained: the mark itself, then a space after a clause
    /// that does not end the sentence.
    pub(crate) fn phoneme_ids(&self, clauses: &[Clause]) -> Vec<i64> {
        let mut text = String::new();
        for clause in clauses {
            text.push_str(&clause.phonemes);
            if let Some(mark) = clause.terminator {
                text.push(mark);
            }
            if !clause.ends_sentence() {
                text.push(' ');
            }
        }
        let symbol = |s: &str| self.phoneme_id_map.get(s).map(Vec::as_slice).unwrap_or_default();
        let mut ids = Vec::with_capacity(text.len() * 2 + 3);
        ids.extend_from_slice(symbol(BOS));
        ids.extend_from_slice(symbol(PAD));
        let mut buffer = [0u8; 4];
        for phoneme in text.trim_end().nfd() {
            let known = symbol(phoneme.encode_utf8(&mut buffer));
            if !known.is_empty() {
                ids.extend_from_slice(known);
                ids.extend_from_slice(symbol(PAD));
            }
        }
        ids.extend_from_slice(symbol(EOS));
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> VoiceConfig {
        VoiceConfig::parse(
            r#"{"audio": {"sample_rate": 22050}, "espeak": {"voice": "en-us"},
                "language": {"code": "en_US"},
                "phoneme_id_map": {"_": [0], "^": [1], "$": [2], " ": [3], ",": [8], ".": [10],
                                   "h": [20], "a": [14], "ɪ": [74], "c": [16], "̧": [140]}}"#,
        )
        .unwrap()
    }

    #[test]
    fn ids_follow_piper_conventions() {
        let clauses = [
            Clause { phonemes: "ha".into(), terminator: Some(','), source: 0..3 },
            Clause { phonemes: "hɪ".into(), terminator: Some('.'), source: 3..6 },
        ];
        assert_eq!(config().phoneme_ids(&clauses), [1, 0, 20, 0, 14, 0, 8, 0, 3, 0, 20, 0, 74, 0, 10, 0, 2]);
    }

    #[test]
    fn phonemes_are_decomposed_and_unknown_ones_dropped() {
        let clauses = [Clause { phonemes: "çQ".into(), terminator: None, source: 0..2 }];
        assert_eq!(config().phoneme_ids(&clauses), [1, 0, 16, 0, 140, 0, 2]);
    }

    #[test]
    fn languages_come_from_the_language_code() {
        assert_eq!(config().languages(), ["en-US", "en"]);
        assert_eq!(config().inference.noise_w, 0.8);
    }

    #[test]
    fn without_a_language_code_the_espeak_voice_names_the_language() {
        let config = |voice: &str| {
            let json = format!(
                r#"{{"audio": {{"sample_rate": 22050}}, "espeak": {{"voice": "{voice}"}}, "phoneme_id_map": {{}}}}"#
            );
            VoiceConfig::parse(&json).unwrap()
        };
        assert_eq!(config("de").languages(), ["de"]);
        assert_eq!(config("pt-br").languages(), ["pt-br", "pt"]);
    }
}
