//! The speech parameters Speech Dispatcher sets before each message
//! (`SET`), and what they become in Herald: a rate in words per minute, a
//! pitch, a gain, a language and a voice.
//!
//! Speech Dispatcher's scales run from -100 to 100 with 0 the voice's
//! normal. Rate maps as `sd_espeak-ng` maps it, piecewise around Herald's
//! normal rate, up to Herald's fastest (600 wpm, about 3.4×, where screen
//! reader users listen); pitch maps onto 0–100; volume is a gain on the
//! samples, 0 being the voice's own level. The server sends `voice` for
//! the voice type (`male1`…); `voice_type` is read as the same.
//! `pitch_range`, `punctuation_mode`, `cap_let_recogn` and `voice_type`
//! are checked, and change nothing: Herald's engines cannot vary them yet;
//! `spelling_mode=on` spells messages out letter by letter.

use crate::speech::{Pitch, Rate};
use crate::text::LangTag;

/// The value given is not one the parameter takes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{name}` cannot be `{value}`")]
pub(crate) struct InvalidParam {
    pub(crate) name: String,
    pub(crate) value: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Params {
    /// -100..=100, 0 normal.
    rate: i32,
    pitch: i32,
    volume: i32,
    /// Whether messages are spelled out letter by letter.
    pub(crate) spelling: bool,
    /// The message's language, if the client set one.
    pub(crate) language: Option<LangTag>,
    /// The voice the client chose by name, if any.
    pub(crate) synthesis_voice: Option<String>,
}

const PUNCTUATION: &[&str] = &["none", "some", "most", "all"];
const CAPITALS: &[&str] = &["none", "spell", "icon"];
const VOICE_TYPES: &[&str] =
    &["male1", "male2", "male3", "female1", "female2", "female3", "child_male", "child_female", "unspecified"];

impl Params {
    /// Sets one parameter. Names Herald does not know are accepted and
    /// ignored, so that a newer server keeps working; known ones must
    /// have a valid value.
    pub(crate) fn set(&mut self, name: &str, value: &str) -> Result<(), InvalidParam> {
        let invalid = || InvalidParam { name: name.to_string(), value: value.to_string() };
        let scale = || value.trim().parse::<i32>().ok().filter(|v| (-100..=100).contains(v)).ok_or_else(invalid);
        let unset = value == "NULL";
        let one_of = |names: &[&str]| {
            let lower = value.to_ascii_lowercase();
            names.contains(&lower.as_str()).then_some(lower).ok_or_else(invalid)
        };
        match name {
            "rate" => self.rate = scale()?,
            "pitch" => self.pitch = scale()?,
            "pitch_range" => {
                scale()?;
            }
            "volume" => self.volume = scale()?,
            "punctuation_mode" => {
                one_of(PUNCTUATION)?;
            }
            "spelling_mode" => {
                self.spelling = match value {
                    "on" => true,
                    "off" => false,
                    _ => return Err(invalid()),
                }
            }
            "cap_let_recogn" => {
                one_of(CAPITALS)?;
            }
            "voice" | "voice_type" => {
                if !unset {
                    one_of(VOICE_TYPES)?;
                }
            }
            // The server sends its locale's language, `c` under the POSIX
            // locale: what is not a language tag leaves the language unset.
            "language" => self.language = if unset { None } else { LangTag::parse(value).ok() },
            "synthesis_voice" => self.synthesis_voice = (!unset).then(|| value.to_string()),
            _ => tracing::debug!(name, value, "parameter not used by Herald"),
        }
        Ok(())
    }

    /// The rate in words per minute.
    pub(crate) fn rate(&self) -> Rate {
        let normal = Rate::NORMAL as i32;
        let wpm = if self.rate < 0 {
            normal + (normal - Rate::MIN as i32) * self.rate / 100
        } else {
            normal + (Rate::MAX as i32 - normal) * self.rate / 100
        };
        Rate::new(wpm as u32).expect("the scale maps inside Herald's range")
    }

    pub(crate) fn pitch(&self) -> Pitch {
        Pitch::new((50 + self.pitch / 2) as u32).expect("the scale maps inside 0–100")
    }

    /// The factor samples are scaled by: 1 at volume 0, 0 at -100, 2 at 100.
    pub(crate) fn gain(&self) -> f32 {
        (self.volume + 100) as f32 / 100.0
    }
}

/// Scales samples by `gain`, saturating.
pub(crate) fn apply_gain(samples: &mut [i16], gain: f32) {
    if (gain - 1.0).abs() < f32::EPSILON {
        return;
    }
    for sample in samples {
        *sample = (*sample as f32 * gain).round().clamp(i16::MIN as f32, i16::MAX as f32) as i16;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_pitch_and_volume_map_onto_herald_scales() {
        let mut params = Params::default();
        assert_eq!((params.rate().wpm(), params.pitch().value(), params.gain()), (175, 50, 1.0));
        for (name, value) in [("rate", "-100"), ("pitch", "-100"), ("volume", "-50")] {
            params.set(name, value).unwrap();
        }
        assert_eq!((params.rate().wpm(), params.pitch().value(), params.gain()), (80, 0, 0.5));
        for (name, value) in [("rate", "100"), ("pitch", "100"), ("volume", "100")] {
            params.set(name, value).unwrap();
        }
        assert_eq!((params.rate().wpm(), params.pitch().value(), params.gain()), (600, 100, 2.0));
        params.set("rate", "50").unwrap();
        assert_eq!(params.rate().wpm(), 387);
    }

    #[test]
    fn refuses_values_out_of_range_and_keeps_the_old_one() {
        let mut params = Params::default();
        params.set("rate", "30").unwrap();
        for (name, value) in [
            ("rate", "101"),
            ("rate", "fast"),
            ("punctuation_mode", "loud"),
            ("spelling_mode", "maybe"),
            ("voice", "robot"),
        ] {
            assert!(params.set(name, value).is_err(), "{name}={value}");
        }
        assert_eq!(params.rate().wpm(), 302);
    }

    #[test]
    fn null_unsets_language_and_voice_and_unknown_names_pass() {
        let mut params = Params::default();
        params.set("language", "fr-CA").unwrap();
        params.set("synthesis_voice", "Joe").unwrap();
        assert_eq!(params.language.as_ref().map(LangTag::primary), Some("fr"));
        params.set("language", "c").unwrap();
        assert_eq!(params.language, None, "the POSIX locale's language is no language");
        params.set("language", "fr").unwrap();
        params.set("language", "NULL").unwrap();
        params.set("synthesis_voice", "NULL").unwrap();
        assert_eq!((params.language, params.synthesis_voice), (None, None));
        assert!(Params::default().set("a_future_parameter", "1").is_ok());
        assert!(Params::default().set("voice", "MALE1").is_ok());
    }

    #[test]
    fn gain_saturates() {
        let mut samples = [20_000, -20_000, 100];
        apply_gain(&mut samples, 2.0);
        assert_eq!(samples, [i16::MAX, i16::MIN, 200]);
    }
}
