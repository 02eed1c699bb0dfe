//! The HTTP service: the axum router (its routes grouped by key rule in
//! [`routes`]), its handlers, errors, pages and metrics. Handlers parse and validate requests, then call the pipeline;
//! they never segment, choose voices or synthesize by themselves.

mod assets;
mod audio;
mod batches;
mod body;
mod books;
mod cors;
mod documents;
pub(crate) mod error;
mod keys;
mod language;
mod limits;
mod marytts;
mod metrics;
mod openai;
mod openapi;
mod opentts;
mod pages;
mod renders;
mod routes;
mod security;
mod speech;
mod timings;

use crate::pipeline::Pipeline;
use axum::extract::{DefaultBodyLimit, MatchedPath, State};
use axum::http::{Request, StatusCode};
use axum::response::IntoResponse;
use axum::serve::ListenerExt;
use axum::{middleware, Router};
use error::AppError;
use std::future::{Future, IntoFuture};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

/// Memory for recently served render files (see [`renders::HotFiles`]).
const HOT_FILE_BYTES: u64 = 64 << 20;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub(crate) pipeline: Arc<Pipeline>,
    metrics: Arc<metrics::Metrics>,
    rate_limit: Arc<limits::RateLimit>,
    hot_files: Arc<renders::HotFiles>,
    /// Podcast batches and talking books (`/v1/batches`, `/v1/books`).
    batches: Arc<crate::podcast::jobs::Jobs>,
    /// API keys and their usage.
    keys: Arc<keys::Keyring>,
}

impl AppState {
    pub fn new(pipeline: Arc<Pipeline>) -> Self {
        let keys = Arc::new(keys::Keyring::new(&pipeline.settings().keys));
        let metrics = Arc::new(metrics::Metrics::new(&pipeline, &keys));
        let server = &pipeline.settings().server;
        let rate_limit = Arc::new(limits::RateLimit::new(
            server.rate_limit_per_minute,
            server.rate_limit_burst,
            server.rate_limit_loopback,
        ));
        let hot_files = Arc::new(renders::HotFiles::new(HOT_FILE_BYTES));
        let batches = Arc::new(crate::podcast::jobs::Jobs::open(Arc::clone(&pipeline)));
        Self { pipeline, metrics, rate_limit, hot_files, batches, keys }
    }
}

/// The whole service.
fn router(state: AppState) -> Router {
    let body_limit = state.pipeline.settings().server.max_body_bytes;
    routes::all(&state)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(security::headers))
        .layer(cors::layer(&state.pipeline.settings().browser_origins()))
        // Outside the CORS layer, so a preflight from a refused origin is refused too.
        .layer(middleware::from_fn_with_state(state.clone(), cors::guard))
        .layer(middleware::from_fn_with_state(state.clone(), limits::deadline))
        .layer(middleware::from_fn_with_state(state.clone(), limits::rate))
        .layer(middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str());
            tracing::info_span!("request", method = %request.method(), route)
        }))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish for
/// up to the configured grace period.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let grace = Duration::from_secs(state.pipeline.settings().server.shutdown_grace_secs);
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        shutdown.await;
        tracing::info!("shutting down: no new connections; finishing in-flight requests");
        let _ = stopping_tx.send(());
    };
    // Podcast batches (and those left unfinished by the last run) run until the server stops.
    let _batches = state.batches.start().map(AbortOnDrop);
    let listener = listener.tap_io(crate::net::tune_connection);
    let rate_limit = Arc::clone(&state.rate_limit);
    let housekeeping = tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(10));
        loop {
            every.tick().await;
            rate_limit.shrink();
            release_free_memory();
        }
    });
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum::serve(listener, app).with_graceful_shutdown(signal).into_future();
    let _housekeeping = AbortOnDrop(housekeeping);
    tokio::select! {
        result = server => result,
        _ = async { if stopping_rx.await.is_ok() { tokio::time::sleep(grace).await } else { std::future::pending().await } } => {
            tracing::warn!(?grace, "grace period over; closing remaining connections");
            Ok(())
        }
    }
}

/// Hands memory freed after a burst of streams back to the system (glibc
/// keeps it in its arenas otherwise, and the process stays at its peak).
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free heap pages; it has no other effect.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Stops a background task when the server stops.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}

/// The answer of `GET /healthz`.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct Health {
    /// `ok`, `degraded` (the database does not answer: replicas work
    /// alone), `no workers` or `store unavailable`.
    status: &'static str,
    /// Synthesis workers running now.
    workers: usize,
    store: StoreHealth,
    /// The database shared with other replicas, if one is configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    database: Option<DatabaseHealth>,
}

/// Whether the shared database answers.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct DatabaseHealth {
    ok: bool,
}

/// Whether the store answers.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct StoreHealth {
    /// `local` or `s3`.
    kind: &'static str,
    ok: bool,
}

#[utoipa::path(
    get,
    path = "/healthz",
    tag = "meta",
    responses(
        (status = 200, description = "Workers are running and the store answers", body = Health),
        (status = 503, description = "No worker is running, or the store does not answer", body = Health),
    )
)]
async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let health = state.pipeline.health().await;
    let (live, store_ok) = (health.workers, health.store_ok);
    let database = health.database_ok.map(|ok| DatabaseHealth { ok });
    let (status, text) = match (live > 0, store_ok, database.as_ref().is_none_or(|d| d.ok)) {
        (false, _, _) => (StatusCode::SERVICE_UNAVAILABLE, "no workers"),
        (true, false, _) => (StatusCode::SERVICE_UNAVAILABLE, "store unavailable"),
        (true, true, false) => (StatusCode::OK, "degraded"),
        (true, true, true) => (StatusCode::OK, "ok"),
    };
    let store = StoreHealth { kind: health.store_kind, ok: store_ok };
    (status, axum::Json(Health { status: text, workers: live, store, database }))
}

async fn not_found() -> AppError {
    AppError::NotFound("there is nothing at this address".into())
}

async fn method_not_allowed() -> AppError {
    AppError::MethodNotAllowed
}
