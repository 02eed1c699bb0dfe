//! Single flight: a segment is synthesized once at a time, in this process
//! (a [`Claim`] in the speaker's in-flight map, whose release wakes the
//! requests waiting for the same segment) and, with a database, in the
//! whole cluster (the claim also holds the cluster's).

use super::{Source, Speaker};
use crate::cache::{Segment, SegmentKey};
use crate::coordination::{self, Flight};
use crate::engine::queue::Urgency;
use crate::speech::plan::Utterance;
use std::sync::Arc;

/// Ownership of an in-flight segment; releasing it wakes the waiters (and
/// releases the cluster's claim, if there is one).
pub(super) struct Claim {
    pub(super) speaker: Arc<Speaker>,
    pub(super) key: SegmentKey,
    pub(super) cluster: Option<coordination::Claim>,
}

impl Drop for Claim {
    fn drop(&mut self) {
        let mut inflight = self.speaker.inflight.lock().expect("inflight lock");
        if let Some(notify) = inflight.remove(&self.key) {
            notify.notify_waiters();
        }
    }
}

impl Speaker {
    /// Adds the cluster's claim to this replica's, waiting while another
    /// replica synthesizes the segment; `Err` with the segment if that
    /// replica stored it meanwhile.
    pub(super) async fn claim_in_cluster(&self, mut claim: Claim) -> Result<Claim, Segment> {
        let Some(cluster) = &self.cluster else { return Ok(claim) };
        let key = claim.key;
        match cluster.single_flight(key.as_bytes(), || self.cache.contains_now(&key)).await {
            Flight::Claimed(held) => claim.cluster = Some(held),
            Flight::Stored => {
                if let Some(segment) = self.cache.get(&key).await {
                    return Err(segment);
                }
            }
            Flight::Alone(error) => tracing::debug!(%error, "synthesizing without a cluster claim"),
        }
        Ok(claim)
    }

    /// Turns a waiting source into one that can stream now: once the other
    /// request's synthesis ends, the segment is in the cache (or, if that
    /// synthesis failed, this request submits it itself).
    pub(super) async fn resolve(self: &Arc<Self>, mut source: Source, utterance: &Utterance) -> Source {
        while let Source::Waiting(notify) = source {
            let notified = notify.notified();
            let still_inflight = self.inflight.lock().expect("inflight lock").values().any(|n| Arc::ptr_eq(n, &notify));
            if still_inflight {
                notified.await;
            }
            source = self.prepare(utterance, Urgency::Now, None).await;
        }
        source
    }
}
