//! Herald's voices as Speech Dispatcher lists them (`LIST VOICES`): every
//! voice of the catalog, espeak-ng's and the neural engines', named so
//! that a screen reader's voice list tells natural from fast and shows the
//! engine ("Joe (piper, natural)"), with its first language.

use crate::voice::{Quality, Voice, VoiceId};

/// One voice as the module lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListedVoice {
    /// The name shown to users, which `synthesis_voice` names.
    pub(crate) name: String,
    pub(crate) language: String,
    pub(crate) id: VoiceId,
    pub(crate) quality: Quality,
}

impl ListedVoice {
    fn of(voice: &Voice) -> Self {
        let tier = match voice.quality {
            Quality::Fast => "fast",
            Quality::Natural => "natural",
        };
        let name = super::protocol::one_line(&format!("{} ({}, {tier})", voice.name, voice.engine)).replace('\t', " ");
        let language = voice.languages.first().map_or_else(|| "none".to_string(), |l| l.to_string());
        Self { name, language, id: voice.id.clone(), quality: voice.quality }
    }
}

/// Every voice given, natural voices first.
pub(crate) fn listing<'a>(voices: impl IntoIterator<Item = &'a Voice>) -> Vec<ListedVoice> {
    let mut voices: Vec<ListedVoice> = voices.into_iter().map(ListedVoice::of).collect();
    voices.sort_by_key(|v| std::cmp::Reverse(v.quality));
    voices
}

/// The `LIST VOICES` reply: a `200-NAME\tLANGUAGE\tVARIANT` line per
/// voice of `language` (its primary subtag matches) and `variant` (Herald's
/// voices have none), or `304` when none match.
pub(crate) fn list_reply(voices: &[ListedVoice], language: Option<&str>, variant: Option<&str>) -> String {
    let wanted = |voice: &ListedVoice| {
        let language_matches = language.is_none_or(|wanted| {
            voice.language.eq_ignore_ascii_case(wanted)
                || voice.language.split('-').next().is_some_and(|primary| primary.eq_ignore_ascii_case(wanted))
        });
        language_matches && variant.is_none_or(|v| v.eq_ignore_ascii_case("none"))
    };
    let lines: Vec<String> =
        voices.iter().filter(|v| wanted(v)).map(|v| format!("200-{}\t{}\tnone", v.name, v.language)).collect();
    if lines.is_empty() {
        return super::protocol::reply::CANT_LIST_VOICES.to_string();
    }
    format!("{}\n{}", lines.join("\n"), super::protocol::reply::VOICE_LIST_SENT)
}

/// The voice a `synthesis_voice` names: a listed name, or a Herald voice id.
pub(crate) fn find<'a>(voices: &'a [ListedVoice], name: &str) -> Option<&'a ListedVoice> {
    voices.iter().find(|v| v.name == name).or_else(|| voices.iter().find(|v| v.id.as_str() == name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn voice(name: &str, language: &str, id: &str, quality: Quality) -> ListedVoice {
        ListedVoice { name: name.into(), language: language.into(), id: VoiceId::parse(id).unwrap(), quality }
    }

    #[test]
    fn lists_voices_of_a_language_by_their_primary_subtag() {
        let voices = [
            voice("Joe (piper, natural)", "en-us", "piper:en_us-joe-medium", Quality::Natural),
            voice("French (France) (espeak-ng, fast)", "fr-fr", "espeak:fr", Quality::Fast),
        ];
        assert_eq!(
            list_reply(&voices, None, None),
            "200-Joe (piper, natural)\ten-us\tnone\n200-French (France) (espeak-ng, fast)\tfr-fr\tnone\n200 OK VOICE LIST SENT"
        );
        assert_eq!(
            list_reply(&voices, Some("FR"), None),
            "200-French (France) (espeak-ng, fast)\tfr-fr\tnone\n200 OK VOICE LIST SENT"
        );
        assert_eq!(list_reply(&voices, Some("de"), None), "304 CANT LIST VOICES");
        assert_eq!(list_reply(&voices, Some("fr"), Some("male1")), "304 CANT LIST VOICES");
        assert_eq!(find(&voices, "espeak:fr").map(|v| v.name.as_str()), Some("French (France) (espeak-ng, fast)"));
        assert_eq!(find(&voices, "Joe (piper, natural)").map(|v| v.id.as_str()), Some("piper:en_us-joe-medium"));
        assert!(find(&voices, "Nobody").is_none());
    }
}
