//! Audio responses: a live stream of a speech plan (WAV header of unknown
//! length, then chunks as they are produced), and finished renders served
//! from disk with `Range`, `ETag` and `If-None-Match`.

use super::error::AppError;
use crate::audio::AudioFormat;
use crate::speech::{SpeakError, SpeechEvent};
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use std::path::Path;
use tokio::sync::mpsc;
use tower::ServiceExt;

/// Streams speech events as an audio body. Waits for the first event so a
/// request that cannot start (queue full, engine refused its only sentence)
/// gets a proper error instead of an empty 200.
pub async fn stream(
    mut events: mpsc::Receiver<SpeechEvent>,
    format: AudioFormat,
    sample_rate: u32,
    headers: HeaderMap,
    utterance_count: usize,
    on_finish: impl FnOnce(Vec<i16>) + Send + 'static,
) -> Result<Response, AppError> {
    let first = first_audible_event(&mut events, utterance_count).await?;
    let mut rendered: Option<Vec<i16>> = Some(Vec::new());
    let mut on_finish = Some(on_finish);
    let header_bytes = Bytes::from(format.stream_header(sample_rate));
    let head = futures::stream::iter([Ok::<_, std::io::Error>(header_bytes)]);
    let pending = first.into_iter().map(Ok);
    let events = futures::stream::iter(pending)
        .chain(futures::stream::unfold(events, |mut rx| async move { rx.recv().await.map(|event| (Ok(event), rx)) }));
    use futures::StreamExt;
    let chunks = events.filter_map(move |event: Result<SpeechEvent, std::io::Error>| {
        let out = match event {
            Ok(SpeechEvent::Audio(samples)) => {
                if let Some(all) = rendered.as_mut() {
                    all.extend_from_slice(&samples);
                }
                Some(Ok(Bytes::from(crate::audio::to_le_bytes(&samples))))
            }
            Ok(SpeechEvent::Skipped { index, error }) => {
                tracing::warn!(index, %error, "sentence left out of the stream");
                rendered = None; // incomplete audio is never stored as a render
                None
            }
            Ok(SpeechEvent::Finished { .. }) => {
                if let (Some(all), Some(finish)) = (rendered.take(), on_finish.take()) {
                    finish(all);
                }
                None
            }
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        };
        std::future::ready(out)
    });
    let mut response = Response::new(Body::from_stream(head.chain(chunks)));
    response.headers_mut().insert(header::CONTENT_TYPE, content_type(format, sample_rate));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().extend(headers);
    Ok(response)
}

/// Reads events until the first audio (or the end), returning what it read.
/// A full queue, or a stream in which every utterance failed, is an error.
async fn first_audible_event(
    events: &mut mpsc::Receiver<SpeechEvent>,
    utterance_count: usize,
) -> Result<Vec<SpeechEvent>, AppError> {
    let mut read = Vec::new();
    let mut skipped = 0;
    while let Some(event) = events.recv().await {
        match event {
            SpeechEvent::Skipped { error: SpeakError::Busy, .. } => return Err(AppError::Busy),
            SpeechEvent::Skipped { index, error } => {
                skipped += 1;
                if skipped == utterance_count {
                    return Err(AppError::unprocessable("synthesis-failed", error));
                }
                read.push(SpeechEvent::Skipped { index, error });
            }
            audible @ (SpeechEvent::Audio(_) | SpeechEvent::Finished { .. }) => {
                read.push(audible);
                break;
            }
            other => read.push(other),
        }
    }
    Ok(read)
}

fn content_type(format: AudioFormat, sample_rate: u32) -> HeaderValue {
    HeaderValue::from_str(&format.content_type(sample_rate)).expect("content types are ASCII")
}

/// Serves a finished file with byte ranges and a strong ETag.
pub async fn file(path: &Path, etag: &str, request_headers: &HeaderMap) -> Result<Response, AppError> {
    let etag_value = HeaderValue::from_str(&format!("\"{etag}\"")).map_err(AppError::internal)?;
    let matches = request_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == "*" || t.trim().trim_start_matches("W/") == etag_value));
    if matches {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        response.headers_mut().insert(header::ETAG, etag_value);
        return Ok(response);
    }
    let mut request = Request::new(Body::empty());
    for name in [header::RANGE, header::IF_RANGE, header::IF_MODIFIED_SINCE] {
        if let Some(value) = request_headers.get(&name) {
            request.headers_mut().insert(name, value.clone());
        }
    }
    let served = tower_http::services::ServeFile::new(path).oneshot(request).await.map_err(AppError::internal)?;
    let mut response = served.map(Body::new);
    if response.status() == StatusCode::NOT_FOUND {
        return Err(AppError::internal(format!("render {} vanished", path.display())));
    }
    let headers = response.headers_mut();
    headers.insert(header::ETAG, etag_value);
    headers.insert(header::CONTENT_TYPE, content_type(AudioFormat::Wav, 0));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    Ok(response)
}
