//! Text to IPA phonemes with libespeak-ng (`espeak_TextToPhonemes`), clause
//! by clause, for engines that speak phonemes (Piper, Kokoro).
//!
//! libespeak-ng returns one clause per call and drops its punctuation, so the
//! clause's closing punctuation is read back from the text it consumed.

use super::{ffi, Espeak};
use crate::engine::EngineError;
use std::ffi::{CStr, CString};

/// The phonemes of one clause of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    /// IPA phonemes, words separated by spaces.
    pub phonemes: String,
    /// The punctuation that closed the clause (`.`, `,`, `?`, `!`, `:`, `;`), if any.
    pub(crate) terminator: Option<char>,
    /// The bytes of the input text the clause was read from.
    pub(crate) source: std::ops::Range<usize>,
}

impl Clause {
    /// Whether the clause ends a sentence.
    pub(crate) fn ends_sentence(&self) -> bool {
        matches!(self.terminator, Some('.' | '?' | '!'))
    }
}

impl Espeak {
    /// The IPA phonemes of `text` in `voice`'s language, one entry per clause.
    pub fn phonemize(&mut self, voice: &str, text: &str) -> Result<Vec<Clause>, EngineError> {
        self.clauses(voice, text, ffi::PHONEMES_IPA)
    }

    /// As [`Self::phonemize`], with `^` tying the letters of one phoneme
    /// (`t^ʃ`, `a^ɪ`), as Kokoro's phoneme symbols are made from them.
    pub fn phonemize_tied(&mut self, voice: &str, text: &str) -> Result<Vec<Clause>, EngineError> {
        self.clauses(voice, text, ffi::PHONEMES_IPA | ffi::PHONEMES_TIE | (i32::from(b'^') << 8))
    }

    fn clauses(&mut self, voice: &str, text: &str, mode: i32) -> Result<Vec<Clause>, EngineError> {
        self.set_voice(voice)?;
        let text = CString::new(text.replace('\0', " ")).expect("NULs replaced");
        let bytes = text.as_bytes();
        let start = text.as_ptr();
        let mut cursor: *const std::os::raw::c_void = start.cast();
        let mut clauses = Vec::new();
        while !cursor.is_null() {
            let before = cursor as usize - start as usize;
            // SAFETY: `cursor` points into `text` (NUL-terminated, alive for
            // the loop); libespeak-ng advances it or sets it to NULL at the end.
            let phonemes = unsafe { ffi::espeak_TextToPhonemes(&mut cursor, ffi::CHARS_UTF8 as i32, mode) };
            let after =
                if cursor.is_null() { bytes.len() } else { (cursor as usize - start as usize).min(bytes.len()) };
            let phonemes = if phonemes.is_null() {
                String::new()
            } else {
                // SAFETY: a NUL-terminated string in libespeak-ng's buffer, copied at once.
                unsafe { CStr::from_ptr(phonemes) }.to_string_lossy().trim().to_string()
            };
            let consumed = String::from_utf8_lossy(&bytes[before.min(after)..after]);
            let terminator = consumed
                .trim_end_matches(|c: char| c.is_whitespace() || "\"'”’»)]」』".contains(c))
                .chars()
                .last()
                .map(ascii_punctuation)
                .filter(|c| ".,?!:;".contains(*c));
            if !phonemes.is_empty() {
                clauses.push(Clause { phonemes, terminator, source: before..after });
            } else if let Some(last) = clauses.last_mut() {
                last.source.end = after;
                if terminator.is_some() {
                    last.terminator = terminator;
                }
            }
            if after <= before && !cursor.is_null() {
                break;
            }
        }
        Ok(clauses)
    }
}

/// The ASCII mark a clause-ending mark of another script stands for (the
/// marks Piper voices know are ASCII).
fn ascii_punctuation(mark: char) -> char {
    match mark {
        '。' | '．' | '।' | '۔' => '.',
        '？' | '؟' => '?',
        '！' => '!',
        '，' | '、' | '،' => ',',
        '；' | '؛' => ';',
        '：' => ':',
        other => other,
    }
}
