//! The platform's own speech (Speech Dispatcher on Linux, through the `tts`
//! crate), for local playback with `herald speak`.
//!
//! It can only play on the host: no buffer, no file, no marks. It therefore
//! does not implement [`super::Engine`] and never serves HTTP responses.

use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    #[error("platform speech is unavailable: {0}")]
    Unavailable(String),
    #[error("platform speech failed: {0}")]
    Speak(String),
    #[error("platform speech did not finish within {0:?}")]
    Timeout(Duration),
}

/// Speaks `text` aloud on this machine and waits until it has been spoken
/// (or `limit` passes). `rate` is words per minute; `lang` picks a voice
/// whose language starts with it when the platform offers one.
pub fn speak(text: &str, lang: Option<&str>, rate_wpm: u32, limit: Duration) -> Result<(), PlatformError> {
    let mut tts = tts::Tts::default().map_err(|e| PlatformError::Unavailable(e.to_string()))?;
    if let (Some(lang), Ok(voices)) = (lang, tts.voices()) {
        if let Some(voice) =
            voices.iter().find(|v| v.language().to_string().to_lowercase().starts_with(&lang.to_lowercase()))
        {
            let _ = tts.set_voice(voice);
        }
    }
    // tts rates are relative to the engine's normal rate.
    let (min, normal, max) = (tts.min_rate(), tts.normal_rate(), tts.max_rate());
    let rate = (normal * rate_wpm as f32 / crate::speech::Rate::NORMAL as f32).clamp(min, max);
    let _ = tts.set_rate(rate);
    tts.speak(text, false).map_err(|e| PlatformError::Speak(e.to_string()))?;
    let started = Instant::now();
    // Speech Dispatcher reports "speaking" with a small delay after the call.
    std::thread::sleep(Duration::from_millis(200));
    while tts.is_speaking().map_err(|e| PlatformError::Speak(e.to_string()))? {
        if started.elapsed() > limit {
            let _ = tts.stop();
            return Err(PlatformError::Timeout(limit));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}
