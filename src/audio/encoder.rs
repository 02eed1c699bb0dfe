//! The streaming encoder: one trait for every [`AudioFormat`], and its error.
//! A leaf under `audio`: each format's encoder implements it, and the
//! factory in `encode` builds them.
//!
//! Every chunk an encoder returns ends on a boundary of its format (a WAV
//! sample, an MP3 frame, an Ogg page, a FLAC frame), so a stream cut after
//! any chunk is still playable up to the cut.

use super::format::AudioFormat;
use super::resample::ResampleError;

/// Turns 16-bit mono PCM into bytes of one format, a chunk at a time.
///
/// The first output (of `encode` or `finish`) starts with the format's header
/// if it has one (all but PCM and MP3), even when it carries no audio yet, so
/// a caller can send it at once. Errors
/// come from the codec libraries and are fatal for the stream: the encoder
/// must not be used after one.
pub(crate) trait Encoder: Send {
    /// Encodes more samples, returning the bytes that are complete. It may
    /// hold samples back until a whole frame has arrived.
    fn encode(&mut self, samples: &[i16]) -> Result<Vec<u8>, EncodeError>;

    /// Encodes whatever is held back (padding the last frame with silence
    /// where the format needs whole frames) and ends the stream.
    fn finish(self: Box<Self>) -> Result<Vec<u8>, EncodeError>;

    /// The sample rate of the encoded audio.
    fn output_rate(&self) -> u32;
}

/// Why audio could not be encoded.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EncodeError {
    #[error("{format} cannot carry audio at {rate} Hz")]
    UnsupportedRate { format: AudioFormat, rate: u32 },
    #[error(transparent)]
    Resample(#[from] ResampleError),
    #[error("LAME rejected its settings: {0}")]
    Mp3Setup(#[from] mp3lame_encoder::BuildError),
    #[error("LAME failed: {0}")]
    Mp3(#[from] mp3lame_encoder::EncodeError),
    #[error("LAME produced bytes that are not an MPEG audio frame")]
    Mp3Sync,
    #[error("libopus failed: {0}")]
    Opus(#[from] ::opus::Error),
    // flacenc's errors hold an `Rc` (they are not `Send`), so only their
    // messages are kept: an encoder error must be able to cross threads.
    #[error("FLAC encoder failed: {0}")]
    Flac(String),
    #[error("FLAC encoder rejected its settings: {0}")]
    FlacSetup(String),
    #[error("writing a FLAC frame failed: {0}")]
    FlacBits(String),
    #[error("writing Ogg pages failed: {0}")]
    Ogg(#[from] std::io::Error),
}

impl From<flacenc::error::EncodeError> for EncodeError {
    fn from(error: flacenc::error::EncodeError) -> Self {
        Self::Flac(error.to_string())
    }
}

impl From<flacenc::error::VerifyError> for EncodeError {
    fn from(error: flacenc::error::VerifyError) -> Self {
        Self::FlacSetup(error.to_string())
    }
}

impl From<flacenc::error::OutputError<flacenc::bitsink::ByteSink>> for EncodeError {
    fn from(error: flacenc::error::OutputError<flacenc::bitsink::ByteSink>) -> Self {
        Self::FlacBits(error.to_string())
    }
}
