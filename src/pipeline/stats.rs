//! What the service has done and is doing, as plain numbers: the one view
//! `/metrics` and health checks read, so no front door reads the pools',
//! cache's or store's counters itself.

use super::Pipeline;
use crate::engine::pool::PoolStats;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Counters since start (`total`) and gauges (now) of the service.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    /// Utterances synthesized, failed, dropped or aborted, and refused after crashing workers.
    pub(crate) jobs_completed: u64,
    pub(crate) jobs_failed: u64,
    pub(crate) jobs_cancelled: u64,
    pub(crate) jobs_quarantined: u64,
    pub(crate) worker_restarts: u64,
    /// Wall time workers spent synthesizing.
    pub(crate) synthesis_micros: u64,
    pub(crate) cache_hits: u64,
    pub(crate) cache_misses: u64,
    pub(crate) cache_corrupt: u64,
    pub(crate) store_reads: u64,
    pub(crate) store_writes: u64,
    pub(crate) store_errors: u64,
    pub(crate) database_errors: u64,
    /// Now: utterances waiting for a worker, workers up and busy.
    pub(crate) queue_depth: usize,
    pub(crate) workers_live: usize,
    pub(crate) workers_busy: usize,
    pub(crate) cache_bytes: u64,
    pub renders_in_progress: usize,
    /// Texts whose planning is still going on (streams being spoken).
    pub texts_being_planned: usize,
}

impl Pipeline {
    /// The service's counters and gauges now.
    pub fn stats(&self) -> Stats {
        let total = |field: fn(&PoolStats) -> u64| self.pools().map(|p| field(p.stats())).sum::<u64>();
        let count = |field: fn(&PoolStats) -> usize| self.pools().map(|p| field(p.stats())).sum::<usize>();
        let cache = self.speaker.cache();
        let store = &self.storage.stats;
        let relaxed = |counter: &std::sync::atomic::AtomicU64| counter.load(Ordering::Relaxed);
        Stats {
            jobs_completed: total(|s| s.jobs_completed.load(Ordering::Relaxed)),
            jobs_failed: total(|s| s.jobs_failed.load(Ordering::Relaxed)),
            jobs_cancelled: total(|s| s.jobs_cancelled.load(Ordering::Relaxed)),
            jobs_quarantined: total(|s| s.jobs_quarantined.load(Ordering::Relaxed)),
            worker_restarts: total(|s| s.worker_restarts.load(Ordering::Relaxed)),
            synthesis_micros: total(|s| s.synthesis_micros.load(Ordering::Relaxed)),
            cache_hits: relaxed(&cache.hits),
            cache_misses: relaxed(&cache.misses),
            cache_corrupt: relaxed(&cache.corrupt),
            store_reads: relaxed(&store.reads),
            store_writes: relaxed(&store.writes),
            store_errors: relaxed(&store.errors),
            database_errors: self.database.as_ref().map_or(0, |d| relaxed(&d.errors)),
            queue_depth: self.pools().map(|p| p.queue_depth()).sum(),
            workers_live: count(|s| s.live_workers.load(Ordering::Relaxed)),
            workers_busy: count(|s| s.busy_workers.load(Ordering::Relaxed)),
            cache_bytes: cache.used_bytes(),
            renders_in_progress: self.renders_in_progress(),
            texts_being_planned: self.being_planned.load(Ordering::SeqCst),
        }
    }
}

/// Whether the service's parts answer now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Health {
    /// Synthesis workers of the primary engine running now.
    pub(crate) workers: usize,
    /// `local` or `s3`, and whether it answers.
    pub(crate) store_kind: &'static str,
    pub(crate) store_ok: bool,
    /// Whether the shared database answers, if one is configured.
    pub(crate) database_ok: Option<bool>,
}

impl Pipeline {
    /// Asks the store and the database (at once) whether they answer.
    pub(crate) async fn health(&self) -> Health {
        let database = async {
            match &self.database {
                Some(database) => Some(database.check().await.is_ok()),
                None => None,
            }
        };
        let (store, database_ok) = tokio::join!(self.storage.check(), database);
        Health { workers: self.live_workers(), store_kind: self.storage.kind(), store_ok: store.is_ok(), database_ok }
    }
}

/// Counts a text being planned while it is held.
pub(super) struct BeingPlanned(Arc<AtomicUsize>);

impl BeingPlanned {
    pub(super) fn begin(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(Arc::clone(count))
    }
}

impl Drop for BeingPlanned {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}
