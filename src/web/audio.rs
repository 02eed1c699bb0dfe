//! Audio responses: a live stream of a speech plan in any [`AudioFormat`]
//! (encoded chunk by chunk as it is produced), and finished renders served
//! from disk with `Range`, `ETag` and `If-None-Match`.

use super::error::AppError;
use crate::audio::AudioFormat;
use crate::cache::RenderStore;
use crate::speech::{EncodedEvent, EncodedSpeech, SpeakError};
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::future::OptionFuture;
use futures::StreamExt;
use std::path::{Path, PathBuf};
use tokio::sync::oneshot;
use tower::ServiceExt;

/// The response format of `POST /v1/speech`: the `format` field if there is
/// one (415 if Herald does not produce it), else the first format the
/// `Accept` header names, else WAV.
pub fn negotiate(format: Option<&str>, headers: &HeaderMap) -> Result<AudioFormat, AppError> {
    if let Some(name) = format {
        return name.parse().map_err(|e: crate::audio::UnknownFormat| AppError::UnsupportedMediaType(e.to_string()));
    }
    let mut accepted = headers.get_all(header::ACCEPT).iter().filter_map(|v| v.to_str().ok());
    Ok(accepted.find_map(AudioFormat::from_accept).unwrap_or_default())
}

/// The format named by the last segment of a document audio URL,
/// `audio.{ext}`: 404 for another name, 415 for an extension that is not an
/// audio file format Herald makes.
pub fn file_format(segment: &str) -> Result<AudioFormat, AppError> {
    let Some(extension) = segment.strip_prefix("audio.") else {
        return Err(AppError::NotFound("there is nothing at this address".into()));
    };
    AudioFormat::from_extension(extension).ok_or_else(|| {
        let known: Vec<String> = AudioFormat::FILES.iter().map(|f| format!("audio.{}", f.extension())).collect();
        AppError::UnsupportedMediaType(format!(
            "`audio.{}` is not an audio format Herald serves; use {}",
            extension.chars().take(20).collect::<String>(),
            known.join(", ")
        ))
    })
}

/// Streams encoded speech as a response body. Waits for the first audio so
/// a request that cannot start (queue full, engine refused every sentence)
/// gets a proper error instead of an empty 200. With a `tee`, the bytes are
/// also written to a render file, published only if the stream completes
/// with no sentence left out.
pub async fn stream(
    mut speech: EncodedSpeech,
    headers: HeaderMap,
    utterance_count: usize,
    mut tee: Option<RenderTee>,
) -> Result<Response, AppError> {
    let first = first_audible_event(&mut speech, utterance_count).await?;
    let content_type = content_type(speech.format(), speech.output_rate());
    let rest = futures::stream::unfold(speech, |mut speech| async move { speech.next().await.map(|e| (e, speech)) });
    let events = futures::stream::iter(first.into_iter().map(Ok)).chain(rest);
    let chunks = events.filter_map(move |event| {
        let out = match event {
            Ok(EncodedEvent::Audio(bytes)) => {
                if let Some(tee) = &tee {
                    tee.push(bytes.clone());
                }
                Some(Ok(bytes))
            }
            Ok(EncodedEvent::Skipped { index, error }) => {
                tracing::warn!(index, %error, "sentence left out of the stream");
                tee = None; // incomplete audio is never published as a render
                None
            }
            Ok(EncodedEvent::Finished { .. }) => {
                if let Some(tee) = tee.take() {
                    drop(tee.finish(true));
                }
                None
            }
            Err(error) => {
                tracing::error!(%error, "encoding failed; the stream ends here");
                tee = None;
                Some(Err(std::io::Error::other(error)))
            }
        };
        std::future::ready(out)
    });
    let mut response = Response::new(Body::from_stream(chunks));
    response.headers_mut().insert(header::CONTENT_TYPE, content_type);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().extend(headers);
    Ok(response)
}

/// Copies a stream's encoded bytes into a render file on a blocking thread,
/// so the stream never holds more than a chunk in memory for it.
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
    /// Starts render `name` of `document`, a stream of `format` at
    /// `sample_rate`. On publishing, the start of the file is rewritten with
    /// the format's final header (WAV's real sizes; nothing for the others).
    pub fn start(
        renders: &RenderStore,
        document: &str,
        name: &str,
        format: AudioFormat,
        sample_rate: u32,
    ) -> std::io::Result<Self> {
        let mut writer = renders.writer(document, name)?;
        let (tx, rx) = std::sync::mpsc::channel();
        tokio::task::spawn_blocking(move || {
            let mut written: u64 = 0;
            let mut failed = None;
            // A disconnect without `Finish` drops the writer: nothing is published.
            while let Ok(message) = rx.recv() {
                match message {
                    TeeMessage::Bytes(bytes) => {
                        written += bytes.len() as u64;
                        if failed.is_none() {
                            failed = writer.write(&bytes).err();
                        }
                    }
                    TeeMessage::Finish { publish, reply } => {
                        let outcome = match (failed, publish, format.final_header(sample_rate, written)) {
                            (Some(error), _, _) => Err(error),
                            (None, true, Some(header)) => writer.commit(&header).map(TeeOutcome::Published),
                            // Unpublished, or too long for the format's size fields.
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

/// Reads encoded speech until the first audio (or the end), returning what
/// it read. A full queue, or a stream in which every utterance failed, is an
/// error.
async fn first_audible_event(
    speech: &mut EncodedSpeech,
    utterance_count: usize,
) -> Result<Vec<EncodedEvent>, AppError> {
    let mut read = Vec::new();
    let mut skipped = 0;
    while let Some(event) = speech.next().await {
        match event.map_err(AppError::internal)? {
            EncodedEvent::Skipped { error: SpeakError::Busy, .. } => return Err(AppError::Busy),
            EncodedEvent::Skipped { index, error } => {
                skipped += 1;
                if skipped == utterance_count {
                    return Err(AppError::unprocessable("synthesis-failed", error));
                }
                read.push(EncodedEvent::Skipped { index, error });
            }
            audible @ (EncodedEvent::Audio(_) | EncodedEvent::Finished { .. }) => {
                read.push(audible);
                break;
            }
        }
    }
    Ok(read)
}

fn content_type(format: AudioFormat, sample_rate: u32) -> HeaderValue {
    HeaderValue::from_str(&format.content_type(sample_rate)).expect("content types are ASCII")
}

/// Read size when serving files: one read covers a typical paragraph render.
const SERVE_CHUNK_BYTES: usize = 1 << 20;

/// Renders recently served whole, kept in memory: a full GET of a hot
/// paragraph is answered from RAM without touching the disk or a blocking
/// thread. Bounded by total bytes; ranges are still served from the file.
pub struct HotFiles(quick_cache::sync::Cache<PathBuf, Bytes, ByteWeight>);

#[derive(Clone)]
pub struct ByteWeight;

impl quick_cache::Weighter<PathBuf, Bytes> for ByteWeight {
    fn weight(&self, _path: &PathBuf, bytes: &Bytes) -> u64 {
        bytes.len() as u64
    }
}

impl HotFiles {
    /// Files larger than this are always read from disk.
    const MAX_FILE_BYTES: usize = 8 << 20;

    pub fn new(capacity_bytes: u64) -> Self {
        Self(quick_cache::sync::Cache::with_weighter(256, capacity_bytes, ByteWeight))
    }

    async fn get(&self, path: &Path) -> Option<Bytes> {
        if let Some(bytes) = self.0.get(path) {
            return Some(bytes);
        }
        let size = tokio::fs::metadata(path).await.ok()?.len();
        if size > Self::MAX_FILE_BYTES as u64 {
            return None;
        }
        let bytes = Bytes::from(tokio::fs::read(path).await.ok()?);
        self.0.insert(path.to_path_buf(), bytes.clone());
        Some(bytes)
    }
}

/// Serves a finished file of `format` (one of [`AudioFormat::FILES`], whose
/// content types do not depend on the rate) with byte ranges and a strong
/// ETag. With `hot`, whole-file requests may be answered from memory.
pub async fn file(
    path: &Path,
    format: AudioFormat,
    etag: &str,
    request_headers: &HeaderMap,
    hot: Option<&HotFiles>,
) -> Result<Response, AppError> {
    debug_assert!(AudioFormat::FILES.contains(&format), "{format} has no file form");
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
    let whole = !request_headers.contains_key(header::RANGE);
    if let Some(bytes) = if whole { OptionFuture::from(hot.map(|h| h.get(path))).await.flatten() } else { None } {
        let mut response = Response::new(Body::from(bytes));
        let headers = response.headers_mut();
        headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        headers.insert(header::ETAG, etag_value);
        headers.insert(header::CONTENT_TYPE, content_type(format, 0));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
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
    headers.insert(header::CONTENT_TYPE, content_type(format, 0));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    Ok(response)
}
