//! Speech options: what a request asks for, parsed at the boundary.

pub use crate::prosody::{Pitch, Rate};
use crate::text::{LangTag, MixedSentences};
use crate::voice::{Quality, VoiceId};
use serde::{Deserialize, Serialize};

/// What the caller asked for; everything optional has a sensible default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SpeechOptions {
    /// Language of the whole text (a BCP-47 tag such as `fr`); skips detection.
    #[schema(value_type = Option<String>, example = "fr")]
    pub lang: Option<LangTag>,
    /// Voice for the whole text (`ENGINE:NAME`); skips voice selection.
    #[schema(value_type = Option<String>, example = "espeak:fr")]
    pub voice: Option<VoiceId>,
    /// Speaking rate in words per minute.
    #[serde(default)]
    #[schema(value_type = u32, minimum = 80, maximum = 600, default = 175)]
    pub rate: Rate,
    /// Base pitch; 50 is the voice's own.
    #[serde(default)]
    #[schema(value_type = u32, minimum = 0, maximum = 100, default = 50)]
    pub pitch: Pitch,
    /// The kind of voice wanted where no voice is named: `fast` (espeak-ng)
    /// or `natural` (neural, where installed). Each front door has a default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<Quality>,
    /// Languages the request prefers, strongest first (HTTP doors fill it
    /// from `Content-Language` and `Accept-Language`). They decide only what
    /// the text leaves open; `lang` overrides them. Never read from a body.
    #[serde(skip_deserializing, default, skip_serializing_if = "Vec::is_empty")]
    pub lang_priors: Vec<LangTag>,
    /// Where `voice` applies. Never read from a body.
    #[serde(skip)]
    pub voice_scope: VoiceScope,
    /// When a sentence gets a language (and a voice) other than its
    /// paragraph's. Never read from a body.
    #[serde(skip)]
    pub mixed_sentences: MixedSentences,
    /// Where no voice is named: which of the best voices of each
    /// language speaks (wrapping round), for clients that name voices of
    /// their own (OpenAI's `alloy`…). Never read from a body.
    #[serde(skip)]
    pub variant: Option<usize>,
}

/// Where a named voice speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum VoiceScope {
    /// Every sentence, whatever its language.
    #[default]
    Everywhere,
    /// The sentences in one of its languages; the others get a voice of
    /// their own language, of the same quality tier (the Speech Dispatcher
    /// module, which switches languages inside a message).
    ItsLanguages,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_enforced() {
        assert!(Rate::new(79).is_err() && Rate::new(601).is_err());
        assert_eq!(Rate::new(600).unwrap().wpm(), 600);
        assert!(Pitch::new(101).is_err());
        assert!(serde_json::from_str::<SpeechOptions>(r#"{"rate": 1000}"#).is_err());
        let o: SpeechOptions = serde_json::from_str(r#"{"lang": "fr"}"#).unwrap();
        assert_eq!((o.rate.wpm(), o.pitch.value()), (175, 50));
    }
}
