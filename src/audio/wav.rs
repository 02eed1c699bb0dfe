//! WAV: whole files through hound, and the 44-byte header Herald sends ahead
//! of a stream whose length is not known yet (sizes set to 0xFFFFFFFF, which
//! browsers and most players accept as "until the end of the stream").

#[cfg(test)]
use std::io::{Cursor, Seek, Write};

const CHANNELS: u16 = 1;
const BITS: u16 = 16;

#[cfg(test)]
fn spec(sample_rate: u32) -> hound::WavSpec {
    hound::WavSpec { channels: CHANNELS, sample_rate, bits_per_sample: BITS, sample_format: hound::SampleFormat::Int }
}

/// Writes a complete WAV file.
#[cfg(test)]
pub(crate) fn write(writer: impl Write + Seek, sample_rate: u32, samples: &[i16]) -> Result<(), hound::Error> {
    let mut wav = hound::WavWriter::new(writer, spec(sample_rate))?;
    let mut fast = wav.get_i16_writer(samples.len() as u32);
    for &s in samples {
        fast.write_sample(s);
    }
    fast.flush()?;
    wav.finalize()
}

/// A complete WAV file in memory.
#[cfg(test)]
pub(crate) fn to_bytes(sample_rate: u32, samples: &[i16]) -> Vec<u8> {
    let mut cursor = Cursor::new(Vec::with_capacity(44 + samples.len() * 2));
    write(&mut cursor, sample_rate, samples).expect("writing to memory cannot fail");
    cursor.into_inner()
}

/// The header of a WAV stream of unknown length.
pub(crate) fn streaming_header(sample_rate: u32) -> [u8; 44] {
    header(sample_rate, None)
}

/// A 44-byte PCM WAV header; `data_bytes` `None` marks an unknown length.
pub(crate) fn header(sample_rate: u32, data_bytes: Option<u32>) -> [u8; 44] {
    let data = data_bytes.unwrap_or(u32::MAX);
    let riff = data_bytes.map_or(u32::MAX, |d| d.saturating_add(36));
    let block_align = CHANNELS * BITS / 8;
    let mut h = [0u8; 44];
    h[0..4].copy_from_slice(b"RIFF");
    h[4..8].copy_from_slice(&riff.to_le_bytes());
    h[8..12].copy_from_slice(b"WAVE");
    h[12..16].copy_from_slice(b"fmt ");
    h[16..20].copy_from_slice(&16u32.to_le_bytes());
    h[20..22].copy_from_slice(&1u16.to_le_bytes()); // PCM
    h[22..24].copy_from_slice(&CHANNELS.to_le_bytes());
    h[24..28].copy_from_slice(&sample_rate.to_le_bytes());
    h[28..32].copy_from_slice(&(sample_rate * block_align as u32).to_le_bytes());
    h[32..34].copy_from_slice(&block_align.to_le_bytes());
    h[34..36].copy_from_slice(&BITS.to_le_bytes());
    h[36..40].copy_from_slice(b"data");
    h[40..44].copy_from_slice(&data.to_le_bytes());
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_roundtrips_through_hound() {
        let samples: Vec<i16> = (0..1000).map(|i| (i * 7) as i16).collect();
        let bytes = to_bytes(22050, &samples);
        let mut reader = hound::WavReader::new(Cursor::new(bytes)).unwrap();
        assert_eq!(reader.spec(), spec(22050));
        let back: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
        assert_eq!(back, samples);
    }

    #[test]
    fn known_length_header_matches_hound() {
        let samples = [1i16, 2, 3, 4, 5];
        let real = to_bytes(16000, &samples);
        assert_eq!(&real[..44], &header(16000, Some(10)));
    }

    #[test]
    fn streaming_header_matches_a_real_header_but_for_sizes() {
        let real = to_bytes(22050, &[]);
        let stream = streaming_header(22050);
        assert_eq!(real.len(), 44);
        assert_eq!(&stream[..4], &real[..4]);
        assert_eq!(&stream[8..40], &real[8..40]);
        assert_eq!(&stream[40..], &u32::MAX.to_le_bytes());
    }
}
