//! Units of inference: a long sentence is inferred clause by clause.
//!
//! A model's inference cannot stream: its first audio comes when the whole
//! unit is done, and a cancel waits for the unit in flight. Splitting a
//! long sentence at its commas, semicolons and colons brings the first
//! audio forward and bounds the work in flight. Each part keeps its
//! punctuation, so the model speaks the clause ending (and its pause) as it
//! would inside the sentence. Short clauses stay with their neighbours:
//! a part is never shorter than [`MIN_PART_PHONEMES`]. A [`Gain`] keeps
//! one level across the parts of a sentence.

use crate::engine::espeak::Clause;

/// Phoneme characters (about five words) below which a clause is not
/// inferred on its own.
const MIN_PART_PHONEMES: usize = 30;

/// The parts of one sentence's clauses: the whole sentence unless `split`.
pub(crate) fn split(sentence: &[Clause], split: bool) -> Vec<&[Clause]> {
    if !split {
        return vec![sentence];
    }
    let length = |clauses: &[Clause]| clauses.iter().map(|c| c.phonemes.chars().count()).sum::<usize>();
    let mut parts = Vec::new();
    let mut start = 0;
    for end in 1..sentence.len() {
        let at_punctuation = sentence[end - 1].terminator.is_some();
        if at_punctuation
            && length(&sentence[start..end]) >= MIN_PART_PHONEMES
            && length(&sentence[end..]) >= MIN_PART_PHONEMES
        {
            parts.push(&sentence[start..end]);
            start = end;
        }
    }
    parts.push(&sentence[start..]);
    parts
}

/// Peak normalisation as Piper does it, across the parts of one sentence:
/// each part is scaled by the loudest peak so far, so a sentence inferred
/// in parts keeps one level and never clips.
pub(crate) struct Gain {
    peak: f32,
}

impl Gain {
    pub(crate) fn new() -> Self {
        Self { peak: 0.01 }
    }

    /// Scales as if a part this loud had already been heard: a streamed
    /// unit's first frames get the level of the rest unless a later run is
    /// louder still.
    pub(crate) fn expect_peak(&mut self, peak: f32) {
        self.peak = self.peak.max(peak);
    }

    pub(crate) fn for_part(&mut self, audio: &[f32]) -> f32 {
        self.peak = self.peak.max(peak(audio));
        1.0 / self.peak
    }
}

/// The loudest sample of `audio`, in magnitude.
pub(crate) fn peak(audio: &[f32]) -> f32 {
    audio.iter().fold(0.0, |m, s| m.max(s.abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clause(phonemes: &str, terminator: Option<char>) -> Clause {
        Clause { phonemes: phonemes.into(), terminator, source: 0..0 }
    }

    fn lengths(parts: &[&[Clause]]) -> Vec<usize> {
        parts.iter().map(|p| p.len()).collect()
    }

    #[test]
    fn long_clauses_are_parts_of_their_own() {
        let long = "ɐ".repeat(MIN_PART_PHONEMES);
        let sentence =
            [clause(&long, Some(',')), clause(&long, Some(';')), clause(&long, Some(':')), clause(&long, Some('.'))];
        assert_eq!(lengths(&split(&sentence, true)), vec![1, 1, 1, 1]);
        assert_eq!(lengths(&split(&sentence, false)), vec![4]);
    }

    #[test]
    fn short_clauses_stay_with_their_neighbours() {
        let long = "ɐ".repeat(MIN_PART_PHONEMES);
        // "However, <long>, <long>, yes."
        let sentence =
            [clause("haʊɛvɚ", Some(',')), clause(&long, Some(',')), clause(&long, Some(',')), clause("jɛs", Some('.'))];
        assert_eq!(lengths(&split(&sentence, true)), vec![2, 2]);
    }

    #[test]
    fn splits_only_at_punctuation() {
        let long = "ɐ".repeat(MIN_PART_PHONEMES);
        let sentence = [clause(&long, None), clause(&long, Some('.'))];
        assert_eq!(lengths(&split(&sentence, true)), vec![2]);
    }
}
