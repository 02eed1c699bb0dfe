//! MP3 through LAME (the `mp3lame-encoder` binding, which builds LAME 3.100
//! from source): mono, constant bitrate, 64 kbps up to 24 kHz and 96 kbps
//! above, with no Xing/Info tag (its totals are unknown while streaming).
//!
//! LAME hands out bytes as its bit reservoir fills, which can stop in the
//! middle of a frame. [`Framer`] holds such a tail back until the frame is
//! whole, so every chunk Herald sends is a run of complete frames and a
//! stream cut after any chunk decodes to the end.

use std::num::NonZeroU32;

use mp3lame_encoder::{Bitrate, BuildError, Builder, FlushGap, Mode, MonoPcm, Quality, VbrMode};

use super::encoder::{EncodeError, Encoder};
use super::format::AudioFormat;
use super::resample::StreamResampler;

/// Sample rates MPEG audio can carry (MPEG-2.5, MPEG-2, MPEG-1).
const MPEG_RATES: [u32; 9] = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000];

/// The rate to encode `input_rate` at when the caller has no preference:
/// itself if MPEG has it, else the next MPEG rate up (48 kHz at most).
pub(super) fn natural_rate(input_rate: u32) -> u32 {
    MPEG_RATES.into_iter().find(|&rate| rate >= input_rate).unwrap_or(48000)
}

/// A streaming MP3 encoder.
pub(super) struct Mp3Encoder {
    lame: mp3lame_encoder::Encoder,
    resampler: StreamResampler,
    framer: Framer,
}

impl Mp3Encoder {
    /// An encoder fed at `input_rate` that writes MP3 at `output_rate`, which
    /// must be one of MPEG's rates.
    pub(super) fn new(input_rate: u32, output_rate: u32) -> Result<Self, EncodeError> {
        if !MPEG_RATES.contains(&output_rate) {
            return Err(EncodeError::UnsupportedRate { format: AudioFormat::Mp3, rate: output_rate });
        }
        let bitrate = if output_rate >= 32000 { Bitrate::Kbps96 } else { Bitrate::Kbps64 };
        let mut lame = Builder::new().ok_or(BuildError::NoMem)?;
        lame.set_num_channels(1)?;
        lame.set_mode(Mode::Mono)?;
        lame.set_sample_rate(output_rate)?;
        lame.set_output_sample_rate(NonZeroU32::new(output_rate))?;
        lame.set_vbr_mode(VbrMode::Off)?;
        lame.set_brate(bitrate)?;
        lame.set_quality(Quality::Good)?;
        lame.set_to_write_vbr_tag(false)?;
        Ok(Self {
            lame: lame.build()?,
            resampler: StreamResampler::new(input_rate, output_rate)?,
            framer: Framer::default(),
        })
    }
}

impl Encoder for Mp3Encoder {
    fn encode(&mut self, samples: &[i16]) -> Result<Vec<u8>, EncodeError> {
        let samples = self.resampler.push(samples)?;
        let mut out = Vec::with_capacity(mp3lame_encoder::max_required_buffer_size(samples.len()));
        self.lame.encode_to_vec(MonoPcm(&samples), &mut out)?;
        self.framer.push(out)
    }

    fn finish(self: Box<Self>) -> Result<Vec<u8>, EncodeError> {
        let Mp3Encoder { mut lame, resampler, mut framer } = *self;
        let samples = resampler.finish()?;
        let mut out = Vec::with_capacity(mp3lame_encoder::max_required_buffer_size(samples.len()));
        lame.encode_to_vec(MonoPcm(&samples), &mut out)?;
        out.reserve(mp3lame_encoder::max_required_buffer_size(0));
        lame.flush_to_vec::<FlushGap>(&mut out)?;
        let last = framer.push(out)?;
        if framer.pending.is_empty() {
            Ok(last)
        } else {
            Err(EncodeError::Mp3Sync)
        }
    }

    fn output_rate(&self) -> u32 {
        self.resampler.output_rate()
    }
}

/// Splits LAME's output at frame boundaries, keeping an incomplete last
/// frame for the next call.
#[derive(Default)]
struct Framer {
    pending: Vec<u8>,
}

impl Framer {
    /// Appends `bytes` and returns every complete frame now at the front.
    fn push(&mut self, bytes: Vec<u8>) -> Result<Vec<u8>, EncodeError> {
        self.pending.extend(bytes);
        let mut end = 0;
        while let Some(header) = self.pending.get(end..end + 4) {
            let len = frame_len([header[0], header[1], header[2], header[3]]).ok_or(EncodeError::Mp3Sync)?;
            if end + len > self.pending.len() {
                break;
            }
            end += len;
        }
        let rest = self.pending.split_off(end);
        Ok(std::mem::replace(&mut self.pending, rest))
    }
}

/// The length in bytes of the MPEG Layer III frame that starts with `header`,
/// or `None` if it is not a valid Layer III header.
fn frame_len(header: [u8; 4]) -> Option<usize> {
    const MPEG1_KBPS: [u32; 15] = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
    const MPEG2_KBPS: [u32; 15] = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
    if header[0] != 0xFF || header[1] & 0xE0 != 0xE0 {
        return None;
    }
    let version = (header[1] >> 3) & 0b11; // 0: MPEG-2.5, 1: reserved, 2: MPEG-2, 3: MPEG-1
    let layer = (header[1] >> 1) & 0b11; // 1: Layer III
    let bitrate_index = usize::from(header[2] >> 4);
    let rate_index = usize::from((header[2] >> 2) & 0b11);
    let padding = usize::from((header[2] >> 1) & 1);
    if version == 1 || layer != 1 || bitrate_index == 0 || bitrate_index == 15 || rate_index == 3 {
        return None;
    }
    let (kbps, rates, samples_per_frame) = match version {
        3 => (MPEG1_KBPS, [44100, 48000, 32000], 1152),
        2 => (MPEG2_KBPS, [22050, 24000, 16000], 576),
        _ => (MPEG2_KBPS, [11025, 12000, 8000], 576),
    };
    let bytes_per_frame = samples_per_frame / 8 * kbps[bitrate_index] * 1000 / rates[rate_index];
    Some(bytes_per_frame as usize + padding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::encode::{encoder, encoder_at};
    use crate::audio::testing::{assert_plausible, decode, dominant_frequency, sine, speech_like};

    #[test]
    fn frame_lengths_from_known_headers() {
        // MPEG-1 Layer III, 128 kbps, 44.1 kHz: 417 bytes, 418 padded.
        assert_eq!(frame_len([0xFF, 0xFB, 0x90, 0x64]), Some(417));
        assert_eq!(frame_len([0xFF, 0xFB, 0x92, 0x64]), Some(418));
        // MPEG-2 Layer III, 64 kbps, 22.05 kHz: 208 bytes.
        assert_eq!(frame_len([0xFF, 0xF3, 0x80, 0xC4]), Some(208));
        // Not a header; Layer II; free bitrate; reserved rate.
        assert_eq!(frame_len(*b"TAG\0"), None);
        assert_eq!(frame_len([0xFF, 0xFD, 0x90, 0x64]), None);
        assert_eq!(frame_len([0xFF, 0xFB, 0x00, 0x64]), None);
        assert_eq!(frame_len([0xFF, 0xFB, 0x9C, 0x64]), None);
    }

    #[test]
    fn natural_rates() {
        assert_eq!(natural_rate(22050), 22050);
        assert_eq!(natural_rate(20000), 22050);
        assert_eq!(natural_rate(96000), 48000);
        assert!(matches!(Mp3Encoder::new(22050, 20000), Err(EncodeError::UnsupportedRate { rate: 20000, .. })));
    }

    /// Encodes `samples` in chunks of varying size; returns each call's output.
    fn stream(mut enc: Box<dyn Encoder>, samples: &[i16]) -> Vec<Vec<u8>> {
        let mut chunks = Vec::new();
        let mut rest = samples;
        for size in [100, 2205, 577, 4410, 11025, 1].into_iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (now, later) = rest.split_at(size.min(rest.len()));
            chunks.push(enc.encode(now).unwrap());
            rest = later;
        }
        chunks.push(enc.finish().unwrap());
        chunks
    }

    #[test]
    fn streamed_mp3_decodes_completely() {
        let samples = speech_like(22050, 10.0, 0.8);
        let enc = encoder(AudioFormat::Mp3, 22050).unwrap();
        assert_eq!(enc.output_rate(), 22050);
        let bytes = stream(enc, &samples).concat();
        let decoded = decode(&bytes, "mp3");
        assert_plausible(&decoded, 22050, 10.0, "streamed MP3");
        // 64 kbps mono: about 8 kB a second.
        assert!((75_000..85_000).contains(&bytes.len()), "{} bytes for 10 s", bytes.len());
    }

    #[test]
    fn mp3_stream_cut_after_any_chunk_is_valid() {
        let samples = speech_like(22050, 6.0, 0.8);
        let chunks = stream(encoder(AudioFormat::Mp3, 22050).unwrap(), &samples);
        let mut prefix = Vec::new();
        let mut frames = 0;
        for chunk in &chunks {
            prefix.extend_from_slice(chunk);
            if prefix.is_empty() {
                continue;
            }
            // Whole frames only (the decoder would drop a torn last frame
            // without a word), each of which decodes.
            let decoded = decode(&prefix, "mp3");
            assert_eq!(decoded.packet_bytes, prefix.len(), "the stream so far ends on a frame boundary");
            assert_eq!(decoded.samples.len() % 576, 0, "whole MPEG-2 frames");
            assert!(decoded.samples.len() >= frames * 576, "a longer prefix decodes to more audio");
            frames = decoded.samples.len() / 576;
        }
        assert!(frames * 576 >= samples.len(), "{frames} frames for {} samples", samples.len());
    }

    #[test]
    fn mp3_resampled_to_44100_for_podcasts() {
        let samples = sine(440.0, 22050, 10.0, 0.5);
        let enc = encoder_at(AudioFormat::Mp3, 22050, 44100).unwrap();
        assert_eq!(enc.output_rate(), 44100);
        let bytes = stream(enc, &samples).concat();
        let decoded = decode(&bytes, "mp3");
        assert_plausible(&decoded, 44100, 10.0, "MP3 at 44.1 kHz");
        let middle = &decoded.samples[44100..decoded.samples.len() - 44100];
        let hz = dominant_frequency(middle, 44100);
        assert!((hz - 440.0).abs() < 1.0, "440 Hz came out at {hz} Hz");
        // 96 kbps: 12 kB a second.
        assert!((110_000..130_000).contains(&bytes.len()), "{} bytes for 10 s", bytes.len());
    }
}
