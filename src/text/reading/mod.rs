//! Readings: the text an engine is handed when it cannot read a sentence's
//! own script. espeak-ng spells kanji as "Chinese letter" and reads hanzi
//! one character at a time (polyphones wrong), but it reads katakana and
//! numbered pinyin well; so Japanese sentences become katakana (through a
//! MeCab dictionary, [`japanese`]) and Chinese ones numbered pinyin
//! resolved per word (through jieba and a phrase table, [`chinese`]).
//!
//! A [`Reading`] keeps, for each piece of it, where that piece comes from
//! in the displayed text, so word timings the engine reports in the
//! reading can be shown on the original words.

mod chinese;
mod chinese_numbers;
mod japanese;
mod japanese_numbers;

use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::OnceLock;

/// What a voice reads instead of a sentence's own script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Script {
    /// Katakana, for Japanese.
    Kana,
    /// Numbered pinyin (`yin2 hang2`), for Mandarin.
    Pinyin,
}

/// A piece of a reading and the displayed text it reads, in chars
/// (Unicode scalar values): from `reading` in the reading, and `text` for
/// `len` chars in the sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct ReadingSpan {
    pub(crate) reading: u32,
    pub(crate) text: u32,
    pub(crate) len: u32,
}

/// A sentence as an engine is handed it, with where each piece comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reading {
    pub text: String,
    pub(crate) spans: Vec<ReadingSpan>,
    chars: u32,
}

impl Reading {
    /// Appends `reading` as what the `len` displayed chars from `at` say.
    fn push(&mut self, at: usize, len: usize, reading: &str) {
        if reading.is_empty() {
            return;
        }
        self.spans.push(ReadingSpan { reading: self.chars, text: at as u32, len: len as u32 });
        self.text.push_str(reading);
        self.chars += reading.chars().count() as u32;
    }

    /// Appends a separator that reads no displayed text.
    fn push_space(&mut self) {
        if !self.text.is_empty() && !self.text.ends_with(' ') {
            self.text.push(' ');
            self.chars += 1;
        }
    }
}

/// The displayed span (offset, length) that the reading's char `offset` reads.
pub(crate) fn displayed(spans: &[ReadingSpan], offset: u32) -> Option<(u32, u32)> {
    let i = spans.partition_point(|s| s.reading <= offset).checked_sub(1)?;
    Some((spans[i].text, spans[i].len))
}

/// Where the Japanese dictionary is, and where its compiled form is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadingSettings {
    /// MeCab IPADIC sources (Debian `mecab-ipadic`).
    pub japanese_dictionary: PathBuf,
    /// Where the compiled dictionary is kept between runs.
    pub cache_dir: PathBuf,
}

/// The front ends, each loaded on first use (a process that never sees
/// Japanese or Chinese never pays for their dictionaries).
pub struct Readers {
    settings: ReadingSettings,
    japanese: OnceLock<Option<japanese::Japanese>>,
    chinese: OnceLock<chinese::Chinese>,
}

impl Readers {
    pub fn new(settings: ReadingSettings) -> Self {
        Self { settings, japanese: OnceLock::new(), chinese: OnceLock::new() }
    }

    /// The reading of `text` in `script`, where it differs from the text.
    /// Without the Japanese dictionary, Japanese is handed over as written
    /// (logged once, when first needed).
    pub fn read(&self, text: &str, script: Script) -> Option<Reading> {
        let reading = match script {
            Script::Kana => self.japanese()?.read(text),
            Script::Pinyin => self.chinese.get_or_init(chinese::Chinese::new).read(text),
        };
        (reading.text != text).then_some(reading)
    }

    fn japanese(&self) -> Option<&japanese::Japanese> {
        self.japanese
            .get_or_init(|| match japanese::Japanese::open(&self.settings) {
                Ok(japanese) => Some(japanese),
                Err(error) => {
                    tracing::warn!(%error, "Japanese dictionary unavailable; Japanese is handed to engines as written");
                    None
                }
            })
            .as_ref()
    }
}

/// True for CJK ideographs (kanji, hanzi).
fn is_han(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{3134F}' | '々')
}

/// The value of an ASCII or full-width digit.
fn digit(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        '０'..='９' => Some(c as u32 - '０' as u32),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_reading_offsets_back_to_the_text() {
        let mut r = Reading::default();
        r.push(0, 2, "yin2 hang2");
        r.push_space();
        r.push(2, 1, "hao3");
        assert_eq!(r.text, "yin2 hang2 hao3");
        assert_eq!(displayed(&r.spans, 0), Some((0, 2)));
        assert_eq!(displayed(&r.spans, 5), Some((0, 2)));
        assert_eq!(displayed(&r.spans, 11), Some((2, 1)));
    }

    #[test]
    fn without_the_japanese_dictionary_japanese_is_handed_over_as_written() {
        let missing = tempfile::tempdir().unwrap();
        let readers = Readers::new(ReadingSettings {
            japanese_dictionary: missing.path().join("ipadic"),
            cache_dir: missing.path().to_path_buf(),
        });
        assert_eq!(readers.read("日本の平和", Script::Kana), None);
        assert!(readers.read("银行", Script::Pinyin).is_some(), "Chinese needs no installed dictionary");
    }
}
