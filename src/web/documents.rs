//! `/v1/documents`: create a document from a statement, read it back, and
//! fetch its audio (whole, or per paragraph).

use super::error::AppError;
use super::error::Problems;
use super::{audio, body, language, renders, AppState};
use crate::document::InputFormat;
use crate::document::MetaLine;
use crate::render::Part;
use crate::speech::{DocumentId, Pitch, PlannedSentence, Rate, Role, SpeechOptions, StoredDocument};
use crate::text::{LangSource, LangTag};
use crate::voice::VoiceId;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A JSON document request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct DocumentRequest {
    /// The statement.
    text: String,
    #[serde(default)]
    format: InputFormat,
    /// Speech options as fields beside the text.
    #[serde(flatten)]
    options: SpeechOptions,
}

#[utoipa::path(
    post,
    path = "/v1/documents",
    tag = "documents",
    security((), ("key" = [])),
    params(
        ("lang" = Option<String>, Query, description = "With a bare-text body: the language; skips detection"),
        ("voice" = Option<String>, Query, description = "With a bare-text body: the voice, `ENGINE:NAME`"),
        ("rate" = Option<u32>, Query, minimum = 80, maximum = 600, description = "With a bare-text body: words per minute"),
        ("pitch" = Option<u32>, Query, maximum = 100, description = "With a bare-text body: base pitch"),
        ("quality" = Option<crate::voice::Quality>, Query, description = "With a bare-text body: `fast` or `natural`"),
        ("Content-Language" = Option<String>, Header, description = "The text's language, as a prior: it decides only what the text leaves open"),
        ("Accept-Language" = Option<String>, Header, description = "Languages the reader prefers, as weaker priors"),
    ),
    request_body(description = "JSON with the text and options, or the bare text (options in the query)", content(
        (DocumentRequest = "application/json"),
        (String = "text/plain"), (String = "text/markdown"), (String = "text/html"), (String = "application/ssml+xml"),
    )),
    responses((status = 201, description = "The document, at `Location`", body = DocumentView), Problems)
)]
pub(super) async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<SpeechOptions>, axum::extract::rejection::QueryRejection>,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let raw = body::bytes(raw, state.pipeline.settings().server.max_body_bytes)?;
    let media_type = body::media_type(&headers);
    let (text, format, options) = match media_type.as_str() {
        "application/json" => {
            let request: DocumentRequest = body::json(&raw)?;
            (request.text, request.format, request.options)
        }
        other => {
            let format = InputFormat::from_media_type(other).ok_or_else(|| {
                AppError::UnsupportedMediaType(format!(
                    "send JSON, text/plain, text/markdown, text/html or application/ssml+xml, not `{other}`"
                ))
            })?;
            let Query(options) = query.map_err(|e| AppError::unprocessable("invalid-field", e.body_text()))?;
            (body::utf8(&raw)?.to_string(), format, options)
        }
    };
    body::require_text(&text)?;
    let options = SpeechOptions { lang_priors: language::priors(&headers), ..options };
    let document = create_document(&state, text, format, options).await?;
    let location = HeaderValue::from_str(&format!("/v1/documents/{}", document.id)).map_err(AppError::internal)?;
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(view(&document))).into_response())
}

/// Creates (or finds) a document.
pub(super) async fn create_document(
    state: &AppState,
    text: String,
    format: InputFormat,
    options: SpeechOptions,
) -> Result<Arc<StoredDocument>, AppError> {
    Ok(state.pipeline.create_document(text, format, &options).await?)
}

/// The stored document for a path id; invalid ids are simply not found.
pub(super) async fn load(state: &AppState, id: &str) -> Result<Arc<StoredDocument>, AppError> {
    let missing = || AppError::NotFound(format!("there is no document `{}`", id.chars().take(40).collect::<String>()));
    let id = DocumentId::parse(id).map_err(|_| missing())?;
    state.pipeline.document(&id).await?.ok_or_else(missing)
}

/// The whole document's audio file in `format`.
pub(super) fn audio_url(id: &DocumentId, format: crate::audio::AudioFormat) -> String {
    format!("/v1/documents/{id}/audio.{}", format.extension())
}

pub(super) fn paragraph_audio_url(id: &DocumentId, index: usize) -> String {
    format!("/v1/documents/{id}/paragraphs/{index}/audio.wav")
}

/// A document as JSON: its plan, with the addresses of its audio and page.
#[derive(Serialize, utoipa::ToSchema)]
struct DocumentView<'a> {
    #[schema(value_type = String)]
    id: &'a DocumentId,
    title: Option<&'a str>,
    meta: &'a [MetaLine],
    /// The document's language.
    #[schema(value_type = String)]
    lang: &'a LangTag,
    format: InputFormat,
    #[schema(value_type = u32)]
    rate: Rate,
    #[schema(value_type = u32)]
    pitch: Pitch,
    paragraphs: Vec<ParagraphView<'a>>,
    audio_url: String,
    html_url: String,
}

/// A paragraph of a [`DocumentView`].
#[derive(Serialize, utoipa::ToSchema)]
struct ParagraphView<'a> {
    index: usize,
    role: Role,
    #[schema(value_type = String)]
    lang: &'a LangTag,
    /// How sure the language detection was, 0–1.
    confidence: f32,
    lang_source: LangSource,
    #[schema(value_type = String)]
    voice: &'a VoiceId,
    text: &'a str,
    sentences: &'a [PlannedSentence],
    audio_url: String,
}

/// The JSON representation of a document.
fn view(document: &StoredDocument) -> DocumentView<'_> {
    let plan = &document.plan;
    let paragraphs = plan
        .paragraphs
        .iter()
        .map(|p| ParagraphView {
            index: p.index,
            role: p.role,
            lang: &p.lang,
            confidence: p.confidence,
            lang_source: p.lang_source,
            voice: &p.voice,
            text: &p.text,
            sentences: &p.sentences,
            audio_url: paragraph_audio_url(&document.id, p.index),
        })
        .collect();
    DocumentView {
        id: &document.id,
        title: plan.title.as_deref(),
        meta: &plan.meta,
        lang: &plan.lang,
        format: document.format,
        rate: plan.rate,
        pitch: plan.pitch,
        paragraphs,
        audio_url: audio_url(&document.id, crate::audio::AudioFormat::Wav),
        html_url: format!("/d/{}", document.id),
    }
}

#[utoipa::path(
    get,
    path = "/v1/documents/{id}",
    tag = "documents",
    params(("id" = String, Path, description = "The document id")),
    responses((status = 200, description = "The document: its language, paragraphs, sentences and audio URLs", body = DocumentView), Problems)
)]
pub(super) async fn show(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    let document = load(&state, &id).await?;
    Ok(Json(view(&document)).into_response())
}

#[utoipa::path(
    get,
    path = "/v1/documents/{id}/{file}",
    tag = "documents",
    params(("id" = String, Path, description = "The document id"), ("file" = String, Path, description = "`audio.wav`, `audio.mp3`, `audio.opus` or `audio.flac`")),
    responses(
        (status = 200, description = "The document's audio (with `Range` support)", content(("audio/wav"), ("audio/mpeg"), ("audio/ogg"), ("audio/flac"))),
        (status = 206, description = "Part of the audio", content(("audio/wav"), ("audio/mpeg"), ("audio/ogg"), ("audio/flac"))),
        (status = 304, description = "Not modified"),
        Problems,
    )
)]
pub(super) async fn audio(
    State(state): State<AppState>,
    Path((id, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let format = audio::file_format(&file)?;
    let document = load(&state, &id).await?;
    let rendered = state.pipeline.render(&document, Part::Whole, format).await?;
    renders::serve(rendered, format, &headers, &state.hot_files).await
}

#[utoipa::path(
    get,
    path = "/v1/documents/{id}/paragraphs/{n}/{file}",
    tag = "documents",
    params(
        ("id" = String, Path, description = "The document id"),
        ("n" = String, Path, description = "The paragraph index, from 0"),
        ("file" = String, Path, description = "`audio.wav`, `audio.mp3`, `audio.opus` or `audio.flac`"),
    ),
    responses(
        (status = 200, description = "The paragraph's audio (with `Range` support)", content(("audio/wav"), ("audio/mpeg"), ("audio/ogg"), ("audio/flac"))),
        (status = 206, description = "Part of the audio", content(("audio/wav"), ("audio/mpeg"), ("audio/ogg"), ("audio/flac"))),
        (status = 304, description = "Not modified"),
        Problems,
    )
)]
pub(super) async fn paragraph_audio(
    State(state): State<AppState>,
    Path((id, n, file)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let format = audio::file_format(&file)?;
    let document = load(&state, &id).await?;
    let part = paragraph(&document, &n)?;
    let rendered = state.pipeline.render(&document, part, format).await?;
    renders::serve(rendered, format, &headers, &state.hot_files).await
}

/// Paragraph `n` of a document, from a path segment.
pub(super) fn paragraph(document: &StoredDocument, n: &str) -> Result<Part, AppError> {
    match n.parse::<usize>() {
        Ok(index) if index < document.plan.paragraphs.len() => Ok(Part::Paragraph(index)),
        _ => Err(AppError::NotFound(format!(
            "document {} has no paragraph `{}`",
            document.id,
            n.chars().take(20).collect::<String>()
        ))),
    }
}

/// How much of the document is synthesized: a page view or a crawler
/// never starts a render, and a listener's render shows here as it grows.
#[utoipa::path(
    get,
    path = "/v1/documents/{id}/progress",
    tag = "documents",
    params(("id" = String, Path, description = "The document id")),
    responses((status = 200, description = "Sentences synthesized so far", body = crate::pipeline::SynthesisProgress), Problems)
)]
pub(super) async fn progress(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<crate::pipeline::SynthesisProgress>, AppError> {
    let document = load(&state, &id).await?;
    Ok(Json(state.pipeline.synthesis_progress(&document).await))
}
