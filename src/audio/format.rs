//! The formats Herald returns audio in: their names, file extensions, HTTP
//! content types, and parsing from a name ("mp3"), a file extension, a media
//! type ("audio/ogg; codecs=opus") or a whole `Accept` header. This is the
//! one place that maps names, extensions and media types to formats.

use std::fmt;
use std::str::FromStr;

/// Formats Herald can return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub(crate) enum AudioFormat {
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
pub(crate) struct UnknownFormat(pub(crate) String);

impl AudioFormat {
    /// Every format, in the order Herald prefers them when a client has no preference.
    pub(crate) const ALL: [AudioFormat; 5] = [Self::Wav, Self::Pcm, Self::Mp3, Self::Opus, Self::Flac];

    /// The formats that make a self-describing audio file (documents' audio
    /// URLs, `herald synth -o`). Raw PCM is not one: it carries no rate, so
    /// it is only sent as a stream whose `Content-Type` says the rate.
    pub(crate) const FILES: [AudioFormat; 4] = [Self::Wav, Self::Mp3, Self::Opus, Self::Flac];

    /// The short name used in requests and configuration (`"mp3"`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Wav => "wav",
            Self::Pcm => "pcm",
            Self::Mp3 => "mp3",
            Self::Opus => "opus",
            Self::Flac => "flac",
        }
    }

    /// The file extension, without the dot.
    pub(crate) fn extension(self) -> &'static str {
        // The names were chosen to be the usual extensions.
        self.name()
    }

    /// The file format with this extension (case-insensitive, no dot), one
    /// of [`Self::FILES`].
    pub(crate) fn from_extension(extension: &str) -> Option<Self> {
        Self::FILES.into_iter().find(|f| f.extension().eq_ignore_ascii_case(extension))
    }

    /// The HTTP `Content-Type` of audio in this format at `sample_rate` (only
    /// raw PCM needs the rate, since it carries no header).
    pub(crate) fn content_type(self, sample_rate: u32) -> String {
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
    pub(crate) fn stream_header(self, sample_rate: u32) -> Vec<u8> {
        match self {
            Self::Wav => super::wav::streaming_header(sample_rate).to_vec(),
            Self::Pcm | Self::Mp3 | Self::Opus | Self::Flac => Vec::new(),
        }
    }

    /// The header to write over the start of a complete stream of
    /// `stream_bytes` bytes (its header included) now that its length is
    /// known: for WAV, the header with the real sizes; empty for the other
    /// formats, whose streams are complete as sent. `None` when the length
    /// does not fit the format (a WAV over 4 GiB).
    pub(crate) fn final_header(self, sample_rate: u32, stream_bytes: u64) -> Option<Vec<u8>> {
        match self {
            Self::Wav => {
                let data = stream_bytes.checked_sub(44).and_then(|d| u32::try_from(d).ok())?;
                Some(super::wav::header(sample_rate, Some(data)).to_vec())
            }
            Self::Pcm | Self::Mp3 | Self::Opus | Self::Flac => Some(Vec::new()),
        }
    }

    /// The format an HTTP `Accept` header asks for: the first entry, in the
    /// client's order, that names a format Herald produces. Entries with
    /// `q=0` (refused) are passed over; other weights are not compared.
    /// `None` when no entry names one (`*/*`, `audio/*`, `application/json`):
    /// the caller chooses its own default.
    pub(crate) fn from_accept(accept: &str) -> Option<Self> {
        accept.split(',').filter(|entry| !refused(entry)).find_map(Self::from_media_type)
    }

    /// The format a single media type (one entry of an `Accept` header, or a
    /// `Content-Type`) asks for. Parameters other than `codecs` are ignored;
    /// wildcards match nothing, so the caller chooses its own default.
    pub(crate) fn from_media_type(media_type: &str) -> Option<Self> {
        let mime: mime::Mime = media_type.trim().parse().ok()?;
        if mime.type_() != mime::AUDIO {
            return None;
        }
        let codecs = mime.get_param("codecs").map(|c| c.as_str().to_ascii_lowercase());
        match mime.subtype().as_str().to_ascii_lowercase().as_str() {
            "wav" | "wave" | "x-wav" | "vnd.wave" => Some(Self::Wav),
            "l16" => Some(Self::Pcm),
            "mpeg" | "mp3" | "mpeg3" | "x-mpeg-3" => Some(Self::Mp3),
            "ogg" if codecs.as_deref().is_none_or(|c| c == "opus") => Some(Self::Opus),
            "opus" => Some(Self::Opus),
            "flac" | "x-flac" => Some(Self::Flac),
            _ => None,
        }
    }
}

/// Whether an `Accept` entry carries `q=0`.
fn refused(entry: &str) -> bool {
    entry.split(';').skip(1).filter_map(|param| param.split_once('=')).any(|(name, value)| {
        name.trim().eq_ignore_ascii_case("q") && value.trim().parse::<f32>().is_ok_and(|q| q == 0.0)
    })
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
    fn accept_headers_pick_the_first_format_named() {
        let cases = [
            ("audio/mpeg", Some(AudioFormat::Mp3)),
            ("application/json, audio/flac;q=0.9, audio/mpeg", Some(AudioFormat::Flac)),
            ("audio/*;q=0.8, audio/ogg; codecs=opus", Some(AudioFormat::Opus)),
            ("audio/mpeg;q=0, audio/wav", Some(AudioFormat::Wav)),
            ("audio/mpeg; q=0.0", None),
            ("*/*", None),
            ("", None),
            ("text/html,application/xhtml+xml", None),
        ];
        for (accept, expected) in cases {
            assert_eq!(AudioFormat::from_accept(accept), expected, "{accept}");
        }
    }

    #[test]
    fn file_extensions_name_the_file_formats_only() {
        for format in AudioFormat::FILES {
            assert_eq!(AudioFormat::from_extension(format.extension()), Some(format));
        }
        assert_eq!(AudioFormat::from_extension("MP3"), Some(AudioFormat::Mp3));
        assert_eq!(AudioFormat::from_extension("pcm"), None, "raw PCM has no file form");
        assert_eq!(AudioFormat::from_extension("ogg"), None);
        assert_eq!(AudioFormat::from_extension(""), None);
    }

    #[test]
    fn only_wav_needs_its_header_rewritten_at_the_end() {
        let samples = [1i16, -1, 7];
        let file = crate::audio::wav::to_bytes(22050, &samples);
        assert_eq!(AudioFormat::Wav.final_header(22050, file.len() as u64), Some(file[..44].to_vec()));
        assert_eq!(AudioFormat::Wav.final_header(22050, 10), None, "shorter than its header");
        assert_eq!(AudioFormat::Wav.final_header(22050, 44 + (1 << 32)), None, "over 4 GiB");
        for format in [AudioFormat::Pcm, AudioFormat::Mp3, AudioFormat::Opus, AudioFormat::Flac] {
            assert_eq!(format.final_header(22050, 1000), Some(Vec::new()));
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
