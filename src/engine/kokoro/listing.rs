//! How Kokoro's voices are listed: each language's first choice, the rank
//! of the others, and what a worker greets with before any model is loaded
//! (for commands that only plan or list voices; those listings carry no
//! model fingerprint, so they must not name cached audio).

use super::pack::PackVoice;
use super::{engine_info, KokoroSetup};
use crate::engine::protocol::Hello;
use crate::engine::{EngineError, EngineVoice};

/// Each language's first voice: the best-graded in Kokoro's voice list
/// (hexgrad/Kokoro-82M `VOICES.md`). The others rank after it.
const FIRST_CHOICES: &[&str] =
    &["af_heart", "bf_emma", "ef_dora", "ff_siwis", "hf_alpha", "if_sara", "jf_alpha", "pf_dora", "zf_xiaobei"];

/// The voice's rank for its language (1 first). English ranks one lower:
/// Piper's English voice stays the first natural English voice.
fn priority(voice: &PackVoice) -> u8 {
    let first = FIRST_CHOICES.contains(&voice.name.as_str());
    1 + u8::from(!first) + u8::from(voice.language.starts_with("en"))
}

pub(super) fn listing(voice: &PackVoice, fingerprint: Option<String>) -> EngineVoice {
    EngineVoice {
        identifier: voice.name.clone(),
        name: format!("Kokoro {}", voice.name),
        languages: vec![(priority(voice), voice.language.to_string())],
        gender: voice.gender,
        model: fingerprint,
    }
}

impl KokoroSetup {
    /// What a worker on this setup would greet with, minus model
    /// fingerprints: read from the packs' files, no model loaded.
    pub(crate) fn hello(&self, espeak_version: &str) -> Result<Hello, EngineError> {
        let mut voices = Vec::new();
        for pack in &self.packs {
            voices.extend(pack.voices()?.iter().map(|voice| listing(voice, None)));
        }
        Ok(Hello { info: engine_info(self, espeak_version), voices })
    }
}
