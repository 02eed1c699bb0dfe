//! espeak-ng's IPA in Kokoro-82M's phoneme symbols, for the languages
//! Kokoro was trained on through espeak-ng (Spanish, French, Italian,
//! Brazilian Portuguese, Hindi) and for English.
//!
//! The rules are those of hexgrad/misaki (`espeak.py`, which made Kokoro's
//! training data): espeak-ng is asked for IPA with `^` tying the letters of
//! one phoneme (`t^ʃ`), and the tied pairs become Kokoro's one-letter
//! symbols (`ʧ`, and `A`, `I`, `O`, `W`, `Y`, `Q` for diphthongs); English
//! takes misaki's longer list for its espeak fallback. Language-switch
//! flags that espeak-ng puts round foreign words (`(en)…(hi)`) are dropped.

/// Which of misaki's rule lists applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Spanish, French, Italian, Brazilian Portuguese and Hindi.
    Espeak,
    AmericanEnglish,
    BritishEnglish,
}

/// The espeak-ng voice (by its file name, which libespeak-ng 1.51 finds
/// where `fr-fr` or `en-gb` fail) and the rules for a Kokoro language.
pub fn espeak_voice(language: &str) -> Option<(&'static str, Dialect)> {
    Some(match language {
        "en-US" => ("gmw/en-US", Dialect::AmericanEnglish),
        "en-GB" => ("gmw/en", Dialect::BritishEnglish),
        "es" => ("roa/es", Dialect::Espeak),
        "fr" => ("roa/fr", Dialect::Espeak),
        "hi" => ("inc/hi", Dialect::Espeak),
        "it" => ("roa/it", Dialect::Espeak),
        "pt-BR" => ("roa/pt-BR", Dialect::Espeak),
        _ => return None,
    })
}

/// Tied pairs and their symbols, for every language (misaki's `E2M`
/// without English's additions).
const TIED: &[(&str, &str)] = &[
    ("a^ɪ", "I"),
    ("a^ʊ", "W"),
    ("d^z", "ʣ"),
    ("d^ʒ", "ʤ"),
    ("e^ɪ", "A"),
    ("o^ʊ", "O"),
    ("s^s", "S"),
    ("t^s", "ʦ"),
    ("t^ʃ", "ʧ"),
    ("ɔ^ɪ", "Y"),
    ("ə^ʊ", "Q"),
];

/// English's list, longest keys first as misaki applies them.
const ENGLISH: &[(&str, &str)] = &[
    ("ʔˌn\u{329}", "ʔn"),
    ("ʔn\u{329}", "ʔn"),
    ("a^ɪ", "I"),
    ("a^ʊ", "W"),
    ("d^ʒ", "ʤ"),
    ("e^ɪ", "A"),
    ("t^ʃ", "ʧ"),
    ("ɔ^ɪ", "Y"),
    ("ə^l", "ᵊl"),
    ("ʲo", "jo"),
    ("ʲə", "jə"),
    ("e", "A"),
    ("ʲ", ""),
    ("ɚ", "əɹ"),
    ("r", "ɹ"),
    ("x", "k"),
    ("ç", "k"),
    ("ɐ", "ə"),
    ("ɬ", "l"),
    ("\u{303}", ""),
];

const BRITISH: &[(&str, &str)] = &[("e^ə", "ɛː"), ("iə", "ɪə"), ("ə^ʊ", "Q")];
const AMERICAN: &[(&str, &str)] = &[("o^ʊ", "O"), ("ɜːɹ", "ɜɹ"), ("ɜː", "ɜɹ"), ("ɪə", "iə"), ("ː", "")];
/// Last, for English: espeak-ng before 1.52's `o`, and Kokoro v1.0's flap and glottal stop.
const ENGLISH_LAST: &[(&str, &str)] = &[("o", "ɔ"), ("ɾ", "T"), ("ʔ", "t")];

/// espeak-ng's phonemes of one clause (asked for with `^` ties) in
/// Kokoro's symbols.
pub fn to_kokoro(ipa: &str, dialect: Dialect) -> String {
    let mut out = without_flags(ipa.trim());
    match dialect {
        Dialect::Espeak => {
            out = replaced(out, TIED);
            out = out.replace(['^', '-'], "");
        }
        Dialect::AmericanEnglish | Dialect::BritishEnglish => {
            out = syllabic(replaced(out, ENGLISH));
            let variety = if dialect == Dialect::BritishEnglish { BRITISH } else { AMERICAN };
            out = replaced(replaced(out, variety), ENGLISH_LAST).replace('^', "");
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn replaced(mut text: String, rules: &[(&str, &str)]) -> String {
    for (from, to) in rules {
        if text.contains(from) {
            text = text.replace(from, to);
        }
    }
    text
}

/// `ᵊ` before a consonant espeak-ng marks syllabic (`n̩` → `ᵊn`); a stray mark goes.
fn syllabic(text: String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{329}' {
            continue;
        }
        if !c.is_whitespace() && chars.peek() == Some(&'\u{329}') {
            out.push('ᵊ');
        }
        out.push(c);
    }
    out
}

/// `text` without espeak-ng's language-switch flags, `(en)` and the like.
fn without_flags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// espeak-ng 1.51's tied IPA and what misaki 0.9.4 makes of it (run
    /// with misaki itself, on espeak-ng's own output for these sentences).
    #[test]
    fn espeak_languages_map_as_misaki_maps_them() {
        let cases = [
            // Italian: "Il treno per Firenze parte alle diciassette e trenta."
            (
                "il trˈɛno per firˈɛnt^se pˈarte ˌalle dit^ʃas^sˈɛtːe e trˈenta",
                "il trˈɛno per firˈɛnʦe pˈarte ˌalle diʧaSˈɛtːe e trˈenta",
            ),
            ("bʊond^ʒˈɔrno", "bʊonʤˈɔrno"),
            // Brazilian Portuguese: "Não sei se amanhã vai chover em São Paulo."
            ("nˌɐ̃^ʊ̃ sˈe^ɪ sj ˌæmɐ̃ɲˈɐ̃ va^ɪ ʃovˈeɾ ˈe^ɪŋ sɐ̃^ʊ̃ pˈa^ʊlʊ", "nˌɐ̃ʊ̃ sˈA sj ˌæmɐ̃ɲˈɐ̃ vI ʃovˈeɾ ˈAŋ sɐ̃ʊ̃ pˈWlʊ"),
            // French: "Les enfants jouent dans le jardin depuis huit heures."
            ("le-z ɑ̃fˈɑ̃ ʒw dɑ̃ lə- ʒaʁdˈɛ̃ dəpyˌi yˈit ˈœʁ", "lez ɑ̃fˈɑ̃ ʒw dɑ̃ lə ʒaʁdˈɛ̃ dəpyˌi yˈit ˈœʁ"),
            // Hindi with an English word: "मैं Google …"
            ("mɛ̃ (^e^n)ɡˈuːɡə^l(^h^i) ", "mɛ̃ ɡˈuːɡəl"),
        ];
        for (ipa, kokoro) in cases {
            assert_eq!(to_kokoro(ipa, Dialect::Espeak), kokoro, "{ipa}");
        }
    }

    #[test]
    fn english_takes_misakis_fallback_rules_by_variety() {
        let us = "a^ɪ bˈɔːt θˈɜːɾitˈuː bˈɑːɾə^lz ʌv wˈɔːɾɚ jˈɛstɚdˌe^ɪ";
        assert_eq!(to_kokoro(us, Dialect::AmericanEnglish), "I bˈɔt θˈɜɹTitˈu bˈɑTᵊlz ʌv wˈɔTəɹ jˈɛstəɹdˌA");
        let gb = "a^ɪ bˈɔːt θˈɜːtitˈuː bˈɒtə^lz ɒv wˈɔːtə jˈɛstədˌe^ɪ";
        assert_eq!(to_kokoro(gb, Dialect::BritishEnglish), "I bˈɔːt θˈɜːtitˈuː bˈɒtᵊlz ɒv wˈɔːtə jˈɛstədˌA");
        let fox = "ðə kwˈɪk bɹˈa^ʊn fˈɑːks d^ʒˈʌmps ˌo^ʊvɚ ðə lˈe^ɪzi dˈɑːɡ";
        assert_eq!(to_kokoro(fox, Dialect::AmericanEnglish), "ðə kwˈɪk bɹˈWn fˈɑks ʤˈʌmps ˌOvəɹ ðə lˈAzi dˈɑɡ");
        assert_eq!(to_kokoro("bˈʌʔn\u{329}", Dialect::AmericanEnglish), "bˈʌtn");
        assert_eq!(to_kokoro("lˈɪtl\u{329}", Dialect::AmericanEnglish), "lˈɪtᵊl");
    }
}
