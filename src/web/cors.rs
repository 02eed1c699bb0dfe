//! Cross-origin use of the API (the Listen button on other sites): CORS
//! headers for the origins in `cors_origins` and those of the publishable
//! keys, and a guard that refuses a
//! browser request from any other site with a 403 problem — browsers send
//! `Origin` on cross-site fetches, so the refusal does not rely on the
//! calling page honouring CORS. Herald's own pages are always allowed.

use super::error::AppError;
use super::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// CORS response headers for the allowed origins.
pub(super) fn layer(origins: &[String]) -> CorsLayer {
    let allowed: Vec<HeaderValue> = origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed))
        .allow_methods([Method::GET, Method::HEAD, Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::RANGE,
            header::IF_NONE_MATCH,
            header::AUTHORIZATION,
        ])
        .expose_headers([
            header::CONTENT_RANGE,
            header::ACCEPT_RANGES,
            header::ETAG,
            header::LOCATION,
            HeaderName::from_static("x-herald-cache"),
            HeaderName::from_static("x-herald-voice"),
            HeaderName::from_static("x-herald-lang"),
        ])
        .max_age(std::time::Duration::from_secs(600))
}

/// True when `origin` is the server's own (same scheme-less host and port).
pub(super) fn same_origin(origin: &str, host: Option<&str>) -> bool {
    let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    host.is_some_and(|h| h.eq_ignore_ascii_case(origin_host))
}

/// Refuses requests whose `Origin` is neither Herald's own nor allowed.
pub(super) async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let origin = request.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok());
    if let Some(origin) = origin {
        let host = request.headers().get(header::HOST).and_then(|v| v.to_str().ok());
        let allowed = same_origin(origin, host)
            || state.pipeline.settings().browser_origins().iter().any(|o| o.eq_ignore_ascii_case(origin));
        if !allowed {
            let shown: String = origin.chars().filter(|c| !c.is_control()).take(100).collect();
            return AppError::Forbidden(format!("requests from `{shown}` are not allowed; add it to cors_origins"))
                .into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_its_own_origin() {
        assert!(same_origin("http://127.0.0.1:8080", Some("127.0.0.1:8080")));
        assert!(same_origin("https://Herald.example", Some("herald.example")));
        assert!(!same_origin("http://evil.example", Some("herald.example")));
        assert!(!same_origin("null", Some("herald.example")));
        assert!(!same_origin("http://127.0.0.1:8080", None));
    }
}
