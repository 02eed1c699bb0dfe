//! `/v1/books`: talking books over HTTP. A client posts an EPUB (2 or 3),
//! gets `202 Accepted` and the job's address, polls it, and downloads the
//! EPUB 3 with media overlays and the audiobook's files when they are
//! ready; each chapter also opens in Herald's reading page. A book is a job of the batch queue ([`crate::podcast::jobs`]), so
//! with replicas it runs on whichever is free and any of them serves it.

use super::batches::{self, unavailable};
use super::error::{AppError, Problems};
use super::{body, AppState};
use crate::book::job::{BookOrder, BookRecord, AUDIOBOOK, BOOK, MAX_BOOK_BYTES};
use crate::book::BookError;
use crate::podcast::jobs::{EpisodeState, JobError, JobKind, JobStatus, State as JobState};
use crate::speech::SpeechOptions;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// An EPUB, as the description shows the request body.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
struct EpubBody(#[allow(dead_code)] Vec<u8>);

/// Media types an EPUB may be sent as.
const EPUB_TYPES: [&str; 2] = ["application/epub+zip", "application/octet-stream"];

#[utoipa::path(
    post,
    path = "/v1/books",
    tag = "books",
    security((), ("key" = [])),
    params(
        ("quality" = Option<String>, Query, description = "`fast` (espeak-ng) or `natural` (neural, where installed)"),
        ("voice" = Option<String>, Query, description = "A voice for the whole book (`ENGINE:NAME`)"),
        ("lang" = Option<String>, Query, description = "The book's language, where its markup gives none"),
    ),
    request_body(description = "An EPUB 2 or 3 book (at most 64 MiB)", content(
        (EpubBody = "application/epub+zip"), (EpubBody = "application/octet-stream"),
    )),
    responses((status = 202, description = "The book's job, queued, at `Location`", body = BookView), Problems)
)]
pub(super) async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<SpeechOptions>, QueryRejection>,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let raw = body::bytes(raw, MAX_BOOK_BYTES)?;
    let media_type = body::media_type(&headers);
    if !EPUB_TYPES.contains(&media_type.as_str()) {
        return Err(AppError::UnsupportedMediaType(format!(
            "send the book as application/epub+zip, not `{media_type}`"
        )));
    }
    let Query(options) = query.map_err(|e| AppError::unprocessable("invalid-field", e.body_text()))?;
    let order = BookOrder { name: BOOK.to_string(), options };
    let id = state.batches.submit_book(raw.to_vec(), order).await.map_err(|error| match error {
        JobError::Book(BookError::Write(_)) => unavailable(error),
        JobError::Book(book) => AppError::unprocessable("invalid-book", book),
        error => unavailable(error),
    })?;
    let status = find(&state, &id).await?;
    let location = HeaderValue::from_str(&format!("/v1/books/{id}")).map_err(AppError::internal)?;
    Ok((StatusCode::ACCEPTED, [(header::LOCATION, location)], Json(view(&status))).into_response())
}

#[utoipa::path(
    get,
    path = "/v1/books/{id}",
    tag = "books",
    params(("id" = String, Path, description = "The book's job id")),
    responses((status = 200, description = "The book's job: its state and, once done, the addresses of its files", body = BookView), Problems)
)]
pub(super) async fn show(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    let status = find(&state, &id).await?;
    Ok(Json(view(&status)).into_response())
}

/// The finished talking book.
#[utoipa::path(
    get,
    path = "/v1/books/{id}/files/book.epub",
    tag = "books",
    params(("id" = String, Path, description = "The book's job id")),
    responses(
        (status = 200, description = "The EPUB 3 with media overlays (with `Range` support)", content_type = "application/epub+zip"),
        (status = 206, description = "Part of the file"),
        (status = 304, description = "Not modified"),
        Problems,
    )
)]
pub(super) async fn book_file(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    finished(&state, &id).await?;
    serve(&state, &id, BOOK, "application/epub+zip", &headers).await
}

/// A file of the finished audiobook: a chapter's MP3, the playlist or the cover.
#[utoipa::path(
    get,
    path = "/v1/books/{id}/files/audiobook/{file}",
    tag = "books",
    params(("id" = String, Path, description = "The book's job id"), ("file" = String, Path, description = "A name the job's `audiobook` lists")),
    responses(
        (status = 200, description = "A file of the audiobook (with `Range` support)", content(
            ("audio/mpeg"), ("audio/x-mpegurl"), ("image/jpeg"), ("image/png"),
        )),
        (status = 206, description = "Part of the file"),
        (status = 304, description = "Not modified"),
        Problems,
    )
)]
pub(super) async fn audiobook_file(
    State(state): State<AppState>,
    Path((id, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let book = finished(&state, &id).await?;
    if !book.audiobook.contains(&file) {
        let name: String = file.chars().take(80).collect();
        return Err(AppError::NotFound(format!("the audiobook of book {id} has no file `{name}`")));
    }
    let content_type = match file.rsplit_once('.').map(|(_, extension)| extension) {
        Some("mp3") => "audio/mpeg",
        Some("m3u8") => "audio/x-mpegurl; charset=utf-8",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        _ => "application/octet-stream",
    };
    serve(&state, &id, &format!("{AUDIOBOOK}/{file}"), content_type, &headers).await
}

/// The book job `id`, if there is one.
async fn find(state: &AppState, id: &str) -> Result<JobStatus, AppError> {
    batches::find_job(state, id, JobKind::Book, "book").await
}

/// The record of a finished book job `id`.
async fn finished(state: &AppState, id: &str) -> Result<BookRecord, AppError> {
    let status = find(state, id).await?;
    status.book.ok_or_else(|| AppError::NotFound(format!("book {id} is not finished")))
}

/// Serves file `name` of book `id`.
async fn serve(
    state: &AppState,
    id: &str,
    name: &str,
    content_type: &'static str,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    let path = state.batches.book_file(id, name).await.map_err(unavailable)?;
    let path =
        path.ok_or_else(|| AppError::StoreUnavailable(format!("{name} of book {id} is missing from the store")))?;
    batches::serve(path, content_type, headers).await
}

/// Where a book's job is.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
enum BookState {
    Queued,
    Running,
    Done,
    Failed,
}

/// A book's job as JSON.
#[derive(Serialize, utoipa::ToSchema)]
struct BookView<'a> {
    id: &'a str,
    state: BookState,
    url: String,
    /// Why the book could not be made.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    /// Once the book is done.
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    audio_seconds: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sentences: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    files: Option<BookFiles>,
    /// Once the book is done: its chapters in Herald's reading page.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    chapters: Vec<ChapterView<'a>>,
}

/// A chapter of a finished book, as a Herald document.
#[derive(Serialize, utoipa::ToSchema)]
struct ChapterView<'a> {
    title: &'a str,
    /// Its reading page.
    page: String,
    /// Its document (plan, audio, timings).
    document: String,
}

/// The addresses of a finished book's files.
#[derive(Serialize, utoipa::ToSchema)]
struct BookFiles {
    /// The EPUB 3 with media overlays.
    epub: String,
    /// The audiobook: each chapter's MP3, the playlist and the cover.
    audiobook: Vec<String>,
}

/// `name` as one segment of a URL path.
fn path_segment(name: &str) -> String {
    const ESCAPED: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
    percent_encoding::utf8_percent_encode(name, ESCAPED).to_string()
}

fn view(status: &JobStatus) -> BookView<'_> {
    let base = format!("/v1/books/{}", status.id);
    let part = status.episodes.first();
    let failed = status.state == JobState::Failed || part.is_some_and(|p| p.status == EpisodeState::Failed);
    let state = match status.state {
        _ if failed => BookState::Failed,
        JobState::Queued => BookState::Queued,
        JobState::Running => BookState::Running,
        JobState::Done | JobState::Failed => BookState::Done,
    };
    let error = status.error.as_deref().or_else(|| part.and_then(|p| p.error.as_deref()));
    let book = status.book.as_ref();
    BookView {
        id: &status.id,
        state,
        error,
        title: book.and_then(|b| b.title.as_deref()),
        audio_seconds: book.map(|b| b.seconds),
        sentences: book.map(|b| b.sentences),
        files: book.map(|b| BookFiles {
            epub: format!("{base}/files/{BOOK}"),
            audiobook: b
                .audiobook
                .iter()
                .map(|name| format!("{base}/files/{AUDIOBOOK}/{}", path_segment(name)))
                .collect(),
        }),
        chapters: book.map_or_else(Vec::new, |b| {
            b.chapters
                .iter()
                .map(|c| ChapterView {
                    title: &c.title,
                    page: format!("/d/{}", c.document),
                    document: format!("/v1/documents/{}", c.document),
                })
                .collect()
        }),
        url: base,
    }
}
