//! What a message asks Herald to say, and how: its SSML and the speech
//! options that the current parameters and the module's settings give.
//!
//! - Text (`SPEAK`) is SSML as the server sends it (plain text when it is
//!   not SSML, as [`InputFormat::text_or_ssml`] tells). With language
//!   switching on, the client's language is only a prior: a sentence
//!   clearly in another language gets that language's voice, as in
//!   documents. Off, the language is imposed.
//! - A chosen voice speaks its own languages; with switching on, other
//!   sentences get a voice of their language in the same tier.
//! - `CHAR` and `KEY` are spelled or named (`space`, `shift_a`, `kp-enter`),
//!   always in the fast voice of the current language: key echo cannot wait.
//! - `spelling_mode` spells a text out, letter by letter.

use super::params::Params;
use super::protocol::MessageKind;
use super::voices::{self, ListedVoice};
use crate::document::{ingest, InputFormat};
use crate::pipeline::SpeechRequest;
use crate::settings::SpeechdSettings;
use crate::speech::{SpeechOptions, VoiceScope};
use crate::text::MixedSentences;
use crate::voice::{Quality, VoiceId};
use quick_xml::escape::partial_escape;

/// What the session knows when a message arrives.
pub(crate) struct Context<'a> {
    pub(crate) params: &'a Params,
    pub(crate) settings: &'a SpeechdSettings,
    /// Every voice, as listed.
    pub(crate) voices: &'a [ListedVoice],
    /// Whether a voice runs now (natural voices start after `INIT`).
    pub(crate) running: &'a dyn Fn(&VoiceId) -> bool,
}

impl Context<'_> {
    /// The request for a message of `kind` with `text` (not a sound icon).
    pub(crate) fn request(&self, kind: MessageKind, text: &str) -> SpeechRequest {
        let chosen = self.params.synthesis_voice.as_deref().and_then(|name| voices::find(self.voices, name));
        let base = SpeechOptions { rate: self.params.rate(), pitch: self.params.pitch(), ..SpeechOptions::default() };
        match kind {
            MessageKind::Char | MessageKind::Key | MessageKind::SoundIcon => {
                let fast_chosen = chosen.filter(|v| v.quality == Quality::Fast).map(|v| v.id.clone());
                // A character comes as itself, or by name (`space`).
                let spelled = if kind == MessageKind::Char && text.chars().count() == 1 {
                    spelled_ssml(text)
                } else {
                    key_ssml(text)
                };
                let options = SpeechOptions {
                    lang: self.params.language.clone(),
                    voice: fast_chosen,
                    quality: Some(Quality::Fast),
                    ..base
                };
                SpeechRequest { text: spelled, format: InputFormat::Ssml, options }
            }
            MessageKind::Text => {
                let (mut text, mut format) = (text.to_string(), InputFormat::text_or_ssml(text));
                if self.params.spelling {
                    text = spelled_ssml(&plain(&text, format));
                    format = InputFormat::Ssml;
                }
                // A natural voice that is not up yet: the fast voices stand in.
                let usable = chosen.filter(|v| (self.running)(&v.id));
                let quality = match (chosen, usable) {
                    (Some(_), None) => Quality::Fast,
                    (Some(voice), Some(_)) => voice.quality,
                    (None, _) => self.settings.quality,
                };
                let language = self.params.language.clone().or_else(|| {
                    usable
                        .and_then(|v| crate::text::LangTag::parse(&v.language).ok())
                        .filter(|_| self.settings.language_switching)
                });
                let options = if self.settings.language_switching {
                    SpeechOptions {
                        lang_priors: language.into_iter().collect(),
                        voice: usable.map(|v| v.id.clone()),
                        voice_scope: VoiceScope::ItsLanguages,
                        mixed_sentences: MixedSentences::Any,
                        quality: Some(quality),
                        ..base
                    }
                } else {
                    SpeechOptions {
                        lang: language,
                        voice: usable.map(|v| v.id.clone()),
                        quality: Some(quality),
                        ..base
                    }
                };
                SpeechRequest { text, format, options }
            }
        }
    }
}

/// A message's words without its markup.
fn plain(text: &str, format: InputFormat) -> String {
    match ingest(text, format) {
        Ok(document) => document.blocks.iter().map(|b| b.text.as_str()).collect::<Vec<_>>().join(" "),
        Err(_) => text.to_string(),
    }
}

/// `text` spelled out, character by character.
fn spelled_ssml(text: &str) -> String {
    format!("<speak><say-as interpret-as=\"characters\">{}</say-as></speak>", partial_escape(text))
}

/// A key name (`a`, `shift_a`, `kp-enter`, `double-quote`) as words: each
/// single character is spelled, names are read.
fn key_ssml(key: &str) -> String {
    let parts: Vec<String> = key
        .split('_')
        .filter(|part| !part.is_empty())
        .map(|part| match part.chars().count() {
            1 => format!("<say-as interpret-as=\"characters\">{}</say-as>", partial_escape(part)),
            _ => partial_escape(part.replace('-', " ").replace("kp ", "keypad ")).into_owned(),
        })
        .collect();
    format!("<speak>{}</speak>", parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::LangTag;

    fn listed() -> Vec<ListedVoice> {
        let voice = |name: &str, language: &str, id: &str, quality| ListedVoice {
            name: name.into(),
            language: language.into(),
            id: VoiceId::parse(id).unwrap(),
            quality,
        };
        vec![
            voice("Joe (piper, natural)", "en-us", "piper:en_us-joe-medium", Quality::Natural),
            voice("French (espeak-ng, fast)", "fr", "espeak:fr", Quality::Fast),
        ]
    }

    fn request(params: &Params, settings: &SpeechdSettings, kind: MessageKind, text: &str, up: bool) -> SpeechRequest {
        let voices = listed();
        let running = move |id: &VoiceId| up || id.as_str().starts_with("espeak");
        Context { params, settings, voices: &voices, running: &running }.request(kind, text)
    }

    #[test]
    fn the_client_language_is_a_prior_when_switching_and_imposed_when_not() {
        let mut params = Params::default();
        params.set("language", "fr").unwrap();
        let switching = SpeechdSettings::default();
        let text = "<speak>Bonjour.</speak>";
        let on = request(&params, &switching, MessageKind::Text, text, true);
        assert_eq!((on.format, on.options.lang.clone()), (InputFormat::Ssml, None));
        assert_eq!(on.options.lang_priors, [LangTag::parse("fr").unwrap()]);
        assert_eq!(on.options.quality, Some(Quality::Natural));
        let fixed = SpeechdSettings { language_switching: false, quality: Quality::Fast };
        let off = request(&params, &fixed, MessageKind::Text, "Bonjour.", true);
        assert_eq!((off.format, off.options.lang.clone()), (InputFormat::Text, Some(LangTag::parse("fr").unwrap())));
        assert_eq!(off.options.quality, Some(Quality::Fast));
    }

    #[test]
    fn a_chosen_natural_voice_waits_for_its_engine_behind_the_fast_voices() {
        let mut params = Params::default();
        params.set("synthesis_voice", "Joe (piper, natural)").unwrap();
        let settings = SpeechdSettings::default();
        let up = request(&params, &settings, MessageKind::Text, "Hello.", true);
        assert_eq!(up.options.voice.as_ref().map(VoiceId::as_str), Some("piper:en_us-joe-medium"));
        assert_eq!(up.options.voice_scope, VoiceScope::ItsLanguages);
        let starting = request(&params, &settings, MessageKind::Text, "Hello.", false);
        assert_eq!((starting.options.voice, starting.options.quality), (None, Some(Quality::Fast)));
    }

    #[test]
    fn keys_and_characters_are_spelled_in_the_fast_voice() {
        let mut params = Params::default();
        params.set("synthesis_voice", "Joe (piper, natural)").unwrap();
        let settings = SpeechdSettings::default();
        let key = request(&params, &settings, MessageKind::Key, "shift_kp-enter", true);
        assert_eq!(key.text, "<speak>shift keypad enter</speak>");
        assert_eq!((key.options.voice, key.options.quality), (None, Some(Quality::Fast)));
        let char = request(&params, &settings, MessageKind::Char, "<", true);
        assert_eq!(char.text, "<speak><say-as interpret-as=\"characters\">&lt;</say-as></speak>");
        params.set("spelling_mode", "on").unwrap();
        let spelled = request(&params, &settings, MessageKind::Text, "<speak>Hi <mark name=\"m\"/>you</speak>", true);
        assert_eq!(spelled.text, "<speak><say-as interpret-as=\"characters\">Hi you</say-as></speak>");
    }
}
