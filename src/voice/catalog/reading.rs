//! The catalog file's `[[reading]]` rules: which voices are handed a
//! reading (kana, numbered pinyin) rather than the displayed text.

use super::{Voice, VoiceId};
use crate::text::{LangTag, Script};
use serde::Deserialize;

/// Voices handed a reading rather than the displayed text: one `voice`, or
/// every voice of an `engine` for a `lang`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReadingRule {
    voice: Option<VoiceId>,
    engine: Option<String>,
    lang: Option<LangTag>,
    pub(super) script: Script,
}

/// The voices a well-formed rule names.
enum Voices<'a> {
    One(&'a VoiceId),
    OfEngine { engine: &'a str, lang: &'a LangTag },
}

impl ReadingRule {
    /// The voices the rule names; `None` when it names them in neither of
    /// the two ways it may.
    fn voices(&self) -> Option<Voices<'_>> {
        match (&self.voice, &self.engine, &self.lang) {
            (Some(id), None, None) => Some(Voices::One(id)),
            (None, Some(engine), Some(lang)) => Some(Voices::OfEngine { engine, lang }),
            _ => None,
        }
    }

    pub(super) fn is_well_formed(&self) -> bool {
        self.voices().is_some()
    }

    pub(super) fn applies_to(&self, voice: &Voice) -> bool {
        match self.voices() {
            Some(Voices::One(id)) => voice.id == *id,
            Some(Voices::OfEngine { engine, lang }) => {
                voice.engine == engine && voice.languages.iter().any(|l| l.primary() == lang.primary())
            }
            None => false,
        }
    }
}
