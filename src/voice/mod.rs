//! Voices: the catalog (engine voices plus the preferences in
//! `voices/catalog.toml`) and choosing a voice for a language tag.
//!
//! Selection order: an explicit voice id wins; then a catalog preference for
//! the exact tag, then for its primary language; then the engine voice that
//! lists the exact tag, then the primary language (lowest engine priority
//! first); finally the default language's voice.

pub(crate) mod catalog;

pub(crate) use catalog::Catalog;
pub use catalog::{CatalogError, InvalidVoiceId, Quality, Voice, VoiceId};

/// Why no voice could be chosen.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum VoiceError {
    #[error("there is no voice `{0}` (GET /v1/voices lists them)")]
    Unknown(String),
    #[error("no voice is installed for `{0}` or for the default language")]
    NoneForLanguage(String),
}
