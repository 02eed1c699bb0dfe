//! Word and sentence timings of a document's audio, for the whole document
//! and for each paragraph, made by the same render pass as the audio (so
//! the times match what `audio.*` plays, paragraph pauses included):
//!
//! - `timings.json` and WebVTT `captions.vtt`: the complete timeline,
//!   waiting for the render if it is still being made;
//! - `timeline.ndjson`: one JSON line per finished sentence as the render
//!   grows, then an `end` (or `error`) line. A reading page follows this to
//!   highlight what has been rendered while the rest is still coming.
//!
//! None of these is made by running the speech again; asking for the
//! timeline of a part nobody has rendered starts its render.

use super::documents::{load, paragraph};
use super::error::AppError;
use super::error::Problems;
use super::renders::failure_error;
use super::AppState;
use crate::render::{Part, RenderState, RenderedTimeline, TimelineEvent};
use crate::speech::{MarkTiming, StoredDocument, TimedSentence, Timeline};
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::StreamExt;
use serde::Serialize;
use std::sync::Arc;

/// One line of `timeline.ndjson`.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = TimelineLine)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Line {
    Sentence(TimedSentence),
    End {
        duration: f64,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        marks: Vec<MarkTiming>,
    },
    Error {
        status: u16,
        detail: String,
    },
}

impl Line {
    fn to_bytes(&self) -> Bytes {
        let mut line = serde_json::to_vec(self).expect("timeline lines serialize");
        line.push(b'\n');
        Bytes::from(line)
    }
}

async fn stored(path: &std::path::Path) -> Result<Timeline, AppError> {
    let bytes = tokio::fs::read(path).await.map_err(AppError::internal)?;
    serde_json::from_slice(&bytes).map_err(AppError::internal)
}

/// The complete timeline of a part (waiting for its render if needed).
async fn complete(state: &AppState, document: &Arc<StoredDocument>, part: Part) -> Result<Timeline, AppError> {
    match state.pipeline.timeline(document, part).await? {
        RenderedTimeline::Stored(path) => stored(&path).await,
        RenderedTimeline::Growing(reader) => match reader.ended().await.state {
            RenderState::Failed(failure) => Err(failure_error(failure)),
            _ => Ok(reader.render().timeline()),
        },
    }
}

/// The timeline of a part as NDJSON, following its render as it grows.
async fn follow(state: &AppState, document: &Arc<StoredDocument>, part: Part) -> Result<Response, AppError> {
    let lines = match state.pipeline.timeline(document, part).await? {
        RenderedTimeline::Stored(path) => {
            let timeline = stored(&path).await?;
            let mut lines: Vec<Bytes> = timeline.sentences().map(|s| Line::Sentence(s).to_bytes()).collect();
            lines.push(Line::End { duration: timeline.duration, marks: timeline.marks }.to_bytes());
            futures::stream::iter(lines).boxed()
        }
        RenderedTimeline::Growing(reader) => reader
            .timeline()
            .map(|event| match event {
                TimelineEvent::Sentence(sentence) => Line::Sentence(sentence).to_bytes(),
                TimelineEvent::End { duration, marks } => Line::End { duration, marks }.to_bytes(),
                TimelineEvent::Failed(failure) => {
                    let error = failure_error(failure);
                    Line::Error { status: error.status().as_u16(), detail: error.public_detail() }.to_bytes()
                }
            })
            .boxed(),
    };
    let mut response = Response::new(Body::from_stream(lines.map(Ok::<_, std::convert::Infallible>)));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-ndjson"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

fn vtt(document: &StoredDocument, timeline: &Timeline) -> Response {
    ([(header::CONTENT_TYPE, "text/vtt; charset=utf-8")], timeline.to_vtt(&document.plan)).into_response()
}

#[utoipa::path(
    get,
    path = "/v1/documents/{id}/timings.json",
    tag = "timings",
    params(("id" = String, Path, description = "The document id")),
    responses((status = 200, description = "The complete timeline (waits for the render)", body = Timeline), Problems)
)]
pub(super) async fn document_json(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Timeline>, AppError> {
    let document = load(&state, &id).await?;
    Ok(Json(complete(&state, &document, Part::Whole).await?))
}

#[utoipa::path(
    get,
    path = "/v1/documents/{id}/captions.vtt",
    tag = "timings",
    params(("id" = String, Path, description = "The document id")),
    responses((status = 200, description = "WebVTT captions, a cue per sentence", body = String, content_type = "text/vtt"), Problems)
)]
pub(super) async fn document_vtt(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    let document = load(&state, &id).await?;
    let timeline = complete(&state, &document, Part::Whole).await?;
    Ok(vtt(&document, &timeline))
}

#[utoipa::path(
    get,
    path = "/v1/documents/{id}/timeline.ndjson",
    tag = "timings",
    params(("id" = String, Path, description = "The document id")),
    responses((status = 200, description = "A `sentence` line per finished sentence as the render grows, then an `end` (or `error`) line", body = Line, content_type = "application/x-ndjson"), Problems)
)]
pub(super) async fn document_ndjson(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let document = load(&state, &id).await?;
    follow(&state, &document, Part::Whole).await
}

#[utoipa::path(
    get,
    path = "/v1/documents/{id}/paragraphs/{n}/timings.json",
    tag = "timings",
    params(("id" = String, Path, description = "The document id"), ("n" = String, Path, description = "The paragraph index, from 0")),
    responses((status = 200, description = "The complete timeline (waits for the render)", body = Timeline), Problems)
)]
pub(super) async fn paragraph_json(
    State(state): State<AppState>,
    Path((id, n)): Path<(String, String)>,
) -> Result<Json<Timeline>, AppError> {
    let document = load(&state, &id).await?;
    let part = paragraph(&document, &n)?;
    Ok(Json(complete(&state, &document, part).await?))
}

#[utoipa::path(
    get,
    path = "/v1/documents/{id}/paragraphs/{n}/captions.vtt",
    tag = "timings",
    params(("id" = String, Path, description = "The document id"), ("n" = String, Path, description = "The paragraph index, from 0")),
    responses((status = 200, description = "WebVTT captions, a cue per sentence", body = String, content_type = "text/vtt"), Problems)
)]
pub(super) async fn paragraph_vtt(
    State(state): State<AppState>,
    Path((id, n)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let document = load(&state, &id).await?;
    let part = paragraph(&document, &n)?;
    let timeline = complete(&state, &document, part).await?;
    Ok(vtt(&document, &timeline))
}

#[utoipa::path(
    get,
    path = "/v1/documents/{id}/paragraphs/{n}/timeline.ndjson",
    tag = "timings",
    params(("id" = String, Path, description = "The document id"), ("n" = String, Path, description = "The paragraph index, from 0")),
    responses((status = 200, description = "A `sentence` line per finished sentence as the render grows, then an `end` (or `error`) line", body = Line, content_type = "application/x-ndjson"), Problems)
)]
pub(super) async fn paragraph_ndjson(
    State(state): State<AppState>,
    Path((id, n)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let document = load(&state, &id).await?;
    let part = paragraph(&document, &n)?;
    follow(&state, &document, part).await
}
