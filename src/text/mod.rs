//! Text processing: normalisation, sentence segmentation, language detection
//! and readings (what an engine is handed for scripts it cannot read).
//!
//! Everything here is pure and engine-agnostic. The pipeline calls
//! [`normalize::clean`] on every piece of text before it is segmented, so no
//! control character, bidi override or embedded engine command can reach an
//! engine, a page or a log.

pub(crate) mod lang;
pub mod normalize;
pub(crate) mod reading;
pub mod segment;
pub(crate) mod tag;

pub(crate) use lang::{known_languages, LangSource, Progressive, Strategy};
pub use lang::{Assignment, Detection, LanguageDetector, MixedSentences, ParagraphInput};
pub(crate) use reading::ReadingSpan;
pub use reading::{Readers, Reading, ReadingSettings, Script};
pub use segment::{split_sentences, Sentence};
pub use tag::{InvalidLangTag, LangTag};
