//! Text that arrives in pieces (Wyoming's `synthesize-chunk`): held until it holds
//! whole sentences, which are handed out at once so their audio can leave
//! while the rest of the text is still being written.
//!
//! Sentences are Herald's own ([`split_sentences`]). A sentence is whole
//! once another one has begun after it: a final period may still turn out
//! to belong to an abbreviation or a number, so the last sentence waits for
//! more text or for the end of the stream.

use crate::speech::SpeechOptions;
use crate::text::split_sentences;

/// Longest text a stream may hold unspoken, in bytes.
const MAX_PENDING_BYTES: usize = crate::document::MAX_INPUT_BYTES;

/// The stream holds too much text without a sentence boundary.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the streamed text holds more than {MAX_PENDING_BYTES} bytes without a sentence boundary")]
pub(crate) struct TooMuchText;

/// An open text stream: its voice, and the text not yet spoken.
#[derive(Debug)]
pub(crate) struct TextStream {
    pub(crate) options: SpeechOptions,
    pending: String,
}

impl TextStream {
    pub(crate) fn new(options: SpeechOptions) -> Self {
        Self { options, pending: String::new() }
    }

    /// Adds a piece of text; returns the sentences it completed, if any.
    pub(crate) fn push(&mut self, piece: &str) -> Result<Option<String>, TooMuchText> {
        if self.pending.len() + piece.len() > MAX_PENDING_BYTES {
            return Err(TooMuchText);
        }
        self.pending.push_str(piece);
        let sentences = split_sentences(&self.pending);
        let [.., last] = sentences.as_slice() else { return Ok(None) };
        if sentences.len() < 2 {
            return Ok(None);
        }
        let cut = self.pending.char_indices().nth(last.start).map_or(self.pending.len(), |(at, _)| at);
        let rest = self.pending.split_off(cut);
        Ok(Some(std::mem::replace(&mut self.pending, rest)))
    }

    /// The text left when the stream ends, if there is any to speak.
    pub(crate) fn finish(self) -> Option<String> {
        Some(self.pending).filter(|text| !text.trim().is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream() -> TextStream {
        TextStream::new(SpeechOptions::default())
    }

    #[test]
    fn hands_out_a_sentence_once_the_next_begins() {
        let mut s = stream();
        assert_eq!(s.push("Bonjour à tous"), Ok(None));
        assert_eq!(s.push(". "), Ok(None));
        assert_eq!(s.push("Nous"), Ok(Some("Bonjour à tous. ".into())));
        assert_eq!(s.push(" sommes là. Merci. Au"), Ok(Some("Nous sommes là. Merci. ".into())));
        assert_eq!(s.finish(), Some("Au".into()));
    }

    #[test]
    fn abbreviations_and_numbers_do_not_end_a_sentence() {
        let mut s = stream();
        assert_eq!(s.push("Mr. Hayashi arrived"), Ok(None));
        assert_eq!(s.push(" at 3."), Ok(None));
        assert_eq!(s.push("5 pm. Then"), Ok(Some("Mr. Hayashi arrived at 3.5 pm. ".into())));
    }

    #[test]
    fn nothing_left_is_nothing_to_speak() {
        let mut s = stream();
        assert_eq!(s.push("One. Two. "), Ok(Some("One. ".into())));
        assert_eq!(s.finish(), Some("Two. ".into()));
        let mut s = stream();
        assert_eq!(s.push("  \n"), Ok(None));
        assert_eq!(s.finish(), None);
        assert_eq!(stream().push(&"a".repeat(MAX_PENDING_BYTES + 1)), Err(TooMuchText));
    }
}
