//! Captions and transcripts of an episode from its timeline: SubRip (a cue
//! per sentence) and the Podcasting 2.0 JSON transcript (a segment per
//! sentence, its speaker the voice that reads it). WebVTT with word
//! timestamps comes from the timeline itself.

use crate::speech::{Plan, Timeline};
use std::fmt::Write;

/// One spoken sentence: when it is heard and what it says.
struct Cue<'a> {
    start: f64,
    end: f64,
    text: String,
    voice: &'a str,
}

fn cues<'a>(plan: &'a Plan, timeline: &Timeline) -> Vec<Cue<'a>> {
    let mut out = Vec::new();
    for paragraph in &timeline.paragraphs {
        let planned = &plan.paragraphs[paragraph.index];
        let chars: Vec<char> = planned.text.chars().collect();
        for sentence in &paragraph.sentences {
            let end = sentence.text_end.min(chars.len());
            let text: String = chars[sentence.text_start.min(end)..end].iter().collect();
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            if !text.is_empty() {
                let (start, end) = (sentence.start, sentence.end.max(sentence.start + 0.001));
                out.push(Cue { start, end, text, voice: planned.voice.as_str() });
            }
        }
    }
    out
}

/// SubRip captions: numbered cues, `HH:MM:SS,mmm` times.
pub(crate) fn to_srt(plan: &Plan, timeline: &Timeline) -> String {
    let mut srt = String::new();
    for (n, cue) in cues(plan, timeline).iter().enumerate() {
        let _ = write!(srt, "{}\n{} --> {}\n{}\n\n", n + 1, srt_time(cue.start), srt_time(cue.end), cue.text);
    }
    srt
}

/// The Podcasting 2.0 JSON transcript (`application/json`, version 1.0.0).
pub(crate) fn to_transcript_json(plan: &Plan, timeline: &Timeline) -> Vec<u8> {
    let segments: Vec<serde_json::Value> = cues(plan, timeline)
        .into_iter()
        .map(|c| serde_json::json!({ "startTime": c.start, "endTime": c.end, "body": c.text, "speaker": c.voice }))
        .collect();
    let mut json = serde_json::to_vec_pretty(&serde_json::json!({ "version": "1.0.0", "segments": segments }))
        .expect("transcripts serialize");
    json.push(b'\n');
    json
}

fn srt_time(seconds: f64) -> String {
    let ms = (seconds * 1000.0).round() as u64;
    format!("{:02}:{:02}:{:02},{:03}", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::podcast::chapters::tests::spoken;
    use crate::speech::Role;

    #[test]
    fn srt_and_transcript_have_a_cue_per_sentence() {
        let (plan, timeline) = spoken(&[(Role::Title, "Joint statement"), (Role::Body, "First  point.\nDone.")]);
        let srt = to_srt(&plan, &timeline);
        assert_eq!(
            srt,
            "1\n00:00:00,100 --> 00:00:00,900\nJoint statement\n\n2\n00:00:01,100 --> 00:00:01,900\nFirst point. Done.\n\n"
        );
        let json: serde_json::Value = serde_json::from_slice(&to_transcript_json(&plan, &timeline)).unwrap();
        assert_eq!(json["version"], "1.0.0");
        assert_eq!(json["segments"][1]["body"], "First point. Done.");
        assert_eq!(json["segments"][1]["startTime"], 1.1);
        assert_eq!(json["segments"][1]["speaker"], plan.paragraphs[1].voice.as_str());
        assert_eq!(srt_time(3725.0456), "01:02:05,046");
    }
}
