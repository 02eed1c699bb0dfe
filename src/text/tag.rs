//! BCP-47 language tags: parsed once at the boundary, canonically cased,
//! and mapped to and from whatlang's languages.

use serde::{Deserialize, Serialize};
use std::fmt;
use whatlang::Lang;

/// A BCP-47 language tag such as `en`, `en-GB`, `zh-Latn-pinyin` or `und`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LangTag(String);

/// Why a string is not accepted as a language tag.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{0}` is not a BCP-47 language tag (expected e.g. `en`, `fr-CA`, `zh-Latn`)")]
pub struct InvalidLangTag(pub(crate) String);

impl LangTag {
    /// Parses a tag: a 2–3 letter primary language (or `und`) followed by
    /// subtags of 1–8 letters or digits. Case is normalised (`en-gb` → `en-GB`).
    pub fn parse(raw: &str) -> Result<Self, InvalidLangTag> {
        let invalid = || InvalidLangTag(raw.chars().take(40).collect());
        let raw = raw.trim().replace('_', "-");
        let mut parts = raw.split('-');
        let primary = parts.next().filter(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic()));
        let mut tag = primary.ok_or_else(invalid)?.to_ascii_lowercase();
        for part in parts {
            if part.is_empty() || part.len() > 8 || !part.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(invalid());
            }
            tag.push('-');
            match part.len() {
                2 if part.chars().all(|c| c.is_ascii_alphabetic()) => tag.push_str(&part.to_ascii_uppercase()),
                4 if part.chars().all(|c| c.is_ascii_alphabetic()) => {
                    tag.push_str(&part[..1].to_ascii_uppercase());
                    tag.push_str(&part[1..].to_ascii_lowercase());
                }
                _ => tag.push_str(&part.to_ascii_lowercase()),
            }
        }
        Ok(Self(tag))
    }

    /// The undetermined tag, for text with no letters.
    pub(crate) fn und() -> Self {
        Self("und".into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The primary language subtag (`en` of `en-GB`).
    pub fn primary(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }

    pub(crate) fn is_und(&self) -> bool {
        self.0 == "und"
    }

    /// The tag for a whatlang language: ISO 639-1 where one exists.
    pub(super) fn from_whatlang(lang: Lang) -> Self {
        let code = lang.code();
        let short = match code {
            "cmn" => Some("zh"),
            "pes" => Some("fa"),
            _ => isolang::Language::from_639_3(code).and_then(|l| l.to_639_1()),
        };
        Self(short.unwrap_or(code).to_string())
    }

    /// The whatlang language for this tag, if whatlang knows it.
    pub(crate) fn to_whatlang(&self) -> Option<Lang> {
        let primary = self.primary();
        let code = match primary {
            "zh" => "cmn",
            "fa" => "pes",
            _ if primary.len() == 2 => isolang::Language::from_639_1(primary)?.to_639_3(),
            _ => primary,
        };
        Lang::from_code(code)
    }
}

impl fmt::Display for LangTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for LangTag {
    type Error = InvalidLangTag;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<LangTag> for String {
    fn from(tag: LangTag) -> Self {
        tag.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(s: &str) -> LangTag {
        LangTag::parse(s).unwrap()
    }

    #[test]
    fn parses_and_normalises_tags() {
        assert_eq!(tag("en-gb").as_str(), "en-GB");
        assert_eq!(tag("zh_latn_PINYIN").as_str(), "zh-Latn-pinyin");
        assert_eq!(tag("EN").primary(), "en");
        for bad in ["", "e", "english", "en--gb", "en-toolongsubtag", "../etc", "en gb"] {
            assert!(LangTag::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn maps_whatlang_codes_to_bcp47() {
        assert_eq!(LangTag::from_whatlang(Lang::Eng).as_str(), "en");
        assert_eq!(LangTag::from_whatlang(Lang::Cmn).as_str(), "zh");
        assert_eq!(LangTag::from_whatlang(Lang::Pes).as_str(), "fa");
        assert_eq!(tag("ru").to_whatlang(), Some(Lang::Rus));
        assert_eq!(tag("zh").to_whatlang(), Some(Lang::Cmn));
    }
}
