//! A chapter's audio on disk. The PCM is written to a temporary file as it
//! is spoken while its loudness is measured; then it is encoded to MP3 from
//! that file, at the one gain that brings it to the book's loudness (capped
//! so its true peak stays under the ceiling). Memory stays the same however
//! long the chapter is.

use crate::audio::{self, AudioFormat, LoudnessMeter};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};

/// Samples encoded at a time.
const CHUNK_SAMPLES: usize = 1 << 16;

/// PCM being written, and measured.
pub(crate) struct ChapterAudio {
    pcm: BufWriter<File>,
    meter: LoudnessMeter,
    rate: u32,
    /// The first write that failed: the rest is not written.
    failed: Option<io::Error>,
}

impl ChapterAudio {
    pub(crate) fn new(rate: u32) -> io::Result<Self> {
        Ok(Self { pcm: BufWriter::new(tempfile::tempfile()?), meter: LoudnessMeter::new(rate), rate, failed: None })
    }

    /// Adds spoken samples.
    pub(crate) fn push(&mut self, samples: &[i16]) {
        self.meter.add(samples);
        if self.failed.is_none() {
            let bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
            if let Err(error) = self.pcm.write_all(&bytes) {
                self.failed = Some(error);
            }
        }
    }

    /// The MP3 (in a temporary file) of everything pushed, normalised to
    /// `target_lufs` under `max_true_peak_dbtp`, at `mp3_rate`. Blocking.
    pub(crate) fn into_mp3(self, target_lufs: f64, max_true_peak_dbtp: f64, mp3_rate: u32) -> io::Result<File> {
        if let Some(error) = self.failed {
            return Err(error);
        }
        let gain = audio::db_to_gain(audio::gain_db(self.meter.loudness(), target_lufs, max_true_peak_dbtp));
        let mut pcm = self.pcm.into_inner().map_err(|e| e.into_error())?;
        pcm.seek(SeekFrom::Start(0))?;
        let mut pcm = BufReader::new(pcm);
        let mut encoder = audio::encoder_at(AudioFormat::Mp3, self.rate, mp3_rate).map_err(io::Error::other)?;
        let mut mp3 = BufWriter::new(tempfile::tempfile()?);
        let mut bytes = vec![0u8; CHUNK_SAMPLES * 2];
        loop {
            let read = read_full(&mut pcm, &mut bytes)?;
            if read == 0 {
                break;
            }
            let samples: Vec<i16> = bytes[..read - read % 2]
                .chunks_exact(2)
                .map(|b| audio::scaled(i16::from_le_bytes([b[0], b[1]]), gain))
                .collect();
            mp3.write_all(&encoder.encode(&samples).map_err(io::Error::other)?)?;
        }
        mp3.write_all(&encoder.finish().map_err(io::Error::other)?)?;
        let mut mp3 = mp3.into_inner().map_err(|e| e.into_error())?;
        mp3.seek(SeekFrom::Start(0))?;
        Ok(mp3)
    }
}

/// Reads until `buffer` is full or the input ends; the bytes read.
fn read_full(input: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match input.read(&mut buffer[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// A reader of `file` from its start, leaving `file` itself where it is.
pub(crate) fn from_start(file: &File) -> io::Result<File> {
    let mut reader = file.try_clone()?;
    reader.seek(SeekFrom::Start(0))?;
    Ok(reader)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chapter_is_encoded_from_disk_at_the_books_loudness() {
        let rate = 22_050;
        let tone: Vec<i16> = (0..rate * 3).map(|i| ((i as f64 * 0.05).sin() * 3000.0) as i16).collect();
        let mut chapter = ChapterAudio::new(rate).unwrap();
        for piece in tone.chunks(1000) {
            chapter.push(piece);
        }
        let mut mp3 = Vec::new();
        chapter.into_mp3(-20.0, -3.5, 44_100).unwrap().read_to_end(&mut mp3).unwrap();
        let decoded = crate::audio::testing::decode(&mp3, "mp3");
        let measured = crate::audio::loudness(&decoded.samples, decoded.rate);
        assert!((measured.integrated_lufs + 20.0).abs() < 1.0, "{measured:?}");
        assert!((decoded.samples.len() as f64 / f64::from(decoded.rate) - 3.0).abs() < 0.1);
    }
}
