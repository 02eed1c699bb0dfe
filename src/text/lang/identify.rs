//! The language of one piece of text, on its own evidence: a ranking of
//! languages with probabilities.
//!
//! whatlang reads every script. For the Latin, Cyrillic, Arabic and
//! Devanagari scripts, where close languages share most letters, Herald's
//! n-gram model ([`super::ngram`]) ranks all the languages it knows, on its
//! own: whatlang's answer as one more piece of evidence
//! ([`Strategy::Combined`]) changed three held-out texts in 17,555 and
//! nearly tripled the time a ranking takes, which the first audio of every
//! text waits for. Letters that only some languages write decide first:
//! ђ ћ are Serbian, ѓ ќ ѕ Macedonian, љ њ џ ј one of the two — never
//! Russian. A text in kanji alone is Japanese where it writes a kanji in a
//! form only Japanese writes (転, 図, 広…).

use super::ngram::MODEL;
use super::script::focus;
use crate::text::LangTag;
use whatlang::Script;

/// How a text's language is found. Herald uses [`Strategy::Ngram`]; the
/// others exist to be measured against it (`herald eval-lang`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Strategy {
    /// whatlang alone.
    Whatlang,
    /// The n-gram model alone in the scripts it covers, whatlang elsewhere.
    #[default]
    Ngram,
    /// The n-gram model with whatlang's answer as evidence.
    Combined,
}

/// Languages ranked by probability, best first, for one text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ranking {
    /// (language, probability); the probabilities sum to at most 1.
    pub(crate) ranked: Vec<(LangTag, f32)>,
    pub(crate) script: Script,
    /// Letters in the text: how much evidence there was.
    pub(crate) letters: usize,
}

impl Ranking {
    pub(crate) fn best(&self) -> (&LangTag, f32) {
        let (lang, p) = &self.ranked[0];
        (lang, *p)
    }

    /// The probability of `lang` (its primary subtag), 0 when unranked.
    pub(crate) fn probability(&self, lang: &LangTag) -> f32 {
        self.ranked.iter().find(|(l, _)| l.primary() == lang.primary()).map_or(0.0, |(_, p)| *p)
    }
}

/// Weight of whatlang's answer, in the n-gram model's scaled log-odds, at
/// whatlang confidence 1 (tuned on the tuning part of the corpus).
const WHATLANG_WEIGHT: f64 = 1.0;
/// Log-likelihoods are divided by the square root of the number of n-grams:
/// n-grams overlap, so they are far from independent evidence, and this keeps
/// probabilities honest on both short and long text (tuned likewise).
const LENGTH_EXPONENT: f64 = 0.5;
/// Languages below this probability are left out of a ranking.
const NEGLIGIBLE: f32 = 0.001;

/// Ranks the languages of `text`; `None` when it has no letters or is in a
/// script no detector reads. Only the letters of the text's main script
/// ([`focus`]) are read.
pub(crate) fn rank(text: &str, strategy: Strategy) -> Option<Ranking> {
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    if letters == 0 {
        return None;
    }
    let (script, text) = focus(text)?;
    let uses_model = matches!(script, Script::Latin | Script::Cyrillic | Script::Arabic | Script::Devanagari)
        && strategy != Strategy::Whatlang;
    if !uses_model {
        return Some(Ranking { ranked: vec![whatlang_answer(&text, script)?], script, letters });
    }
    // The n-gram model alone does not ask whatlang: its answer costs about
    // as much as the model's own ranking.
    let vote = match strategy {
        Strategy::Combined => Some(whatlang_answer(&text, script)?),
        _ => None,
    };
    let ranked = model_ranking(&text, script, vote.as_ref().map(|(lang, p)| (lang, WHATLANG_WEIGHT * f64::from(*p))));
    (!ranked.is_empty()).then_some(Ranking { ranked, script, letters })
}

/// whatlang's language for a text in `script`, with its confidence.
fn whatlang_answer(text: &str, script: Script) -> Option<(LangTag, f32)> {
    let info = whatlang::detect(text)?;
    let lang = if script == Script::Mandarin && writes_japanese_kanji(text) {
        LangTag::parse("ja").expect("a valid tag")
    } else {
        LangTag::from_whatlang(info.lang())
    };
    Some((lang, info.confidence() as f32))
}

/// The n-gram model's ranking of the languages written in `script`,
/// whatlang's language (where given) raised by its weight.
fn model_ranking(text: &str, script: Script, whatlang: Option<(&LangTag, f64)>) -> Vec<(LangTag, f32)> {
    let candidates: Vec<usize> = match script_letters(text, script) {
        Some(only) => only.iter().filter_map(|l| MODEL.index(l)).collect(),
        None => MODEL.written_in(script),
    };
    let (log_likelihoods, grams) = MODEL.log_likelihoods(text, &candidates);
    let scale = (grams.max(1) as f64).powf(LENGTH_EXPONENT);
    let vote = |lang: &LangTag| match whatlang {
        Some((answer, weight)) if whatlang_allows(lang, answer) => weight,
        _ => 0.0,
    };
    let scores: Vec<f64> = candidates
        .iter()
        .zip(&log_likelihoods)
        .map(|(&lang, ll)| ll / scale + vote(&MODEL.languages()[lang]))
        .collect();
    let top = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let total: f64 = scores.iter().map(|s| (s - top).exp()).sum();
    let mut ranked: Vec<(LangTag, f32)> = candidates
        .iter()
        .zip(&scores)
        .map(|(&lang, s)| (MODEL.languages()[lang].clone(), ((s - top).exp() / total) as f32))
        .filter(|(_, p)| *p >= NEGLIGIBLE)
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked
}

/// Whether whatlang's answer `whatlang` leaves `lang` possible: it is that
/// language, or one whatlang cannot name (Bosnian, Malay…), which it
/// answers as a neighbour (Croatian, Indonesian…). whatlang's answer is
/// evidence among the languages it knows only.
fn whatlang_allows(lang: &LangTag, whatlang: &LangTag) -> bool {
    lang == whatlang || lang.to_whatlang().is_none()
}

/// Kanji in forms only Japanese writes (`scripts/ja-kanji.sh`).
const JAPANESE_KANJI: &str = include_str!("japanese_kanji.txt");

/// Whether a text in kanji alone writes one the way only Japanese does
/// (転 for 转/轉): whatlang takes any text without kana for Chinese.
fn writes_japanese_kanji(text: &str) -> bool {
    text.chars().any(|c| !c.is_ascii() && JAPANESE_KANJI.contains(c))
}

/// The only languages that write some letter of `text`, where it has one.
fn script_letters(text: &str, script: Script) -> Option<&'static [&'static str]> {
    if script != Script::Cyrillic {
        return None;
    }
    if text.chars().any(|c| matches!(c, 'ђ' | 'ћ' | 'Ђ' | 'Ћ')) {
        Some(&["sr"])
    } else if text.chars().any(|c| matches!(c, 'ѓ' | 'ќ' | 'ѕ' | 'Ѓ' | 'Ќ' | 'Ѕ')) {
        Some(&["mk"])
    } else if text.chars().any(|c| matches!(c, 'љ' | 'њ' | 'џ' | 'ј' | 'Љ' | 'Њ' | 'Џ' | 'Ј')) {
        Some(&["sr", "mk"])
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn best(text: &str) -> String {
        rank(text, Strategy::default()).unwrap().best().0.to_string()
    }

    #[test]
    fn south_slavic_cyrillic_is_not_russian() {
        assert_eq!(best("Добро јутро, како сте данас?"), "sr");
        assert_eq!(best("Ѕвездите светат над градот."), "mk");
        assert_eq!(best("Ћерка чита књигу."), "sr");
    }

    #[test]
    fn short_sentences_in_languages_whatlang_lacks() {
        assert_eq!(best("Bonjour à tous, merci d'être venus."), "fr");
        assert_eq!(best("Serikali itawasilisha mpango mpya wiki ijayo."), "sw");
        assert_eq!(
            best("Kerajaan akan mengumumkan keputusan itu secepat mungkin kerana rakyat sedang menunggu."),
            "ms"
        );
    }

    #[test]
    fn whatlang_speaks_only_for_the_languages_it_knows() {
        let tag = |t| LangTag::parse(t).unwrap();
        assert!(whatlang_allows(&tag("id"), &tag("id")));
        assert!(whatlang_allows(&tag("ms"), &tag("id")), "whatlang has no Malay: its Indonesian may be Malay");
        assert!(whatlang_allows(&tag("bs"), &tag("hr")));
        assert!(!whatlang_allows(&tag("es"), &tag("pt")));
    }

    #[test]
    fn kanji_only_japanese_forms_are_japanese() {
        assert_eq!(best("垂直方向反転"), "ja");
        assert_eq!(best("設定を変更"), "ja");
        assert_eq!(best("银行行长"), "zh");
        assert_eq!(best("國際關係與安全"), "zh");
    }

    #[test]
    fn other_scripts_stay_with_whatlang() {
        let ranking = rank("こんにちは、お元気ですか。", Strategy::default()).unwrap();
        assert_eq!(ranking.best().0.as_str(), "ja");
        assert!(rank("12:30 — 2023", Strategy::default()).is_none());
    }

    #[test]
    fn probabilities_are_a_distribution() {
        let ranking = rank("Velkommen til mødet i dag.", Strategy::default()).unwrap();
        let sum: f32 = ranking.ranked.iter().map(|(_, p)| p).sum();
        assert!(sum <= 1.0001 && ranking.best().1 < 1.0, "{ranking:?}");
        assert!(ranking.ranked.windows(2).all(|w| w[0].1 >= w[1].1));
    }
}
