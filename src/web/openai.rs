//! `POST /v1/audio/speech`, the OpenAI speech API, so the OpenAI SDKs and
//! the tools built on them reach Herald unchanged. It translates the
//! request into Herald's (text, voice, rate, format), calls the service,
//! and answers in OpenAI's shapes: raw audio, or server-sent events
//! (`speech.audio.delta` with base64 audio, then `speech.audio.done`), and
//! errors as `{"error": {"message", "type", "param", "code"}}` (every
//! problem on this route, including the middleware's, is rewritten so).

use super::error::AppError;
use super::{audio, body, AppState};
use crate::audio::AudioFormat;
use crate::document::InputFormat;
use crate::speech::{Rate, SpeechOptions};
use crate::voice::{Quality, VoiceId};
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use futures::FutureExt;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::future::Future;

/// OpenAI's voice names. Each maps to the best voice Herald has for the
/// text's language; where that language has several voices of the best
/// tier, the names are spread over them in this order.
pub(crate) const VOICES: [&str; 13] =
    ["alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse", "marin", "cedar"];

/// The longest input OpenAI accepts, in characters.
const MAX_INPUT_CHARS: usize = 4096;
/// OpenAI's `speed` range; 1.0 is Herald's normal rate.
const SPEEDS: std::ops::RangeInclusive<f64> = 0.25..=4.0;
/// OpenAI sends `pcm` as 24 kHz signed 16-bit little-endian mono.
const PCM_RATE: u32 = 24_000;
/// The formats Herald answers (OpenAI's, less `aac`: no maintained AAC
/// encoder is packaged in the registries Herald builds from).
const FORMATS: [&str; 5] = ["mp3", "opus", "flac", "wav", "pcm"];

/// The request. `model` (any name: Herald has one pipeline) and
/// `instructions` (Herald's voices take no style instructions) are
/// accepted and not read, as are fields OpenAI may add.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = OpenAiSpeechRequest)]
struct SpeechRequest {
    /// The text, up to 4,096 characters.
    #[schema(max_length = 4096)]
    input: String,
    /// An OpenAI voice name (`alloy`, `nova`…) or a Herald voice id.
    #[schema(example = "alloy")]
    voice: String,
    /// `mp3` (the default), `opus`, `flac`, `wav` or `pcm` (24 kHz s16le).
    #[serde(default)]
    response_format: Option<String>,
    /// 0.25–4.0; 1.0 is the normal rate.
    #[serde(default)]
    #[schema(minimum = 0.25, maximum = 4.0)]
    speed: Option<f64>,
    /// `audio` (the default) or `sse`.
    #[serde(default)]
    stream_format: Option<String>,
}

/// OpenAI's error shape, in which every problem on this route is answered.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct OpenAiError {
    error: OpenAiErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
struct OpenAiErrorDetail {
    message: String,
    /// `invalid_request_error`, `authentication_error`, `rate_limit_error` or `server_error`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// The request field at fault, if one is.
    param: Option<String>,
    code: String,
}

#[utoipa::path(
    post,
    path = "/v1/audio/speech",
    tag = "openai",
    security((), ("key" = [])),
    request_body(content = SpeechRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The speech, streamed; or server-sent events with `stream_format: sse`", content(
            ("audio/mpeg"), ("audio/ogg"), ("audio/flac"), ("audio/wav"), ("audio/pcm"), ("text/event-stream"),
        )),
        (status = "4XX", description = "The request cannot be answered", body = OpenAiError),
        (status = "5XX", description = "Herald failed or is busy", body = OpenAiError),
    )
)]
pub(super) async fn speech(
    State(state): State<AppState>,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let raw = body::bytes(raw, state.pipeline.settings().server.max_body_bytes)?;
    let request: SpeechRequest = body::json(&raw)?;
    let length = request.input.chars().count();
    if length > MAX_INPUT_CHARS {
        return Err(AppError::bad_request(
            "invalid-input",
            format!("`input` is {length} characters long; the limit is {MAX_INPUT_CHARS}"),
        ));
    }
    body::require_text(&request.input).map_err(|e| AppError::bad_request("invalid-input", e))?;
    let (format, output_rate) = response_format(request.response_format.as_deref())?;
    let sse = match request.stream_format.as_deref() {
        None | Some("audio") => false,
        Some("sse") => true,
        Some(other) => {
            return Err(AppError::bad_request(
                "invalid-stream-format",
                format!("`stream_format` `{other}` is not one of: audio, sse"),
            ))
        }
    };
    let speed = request.speed.unwrap_or(1.0);
    if !SPEEDS.contains(&speed) {
        return Err(AppError::bad_request("invalid-speed", format!("`speed` {speed} is outside 0.25–4.0")));
    }
    // Herald's rates span 80–600 words per minute: the ends of OpenAI's range are as near as Herald goes.
    let wpm = (f64::from(Rate::NORMAL) * speed).round().clamp(f64::from(Rate::MIN), f64::from(Rate::MAX)) as u32;
    let rate = Rate::new(wpm).map_err(|e| AppError::bad_request("invalid-speed", e))?;
    let options = SpeechOptions { rate, quality: Some(Quality::Natural), ..SpeechOptions::default() };
    let format_in = InputFormat::text_or_ssml(&request.input);
    let options = voice_options(&state.pipeline, &request.voice, options)?;
    let request = crate::pipeline::SpeechRequest { text: request.input, format: format_in, options };
    let speech = state.pipeline.synthesize(request, format, output_rate).await?;
    let response = audio::stream(speech.audio, HeaderMap::new(), std::future::ready(None)).await?;
    if !sse {
        return Ok(response);
    }
    let words = speech.outline.map(|outline| outline.map_or(0, |o| o.words));
    let audio_body = response.into_body();
    Ok(server_sent_events(audio_body, words))
}

/// The Herald format and output rate for OpenAI's `response_format`.
fn response_format(name: Option<&str>) -> Result<(AudioFormat, Option<u32>), AppError> {
    match name.unwrap_or("mp3") {
        "pcm" => Ok((AudioFormat::Pcm, Some(PCM_RATE))),
        name if FORMATS.contains(&name) => Ok((name.parse().map_err(AppError::internal)?, None)),
        other => Err(AppError::bad_request(
            "invalid-response-format",
            format!("`response_format` `{other}` is not available; Herald answers {}", FORMATS.join(", ")),
        )),
    }
}

/// The speech options for the request's `voice`: a Herald voice id as it
/// is, or an OpenAI name mapped onto the best voices of each language the
/// text speaks (for SSML, of the languages it names).
fn voice_options(
    pipeline: &crate::pipeline::Pipeline,
    voice: &str,
    options: SpeechOptions,
) -> Result<SpeechOptions, AppError> {
    if let Some(position) = VOICES.iter().position(|v| v.eq_ignore_ascii_case(voice)) {
        return Ok(SpeechOptions { variant: Some(position), ..options });
    }
    let id = VoiceId::parse(voice).map_err(|e| AppError::bad_request("invalid-voice", e))?;
    if pipeline.voice(&id).is_none() {
        return Err(AppError::bad_request(
            "invalid-voice",
            format!("`voice` `{voice}` is neither an OpenAI voice ({}) nor a Herald voice", VOICES.join(", ")),
        ));
    }
    Ok(SpeechOptions { voice: Some(id), ..options })
}

/// The audio as OpenAI's server-sent events.
fn server_sent_events(audio: Body, words: impl Future<Output = usize> + Send + 'static) -> Response {
    let deltas = audio.into_data_stream();
    let state = (deltas, Some(words.boxed()));
    let events = futures::stream::unfold(state, move |(mut deltas, words)| async move {
        use futures::StreamExt;
        let words = words?;
        let event = match deltas.next().await {
            Some(Ok(chunk)) => {
                let audio = base64::engine::general_purpose::STANDARD.encode(&chunk);
                json!({ "type": "speech.audio.delta", "audio": audio })
            }
            Some(Err(error)) => return Some((Err(std::io::Error::other(error)), (deltas, None))),
            None => {
                let words = words.await;
                let usage = json!({ "input_tokens": words, "output_tokens": 0, "total_tokens": words });
                return Some((Ok(sse_event(&json!({ "type": "speech.audio.done", "usage": usage }))), (deltas, None)));
            }
        };
        Some((Ok(sse_event(&event)), (deltas, Some(words))))
    });
    let mut response = Response::new(Body::from_stream(events));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn sse_event(event: &serde_json::Value) -> Bytes {
    Bytes::from(format!("data: {event}\n\n"))
}

/// Rewrites every RFC 9457 problem answered on the OpenAI routes into
/// OpenAI's error shape, so SDKs raise their usual exceptions.
pub(super) async fn errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !is_problem {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
    let problem: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    let code = problem["type"].as_str().and_then(|t| t.rsplit(':').next()).unwrap_or("error").to_string();
    let param = code.strip_prefix("invalid-").map(|p| p.replace('-', "_"));
    let kind = match parts.status.as_u16() {
        401 => "authentication_error",
        429 => "rate_limit_error",
        500.. => "server_error",
        _ => "invalid_request_error",
    };
    let message = problem["detail"].as_str().unwrap_or("the request failed").to_string();
    let error = OpenAiError { error: OpenAiErrorDetail { message, kind, param, code: code.replace('-', "_") } };
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = serde_json::to_vec(&error).unwrap_or_default();
    Response::from_parts(parts, Body::from(body)).into_response()
}
