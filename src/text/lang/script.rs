//! The script a text is read in, and the text reduced to that script's
//! letters.
//!
//! A text may mix scripts: a Khmer or Japanese interface string with a
//! product name in Latin letters ("Twitter 投稿画像"), a Russian sentence
//! quoting a brand. Latin letters are the common currency of names, codes
//! and borrowed terms in every language, so they count for less than the
//! letters of any other script: a text is read in another script as soon as
//! that script has more than a [`LATIN_WEIGHT`] share of the Latin letters.
//! Kana and kanji count together as Japanese. The letters of the other
//! scripts are then blanked out, so that neither whatlang nor the n-gram
//! model scores a Latin brand name as if it were Khmer or Russian.

use std::borrow::Cow;
use whatlang::Script;

/// What one Latin letter counts for against a letter of another script.
const LATIN_WEIGHT: f32 = 0.34;

/// The script of a character as whatlang classes it: letters, and the
/// vowel signs and digits of scripts that have their own (`None` for
/// punctuation, spaces, and scripts whatlang does not read).
pub(super) fn script_of(c: char) -> Option<Script> {
    let mut buffer = [0u8; 4];
    whatlang::detect_script(c.encode_utf8(&mut buffer))
}

/// Scripts read together as one: kanji count with kana as Japanese once
/// the text has any kana.
fn group(script: Script, japanese: bool) -> Script {
    match script {
        Script::Katakana | Script::Mandarin if japanese => Script::Hiragana,
        other => other,
    }
}

/// Each character's script, whether the text has kana, and the script the
/// text is read in (`None` when no letter belongs to a script whatlang
/// reads).
fn classify(text: &str) -> (Vec<Option<Script>>, bool, Option<Script>) {
    let scripts: Vec<Option<Script>> = text.chars().map(script_of).collect();
    let japanese = scripts.iter().any(|s| matches!(s, Some(Script::Hiragana | Script::Katakana)));
    let mut counts: Vec<(Script, f32)> = Vec::new();
    for script in scripts.iter().flatten() {
        let script = group(*script, japanese);
        let weight = if script == Script::Latin { LATIN_WEIGHT } else { 1.0 };
        match counts.iter_mut().find(|(s, _)| *s == script) {
            Some((_, count)) => *count += weight,
            None => counts.push((script, weight)),
        }
    }
    let main = counts.iter().max_by(|a, b| a.1.total_cmp(&b.1)).map(|(s, _)| *s);
    (scripts, japanese, main)
}

/// The script `text` is read in.
pub(super) fn main_script(text: &str) -> Option<Script> {
    classify(text).2
}

/// The script `text` is read in, and the text with the letters of every
/// other script blanked; `None` when no letter belongs to a script whatlang
/// reads.
pub(super) fn focus(text: &str) -> Option<(Script, Cow<'_, str>)> {
    let (scripts, japanese, main) = classify(text);
    let main = main?;
    let foreign = |script: &Option<Script>| script.is_some_and(|s| group(s, japanese) != main);
    if !scripts.iter().any(foreign) {
        return Some((main, Cow::Borrowed(text)));
    }
    let kept = text.chars().zip(&scripts).map(|(c, script)| if foreign(script) { ' ' } else { c }).collect();
    Some((main, Cow::Owned(kept)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_names_in_other_scripts_are_set_aside() {
        let (script, kept) = focus("Bridge ក្នុង").unwrap();
        assert_eq!((script, kept.trim()), (Script::Khmer, "ក្នុង"));
        let (script, kept) = focus("Twitter 投稿画像").unwrap();
        assert_eq!((script, kept.trim()), (Script::Mandarin, "投稿画像"));
        let (script, kept) = focus("Inkscape: расширение").unwrap();
        assert_eq!((script, kept.trim()), (Script::Cyrillic, ": расширение"));
    }

    #[test]
    fn kanji_and_kana_are_read_together() {
        let (script, kept) = focus("iPhone 15 Proを買いました").unwrap();
        assert_eq!((script, kept.trim()), (Script::Hiragana, "15    を買いました"));
    }

    #[test]
    fn a_foreign_word_in_a_latin_sentence_stays_foreign() {
        let (script, kept) = focus("In Japanese, thank you is ありがとう, said the teacher today.").unwrap();
        assert_eq!(script, Script::Latin);
        assert!(!kept.contains('あ'));
        assert_eq!(focus("12:30 — 2023"), None);
        assert!(matches!(focus("Hello"), Some((Script::Latin, Cow::Borrowed("Hello")))));
    }
}
