//! Planning: document + options → paragraphs with sentences, languages and
//! voices, and from there the ordered list of utterances to speak.
//!
//! By default the title and byline are spoken before the body; dates and
//! editorial notes stay in `meta` (shown on pages, not spoken).

use super::options::{Pitch, Rate, SpeechOptions};
use crate::document::{BlockKind, Document, MetaLine};
use crate::text::{split_sentences, Detection, LangSource, LangTag, LanguageDetector, ParagraphInput, Sentence};
use crate::voice::{Catalog, Quality, VoiceError, VoiceId};
use serde::{Deserialize, Serialize};

/// What a paragraph is in the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Title,
    Byline,
    Heading,
    Body,
    ListItem,
    Quote,
}

/// One sentence with its language and voice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedSentence {
    pub text: String,
    /// Char offsets into the paragraph text.
    pub start: usize,
    pub end: usize,
    pub lang: LangTag,
    pub voice: VoiceId,
}

/// One spoken paragraph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paragraph {
    pub index: usize,
    pub role: Role,
    pub text: String,
    pub lang: LangTag,
    pub confidence: f32,
    pub lang_source: LangSource,
    pub voice: VoiceId,
    pub sentences: Vec<PlannedSentence>,
}

/// Everything needed to speak (and show) a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub title: Option<String>,
    pub meta: Vec<MetaLine>,
    /// The document's language.
    pub lang: LangTag,
    pub rate: Rate,
    pub pitch: Pitch,
    pub paragraphs: Vec<Paragraph>,
}

/// One engine call: a sentence in a voice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Utterance {
    pub paragraph: usize,
    pub sentence: usize,
    pub text: String,
    pub voice: VoiceId,
    pub rate: Rate,
    pub pitch: Pitch,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    #[error(transparent)]
    Voice(#[from] VoiceError),
}

/// Makes plans. Holds the catalog and detector; cheap to build per request.
pub struct Planner<'a> {
    pub catalog: &'a Catalog,
    pub detector: &'a LanguageDetector,
}

impl Planner<'_> {
    pub fn plan(&self, document: &Document, options: &SpeechOptions) -> Result<Plan, PlanError> {
        let spoken = spoken_blocks(document);
        let sentences: Vec<Vec<Sentence>> = spoken.iter().map(|(_, text, _)| split_sentences(text)).collect();
        let inputs: Vec<ParagraphInput<'_>> = spoken
            .iter()
            .zip(&sentences)
            .map(|((_, text, hint), s)| ParagraphInput {
                text,
                sentences: s.iter().map(|s| s.text.as_str()).collect(),
                hint: hint.clone(),
            })
            .collect();
        let languages = self.detector.assign(&inputs, options.lang.as_ref());
        let quality = options.quality.unwrap_or(Quality::Fast);
        let mut paragraphs = Vec::with_capacity(spoken.len());
        for (index, (((role, text, _), sentences), language)) in
            spoken.into_iter().zip(sentences).zip(languages.paragraphs).enumerate()
        {
            let Detection { lang, confidence, source } = language.detection;
            let voice = self.catalog.select(&lang, options.voice.as_ref(), quality)?.id.clone();
            let mut planned = Vec::with_capacity(sentences.len());
            for (i, s) in sentences.into_iter().enumerate() {
                let sentence_lang = language.sentences.as_ref().map_or(&lang, |per| &per[i].lang);
                let sentence_voice = self.catalog.select(sentence_lang, options.voice.as_ref(), quality)?.id.clone();
                planned.push(PlannedSentence {
                    text: s.text,
                    start: s.start,
                    end: s.end,
                    lang: sentence_lang.clone(),
                    voice: sentence_voice,
                });
            }
            paragraphs.push(Paragraph {
                index,
                role,
                text,
                lang,
                confidence,
                lang_source: source,
                voice,
                sentences: planned,
            });
        }
        Ok(Plan {
            title: document.title.clone(),
            meta: document.meta.clone(),
            lang: languages.document,
            rate: options.rate,
            pitch: options.pitch,
            paragraphs,
        })
    }
}

/// The blocks that are spoken, in order: title, bylines, then the body.
fn spoken_blocks(document: &Document) -> Vec<(Role, String, Option<LangTag>)> {
    let title = document.title.iter().map(|t| (Role::Title, t.clone(), None));
    let bylines = document.meta.iter().filter(|m| m.kind.is_spoken()).map(|m| (Role::Byline, m.text.clone(), None));
    let body = document.blocks.iter().map(|b| {
        let role = match b.kind {
            BlockKind::Heading { .. } => Role::Heading,
            BlockKind::Paragraph => Role::Body,
            BlockKind::ListItem => Role::ListItem,
            BlockKind::Quote => Role::Quote,
        };
        (role, b.text.clone(), b.lang.clone())
    });
    title.chain(bylines).chain(body).collect()
}

impl Plan {
    /// The utterances of the whole document, in speaking order.
    pub fn utterances(&self) -> Vec<Utterance> {
        self.paragraphs.iter().flat_map(|p| self.paragraph_utterances(p)).collect()
    }

    /// The utterances of one paragraph.
    pub fn paragraph_utterances(&self, paragraph: &Paragraph) -> Vec<Utterance> {
        paragraph
            .sentences
            .iter()
            .enumerate()
            .map(|(i, s)| Utterance {
                paragraph: paragraph.index,
                sentence: i,
                text: s.text.clone(),
                voice: s.voice.clone(),
                rate: self.rate,
                pitch: self.pitch,
            })
            .collect()
    }

    /// Body paragraphs only (not title, byline or headings).
    pub fn body(&self) -> impl Iterator<Item = &Paragraph> {
        self.paragraphs.iter().filter(|p| p.role == Role::Body)
    }
}
