//! Errors as RFC 9457 `application/problem+json`. Client errors name the
//! problem in `detail`; server errors say only that something failed (the
//! cause goes to the log, never to the client).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::openapi::response::{Response as ApiResponse, ResponseBuilder};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AppError {
    /// Malformed request: bad JSON, invalid UTF-8, empty text.
    #[error("{detail}")]
    BadRequest { kind: &'static str, detail: String },
    /// Well-formed but unusable: unknown voice, rate out of range.
    #[error("{detail}")]
    Unprocessable { kind: &'static str, detail: String },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("this endpoint needs an API key: send `Authorization: Bearer KEY`")]
    Unauthorized,
    #[error("too many requests from this address; retry in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    /// A publishable key over its rate or daily quota.
    #[error("{detail}; retry in {retry_after_secs} s")]
    KeyLimit { detail: String, retry_after_secs: u64 },
    #[error("the request took longer than {0:?} to start its answer")]
    Timeout(std::time::Duration),
    #[error("the request body is larger than the {limit}-byte limit")]
    TooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("this method is not allowed here")]
    MethodNotAllowed,
    /// The synthesis queue is full.
    #[error("Herald is busy; retry in a moment")]
    Busy,
    /// The store (object store or cache directory) does not answer; the
    /// cause is logged, not shown.
    #[error("storage is unavailable; retry in a moment")]
    StoreUnavailable(String),
    /// Anything else; logged, not shown.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The body of every error: an RFC 9457 problem.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Problem {
    /// `urn:herald:problem:KIND`, e.g. `urn:herald:problem:not-found`.
    #[serde(rename = "type")]
    kind: String,
    /// The status's reason phrase.
    title: &'static str,
    status: u16,
    /// What went wrong, for people.
    detail: String,
}

impl AppError {
    pub(crate) fn bad_request(kind: &'static str, detail: impl ToString) -> Self {
        Self::BadRequest { kind, detail: detail.to_string() }
    }

    pub(crate) fn unprocessable(kind: &'static str, detail: impl ToString) -> Self {
        Self::Unprocessable { kind, detail: detail.to_string() }
    }

    pub(crate) fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }

    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::TooManyRequests { .. } | Self::KeyLimit { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Timeout(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Busy | Self::StoreUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Self::BadRequest { kind, .. } | Self::Unprocessable { kind, .. } => kind,
            Self::NotFound(_) => "not-found",
            Self::Forbidden(_) => "forbidden",
            Self::Unauthorized => "unauthorized",
            Self::TooManyRequests { .. } => "too-many-requests",
            Self::KeyLimit { .. } => "key-limit",
            Self::Timeout(_) => "timeout",
            Self::TooLarge { .. } => "too-large",
            Self::UnsupportedMediaType(_) => "unsupported-media-type",
            Self::MethodNotAllowed => "method-not-allowed",
            Self::Busy => "busy",
            Self::StoreUnavailable(_) => "store-unavailable",
            Self::Internal(_) => "internal",
        }
    }

    /// What the client may see.
    pub(crate) fn public_detail(&self) -> String {
        match self {
            Self::Internal(_) => "Herald could not complete this request. The error has been logged.".into(),
            other => other.to_string(),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            Self::Internal(cause) => tracing::error!(%cause, "request failed"),
            Self::StoreUnavailable(cause) => tracing::warn!(%cause, "storage unavailable"),
            _ => {}
        }
        let problem = Problem {
            kind: format!("urn:herald:problem:{}", self.kind()),
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: self.public_detail(),
        };
        let mut response = (status, axum::Json(problem)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if matches!(self, Self::Busy | Self::StoreUnavailable(_)) {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if let Self::TooManyRequests { retry_after_secs } | Self::KeyLimit { retry_after_secs, .. } = self {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        if matches!(self, Self::Unauthorized) {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<crate::pipeline::PlanTextError> for AppError {
    fn from(error: crate::pipeline::PlanTextError) -> Self {
        use crate::document::IngestError;
        use crate::pipeline::PlanTextError;
        use crate::speech::PlanError;
        use crate::voice::VoiceError;
        match error {
            PlanTextError::Ingest(IngestError::Empty) => Self::bad_request("empty-text", error),
            PlanTextError::Ingest(IngestError::TooLarge(_)) => {
                Self::TooLarge { limit: crate::document::MAX_INPUT_BYTES }
            }
            PlanTextError::Ingest(IngestError::TooDeep(_)) => Self::unprocessable("too-deep", error),
            PlanTextError::Ingest(IngestError::Ssml(_)) => Self::bad_request("invalid-ssml", error),
            PlanTextError::Plan(PlanError::Voice(VoiceError::Unknown(_))) => Self::NotFound(error.to_string()),
            PlanTextError::Plan(PlanError::Voice(VoiceError::NoneForLanguage(_))) => {
                Self::unprocessable("no-voice", error)
            }
        }
    }
}

impl From<crate::pipeline::SpeechError> for AppError {
    fn from(error: crate::pipeline::SpeechError) -> Self {
        match error {
            crate::pipeline::SpeechError::Plan(plan) => plan.into(),
            crate::pipeline::SpeechError::Encode(encode) => Self::internal(encode),
        }
    }
}

impl From<crate::pipeline::DocumentError> for AppError {
    fn from(error: crate::pipeline::DocumentError) -> Self {
        match error {
            crate::pipeline::DocumentError::Plan(plan) => plan.into(),
            crate::pipeline::DocumentError::Store(cause) => Self::StoreUnavailable(cause.to_string()),
            other => Self::internal(other),
        }
    }
}

impl From<crate::render::RenderError> for AppError {
    fn from(error: crate::render::RenderError) -> Self {
        match error {
            crate::render::RenderError::NoParagraph { .. } => Self::NotFound(error.to_string()),
            crate::render::RenderError::Store(cause) => Self::StoreUnavailable(cause.to_string()),
            other => Self::internal(other),
        }
    }
}

/// The errors of a route: any 4xx or 5xx answer is an RFC 9457 problem.
pub(super) struct Problems;

impl utoipa::IntoResponses for Problems {
    fn responses() -> std::collections::BTreeMap<String, RefOr<ApiResponse>> {
        let problem = |description: &str| {
            let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
            RefOr::T(
                ResponseBuilder::new().description(description).content("application/problem+json", content).build(),
            )
        };
        std::collections::BTreeMap::from([
            ("4XX".to_string(), problem("The request cannot be answered (the problem says why)")),
            ("5XX".to_string(), problem("Herald failed or is busy; retry later")),
        ])
    }
}
