//! Word and sentence timings of a document's audio: `timings.json` and
//! WebVTT `captions.vtt`, for the whole document and for each paragraph.
//! Built from the same speech stream as the audio (served from the segment
//! cache once synthesized), so the times match what `audio.wav` plays,
//! paragraph pauses included.

use super::documents::load;
use super::error::AppError;
use super::AppState;
use crate::speech::{SpeakError, SpeechEvent, StoredDocument, Timeline, TimelineBuilder, Utterance};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;

async fn timeline(
    state: &AppState,
    document: &StoredDocument,
    utterances: Vec<Utterance>,
) -> Result<Timeline, AppError> {
    let speaker = &state.pipeline.speaker;
    let mut events = speaker.speak(utterances.clone());
    let mut builder = TimelineBuilder::new(&document.plan, &utterances, speaker.sample_rate());
    while let Some(event) = events.recv().await {
        if let SpeechEvent::Skipped { error: SpeakError::Busy, .. } = event {
            return Err(AppError::Busy);
        }
        builder.push(&event);
    }
    Ok(builder.finish())
}

fn paragraph_utterances(document: &StoredDocument, n: &str) -> Result<Vec<Utterance>, AppError> {
    let paragraph = n.parse::<usize>().ok().and_then(|n| document.plan.paragraphs.get(n)).ok_or_else(|| {
        AppError::NotFound(format!(
            "document {} has no paragraph `{}`",
            document.id,
            n.chars().take(20).collect::<String>()
        ))
    })?;
    Ok(document.plan.paragraph_utterances(paragraph))
}

fn vtt(document: &StoredDocument, timeline: &Timeline) -> Response {
    ([(header::CONTENT_TYPE, "text/vtt; charset=utf-8")], timeline.to_vtt(&document.plan)).into_response()
}

pub(super) async fn document_json(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Timeline>, AppError> {
    let document = load(&state, &id).await?;
    Ok(Json(timeline(&state, &document, document.plan.utterances()).await?))
}

pub(super) async fn document_vtt(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    let document = load(&state, &id).await?;
    let timeline = timeline(&state, &document, document.plan.utterances()).await?;
    Ok(vtt(&document, &timeline))
}

pub(super) async fn paragraph_json(
    State(state): State<AppState>,
    Path((id, n)): Path<(String, String)>,
) -> Result<Json<Timeline>, AppError> {
    let document = load(&state, &id).await?;
    let utterances = paragraph_utterances(&document, &n)?;
    Ok(Json(timeline(&state, &document, utterances).await?))
}

pub(super) async fn paragraph_vtt(
    State(state): State<AppState>,
    Path((id, n)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let document = load(&state, &id).await?;
    let utterances = paragraph_utterances(&document, &n)?;
    let timeline = timeline(&state, &document, utterances).await?;
    Ok(vtt(&document, &timeline))
}
