//! The formats Herald returns audio in: their names, file extensions, HTTP
//! content types, and parsing from a name ("mp3") or a media type
//! ("audio/ogg; codecs=opus").

use std::fmt;
use std::str::FromStr;

/// Formats Herald can return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AudioFormat {
    /// RIFF WAVE, 16-bit mono PCM.
    #[default]
    Wav,
    /// Raw s16le mono samples.
    Pcm,
    /// MPEG-1/2 Layer III, constant bitrate, mono.
    Mp3,
    /// Opus in an Ogg container, 48 kHz mono.
    Opus,
    /// Free Lossless Audio Codec, 16-bit mono.
    Flac,
}

/// A name or media type that matches no format Herald produces.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown audio format `{0}`; use wav, pcm, mp3, opus or flac")]
pub struct UnknownFormat(pub String);

impl AudioFormat {
    /// Every format, in the order Herald prefers them when a client has no preference.
    pub const ALL: [AudioFormat; 5] = [Self::Wav, Self::Pcm, Self::Mp3, Self::Opus, Self::Flac];

    /// The short name used in requests and configuration (`"mp3"`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Wav => "wav",
            Self::Pcm => "pcm",
            Self::Mp3 => "mp3",
            Self::Opus => "opus",
            Self::Flac => "flac",
        }
    }

    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        // The names were chosen to be the usual extensions.
        self.name()
    }

    /// The HTTP `Content-Type` of audio in this format at `sample_rate` (only
    /// raw PCM needs the rate, since it carries no header).
    pub fn content_type(self, sample_rate: u32) -> String {
        match self {
            Self::Wav => "audio/wav".into(),
            Self::Pcm => {
                format!("audio/L16; rate={sample_rate}; channels=1; endianness=little-endian")
            }
            Self::Mp3 => "audio/mpeg".into(),
            Self::Opus => "audio/ogg; codecs=opus".into(),
            Self::Flac => "audio/flac".into(),
        }
    }

    /// The header that precedes raw samples in a stream of unknown length:
    /// the WAV header with sizes 0xFFFFFFFF, nothing for PCM.
    ///
    /// Compressed formats have no header that raw samples could follow; their
    /// [`Encoder`](super::Encoder) writes its own at the start of its output,
    /// so this is empty for them.
    pub fn stream_header(self, sample_rate: u32) -> Vec<u8> {
        match self {
            Self::Wav => super::wav::streaming_header(sample_rate).to_vec(),
            Self::Pcm | Self::Mp3 | Self::Opus | Self::Flac => Vec::new(),
        }
    }

    /// The format a single media type (one entry of an `Accept` header, or a
    /// `Content-Type`) asks for. Parameters other than `codecs` are ignored;
    /// wildcards match nothing, so the caller chooses its own default.
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        let mime: mime::Mime = media_type.trim().parse().ok()?;
        if mime.type_() != mime::AUDIO {
            return None;
        }
        let codecs = mime.get_param("codecs").map(|c| c.as_str().to_ascii_lowercase());
        match mime.subtype().as_str().to_ascii_lowercase().as_str() {
            "wav" | "wave" | "x-wav" | "vnd.wave" => Some(Self::Wav),
            "l16" => Some(Self::Pcm),
            "mpeg" | "mp3" | "mpeg3" | "x-mpeg-3" => Some(Self::Mp3),
            "ogg" if codecs.as_deref().map_or(true, |c| c == "opus") => Some(Self::Opus),
            "opus" => Some(Self::Opus),
            "flac" | "x-flac" => Some(Self::Flac),
            _ => None,
        }
    }
}

impl FromStr for AudioFormat {
    type Err = UnknownFormat;

    /// Parses a short name, case-insensitively: `wav`, `pcm`, `mp3`, `opus`, `flac`.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let name = name.trim();
        Self::ALL.into_iter().find(|f| f.name().eq_ignore_ascii_case(name)).ok_or_else(|| UnknownFormat(name.into()))
    }
}

impl fmt::Display for AudioFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_and_match_serde() {
        for format in AudioFormat::ALL {
            assert_eq!(format.name().parse::<AudioFormat>(), Ok(format));
            assert_eq!(format.name().to_uppercase().parse::<AudioFormat>(), Ok(format));
            assert_eq!(serde_json::to_string(&format).unwrap(), format!("\"{}\"", format.name()));
        }
        assert_eq!("aac".parse::<AudioFormat>(), Err(UnknownFormat("aac".into())));
        assert!("".parse::<AudioFormat>().is_err());
    }

    #[test]
    fn content_types_parse_back_as_media_types() {
        for format in AudioFormat::ALL {
            assert_eq!(AudioFormat::from_media_type(&format.content_type(22050)), Some(format), "{format}");
        }
    }

    #[test]
    fn media_types_from_accept_entries() {
        let cases = [
            ("audio/mpeg", Some(AudioFormat::Mp3)),
            ("audio/MP3", Some(AudioFormat::Mp3)),
            ("audio/ogg", Some(AudioFormat::Opus)),
            ("audio/ogg; codecs=\"opus\"", Some(AudioFormat::Opus)),
            ("audio/ogg; codecs=vorbis", None),
            ("audio/opus", Some(AudioFormat::Opus)),
            ("audio/x-flac", Some(AudioFormat::Flac)),
            ("audio/wave;q=0.5", Some(AudioFormat::Wav)),
            ("audio/L16;rate=22050", Some(AudioFormat::Pcm)),
            ("audio/*", None),
            ("*/*", None),
            ("text/html", None),
            ("not a media type", None),
        ];
        for (media_type, expected) in cases {
            assert_eq!(AudioFormat::from_media_type(media_type), expected, "{media_type}");
        }
    }

    #[test]
    fn only_raw_formats_have_a_stream_header() {
        assert_eq!(AudioFormat::Wav.stream_header(22050).len(), 44);
        for format in [AudioFormat::Pcm, AudioFormat::Mp3, AudioFormat::Opus, AudioFormat::Flac] {
            assert!(format.stream_header(22050).is_empty());
        }
        assert_eq!(AudioFormat::Mp3.extension(), "mp3");
        assert_eq!(AudioFormat::Opus.content_type(48000), "audio/ogg; codecs=opus");
    }
}
