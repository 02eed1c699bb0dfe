//! Units of inference for Kokoro: a text's sentences, a long sentence's
//! clauses (with `[neural] split_clauses`), and runs of at most the model's
//! 510 tokens.
//!
//! A sentence is one inference: its first audio comes when it is done, and
//! a cancel waits for it. Split at its commas, semicolons and colons, a long
//! sentence's first clause plays while the rest are inferred. Short clauses
//! stay with their neighbours: a part is never shorter than
//! [`MIN_PART_CHARS`].

use std::ops::Range;

/// Most tokens one inference takes (the model's context, less its two pads).
const MAX_TOKENS: usize = 510;
/// Characters that end a sentence.
const SENTENCE_ENDS: &[char] = &['。', '！', '？', '!', '?', '.', '।', '\n'];
/// Characters after which a long sentence may be cut.
const CLAUSE_ENDS: &[char] = &[',', ';', ':', '、', '，', '；', '：'];
/// Characters (about five words) below which a clause is not inferred on its own.
const MIN_PART_CHARS: usize = 24;

/// Byte ranges of the sentences of `text`, each with its ending mark.
pub(super) fn sentences(text: &str) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let mut start = 0;
    for (at, c) in text.char_indices() {
        if SENTENCE_ENDS.contains(&c) {
            ranges.push(start..at + c.len_utf8());
            start = at + c.len_utf8();
        }
    }
    ranges.push(start..text.len());
    ranges.retain(|r| !text[r.clone()].trim().is_empty());
    ranges
}

/// Runs of at most [`MAX_TOKENS`] tokens, cut after the last space where
/// a run must be cut.
pub(super) fn runs(tokens: &[i64], space: Option<i64>) -> Vec<&[i64]> {
    let mut runs = Vec::new();
    let mut rest = tokens;
    while rest.len() > MAX_TOKENS {
        let cut = rest[..MAX_TOKENS].iter().rposition(|t| Some(*t) == space).map_or(MAX_TOKENS, |i| i + 1);
        let (run, tail) = rest.split_at(cut);
        runs.push(run);
        rest = tail;
    }
    runs.push(rest);
    runs
}

/// The parts of `text[sentence]` inferred one by one: the whole sentence
/// unless `split`, else its clauses, none shorter than [`MIN_PART_CHARS`].
pub(super) fn clause_parts(text: &str, sentence: Range<usize>, split: bool) -> Vec<Range<usize>> {
    if !split {
        return vec![sentence];
    }
    let chars = |range: Range<usize>| text[range].chars().count();
    let mut parts = Vec::new();
    let mut start = sentence.start;
    for (at, c) in text[sentence.clone()].char_indices() {
        let end = sentence.start + at + c.len_utf8();
        if CLAUSE_ENDS.contains(&c) && chars(start..end) >= MIN_PART_CHARS && chars(end..sentence.end) >= MIN_PART_CHARS
        {
            parts.push(start..end);
            start = end;
        }
    }
    parts.push(start..sentence.end);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_end_at_japanese_and_ascii_marks() {
        let text = "にほん。 へいわ！ほんとう？ Yes. おわり";
        let parts: Vec<&str> = sentences(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(parts, ["にほん。", " へいわ！", "ほんとう？", " Yes.", " おわり"]);
        assert!(sentences("  \n ").is_empty());
    }

    #[test]
    fn long_sentences_are_cut_after_clauses_of_five_words_or_more() {
        let text = "Yes, we agree. The ministers met in Brussels, and after a long day, they agreed on a plan; \
            it starts at once, in every member state.";
        let sentence = sentences(text)[1].clone();
        let parts: Vec<&str> = clause_parts(text, sentence.clone(), true).into_iter().map(|r| &text[r]).collect();
        let clauses = [" The ministers met in Brussels,", " and after a long day, they agreed on a plan;"];
        assert_eq!(parts[..2], clauses);
        assert_eq!(
            parts[2].split_whitespace().collect::<Vec<_>>().join(" "),
            "it starts at once, in every member state."
        );
        assert_eq!(clause_parts(text, sentence.clone(), false), [sentence]);
        assert_eq!(clause_parts(text, sentences(text)[0].clone(), true).len(), 1, "too short to cut");
    }

    #[test]
    fn long_token_runs_are_cut_after_a_space() {
        let tokens: Vec<i64> = (0..1200).map(|i| if i % 100 == 99 { 16 } else { 43 }).collect();
        let lengths: Vec<usize> = runs(&tokens, Some(16)).iter().map(|r| r.len()).collect();
        assert_eq!(lengths, [500, 500, 200]);
        assert_eq!(runs(&[43; 600], Some(16)).iter().map(|r| r.len()).collect::<Vec<_>>(), [510, 90]);
    }
}
