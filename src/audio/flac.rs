//! FLAC through flacenc (pure Rust): 16-bit mono, fixed 4,096-sample blocks,
//! encoded one frame at a time so it can stream.
//!
//! A stream's STREAMINFO is written before its length is known, so it says
//! "unknown" where the format allows it (total samples, frame sizes and MD5
//! all zero); decoders then read frames until the end.

use flacenc::bitsink::ByteSink;
use flacenc::component::{BitRepr, Stream, StreamInfo};
use flacenc::config;
use flacenc::error::{Verified, Verify};
use flacenc::source::{Fill, FrameBuf};

use super::encoder::{EncodeError, Encoder};
use super::format::AudioFormat;
use super::resample::StreamResampler;

/// Samples per frame: the reference encoder's default.
const BLOCK: usize = 4096;

/// A streaming FLAC encoder.
pub(super) struct FlacEncoder {
    resampler: StreamResampler,
    stream: FlacStream,
}

impl FlacEncoder {
    /// An encoder fed at `input_rate` that writes FLAC at `output_rate`
    /// (up to 96 kHz).
    pub(super) fn new(input_rate: u32, output_rate: u32) -> Result<Self, EncodeError> {
        let unsupported = EncodeError::UnsupportedRate { format: AudioFormat::Flac, rate: output_rate };
        if output_rate == 0 {
            return Err(unsupported);
        }
        let Ok(mut info) = StreamInfo::new(output_rate as usize, 1, 16) else {
            return Err(unsupported);
        };
        info.set_block_sizes(BLOCK, BLOCK)?;
        info.set_frame_sizes(0, 0)?;
        let header = bytes(&Stream::with_stream_info(info.clone()))?;
        let config = config::Encoder::default().into_verified().map_err(|(_, e)| e)?;
        Ok(Self {
            resampler: StreamResampler::new(input_rate, output_rate)?,
            stream: FlacStream {
                config,
                info,
                header: Some(header),
                buffer: FrameBuf::with_size(1, BLOCK)?,
                pending: Vec::new(),
                frames: 0,
            },
        })
    }
}

impl Encoder for FlacEncoder {
    fn encode(&mut self, samples: &[i16]) -> Result<Vec<u8>, EncodeError> {
        let samples = self.resampler.push(samples)?;
        self.stream.encode(&samples, false)
    }

    fn finish(self: Box<Self>) -> Result<Vec<u8>, EncodeError> {
        let FlacEncoder { resampler, mut stream } = *self;
        stream.encode(&resampler.finish()?, true)
    }

    fn output_rate(&self) -> u32 {
        self.resampler.output_rate()
    }
}

/// flacenc's frame encoder and the samples waiting for a whole block.
struct FlacStream {
    config: Verified<config::Encoder>,
    info: StreamInfo,
    /// `fLaC` and STREAMINFO, until they are sent.
    header: Option<Vec<u8>>,
    buffer: FrameBuf,
    pending: Vec<i32>,
    frames: usize,
}

impl FlacStream {
    /// Encodes every whole block (and, at the `last`, the short one left).
    fn encode(&mut self, samples: &[i16], last: bool) -> Result<Vec<u8>, EncodeError> {
        let mut out = self.header.take().unwrap_or_default();
        self.pending.extend(samples.iter().map(|&s| i32::from(s)));
        let mut used = 0;
        for block in self.pending.chunks(BLOCK) {
            if block.len() < BLOCK && !last {
                break;
            }
            self.buffer.fill_interleaved(block).map_err(flacenc::error::EncodeError::from)?;
            let frame = flacenc::encode_fixed_size_frame(&self.config, &self.buffer, self.frames, &self.info)?;
            out.extend(bytes(&frame)?);
            self.frames += 1;
            used += block.len();
        }
        self.pending.drain(..used);
        Ok(out)
    }
}

/// A FLAC component as bytes.
fn bytes(component: &impl BitRepr) -> Result<Vec<u8>, EncodeError> {
    let mut sink = ByteSink::new();
    component.write(&mut sink)?;
    Ok(sink.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::encode::{encoder, encoder_at};
    use crate::audio::testing::{assert_plausible, decode, sine, speech_like};

    fn stream(mut enc: Box<dyn Encoder>, samples: &[i16], chunk: usize) -> Vec<Vec<u8>> {
        let mut chunks: Vec<Vec<u8>> = samples.chunks(chunk).map(|c| enc.encode(c).unwrap()).collect();
        chunks.push(enc.finish().unwrap());
        chunks
    }

    #[test]
    fn streamed_flac_is_lossless() {
        let samples = speech_like(22050, 5.0, 0.9);
        let bytes = stream(encoder(AudioFormat::Flac, 22050).unwrap(), &samples, 3000).concat();
        assert!(bytes.starts_with(b"fLaC"));
        let decoded = decode(&bytes, "flac");
        assert_plausible(&decoded, 22050, 5.0, "streamed FLAC");
        assert_eq!(decoded.samples, samples, "FLAC is lossless");
        assert!(bytes.len() < samples.len() * 2, "{} bytes for {} samples", bytes.len(), samples.len());
    }

    #[test]
    fn flac_stream_cut_after_any_chunk_decodes() {
        let samples = speech_like(22050, 2.0, 0.9);
        let chunks = stream(encoder(AudioFormat::Flac, 22050).unwrap(), &samples, 5000);
        let mut prefix = Vec::new();
        for chunk in &chunks {
            prefix.extend_from_slice(chunk);
            let decoded = decode(&prefix, "flac");
            assert_eq!(decoded.samples[..], samples[..decoded.samples.len()]);
        }
    }

    #[test]
    fn flac_resampled_on_request() {
        let samples = sine(1000.0, 22050, 2.0, 0.5);
        let enc = encoder_at(AudioFormat::Flac, 22050, 48000).unwrap();
        assert_eq!(enc.output_rate(), 48000);
        let decoded = decode(&stream(enc, &samples, 4410).concat(), "flac");
        assert_plausible(&decoded, 48000, 2.0, "FLAC at 48 kHz");
        assert!(matches!(FlacEncoder::new(22050, 192_000), Err(EncodeError::UnsupportedRate { .. })));
    }
}
