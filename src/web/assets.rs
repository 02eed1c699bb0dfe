//! Static assets (stylesheet, reader-page player, Listen-button script),
//! compiled into the binary. Pages link them as `/assets/NAME?v=HASH`:
//! a request carrying the current hash may be cached for a year; any other
//! for five minutes, so a new release is picked up quickly.

use axum::extract::{Path, Query};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::sync::LazyLock;

use super::error::AppError;
use super::error::Problems;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const ASSETS: &[Asset] = &[
    Asset { name: "herald.css", content_type: "text/css; charset=utf-8", body: include_str!("static/herald.css") },
    Asset { name: "player.js", content_type: "text/javascript; charset=utf-8", body: include_str!("static/player.js") },
    Asset { name: "embed.js", content_type: "text/javascript; charset=utf-8", body: include_str!("static/embed.js") },
];

/// Content hashes, computed once.
static VERSIONS: LazyLock<Vec<String>> =
    LazyLock::new(|| ASSETS.iter().map(|a| blake3::hash(a.body.as_bytes()).to_hex()[..12].to_string()).collect());

fn find(name: &str) -> Option<(&'static Asset, &'static str)> {
    ASSETS.iter().zip(VERSIONS.iter()).find(|(a, _)| a.name == name).map(|(a, v)| (a, v.as_str()))
}

/// The versioned URL of an asset, for pages to link.
pub(crate) fn url(name: &str) -> String {
    let (_, version) = find(name).expect("known asset");
    format!("/assets/{name}?v={version}")
}

/// The versioned absolute path of the Listen-button script.
pub(crate) fn embed_url() -> String {
    let (_, version) = find("embed.js").expect("known asset");
    format!("/embed.js?v={version}")
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct VersionQuery {
    /// The content hash; with the current one, the asset may be cached for a year.
    v: Option<String>,
}

fn respond(name: &str, requested: Option<&str>) -> Result<Response, AppError> {
    let (asset, version) = find(name).ok_or_else(|| {
        AppError::NotFound(format!("there is no asset `{}`", name.chars().take(40).collect::<String>()))
    })?;
    let cache = if requested == Some(version) { "public, max-age=31536000, immutable" } else { "public, max-age=300" };
    let mut response = asset.body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Ok(response)
}

#[utoipa::path(
    get,
    path = "/assets/{name}",
    tag = "pages",
    params(("name" = String, Path, description = "`herald.css`, `player.js` or `embed.js`"), VersionQuery),
    responses(
        (status = 200, description = "The asset", content((String = "text/css"), (String = "text/javascript"))),
        Problems,
    )
)]
pub(super) async fn asset(Path(name): Path<String>, Query(query): Query<VersionQuery>) -> Result<Response, AppError> {
    respond(&name, query.v.as_deref())
}

#[utoipa::path(
    get,
    path = "/embed.js",
    tag = "pages",
    params(VersionQuery),
    responses((status = 200, description = "The Listen-button script", body = String, content_type = "text/javascript"))
)]
pub(super) async fn embed(Query(query): Query<VersionQuery>) -> Result<Response, AppError> {
    respond("embed.js", query.v.as_deref())
}
