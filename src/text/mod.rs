//! Text processing: normalisation, sentence segmentation, language detection
//! and readings (what an engine is handed for scripts it cannot read).
//!
//! Everything here is pure and engine-agnostic. The pipeline calls
//! [`normalize::clean`] on every piece of text before it is segmented, so no
//! control character, bidi override or embedded engine command can reach an
//! engine, a page or a log.

pub mod lang;
pub mod normalize;
pub mod reading;
pub mod segment;
pub mod tag;

pub use lang::{
    known_languages, Assignment, Detection, LangSource, LanguageDetector, MixedSentences, ParagraphInput, Progressive,
    Strategy,
};
pub use reading::{Readers, Reading, ReadingSettings, ReadingSpan, Script};
pub use segment::{split_sentences, Sentence};
pub use tag::{InvalidLangTag, LangTag};
