//! Claims on segments: before synthesizing a segment that is not stored, a
//! replica claims it in `herald_segment_claims` with a lease. A replica that
//! finds the segment claimed by another waits until it is stored (or the
//! lease runs out: its owner died, and the claim can be taken over). The
//! lease is longer than any one synthesis may take (the pool's deadline),
//! so a live owner never loses its claim.

use super::{Database, DatabaseError};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// How long a claim holds without being released.
const LEASE_SECS: u32 = 60;
/// How often a replica waiting on another's claim looks for the segment.
const POLL: Duration = Duration::from_millis(50);

const CLAIM: &str = "INSERT INTO herald_segment_claims (key, owner, expires)
    VALUES ($1, $2, now() + make_interval(secs => $3))
    ON CONFLICT (key) DO UPDATE SET owner = EXCLUDED.owner, expires = EXCLUDED.expires
    WHERE herald_segment_claims.expires < now() OR herald_segment_claims.owner = EXCLUDED.owner
    RETURNING owner";

const RELEASE: &str = "DELETE FROM herald_segment_claims WHERE key = $1 AND owner = $2";

/// What a replica should do about a segment that was not stored.
pub(crate) enum Flight {
    /// Synthesize it; the claim is released when dropped.
    Claimed(Claim),
    /// Another replica stored it meanwhile: read it.
    Stored,
    /// The database does not answer: synthesize it without a claim.
    Alone(DatabaseError),
}

/// This replica's claim on a segment; dropping it releases the claim.
pub(crate) struct Claim {
    database: Arc<Database>,
    key: Vec<u8>,
}

impl Drop for Claim {
    fn drop(&mut self) {
        let (database, key) = (Arc::clone(&self.database), std::mem::take(&mut self.key));
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        runtime.spawn(async move {
            let owner = database.owner.clone();
            // A release that fails leaves a lease that runs out by itself.
            let _ = database.run(|client| async move { client.execute(RELEASE, &[&key, &owner]).await }).await;
        });
    }
}

impl Database {
    /// Claims segment `key`, or waits while another replica holds it until
    /// `stored()` says it is stored.
    pub(crate) async fn single_flight<Stored: Future<Output = bool>>(
        self: &Arc<Self>,
        key: &[u8],
        stored: impl Fn() -> Stored,
    ) -> Flight {
        loop {
            let owner = self.owner.clone();
            let owned = key.to_vec();
            let claimed = self
                .run(|client| async move {
                    let lease = f64::from(LEASE_SECS);
                    client.query_opt(CLAIM, &[&owned, &owner, &lease]).await
                })
                .await;
            match claimed {
                Ok(Some(_)) => {
                    let claim = Claim { database: Arc::clone(self), key: key.to_vec() };
                    // The caller's miss may predate another replica's claim,
                    // store and release: look again now that none can begin.
                    return if stored().await { Flight::Stored } else { Flight::Claimed(claim) };
                }
                Err(error) => return Flight::Alone(error),
                Ok(None) => {}
            }
            // Held by another replica: wait for its segment, or its lease.
            let deadline = tokio::time::Instant::now() + Duration::from_secs(u64::from(LEASE_SECS));
            while tokio::time::Instant::now() < deadline {
                if stored().await {
                    return Flight::Stored;
                }
                tokio::time::sleep(POLL).await;
                if self.is_released(key).await {
                    break;
                }
            }
        }
    }

    /// Whether nobody holds a live claim on `key` (its owner released it,
    /// or the lease ran out). A database that does not answer counts as
    /// released, so the caller tries to claim and learns of the outage.
    async fn is_released(&self, key: &[u8]) -> bool {
        let owned = key.to_vec();
        let held = self
            .run(|client| async move {
                client
                    .query_opt("SELECT 1 FROM herald_segment_claims WHERE key = $1 AND expires >= now()", &[&owned])
                    .await
            })
            .await;
        !matches!(held, Ok(Some(_)))
    }
}
