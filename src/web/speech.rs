//! `POST /v1/speech` (text in, streamed audio out) and `GET /v1/voices`.

use super::error::AppError;
use super::error::Problems;
use super::{audio, body, language, AppState};
use crate::document::InputFormat;
use crate::pipeline::{Outline, SpeechRequest};
use crate::speech::{Pitch, Rate, SpeechOptions};
use crate::text::LangTag;
use crate::voice::{Quality, VoiceId};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Uri};
use axum::response::Response;
use axum::Json;
use futures::FutureExt;
use serde::Deserialize;

/// Text to speak, and how.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SpeechBody {
    /// Plain text, or SSML (a `<speak>` document).
    text: String,
    #[serde(flatten)]
    options: SpeechOptions,
    /// `wav`, `mp3`, `opus`, `flac` or `pcm`; without it, the `Accept` header chooses (else WAV).
    #[serde(default)]
    #[schema(example = "mp3")]
    format: Option<String>,
}

/// How to speak an SSML body (`Content-Type: application/ssml+xml`): the
/// fields of the JSON request, less `text`, as query parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct SsmlQuery {
    /// Language of the whole text where the SSML names none.
    #[param(value_type = Option<String>)]
    lang: Option<LangTag>,
    /// Voice for the whole text (`ENGINE:NAME`).
    #[param(value_type = Option<String>)]
    voice: Option<VoiceId>,
    /// Speaking rate in words per minute, 80–600.
    #[param(value_type = Option<u32>)]
    rate: Option<Rate>,
    /// Base pitch, 0–100.
    #[param(value_type = Option<u32>)]
    pitch: Option<Pitch>,
    /// `fast` or `natural`.
    #[param(value_type = Option<String>)]
    quality: Option<Quality>,
    /// `wav`, `mp3`, `opus`, `flac` or `pcm`.
    format: Option<String>,
}

/// The trailers a speech response announces: what the whole text turned
/// out to be, known only once all of it is planned.
const TRAILERS: &str = "X-Herald-Voices, X-Herald-Langs";

#[utoipa::path(
    post,
    path = "/v1/speech",
    tag = "speech",
    security((), ("key" = [])),
    params(
        ("Content-Language" = Option<String>, Header, description = "The text's language, as a prior: it decides only what the text leaves open"),
        ("Accept-Language" = Option<String>, Header, description = "Languages the reader prefers, as weaker priors"),
        SsmlQuery,
    ),
    request_body(content(
        (SpeechBody = "application/json"),
        (String = "application/ssml+xml", example = "<speak xml:lang=\"fr\">Bonjour.</speak>"),
    )),
    responses(
        (status = 200, description = "The speech, streamed as it is made. `X-Herald-Voice` and \
            `X-Herald-Lang` name the first sentence's voice and the text's language as its opening \
            shows it, and `X-Herald-Cache` whether the opening is cached; a client that sends \
            `TE: trailers` gets every voice and sentence language in the trailers \
            `X-Herald-Voices` and `X-Herald-Langs`.", content(
            ("audio/wav"), ("audio/mpeg"), ("audio/ogg"), ("audio/flac"), ("audio/pcm"),
        )),
        Problems,
    )
)]
pub(super) async fn speak(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let raw = body::bytes(raw, state.pipeline.settings().server.max_body_bytes)?;
    let (text, options, format, input_format) = match body::media_type(&headers).as_str() {
        "application/json" => {
            let request: SpeechBody = body::json(&raw)?;
            let input_format = InputFormat::text_or_ssml(&request.text);
            (request.text, request.options, request.format, input_format)
        }
        "application/ssml+xml" => {
            let query: SsmlQuery = serde_urlencoded::from_str(uri.query().unwrap_or(""))
                .map_err(|e| AppError::bad_request("invalid-query", e))?;
            let options = SpeechOptions {
                lang: query.lang,
                voice: query.voice,
                rate: query.rate.unwrap_or_default(),
                pitch: query.pitch.unwrap_or_default(),
                quality: query.quality,
                ..SpeechOptions::default()
            };
            (body::utf8(&raw)?.to_string(), options, query.format, InputFormat::Ssml)
        }
        other => {
            return Err(AppError::UnsupportedMediaType(format!(
                "send JSON (`Content-Type: application/json`) or SSML (`application/ssml+xml`), not `{other}`"
            )))
        }
    };
    body::require_text(&text)?;
    let format = audio::negotiate(format.as_deref(), &headers)?;
    let options = SpeechOptions { lang_priors: language::priors(&headers), ..options };
    let request = SpeechRequest { text, format: input_format, options };
    let speech = state.pipeline.synthesize(request, format, None).await?;
    let opening = &speech.opening;
    let mut extra = HeaderMap::new();
    extra.insert(HeaderName::from_static("x-herald-cache"), HeaderValue::from_static(opening.cache.as_str()));
    if let Some(voice) = &opening.voice {
        extra.insert(HeaderName::from_static("x-herald-voice"), header_value(voice.as_str())?);
    }
    extra.insert(HeaderName::from_static("x-herald-lang"), header_value(opening.lang.as_str())?);
    extra.insert(header::TRAILER, HeaderValue::from_static(TRAILERS));
    extra.insert(header::VARY, HeaderValue::from_static("accept"));
    let trailers = speech.outline.map(|outline| outline.ok().map(|outline| outline_trailers(&outline)));
    audio::stream(speech.audio, extra, trailers).await
}

fn header_value(value: &str) -> Result<HeaderValue, AppError> {
    HeaderValue::from_str(value).map_err(AppError::internal)
}

/// The trailers of a speech response (see [`TRAILERS`]).
fn outline_trailers(outline: &Outline) -> HeaderMap {
    let list = |items: Vec<&str>| HeaderValue::from_str(&items.join(", ")).expect("voice ids and tags are ASCII");
    let mut trailers = HeaderMap::new();
    trailers
        .insert(HeaderName::from_static("x-herald-voices"), list(outline.voices.iter().map(|v| v.as_str()).collect()));
    trailers
        .insert(HeaderName::from_static("x-herald-langs"), list(outline.langs.iter().map(|l| l.as_str()).collect()));
    trailers
}

/// Speaks `text` as one complete WAV file: the answer of the MaryTTS and
/// OpenTTS routes, whose clients read whole files.
pub(super) async fn wav_file(
    state: &AppState,
    text: String,
    format: InputFormat,
    options: SpeechOptions,
) -> Result<Response, AppError> {
    body::require_text(&text)?;
    let request = SpeechRequest { text, format, options };
    let speech = state.pipeline.synthesize(request, crate::audio::AudioFormat::Wav, None).await?;
    audio::whole(speech.audio).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct VoicesQuery {
    /// Only the voices of this language (a BCP-47 tag).
    lang: Option<String>,
}

/// The answer of `GET /v1/voices`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(super) struct VoiceList {
    /// The voices, best first.
    #[schema(value_type = Vec<Object>)]
    voices: Vec<crate::voice::Voice>,
    engines: Vec<crate::pipeline::EngineStatus>,
}

#[utoipa::path(
    get,
    path = "/v1/voices",
    tag = "speech",
    params(VoicesQuery),
    responses((status = 200, description = "The voices and engines", body = VoiceList), Problems)
)]
pub(super) async fn voices(
    State(state): State<AppState>,
    Query(query): Query<VoicesQuery>,
) -> Result<Json<VoiceList>, AppError> {
    let lang = match query.lang.as_deref() {
        Some(raw) => Some(LangTag::parse(raw).map_err(|e| AppError::unprocessable("invalid-lang", e))?),
        None => None,
    };
    let voices = state.pipeline.voices(lang.as_ref()).into_iter().cloned().collect();
    let engines = state.pipeline.engines();
    Ok(Json(VoiceList { voices, engines }))
}
