//! Independent decoders for the audio Herald serves: the unit tests' own
//! helpers (`src/audio/testing.rs`: symphonia for WAV, MP3 and FLAC;
//! opus-tools for Ogg Opus), shared rather than copied.

pub(crate) use herald::audio::{rms, seconds};

#[path = "../../src/audio/testing.rs"]
pub(crate) mod testing;

// Not every test crate that includes `common` uses every helper.
#[allow(unused_imports)]
pub(crate) use testing::{assert_plausible, decode, decode_opus, Decoded};

/// Decodes a file of Herald's formats by its extension.
pub(crate) fn decode_any(bytes: &[u8], extension: &str) -> Decoded {
    match extension {
        "opus" => decode_opus(bytes, false).0,
        other => decode(bytes, other),
    }
}
