//! `GET /openapi.json`: the OpenAPI 3.1 description of every route, made
//! from the `#[utoipa::path]` annotations beside the handlers and the
//! schemas of the types they read and answer, so it follows the code.

use super::error::Problem;
use super::{assets, batches, books, documents, marytts, metrics, openai, opentts, pages, speech, timings};
use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Herald",
        description = "Multilingual text-to-speech: statements in, speech, timings and reading pages out. \
            With keys configured, synthesis routes need `Authorization: Bearer KEY`, and reads need one \
            when `public_reads = false`."
    ),
    paths(
        pages::home,
        assets::asset,
        assets::embed,
        super::health,
        metrics::render,
        speech::voices,
        marytts::voices,
        marytts::locales,
        marytts::version,
        opentts::voices,
        opentts::languages,
        document,
        pages::document,
        documents::show,
        documents::audio,
        documents::paragraph_audio,
        documents::progress,
        timings::document_json,
        timings::document_ndjson,
        timings::document_vtt,
        timings::paragraph_json,
        timings::paragraph_vtt,
        timings::paragraph_ndjson,
        batches::show,
        batches::feed,
        batches::episode_file,
        books::show,
        books::book_file,
        books::audiobook_file,
        pages::create,
        speech::speak,
        documents::create,
        batches::create,
        books::create,
        marytts::process,
        opentts::tts,
        openai::speech,
    ),
    components(schemas(Problem)),
    modifiers(&KeyScheme)
)]
struct Api;

/// The description, as JSON.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    responses((status = 200, description = "This OpenAPI 3.1 document", body = Value))
)]
pub(super) async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(Api::openapi())
}

/// Adds the bearer key scheme that keyed routes use.
struct KeyScheme;

impl Modify for KeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("A Herald API key")).build();
        components.add_security_scheme("key", SecurityScheme::Http(bearer));
    }
}
