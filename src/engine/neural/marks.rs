//! Word marks for engines that report no timing of their own (Piper
//! models give audio only): each word of a sentence gets a share of the
//! sentence's audio in proportion to its letters, so highlighting follows
//! speech closely within a sentence and exactly at sentence boundaries.

use crate::engine::{Mark, MarkKind};

/// Estimated marks for the text `text[range]` (bytes), spoken as `samples`
/// samples starting at `first_sample`: a sentence mark if the range opens a
/// sentence, then one word mark per word. Offsets are in chars into `text`.
pub(crate) fn estimate(
    text: &str,
    range: std::ops::Range<usize>,
    opens_sentence: bool,
    first_sample: u64,
    samples: u64,
) -> Vec<Mark> {
    let words = words(text, range);
    let weight = |w: &Word| w.letters as u64 + 1;
    let total: u64 = words.iter().map(weight).sum::<u64>().max(1);
    let mut marks = Vec::with_capacity(words.len() + 1);
    if let Some(first) = words.first().filter(|_| opens_sentence) {
        marks.push(Mark { kind: MarkKind::Sentence, text_offset: first.start, text_len: 0, sample: first_sample });
    }
    let mut elapsed = 0;
    for word in &words {
        marks.push(Mark {
            kind: MarkKind::Word,
            text_offset: word.start,
            text_len: word.len,
            sample: first_sample + samples * elapsed / total,
        });
        elapsed += weight(word);
    }
    marks
}

struct Word {
    /// Offset in chars into the whole text.
    start: u32,
    /// Length in chars.
    len: u32,
    letters: u32,
}

/// Runs of non-space characters with at least one letter or digit, without
/// the punctuation around them (`“no”.` is the word `no`).
fn words(text: &str, range: std::ops::Range<usize>) -> Vec<Word> {
    let mut words = Vec::new();
    let mut current: Option<Word> = None;
    for (index, (byte, c)) in text.char_indices().enumerate() {
        let index = index as u32;
        if !range.contains(&byte) || c.is_whitespace() {
            words.extend(current.take());
        } else if c.is_alphanumeric() {
            let word = current.get_or_insert(Word { start: index, len: 0, letters: 0 });
            word.len = index + 1 - word.start;
            word.letters += 1;
        }
    }
    words.extend(current);
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_share_the_audio_by_length() {
        let text = "Hé said: “no”. Then — go!";
        let marks = estimate(text, 0..text.find("Then").unwrap(), true, 1000, 900);
        let words: Vec<(u32, u32, u64)> = marks[1..].iter().map(|m| (m.text_offset, m.text_len, m.sample)).collect();
        // "Hé" (2 letters), "said" (4), "no" (2): weights 3, 5, 3 of 11.
        assert_eq!(words, [(0, 2, 1000), (3, 4, 1000 + 900 * 3 / 11), (10, 2, 1000 + 900 * 8 / 11)]);
        assert_eq!((marks[0].kind, marks[0].sample), (MarkKind::Sentence, 1000));
        let clause = estimate(text, 0..text.find("Then").unwrap(), false, 1000, 900);
        assert!(clause.iter().all(|m| m.kind == MarkKind::Word), "a later part of a sentence opens none");
    }

    #[test]
    fn punctuation_alone_is_not_a_word() {
        let text = "Then — go! Don't";
        let spans: Vec<(u32, u32)> =
            estimate(text, 0..text.len(), true, 0, 100)[1..].iter().map(|m| (m.text_offset, m.text_len)).collect();
        assert_eq!(spans, [(0, 4), (7, 2), (11, 5)]);
    }
}
