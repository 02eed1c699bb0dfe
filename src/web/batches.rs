//! `/v1/batches`: the podcast batch over HTTP. A client posts a show and its
//! statements, gets `202 Accepted` and the job's address, polls it for
//! progress, and downloads the episodes, captions and feed when they are
//! ready. The jobs themselves (storage, running, resuming) are
//! [`crate::podcast::jobs`].

use super::error::AppError;
use super::error::Problems;
use super::{body, renders, AppState};
use crate::podcast::jobs::{is_job_id, EpisodeState, JobError, JobKind, JobRequest, JobStatus, State as JobState};
use crate::podcast::{episode::EXTENSIONS, feed::episode_path};
use crate::statements::is_slug;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

#[utoipa::path(
    post,
    path = "/v1/batches",
    tag = "batches",
    security((), ("key" = [])),
    request_body(content = JobRequest, content_type = "application/json"),
    responses((status = 202, description = "The batch, queued, at `Location`: its state and episodes", body = BatchView), Problems)
)]
pub(super) async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let raw = body::bytes(raw, state.pipeline.settings().server.max_body_bytes)?;
    if body::media_type(&headers) != "application/json" {
        return Err(AppError::UnsupportedMediaType("send the batch as application/json".into()));
    }
    let request: JobRequest = body::json(&raw)?;
    // Without a base URL, the feed points at this service's own downloads.
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost").to_string();
    let base_url = move |id: &str| format!("http://{host}/v1/batches/{id}/files/");
    let id = state.batches.submit(request, base_url).await.map_err(|error| match error {
        JobError::Document(_) => AppError::bad_request("empty-text", error),
        JobError::NoDocuments | JobError::TooMany(_) | JobError::Show(_) => {
            AppError::unprocessable("invalid-batch", error)
        }
        error => unavailable(error),
    })?;
    let status = state.batches.status(&id).await.map_err(unavailable)?;
    let status = status.ok_or_else(|| AppError::internal("a new batch vanished"))?;
    let location = HeaderValue::from_str(&format!("/v1/batches/{id}")).map_err(AppError::internal)?;
    Ok((StatusCode::ACCEPTED, [(header::LOCATION, location)], Json(view(&status))).into_response())
}

#[utoipa::path(
    get,
    path = "/v1/batches/{id}",
    tag = "batches",
    params(("id" = String, Path, description = "The batch id")),
    responses((status = 200, description = "The batch: its state, episodes and the addresses of finished files", body = BatchView), Problems)
)]
pub(super) async fn show(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    let status = find(&state, &id).await?;
    Ok(Json(view(&status)).into_response())
}

/// `feed.xml` of a finished batch.
#[utoipa::path(
    get,
    path = "/v1/batches/{id}/files/feed.xml",
    tag = "batches",
    params(("id" = String, Path, description = "The batch id")),
    responses((status = 200, description = "The podcast feed of a finished batch", body = String, content_type = "application/rss+xml"), Problems)
)]
pub(super) async fn feed(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let status = find(&state, &id).await?;
    if status.state != JobState::Done {
        return Err(AppError::NotFound("the feed is written when the batch is done".into()));
    }
    let path = state.batches.feed_file(&id).await.map_err(unavailable)?;
    serve(path, "application/rss+xml; charset=utf-8", &headers).await
}

/// One file of an episode that is ready: `{slug}.{mp3,vtt,srt,chapters.json,transcript.json}`.
#[utoipa::path(
    get,
    path = "/v1/batches/{id}/files/episodes/{file}",
    tag = "batches",
    params(("id" = String, Path, description = "The batch id"), ("file" = String, Path, description = "`SLUG.mp3`, `.vtt`, `.srt`, `.chapters.json` or `.transcript.json`")),
    responses(
        (status = 200, description = "A file of a finished episode (with `Range` support)", content(
            ("audio/mpeg"), ("text/vtt"), ("application/x-subrip"), ("application/json+chapters"), ("application/json"),
        )),
        (status = 206, description = "Part of the file"),
        (status = 304, description = "Not modified"),
        Problems,
    )
)]
pub(super) async fn episode_file(
    State(state): State<AppState>,
    Path((id, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let status = find(&state, &id).await?;
    let missing =
        || AppError::NotFound(format!("batch {id} has no file `{}`", file.chars().take(80).collect::<String>()));
    let (slug, extension) = file.split_once('.').ok_or_else(missing)?;
    let extension = EXTENSIONS.into_iter().find(|e| *e == extension).ok_or_else(missing)?;
    let ready = status.episodes.iter().any(|e| e.slug == slug && e.status == EpisodeState::Done);
    if !is_slug(slug) || !ready {
        return Err(missing());
    }
    let content_type = match extension {
        "mp3" => "audio/mpeg",
        "vtt" => "text/vtt; charset=utf-8",
        "srt" => "application/x-subrip; charset=utf-8",
        "chapters.json" => "application/json+chapters",
        _ => "application/json",
    };
    let path = state.batches.episode_file(&id, slug, extension).await.map_err(unavailable)?;
    serve(path, content_type, &headers).await
}

async fn find(state: &AppState, id: &str) -> Result<JobStatus, AppError> {
    find_job(state, id, JobKind::Podcast, "batch").await
}

/// Job `id` if it is of `kind` (a `noun`, for the problem); not found otherwise.
pub(super) async fn find_job(state: &AppState, id: &str, kind: JobKind, noun: &str) -> Result<JobStatus, AppError> {
    let missing = || AppError::NotFound(format!("there is no {noun} `{}`", id.chars().take(40).collect::<String>()));
    if !is_job_id(id) {
        return Err(missing());
    }
    let status = state.batches.status(id).await.map_err(unavailable)?.ok_or_else(missing)?;
    if status.kind != kind {
        return Err(missing());
    }
    Ok(status)
}

/// The batch queue or its files could not be reached: a 503 while the
/// database or store is away; a local failure is the server's own.
pub(super) fn unavailable(error: JobError) -> AppError {
    match error {
        JobError::Unavailable(cause) => AppError::StoreUnavailable(cause),
        error => AppError::internal(error),
    }
}

/// Serves a batch or book file with `Range` and `ETag` (podcast apps
/// seek). The ETag is the file's size and modification time: these files
/// are only ever replaced whole.
pub(super) async fn serve(
    path: std::path::PathBuf,
    content_type: &'static str,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    let metadata =
        tokio::fs::metadata(&path).await.map_err(|e| AppError::internal(format!("{}: {e}", path.display())))?;
    let modified = metadata.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
    let etag = format!("{:x}-{:x}", metadata.len(), modified.map_or(0, |d| d.as_nanos()));
    renders::file(&path, HeaderValue::from_static(content_type), &etag, headers, None).await
}

/// A batch as JSON: its progress, with the addresses of what is ready.
#[derive(Serialize, utoipa::ToSchema)]
struct BatchView<'a> {
    id: &'a str,
    state: JobState,
    done: usize,
    failed: usize,
    total: usize,
    episodes: Vec<EpisodeView<'a>>,
    url: String,
    /// Why a failed batch stopped.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    /// Once the batch is done.
    #[serde(skip_serializing_if = "Option::is_none")]
    feed_url: Option<String>,
    /// Seconds of audio made, once the batch is done.
    #[serde(skip_serializing_if = "Option::is_none")]
    audio_seconds: Option<f64>,
}

/// An episode of a [`BatchView`].
#[derive(Serialize, utoipa::ToSchema)]
struct EpisodeView<'a> {
    name: &'a str,
    slug: &'a str,
    status: EpisodeState,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    /// Once the episode is done.
    #[serde(skip_serializing_if = "Option::is_none")]
    files: Option<EpisodeFiles>,
}

/// The addresses of a finished episode's files.
#[derive(Serialize, utoipa::ToSchema)]
struct EpisodeFiles {
    mp3: String,
    vtt: String,
    srt: String,
    chapters: String,
    transcript: String,
}

/// The status with the addresses of what is ready.
fn view(status: &JobStatus) -> BatchView<'_> {
    let base = format!("/v1/batches/{}", status.id);
    let episodes = status
        .episodes
        .iter()
        .map(|e| {
            let url = |extension: &str| format!("{base}/files/{}", episode_path(&e.slug, extension));
            let files = (e.status == EpisodeState::Done).then(|| EpisodeFiles {
                mp3: url("mp3"),
                vtt: url("vtt"),
                srt: url("srt"),
                chapters: url("chapters.json"),
                transcript: url("transcript.json"),
            });
            EpisodeView { name: &e.name, slug: &e.slug, status: e.status, error: e.error.as_deref(), files }
        })
        .collect();
    let done = status.state == JobState::Done;
    BatchView {
        id: &status.id,
        state: status.state,
        done: status.done,
        failed: status.failed,
        total: status.total,
        episodes,
        error: status.error.as_deref(),
        feed_url: done.then(|| format!("{base}/files/feed.xml")),
        audio_seconds: done.then_some(status.audio_seconds),
        url: base,
    }
}
