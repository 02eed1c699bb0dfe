//! The OpenTTS HTTP interface, for scripts written for OpenTTS and Mimic 3:
//! `/api/tts` (GET, or POST with the text as the body; `voice`, `text`,
//! `ssml` in the query), `/api/voices` (JSON, by voice id) and
//! `/api/languages`. OpenTTS voice ids are `ENGINE:NAME`, as Herald's are.

use super::error::AppError;
use super::error::Problems;
use super::speech::wav_file;
use super::{body, AppState};
use crate::document::InputFormat;
use crate::speech::SpeechOptions;
use crate::voice::{Quality, VoiceId};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::Method;
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct TtsQuery {
    /// A voice id, `ENGINE:NAME`.
    voice: Option<String>,
    /// The text (for POST, the body is used unless it is empty).
    text: Option<String>,
    /// `true` when the text is SSML.
    #[serde(default)]
    ssml: Option<String>,
}

/// `/api/tts`: the text from `text`, or (POST) the body.
#[utoipa::path(
    method(get, post),
    path = "/api/tts",
    tag = "opentts",
    security((), ("key" = [])),
    params(TtsQuery),
    request_body(content = String, content_type = "text/plain", description = "The text (POST)"),
    responses((status = 200, description = "The speech as one WAV file", content(("audio/wav"))), Problems)
)]
pub(super) async fn tts(
    State(state): State<AppState>,
    method: Method,
    Query(query): Query<TtsQuery>,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let raw = body::bytes(raw, state.pipeline.settings().server.max_body_bytes)?;
    let text = match query.text {
        Some(text) if method == Method::GET || raw.is_empty() => text,
        _ => body::utf8(&raw)?.to_string(),
    };
    let format = match query.ssml.as_deref() {
        Some("true" | "1") => InputFormat::Ssml,
        None | Some("false" | "0") => InputFormat::Text,
        Some(other) => return Err(AppError::bad_request("invalid-ssml", format!("ssml={other}: use true or false"))),
    };
    let voice = match query.voice.as_deref() {
        Some(name) => {
            let id = VoiceId::parse(name).map_err(|e| AppError::NotFound(e.to_string()))?;
            state.pipeline.voice(&id).ok_or_else(|| AppError::NotFound(format!("there is no voice `{name}`")))?;
            Some(id)
        }
        None => None,
    };
    let options = SpeechOptions { voice, quality: Some(Quality::Natural), ..SpeechOptions::default() };
    wav_file(&state, text, format, options).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct VoicesQuery {
    /// Only voices of this language (`en`).
    language: Option<String>,
    /// Only voices of this engine (`espeak`).
    tts_name: Option<String>,
}

/// A voice as OpenTTS describes it.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct OpenTtsVoice {
    /// The name within its engine.
    id: String,
    name: String,
    /// `M` or `F`.
    gender: Option<&'static str>,
    language: String,
    locale: String,
    tts_name: String,
    multispeaker: bool,
    /// Always empty: Herald's voices have one speaker each.
    speakers: BTreeMap<String, String>,
}

/// `/api/voices`: every voice by id, as OpenTTS lists them.
#[utoipa::path(
    get,
    path = "/api/voices",
    tag = "opentts",
    params(VoicesQuery),
    responses((status = 200, description = "The voices, by voice id", body = BTreeMap<String, OpenTtsVoice>))
)]
pub(super) async fn voices(
    State(state): State<AppState>,
    Query(query): Query<VoicesQuery>,
) -> Json<BTreeMap<String, OpenTtsVoice>> {
    let mut voices = BTreeMap::new();
    for voice in state.pipeline.voices(None) {
        let (engine, name) = voice.id.as_str().split_once(':').unwrap_or((voice.engine.as_str(), voice.id.as_str()));
        let Some(locale) = voice.languages.first() else { continue };
        let language = locale.primary();
        let wanted = query.language.as_deref().is_none_or(|l| l == language)
            && query.tts_name.as_deref().is_none_or(|t| t == engine);
        if wanted {
            let gender = voice.gender.map(|g| if g == crate::engine::Gender::Male { "M" } else { "F" });
            let entry = OpenTtsVoice {
                id: name.to_string(),
                name: voice.name.clone(),
                gender,
                language: language.to_string(),
                locale: locale.as_str().to_ascii_lowercase(),
                tts_name: engine.to_string(),
                multispeaker: false,
                speakers: BTreeMap::new(),
            };
            voices.insert(voice.id.to_string(), entry);
        }
    }
    Json(voices)
}

/// `/api/languages`: the languages of every voice.
#[utoipa::path(get, path = "/api/languages", tag = "opentts", responses((status = 200, description = "Language codes", body = Vec<String>)))]
pub(super) async fn languages(State(state): State<AppState>) -> Json<Vec<String>> {
    let mut languages: Vec<String> =
        state.pipeline.voices(None).iter().flat_map(|v| &v.languages).map(|l| l.primary().to_string()).collect();
    languages.sort();
    languages.dedup();
    Json(languages)
}
