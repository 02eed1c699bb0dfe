//! Request bodies: size limit, media type and UTF-8 checks shared by every
//! endpoint that takes text, so each failure has one clear problem.

use super::error::AppError;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{header, HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

/// The body, or 413 when it is over the limit.
pub(crate) fn bytes(body: Result<Bytes, BytesRejection>, limit: usize) -> Result<Bytes, AppError> {
    body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge { limit },
        _ => AppError::bad_request("unreadable-body", rejection.body_text()),
    })
}

/// The media type without parameters, lower-cased (`text/plain`).
pub(crate) fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The body as UTF-8 text; a BOM is dropped, UTF-16 is named as such.
pub(crate) fn utf8(bytes: &[u8]) -> Result<&str, AppError> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(AppError::bad_request("invalid-utf8", "the text is UTF-16; send UTF-8"));
    }
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        AppError::bad_request(
            "invalid-utf8",
            format!("the text is not valid UTF-8 (first bad byte at offset {})", e.valid_up_to()),
        )
    })
}

/// A JSON body, with invalid UTF-8, syntax and field errors told apart.
pub(crate) fn json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let text = utf8(bytes)?;
    serde_json::from_str(text).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => AppError::unprocessable("invalid-field", e),
        _ => AppError::bad_request("invalid-json", format!("the body is not valid JSON: {e}")),
    })
}

/// Rejects text with nothing to speak.
pub(crate) fn require_text(text: &str) -> Result<(), AppError> {
    if text.chars().any(char::is_alphanumeric) {
        Ok(())
    } else {
        Err(AppError::bad_request("empty-text", "the text is empty: it has no letters or digits to speak"))
    }
}
