//! Security policies on every response, and the optional API keys for the
//! endpoints that write (create documents).
//!
//! Pages get a strict Content-Security-Policy: scripts, styles and media
//! only from Herald itself, no inline script, no framing. Every response
//! gets `nosniff` and a referrer policy.
//!
//! API keys: when `api_keys` is set, a write needs `Authorization: Bearer
//! KEY` — except from a browser on Herald's own pages or on an allowed
//! origin (the home form and the Listen button cannot hold secrets; their
//! gate is the origin allow-list). Keys are compared in constant time and
//! never logged.

use super::error::AppError;
use super::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     media-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Adds the security headers to every response.
pub(super) async fn headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    let is_html =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
    if is_html {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    response
}

/// Requires an API key on writes when keys are configured.
pub(super) async fn api_key(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let keys = &state.pipeline.settings().api_keys;
    let writes =
        request.method() == Method::POST && matches!(request.uri().path(), "/v1/documents" | "/v1/batches" | "/d");
    // Browser requests reach here only from an allowed origin (see `cors::guard`).
    let from_browser = request.headers().contains_key(header::ORIGIN);
    if keys.is_empty() || !writes || from_browser {
        return next.run(request).await;
    }
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let valid = presented.is_some_and(|p| keys.iter().any(|k| bool::from(k.as_bytes().ct_eq(p.as_bytes()))));
    if valid {
        next.run(request).await
    } else {
        AppError::Unauthorized.into_response()
    }
}
