//! Language detection.
//!
//! [`LanguageDetector`] assigns a tag to every paragraph of a document with whatlang, plus the
//! document-level rules whatlang alone does not give:
//!
//! * an explicit hint (a `lang` option or a source `lang` attribute) wins;
//! * a paragraph with no letters is `und`;
//! * short or low-confidence paragraphs inherit the document language (the
//!   language with most letters among confident paragraphs) unless their
//!   script rules that language out;
//! * a paragraph whose sentences are confidently in different languages, or
//!   in different scripts, gets a tag per sentence.
//!
//! Known blind spots of whatlang 0.18 (see README, "Language detection"): no
//! Malay (reported as Indonesian with confidence 1.0), no Swahili, and
//! one-sentence inputs in closely related languages are unreliable, which is
//! why short paragraphs inherit.

use super::tag::LangTag;
use serde::{Deserialize, Serialize};
use whatlang::{Lang, Script};

/// The language of one paragraph or sentence and how sure Herald is of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    pub lang: LangTag,
    /// 0.0–1.0; 1.0 for explicit hints.
    pub confidence: f32,
    pub source: LangSource,
}

/// Where a [`Detection`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LangSource {
    /// An explicit `lang` option or source attribute.
    Hint,
    /// whatlang was confident on this text.
    Detected,
    /// Too short or unsure: the document language was used.
    Inherited,
    /// No letters at all.
    NoLetters,
}

/// The text of one paragraph to detect, with its sentences and any hint.
pub struct ParagraphInput<'a> {
    pub text: &'a str,
    pub sentences: Vec<&'a str>,
    pub hint: Option<LangTag>,
}

/// The detector's verdict on one paragraph: its language, and a language per
/// sentence when the sentences differ.
#[derive(Debug, Clone, PartialEq)]
pub struct ParagraphLanguage {
    pub detection: Detection,
    pub sentences: Option<Vec<Detection>>,
}

/// The languages of a whole document.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// The document's language: the hint, or the majority of confident paragraphs.
    pub document: LangTag,
    pub paragraphs: Vec<ParagraphLanguage>,
}

/// Confidence above which a one-script paragraph is not checked sentence by sentence.
const SURE: f32 = 0.9;

/// Per-paragraph language detection with document-level rules.
#[derive(Debug, Clone)]
pub struct LanguageDetector {
    /// Fewer letters than this and a paragraph is never trusted alone.
    pub min_letters: usize,
    /// Below this whatlang confidence a paragraph inherits.
    pub min_confidence: f64,
}

impl Default for LanguageDetector {
    fn default() -> Self {
        Self { min_letters: 30, min_confidence: 0.5 }
    }
}

/// One raw whatlang answer plus the letter count it was based on.
#[derive(Clone, Copy)]
struct Guess {
    lang: Lang,
    script: Script,
    confidence: f64,
    letters: usize,
}

impl LanguageDetector {
    /// Assigns a language to every paragraph. `document_hint` is the caller's
    /// `lang` option: it wins over detection for paragraphs without their own hint.
    pub fn assign(&self, paragraphs: &[ParagraphInput<'_>], document_hint: Option<&LangTag>) -> Assignment {
        let guesses: Vec<Option<Guess>> = paragraphs.iter().map(|p| guess(p.text)).collect();
        let document =
            document_hint.cloned().or_else(|| self.majority(&guesses)).or_else(|| self.whole_text(paragraphs));
        let by_script = self.script_majorities(&guesses);
        let paragraphs = paragraphs
            .iter()
            .zip(&guesses)
            .map(|(p, g)| {
                let hint = p.hint.as_ref().or(document_hint);
                let detection = self.resolve(g, hint, document.as_ref(), &by_script);
                let sentences = if hint.is_some() {
                    None
                } else {
                    self.split_mixed(&p.sentences, &detection, document.as_ref(), &by_script)
                };
                ParagraphLanguage { detection, sentences }
            })
            .collect();
        Assignment { document: document.unwrap_or_else(LangTag::und), paragraphs }
    }

    fn is_confident(&self, g: &Guess) -> bool {
        single_language_script(g.script) || (g.letters >= self.min_letters && g.confidence >= self.min_confidence)
    }

    /// The language with the most letters among confident guesses.
    fn majority(&self, guesses: &[Option<Guess>]) -> Option<LangTag> {
        let mut totals: Vec<(Lang, usize)> = Vec::new();
        for g in guesses.iter().flatten().filter(|g| self.is_confident(g)) {
            match totals.iter_mut().find(|(l, _)| *l == g.lang) {
                Some((_, n)) => *n += g.letters,
                None => totals.push((g.lang, g.letters)),
            }
        }
        totals.into_iter().max_by_key(|&(_, n)| n).map(|(l, _)| LangTag::from_whatlang(l))
    }

    /// For each script, the language with most letters among confident
    /// guesses in it (computed once per document: no quadratic step).
    fn script_majorities(&self, guesses: &[Option<Guess>]) -> Vec<(Script, LangTag)> {
        let mut groups: std::collections::HashMap<Script, Vec<Option<Guess>>> = std::collections::HashMap::new();
        for g in guesses.iter().flatten() {
            groups.entry(g.script).or_default().push(Some(*g));
        }
        groups.into_iter().filter_map(|(script, same)| self.majority(&same).map(|lang| (script, lang))).collect()
    }

    /// When no paragraph is confident on its own: a guess on all the text
    /// together, falling back to the script's main language when unsure.
    fn whole_text(&self, paragraphs: &[ParagraphInput<'_>]) -> Option<LangTag> {
        const SAMPLE_CHARS: usize = 4096;
        let joined: String = paragraphs.iter().flat_map(|p| p.text.chars().chain([' '])).take(SAMPLE_CHARS).collect();
        let g = guess(&joined)?;
        let lang = if self.is_confident(&g) { g.lang } else { script_default(g.script).unwrap_or(g.lang) };
        Some(LangTag::from_whatlang(lang))
    }

    fn resolve(
        &self,
        guess: &Option<Guess>,
        hint: Option<&LangTag>,
        document: Option<&LangTag>,
        script_majority: &[(Script, LangTag)],
    ) -> Detection {
        let Some(g) = guess else {
            return Detection { lang: LangTag::und(), confidence: 0.0, source: LangSource::NoLetters };
        };
        if let Some(hint) = hint {
            return Detection { lang: hint.clone(), confidence: 1.0, source: LangSource::Hint };
        }
        if self.is_confident(g) {
            return Detection {
                lang: LangTag::from_whatlang(g.lang),
                confidence: g.confidence as f32,
                source: LangSource::Detected,
            };
        }
        // Unsure: prefer the document language when the script allows it, then
        // the most common confident language of this script in the document.
        let fits = |tag: &LangTag| tag.to_whatlang().is_some_and(|l| g.script.langs().contains(&l));
        let inherited = document
            .filter(|d| fits(d))
            .cloned()
            .or_else(|| script_majority.iter().find(|(s, _)| *s == g.script).map(|(_, l)| l.clone()));
        match inherited {
            Some(lang) => Detection { lang, confidence: g.confidence as f32, source: LangSource::Inherited },
            None => {
                let lang = script_default(g.script).unwrap_or(g.lang);
                Detection {
                    lang: LangTag::from_whatlang(lang),
                    confidence: g.confidence as f32,
                    source: LangSource::Detected,
                }
            }
        }
    }

    /// Per-sentence languages when a paragraph mixes scripts, or when two or
    /// more sentences are each confidently in a language other than the
    /// paragraph's.
    fn split_mixed(
        &self,
        sentences: &[&str],
        paragraph: &Detection,
        document: Option<&LangTag>,
        script_majority: &[(Script, LangTag)],
    ) -> Option<Vec<Detection>> {
        if sentences.len() < 2 {
            return None;
        }
        // A paragraph whatlang is sure of, in one script, is not mixed: skip
        // the per-sentence detection (it is most of the planning time).
        let scripts: Vec<Option<Script>> = sentences.iter().map(|s| whatlang::detect_script(s)).collect();
        let one_script = scripts.windows(2).all(|w| w[0] == w[1]);
        if one_script && paragraph.source == LangSource::Detected && paragraph.confidence >= SURE {
            return None;
        }
        let guesses: Vec<Option<Guess>> = sentences.iter().map(|s| guess(s)).collect();
        let scripts: Vec<Script> = guesses.iter().flatten().map(|g| g.script).collect();
        let mixed_scripts = scripts.windows(2).any(|w| w[0] != w[1]);
        let differing = guesses
            .iter()
            .flatten()
            .filter(|g| self.is_confident(g) && LangTag::from_whatlang(g.lang).primary() != paragraph.lang.primary())
            .count();
        if !mixed_scripts && differing < 2 {
            return None;
        }
        let per_sentence = guesses
            .iter()
            .map(|g| match g {
                Some(g)
                    if !self.is_confident(g)
                        && paragraph.lang.to_whatlang().is_some_and(|l| g.script.langs().contains(&l)) =>
                {
                    Detection { source: LangSource::Inherited, ..paragraph.clone() }
                }
                _ => self.resolve(g, None, document, script_majority),
            })
            .collect::<Vec<_>>();
        per_sentence.iter().any(|d| d.lang != paragraph.lang).then_some(per_sentence)
    }
}

/// Scripts used by exactly one language whatlang knows (Hangul → Korean…):
/// detection is certain however short the text.
fn single_language_script(script: Script) -> bool {
    script.langs().len() == 1
}

/// The most widely used language of a script, for unsure text in a script
/// the rest of the document does not use.
fn script_default(script: Script) -> Option<Lang> {
    Some(match script {
        Script::Latin => Lang::Eng,
        Script::Cyrillic => Lang::Rus,
        Script::Arabic => Lang::Ara,
        Script::Devanagari => Lang::Hin,
        Script::Mandarin => Lang::Cmn,
        _ => return None,
    })
}

fn guess(text: &str) -> Option<Guess> {
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    if letters == 0 {
        return None;
    }
    let info = whatlang::detect(text)?;
    Some(Guess { lang: info.lang(), script: info.script(), confidence: info.confidence(), letters })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(s: &str) -> LangTag {
        LangTag::parse(s).unwrap()
    }

    fn input(text: &str) -> ParagraphInput<'_> {
        ParagraphInput { text, sentences: vec![text], hint: None }
    }

    #[test]
    fn short_paragraphs_inherit_and_hints_win() {
        let d = LanguageDetector::default();
        let paragraphs = [
            input("Welcome to the headquarters. It is a great pleasure to see you here again today."),
            input("Thank you."),
            input("12:30 — 2023"),
            ParagraphInput { text: "Bonjour à tous.", sentences: vec!["Bonjour à tous."], hint: Some(tag("fr")) },
        ];
        let got = d.assign(&paragraphs, None).paragraphs;
        assert_eq!(got[0].detection.lang.as_str(), "en");
        assert_eq!(got[0].detection.source, LangSource::Detected);
        assert_eq!((got[1].detection.lang.as_str(), got[1].detection.source), ("en", LangSource::Inherited));
        assert_eq!(got[2].detection.lang.as_str(), "und");
        assert_eq!((got[3].detection.lang.as_str(), got[3].detection.source), ("fr", LangSource::Hint));
    }

    #[test]
    fn script_overrides_inheritance() {
        let d = LanguageDetector::default();
        let got = d
            .assign(&[input("This paragraph is written in plain English for everyone."), input("Спасибо")], None)
            .paragraphs;
        assert_eq!(got[1].detection.lang.as_str(), "ru");
    }
}
