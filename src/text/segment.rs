//! Sentence segmentation with character offsets.
//!
//! Boundaries come from Unicode sentence segmentation (UAX #29, through
//! `unicode-segmentation`); Herald then re-joins the breaks UAX #29 makes after
//! common abbreviations and initials ("Apr. 2023", "Mr. Hayashi", "e.g. this"),
//! gives closing quotes and brackets that UAX #29 leaves after a space back
//! to the sentence they close ("… le parcourir. »"), and splits sentences too
//! long for one engine call at the last space (or, for a single enormous
//! word, at a hard limit).

use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

/// Longest sentence, in characters, handed to an engine in one call. Longer
/// sentences are split at white space (or hard, inside a giant word).
pub const MAX_SENTENCE_CHARS: usize = 600;

/// Abbreviations (lower case, without the final period) after which a period
/// does not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "gen", "col", "lt", "sgt", "capt", "gov", "sen", "rep",
    "pres", "hon", "rev", "no", "nos", "vol", "fig", "art", "sec", "ch", "p", "pp", "para", "ed", "eds", "vs", "etc",
    "e.g", "i.e", "cf", "al", "approx", "ca", "est", "dept", "inc", "ltd", "co", "corp", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mon", "tue", "wed", "thu", "fri", "sat", "sun", "u.s",
    "u.k", "u.n", "a.m", "p.m", "op", "ref", "tel", "nr", "bzw", "z.b", "s", "mme", "mlle",
];

/// One sentence of a paragraph. Offsets count Unicode scalar values (chars)
/// from the start of the paragraph text; `text` is the slice they delimit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sentence {
    pub text: String,
    pub start: usize,
    pub end: usize,
}

/// Splits normalised paragraph text into sentences.
pub fn split_sentences(paragraph: &str) -> Vec<Sentence> {
    let mut spans: Vec<(usize, usize)> = Vec::new(); // byte ranges, trimmed
    for (start, piece) in paragraph.split_sentence_bound_indices() {
        let mut begin = start + (piece.len() - piece.trim_start().len());
        let end = start + piece.trim_end().len();
        if let Some(last) = spans.last_mut() {
            let closers = closing_marks(&paragraph[begin.min(end)..end]);
            if closers > 0 {
                last.1 = begin + closers;
                begin = end - paragraph[begin + closers..end].trim_start().len();
            }
        }
        if begin >= end {
            continue;
        }
        let span = (begin, end);
        match spans.last_mut() {
            Some(last) if ends_with_abbreviation(&paragraph[last.0..last.1]) => last.1 = span.1,
            _ => spans.push(span),
        }
    }
    // Byte offsets become char offsets incrementally: spans only move forward.
    let (mut byte_cursor, mut char_cursor) = (0, 0);
    let mut to_chars = |byte: usize| {
        char_cursor += paragraph[byte_cursor..byte].chars().count();
        byte_cursor = byte;
        char_cursor
    };
    let mut sentences = Vec::with_capacity(spans.len());
    for (start, end) in spans {
        for (s, e) in split_long(paragraph, start, end) {
            let (start, end) = (to_chars(s), to_chars(e));
            sentences.push(Sentence { text: paragraph[s..e].to_string(), start, end });
        }
    }
    sentences
}

/// The length in bytes of the closing quotes and brackets that open `piece`
/// and stand apart (followed by a space or nothing), as in French "… fin. »";
/// 0 if there are none. Quotes that may open (`"`, `'`, the German `»…«`)
/// count only when they stand apart.
fn closing_marks(piece: &str) -> usize {
    const CLOSING: &[char] =
        &['»', '«', '”', '’', '›', ')', ']', '}', '」', '』', '）', '］', '｝', '〕', '〉', '》', '】', '"', '\''];
    let rest = piece.trim_start_matches(CLOSING);
    let marks = piece.len() - rest.len();
    if marks > 0 && rest.chars().next().is_none_or(char::is_whitespace) {
        marks
    } else {
        0
    }
}

/// True when the text ends in a period that belongs to an abbreviation or an
/// initial rather than ending a sentence.
fn ends_with_abbreviation(text: &str) -> bool {
    let Some(before) = text.strip_suffix('.') else {
        return false;
    };
    let word = before.rsplit(|c: char| c.is_whitespace() || c == '(' || c == '"' || c == '“').next().unwrap_or("");
    let lower = word.to_lowercase();
    if ABBREVIATIONS.contains(&lower.as_str()) {
        return true;
    }
    // A single capital letter is an initial ("J. Stoltenberg").
    let mut chars = word.chars();
    matches!((chars.next(), chars.next()), (Some(c), None) if c.is_uppercase())
}

/// Splits the byte range `start..end` into pieces of at most
/// [`MAX_SENTENCE_CHARS`] characters, preferring the last space.
fn split_long(text: &str, mut start: usize, end: usize) -> Vec<(usize, usize)> {
    let mut pieces = Vec::new();
    while text[start..end].chars().count() > MAX_SENTENCE_CHARS {
        let limit = text[start..end].char_indices().nth(MAX_SENTENCE_CHARS).map_or(end, |(i, _)| start + i);
        let cut = text[start..limit].rfind(' ').map(|i| start + i).filter(|&i| i > start);
        let (piece_end, next_start) = match cut {
            Some(space) => (space, space + 1),
            None => (limit, limit),
        };
        pieces.push((start, piece_end));
        start = next_start;
    }
    if start < end {
        pieces.push((start, end));
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(p: &str) -> Vec<String> {
        split_sentences(p).into_iter().map(|s| s.text).collect()
    }

    #[test]
    fn splits_plain_sentences_with_offsets() {
        let p = "Welcome to NATO Headquarters. It is great to see you again.";
        let s = split_sentences(p);
        assert_eq!(s.len(), 2);
        assert_eq!(s[1].text, "It is great to see you again.");
        let chars: Vec<char> = p.chars().collect();
        let sliced: String = chars[s[1].start..s[1].end].iter().collect();
        assert_eq!(sliced, s[1].text);
    }

    #[test]
    fn keeps_abbreviations_and_dates_together() {
        assert_eq!(texts("Last updated 05 Apr. 2023 10:30"), ["Last updated 05 Apr. 2023 10:30"]);
        assert_eq!(texts("Mr. Hayashi arrived. He spoke."), ["Mr. Hayashi arrived.", "He spoke."]);
        assert_eq!(texts("Bring fruit, e.g. apples. Then go."), ["Bring fruit, e.g. apples.", "Then go."]);
        assert_eq!(texts("See No. 5 here. Done."), ["See No. 5 here.", "Done."]);
        assert_eq!(texts("J. Stoltenberg spoke. Yes."), ["J. Stoltenberg spoke.", "Yes."]);
    }

    #[test]
    fn closing_quotes_after_a_space_end_the_sentence_they_close() {
        let p = "« Je ne l’ai pas choisi. Je ne fais que le parcourir. » Le cartographe resta.";
        assert_eq!(texts(p), ["« Je ne l’ai pas choisi.", "Je ne fais que le parcourir. »", "Le cartographe resta."]);
        assert_eq!(texts("« Vous les allumez ? » demanda-t-il."), ["« Vous les allumez ? »", "demanda-t-il."]);
        assert_eq!(texts("He left (for good. ) Then."), ["He left (for good. )", "Then."]);
        // Offsets still slice the text.
        let s = split_sentences(p);
        let chars: Vec<char> = p.chars().collect();
        for sentence in &s {
            assert_eq!(chars[sentence.start..sentence.end].iter().collect::<String>(), sentence.text);
        }
        // German quotes open with »: they stay with the sentence they open.
        assert_eq!(texts("Sie ging. »Wohin gehst du?«"), ["Sie ging.", "»Wohin gehst du?«"]);
    }

    #[test]
    fn offsets_count_chars_not_bytes() {
        let p = "Привет, мир. Как дела?";
        let s = split_sentences(p);
        assert_eq!(s.len(), 2);
        assert_eq!((s[1].start, s[1].end), (13, 22));
    }

    #[test]
    fn splits_non_latin_terminators() {
        assert_eq!(texts("今日は晴れです。明日は雨です。").len(), 2);
    }

    #[test]
    fn caps_sentence_length() {
        let word = "x".repeat(MAX_SENTENCE_CHARS * 2 + 10);
        let s = split_sentences(&word);
        assert_eq!(s.len(), 3);
        assert!(s.iter().all(|s| s.text.chars().count() <= MAX_SENTENCE_CHARS));
        let long = "word ".repeat(400);
        let s = split_sentences(long.trim());
        assert!(s.len() >= 4 && s.iter().all(|s| !s.text.starts_with(' ') && !s.text.ends_with(' ')));
        assert_eq!(s.iter().map(|s| s.text.split(' ').count()).sum::<usize>(), 400);
    }
}
