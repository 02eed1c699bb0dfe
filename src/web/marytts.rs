//! The MaryTTS HTTP interface, as Home Assistant's `marytts` integration,
//! OpenTTS and Mimic 3 clients call it: `/process` (GET or POST, with the
//! parameters in the query or as a form body, which some clients send
//! without a content type), `/voices`, `/locales` and `/version`.
//! `effect_*` parameters are accepted and ignored: Herald's voices have no
//! MaryTTS effects.

use super::error::AppError;
use super::error::Problems;
use super::speech::wav_file;
use super::{body, AppState};
use crate::document::InputFormat;
use crate::speech::SpeechOptions;
use crate::text::LangTag;
use crate::voice::{Quality, VoiceId};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;

/// The MaryTTS version Herald answers as (its HTTP interface's).
const MARY_VERSION: &str = "5.2";

/// `/process`: parameters from the query, then the body (a form).
#[utoipa::path(
    method(get, post),
    path = "/process",
    tag = "marytts",
    security((), ("key" = [])),
    params(
        ("INPUT_TEXT" = Option<String>, Query, description = "The text (required, here or in the form body)"),
        ("INPUT_TYPE" = Option<String>, Query, description = "`TEXT` (the default) or `SSML`"),
        ("OUTPUT_TYPE" = Option<String>, Query, description = "`AUDIO`, the only output"),
        ("AUDIO" = Option<String>, Query, description = "`WAVE_FILE` or `WAVE`"),
        ("LOCALE" = Option<String>, Query, description = "The language, such as `en_US`"),
        ("VOICE" = Option<String>, Query, description = "A Herald voice id; other names leave the choice to the locale"),
    ),
    request_body(content_type = "application/x-www-form-urlencoded", description = "The same parameters as a form"),
    responses((status = 200, description = "The speech as one WAV file", content(("audio/wav"))), Problems)
)]
pub(super) async fn process(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let raw = body::bytes(raw, state.pipeline.settings().server.max_body_bytes)?;
    let mut params: HashMap<String, String> = HashMap::new();
    for source in [query.unwrap_or_default().as_bytes(), &raw[..]] {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(source)
            .map_err(|e| AppError::bad_request("invalid-form", format!("the parameters are not a form: {e}")))?;
        params.extend(pairs);
    }
    let get = |name: &str| params.get(name).map(String::as_str);
    let text = get("INPUT_TEXT").ok_or_else(|| AppError::bad_request("missing-input-text", "INPUT_TEXT is missing"))?;
    let format = match get("INPUT_TYPE").unwrap_or("TEXT") {
        "TEXT" => InputFormat::Text,
        "SSML" => InputFormat::Ssml,
        other => {
            return Err(AppError::bad_request("invalid-input-type", format!("INPUT_TYPE {other}: use TEXT or SSML")))
        }
    };
    if let Some(output) = get("OUTPUT_TYPE").filter(|o| *o != "AUDIO") {
        return Err(AppError::bad_request(
            "invalid-output-type",
            format!("OUTPUT_TYPE {output}: Herald answers AUDIO"),
        ));
    }
    if let Some(audio) = get("AUDIO").filter(|a| *a != "WAVE_FILE" && *a != "WAVE") {
        return Err(AppError::bad_request("invalid-audio", format!("AUDIO {audio}: Herald answers WAVE_FILE")));
    }
    let lang = match get("LOCALE") {
        Some(locale) => Some(LangTag::parse(locale).map_err(|e| AppError::bad_request("invalid-locale", e))?),
        None => None,
    };
    // A MaryTTS voice name Herald does not have (clients default to
    // `cmu-slt-hsmm`) leaves the choice to the locale.
    let voice = get("VOICE").and_then(|v| VoiceId::parse(v).ok()).filter(|v| state.pipeline.voice(v).is_some());
    let options = SpeechOptions { lang, voice, quality: Some(Quality::Natural), ..SpeechOptions::default() };
    wav_file(&state, text.to_string(), format, options).await
}

/// `/voices`: a line per voice, `name locale gender type`.
#[utoipa::path(get, path = "/voices", tag = "marytts", responses((status = 200, description = "A line per voice", body = String, content_type = "text/plain")))]
pub(super) async fn voices(State(state): State<AppState>) -> Response {
    let lines: Vec<String> = state
        .pipeline
        .voices(None)
        .iter()
        .filter_map(|v| {
            let locale = v.languages.first()?.as_str().replace('-', "_");
            let gender =
                v.gender.map_or("unknown", |g| if g == crate::engine::Gender::Male { "male" } else { "female" });
            Some(format!("{} {locale} {gender} {}", v.id, v.engine))
        })
        .collect();
    plain(lines)
}

/// `/locales`: a line per language Herald speaks.
#[utoipa::path(get, path = "/locales", tag = "marytts", responses((status = 200, description = "A line per locale", body = String, content_type = "text/plain")))]
pub(super) async fn locales(State(state): State<AppState>) -> Response {
    let mut locales: Vec<String> =
        state.pipeline.voices(None).iter().flat_map(|v| &v.languages).map(|l| l.as_str().replace('-', "_")).collect();
    locales.sort();
    locales.dedup();
    plain(locales)
}

/// `/version`.
#[utoipa::path(get, path = "/version", tag = "marytts", responses((status = 200, description = "The MaryTTS version Herald answers as", body = String, content_type = "text/plain")))]
pub(super) async fn version() -> Response {
    plain(vec![format!("Mary TTS server {MARY_VERSION} (Herald {})", env!("CARGO_PKG_VERSION"))])
}

fn plain(lines: Vec<String>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], lines.join("\n") + "\n").into_response()
}
