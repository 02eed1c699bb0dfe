//! The route table, in three groups by who may call them. Keys are enforced
//! on whole groups with `route_layer`, never by matching paths, so a route
//! added to a group gets the group's rule:
//!
//! - [`protected_routes`]: everything that writes or synthesizes new audio;
//!   with keys set, each request needs a key and is charged to it (the
//!   OpenAI route too, in a group of its own whose errors, key errors
//!   included, take OpenAI's shape);
//! - [`read_routes`]: stored documents, their audio, timings and pages, and
//!   batch and book results; public unless `public_reads = false`;
//! - [`open_routes`]: the home page, assets, health, metrics and the voice
//!   list, and the OpenAPI description, always public.

use super::{
    assets, batches, books, documents, health, keys, marytts, metrics, openai, openapi, opentts, pages, speech,
    timings, AppState,
};
use crate::book::job::MAX_BOOK_BYTES;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post};
use axum::Router;

/// Every route, each group behind its key rule.
pub(super) fn all(state: &AppState) -> Router<AppState> {
    open_routes()
        .merge(read_routes().route_layer(from_fn_with_state(state.clone(), keys::require_read)))
        .merge(protected_routes().route_layer(from_fn_with_state(state.clone(), keys::require_key)))
        .merge(
            openai_routes()
                .route_layer(from_fn_with_state(state.clone(), keys::require_key))
                .layer(from_fn(openai::errors)),
        )
}

/// The OpenAI speech route: protected like [`protected_routes`].
fn openai_routes() -> Router<AppState> {
    Router::new().route("/v1/audio/speech", post(openai::speech))
}

/// Routes that write or synthesize new audio. Add every new synthesis
/// route here.
pub(super) fn protected_routes() -> Router<AppState> {
    Router::new()
        .route("/d", post(pages::create))
        .route("/v1/speech", post(speech::speak))
        .route("/v1/documents", post(documents::create))
        .route("/v1/batches", post(batches::create))
        .route("/v1/books", post(books::create).layer(DefaultBodyLimit::max(MAX_BOOK_BYTES)))
        .route("/process", get(marytts::process).post(marytts::process))
        .route("/api/tts", get(opentts::tts).post(opentts::tts))
}

/// Reads of what already exists.
fn read_routes() -> Router<AppState> {
    Router::new()
        .route("/d/{id}", get(pages::document))
        .route("/v1/documents/{id}", get(documents::show))
        // `{file}` is `audio.{wav,mp3,opus,flac}` (axum parameters cover whole segments);
        // the fixed names below take precedence.
        .route("/v1/documents/{id}/{file}", get(documents::audio))
        .route("/v1/documents/{id}/paragraphs/{n}/{file}", get(documents::paragraph_audio))
        .route("/v1/documents/{id}/progress", get(documents::progress))
        .route("/v1/documents/{id}/timings.json", get(timings::document_json))
        .route("/v1/documents/{id}/timeline.ndjson", get(timings::document_ndjson))
        .route("/v1/documents/{id}/captions.vtt", get(timings::document_vtt))
        .route("/v1/documents/{id}/paragraphs/{n}/timings.json", get(timings::paragraph_json))
        .route("/v1/documents/{id}/paragraphs/{n}/captions.vtt", get(timings::paragraph_vtt))
        .route("/v1/documents/{id}/paragraphs/{n}/timeline.ndjson", get(timings::paragraph_ndjson))
        .route("/v1/batches/{id}", get(batches::show))
        .route("/v1/batches/{id}/files/feed.xml", get(batches::feed))
        .route("/v1/batches/{id}/files/episodes/{file}", get(batches::episode_file))
        .route("/v1/books/{id}", get(books::show))
        .route("/v1/books/{id}/files/book.epub", get(books::book_file))
        .route("/v1/books/{id}/files/audiobook/{file}", get(books::audiobook_file))
}

/// Routes anyone may call.
fn open_routes() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/assets/{name}", get(assets::asset))
        .route("/embed.js", get(assets::embed))
        .route("/healthz", get(health))
        .route("/metrics", get(metrics::render))
        .route("/v1/voices", get(speech::voices))
        .route("/voices", get(marytts::voices))
        .route("/locales", get(marytts::locales))
        .route("/version", get(marytts::version))
        .route("/api/voices", get(opentts::voices))
        .route("/api/languages", get(opentts::languages))
        .route("/openapi.json", get(openapi::document))
}
