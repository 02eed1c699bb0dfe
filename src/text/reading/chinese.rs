//! The Mandarin front end: hanzi to numbered pinyin, word by word.
//!
//! * Traditional characters are read through their Simplified form
//!   (OpenCC's character table, `zh_traditional.tsv`), character for
//!   character, so offsets into the displayed text hold.
//! * jieba-rs (which embeds its dictionary and tags parts of speech)
//!   segments the sentence into words.
//! * A word in the phrase table (`zh_phrases.tsv`, from pypinyin's phrase
//!   dictionary: 银行 yin2 hang2, 重庆 chong2 qing4…) takes its reading
//!   from there; other characters take the `pinyin` crate's most common
//!   reading, except the function words whose reading depends on their
//!   neighbours (还, 地, 得, 着, 长, 教…), and 一/不, whose tone changes
//!   before another syllable.
//! * Numbers are read in Mandarin ([`super::chinese_numbers`]).

use super::{chinese_numbers, is_han, Reading};
use jieba_rs::Jieba;
use pinyin::ToPinyin;
use std::collections::HashMap;

const PHRASES: &str = include_str!("zh_phrases.tsv");
const TRADITIONAL: &str = include_str!("zh_traditional.tsv");

pub(crate) struct Chinese {
    jieba: Jieba,
    phrases: HashMap<&'static str, &'static str>,
    simplified: HashMap<char, char>,
}

/// A word of the sentence: its text, jieba's part-of-speech tag (`m` for
/// numbers) and its first char's offset.
struct Word<'a> {
    word: &'a str,
    tag: &'a str,
    start: usize,
}

/// One syllable and the char of the (simplified) sentence it reads.
struct Syllable {
    at: usize,
    pinyin: String,
    /// 一 or 不 read by character, whose tone follows the next syllable.
    sandhi: bool,
}

impl Chinese {
    pub(crate) fn new() -> Self {
        let rows = |table: &'static str| {
            table.lines().filter(|l| !l.starts_with('#')).filter_map(|l| l.split_once('\t')).collect::<Vec<_>>()
        };
        let simplified =
            rows(TRADITIONAL).into_iter().filter_map(|(t, s)| Some((t.chars().next()?, s.chars().next()?))).collect();
        Self { jieba: Jieba::new(), phrases: rows(PHRASES).into_iter().collect(), simplified }
    }

    /// The sentence in numbered pinyin, syllables separated by spaces;
    /// punctuation becomes its ASCII form, other text is kept.
    pub(crate) fn read(&self, text: &str) -> Reading {
        let simplified: String = text.chars().map(|c| self.simplify(c)).collect();
        let tags = self.words(&simplified);
        let mut syllables: Vec<Syllable> = Vec::new();
        let mut reading = Reading::default();
        let flush = |syllables: &mut Vec<Syllable>, reading: &mut Reading| {
            apply_sandhi(syllables);
            for s in syllables.drain(..) {
                reading.push_space();
                reading.push(s.at, 1, &s.pinyin);
            }
        };
        for (i, tag) in tags.iter().enumerate() {
            let (prev, next) = (i.checked_sub(1).map(|p| &tags[p]), tags.get(i + 1));
            if tag.word.chars().any(is_han) {
                self.word(tag, prev, next, &mut syllables);
            } else if let Some(said) = chinese_numbers::read(tag.word, next.map(|n| n.word)) {
                flush(&mut syllables, &mut reading);
                reading.push_space();
                reading.push(tag.start, tag.word.chars().count(), &said.join(" "));
            } else {
                flush(&mut syllables, &mut reading);
                let kept: String = tag.word.chars().map(ascii_punctuation).collect();
                if kept.trim().is_empty() {
                    reading.push_space();
                } else if kept.chars().all(|c| c.is_ascii_punctuation()) {
                    reading.push(tag.start, tag.word.chars().count(), &kept);
                } else {
                    reading.push_space();
                    reading.push(tag.start, tag.word.chars().count(), &kept);
                }
            }
        }
        flush(&mut syllables, &mut reading);
        reading.text.truncate(reading.text.trim_end().len());
        reading
    }

    /// The sentence's words: numbers (digits, a decimal part, a `%`) as
    /// words of their own, the rest as jieba segments it. Without jieba's
    /// HMM, text not in its dictionary stays single characters, which the
    /// context rules can read.
    fn words<'a>(&'a self, text: &'a str) -> Vec<Word<'a>> {
        let mut words = Vec::new();
        let (mut rest, mut start) = (text, 0);
        while !rest.is_empty() {
            let digits = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
            let (before, number) = match rest.find(|c: char| c.is_ascii_digit()) {
                Some(at) => {
                    let mut end = at + digits(&rest[at..]);
                    if rest[end..].starts_with('.') && digits(&rest[end + 1..]) > 0 {
                        end += 1 + digits(&rest[end + 1..]);
                    }
                    if rest[end..].starts_with('%') {
                        end += 1;
                    }
                    (&rest[..at], &rest[at..end])
                }
                None => (rest, ""),
            };
            for tag in self.jieba.tag(before, false) {
                words.push(Word { word: tag.word, tag: tag.tag, start: start + tag.start });
            }
            start += before.chars().count();
            if !number.is_empty() {
                words.push(Word { word: number, tag: "m", start });
                start += number.chars().count();
            }
            rest = &rest[before.len() + number.len()..];
        }
        words
    }

    fn simplify(&self, c: char) -> char {
        match c {
            // Full-width ASCII (digits, %, Latin) as ASCII, so numbers are found.
            '\u{FF01}'..='\u{FF5E}' if !"，。！？；：（）".contains(c) => {
                char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
            }
            _ => self.simplified.get(&c).copied().unwrap_or(c),
        }
    }

    /// The syllables of one word of hanzi: the phrase table's reading of
    /// the longest phrase at each place (the whole word where it has it, so
    /// a compound such as 银行行长 reads as 银行 + 行长), else character by
    /// character.
    fn word(&self, tag: &Word<'_>, prev: Option<&Word<'_>>, next: Option<&Word<'_>>, out: &mut Vec<Syllable>) {
        let chars: Vec<char> = tag.word.chars().collect();
        let mut k = 0;
        while k < chars.len() {
            let phrase = (2..=chars.len() - k).rev().find_map(|n| {
                let piece: String = chars[k..k + n].iter().collect();
                self.phrases.get(piece.as_str()).map(|reading| (n, *reading))
            });
            if let Some((n, reading)) = phrase {
                for (i, pinyin) in reading.split(' ').take(n).enumerate() {
                    out.push(Syllable { at: tag.start + k + i, pinyin: pinyin.to_string(), sandhi: false });
                }
                k += n;
                continue;
            }
            let c = chars[k];
            let contextual = if chars.len() == 1 { in_context(c, prev, next) } else { None };
            let pinyin = match contextual.or_else(|| c.to_pinyin().map(|p| p.with_tone_num_end())) {
                Some(p) if p.ends_with(|d: char| d.is_ascii_digit()) => p.to_string(),
                Some(p) => format!("{p}5"),
                None => {
                    k += 1;
                    continue;
                }
            };
            // 一 and 不 read by character change tone, but not in ordinals (第一).
            let before = if k == 0 { prev.and_then(|p| p.word.chars().last()) } else { Some(chars[k - 1]) };
            let sandhi = matches!(c, '一' | '不') && before != Some('第');
            out.push(Syllable { at: tag.start + k, pinyin, sandhi });
            k += 1;
        }
    }
}

/// Readings of single-character words that depend on their neighbours.
fn in_context(c: char, prev: Option<&Word<'_>>, next: Option<&Word<'_>>) -> Option<&'static str> {
    let prev_is = |classes: &str| prev.is_some_and(|p| p.tag.chars().next().is_some_and(|t| classes.contains(t)));
    let next_is = |classes: &str| next.is_some_and(|n| n.tag.chars().next().is_some_and(|t| classes.contains(t)));
    let next_word = next.map_or("", |n| n.word);
    Some(match c {
        '的' => "de5",
        '了' => "le5",
        '着' => "zhe5",
        // 慢慢地走 (adverbial de) vs 地 the ground.
        '地' if prev_is("adzv") => "de5",
        '地' => "di4",
        // 我得走 (must, dei3) vs 跑得快 (de) vs 得 to obtain.
        '得' if prev_is("rn") && next_is("v") => "dei3",
        '得' if prev_is("vad") => "de5",
        '得' => "de2",
        // 还书, 还给, 还了 (to return) vs 还 (still).
        '还' if matches!(next_word, "给" | "了") || next_is("nrm") => "huan2",
        '还' => "hai2",
        // 长了, 长大 (to grow) vs 长 (long).
        '长' if matches!(next_word, "了" | "着" | "过" | "出" | "高" | "成") => "zhang3",
        '长' => "chang2",
        // 教我 (to teach) vs 教 (teaching, religion).
        '教' if next_is("rn") => "jiao1",
        '教' => "jiao4",
        '都' => "dou1",
        '为' => "wei4",
        '和' => "he2",
        '乐' => "le4",
        '觉' => "jue2",
        '便' => "bian4",
        '好' => "hao3",
        '会' => "hui4",
        '重' => "zhong4",
        '行' => "xing2",
        '数' if next_is("mq") => "shu3",
        '数' => "shu4",
        _ => return None,
    })
}

/// 一 and 不 change tone before another syllable: 一 yi2 before a fourth
/// tone and yi4 before the others, 不 bu2 before a fourth tone.
fn apply_sandhi(syllables: &mut [Syllable]) {
    for i in 0..syllables.len().saturating_sub(1) {
        if !syllables[i].sandhi || syllables[i + 1].at != syllables[i].at + 1 {
            continue;
        }
        let fourth = syllables[i + 1].pinyin.ends_with('4');
        let changed = match (syllables[i].pinyin.as_str(), fourth) {
            ("yi1", true) => "yi2",
            ("yi1", false) => "yi4",
            ("bu4", true) => "bu2",
            _ => continue,
        };
        syllables[i].pinyin = changed.to_string();
    }
}

/// CJK punctuation as the ASCII mark espeak-ng pauses at.
fn ascii_punctuation(c: char) -> char {
    match c {
        '，' | '、' => ',',
        '。' | '．' => '.',
        '！' => '!',
        '？' => '?',
        '；' => ';',
        '：' => ':',
        '（' => '(',
        '）' => ')',
        '“' | '”' | '「' | '」' | '『' | '』' => '"',
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_words_numbers_and_punctuation() {
        let chinese = Chinese::new();
        let reading = chinese.read("我去银行，2个人。");
        assert_eq!(reading.text, "wo3 qu4 yin2 hang2, liang3 ge4 ren2.");
        let at: Vec<u32> = reading.spans.iter().map(|s| s.text).collect();
        assert_eq!(at, [0, 1, 2, 3, 4, 5, 6, 7, 8], "a span per syllable or mark, on its char");
    }

    #[test]
    fn traditional_reads_as_simplified() {
        let chinese = Chinese::new();
        assert_eq!(chinese.read("銀行行長").text, chinese.read("银行行长").text);
    }
}
