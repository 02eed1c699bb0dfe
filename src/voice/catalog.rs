//! The voice catalog: engine voices (read from the workers' greeting) merged
//! with the preferences from the catalog file.

mod reading;

use super::VoiceError;
use crate::engine::protocol::Hello;
use crate::engine::Gender;
use crate::text::{LangTag, Script};
use reading::ReadingRule;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The catalog shipped with Herald, used when no other file is configured.
pub(crate) const EMBEDDED_CATALOG: &str = include_str!("../../voices/catalog.toml");

/// A voice id, `engine:name`, made of lower-case ASCII letters, digits, `-`,
/// `_` and `.` — safe in URLs, headers and file names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct VoiceId(String);

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("`{0}` is not a voice id (expected `engine:name`, e.g. `espeak:en-us`)")]
pub struct InvalidVoiceId(pub(crate) String);

impl VoiceId {
    pub fn parse(raw: &str) -> Result<Self, InvalidVoiceId> {
        let lower = raw.trim().to_ascii_lowercase();
        let valid_part = |p: &str| {
            !p.is_empty()
                && p.len() <= 64
                && p.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                && !p.starts_with('.')
        };
        match lower.split_once(':') {
            Some((engine, name)) if valid_part(engine) && valid_part(name) => Ok(Self(lower)),
            _ => Err(InvalidVoiceId(raw.chars().take(80).collect())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for VoiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for VoiceId {
    type Error = InvalidVoiceId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<VoiceId> for String {
    fn from(id: VoiceId) -> Self {
        id.0
    }
}

/// How natural a voice sounds, for choosing between engines.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Quality {
    #[default]
    Fast,
    Natural,
}

/// One voice Herald can use.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Voice {
    pub(crate) id: VoiceId,
    pub(crate) engine: String,
    /// What the engine needs to select it.
    #[serde(skip)]
    pub engine_voice: String,
    pub(crate) name: String,
    pub(crate) languages: Vec<LangTag>,
    pub(crate) gender: Option<Gender>,
    pub(crate) sample_rate: u32,
    pub(crate) quality: Quality,
    /// Identity of the model file, for engines that load models.
    #[serde(skip)]
    pub(crate) model: Option<String>,
    /// What the voice reads instead of its languages' own script, if
    /// anything (kana for Japanese, numbered pinyin for Mandarin).
    #[serde(skip)]
    pub(crate) reads: Option<Script>,
    /// `languages` with the engine's preference for each (lower first).
    #[serde(skip)]
    ranked: Vec<(u8, LangTag)>,
}

impl Voice {
    /// The engine's best (lowest) priority among the languages that match.
    fn rank(&self, matches: &dyn Fn(&LangTag) -> bool) -> u8 {
        self.ranked.iter().filter(|(_, l)| matches(l)).map(|(p, _)| *p).min().unwrap_or(u8::MAX)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    default_lang: LangTag,
    #[serde(default)]
    engines: BTreeMap<String, EngineSettings>,
    #[serde(default)]
    prefer: Vec<Preference>,
    #[serde(default)]
    reading: Vec<ReadingRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EngineSettings {
    quality: Quality,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Preference {
    lang: LangTag,
    voice: VoiceId,
    #[allow(dead_code)]
    why: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("voice catalog: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("voice catalog: a [[reading]] entry names either a `voice`, or an `engine` and a `lang`")]
    Reading,
    #[error("voice catalog prefers `{voice}` for `{lang}`, but no such voice is installed")]
    MissingPreferred { lang: String, voice: String },
}

/// All voices, with the rules for choosing one.
#[derive(Debug, Clone)]
pub(crate) struct Catalog {
    voices: Vec<Voice>,
    prefer: Vec<Preference>,
    default_lang: LangTag,
}

impl Catalog {
    /// Builds the catalog from a catalog file and the engines' greetings.
    pub(crate) fn new(catalog_toml: &str, engines: &[&Hello]) -> Result<Self, CatalogError> {
        let file: CatalogFile = toml::from_str(catalog_toml)?;
        if !file.reading.iter().all(ReadingRule::is_well_formed) {
            return Err(CatalogError::Reading);
        }
        let mut voices = Vec::new();
        for hello in engines {
            let quality = file.engines.get(&hello.info.id).map(|e| e.quality).unwrap_or_default();
            let prefix = hello.info.id.split('-').next().unwrap_or(&hello.info.id);
            for v in &hello.voices {
                let name = v.identifier.rsplit('/').next().unwrap_or(&v.identifier);
                let Ok(id) = VoiceId::parse(&format!("{prefix}:{name}")) else {
                    continue;
                };
                let mut languages: Vec<(u8, LangTag)> =
                    v.languages.iter().filter_map(|(p, l)| LangTag::parse(l).ok().map(|t| (*p, t))).collect();
                languages.sort_by_key(|(p, _)| *p);
                voices.push(Voice {
                    id,
                    engine: hello.info.id.clone(),
                    engine_voice: v.identifier.clone(),
                    name: v.name.clone(),
                    languages: languages.iter().map(|(_, t)| t.clone()).collect(),
                    ranked: languages,
                    gender: v.gender,
                    sample_rate: hello.info.sample_rate,
                    quality,
                    model: v.model.clone(),
                    reads: None,
                });
            }
        }
        voices.sort_by(|a, b| a.id.cmp(&b.id));
        voices.dedup_by(|a, b| a.id == b.id);
        for voice in &mut voices {
            voice.reads = file.reading.iter().find(|rule| rule.applies_to(voice)).map(|rule| rule.script);
        }
        let catalog = Self { voices, prefer: file.prefer, default_lang: file.default_lang };
        for p in &catalog.prefer {
            if catalog.get(&p.voice).is_none() {
                return Err(CatalogError::MissingPreferred { lang: p.lang.to_string(), voice: p.voice.to_string() });
            }
        }
        Ok(catalog)
    }

    pub(crate) fn voices(&self) -> &[Voice] {
        &self.voices
    }

    pub(crate) fn get(&self, id: &VoiceId) -> Option<&Voice> {
        self.voices.iter().find(|v| &v.id == id)
    }

    /// Voices that speak `lang` (exactly or by primary language), best first.
    pub(crate) fn for_lang(&self, lang: &LangTag) -> Vec<&Voice> {
        let mut found: Vec<&Voice> =
            self.voices.iter().filter(|v| v.languages.iter().any(|l| l.primary() == lang.primary())).collect();
        let chosen = self.select(lang, None, Quality::Natural).ok().map(|v| v.id.clone());
        found.sort_by_key(|v| (Some(&v.id) != chosen.as_ref(), v.rank(&|l| l.primary() == lang.primary())));
        found
    }

    /// The `variant`-th of the best-tier voices for `lang` (wrapping round).
    pub(crate) fn variant(&self, lang: &LangTag, variant: usize) -> Option<&Voice> {
        let lang = if lang.is_und() { &self.default_lang } else { lang };
        let voices = self.for_lang(lang);
        let tier = voices.first()?.quality;
        let best: Vec<&Voice> = voices.into_iter().filter(|v| v.quality == tier).collect();
        Some(best[variant % best.len()])
    }

    /// Chooses the voice for `lang`; an explicit voice id wins. A voice of
    /// the wanted `quality` is chosen where the language has one, else the
    /// best voice of any quality.
    pub(crate) fn select(
        &self,
        lang: &LangTag,
        explicit: Option<&VoiceId>,
        quality: Quality,
    ) -> Result<&Voice, VoiceError> {
        if let Some(id) = explicit {
            return self.get(id).ok_or_else(|| VoiceError::Unknown(id.to_string()));
        }
        let lang = if lang.is_und() { &self.default_lang } else { lang };
        let of_quality = |v: &Voice| v.quality == quality;
        self.match_lang(lang, &of_quality)
            .or_else(|| self.match_lang(lang, &|_| true))
            .or_else(|| self.match_lang(&self.default_lang, &of_quality))
            .or_else(|| self.match_lang(&self.default_lang, &|_| true))
            .ok_or_else(|| VoiceError::NoneForLanguage(lang.to_string()))
    }

    /// The voice for `lang` among the voices `eligible` accepts.
    fn match_lang(&self, lang: &LangTag, eligible: &dyn Fn(&Voice) -> bool) -> Option<&Voice> {
        let preferred = |key: &str| {
            self.prefer
                .iter()
                .filter(|p| p.lang.as_str().eq_ignore_ascii_case(key))
                .filter_map(|p| self.get(&p.voice))
                .find(|v| eligible(v))
        };
        let best = |matches: &dyn Fn(&LangTag) -> bool| {
            self.voices
                .iter()
                .filter(|v| eligible(v) && v.languages.iter().any(matches))
                .min_by_key(|v| (std::cmp::Reverse(v.quality), v.rank(matches)))
        };
        preferred(lang.as_str())
            .or_else(|| best(&|l| l == lang))
            .or_else(|| preferred(lang.primary()))
            .or_else(|| best(&|l| l.as_str() == lang.primary()))
            .or_else(|| best(&|l| l.primary() == lang.primary()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Capabilities, EngineInfo, EngineVoice};

    fn hello() -> Hello {
        let voice = |identifier: &str, languages: &[(u8, &str)]| EngineVoice {
            identifier: identifier.into(),
            name: identifier.into(),
            languages: languages.iter().map(|(p, l)| (*p, l.to_string())).collect(),
            gender: Some(Gender::Male),
            model: None,
        };
        Hello {
            info: EngineInfo {
                id: "espeak-ng".into(),
                version: "1.51".into(),
                sample_rate: 22050,
                capabilities: Capabilities { rate_range: (80, 900) },
            },
            voices: vec![
                voice("gmw/en", &[(2, "en-gb"), (2, "en")]),
                voice("gmw/en-US", &[(2, "en-us"), (3, "en")]),
                voice("roa/fr", &[(5, "fr-fr"), (5, "fr")]),
                voice("roa/fr-BE", &[(5, "fr-be"), (8, "fr")]),
                voice("sit/cmn", &[(5, "cmn"), (5, "zh-cmn"), (5, "zh")]),
                voice("sit/cmn-Latn-pinyin", &[(5, "cmn-latn-pinyin"), (5, "zh-cmn"), (5, "zh")]),
            ],
        }
    }

    fn catalog() -> Catalog {
        Catalog::new(EMBEDDED_CATALOG, &[&hello()]).unwrap()
    }

    fn pick(lang: &str) -> String {
        catalog().select(&LangTag::parse(lang).unwrap(), None, Quality::Fast).unwrap().id.to_string()
    }

    #[test]
    fn selects_by_tag_language_and_fallback() {
        assert_eq!(pick("en"), "espeak:en-us");
        assert_eq!(pick("en-GB"), "espeak:en");
        assert_eq!(pick("fr"), "espeak:fr");
        assert_eq!(pick("fr-BE"), "espeak:fr-be");
        assert_eq!(pick("fr-CA"), "espeak:fr");
        assert_eq!(pick("zh"), "espeak:cmn-latn-pinyin");
        assert_eq!(pick("und"), "espeak:en-us");
        assert_eq!(pick("sw"), "espeak:en-us");
    }

    fn with_neural_voice() -> Catalog {
        let mut piper = hello();
        piper.info.id = "piper".into();
        piper.voices = vec![EngineVoice {
            identifier: "en_US-joe-medium".into(),
            name: "joe".into(),
            languages: vec![(1, "en-US".into()), (2, "en".into())],
            gender: None,
            model: Some("0123abcd".into()),
        }];
        Catalog::new(EMBEDDED_CATALOG, &[&hello(), &piper]).unwrap()
    }

    #[test]
    fn quality_chooses_between_engines() {
        let c = with_neural_voice();
        let pick =
            |lang: &str, quality| c.select(&LangTag::parse(lang).unwrap(), None, quality).unwrap().id.to_string();
        assert_eq!(pick("en", Quality::Natural), "piper:en_us-joe-medium");
        assert_eq!(pick("en-US", Quality::Natural), "piper:en_us-joe-medium");
        assert_eq!(pick("en", Quality::Fast), "espeak:en-us");
        assert_eq!(pick("fr", Quality::Natural), "espeak:fr");
        assert_eq!(pick("und", Quality::Natural), "piper:en_us-joe-medium");
        let joe = c.get(&VoiceId::parse("piper:en_us-joe-medium").unwrap()).unwrap();
        assert_eq!((joe.quality, joe.model.as_deref()), (Quality::Natural, Some("0123abcd")));
    }

    #[test]
    fn explicit_voice_wins_or_is_unknown() {
        let c = catalog();
        let fr = LangTag::parse("fr").unwrap();
        let en = VoiceId::parse("espeak:en").unwrap();
        assert_eq!(c.select(&fr, Some(&en), Quality::Fast).unwrap().id, en);
        let missing = VoiceId::parse("espeak:xx").unwrap();
        assert_eq!(c.select(&fr, Some(&missing), Quality::Fast), Err(VoiceError::Unknown("espeak:xx".into())));
    }

    #[test]
    fn voice_ids_are_validated() {
        assert!(VoiceId::parse("espeak:en-us").is_ok());
        for bad in ["en", "espeak:", ":en", "espeak:../x", "espeak:a/b", "espeak:en us"] {
            assert!(VoiceId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lists_voices_for_a_language_best_first() {
        let c = catalog();
        let ids: Vec<String> = c.for_lang(&LangTag::parse("fr").unwrap()).iter().map(|v| v.id.to_string()).collect();
        assert_eq!(ids, ["espeak:fr", "espeak:fr-be"]);
    }

    #[test]
    fn reading_rules_name_a_voice_or_an_engine_and_language() {
        let mut kokoro = hello();
        kokoro.info.id = "kokoro".into();
        kokoro.voices = ["jf_alpha", "jm_kumo", "af_heart"]
            .iter()
            .map(|name| EngineVoice {
                identifier: (*name).into(),
                name: (*name).into(),
                languages: vec![(1, if name.starts_with('j') { "ja" } else { "en-US" }.into())],
                gender: None,
                model: None,
            })
            .collect();
        let c = Catalog::new(EMBEDDED_CATALOG, &[&hello(), &kokoro]).unwrap();
        let reads = |id: &str| c.get(&VoiceId::parse(id).unwrap()).unwrap().reads;
        assert_eq!(reads("kokoro:jf_alpha"), Some(Script::Kana));
        assert_eq!(reads("kokoro:jm_kumo"), Some(Script::Kana));
        assert_eq!(reads("kokoro:af_heart"), None, "an English voice of the engine reads its text");
        assert_eq!(reads("espeak:cmn-latn-pinyin"), Some(Script::Pinyin));
        assert_eq!(reads("espeak:fr"), None);
        let half = "default_lang = \"en\"\n[[reading]]\nengine = \"kokoro\"\nscript = \"kana\"\n";
        assert!(matches!(Catalog::new(half, &[&hello()]), Err(CatalogError::Reading)));
    }
}
