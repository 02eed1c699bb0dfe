//! Timelines: when each paragraph, sentence and word of a plan is heard in
//! the audio of a speech stream, built from the stream's own events (so the
//! times include pauses and match the audio byte for byte), plus WebVTT.

use super::events::SpeechEvent;
use super::plan::{Plan, Utterance};
use crate::engine::MarkKind;
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// Times of a whole stream, in seconds from its start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct Timeline {
    pub(crate) duration: f64,
    pub(crate) paragraphs: Vec<ParagraphTiming>,
    /// Where the source's named marks (SSML `mark`) are heard.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) marks: Vec<MarkTiming>,
}

/// A named mark and when it is heard: at the first word from its place in
/// the text (or the end of its paragraph, when no word follows it there).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct MarkTiming {
    pub(crate) name: String,
    pub(crate) paragraph: usize,
    pub(crate) time: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct ParagraphTiming {
    pub(crate) index: usize,
    pub(crate) start: f64,
    pub(crate) end: f64,
    pub(crate) sentences: Vec<SentenceTiming>,
}

/// Text offsets count chars (Unicode scalar values) in the paragraph text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct SentenceTiming {
    pub(crate) index: usize,
    pub(crate) start: f64,
    pub(crate) end: f64,
    pub(crate) text_start: usize,
    pub(crate) text_end: usize,
    pub(crate) words: Vec<WordTiming>,
}

/// A finished sentence of a timeline that is still growing: its paragraph
/// and its timing. A timeline is these, in order, plus the duration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct TimedSentence {
    pub(crate) paragraph: usize,
    #[serde(flatten)]
    pub(crate) sentence: SentenceTiming,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct WordTiming {
    pub(crate) start: f64,
    pub(crate) end: f64,
    pub(crate) text_start: usize,
    pub(crate) text_end: usize,
}

/// Builds a [`Timeline`] from the events of `speaker.speak(utterances)`.
/// Audio is only counted, never kept.
pub(crate) struct TimelineBuilder<'a> {
    plan: &'a Plan,
    utterances: &'a [Utterance],
    sample_rate: f64,
    samples: u64,
    paragraphs: Vec<ParagraphTiming>,
}

impl<'a> TimelineBuilder<'a> {
    pub(crate) fn new(plan: &'a Plan, utterances: &'a [Utterance], sample_rate: u32) -> Self {
        Self { plan, utterances, sample_rate: sample_rate as f64, samples: 0, paragraphs: Vec::new() }
    }

    fn seconds(&self, sample: u64) -> f64 {
        (sample as f64 / self.sample_rate * 1000.0).round() / 1000.0
    }

    pub(crate) fn push(&mut self, event: &SpeechEvent) {
        match event {
            SpeechEvent::Audio(chunk) => self.samples += chunk.len() as u64,
            SpeechEvent::Utterance { index, start_sample, .. } => {
                let utterance = &self.utterances[*index];
                let start = self.seconds(*start_sample);
                if self.paragraphs.last().is_none_or(|p| p.index != utterance.paragraph) {
                    self.paragraphs.push(ParagraphTiming {
                        index: utterance.paragraph,
                        start,
                        end: start,
                        sentences: Vec::new(),
                    });
                }
                let sentence = &self.plan.paragraphs[utterance.paragraph].sentences[utterance.sentence];
                let paragraph = self.paragraphs.last_mut().expect("pushed above");
                paragraph.sentences.push(SentenceTiming {
                    index: utterance.sentence,
                    start,
                    end: start,
                    text_start: sentence.start,
                    text_end: sentence.end,
                    words: Vec::new(),
                });
            }
            SpeechEvent::Mark { index, mark } if mark.kind == MarkKind::Word => {
                let at = self.seconds(mark.sample);
                let utterance = &self.utterances[*index];
                let planned = &self.plan.paragraphs[utterance.paragraph].sentences[utterance.sentence];
                let (word, len) = planned.displayed_word(mark.text_offset as usize, mark.text_len as usize);
                if let Some(sentence) = self.open_sentence(utterance) {
                    let offset = sentence.text_start + word;
                    sentence.words.push(WordTiming {
                        start: at,
                        end: at,
                        text_start: offset,
                        text_end: (offset + len).min(sentence.text_end),
                    });
                }
            }
            SpeechEvent::UtteranceEnd { index, end_sample } => {
                let end = self.seconds(*end_sample);
                let utterance = &self.utterances[*index];
                if let Some(sentence) = self.open_sentence(utterance) {
                    sentence.end = end;
                    // Each word lasts until the next one starts, the last until the sentence ends.
                    let starts: Vec<f64> = sentence.words.iter().skip(1).map(|w| w.start).chain([end]).collect();
                    for (word, next) in sentence.words.iter_mut().zip(starts) {
                        word.end = next.max(word.start);
                    }
                }
                if let Some(paragraph) = self.paragraphs.last_mut() {
                    paragraph.end = end;
                }
            }
            _ => {}
        }
    }

    /// The sentence that the last event ended, if it was an `UtteranceEnd`
    /// (call right after pushing one).
    pub(crate) fn last_finished(&self) -> Option<TimedSentence> {
        let paragraph = self.paragraphs.last()?;
        Some(TimedSentence { paragraph: paragraph.index, sentence: paragraph.sentences.last()?.clone() })
    }

    fn open_sentence(&mut self, utterance: &Utterance) -> Option<&mut SentenceTiming> {
        let paragraph = self.paragraphs.last_mut().filter(|p| p.index == utterance.paragraph)?;
        paragraph.sentences.last_mut().filter(|s| s.index == utterance.sentence)
    }

    pub(crate) fn finish(self) -> Timeline {
        let timeline =
            Timeline { duration: self.seconds(self.samples), paragraphs: self.paragraphs, marks: Vec::new() };
        timeline.with_marks(self.plan)
    }
}

impl Timeline {
    /// The timeline made of finished sentences, in order.
    pub(crate) fn from_sentences(sentences: &[TimedSentence], duration: f64) -> Self {
        let mut paragraphs: Vec<ParagraphTiming> = Vec::new();
        for TimedSentence { paragraph, sentence } in sentences {
            match paragraphs.last_mut().filter(|p| p.index == *paragraph) {
                Some(open) => {
                    open.end = sentence.end;
                    open.sentences.push(sentence.clone());
                }
                None => paragraphs.push(ParagraphTiming {
                    index: *paragraph,
                    start: sentence.start,
                    end: sentence.end,
                    sentences: vec![sentence.clone()],
                }),
            }
        }
        Self { duration, paragraphs, marks: Vec::new() }
    }

    /// This timeline with the plan's named marks placed on it.
    fn with_marks(mut self, plan: &Plan) -> Self {
        self.marks = self
            .paragraphs
            .iter()
            .flat_map(|timing| {
                plan.paragraphs[timing.index].delivery.marks.iter().map(move |mark| {
                    let words = timing.sentences.iter().flat_map(|s| &s.words);
                    let time = words
                        .map(|w| (w.text_start, w.start))
                        .chain(timing.sentences.iter().map(|s| (s.text_start, s.start)))
                        .filter(|(at, _)| *at >= mark.offset)
                        .map(|(_, time)| time)
                        .reduce(f64::min)
                        .unwrap_or(timing.end);
                    MarkTiming { name: mark.name.clone(), paragraph: timing.index, time }
                })
            })
            .collect();
        self
    }

    /// The finished sentences, in order (the inverse of [`Timeline::from_sentences`]).
    pub(crate) fn sentences(&self) -> impl Iterator<Item = TimedSentence> + '_ {
        self.paragraphs
            .iter()
            .flat_map(|p| p.sentences.iter().map(move |s| TimedSentence { paragraph: p.index, sentence: s.clone() }))
    }

    /// WebVTT captions: one cue per sentence, with a timestamp before each word.
    pub(crate) fn to_vtt(&self, plan: &Plan) -> String {
        let mut vtt = String::from("WEBVTT\n");
        let mut cue = 0;
        for paragraph in &self.paragraphs {
            let chars: Vec<char> = plan.paragraphs[paragraph.index].text.chars().collect();
            for sentence in &paragraph.sentences {
                cue += 1;
                let _ = write!(
                    vtt,
                    "\n{cue}\n{} --> {}\n",
                    vtt_time(sentence.start),
                    vtt_time(sentence.end.max(sentence.start + 0.001))
                );
                let mut cursor = sentence.text_start;
                for word in &sentence.words {
                    if word.text_start < cursor || word.text_start > sentence.text_end {
                        continue;
                    }
                    vtt.push_str(&escape(&chars[cursor..word.text_start]));
                    if word.start > sentence.start {
                        let _ = write!(vtt, "<{}>", vtt_time(word.start));
                    }
                    cursor = word.text_start;
                }
                vtt.push_str(&escape(&chars[cursor..sentence.text_end.min(chars.len())]));
                vtt.push('\n');
            }
        }
        vtt
    }
}

fn vtt_time(seconds: f64) -> String {
    let ms = (seconds * 1000.0).round() as u64;
    format!("{:02}:{:02}:{:02}.{:03}", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
}

/// Cue text escaping (WebVTT §4.2.2): `&`, `<` and `>` become references, and
/// line breaks become spaces so text can never end a cue.
fn escape(chars: &[char]) -> String {
    let mut out = String::with_capacity(chars.len());
    for &c in chars {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentence(index: usize, start: f64, end: f64) -> SentenceTiming {
        SentenceTiming { index, start, end, text_start: 0, text_end: 1, words: Vec::new() }
    }

    #[test]
    fn a_timeline_is_its_sentences_in_order() {
        let timeline = Timeline {
            marks: Vec::new(),
            duration: 9.0,
            paragraphs: vec![
                ParagraphTiming { index: 0, start: 0.0, end: 2.0, sentences: vec![sentence(0, 0.0, 2.0)] },
                ParagraphTiming {
                    index: 2,
                    start: 2.7,
                    end: 9.0,
                    sentences: vec![sentence(0, 2.7, 5.0), sentence(1, 5.0, 9.0)],
                },
            ],
        };
        let sentences: Vec<TimedSentence> = timeline.sentences().collect();
        assert_eq!(sentences.len(), 3);
        assert_eq!(Timeline::from_sentences(&sentences, 9.0), timeline);
    }

    #[test]
    fn formats_vtt_times_and_escapes_text() {
        assert_eq!(vtt_time(3725.0456), "01:02:05.046");
        assert_eq!(escape(&"a<b>&c-->d".chars().collect::<Vec<_>>()), "a&lt;b&gt;&amp;c--&gt;d");
    }
}
