//! Wyoming event framing and the events Herald understands and sends.
//!
//! An event is one JSON header line, `{"type": …, "data_length": N,
//! "payload_length": M, "version": …}`, followed by `N` bytes of JSON data
//! and `M` bytes of binary payload. Data may also sit in the header's `data`
//! field (the two are merged, as the reference library does); Herald writes
//! data after the header, the form every version of the library reads.
//! Sizes are capped: an oversized part is read past (so the connection stays
//! in step) and reported as an error event.

use crate::lines::{read_bounded_line, BoundedLine};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use tokio::io::{AsyncBufRead, AsyncRead, AsyncReadExt};

/// Longest header line.
pub(crate) const MAX_LINE_BYTES: usize = 64 * 1024;
/// Largest data or payload of one event.
const MAX_PART_BYTES: u64 = 1 << 20;
/// The protocol version Herald's events follow.
const PROTOCOL_VERSION: &str = "1.10.2";

/// Why an event was refused; the connection goes on.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EventError {
    #[error("the event header is longer than {MAX_LINE_BYTES} bytes")]
    LineTooLong,
    #[error("the event header is not a JSON object with a `type`: {0}")]
    Header(serde_json::Error),
    #[error("the event's {part} is {size} bytes; the limit is {MAX_PART_BYTES} bytes")]
    TooLarge { part: &'static str, size: u64 },
    #[error("the event data is not a JSON object: {0}")]
    Data(serde_json::Error),
    #[error("Herald does not handle `{0}` events")]
    Unknown(String),
    #[error("invalid `{kind}` event: {error}")]
    Invalid { kind: String, error: serde_json::Error },
}

impl EventError {
    /// The machine-readable code of the error event.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Self::LineTooLong | Self::TooLarge { .. } => "too-large",
            Self::Header(_) | Self::Data(_) => "malformed-event",
            Self::Unknown(_) => "unknown-event",
            Self::Invalid { .. } => "invalid-event",
        }
    }
}

/// What a client asks for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Request {
    Describe,
    /// A whole text; while a stream is open, the compatibility copy of it.
    Synthesize(Synthesize),
    SynthesizeStart {
        voice: Option<VoiceRequest>,
    },
    SynthesizeChunk {
        text: String,
    },
    SynthesizeStop,
    Ping {
        text: Option<String>,
    },
    SelectProgram {
        name: String,
    },
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct Synthesize {
    pub(crate) text: String,
    #[serde(default)]
    pub(crate) voice: Option<VoiceRequest>,
}

/// The voice a client asks for: a voice name from `info`, else a language;
/// a speaker applies to voices that have speakers.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub(crate) struct VoiceRequest {
    pub(crate) name: Option<String>,
    pub(crate) language: Option<String>,
    pub(crate) speaker: Option<String>,
}

#[derive(Deserialize)]
struct VoiceData {
    #[serde(default)]
    voice: Option<VoiceRequest>,
}

#[derive(Deserialize)]
struct TextData {
    text: String,
}

#[derive(Deserialize)]
struct PingData {
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
struct ProgramData {
    name: String,
}

impl Request {
    /// The request an event carries (its payload, unused by text to speech, is dropped).
    fn parse(kind: String, data: Map<String, Value>) -> Result<Self, EventError> {
        fn typed<T: serde::de::DeserializeOwned>(kind: &str, data: Map<String, Value>) -> Result<T, EventError> {
            serde_json::from_value(Value::Object(data))
                .map_err(|error| EventError::Invalid { kind: kind.into(), error })
        }
        Ok(match kind.as_str() {
            "describe" => Self::Describe,
            "synthesize" => Self::Synthesize(typed(&kind, data)?),
            "synthesize-start" => Self::SynthesizeStart { voice: typed::<VoiceData>(&kind, data)?.voice },
            "synthesize-chunk" => Self::SynthesizeChunk { text: typed::<TextData>(&kind, data)?.text },
            "synthesize-stop" => Self::SynthesizeStop,
            "ping" => Self::Ping { text: typed::<PingData>(&kind, data)?.text },
            "select-program" => Self::SelectProgram { name: typed::<ProgramData>(&kind, data)?.name },
            _ => return Err(EventError::Unknown(kind.chars().take(64).collect())),
        })
    }
}

/// What Herald sends.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Reply {
    Info(Value),
    AudioStart {
        rate: u32,
    },
    /// 16-bit mono PCM.
    AudioChunk {
        rate: u32,
        samples: Vec<i16>,
    },
    AudioStop,
    SynthesizeStopped,
    Pong {
        text: Option<String>,
    },
    Error {
        text: String,
        code: &'static str,
    },
}

impl Reply {
    /// The event's bytes: header line, data, payload.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let format = |rate: &u32| json!({ "rate": rate, "width": 2, "channels": 1 });
        let (kind, data, payload) = match self {
            Self::Info(info) => ("info", Some(info.clone()), Vec::new()),
            Self::AudioStart { rate } => ("audio-start", Some(format(rate)), Vec::new()),
            Self::AudioChunk { rate, samples } => {
                ("audio-chunk", Some(format(rate)), samples.iter().flat_map(|s| s.to_le_bytes()).collect())
            }
            Self::AudioStop => ("audio-stop", None, Vec::new()),
            Self::SynthesizeStopped => ("synthesize-stopped", None, Vec::new()),
            Self::Pong { text } => ("pong", Some(json!({ "text": text })), Vec::new()),
            Self::Error { text, code } => ("error", Some(json!({ "text": text, "code": code })), Vec::new()),
        };
        let data = data.map(|d| serde_json::to_vec(&d).expect("JSON values serialize"));
        let mut header = json!({ "type": kind, "version": PROTOCOL_VERSION });
        if let Some(data) = &data {
            header["data_length"] = data.len().into();
        }
        if !payload.is_empty() {
            header["payload_length"] = payload.len().into();
        }
        let mut bytes = serde_json::to_vec(&header).expect("JSON values serialize");
        bytes.push(b'\n');
        bytes.extend(data.unwrap_or_default());
        bytes.extend(payload);
        bytes
    }
}

#[derive(Deserialize)]
struct Header {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    data: Option<Map<String, Value>>,
    #[serde(default)]
    data_length: Option<u64>,
    #[serde(default)]
    payload_length: Option<u64>,
}

/// Reads the next event: `Ok(None)` at the end of the stream, an
/// [`EventError`] for an event that is refused (the stream stays usable),
/// an I/O error when the connection is broken.
pub(crate) async fn read_request<R: AsyncBufRead + Unpin>(
    reader: &mut R,
) -> std::io::Result<Option<Result<Request, EventError>>> {
    let line = loop {
        match read_bounded_line(reader, MAX_LINE_BYTES).await? {
            None => return Ok(None),
            Some(BoundedLine::TooLong) => return Ok(Some(Err(EventError::LineTooLong))),
            Some(BoundedLine::Line(line)) if !line.trim_ascii().is_empty() => break line,
            Some(BoundedLine::Line(_)) => {}
        }
    };
    let header: Header = match serde_json::from_slice(&line) {
        Ok(header) => header,
        Err(error) => return Ok(Some(Err(EventError::Header(error)))),
    };
    let data = read_part(reader, "data", header.data_length.unwrap_or(0)).await?;
    let payload = read_part(reader, "payload", header.payload_length.unwrap_or(0)).await?;
    let mut merged = header.data.unwrap_or_default();
    let outcome = data.and_then(|bytes| {
        if !bytes.is_empty() {
            let extra: Map<String, Value> = serde_json::from_slice(&bytes).map_err(EventError::Data)?;
            merged.extend(extra);
        }
        payload?;
        Request::parse(header.kind, merged)
    });
    Ok(Some(outcome))
}

/// Reads `size` bytes, or reads past them when they are too many.
async fn read_part<R: AsyncRead + Unpin>(
    reader: &mut R,
    part: &'static str,
    size: u64,
) -> std::io::Result<Result<Vec<u8>, EventError>> {
    if size > MAX_PART_BYTES {
        let skipped = tokio::io::copy(&mut (&mut *reader).take(size), &mut tokio::io::sink()).await?;
        if skipped < size {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        return Ok(Err(EventError::TooLarge { part, size }));
    }
    let mut bytes = vec![0; size as usize];
    reader.read_exact(&mut bytes).await?;
    Ok(Ok(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read_all(bytes: &[u8]) -> Vec<Result<Request, String>> {
        let mut reader = tokio::io::BufReader::new(bytes);
        let mut out = Vec::new();
        while let Some(event) = read_request(&mut reader).await.unwrap() {
            out.push(event.map_err(|e| e.code().to_string()));
        }
        out
    }

    #[tokio::test]
    async fn reads_data_after_the_header_and_inside_it() {
        let data = br#"{"text":"Bonjour.","voice":{"language":"fr"}}"#;
        let mut bytes = format!("{{\"type\":\"synthesize\",\"data_length\":{}}}\n", data.len()).into_bytes();
        bytes.extend(data);
        bytes.extend(b"{\"type\":\"synthesize-chunk\",\"data\":{\"text\":\"Hi.\"},\"version\":\"1.5.0\"}\n");
        bytes.extend(b"\n{\"type\":\"describe\",\"payload_length\":3}\nabc");
        let voice = VoiceRequest { language: Some("fr".into()), ..VoiceRequest::default() };
        assert_eq!(
            read_all(&bytes).await,
            [
                Ok(Request::Synthesize(Synthesize { text: "Bonjour.".into(), voice: Some(voice) })),
                Ok(Request::SynthesizeChunk { text: "Hi.".into() }),
                Ok(Request::Describe),
            ]
        );
    }

    #[tokio::test]
    async fn refuses_bad_events_and_stays_in_step() {
        let mut bytes = b"{not json\n{\"type\":\"teleport\"}\n{\"type\":\"synthesize\",\"data\":{}}\n".to_vec();
        bytes.extend(format!("{{\"type\":\"synthesize\",\"data_length\":{}}}\n", MAX_PART_BYTES + 1).into_bytes());
        bytes.extend(vec![b'x'; MAX_PART_BYTES as usize + 1]);
        bytes.extend(vec![b'{'; MAX_LINE_BYTES + 10]);
        bytes.extend(b"\n{\"type\":\"describe\"}\n");
        let codes = ["malformed-event", "unknown-event", "invalid-event", "too-large", "too-large"];
        let mut expected: Vec<Result<Request, String>> = codes.iter().map(|c| Err(c.to_string())).collect();
        expected.push(Ok(Request::Describe));
        assert_eq!(read_all(&bytes).await, expected);
    }

    #[tokio::test]
    async fn a_truncated_event_ends_the_connection() {
        let mut reader = tokio::io::BufReader::new(&b"{\"type\":\"synthesize\",\"data_length\":50}\n{}"[..]);
        assert!(read_request(&mut reader).await.is_err());
    }

    #[test]
    fn encodes_audio_as_the_reference_library_reads_it() {
        let bytes = Reply::AudioChunk { rate: 22050, samples: vec![1, -2] }.encode();
        let newline = bytes.iter().position(|&b| b == b'\n').unwrap();
        let header: Value = serde_json::from_slice(&bytes[..newline]).unwrap();
        assert_eq!(header["type"], "audio-chunk");
        let data_length = header["data_length"].as_u64().unwrap() as usize;
        let data: Value = serde_json::from_slice(&bytes[newline + 1..newline + 1 + data_length]).unwrap();
        assert_eq!(data, json!({ "rate": 22050, "width": 2, "channels": 1 }));
        assert_eq!(header["payload_length"], 4);
        assert_eq!(&bytes[newline + 1 + data_length..], [1, 0, 0xfe, 0xff]);
        assert_eq!(Reply::AudioStop.encode(), b"{\"type\":\"audio-stop\",\"version\":\"1.10.2\"}\n");
    }
}
