//! `/v1/documents`: create a document from a statement, read it back, and
//! fetch its audio (whole, or per paragraph).

use super::audio::{RenderTee, TeeOutcome};
use super::error::AppError;
use super::{audio, body, AppState};
use crate::audio::AudioFormat;
use crate::document::InputFormat;
use crate::speech::{DocumentId, EncodedEvent, EncodedSpeech, SpeakError, SpeechOptions, StoredDocument, Utterance};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

/// A JSON document request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentRequest {
    text: String,
    #[serde(default)]
    format: InputFormat,
    /// Speech options as fields beside the text.
    #[serde(flatten)]
    options: SpeechOptions,
}

pub(super) async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<SpeechOptions>, axum::extract::rejection::QueryRejection>,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let raw = body::bytes(raw, state.pipeline.settings.max_body_bytes)?;
    let media_type = body::media_type(&headers);
    let (text, format, options) = match media_type.as_str() {
        "application/json" => {
            let request: DocumentRequest = body::json(&raw)?;
            (request.text, request.format, request.options)
        }
        other => {
            let format = InputFormat::from_media_type(other).ok_or_else(|| {
                AppError::UnsupportedMediaType(format!("send JSON, text/plain or text/markdown, not `{other}`"))
            })?;
            let Query(options) = query.map_err(|e| AppError::unprocessable("invalid-field", e.body_text()))?;
            (body::utf8(&raw)?.to_string(), format, options)
        }
    };
    body::require_text(&text)?;
    let document = create_document(&state, text, format, options).await?;
    let location = HeaderValue::from_str(&format!("/v1/documents/{}", document.id)).map_err(AppError::internal)?;
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(view(&document))).into_response())
}

/// Creates a document off the async threads (detection is CPU work).
pub(super) async fn create_document(
    state: &AppState,
    text: String,
    format: InputFormat,
    options: SpeechOptions,
) -> Result<Arc<StoredDocument>, AppError> {
    let pipeline = Arc::clone(&state.pipeline);
    Ok(tokio::task::spawn_blocking(move || pipeline.create_document(&text, format, &options))
        .await
        .map_err(AppError::internal)??)
}

/// The stored document for a path id; invalid ids are simply not found.
pub(super) async fn load(state: &AppState, id: &str) -> Result<Arc<StoredDocument>, AppError> {
    let missing = || AppError::NotFound(format!("there is no document `{}`", id.chars().take(40).collect::<String>()));
    let id = DocumentId::parse(id).map_err(|_| missing())?;
    if let Some(document) = state.pipeline.recent_document(&id) {
        return Ok(document);
    }
    let pipeline = Arc::clone(&state.pipeline);
    tokio::task::spawn_blocking(move || pipeline.document(&id)).await.map_err(AppError::internal)??.ok_or_else(missing)
}

pub(super) fn audio_url(id: &DocumentId) -> String {
    format!("/v1/documents/{id}/audio.wav")
}

pub(super) fn paragraph_audio_url(id: &DocumentId, index: usize) -> String {
    format!("/v1/documents/{id}/paragraphs/{index}/audio.wav")
}

/// The JSON representation of a document.
fn view(document: &StoredDocument) -> Value {
    let plan = &document.plan;
    let paragraphs: Vec<Value> = plan
        .paragraphs
        .iter()
        .map(|p| {
            json!({
                "index": p.index,
                "role": p.role,
                "lang": p.lang,
                "confidence": p.confidence,
                "lang_source": p.lang_source,
                "voice": p.voice,
                "text": p.text,
                "sentences": p.sentences,
                "audio_url": paragraph_audio_url(&document.id, p.index),
            })
        })
        .collect();
    json!({
        "id": document.id,
        "title": plan.title,
        "meta": plan.meta,
        "lang": plan.lang,
        "format": document.format,
        "rate": plan.rate,
        "pitch": plan.pitch,
        "paragraphs": paragraphs,
        "audio_url": audio_url(&document.id),
        "html_url": format!("/d/{}", document.id),
    })
}

pub(super) async fn show(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, AppError> {
    Ok(Json(view(&*load(&state, &id).await?)))
}

/// The render file name for a part of a document (its `utterances`) in
/// `format`, with the running engines and models.
fn render_name(state: &AppState, utterances: &[Utterance], part: &str, format: AudioFormat) -> String {
    format!("{}-{part}.{}", state.pipeline.speaker.fingerprint(utterances), format.extension())
}

pub(super) async fn audio(
    State(state): State<AppState>,
    Path((id, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let format = audio::file_format(&file)?;
    let document = load(&state, &id).await?;
    let utterances = document.plan.utterances();
    let name = render_name(&state, &utterances, "all", format);
    if headers.contains_key(header::RANGE) || state.pipeline.renders.get(document.id.as_str(), &name).is_some() {
        return render_then_serve(&state, &document, utterances, format, &name, &headers).await;
    }
    // Not rendered yet: stream as it is synthesized, and keep the result.
    let speaker = &state.pipeline.speaker;
    let mut extra = HeaderMap::new();
    extra.insert("x-herald-cache", HeaderValue::from_static(speaker.cache_status(&utterances).as_str()));
    let count = utterances.len();
    let speech =
        EncodedSpeech::new(speaker.speak(utterances), format, speaker.sample_rate()).map_err(AppError::internal)?;
    let tee = RenderTee::start(&state.pipeline.renders, document.id.as_str(), &name, format, speech.output_rate())
        .map_err(AppError::internal)?;
    audio::stream(speech, extra, count, Some(tee)).await
}

pub(super) async fn paragraph_audio(
    State(state): State<AppState>,
    Path((id, n, file)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let format = audio::file_format(&file)?;
    let document = load(&state, &id).await?;
    let paragraph = n.parse::<usize>().ok().and_then(|n| document.plan.paragraphs.get(n)).ok_or_else(|| {
        AppError::NotFound(format!(
            "document {} has no paragraph `{}`",
            document.id,
            n.chars().take(20).collect::<String>()
        ))
    })?;
    let utterances = document.plan.paragraph_utterances(paragraph);
    let name = render_name(&state, &utterances, &format!("p{}", paragraph.index), format);
    render_then_serve(&state, &document, utterances, format, &name, &headers).await
}

/// Serves a render from disk, synthesizing and storing it first if needed.
/// Audio with skipped sentences is served but never stored.
async fn render_then_serve(
    state: &AppState,
    document: &StoredDocument,
    utterances: Vec<Utterance>,
    format: AudioFormat,
    name: &str,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    let etag = format!("{}-{name}", document.id);
    if let Some(path) = state.pipeline.renders.get(document.id.as_str(), name) {
        return audio::file(&path, format, &etag, headers, Some(&state.hot_files)).await;
    }
    let speaker = &state.pipeline.speaker;
    let count = utterances.len();
    let mut speech =
        EncodedSpeech::new(speaker.speak(utterances), format, speaker.sample_rate()).map_err(AppError::internal)?;
    let tee = RenderTee::start(&state.pipeline.renders, document.id.as_str(), name, format, speech.output_rate())
        .map_err(AppError::internal)?;
    let mut skipped = Vec::new();
    while let Some(event) = speech.next().await {
        match event.map_err(AppError::internal)? {
            EncodedEvent::Audio(bytes) => tee.push(bytes),
            EncodedEvent::Skipped { error: SpeakError::Busy, .. } => return Err(AppError::Busy),
            EncodedEvent::Skipped { error, .. } => skipped.push(error),
            EncodedEvent::Finished { .. } => {}
        }
    }
    if !skipped.is_empty() && skipped.len() == count {
        return Err(AppError::unprocessable("synthesis-failed", &skipped[0]));
    }
    match tee.finish(skipped.is_empty()).await.map_err(AppError::internal)?.map_err(AppError::internal)? {
        TeeOutcome::Published(path) => audio::file(&path, format, &etag, headers, Some(&state.hot_files)).await,
        TeeOutcome::Unpublished(temp) => {
            // Served from the open file; the name is gone when `temp` drops.
            let mut response = audio::file(temp.path(), format, &format!("{etag}-incomplete"), headers, None).await?;
            response.headers_mut().insert("x-herald-skipped", HeaderValue::from(skipped.len()));
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(response)
        }
    }
}
