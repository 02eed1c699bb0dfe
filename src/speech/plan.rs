//! Planning: document + options → paragraphs with sentences, languages and
//! voices, and from there the ordered list of utterances to speak.
//!
//! By default the title and byline are spoken before the body; dates and
//! editorial notes stay in `meta` (shown on pages, not spoken).

use super::options::{Pitch, Rate, SpeechOptions, VoiceScope};
use crate::document::{Block, BlockKind, Document, MetaLine, Speaking, TextMark};
use crate::text::reading::displayed;
use crate::text::{
    split_sentences, Detection, LangSource, LangTag, LanguageDetector, ParagraphInput, Progressive, Readers,
    ReadingSpan,
};
use crate::voice::{Catalog, Quality, VoiceError, VoiceId};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What a paragraph is in the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlannedSentence {
    pub text: String,
    /// Char offsets into the paragraph text.
    pub start: usize,
    pub end: usize,
    #[schema(value_type = String)]
    pub lang: LangTag,
    #[schema(value_type = String)]
    pub(crate) voice: VoiceId,
    /// The text handed to the engine, where it differs from `text`: kana
    /// for Japanese, numbered pinyin for Mandarin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) reading: Option<String>,
    /// Where each piece of `reading` comes from in `text`, so that word
    /// timings the engine reports in the reading land on displayed words.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) reading_spans: Vec<ReadingSpan>,
}

impl PlannedSentence {
    /// The displayed word (char offset and length in `text`) of the word
    /// the engine reported at `offset` for `len` chars in what it was handed.
    pub(crate) fn displayed_word(&self, offset: usize, len: usize) -> (usize, usize) {
        match displayed(&self.reading_spans, offset as u32) {
            Some((at, len)) if self.reading.is_some() => (at as usize, len as usize),
            _ => (offset, len),
        }
    }
}

/// One spoken paragraph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paragraph {
    pub(crate) index: usize,
    pub role: Role,
    pub text: String,
    pub lang: LangTag,
    pub(crate) confidence: f32,
    pub(crate) lang_source: LangSource,
    pub voice: VoiceId,
    pub sentences: Vec<PlannedSentence>,
    /// How the source asks for it to be spoken (SSML), if it does.
    #[serde(default, skip_serializing_if = "Delivery::is_default")]
    pub(crate) delivery: Delivery,
}

/// A paragraph's own rate, pitch, pause after it and named marks, where
/// its source (SSML) sets them; otherwise the plan's apply.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Delivery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) rate: Option<Rate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pitch: Option<Pitch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pause_after_ms: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) marks: Vec<TextMark>,
}

impl Delivery {
    fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// The delivery a block asks for, on top of the request's options.
    fn of(speaking: &Speaking, options: &SpeechOptions) -> Self {
        let scale = |value: u32, factor: Option<f32>, (min, max): (u32, u32)| {
            factor.map(|f| ((value as f32 * f).round() as u32).clamp(min, max))
        };
        Self {
            rate: scale(options.rate.wpm(), speaking.rate, (Rate::MIN, Rate::MAX)).and_then(|r| Rate::new(r).ok()),
            pitch: scale(options.pitch.value(), speaking.pitch, (0, 100)).and_then(|p| Pitch::new(p).ok()),
            pause_after_ms: speaking.pause_after_ms,
            marks: speaking.marks.clone(),
        }
    }
}

/// Everything needed to speak (and show) a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub title: Option<String>,
    pub meta: Vec<MetaLine>,
    /// The document's language.
    pub lang: LangTag,
    pub(crate) rate: Rate,
    pub(crate) pitch: Pitch,
    pub paragraphs: Vec<Paragraph>,
}

/// One engine call: a sentence in a voice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Utterance {
    pub(crate) paragraph: usize,
    pub(crate) sentence: usize,
    pub text: String,
    pub voice: VoiceId,
    pub(crate) rate: Rate,
    pub(crate) pitch: Pitch,
    /// Silence after it, where the source asks for one (an SSML `break`);
    /// otherwise the pause between paragraphs applies.
    pub(crate) pause_after_ms: Option<u32>,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    #[error(transparent)]
    Voice(#[from] VoiceError),
}

/// Makes plans. Holds the catalog, detector and reading front ends; cheap
/// to clone.
#[derive(Clone)]
pub(crate) struct Planner {
    pub(crate) catalog: Arc<Catalog>,
    pub(crate) detector: LanguageDetector,
    pub(crate) readers: Arc<Readers>,
}

impl Planner {
    /// The whole plan of a document.
    pub(crate) fn plan(&self, document: Document, options: &SpeechOptions) -> Result<Plan, PlanError> {
        let mut cursor = self.cursor(document, options);
        let mut paragraphs = Vec::new();
        while let Some(paragraph) = cursor.next_paragraph() {
            paragraphs.push(paragraph?);
        }
        Ok(cursor.into_plan(paragraphs))
    }

    /// Plans `document` paragraph by paragraph, in speaking order.
    pub(crate) fn cursor(&self, document: Document, options: &SpeechOptions) -> PlanCursor {
        let Document { title, meta, blocks } = document;
        let blocks = spoken_blocks(title.as_ref(), &meta, blocks);
        let detector = LanguageDetector { mixed: options.mixed_sentences, ..self.detector.clone() };
        let languages = detector.progressive(
            blocks.iter().map(|b| b.text.as_str()),
            blocks.len(),
            options.lang.clone(),
            options.lang_priors.clone(),
        );
        PlanCursor {
            planner: self.clone(),
            options: options.clone(),
            blocks: blocks.into_iter().enumerate(),
            languages,
            title,
            meta,
        }
    }

    /// The voice for text in `lang`: the `explicit` one where its scope
    /// covers `lang`, else the best of `quality` (of the explicit voice's
    /// tier, if one was named), or the `variant`-th of the best where no
    /// voice is named and a variant is.
    fn voice(
        &self,
        lang: &LangTag,
        explicit: Option<&VoiceId>,
        scope: VoiceScope,
        variant: Option<usize>,
        quality: Quality,
    ) -> Result<&crate::voice::Voice, VoiceError> {
        let named = explicit.and_then(|id| self.catalog.get(id));
        match (named, scope, variant) {
            (Some(voice), VoiceScope::ItsLanguages, _)
                if !lang.is_und() && !voice.languages.iter().any(|l| l.primary() == lang.primary()) =>
            {
                self.catalog.select(lang, None, voice.quality)
            }
            (None, _, Some(variant)) if explicit.is_none() => {
                self.catalog.variant(lang, variant).ok_or_else(|| VoiceError::NoneForLanguage(lang.to_string()))
            }
            _ => self.catalog.select(lang, explicit, quality),
        }
    }
}

/// A document being planned, a paragraph at a time: the opening of a long
/// text is planned (its language detected, its voices chosen) and can be
/// spoken before the rest is read. Paragraphs come out exactly as the
/// whole [`Plan`] has them.
pub(crate) struct PlanCursor {
    planner: Planner,
    options: SpeechOptions,
    blocks: std::iter::Enumerate<std::vec::IntoIter<SpokenBlock>>,
    languages: Progressive,
    title: Option<String>,
    meta: Vec<MetaLine>,
}

impl PlanCursor {
    /// The next paragraph, or `None` once all are planned.
    pub(crate) fn next_paragraph(&mut self) -> Option<Result<Paragraph, PlanError>> {
        let (index, block) = self.blocks.next()?;
        Some(self.paragraph(index, block))
    }

    /// The paragraphs still to plan.
    pub(crate) fn remaining(&self) -> usize {
        self.blocks.len()
    }

    /// The document's language as guessed from what is planned so far.
    pub(crate) fn document_lang(&self) -> LangTag {
        self.languages.document()
    }

    /// The rate and pitch the plan speaks at, where a paragraph sets none.
    pub(crate) fn delivery(&self) -> (Rate, Pitch) {
        (self.options.rate, self.options.pitch)
    }

    /// The plan of `paragraphs`, all this cursor planned.
    fn into_plan(self, paragraphs: Vec<Paragraph>) -> Plan {
        Plan {
            lang: self.languages.document(),
            title: self.title,
            meta: self.meta,
            rate: self.options.rate,
            pitch: self.options.pitch,
            paragraphs,
        }
    }

    fn paragraph(&mut self, index: usize, block: SpokenBlock) -> Result<Paragraph, PlanError> {
        let sentences = split_sentences(&block.text);
        let input = ParagraphInput {
            text: &block.text,
            sentences: sentences.iter().map(|s| s.text.as_str()).collect(),
            hint: block.lang.clone(),
        };
        let language = self.languages.next(&input);
        let (options, planner) = (&self.options, &self.planner);
        let quality = options.quality.unwrap_or(Quality::Fast);
        let Detection { lang, confidence, source } = language.detection;
        // A voice the source names (SSML `voice`) is used where Herald has it.
        let named = block.speaking.voice.as_deref().and_then(|v| VoiceId::parse(v).ok());
        let explicit = named.filter(|v| planner.catalog.get(v).is_some()).or_else(|| options.voice.clone());
        let voice = planner.voice(&lang, explicit.as_ref(), options.voice_scope, options.variant, quality)?.id.clone();
        let mut planned = Vec::with_capacity(sentences.len());
        for (i, s) in sentences.into_iter().enumerate() {
            let sentence_lang = language.sentences.as_ref().map_or(&lang, |per| &per[i].lang);
            let sentence_voice =
                planner.voice(sentence_lang, explicit.as_ref(), options.voice_scope, options.variant, quality)?;
            let reading = sentence_voice.reads.and_then(|script| planner.readers.read(&s.text, script));
            planned.push(PlannedSentence {
                start: s.start,
                end: s.end,
                lang: sentence_lang.clone(),
                voice: sentence_voice.id.clone(),
                reading_spans: reading.as_ref().map(|r| r.spans.clone()).unwrap_or_default(),
                reading: reading.map(|r| r.text),
                text: s.text,
            });
        }
        Ok(Paragraph {
            index,
            role: block.role,
            delivery: Delivery::of(&block.speaking, options),
            text: block.text,
            lang,
            confidence,
            lang_source: source,
            voice,
            sentences: planned,
        })
    }
}

/// A block to speak, as the planner reads it.
struct SpokenBlock {
    role: Role,
    text: String,
    lang: Option<LangTag>,
    speaking: Speaking,
}

/// The blocks that are spoken, in order: title, bylines, then the body
/// (taken, not copied: a long text is mostly its body).
fn spoken_blocks(title: Option<&String>, meta: &[MetaLine], body: Vec<Block>) -> Vec<SpokenBlock> {
    let plain =
        |role, text: &String| SpokenBlock { role, text: text.clone(), lang: None, speaking: Speaking::default() };
    let title = title.map(|t| plain(Role::Title, t)).into_iter();
    let bylines = meta.iter().filter(|m| m.kind.is_spoken()).map(|m| plain(Role::Byline, &m.text));
    let body = body.into_iter().map(|b| {
        let role = match b.kind {
            BlockKind::Heading { .. } => Role::Heading,
            BlockKind::Paragraph => Role::Body,
            BlockKind::ListItem => Role::ListItem,
            BlockKind::Quote => Role::Quote,
        };
        SpokenBlock { role, text: b.text, lang: b.lang, speaking: b.speaking }
    });
    title.chain(bylines).chain(body).collect()
}

impl Plan {
    /// The voices that speak it, in speaking order (a voice again only
    /// after another one).
    pub(crate) fn voices(&self) -> Vec<&str> {
        let mut voices: Vec<&str> =
            self.paragraphs.iter().flat_map(|p| &p.sentences).map(|s| s.voice.as_str()).collect();
        voices.dedup();
        voices
    }

    /// The utterances of the whole document, in speaking order.
    pub fn utterances(&self) -> Vec<Utterance> {
        self.paragraphs.iter().flat_map(|p| self.paragraph_utterances(p)).collect()
    }

    /// The utterances of one paragraph.
    pub fn paragraph_utterances(&self, paragraph: &Paragraph) -> Vec<Utterance> {
        paragraph_utterances(paragraph, self.rate, self.pitch)
    }

    /// Body paragraphs only (not title, byline or headings).
    pub fn body(&self) -> impl Iterator<Item = &Paragraph> {
        self.paragraphs.iter().filter(|p| p.role == Role::Body)
    }
}

/// The utterances of one paragraph of a plan spoken at `rate` and `pitch`
/// (where the paragraph sets none).
pub(crate) fn paragraph_utterances(paragraph: &Paragraph, rate: Rate, pitch: Pitch) -> Vec<Utterance> {
    let last = paragraph.sentences.len().saturating_sub(1);
    paragraph
        .sentences
        .iter()
        .enumerate()
        .map(|(i, s)| Utterance {
            paragraph: paragraph.index,
            sentence: i,
            text: s.reading.clone().unwrap_or_else(|| s.text.clone()),
            voice: s.voice.clone(),
            rate: paragraph.delivery.rate.unwrap_or(rate),
            pitch: paragraph.delivery.pitch.unwrap_or(pitch),
            pause_after_ms: paragraph.delivery.pause_after_ms.filter(|_| i == last),
        })
        .collect()
}
