//! The platform's own speech (Speech Dispatcher on Linux, through the `tts`
//! crate), for local playback with `herald speak`.
//!
//! It can only play on the host: no buffer, no file, no word marks. It
//! therefore does not implement [`super::Engine`] and never serves HTTP
//! responses. Each paragraph is queued as its own utterance, in a voice of
//! its language when the platform has one, so the platform reports when each
//! paragraph begins and ends ([`PlatformEvent`]).

use crate::prosody::Rate;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tts::{Tts, UtteranceId};

#[derive(Debug, thiserror::Error)]
pub(crate) enum PlatformError {
    #[error("platform speech is unavailable: {0}")]
    Unavailable(String),
    #[error("platform speech failed: {0}")]
    Speak(String),
    #[error("platform speech did not finish within {0:?}")]
    Timeout(Duration),
    #[error("stopped")]
    Stopped,
}

/// What the platform reports while it speaks, by paragraph index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PlatformEvent {
    /// The paragraph is queued with this voice (name and language).
    Voice {
        paragraph: usize,
        name: String,
        lang: String,
    },
    Begin(usize),
    End(usize),
    /// Cancelled before it ended.
    Stopped(usize),
}

impl std::fmt::Display for PlatformEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Voice { paragraph, name, lang } => write!(f, "voice {paragraph} {lang} {name}"),
            Self::Begin(paragraph) => write!(f, "begin {paragraph}"),
            Self::End(paragraph) => write!(f, "end {paragraph}"),
            Self::Stopped(paragraph) => write!(f, "stopped {paragraph}"),
        }
    }
}

/// A paragraph to speak, with its language (a primary subtag) if known.
pub(crate) struct Paragraph<'a> {
    pub(crate) text: &'a str,
    pub(crate) lang: Option<&'a str>,
}

/// The platform's rate for `wpm`: its normal rate is taken as Herald's
/// normal rate, its slowest as Herald's slowest and its fastest as 390 wpm
/// (espeak-ng's range behind Speech Dispatcher), linearly in between.
fn platform_rate(wpm: u32, (min, normal, max): (f32, f32, f32)) -> f32 {
    const PLATFORM_FASTEST_WPM: f32 = 390.0;
    let (slowest, usual) = (Rate::MIN as f32, Rate::NORMAL as f32);
    let wpm = wpm as f32;
    let rate = if wpm < usual {
        normal - (usual - wpm) / (usual - slowest) * (normal - min)
    } else {
        normal + (wpm - usual) / (PLATFORM_FASTEST_WPM - usual) * (max - normal)
    };
    rate.clamp(min, max)
}

/// The platform's voice for a primary language subtag: a plain voice (not
/// a variant such as `English+Adam`) of the language's own country (`fr-FR`)
/// if there is one, else the one with the shortest, then first, tag.
fn best_voice<'v>(voices: &'v [tts::Voice], lang: &str) -> Option<&'v tts::Voice> {
    let home = format!("{lang}-{}", lang.to_uppercase());
    voices
        .iter()
        .filter(|v| v.language().primary_language().eq_ignore_ascii_case(lang) && !v.name().contains('+'))
        .min_by_key(|v| {
            let tag = v.language().to_string();
            (!tag.eq_ignore_ascii_case(&home), tag.len(), tag)
        })
}

/// Speaks `paragraphs` aloud on this machine at `rate_wpm`, reporting each
/// paragraph's events to `report` in order, and returns when the last has
/// ended, when `stop` is set (the speech is cancelled), or after `limit`.
pub(crate) fn speak(
    paragraphs: &[Paragraph<'_>],
    rate_wpm: u32,
    limit: Duration,
    stop: &AtomicBool,
    mut report: impl FnMut(PlatformEvent),
) -> Result<(), PlatformError> {
    let failed = |e: tts::Error| PlatformError::Speak(e.to_string());
    let mut tts = Tts::default().map_err(|e| PlatformError::Unavailable(e.to_string()))?;
    let (tx, rx) = mpsc::channel::<(UtteranceId, fn(usize) -> PlatformEvent)>();
    let callback = |event: fn(usize) -> PlatformEvent| -> Option<Box<dyn FnMut(UtteranceId)>> {
        let tx = tx.clone();
        Some(Box::new(move |id| {
            let _ = tx.send((id, event));
        }))
    };
    tts.on_utterance_begin(callback(PlatformEvent::Begin)).map_err(failed)?;
    tts.on_utterance_end(callback(PlatformEvent::End)).map_err(failed)?;
    tts.on_utterance_stop(callback(PlatformEvent::Stopped)).map_err(failed)?;
    let limits = (tts.min_rate(), tts.normal_rate(), tts.max_rate());
    tts.set_rate(platform_rate(rate_wpm, limits)).map_err(failed)?;
    let voices = tts.voices().unwrap_or_default();
    let mut current: Option<String> = None;
    let mut queued = HashMap::new();
    for (index, paragraph) in paragraphs.iter().enumerate() {
        let voice = paragraph.lang.and_then(|lang| best_voice(&voices, lang));
        if let Some(voice) = voice.filter(|v| current.as_deref() != Some(&v.name())) {
            tts.set_voice(voice).map_err(failed)?;
            current = Some(voice.name());
            report(PlatformEvent::Voice { paragraph: index, name: voice.name(), lang: voice.language().to_string() });
        }
        let id = tts.speak(paragraph.text, false).map_err(failed)?;
        queued.insert(id.ok_or_else(|| PlatformError::Speak("no utterance id".into()))?, index);
    }
    let started = Instant::now();
    let mut pending = queued.len();
    while pending > 0 {
        if stop.load(Ordering::SeqCst) {
            tts.stop().map_err(failed)?;
            // The platform confirms the cancellation of the current paragraph.
            while let Ok((id, event)) = rx.recv_timeout(Duration::from_millis(500)) {
                if let Some(&index) = queued.get(&id) {
                    report(event(index));
                }
            }
            return Err(PlatformError::Stopped);
        }
        if started.elapsed() > limit {
            let _ = tts.stop();
            return Err(PlatformError::Timeout(limit));
        }
        let Ok((id, event)) = rx.recv_timeout(Duration::from_millis(20)) else { continue };
        let Some(&index) = queued.get(&id) else { continue };
        let event = event(index);
        if !matches!(event, PlatformEvent::Begin(_)) {
            pending -= 1;
        }
        report(event);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_per_minute_map_onto_the_platform_range() {
        let speechd = (-100.0, 0.0, 100.0);
        assert_eq!(platform_rate(175, speechd), 0.0);
        assert_eq!(platform_rate(80, speechd), -100.0);
        assert_eq!(platform_rate(390, speechd), 100.0);
        assert_eq!(platform_rate(600, speechd), 100.0);
        assert!(platform_rate(100, speechd) < platform_rate(300, speechd));
    }

    #[test]
    fn events_read_as_lines() {
        let voice = PlatformEvent::Voice { paragraph: 1, name: "French (France)".into(), lang: "fr-FR".into() };
        assert_eq!(voice.to_string(), "voice 1 fr-FR French (France)");
        assert_eq!(PlatformEvent::Begin(0).to_string(), "begin 0");
    }
}
