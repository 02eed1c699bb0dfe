//! Speech as encoded audio: the one place where a speech stream (the
//! [`SpeechEvent`]s of [`Speaker::speak`](super::Speaker::speak)) becomes the
//! bytes of an [`AudioFormat`]. HTTP streams, document renders and
//! `herald synth` all read their audio through [`EncodedSpeech`].
//!
//! Encoding MP3, Opus and FLAC is CPU work (LAME, libopus, resampling), so
//! it runs on a blocking thread, a chunk at a time, never on the async
//! threads that serve other requests; WAV and PCM are a copy and stay inline.

use super::{SpeakError, SpeechEvent, SpeechEvents};
use crate::audio::{self, AudioFormat, EncodeError, Encoder};
use bytes::Bytes;

/// What an encoded speech stream delivers, in order.
#[derive(Debug)]
pub(crate) enum EncodedEvent {
    /// Encoded bytes, never empty. Each chunk ends on a boundary of the
    /// format (a sample, an MP3 frame, an Ogg page, a FLAC frame), so the
    /// bytes so far are always a playable stream; the first chunk starts
    /// with the format's header, if it has one.
    Audio(Bytes),
    /// Utterance `index` produced no audio; the stream goes on without it.
    Skipped { index: usize, error: SpeakError },
    /// The stream is complete and its last bytes have been delivered.
    /// `samples` counts the speech's samples at the engine's rate.
    Finished { samples: u64 },
}

/// A speech stream read as encoded audio.
pub(crate) struct EncodedSpeech {
    events: SpeechEvents,
    /// `None` once the stream is finished or failed.
    encoder: Option<Box<dyn Encoder>>,
    format: AudioFormat,
    output_rate: u32,
    offload: bool,
    /// `Finished`, held back while the encoder's last bytes go out.
    finished: Option<u64>,
    /// Whether any speech has reached the encoder.
    spoken: bool,
}

impl EncodedSpeech {
    /// Reads `events` (PCM at `input_rate`) as `format`, at the format's
    /// natural rate (see [`audio::encoder`]).
    pub(crate) fn new(
        events: impl Into<SpeechEvents>,
        format: AudioFormat,
        input_rate: u32,
    ) -> Result<Self, EncodeError> {
        Self::with_encoder(events, format, audio::encoder(format, input_rate)?)
    }

    /// Reads `events` (PCM at `input_rate`) as `format` at `output_rate`.
    pub(crate) fn at(
        events: impl Into<SpeechEvents>,
        format: AudioFormat,
        input_rate: u32,
        output_rate: u32,
    ) -> Result<Self, EncodeError> {
        Self::with_encoder(events, format, audio::encoder_at(format, input_rate, output_rate)?)
    }

    fn with_encoder(
        events: impl Into<SpeechEvents>,
        format: AudioFormat,
        encoder: Box<dyn Encoder>,
    ) -> Result<Self, EncodeError> {
        let output_rate = encoder.output_rate();
        let offload = !matches!(format, AudioFormat::Wav | AudioFormat::Pcm);
        Ok(Self {
            events: events.into(),
            encoder: Some(encoder),
            format,
            output_rate,
            offload,
            finished: None,
            spoken: false,
        })
    }

    pub(crate) fn format(&self) -> AudioFormat {
        self.format
    }

    /// The sample rate of the encoded audio.
    pub(crate) fn output_rate(&self) -> u32 {
        self.output_rate
    }

    /// Whether any speech has been read so far: audio delivered before it
    /// is only the format's header.
    pub(crate) fn spoken(&self) -> bool {
        self.spoken
    }

    /// The next event; `None` once the stream is over. A stream that ends
    /// without [`EncodedEvent::Finished`] was cut short (the speaker stopped),
    /// and the bytes delivered so far are still a valid stream. An error
    /// ends the stream: what was delivered is valid up to it, nothing more
    /// comes.
    pub(crate) async fn next(&mut self) -> Option<Result<EncodedEvent, EncodeError>> {
        loop {
            if let Some(samples) = self.finished.take() {
                return Some(Ok(EncodedEvent::Finished { samples }));
            }
            self.encoder.as_ref()?;
            let bytes = match self.events.recv().await? {
                SpeechEvent::Audio(samples) => {
                    self.spoken |= !samples.is_empty();
                    self.run(move |encoder| encoder.encode(&samples)).await?
                }
                SpeechEvent::Skipped { index, error } => return Some(Ok(EncodedEvent::Skipped { index, error })),
                SpeechEvent::Finished { samples } => {
                    let last = self.finish().await?;
                    self.finished = Some(samples);
                    last
                }
                SpeechEvent::Utterance { .. } | SpeechEvent::UtteranceEnd { .. } | SpeechEvent::Mark { .. } => continue,
            };
            match bytes {
                Ok(bytes) if bytes.is_empty() => {} // held back until a frame is whole
                Ok(bytes) => return Some(Ok(EncodedEvent::Audio(bytes.into()))),
                Err(error) => {
                    self.encoder = None;
                    self.finished = None;
                    return Some(Err(error));
                }
            }
        }
    }

    /// Runs `work` on the encoder (on a blocking thread for compressed
    /// formats). `None` if the runtime is shutting down.
    async fn run(
        &mut self,
        work: impl FnOnce(&mut dyn Encoder) -> Result<Vec<u8>, EncodeError> + Send + 'static,
    ) -> Option<Result<Vec<u8>, EncodeError>> {
        let mut encoder = self.encoder.take()?;
        if !self.offload {
            let result = work(encoder.as_mut());
            self.encoder = Some(encoder);
            return Some(result);
        }
        let (encoder, result) = join(tokio::task::spawn_blocking(move || {
            let result = work(encoder.as_mut());
            (encoder, result)
        }))
        .await?;
        self.encoder = Some(encoder);
        Some(result)
    }

    /// Ends the encoder, returning its last bytes.
    async fn finish(&mut self) -> Option<Result<Vec<u8>, EncodeError>> {
        let encoder = self.encoder.take()?;
        if self.offload {
            join(tokio::task::spawn_blocking(move || encoder.finish())).await
        } else {
            Some(encoder.finish())
        }
    }
}

/// A blocking task's result; a panic in it is a panic here, as if it had run
/// inline. `None` if the task was cancelled (the runtime is shutting down).
async fn join<T>(task: tokio::task::JoinHandle<T>) -> Option<T> {
    match task.await {
        Ok(value) => Some(value),
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::pool::JobError;
    use crate::engine::{Mark, MarkKind};

    /// A speech stream made of these events.
    fn events(list: Vec<SpeechEvent>) -> tokio::sync::mpsc::Receiver<SpeechEvent> {
        let (tx, rx) = tokio::sync::mpsc::channel(list.len().max(1));
        for event in list {
            tx.try_send(event).unwrap();
        }
        rx
    }

    async fn read_all(mut speech: EncodedSpeech) -> Vec<EncodedEvent> {
        let mut out = Vec::new();
        while let Some(event) = speech.next().await {
            out.push(event.unwrap());
        }
        out
    }

    fn tone(samples: usize) -> Vec<i16> {
        (0..samples).map(|i| ((i as f64 * 0.05).sin() * 8000.0) as i16).collect()
    }

    #[tokio::test]
    async fn wav_is_the_header_then_the_samples_then_finished() {
        let speech = EncodedSpeech::new(
            events(vec![
                SpeechEvent::Audio(vec![1, 2]),
                SpeechEvent::Mark {
                    index: 0,
                    mark: Mark { kind: MarkKind::Word, text_offset: 0, text_len: 3, sample: 1 },
                },
                SpeechEvent::Audio(vec![3]),
                SpeechEvent::Finished { samples: 3 },
            ]),
            AudioFormat::Wav,
            22050,
        )
        .unwrap();
        let out = read_all(speech).await;
        let EncodedEvent::Audio(first) = &out[0] else { panic!("{out:?}") };
        assert_eq!(first[..44], audio::wav::streaming_header(22050));
        assert_eq!(first[44..], [1, 0, 2, 0]);
        assert!(matches!(&out[1], EncodedEvent::Audio(b) if b[..] == [3, 0]));
        assert!(matches!(out[2], EncodedEvent::Finished { samples: 3 }));
        assert_eq!(out.len(), 3);
    }

    #[tokio::test]
    async fn compressed_formats_deliver_their_last_bytes_before_finished() {
        for format in [AudioFormat::Mp3, AudioFormat::Opus, AudioFormat::Flac] {
            let skipped = SpeakError::Synthesis(JobError::Closed);
            let speech = EncodedSpeech::new(
                events(vec![
                    SpeechEvent::Audio(tone(300)),
                    SpeechEvent::Skipped { index: 1, error: skipped.clone() },
                    SpeechEvent::Audio(tone(30_000)),
                    SpeechEvent::Finished { samples: 30_300 },
                ]),
                format,
                22050,
            )
            .unwrap();
            let out = read_all(speech).await;
            assert!(matches!(out.last(), Some(EncodedEvent::Finished { samples: 30_300 })), "{format}: {out:?}");
            assert!(matches!(out[out.len() - 2], EncodedEvent::Audio(_)), "{format}: the encoder's tail");
            assert!(out.iter().any(|e| matches!(e, EncodedEvent::Skipped { index: 1, .. })), "{format}");
            let bytes: usize = out.iter().map(|e| if let EncodedEvent::Audio(b) = e { b.len() } else { 0 }).sum();
            assert!(bytes > 1000, "{format}: {bytes} bytes");
        }
    }

    #[tokio::test]
    async fn a_stream_cut_short_ends_without_finished() {
        let speech =
            EncodedSpeech::new(events(vec![SpeechEvent::Audio(tone(5000))]), AudioFormat::Flac, 22050).unwrap();
        let out = read_all(speech).await;
        assert!(matches!(&out[..], [EncodedEvent::Audio(header)] if header.starts_with(b"fLaC")), "{out:?}");
    }
}
