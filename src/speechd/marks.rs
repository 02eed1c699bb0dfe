//! Where a message's SSML marks fall in its audio.
//!
//! A mark is reached as the timeline places it: at the first word that
//! starts at or after its place in the text, or at the end of its
//! paragraph when no word follows it there. Speech Dispatcher's own marks
//! (`__spd_N`, after each sentence) therefore come between the sentences'
//! audio. Marks are handed out once each, in text order.

use crate::speech::Plan;
use std::collections::VecDeque;

/// A message's marks not yet reached.
#[derive(Debug)]
pub(crate) struct MarkSchedule {
    /// (paragraph, char offset in its text, name), in speaking order.
    pending: VecDeque<(usize, usize, String)>,
}

impl MarkSchedule {
    pub(crate) fn new(plan: &Plan) -> Self {
        let mut pending = Vec::new();
        for paragraph in &plan.paragraphs {
            let mut marks: Vec<_> = paragraph.delivery.marks.iter().collect();
            marks.sort_by_key(|m| m.offset);
            pending.extend(marks.into_iter().map(|m| (paragraph.index, m.offset, m.name.clone())));
        }
        Self { pending: pending.into() }
    }

    /// The marks reached once speech is at char `offset` of paragraph
    /// `paragraph`: every mark of the paragraphs before it, and its own up
    /// to `offset`.
    pub(crate) fn reached(&mut self, paragraph: usize, offset: usize) -> Vec<String> {
        let mut names = Vec::new();
        while let Some((at, from, _)) = self.pending.front() {
            if *at > paragraph || (*at == paragraph && *from > offset) {
                break;
            }
            names.extend(self.pending.pop_front().map(|(_, _, name)| name));
        }
        names
    }

    /// The marks left when the speech is over.
    pub(crate) fn rest(&mut self) -> Vec<String> {
        self.pending.drain(..).map(|(_, _, name)| name).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::InputFormat;
    use crate::pipeline::planning::Planning;
    use crate::settings::Settings;
    use crate::speech::SpeechOptions;

    fn plan(ssml: &str) -> Plan {
        let planning = Planning::open(&Settings::default().fast_only()).unwrap();
        let options = SpeechOptions { lang: Some(crate::text::LangTag::parse("en").unwrap()), ..Default::default() };
        planning.plan(ssml, InputFormat::Ssml, &options).unwrap()
    }

    #[test]
    fn marks_come_in_text_order_as_the_speech_reaches_them() {
        let plan = plan(
            "<speak><p>One two.<mark name=\"__spd_0\"/> Three <mark name=\"mid\"/>four.</p>\
             <p>Five.<mark name=\"last\"/></p><p>Six.</p></speak>",
        );
        let mut marks = MarkSchedule::new(&plan);
        assert!(marks.reached(0, 0).is_empty());
        let three = plan.paragraphs[0].sentences[1].start;
        assert_eq!(marks.reached(0, three), ["__spd_0"]);
        assert!(marks.reached(0, three + 1).is_empty(), "`mid` waits for the word after it");
        assert_eq!(marks.reached(2, 0), ["mid", "last"], "a later paragraph passes every earlier mark");
        assert!(marks.rest().is_empty());
    }
}
