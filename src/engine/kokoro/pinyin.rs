//! Numbered pinyin (Herald's Mandarin reading: `ni3 hao3, shi4 jie4.`) in
//! Kokoro-82M's Mandarin symbols, as hexgrad/misaki's first Chinese front
//! end made them for Kokoro's training: each syllable's initial and final
//! in IPA (`zh` → `ꭧ`, `ian` → `jɛn`), its tone as an arrow after the
//! nucleus (`→ ↗ ↓ ↘` for tones 1–4, nothing for the neutral tone).
//! Tone sandhi of 一 and 不 comes with the reading; Kokoro v1.0's voices
//! were trained without any other.

/// Initials, longest spelling first.
const INITIALS: &[(&str, &str)] = &[
    ("zh", "ꭧ"),
    ("ch", "ꭧʰ"),
    ("sh", "ʂ"),
    ("b", "p"),
    ("p", "pʰ"),
    ("m", "m"),
    ("f", "f"),
    ("d", "t"),
    ("t", "tʰ"),
    ("n", "n"),
    ("l", "l"),
    ("g", "k"),
    ("k", "kʰ"),
    ("h", "x"),
    ("j", "ʨ"),
    ("q", "ʨʰ"),
    ("x", "ɕ"),
    ("r", "ɻ"),
    ("z", "ʦ"),
    ("c", "ʦʰ"),
    ("s", "s"),
];

/// Finals: the symbols before the tone and after it (a nasal coda).
const FINALS: &[(&str, &str, &str)] = &[
    ("a", "a", ""),
    ("ai", "ai", ""),
    ("an", "a", "n"),
    ("ang", "a", "ŋ"),
    ("ao", "au", ""),
    ("e", "ɤ", ""),
    ("ei", "ei", ""),
    ("en", "ə", "n"),
    ("eng", "ə", "ŋ"),
    ("i", "i", ""),
    ("ia", "ja", ""),
    ("ian", "jɛ", "n"),
    ("iang", "ja", "ŋ"),
    ("iao", "jau", ""),
    ("ie", "je", ""),
    ("in", "i", "n"),
    ("ing", "i", "ŋ"),
    ("iong", "jʊ", "ŋ"),
    ("iou", "jou", ""),
    ("o", "wo", ""),
    ("ong", "ʊ", "ŋ"),
    ("ou", "ou", ""),
    ("u", "u", ""),
    ("ua", "wa", ""),
    ("uai", "wai", ""),
    ("uan", "wa", "n"),
    ("uang", "wa", "ŋ"),
    ("uei", "wei", ""),
    ("uen", "wə", "n"),
    ("ueng", "wə", "ŋ"),
    ("uo", "wo", ""),
    ("ü", "y", ""),
    ("üan", "ɥɛ", "n"),
    ("üe", "ɥe", ""),
    ("ün", "y", "n"),
];

/// Syllables read whole: interjections and syllabic consonants.
const WHOLE: &[(&str, &str)] = &[
    ("io", "jɔ"),
    ("ê", "ɛ"),
    ("er", "ɚ"),
    ("o", "ɔ"),
    ("m", "m"),
    ("n", "n"),
    ("ng", "ŋ"),
    ("hm", "hm"),
    ("hng", "hŋ"),
];

const TONES: [&str; 5] = ["→", "↗", "↓", "↘", ""];

/// A reading's syllables in Kokoro's symbols, a space between syllables;
/// punctuation is kept, and anything else (a Latin word) passes as it is.
pub fn to_kokoro(reading: &str) -> String {
    let mut out = Vec::new();
    for token in reading.split_whitespace() {
        let end = token.trim_end_matches(|c: char| c.is_ascii_punctuation()).len();
        let (word, marks) = token.split_at(end);
        out.push(format!("{}{marks}", syllable(word).unwrap_or_else(|| word.to_string())));
    }
    out.join(" ")
}

/// One numbered syllable (`zhong1`, `lv4`, `de5`, `de`), if it is one.
pub(crate) fn syllable(numbered: &str) -> Option<String> {
    let letters = numbered.trim_end_matches(|c: char| c.is_ascii_digit());
    let tone: usize = match &numbered[letters.len()..] {
        "" => 5,
        digit => digit.parse().ok().filter(|t| (1..=5).contains(t))?,
    };
    let tone = TONES[tone - 1];
    let letters = letters.to_lowercase().replace('v', "ü");
    if let Some((_, whole)) = WHOLE.iter().find(|(spelled, _)| *spelled == letters) {
        return Some(format!("{whole}{tone}"));
    }
    let (initial, symbols) = INITIALS
        .iter()
        .find(|(spelled, _)| letters.starts_with(spelled))
        .map_or(("", ""), |(spelled, symbols)| (*spelled, *symbols));
    let final_ = spelled_final(initial, &letters[initial.len()..])?;
    // `i` after a sibilant or retroflex is the apical vowel.
    if final_ == "i" && matches!(initial, "zh" | "ch" | "sh" | "r" | "z" | "c" | "s") {
        return Some(format!("{symbols}ɨ{tone}"));
    }
    let (_, nucleus, coda) = FINALS.iter().find(|(f, _, _)| *f == final_)?;
    Some(format!("{symbols}{nucleus}{tone}{coda}"))
}

/// The final a syllable spells after `initial`, as pinyin tables name it
/// (`yu` → `ü`, `wei` → `uei`, `ju` → `ü`, `liu` → `iou`).
fn spelled_final(initial: &str, rest: &str) -> Option<String> {
    let final_ = if initial.is_empty() {
        if let Some(after) = rest.strip_prefix('y') {
            match after {
                "o" => "o".to_string(),
                _ if after.starts_with('u') => format!("ü{}", &after[1..]),
                _ if after.starts_with('i') => after.to_string(),
                _ => format!("i{after}"),
            }
        } else if let Some(after) = rest.strip_prefix('w') {
            match after {
                "u" | "ong" => after.to_string(),
                _ => format!("u{after}"),
            }
        } else {
            rest.to_string()
        }
    } else if matches!(initial, "j" | "q" | "x") && rest.starts_with('u') {
        format!("ü{}", &rest[1..])
    } else {
        rest.to_string()
    };
    let final_ = match final_.as_str() {
        "iu" => "iou".to_string(),
        "ui" => "uei".to_string(),
        "un" => "uen".to_string(),
        _ => final_,
    };
    (!final_.is_empty()).then_some(final_)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pinyin syllable in every tone, as misaki 0.9.4 turns it into
    /// Kokoro's symbols (made by running misaki: `syllable`, initial, final,
    /// then tones 1–4 and the neutral tone).
    const MISAKI: &str = include_str!("../../../tests/fixtures/kokoro/zh-syllables.tsv");

    #[test]
    fn every_syllable_in_every_tone_is_as_misaki_makes_it() {
        let mut checked = 0;
        for line in MISAKI.lines().filter(|l| !l.starts_with('#')) {
            let fields: Vec<&str> = line.split('\t').collect();
            for (tone, expected) in fields[3..8].iter().enumerate() {
                assert_eq!(syllable(&format!("{}{}", fields[0], tone + 1)).as_deref(), Some(*expected), "{line}");
                checked += 1;
            }
        }
        assert_eq!(checked, 426 * 5);
    }

    #[test]
    fn a_reading_keeps_its_punctuation_and_what_is_not_pinyin() {
        assert_eq!(to_kokoro("ni3 hao3, shi4 jie4."), "ni↓ xau↓, ʂɨ↘ ʨje↘.");
        assert_eq!(to_kokoro("wo3 yong4 iPhone."), "wo↓ jʊ↘ŋ iPhone.");
        assert_eq!(syllable("de"), Some("tɤ".into()));
        assert_eq!(syllable("lv4"), Some("ly↘".into()));
        assert_eq!(syllable("xyz1"), None);
        assert_eq!(syllable("ma7"), None);
    }
}
