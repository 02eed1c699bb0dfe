//! `POST /v1/speech` (text in, streamed audio out) and `GET /v1/voices`.

use super::error::AppError;
use super::openapi::Problems;
use super::{audio, body, language, AppState};
use crate::document::InputFormat;
use crate::speech::SpeechOptions;
use crate::text::LangTag;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use axum::response::Response;
use axum::Json;
use serde::Deserialize;

/// Text to speak, and how.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SpeechRequest {
    /// Plain text, or SSML (a `<speak>` document).
    text: String,
    #[serde(flatten)]
    options: SpeechOptions,
    /// `wav`, `mp3`, `opus`, `flac` or `pcm`; without it, the `Accept` header chooses (else WAV).
    #[serde(default)]
    #[schema(example = "mp3")]
    format: Option<String>,
}

#[utoipa::path(
    post,
    path = "/v1/speech",
    tag = "speech",
    security((), ("key" = [])),
    params(
        ("Content-Language" = Option<String>, Header, description = "The text's language, as a prior: it decides only what the text leaves open"),
        ("Accept-Language" = Option<String>, Header, description = "Languages the reader prefers, as weaker priors"),
    ),
    request_body(content = SpeechRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The speech, streamed as it is made", content(
            ("audio/wav"), ("audio/mpeg"), ("audio/ogg"), ("audio/flac"), ("audio/pcm"),
        )),
        Problems,
    )
)]
pub(super) async fn speak(
    State(state): State<AppState>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let raw = body::bytes(raw, state.pipeline.settings().max_body_bytes)?;
    let media_type = body::media_type(&headers);
    if media_type != "application/json" {
        return Err(AppError::UnsupportedMediaType(format!(
            "send JSON (`Content-Type: application/json`), not `{media_type}`"
        )));
    }
    let request: SpeechRequest = body::json(&raw)?;
    body::require_text(&request.text)?;
    let format = audio::negotiate(request.format.as_deref(), &headers)?;
    let options = SpeechOptions { lang_priors: language::priors(&headers), ..request.options };
    let format_in = InputFormat::text_or_ssml(&request.text);
    let plan = plan(std::sync::Arc::clone(&state.pipeline), request.text, format_in, options).await?;
    let voices = plan.voices();
    let speech = state.pipeline.speak_as(&plan, format).map_err(AppError::internal)?;
    let mut extra = HeaderMap::new();
    extra.insert(HeaderName::from_static("x-herald-cache"), HeaderValue::from_static(speech.cache.as_str()));
    extra.insert(
        HeaderName::from_static("x-herald-voice"),
        HeaderValue::from_str(&voices.join(", ")).map_err(AppError::internal)?,
    );
    extra.insert(
        HeaderName::from_static("x-herald-lang"),
        HeaderValue::from_str(plan.lang.as_str()).map_err(AppError::internal)?,
    );
    extra.insert(header::VARY, HeaderValue::from_static("accept"));
    audio::stream(speech.audio, extra, speech.utterances).await
}

/// Plans a text off the async threads (detection is CPU work).
async fn plan(
    pipeline: std::sync::Arc<crate::pipeline::Pipeline>,
    text: String,
    format: InputFormat,
    options: SpeechOptions,
) -> Result<crate::speech::Plan, AppError> {
    tokio::task::spawn_blocking(move || pipeline.plan(&text, format, &options))
        .await
        .map_err(AppError::internal)?
        .map_err(Into::into)
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
    let plan = plan(std::sync::Arc::clone(&state.pipeline), text, format, options).await?;
    let speech = state.pipeline.speak_as(&plan, crate::audio::AudioFormat::Wav).map_err(AppError::internal)?;
    audio::whole(speech.audio, speech.utterances).await
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
