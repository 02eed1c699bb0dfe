//! The factory of streaming encoders: an [`Encoder`] for a format and an
//! input rate (resampling where the format or the caller asks for another
//! rate).

use super::encoder::{EncodeError, Encoder};
use super::format::AudioFormat;
use super::resample::StreamResampler;
use super::{flac, mp3, opus};

/// An encoder for `format` fed at `input_rate`, at the format's natural rate:
/// the input rate for WAV, PCM and FLAC; for MP3 the input rate when MPEG
/// audio has it (22,050 Hz does), else the next MPEG rate up; 48 kHz for Opus.
pub(crate) fn encoder(format: AudioFormat, input_rate: u32) -> Result<Box<dyn Encoder>, EncodeError> {
    let output_rate = match format {
        AudioFormat::Wav | AudioFormat::Pcm | AudioFormat::Flac => input_rate,
        AudioFormat::Mp3 => mp3::natural_rate(input_rate),
        AudioFormat::Opus => opus::RATE,
    };
    encoder_at(format, input_rate, output_rate)
}

/// An encoder for `format` fed at `input_rate` that resamples to
/// `output_rate` (e.g. MP3 at 44,100 Hz for podcasts). Fails with
/// [`EncodeError::UnsupportedRate`] when the format cannot carry that rate.
pub(crate) fn encoder_at(
    format: AudioFormat,
    input_rate: u32,
    output_rate: u32,
) -> Result<Box<dyn Encoder>, EncodeError> {
    if input_rate == 0 {
        return Err(EncodeError::UnsupportedRate { format, rate: input_rate });
    }
    Ok(match format {
        AudioFormat::Wav | AudioFormat::Pcm => Box::new(RawEncoder::new(format, input_rate, output_rate)?),
        AudioFormat::Mp3 => Box::new(mp3::Mp3Encoder::new(input_rate, output_rate)?),
        AudioFormat::Opus => Box::new(opus::OpusEncoder::new(input_rate, output_rate)?),
        AudioFormat::Flac => Box::new(flac::FlacEncoder::new(input_rate, output_rate)?),
    })
}

/// Encodes a whole buffer at the format's natural rate: the bytes a stream
/// of it would be.
#[cfg(test)]
fn encode_all(format: AudioFormat, input_rate: u32, samples: &[i16]) -> Result<Vec<u8>, EncodeError> {
    let mut encoder = encoder(format, input_rate)?;
    let mut bytes = encoder.encode(samples)?;
    bytes.extend(encoder.finish()?);
    Ok(bytes)
}

/// A finished MP3 for publishing (podcast episodes, talking books): the
/// whole of `samples` normalised to `lufs` integrated loudness under a
/// `true_peak_dbtp` ceiling, resampled to `mp3_rate`.
pub(crate) fn mastered_mp3(
    samples: &[i16],
    rate: u32,
    lufs: f64,
    true_peak_dbtp: f64,
    mp3_rate: u32,
) -> Result<Vec<u8>, EncodeError> {
    let normalized = super::normalize(samples, rate, lufs, true_peak_dbtp);
    let mut encoder = encoder_at(AudioFormat::Mp3, rate, mp3_rate)?;
    let mut bytes = encoder.encode(&normalized)?;
    bytes.extend(encoder.finish()?);
    Ok(bytes)
}

/// WAV (a header of unknown length, then samples) and raw PCM (samples only).
struct RawEncoder {
    header: Option<Vec<u8>>,
    resampler: StreamResampler,
}

impl RawEncoder {
    fn new(format: AudioFormat, input_rate: u32, output_rate: u32) -> Result<Self, EncodeError> {
        if output_rate == 0 {
            return Err(EncodeError::UnsupportedRate { format, rate: output_rate });
        }
        let header = Some(format.stream_header(output_rate)).filter(|h| !h.is_empty());
        Ok(Self { header, resampler: StreamResampler::new(input_rate, output_rate)? })
    }
}

/// The header, if it is still to be sent, then the samples as s16le.
fn raw_bytes(header: Option<Vec<u8>>, samples: &[i16]) -> Vec<u8> {
    let mut out = header.unwrap_or_default();
    out.extend(super::to_le_bytes(samples));
    out
}

impl Encoder for RawEncoder {
    fn encode(&mut self, samples: &[i16]) -> Result<Vec<u8>, EncodeError> {
        let samples = self.resampler.push(samples)?;
        Ok(raw_bytes(self.header.take(), &samples))
    }

    fn finish(self: Box<Self>) -> Result<Vec<u8>, EncodeError> {
        let RawEncoder { header, resampler } = *self;
        Ok(raw_bytes(header, &resampler.finish()?))
    }

    fn output_rate(&self) -> u32 {
        self.resampler.output_rate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::testing::{assert_plausible, decode, sine};

    #[test]
    fn wav_stream_is_the_streaming_header_then_samples() {
        let samples = sine(440.0, 22050, 0.2, 0.5);
        let mut enc = encoder(AudioFormat::Wav, 22050).unwrap();
        let first = enc.encode(&[]).unwrap();
        assert_eq!(first, crate::audio::wav::streaming_header(22050));
        let body = enc.encode(&samples).unwrap();
        assert_eq!(body, crate::audio::to_le_bytes(&samples));
        assert!(enc.finish().unwrap().is_empty());
    }

    #[test]
    fn pcm_is_bare_samples() {
        let samples = sine(440.0, 22050, 0.1, 0.5);
        assert_eq!(encode_all(AudioFormat::Pcm, 22050, &samples).unwrap(), crate::audio::to_le_bytes(&samples));
    }

    #[test]
    fn streamed_wav_decodes_with_an_independent_decoder() {
        let samples = sine(440.0, 22050, 1.0, 0.5);
        let mut enc = encoder(AudioFormat::Wav, 22050).unwrap();
        let mut bytes = Vec::new();
        for chunk in samples.chunks(1000) {
            bytes.extend(enc.encode(chunk).unwrap());
        }
        bytes.extend(enc.finish().unwrap());
        let decoded = decode(&bytes, "wav");
        assert_plausible(&decoded, 22050, 1.0, "streamed WAV");
        assert_eq!(decoded.samples, samples);
    }

    #[test]
    fn wav_resampled_on_request() {
        let samples = sine(440.0, 22050, 1.0, 0.5);
        let mut enc = encoder_at(AudioFormat::Wav, 22050, 44100).unwrap();
        assert_eq!(enc.output_rate(), 44100);
        let mut bytes = enc.encode(&samples).unwrap();
        bytes.extend(enc.finish().unwrap());
        assert_plausible(&decode(&bytes, "wav"), 44100, 1.0, "WAV at 44.1 kHz");
    }

    #[test]
    fn errors_can_cross_threads() {
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<EncodeError>();
    }

    #[test]
    fn zero_rates_are_refused() {
        for format in AudioFormat::ALL {
            assert!(matches!(encoder(format, 0), Err(EncodeError::UnsupportedRate { rate: 0, .. })), "{format}");
        }
        assert!(matches!(encoder_at(AudioFormat::Wav, 22050, 0), Err(EncodeError::UnsupportedRate { .. })));
    }
}
