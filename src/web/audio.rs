//! Audio responses: a live stream of a speech plan (WAV header of unknown
//! length, then chunks as they are produced), and finished renders served
//! from disk with `Range`, `ETag` and `If-None-Match`.

use super::error::AppError;
use crate::audio::AudioFormat;
use crate::cache::RenderStore;
use crate::speech::{SpeakError, SpeechEvent};
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use std::path::Path;
use std::path::PathBuf;
use tokio::sync::{mpsc, oneshot};
use tower::ServiceExt;

/// Streams speech events as an audio body. Waits for the first event so a
/// request that cannot start (queue full, engine refused every sentence)
/// gets a proper error instead of an empty 200. With a `tee`, the audio is
/// also written to a render file, published only if the stream completes
/// with no sentence left out.
pub async fn stream(
    mut events: mpsc::Receiver<SpeechEvent>,
    format: AudioFormat,
    sample_rate: u32,
    headers: HeaderMap,
    utterance_count: usize,
    mut tee: Option<RenderTee>,
) -> Result<Response, AppError> {
    let first = first_audible_event(&mut events, utterance_count).await?;
    let header_bytes = Bytes::from(format.stream_header(sample_rate));
    let head = futures::stream::iter([Ok::<_, std::io::Error>(header_bytes)]);
    let pending = first.into_iter().map(Ok);
    let events = futures::stream::iter(pending)
        .chain(futures::stream::unfold(events, |mut rx| async move { rx.recv().await.map(|event| (Ok(event), rx)) }));
    let chunks = events.filter_map(move |event: Result<SpeechEvent, std::io::Error>| {
        let out = match event {
            Ok(SpeechEvent::Audio(samples)) => {
                let bytes = Bytes::from(crate::audio::to_le_bytes(&samples));
                if let Some(tee) = &tee {
                    tee.push(bytes.clone());
                }
                Some(Ok(bytes))
            }
            Ok(SpeechEvent::Skipped { index, error }) => {
                tracing::warn!(index, %error, "sentence left out of the stream");
                tee = None; // incomplete audio is never published as a render
                None
            }
            Ok(SpeechEvent::Finished { .. }) => {
                if let Some(tee) = tee.take() {
                    drop(tee.finish(true));
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

/// Copies a stream's audio into a render file on a blocking thread, so the
/// stream never holds more than a chunk in memory for it.
pub struct RenderTee {
    tx: std::sync::mpsc::Sender<TeeMessage>,
}

enum TeeMessage {
    Bytes(Bytes),
    Finish { publish: bool, reply: oneshot::Sender<std::io::Result<TeeOutcome>> },
}

/// Where the written audio ended up.
pub enum TeeOutcome {
    Published(PathBuf),
    /// Kept only as long as this handle lives (not published).
    Unpublished(tempfile::NamedTempFile),
}

impl RenderTee {
    pub fn start(renders: &RenderStore, document: &str, name: &str, sample_rate: u32) -> std::io::Result<Self> {
        let mut writer = renders.writer(document, name)?;
        writer.write(&crate::audio::wav::streaming_header(sample_rate))?;
        let (tx, rx) = std::sync::mpsc::channel();
        tokio::task::spawn_blocking(move || {
            let mut data_bytes: u64 = 0;
            let mut failed = None;
            // A disconnect without `Finish` drops the writer: nothing is published.
            while let Ok(message) = rx.recv() {
                match message {
                    TeeMessage::Bytes(bytes) => {
                        data_bytes += bytes.len() as u64;
                        if failed.is_none() {
                            failed = writer.write(&bytes).err();
                        }
                    }
                    TeeMessage::Finish { publish, reply } => {
                        let outcome = match (failed, publish, u32::try_from(data_bytes)) {
                            (Some(error), _, _) => Err(error),
                            (None, true, Ok(len)) => writer
                                .commit(&crate::audio::wav::header(sample_rate, Some(len)))
                                .map(TeeOutcome::Published),
                            // Unpublished, or too long for a WAV size field.
                            (None, _, _) => writer.abandon().map(TeeOutcome::Unpublished),
                        };
                        if let Err(Err(error)) = reply.send(outcome) {
                            tracing::warn!(%error, "could not store a render");
                        }
                        return;
                    }
                }
            }
        });
        Ok(Self { tx })
    }

    pub fn push(&self, bytes: Bytes) {
        let _ = self.tx.send(TeeMessage::Bytes(bytes));
    }

    /// Ends the render: published if `publish`, else kept unpublished.
    pub fn finish(self, publish: bool) -> oneshot::Receiver<std::io::Result<TeeOutcome>> {
        let (reply, outcome) = oneshot::channel();
        let _ = self.tx.send(TeeMessage::Finish { publish, reply });
        outcome
    }
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

/// Read size when serving files: one read covers a typical paragraph render.
const SERVE_CHUNK_BYTES: usize = 1 << 20;

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
    let served = tower_http::services::ServeFile::new(path)
        .with_buf_chunk_size(SERVE_CHUNK_BYTES)
        .oneshot(request)
        .await
        .map_err(AppError::internal)?;
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
