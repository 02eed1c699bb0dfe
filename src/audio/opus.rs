//! Ogg Opus (RFC 7845): libopus through the `opus` binding, pages through
//! the `ogg` crate. 48 kHz mono, 20 ms frames, 32 kbps VBR tuned for voice.
//!
//! The stream starts with an OpusHead page (pre-skip = the encoder's
//! look-ahead, input rate = the engine's) and an OpusTags page, both at
//! granule 0. Each audio page's granule position counts the 48 kHz samples of
//! the packets it completes, pre-skip included; the last page's is cut back to
//! pre-skip + the input's length, so decoders drop the padding of the final
//! frame. Every `encode` ends with a page boundary.

use ::opus::{Application, Bitrate, Channels, Signal};
use ogg::writing::{PacketWriteEndInfo, PacketWriter};

use super::encoder::{EncodeError, Encoder};
use super::format::AudioFormat;
use super::resample::StreamResampler;

/// The only rate Herald encodes Opus at (and the rate Ogg Opus granule
/// positions always count in).
pub(super) const RATE: u32 = 48000;
/// 20 ms at 48 kHz.
const FRAME: usize = 960;
const BITRATE: i32 = 32_000;
/// Packets per page at most: one second of audio, the muxing delay opusenc
/// defaults to. (A speech chunk can be a whole cached sentence; in one page
/// it would be seconds of audio a player cannot start on until it is whole.)
const PAGE_PACKETS: usize = 50;
/// Largest packet libopus is asked to write (its documented recommendation).
const MAX_PACKET: usize = 4000;
/// The Ogg logical stream's serial number: Herald writes one stream per file.
const SERIAL: u32 = 0x4865_7261;

/// A streaming Ogg Opus encoder.
pub(super) struct OpusEncoder {
    resampler: StreamResampler,
    stream: OggOpus,
}

impl OpusEncoder {
    /// An encoder fed at `input_rate`; `output_rate` must be 48 kHz.
    pub(super) fn new(input_rate: u32, output_rate: u32) -> Result<Self, EncodeError> {
        if output_rate != RATE {
            return Err(EncodeError::UnsupportedRate { format: AudioFormat::Opus, rate: output_rate });
        }
        Ok(Self { resampler: StreamResampler::new(input_rate, RATE)?, stream: OggOpus::new(input_rate)? })
    }
}

impl Encoder for OpusEncoder {
    fn encode(&mut self, samples: &[i16]) -> Result<Vec<u8>, EncodeError> {
        let samples = self.resampler.push(samples)?;
        self.stream.audio(&samples)
    }

    fn finish(self: Box<Self>) -> Result<Vec<u8>, EncodeError> {
        let OpusEncoder { resampler, stream } = *self;
        let tail = resampler.finish()?;
        stream.end(&tail)
    }

    fn output_rate(&self) -> u32 {
        RATE
    }
}

/// libopus and the Ogg pages around its packets, at 48 kHz.
struct OggOpus {
    opus: ::opus::Encoder,
    ogg: PacketWriter<'static, Vec<u8>>,
    pre_skip: u16,
    /// Samples waiting for a whole frame.
    pending: Vec<i16>,
    /// Samples of input received so far.
    received: u64,
    /// Samples (of input and padding) encoded into packets so far.
    encoded: u64,
}

impl OggOpus {
    /// A stream whose header pages are already written (they go out with the
    /// first bytes taken).
    fn new(input_rate: u32) -> Result<Self, EncodeError> {
        let mut opus = ::opus::Encoder::new(RATE, Channels::Mono, Application::Audio)?;
        opus.set_bitrate(Bitrate::Bits(BITRATE))?;
        opus.set_signal(Signal::Voice)?;
        let pre_skip = u16::try_from(opus.get_lookahead()?).expect("libopus look-ahead is a few ms");
        let mut ogg = PacketWriter::new(Vec::new());
        ogg.write_packet(opus_head(pre_skip, input_rate), SERIAL, PacketWriteEndInfo::EndPage, 0)?;
        ogg.write_packet(opus_tags(), SERIAL, PacketWriteEndInfo::EndPage, 0)?;
        Ok(Self { opus, ogg, pre_skip, pending: Vec::new(), received: 0, encoded: 0 })
    }

    /// Encodes `samples` (as far as they make whole frames) into pages.
    fn audio(&mut self, samples: &[i16]) -> Result<Vec<u8>, EncodeError> {
        self.received += samples.len() as u64;
        let packets = self.packets(samples)?;
        self.write(packets, PacketWriteEndInfo::EndPage)
    }

    /// Encodes the last samples and ends the stream.
    fn end(mut self, samples: &[i16]) -> Result<Vec<u8>, EncodeError> {
        self.received += samples.len() as u64;
        // The decoder drops the first `pre_skip` samples it decodes, so the
        // encoder must be fed that much silence after the input to give up
        // its end; then the last frame is padded to a whole one.
        let pre_skip = u64::from(self.pre_skip);
        let in_flight = self.received - self.encoded; // input not yet in a packet
        let padding = (in_flight + pre_skip).max(1).next_multiple_of(FRAME as u64) - in_flight;
        let mut samples = samples.to_vec();
        samples.resize(samples.len() + padding as usize, 0);
        let end = self.received + pre_skip;
        let mut packets = self.packets(&samples)?;
        if let Some(last) = packets.last_mut() {
            last.granule = end; // end trimming: the padding is not played
        }
        self.write(packets, PacketWriteEndInfo::EndStream)
    }

    /// Encodes every whole frame of the pending samples and `samples` into a
    /// packet.
    fn packets(&mut self, samples: &[i16]) -> Result<Vec<Packet>, EncodeError> {
        self.pending.extend_from_slice(samples);
        let mut packets = Vec::new();
        for frame in self.pending.chunks_exact(FRAME) {
            self.encoded += FRAME as u64;
            packets.push(Packet { data: self.opus.encode_vec(frame, MAX_PACKET)?, granule: self.encoded });
        }
        let whole = self.pending.len() / FRAME * FRAME;
        self.pending.drain(..whole);
        Ok(packets)
    }

    /// Writes packets, ending the page (or, with `EndStream`, the stream)
    /// after the last, and returns the bytes written since the previous call.
    /// A long run of packets is split into pages of at most
    /// [`PAGE_PACKETS`], so no page holds much audio (muxing delay).
    fn write(&mut self, packets: Vec<Packet>, end: PacketWriteEndInfo) -> Result<Vec<u8>, EncodeError> {
        let count = packets.len();
        for (i, packet) in packets.into_iter().enumerate() {
            let info = if i + 1 == count {
                end
            } else if (i + 1) % PAGE_PACKETS == 0 {
                PacketWriteEndInfo::EndPage
            } else {
                PacketWriteEndInfo::NormalPacket
            };
            self.ogg.write_packet(packet.data, SERIAL, info, packet.granule)?;
        }
        Ok(std::mem::take(self.ogg.inner_mut()))
    }
}

/// An Opus packet and the granule position at its end.
struct Packet {
    data: Vec<u8>,
    granule: u64,
}

/// The identification header (RFC 7845 §5.1): mono, channel mapping family 0.
fn opus_head(pre_skip: u16, input_rate: u32) -> Vec<u8> {
    let mut head = b"OpusHead".to_vec();
    head.push(1); // version
    head.push(1); // channels
    head.extend(pre_skip.to_le_bytes());
    head.extend(input_rate.to_le_bytes());
    head.extend(0i16.to_le_bytes()); // output gain
    head.push(0); // mapping family
    head
}

/// The comment header (RFC 7845 §5.2): the vendor string and no comments.
fn opus_tags() -> Vec<u8> {
    let vendor = format!("Herald ({})", ::opus::version());
    let mut tags = b"OpusTags".to_vec();
    tags.extend((vendor.len() as u32).to_le_bytes());
    tags.extend(vendor.as_bytes());
    tags.extend(0u32.to_le_bytes());
    tags
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::encode::encoder;
    use crate::audio::testing::{assert_plausible, decode_opus, dominant_frequency, sine, speech_like};

    fn stream(samples: &[i16], chunk: usize) -> Vec<Vec<u8>> {
        let mut enc = encoder(AudioFormat::Opus, 22050).unwrap();
        assert_eq!(enc.output_rate(), 48000);
        let mut chunks: Vec<Vec<u8>> = samples.chunks(chunk).map(|c| enc.encode(c).unwrap()).collect();
        chunks.push(enc.finish().unwrap());
        chunks
    }

    #[test]
    fn headers_follow_rfc_7845() {
        let head = opus_head(312, 22050);
        assert_eq!(head.len(), 19);
        assert_eq!(&head[..8], b"OpusHead");
        assert_eq!(head[8..12], [1, 1, 0x38, 0x01]);
        assert_eq!(head[12..16], 22050u32.to_le_bytes());
        let tags = opus_tags();
        assert_eq!(&tags[..8], b"OpusTags");
        let vendor_len = u32::from_le_bytes(tags[8..12].try_into().unwrap()) as usize;
        assert_eq!(tags.len(), 12 + vendor_len + 4);
    }

    #[test]
    fn streamed_opus_decodes_at_48k_with_exact_length() {
        let samples = speech_like(22050, 5.0, 0.8);
        let bytes = stream(&samples, 1234).concat();
        let (decoded, info) = decode_opus(&bytes, false);
        assert_plausible(&decoded, 48000, 5.0, "streamed Opus");
        // Pre-skip and end trimming make the length exact.
        assert_eq!(decoded.samples.len(), 240_000, "opusinfo said:\n{info}");
        let pre_skip = OggOpus::new(22050).unwrap().pre_skip;
        assert!(info.contains(&format!("Pre-skip: {pre_skip}\n")), "{info}");
        assert!(info.contains("Original sample rate: 22050 Hz"), "{info}");
        assert!(info.contains("Packet duration:   20.0ms (max),   20.0ms (avg),   20.0ms (min)"), "{info}");
    }

    #[test]
    fn every_chunk_ends_on_an_ogg_page_and_keeps_pitch() {
        let samples = sine(440.0, 22050, 3.0, 0.5);
        let chunks = stream(&samples, 2205);
        assert!(chunks[0].starts_with(b"OggS"), "the first chunk carries the headers");
        let mut prefix = Vec::new();
        for (i, chunk) in chunks.iter().enumerate() {
            assert!(chunk.is_empty() || chunk.starts_with(b"OggS"), "chunk {i} starts a page");
            prefix.extend_from_slice(chunk);
        }
        let (decoded, _) = decode_opus(&prefix, false);
        assert_plausible(&decoded, 48000, 3.0, "Opus sine");
        let hz = dominant_frequency(&decoded.samples[4800..decoded.samples.len() - 4800], 48000);
        assert!((hz - 440.0).abs() < 1.0, "440 Hz came out at {hz} Hz");
    }

    #[test]
    fn long_chunks_are_split_into_pages_of_a_second() {
        let samples = speech_like(22050, 8.0, 0.8);
        let chunks = stream(&samples, samples.len());
        let bytes = chunks.concat();
        let (decoded, info) = decode_opus(&bytes, false);
        assert_plausible(&decoded, 48000, 8.0, "Opus from one long chunk");
        assert!(info.contains("Page duration:   1000.0ms (max)"), "{info}");
    }

    #[test]
    fn a_stream_cut_after_a_chunk_still_decodes() {
        let samples = speech_like(22050, 4.0, 0.8);
        let chunks = stream(&samples, 22050);
        // Drop the final chunk (as if the client went away): no end-of-stream
        // page, but every page before the cut is whole.
        let cut = chunks[..chunks.len() - 2].concat();
        let (decoded, _) = decode_opus(&cut, true);
        assert_eq!(decoded.rate, 48000);
        assert!(decoded.seconds() > 2.5, "decoded only {} s", decoded.seconds());
    }

    #[test]
    fn an_empty_stream_is_valid() {
        let bytes = stream(&[], 1).concat();
        let (decoded, _) = decode_opus(&bytes, false);
        assert!(decoded.samples.is_empty());
    }
}
