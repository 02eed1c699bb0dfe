//! The framed protocol between the server and its worker processes, over the
//! worker's stdin (requests) and stdout (replies).
//!
//! A frame is a 4-byte little-endian length `n`, a 1-byte tag and `n - 1`
//! bytes of payload. Audio payloads are raw s16le samples (no copy through a
//! serializer on the hot path); control messages are JSON. A frame longer
//! than [`MAX_FRAME_BYTES`] or with an unknown tag is a protocol error: the
//! reader treats the peer as broken.

use super::{EngineError, EngineInfo, EngineVoice, Mark, Outcome, SynthesisRequest};
use serde::{Deserialize, Serialize};
use std::io::{self, Read, Write};
use tokio::io::{AsyncRead, AsyncReadExt};

/// Largest frame accepted, header excluded.
const MAX_FRAME_BYTES: usize = 8 * 1024 * 1024;

mod tag {
    pub(crate) const SYNTHESIZE: u8 = 1;
    pub(crate) const CANCEL: u8 = 2;
    pub(crate) const HELLO: u8 = 10;
    pub(crate) const AUDIO: u8 = 11;
    pub(crate) const MARK: u8 = 12;
    pub(crate) const DONE: u8 = 13;
    pub(crate) const FAILED: u8 = 14;
}

/// A worker's greeting: which engine it hosts and its voices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    pub info: EngineInfo,
    pub(crate) voices: Vec<EngineVoice>,
}

impl Hello {
    /// The greeting of a running engine.
    pub(crate) fn of(engine: &dyn super::Engine) -> Self {
        Self { info: engine.info().clone(), voices: engine.voices() }
    }
}

/// Server → worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToWorker {
    Synthesize(SynthesisRequest),
    /// Abort the synthesis in progress (ignored when idle).
    Cancel,
}

/// Worker → server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FromWorker {
    Hello(Box<Hello>),
    Audio(Vec<i16>),
    Mark(Mark),
    Done(Outcome),
    Failed(EngineError),
}

#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    #[error("frame of {0} bytes exceeds the {MAX_FRAME_BYTES}-byte limit")]
    TooLarge(usize),
    #[error("empty frame")]
    Empty,
    #[error("unknown frame tag {0}")]
    UnknownTag(u8),
    #[error("audio payload has an odd number of bytes")]
    OddAudio,
    #[error("malformed payload: {0}")]
    Payload(#[from] serde_json::Error),
    #[error(transparent)]
    Io(#[from] io::Error),
}

fn frame(tag: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + payload.len());
    out.extend_from_slice(&(payload.len() as u32 + 1).to_le_bytes());
    out.push(tag);
    out.extend_from_slice(payload);
    out
}

fn json<T: Serialize>(tag: u8, value: &T) -> Vec<u8> {
    frame(tag, &serde_json::to_vec(value).expect("protocol types serialize"))
}

impl ToWorker {
    pub(crate) fn encode(&self) -> Vec<u8> {
        match self {
            Self::Synthesize(request) => json(tag::SYNTHESIZE, request),
            Self::Cancel => frame(tag::CANCEL, &[]),
        }
    }

    pub fn decode(tag: u8, payload: &[u8]) -> Result<Self, ProtocolError> {
        match tag {
            tag::SYNTHESIZE => Ok(Self::Synthesize(serde_json::from_slice(payload)?)),
            tag::CANCEL => Ok(Self::Cancel),
            other => Err(ProtocolError::UnknownTag(other)),
        }
    }
}

impl FromWorker {
    pub(crate) fn encode(&self) -> Vec<u8> {
        match self {
            Self::Hello(hello) => json(tag::HELLO, hello),
            Self::Audio(samples) => encode_audio(samples),
            Self::Mark(mark) => json(tag::MARK, mark),
            Self::Done(outcome) => json(tag::DONE, outcome),
            Self::Failed(error) => json(tag::FAILED, error),
        }
    }

    pub fn decode(tag: u8, payload: &[u8]) -> Result<Self, ProtocolError> {
        Ok(match tag {
            tag::HELLO => Self::Hello(serde_json::from_slice(payload)?),
            tag::AUDIO => {
                if !payload.len().is_multiple_of(2) {
                    return Err(ProtocolError::OddAudio);
                }
                Self::Audio(payload.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect())
            }
            tag::MARK => Self::Mark(serde_json::from_slice(payload)?),
            tag::DONE => Self::Done(serde_json::from_slice(payload)?),
            tag::FAILED => Self::Failed(serde_json::from_slice(payload)?),
            other => return Err(ProtocolError::UnknownTag(other)),
        })
    }
}

/// An audio frame straight from a sample slice (the worker's hot path).
pub(crate) fn encode_audio(samples: &[i16]) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + samples.len() * 2);
    out.extend_from_slice(&(samples.len() as u32 * 2 + 1).to_le_bytes());
    out.push(tag::AUDIO);
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// Validates a frame header and returns (tag-plus-payload length).
fn frame_len(header: [u8; 4]) -> Result<usize, ProtocolError> {
    let len = u32::from_le_bytes(header) as usize;
    match len {
        0 => Err(ProtocolError::Empty),
        n if n - 1 > MAX_FRAME_BYTES => Err(ProtocolError::TooLarge(n - 1)),
        n => Ok(n),
    }
}

/// Reads one frame; `None` on a clean end of stream before a frame starts.
pub fn read_frame(reader: &mut impl Read) -> Result<Option<(u8, Vec<u8>)>, ProtocolError> {
    let mut header = [0u8; 4];
    match reader.read_exact(&mut header) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let mut body = vec![0u8; frame_len(header)?];
    reader.read_exact(&mut body)?;
    let payload = body.split_off(1);
    Ok(Some((body[0], payload)))
}

/// Async twin of [`read_frame`] for the server side.
pub(crate) async fn read_frame_async(
    reader: &mut (impl AsyncRead + Unpin),
) -> Result<Option<(u8, Vec<u8>)>, ProtocolError> {
    let mut header = [0u8; 4];
    match reader.read_exact(&mut header).await {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let mut body = vec![0u8; frame_len(header)?];
    reader.read_exact(&mut body).await?;
    let payload = body.split_off(1);
    Ok(Some((body[0], payload)))
}

/// Writes an encoded frame and flushes.
pub(crate) fn write_frame(writer: &mut impl Write, frame: &[u8]) -> io::Result<()> {
    writer.write_all(frame)?;
    writer.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::MarkKind;

    fn roundtrip(message: FromWorker) -> FromWorker {
        let bytes = message.encode();
        let (tag, payload) = read_frame(&mut bytes.as_slice()).unwrap().unwrap();
        FromWorker::decode(tag, &payload).unwrap()
    }

    #[test]
    fn messages_roundtrip() {
        let audio = FromWorker::Audio(vec![0, -1, i16::MAX, i16::MIN]);
        assert_eq!(roundtrip(audio.clone()), audio);
        let mark = FromWorker::Mark(Mark { kind: MarkKind::Word, text_offset: 3, text_len: 5, sample: 441 });
        assert_eq!(roundtrip(mark.clone()), mark);
        let failed = FromWorker::Failed(EngineError::UnknownVoice("x".into()));
        assert_eq!(roundtrip(failed.clone()), failed);
        let cancel = ToWorker::Cancel.encode();
        let (tag, payload) = read_frame(&mut cancel.as_slice()).unwrap().unwrap();
        assert_eq!(ToWorker::decode(tag, &payload).unwrap(), ToWorker::Cancel);
    }

    #[test]
    fn rejects_bad_frames() {
        let huge = (MAX_FRAME_BYTES as u32 + 10).to_le_bytes();
        assert!(matches!(read_frame(&mut huge.as_slice()), Err(ProtocolError::TooLarge(_))));
        assert!(matches!(read_frame(&mut [0u8, 0, 0, 0].as_slice()), Err(ProtocolError::Empty)));
        assert!(matches!(FromWorker::decode(99, b""), Err(ProtocolError::UnknownTag(99))));
        assert!(matches!(FromWorker::decode(tag::AUDIO, b"abc"), Err(ProtocolError::OddAudio)));
        assert!(read_frame(&mut [].as_slice()).unwrap().is_none());
        assert!(read_frame(&mut [5u8, 0, 0, 0, tag::AUDIO].as_slice()).is_err(), "truncated frame");
    }
}
