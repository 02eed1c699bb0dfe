//! Audio: 16-bit mono PCM and what Herald makes of it. WAV files (through
//! hound) and the WAV header for streams of unknown length; streaming
//! encoders for every [`AudioFormat`] (MP3, Ogg Opus, FLAC, WAV, raw PCM);
//! resampling; EBU R128 loudness. It knows nothing of text.

mod encode;
mod encoder;
mod flac;
mod format;
mod loudness;
mod mp3;
mod opus;
mod resample;
#[cfg(test)]
pub(crate) mod testing;
pub(crate) mod wav;

pub(crate) use encode::{encoder, encoder_at, mastered_mp3};
pub(crate) use encoder::{EncodeError, Encoder};
pub(crate) use format::{AudioFormat, UnknownFormat};
#[cfg(test)]
pub(crate) use loudness::loudness;
pub(crate) use loudness::{db_to_gain, gain_db, normalize, scaled, LoudnessMeter};
pub(crate) use resample::{resample, StreamResampler};

/// Samples as little-endian bytes.
pub(crate) fn to_le_bytes(samples: &[i16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}

/// `ms` milliseconds of silence.
pub(crate) fn silence(ms: u32, sample_rate: u32) -> Vec<i16> {
    vec![0; (sample_rate as u64 * ms as u64 / 1000) as usize]
}

/// Samples to seconds.
pub fn seconds(samples: u64, sample_rate: u32) -> f64 {
    samples as f64 / sample_rate as f64
}

/// Root-mean-square level, 0.0 for silence, 1.0 for full scale.
pub fn rms(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let sum: f64 = samples.iter().map(|&s| (s as f64 / i16::MAX as f64).powi(2)).sum();
    (sum / samples.len() as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_and_levels() {
        assert_eq!(silence(500, 22050).len(), 11025);
        assert_eq!(rms(&silence(10, 22050)), 0.0);
        assert!((rms(&[i16::MAX, i16::MIN + 1]) - 1.0).abs() < 1e-9);
        assert_eq!(to_le_bytes(&[1, -2]), [1, 0, 0xFE, 0xFF]);
    }
}
