//! Language detection.
//!
//! [`LanguageDetector`] assigns a tag to every paragraph of a document, and
//! one to the document, from the text's own evidence ([`identify::rank`])
//! and the hints a caller gives:
//!
//! * an explicit hint (a `lang` option, an HTML `lang`/`xml:lang` or SSML
//!   `xml:lang` attribute) wins, with confidence 1;
//! * a paragraph with no letters is `und`;
//! * the document language is a guess over the whole text (no language is
//!   ever assumed); a request's priors (`Content-Language`,
//!   `Accept-Language`) decide it only where the text leaves it unsure;
//! * a paragraph too short or too unsure to stand alone takes the document
//!   language, then a prior, where its own ranking finds that language
//!   plausible — reporting the probability its own text gives that language,
//!   so an inherited language never reports 1; otherwise it keeps its own
//!   best guess;
//! * a paragraph whose sentences are surely in different languages, or in
//!   different scripts, gets a tag per sentence.

mod identify;
mod ngram;
mod progressive;
mod script;

pub(crate) use identify::{rank, Ranking, Strategy};
pub(crate) use progressive::Progressive;

use super::tag::LangTag;
use serde::{Deserialize, Serialize};
use whatlang::Script;

/// The language of one paragraph or sentence and how sure Herald is of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    pub lang: LangTag,
    /// 0.0–1.0: 1.0 for explicit hints; otherwise the probability the text
    /// itself gives this language.
    pub(crate) confidence: f32,
    pub(crate) source: LangSource,
}

/// Where a [`Detection`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum LangSource {
    /// An explicit `lang` option or source attribute.
    Hint,
    /// The text's own best guess.
    Detected,
    /// Too short or unsure: the document language, which the text allows.
    Inherited,
    /// Too short or unsure: a language the request prefers
    /// (`Content-Language`, `Accept-Language`), which the text allows.
    Prior,
    /// No letters at all.
    NoLetters,
    /// Too short or unsure, in Latin script, and nothing else names a
    /// language: the text's best guess is too weak to stand on (a lone
    /// "Hello." reads as Italian), so none is claimed and the default
    /// voice speaks it.
    Undetermined,
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
    /// The document's language: the hint, or the guess over the whole text.
    pub(crate) document: LangTag,
    pub paragraphs: Vec<ParagraphLanguage>,
}

/// A language a text may take when its own evidence is too thin: the
/// document's (with the script it was found in) or a request's prior.
#[derive(Clone, Copy)]
struct Context<'a> {
    lang: &'a LangTag,
    source: LangSource,
    /// The script the language was found in: a text too short to stand
    /// alone takes it whenever it is in that script.
    script: Option<Script>,
}

/// Confidence above which a one-script paragraph is not checked sentence by sentence.
const SURE: f32 = 0.9;
/// A language the text gives at least this probability may be inherited.
const PLAUSIBLE: f32 = 0.02;
/// The most an inherited language may claim.
const INHERITED_CEILING: f32 = 0.99;
/// Below this probability an unsure text's best guess is no answer.
const UNDETERMINED_BELOW: f32 = 0.3;
/// With fewer letters than this, a Latin-script text's guess is no answer
/// however sure the model is: "Hello" is in Italian catalogues too.
const UNDETERMINED_LETTERS: usize = 8;
/// Characters of a long document read for its language.
const SAMPLE_CHARS: usize = 4096;

/// Per-paragraph language detection with document-level rules.
#[derive(Debug, Clone)]
pub struct LanguageDetector {
    /// Fewer letters than this and a paragraph is not trusted alone.
    pub(crate) min_letters: usize,
    /// Below this probability a paragraph is not trusted alone.
    pub(crate) min_confidence: f32,
    pub(crate) strategy: Strategy,
    pub(crate) mixed: MixedSentences,
}

/// When the sentences of a paragraph get languages of their own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum MixedSentences {
    /// Where scripts mix, or where two or more sentences are each surely in
    /// another language: in a document, one stray sentence (a quotation, a
    /// name) keeps the paragraph's voice.
    #[default]
    Several,
    /// Wherever a sentence is surely in another language: a screen
    /// reader's line of a few sentences.
    Any,
}

impl Default for LanguageDetector {
    fn default() -> Self {
        Self { min_letters: 30, min_confidence: 0.8, strategy: Strategy::default(), mixed: MixedSentences::default() }
    }
}

impl LanguageDetector {
    /// Assigns a language to every paragraph. `document_hint` is the caller's
    /// `lang` option: it wins over detection for paragraphs without their own
    /// hint. `priors` are languages the caller prefers, strongest first: they
    /// count only where the text leaves its language unsure.
    pub fn assign(
        &self,
        paragraphs: &[ParagraphInput<'_>],
        document_hint: Option<&LangTag>,
        priors: &[LangTag],
    ) -> Assignment {
        let texts = paragraphs.iter().map(|p| p.text);
        let mut progressive = self.progressive(texts, paragraphs.len(), document_hint.cloned(), priors.to_vec());
        let paragraphs = paragraphs.iter().map(|p| progressive.next(p)).collect();
        Assignment { document: progressive.document(), paragraphs }
    }

    /// Assigns languages paragraph by paragraph, in order (see
    /// [`Progressive`]). `texts` are all the paragraphs' texts, `count` of
    /// them: only the opening ones are read before the first is assigned.
    pub(crate) fn progressive<'t>(
        &self,
        texts: impl Iterator<Item = &'t str>,
        count: usize,
        document_hint: Option<LangTag>,
        priors: Vec<LangTag>,
    ) -> Progressive {
        Progressive::new(self.clone(), texts, count, document_hint, priors)
    }

    fn is_sure(&self, ranking: &Ranking) -> bool {
        single_language_script(ranking.script)
            || (ranking.letters >= self.min_letters && ranking.best().1 >= self.min_confidence)
    }

    /// The text's best guess when it is sure; otherwise the first of the
    /// `context` languages (document language, then priors) that the text
    /// finds plausible, else its best guess all the same.
    fn choose(&self, ranking: &Ranking, context: &[Context<'_>]) -> Detection {
        let (best, p) = ranking.best();
        let own = Detection { lang: best.clone(), confidence: p, source: LangSource::Detected };
        if self.is_sure(ranking) {
            return own;
        }
        for &Context { lang, source, script } in context {
            if lang.primary() == best.primary() {
                return own;
            }
            let probability = ranking.probability(lang);
            let whatlang_allows =
                ranking.ranked.len() == 1 && lang.to_whatlang().is_some_and(|l| ranking.script.langs().contains(&l));
            let too_short = ranking.letters < self.min_letters && script == Some(ranking.script);
            if probability >= PLAUSIBLE || whatlang_allows || too_short {
                let confidence = if whatlang_allows { 1.0 - p } else { probability };
                return Detection { lang: lang.clone(), confidence: confidence.min(INHERITED_CEILING), source };
            }
        }
        // In another script the guess at least names a language that reads
        // it; in Latin script a weak guess, or one from a word or two, is as
        // likely wrong as right.
        let weak = p < UNDETERMINED_BELOW || ranking.letters < UNDETERMINED_LETTERS;
        if weak && ranking.script == whatlang::Script::Latin {
            return Detection { lang: LangTag::und(), confidence: 0.0, source: LangSource::Undetermined };
        }
        own
    }

    /// Per-sentence languages when a paragraph mixes scripts, or when
    /// sentences (as many as [`MixedSentences`] asks) are each surely in a
    /// language other than the paragraph's.
    fn split_mixed(
        &self,
        paragraph: &ParagraphInput<'_>,
        ranking: &Option<Ranking>,
        detection: &Detection,
        context: &[Context<'_>],
    ) -> Option<Vec<Detection>> {
        let sentences = &paragraph.sentences;
        if sentences.len() < 2 {
            return None;
        }
        // A paragraph that is surely in one language, in one script, is not
        // mixed: skip the per-sentence detection (it is most of the planning time).
        let scripts: Vec<Option<Script>> = sentences.iter().map(|s| script::main_script(s)).collect();
        let one_script = scripts.windows(2).all(|w| w[0] == w[1]);
        let sure = detection.source == LangSource::Detected && detection.confidence >= SURE;
        if one_script && sure && self.mixed == MixedSentences::Several {
            return None;
        }
        let rankings: Vec<Option<Ranking>> = sentences.iter().map(|s| rank(s, self.strategy)).collect();
        let scripts: Vec<Script> = rankings.iter().flatten().map(|r| r.script).collect();
        let mixed_scripts = scripts.windows(2).any(|w| w[0] != w[1]);
        let differing = rankings
            .iter()
            .flatten()
            .filter(|r| self.is_sure(r) && r.best().0.primary() != detection.lang.primary())
            .count();
        let enough = match self.mixed {
            MixedSentences::Several => 2,
            MixedSentences::Any => 1,
        };
        if !mixed_scripts && differing < enough {
            return None;
        }
        let script = ranking.as_ref().map(|r| r.script);
        let mut sentence_context = vec![Context { lang: &detection.lang, source: LangSource::Inherited, script }];
        sentence_context.extend(context.iter().copied());
        let per_sentence: Vec<Detection> = rankings
            .iter()
            .map(|r| match r {
                Some(r) => self.choose(r, &sentence_context),
                // No letters: read in the paragraph's language.
                None => Detection { lang: detection.lang.clone(), confidence: 0.0, source: LangSource::Inherited },
            })
            .collect();
        per_sentence.iter().any(|d| d.lang != detection.lang).then_some(per_sentence)
    }
}

/// Loads the n-gram model now, where it would load on first use: a
/// server calls this at start, so its first request does not wait for it.
pub(crate) fn preload() {
    std::sync::LazyLock::force(&ngram::MODEL);
}

/// Every language Herald can name (whatlang's and the n-gram model's), by primary subtag.
pub(crate) fn known_languages() -> Vec<LangTag> {
    let mut all: Vec<LangTag> = whatlang::Lang::all().iter().map(|&l| LangTag::from_whatlang(l)).collect();
    all.extend(ngram::MODEL.languages().iter().cloned());
    all.sort();
    all.dedup();
    all
}

/// Scripts used by exactly one language whatlang knows (Hangul → Korean…):
/// detection is certain however short the text.
fn single_language_script(script: Script) -> bool {
    script.langs().len() == 1
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
    fn a_lone_text_too_weak_to_guess_claims_no_language() {
        let d = LanguageDetector::default();
        for text in ["Hello.", "OK.", "Hi.", "Yes."] {
            let assignment = d.assign(&[input(text)], None, &[]);
            let detection = &assignment.paragraphs[0].detection;
            assert_eq!((detection.lang.as_str(), detection.source), ("und", LangSource::Undetermined), "{text}");
        }
        let sure = d.assign(&[input("Bonjour à tous, merci d'être venus.")], None, &[]);
        assert_eq!(sure.paragraphs[0].detection.lang.as_str(), "fr");
    }

    #[test]
    fn one_sentence_in_another_language_keeps_a_document_paragraph_and_splits_a_line() {
        let (english, french) = (
            "Hello everyone, and welcome to this morning's meeting.",
            "Bonjour à tous, et bienvenue à la réunion de ce matin.",
        );
        let text = format!("{english} {french}");
        let line = ParagraphInput { text: &text, sentences: vec![english, french], hint: None };
        let document = LanguageDetector::default().assign(std::slice::from_ref(&line), None, &[tag("en")]);
        assert!(document.paragraphs[0].sentences.is_none(), "a document paragraph keeps one language");
        let screen_reader = LanguageDetector { mixed: MixedSentences::Any, ..LanguageDetector::default() };
        let split = screen_reader.assign(&[line], None, &[tag("en")]).paragraphs.remove(0).sentences.unwrap();
        let langs: Vec<&str> = split.iter().map(|d| d.lang.primary()).collect();
        assert_eq!(langs, ["en", "fr"]);
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
        let assignment = d.assign(&paragraphs, None, &[]);
        let got = assignment.paragraphs;
        assert_eq!(assignment.document.as_str(), "en");
        assert_eq!((got[0].detection.lang.as_str(), got[0].detection.source), ("en", LangSource::Detected));
        assert_eq!(got[1].detection.lang.as_str(), "en");
        assert!(got[1].detection.confidence < 1.0);
        // No letters: the document's language reads its digits.
        assert_eq!((got[2].detection.lang.as_str(), got[2].detection.source), ("en", LangSource::Inherited));
        assert_eq!((got[3].detection.lang.as_str(), got[3].detection.source), ("fr", LangSource::Hint));
        assert_eq!(got[3].detection.confidence, 1.0);
    }

    #[test]
    fn a_short_opening_takes_the_language_of_the_text_after_it() {
        let body = "Le ministre a présenté aujourd'hui le plan de rénovation des écoles de la ville, \
                    qui sera financé par la région et par l'État.";
        let mut paragraphs = vec![input("Merci.")];
        paragraphs.extend(std::iter::repeat_with(|| input(body)).take(40));
        assert!(paragraphs.iter().map(|p| p.text.len()).sum::<usize>() > SAMPLE_CHARS);
        let assignment = LanguageDetector::default().assign(&paragraphs, None, &[]);
        let opening = &assignment.paragraphs[0].detection;
        assert_eq!((opening.lang.as_str(), opening.source), ("fr", LangSource::Inherited));
        assert_eq!(assignment.document.as_str(), "fr");
    }

    #[test]
    fn script_overrides_inheritance() {
        let d = LanguageDetector::default();
        let paragraphs =
            [input("This paragraph is written in plain English for everyone."), input("Спасибо за внимание.")];
        let got = d.assign(&paragraphs, None, &[]).paragraphs;
        assert_eq!(got[1].detection.lang.as_str(), "ru");
    }

    #[test]
    fn a_lone_line_is_its_own_language_never_a_default() {
        let d = LanguageDetector::default();
        for (text, lang) in [("Bonjour à tous, merci d'être venus.", "fr"), ("Asanteni kwa kuja leo.", "sw")] {
            let assignment = d.assign(&[input(text)], None, &[]);
            let detection = &assignment.paragraphs[0].detection;
            assert_eq!((assignment.document.as_str(), detection.lang.as_str()), (lang, lang), "{text}");
            assert_ne!(detection.source, LangSource::Inherited, "{text}");
        }
    }

    #[test]
    fn priors_decide_only_what_the_text_leaves_open() {
        let d = LanguageDetector::default();
        // Danish and Norwegian Bokmål share this sentence word for word.
        let open = d.assign(&[input("Vi ses i morgen.")], None, &[tag("da")]);
        let detection = &open.paragraphs[0].detection;
        assert_eq!((open.document.as_str(), detection.lang.as_str()), ("da", "da"));
        assert!(detection.confidence < 1.0 && detection.source != LangSource::Hint, "{detection:?}");
        let sure = "Le ministre a présenté aujourd'hui le plan de rénovation des écoles de la ville.";
        let decided = d.assign(&[input(sure)], None, &[tag("de")]);
        assert_eq!(decided.paragraphs[0].detection.lang.as_str(), "fr");
    }
}
