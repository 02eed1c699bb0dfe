//! Languages assigned paragraph by paragraph, for a text spoken as it is
//! planned: the opening is assigned before the rest is read.

use super::{
    rank, Context, Detection, LangSource, LanguageDetector, ParagraphInput, ParagraphLanguage, Ranking, SAMPLE_CHARS,
};
use crate::text::tag::LangTag;
use whatlang::Script;

/// Languages assigned paragraph by paragraph, in order, so that the
/// opening of a long text is assigned (and spoken) before the rest is read.
///
/// The document language is a guess over the text read so far, and at
/// least its first [`OPENING_SAMPLE`] characters; the guess is refined each
/// time the text read passes twice the sample, up to [`SAMPLE_CHARS`], so a
/// long document costs a few rankings of its opening. The first guess is
/// made from [`QUICK_SAMPLE`] characters where they are sure of their
/// language: ranking is most of what planning the opening costs, and the
/// first audio waits for it. Paragraphs already assigned keep their
/// language. Once [`SAMPLE_CHARS`] are read the guess is the one
/// [`LanguageDetector::assign`] makes over the whole text.
pub(crate) struct Progressive {
    detector: LanguageDetector,
    document_hint: Option<LangTag>,
    priors: Vec<LangTag>,
    /// A text of one paragraph is its own document: it inherits nothing.
    lone: bool,
    /// The first [`SAMPLE_CHARS`] characters of the whole text, and how many.
    sample: String,
    sample_chars: usize,
    /// Characters of `sample` the current guess was made from.
    sampled: usize,
    /// Characters of the text assigned so far.
    read: usize,
    /// The document language so far, with the script it was found in.
    document: Option<(LangTag, Option<Script>)>,
}

/// The languages a request prefers, as contexts of detection.
fn prior_contexts(priors: &[LangTag]) -> Vec<Context<'_>> {
    priors.iter().map(|lang| Context { lang, source: LangSource::Prior, script: None }).collect()
}

/// Characters of a document read for its first language guess.
const OPENING_SAMPLE: usize = 512;
/// Characters of a document read for its first language guess when they
/// are enough to be sure of it.
const QUICK_SAMPLE: usize = 128;

impl Progressive {
    pub(super) fn new<'t>(
        detector: LanguageDetector,
        texts: impl Iterator<Item = &'t str>,
        count: usize,
        document_hint: Option<LangTag>,
        priors: Vec<LangTag>,
    ) -> Self {
        let sample: String = texts.flat_map(|t| t.chars().chain([' '])).take(SAMPLE_CHARS).collect();
        let document = document_hint.clone().map(|hint| (hint, None));
        Self {
            detector,
            lone: count == 1 && document_hint.is_none(),
            document_hint,
            priors,
            sample_chars: sample.chars().count(),
            sample,
            sampled: 0,
            read: 0,
            document,
        }
    }

    /// The language of the next paragraph.
    pub(crate) fn next(&mut self, paragraph: &ParagraphInput<'_>) -> ParagraphLanguage {
        self.read += paragraph.text.chars().count() + 1;
        let ranking = rank(paragraph.text, self.detector.strategy);
        if !self.lone {
            self.refine_guess();
        }
        let request = prior_contexts(&self.priors);
        if self.lone {
            self.document = ranking.as_ref().map(|r| (self.detector.choose(r, &request).lang, None));
        }
        let inherited = self.document.iter().filter(|_| !self.lone);
        let mut context: Vec<Context<'_>> =
            inherited.map(|(lang, script)| Context { lang, source: LangSource::Inherited, script: *script }).collect();
        context.extend(request.iter().copied());
        let hint = paragraph.hint.as_ref().or(self.document_hint.as_ref());
        // A paragraph with no letters ("2023.", "—") is read in the language
        // it was given, else in the document's: its digits and signs are
        // words of that language.
        let detection = match (&ranking, hint) {
            (_, Some(hint)) => Detection { lang: hint.clone(), confidence: 1.0, source: LangSource::Hint },
            (Some(ranking), None) => self.detector.choose(ranking, &context),
            (None, None) => match context.iter().find(|c| c.source == LangSource::Inherited) {
                Some(document) => {
                    Detection { lang: document.lang.clone(), confidence: 0.0, source: LangSource::Inherited }
                }
                None => Detection { lang: LangTag::und(), confidence: 0.0, source: LangSource::NoLetters },
            },
        };
        let sentences =
            if hint.is_some() { None } else { self.detector.split_mixed(paragraph, &ranking, &detection, &context) };
        ParagraphLanguage { detection, sentences }
    }

    /// The document's language as guessed so far (`und` if nothing names one).
    pub(crate) fn document(&self) -> LangTag {
        self.document.as_ref().map_or_else(LangTag::und, |(lang, _)| lang.clone())
    }

    /// Guesses the document language again from a longer sample when the
    /// text read has grown past the last one.
    fn refine_guess(&mut self) {
        if self.document_hint.is_some() {
            return;
        }
        let sample_size =
            |least: usize| self.read.max(least).next_power_of_two().min(SAMPLE_CHARS).min(self.sample_chars);
        let wanted = sample_size(OPENING_SAMPLE);
        if wanted <= self.sampled {
            return;
        }
        let quick = sample_size(QUICK_SAMPLE);
        if self.sampled == 0 && quick < wanted {
            if let Some(ranking) = self.rank_sample(quick).filter(|r| self.detector.is_sure(r)) {
                self.sampled = quick;
                self.guess_from(&ranking);
                return;
            }
        }
        self.sampled = wanted;
        if let Some(ranking) = self.rank_sample(wanted) {
            self.guess_from(&ranking);
        }
    }

    /// The ranking of the sample's first `chars` characters.
    fn rank_sample(&self, chars: usize) -> Option<Ranking> {
        let end = self.sample.char_indices().nth(chars).map_or(self.sample.len(), |(at, _)| at);
        rank(&self.sample[..end], self.detector.strategy)
    }

    fn guess_from(&mut self, ranking: &Ranking) {
        let lang = self.detector.choose(ranking, &prior_contexts(&self.priors)).lang;
        self.document = Some((lang, Some(ranking.script)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(text: &str) -> ParagraphInput<'_> {
        ParagraphInput { text, sentences: vec![text], hint: None }
    }

    fn progressive(paragraphs: &[&str]) -> Progressive {
        LanguageDetector::default().progressive(paragraphs.iter().copied(), paragraphs.len(), None, Vec::new())
    }

    const FRENCH: &str = "Le ministre a présenté aujourd'hui le plan de rénovation des écoles de la ville, \
                          qui sera financé par la région et par l'État.";

    #[test]
    fn a_sure_opening_is_guessed_from_the_quick_sample() {
        let paragraphs = ["Merci.", FRENCH, FRENCH, FRENCH, FRENCH, FRENCH];
        let mut languages = progressive(&paragraphs);
        let opening = languages.next(&input(paragraphs[0]));
        assert_eq!((opening.detection.lang.as_str(), opening.detection.source), ("fr", LangSource::Inherited));
        assert_eq!(languages.sampled, QUICK_SAMPLE);
        languages.next(&input(paragraphs[1]));
        assert_eq!(languages.sampled, OPENING_SAMPLE, "refined from the opening sample after the opening");
    }

    #[test]
    fn an_unsure_quick_sample_reads_the_opening_sample() {
        // Few letters in the first 128 characters: not enough to be sure.
        let figures =
            "04 Apr. 2023 - 10:30 - 12 345 - 67 890 - 11 121 - 31 415 - 92 653 - 58 979 - 32 384 - 62 643 - 38 327";
        let paragraphs = [figures, FRENCH, FRENCH, FRENCH, FRENCH, FRENCH];
        let mut languages = progressive(&paragraphs);
        languages.next(&input(paragraphs[0]));
        assert_eq!(languages.sampled, OPENING_SAMPLE);
        assert_eq!(languages.document().as_str(), "fr");
    }
}
