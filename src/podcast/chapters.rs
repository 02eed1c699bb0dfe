//! Chapters of an episode, from its plan and timeline: one per section when
//! the statement has headings, else one per paragraph (a byline joins the
//! title's chapter). Written as Podcasting 2.0 JSON chapters here, and as
//! ID3 CHAP/CTOC frames by [`super::tags`].

use crate::speech::{Plan, Role, Timeline};
use serde::Serialize;

/// One chapter, in seconds from the episode's start.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Chapter {
    pub title: String,
    pub start: f64,
    pub end: f64,
}

/// Longest chapter title taken from a paragraph's text, in characters.
const TITLE_CHARS: usize = 72;

/// The chapters of a spoken plan; they cover the whole timeline, in order.
pub(crate) fn chapters(plan: &Plan, timeline: &Timeline) -> Vec<Chapter> {
    let sections = plan.paragraphs.iter().any(|p| p.role == Role::Heading);
    let mut out: Vec<Chapter> = Vec::new();
    for timing in &timeline.paragraphs {
        let paragraph = &plan.paragraphs[timing.index];
        let starts_chapter = match paragraph.role {
            Role::Byline => false,
            Role::Heading | Role::Title => true,
            _ => !sections,
        };
        if starts_chapter || out.is_empty() {
            let start = if out.is_empty() { 0.0 } else { timing.start };
            out.push(Chapter { title: title_of(&paragraph.text), start, end: timeline.duration });
        }
    }
    let starts: Vec<f64> = out.iter().skip(1).map(|c| c.start).collect();
    for (chapter, next) in out.iter_mut().zip(starts) {
        chapter.end = next;
    }
    out
}

/// A short title for a paragraph: its first sentence, cut at a word.
fn title_of(text: &str) -> String {
    let first = crate::text::split_sentences(text).into_iter().next().map_or(text.to_string(), |s| s.text);
    let first = first.trim();
    if first.chars().count() <= TITLE_CHARS {
        return first.to_string();
    }
    let cut: String = first.chars().take(TITLE_CHARS).collect();
    let at_word = cut.rfind(' ').filter(|&i| i > TITLE_CHARS / 2).map_or(cut.as_str(), |i| &cut[..i]);
    format!("{}…", at_word.trim_end_matches([',', ';', ':', ' ']))
}

/// Podcasting 2.0 JSON chapters (`application/json+chapters`, version 1.2.0).
pub(crate) fn to_json(chapters: &[Chapter]) -> Vec<u8> {
    let chapters: Vec<serde_json::Value> = chapters
        .iter()
        .map(|c| serde_json::json!({ "startTime": millis(c.start), "endTime": millis(c.end), "title": c.title }))
        .collect();
    let mut json = serde_json::to_vec_pretty(&serde_json::json!({ "version": "1.2.0", "chapters": chapters }))
        .expect("chapters serialize");
    json.push(b'\n');
    json
}

/// Seconds rounded to the millisecond (what ID3 chapters can carry).
pub(crate) fn millis(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::speech::timeline::{ParagraphTiming, SentenceTiming};
    use crate::speech::{Paragraph, PlannedSentence};
    use crate::text::{LangSource, LangTag};
    use crate::voice::VoiceId;

    /// A plan of paragraphs with these roles and texts, spoken one second each.
    pub(crate) fn spoken(paragraphs: &[(Role, &str)]) -> (Plan, Timeline) {
        let lang = LangTag::parse("en").unwrap();
        let voice = VoiceId::parse("espeak:en").unwrap();
        let plan = Plan {
            title: None,
            meta: Vec::new(),
            lang: lang.clone(),
            rate: Default::default(),
            pitch: Default::default(),
            paragraphs: paragraphs
                .iter()
                .enumerate()
                .map(|(index, (role, text))| Paragraph {
                    index,
                    role: *role,
                    text: text.to_string(),
                    lang: lang.clone(),
                    confidence: 1.0,
                    lang_source: LangSource::Detected,
                    voice: voice.clone(),
                    delivery: Default::default(),
                    sentences: vec![PlannedSentence {
                        text: text.to_string(),
                        start: 0,
                        end: text.chars().count(),
                        lang: lang.clone(),
                        voice: voice.clone(),
                        reading: None,
                        reading_spans: Vec::new(),
                    }],
                })
                .collect(),
        };
        let timeline = Timeline {
            marks: Vec::new(),
            duration: paragraphs.len() as f64,
            paragraphs: (0..paragraphs.len())
                .map(|index| {
                    let (start, end) = (index as f64 + 0.1, index as f64 + 0.9);
                    let text_end = paragraphs[index].1.chars().count();
                    let sentence = SentenceTiming { index: 0, start, end, text_start: 0, text_end, words: Vec::new() };
                    ParagraphTiming { index, start, end, sentences: vec![sentence] }
                })
                .collect(),
        };
        (plan, timeline)
    }

    #[test]
    fn a_chapter_per_paragraph_without_headings() {
        let (plan, timeline) = spoken(&[
            (Role::Title, "Joint statement"),
            (Role::Byline, "By the ministers"),
            (Role::Body, "First point. And more."),
            (Role::Body, "Second point."),
        ]);
        let chapters = chapters(&plan, &timeline);
        let titles: Vec<&str> = chapters.iter().map(|c| c.title.as_str()).collect();
        assert_eq!(titles, ["Joint statement", "First point.", "Second point."]);
        assert_eq!((chapters[0].start, chapters[0].end), (0.0, 2.1));
        assert_eq!((chapters[2].start, chapters[2].end), (3.1, 4.0));
    }

    #[test]
    fn a_chapter_per_section_with_headings() {
        let long = "word ".repeat(40);
        let (plan, timeline) = spoken(&[
            (Role::Body, long.as_str()),
            (Role::Heading, "Defence"),
            (Role::Body, "A."),
            (Role::Body, "B."),
            (Role::Heading, "Trade"),
        ]);
        let chapters = chapters(&plan, &timeline);
        let titles: Vec<&str> = chapters.iter().map(|c| c.title.as_str()).collect();
        assert_eq!(titles.len(), 3);
        assert!(titles[0].ends_with('…') && titles[0].chars().count() <= TITLE_CHARS + 1, "{}", titles[0]);
        assert_eq!(&titles[1..], ["Defence", "Trade"]);
        let json: serde_json::Value = serde_json::from_slice(&to_json(&chapters)).unwrap();
        assert_eq!(json["version"], "1.2.0");
        assert_eq!(json["chapters"][1]["startTime"], 1.1);
        assert_eq!(json["chapters"][2]["title"], "Trade");
    }
}
