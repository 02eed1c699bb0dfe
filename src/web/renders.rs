//! Serving renders: a stored render from disk (or memory) with `Range`,
//! `ETag` and `If-None-Match`; one stored only in the shared store,
//! streamed from it the same way; and a render in progress followed from its
//! first byte as it grows. A player's first request (`Range: bytes=0-`, as
//! Chromium sends it) on a render in progress is answered at once with what
//! exists, and the response goes on as the render grows.

use super::audio::content_type;
use super::error::AppError;
use crate::audio::AudioFormat;
use crate::render::{RemoteRender, RenderFailure, RenderReader, RenderState, RenderedAudio};
use crate::report::Chain;
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::future::OptionFuture;
use std::path::{Path, PathBuf};
use tower::ServiceExt;

/// Serves a render's audio, stored or growing.
pub(crate) async fn serve(
    rendered: RenderedAudio,
    format: AudioFormat,
    request_headers: &HeaderMap,
    hot: &HotFiles,
) -> Result<Response, AppError> {
    match rendered {
        // Stored renders are whole files, whose content types do not depend on the rate.
        RenderedAudio::Stored { path, etag } => {
            file(&path, content_type(format, 0), &etag, request_headers, Some(hot)).await
        }
        RenderedAudio::Remote { render, etag } => remote(render, content_type(format, 0), &etag, request_headers).await,
        RenderedAudio::Growing(reader) => growing(reader).await,
    }
}

/// Serves a render another replica stored, streamed from the store: the
/// one range asked for, or the whole render (which leaves a local copy).
/// Several ranges at once are answered with the whole render, as HTTP
/// allows.
async fn remote(
    render: RemoteRender,
    content_type: HeaderValue,
    etag: &str,
    request_headers: &HeaderMap,
) -> Result<Response, AppError> {
    let etag = strong_etag(etag)?;
    if not_modified(request_headers, &etag) {
        return Ok(not_modified_response(etag));
    }
    let size = render.size;
    let asked = request_headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(|range| http_range_header::parse_range_header(range).and_then(|ranges| ranges.validate(size)));
    let (status, range) = match asked {
        Some(Err(_)) => {
            let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            let unsatisfied = HeaderValue::from_str(&format!("bytes */{size}")).map_err(AppError::internal)?;
            response.headers_mut().insert(header::CONTENT_RANGE, unsatisfied);
            return Ok(response);
        }
        Some(Ok(ranges)) if ranges.len() == 1 => (StatusCode::PARTIAL_CONTENT, Some(ranges[0].clone())),
        _ => (StatusCode::OK, None),
    };
    let whole = range.as_ref().is_none_or(|r| *r.start() == 0 && *r.end() + 1 == size);
    let unavailable = |error: std::io::Error| AppError::StoreUnavailable(Chain(&error).to_string());
    let (body, length) = match &range {
        Some(r) if !whole => {
            (render.range(*r.start()..*r.end() + 1).await.map_err(unavailable)?, r.end() + 1 - r.start())
        }
        _ => (render.whole().await.map_err(unavailable)?, size),
    };
    let mut response = Response::new(Body::from_stream(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Some(r) = range {
        let content_range = format!("bytes {}-{}/{size}", r.start(), r.end());
        headers.insert(header::CONTENT_RANGE, HeaderValue::from_str(&content_range).map_err(AppError::internal)?);
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(header::ETAG, etag);
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    headers.insert("x-herald-render", HeaderValue::from_static("shared-store"));
    Ok(response)
}

/// An ETag's header value (strong: the bytes of a stored render never change).
fn strong_etag(etag: &str) -> Result<HeaderValue, AppError> {
    HeaderValue::from_str(&format!("\"{etag}\"")).map_err(AppError::internal)
}

/// Whether the client already has the version tagged `etag`.
fn not_modified(request_headers: &HeaderMap, etag: &HeaderValue) -> bool {
    request_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == "*" || t.trim().trim_start_matches("W/") == etag))
}

fn not_modified_response(etag: HeaderValue) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    response.headers_mut().insert(header::ETAG, etag);
    response
}

/// Follows a render in progress. Waits for its first audio, so a render
/// that cannot start (a full queue, every sentence refused) is a proper
/// error rather than an empty 200. Ranges are not offered until the render
/// is stored (its length is unknown until then), so the whole stream is sent.
async fn growing(reader: RenderReader) -> Result<Response, AppError> {
    let progress = reader.started().await;
    if let RenderState::Failed(failure) = progress.state {
        return Err(failure_error(failure));
    }
    let render = reader.render();
    let content_type = content_type(render.format(), render.sample_rate());
    let mut response = Response::new(Body::from_stream(reader.audio()));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("x-herald-render", HeaderValue::from_static("in-progress"));
    Ok(response)
}

/// The problem a failed render is to its reader.
pub(crate) fn failure_error(failure: RenderFailure) -> AppError {
    match failure {
        RenderFailure::Busy => AppError::Busy,
        RenderFailure::Silent(error) => AppError::unprocessable("synthesis-failed", Chain(&error)),
        other => AppError::internal(Chain(&other)),
    }
}

/// Read size when serving files: one read covers a typical paragraph render.
const SERVE_CHUNK_BYTES: usize = 1 << 20;

/// Renders recently served whole, kept in memory: a full GET of a hot
/// paragraph is answered from RAM without touching the disk or a blocking
/// thread. Bounded by total bytes; ranges are still served from the file.
pub(crate) struct HotFiles(quick_cache::sync::Cache<PathBuf, Bytes, ByteWeight>);

#[derive(Clone)]
struct ByteWeight;

impl quick_cache::Weighter<PathBuf, Bytes> for ByteWeight {
    fn weight(&self, _path: &PathBuf, bytes: &Bytes) -> u64 {
        bytes.len() as u64
    }
}

impl HotFiles {
    /// Files larger than this are always read from disk.
    const MAX_FILE_BYTES: usize = 8 << 20;

    pub(crate) fn new(capacity_bytes: u64) -> Self {
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

/// Serves a finished file with byte ranges and a strong ETag. With `hot`,
/// whole-file requests may be answered from memory.
pub(crate) async fn file(
    path: &Path,
    content_type: HeaderValue,
    etag: &str,
    request_headers: &HeaderMap,
    hot: Option<&HotFiles>,
) -> Result<Response, AppError> {
    let etag_value = strong_etag(etag)?;
    if not_modified(request_headers, &etag_value) {
        return Ok(not_modified_response(etag_value));
    }
    let whole = !request_headers.contains_key(header::RANGE);
    if let Some(bytes) = if whole { OptionFuture::from(hot.map(|h| h.get(path))).await.flatten() } else { None } {
        let mut response = Response::new(Body::from(bytes));
        let headers = response.headers_mut();
        headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        headers.insert(header::ETAG, etag_value);
        headers.insert(header::CONTENT_TYPE, content_type);
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
        return Err(AppError::internal(format!("file {} vanished", path.display())));
    }
    let headers = response.headers_mut();
    headers.insert(header::ETAG, etag_value);
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    Ok(response)
}
