//! `GET /metrics` in Prometheus text format: HTTP requests by route and
//! status (counted by a middleware), plus the pipeline's own counters (pool,
//! queue, cache), read at scrape time.

use super::AppState;
use crate::pipeline::Pipeline;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use std::sync::Arc;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

pub(super) struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
}

impl Metrics {
    pub(super) fn new(pipeline: &Arc<Pipeline>, keys: &super::keys::Keyring) -> Self {
        let mut registry = Registry::with_prefix("herald");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests by route and status", requests.clone());
        registry.register("key_requests", "Requests carrying a key, by key name and outcome", keys.requests.clone());
        registry.register("key_characters", "Characters sent to be spoken, by key name", keys.characters.clone());
        registry.register_collector(Box::new(PipelineCollector(Arc::clone(pipeline))));
        Self { registry, requests }
    }
}

/// Counts every request by its matched route (never the raw path).
pub(super) async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_string();
    let response = next.run(request).await;
    state.metrics.requests.get_or_create(&RequestLabels { method, route, status: response.status().as_u16() }).inc();
    response
}

#[utoipa::path(
    get,
    path = "/metrics",
    tag = "meta",
    responses(
        (status = 200, description = "Prometheus metrics", body = String, content_type = "application/openmetrics-text"),
        super::error::Problems,
    )
)]
pub(super) async fn render(State(state): State<AppState>) -> Response {
    let mut text = String::new();
    if let Err(error) = prometheus_client::encoding::text::encode(&mut text, &state.metrics.registry) {
        return super::error::AppError::internal(error).into_response();
    }
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text).into_response()
}

/// Reads the service's [`Stats`](crate::pipeline::Stats) on each scrape.
struct PipelineCollector(Arc<Pipeline>);

impl std::fmt::Debug for PipelineCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PipelineCollector")
    }
}

impl Collector for PipelineCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let stats = self.0.stats();
        let counters = [
            ("synthesis_jobs_completed", "Utterances synthesized by the workers", stats.jobs_completed),
            ("synthesis_jobs_failed", "Utterances the engine could not synthesize", stats.jobs_failed),
            (
                "synthesis_jobs_cancelled",
                "Utterances dropped or aborted because no one wanted them any more",
                stats.jobs_cancelled,
            ),
            ("worker_restarts", "Worker processes replaced after dying or hanging", stats.worker_restarts),
            (
                "synthesis_jobs_quarantined",
                "Utterances refused because they crashed workers before",
                stats.jobs_quarantined,
            ),
            ("cache_hits", "Segments served from the cache", stats.cache_hits),
            ("cache_misses", "Segments not found in the cache", stats.cache_misses),
            ("cache_corrupt", "Cache entries discarded because their checksum failed", stats.cache_corrupt),
            ("store_reads", "Reads from the store (segments, documents, renders)", stats.store_reads),
            ("store_writes", "Writes and deletes in the store", stats.store_writes),
            ("store_errors", "Store operations that failed", stats.store_errors),
            ("database_errors", "Statements to the shared database that failed", stats.database_errors),
            ("synthesis_microseconds", "Wall time workers spent synthesizing, in microseconds", stats.synthesis_micros),
        ];
        for (name, help, value) in counters {
            let counter = ConstCounter::new(value);
            counter.encode(encoder.encode_descriptor(name, help, None, counter.metric_type())?)?;
        }
        let gauges = [
            ("queue_depth", "Utterances waiting for a worker", stats.queue_depth as i64),
            ("workers_live", "Worker processes up", stats.workers_live as i64),
            ("workers_busy", "Worker processes synthesizing now", stats.workers_busy as i64),
            ("cache_bytes", "Bytes stored in the segment cache", stats.cache_bytes as i64),
            ("renders_in_progress", "Document renders being made now", stats.renders_in_progress as i64),
            ("texts_being_planned", "Texts being spoken whose planning goes on", stats.texts_being_planned as i64),
        ];
        for (name, help, value) in gauges {
            let gauge = ConstGauge::new(value);
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)?;
        }
        Ok(())
    }
}
