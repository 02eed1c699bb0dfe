//! The durable queue of batch episodes, in `herald_batches` and
//! `herald_batch_episodes`: a batch posted to any replica is one row and its
//! episodes one row each; every replica takes the oldest open episode with
//! `FOR UPDATE SKIP LOCKED`, holds it with a lease it renews while it works,
//! and records the finished episode. An episode whose lease ran out (its
//! replica died) is taken again by another. Only the holder of the lease
//! can record an episode, so each is recorded once. What a batch and an
//! episode hold is the caller's (JSON text); this module only queues them.

use super::{Database, DatabaseError};
use std::time::Duration;

/// How long a replica holds an episode without renewing its lease.
pub(crate) const LEASE: Duration = Duration::from_secs(10);

const SUBMIT: &str = "WITH batch AS (
        INSERT INTO herald_batches (id, request) VALUES ($1, $2) RETURNING id, created)
    INSERT INTO herald_batch_episodes (batch, position, queued)
    SELECT batch.id, position, batch.created FROM batch, generate_series(0, $3 - 1) AS position";

const TAKE: &str = "UPDATE herald_batch_episodes AS episode
    SET state = 'making', owner = $1, lease = now() + make_interval(secs => $2), attempts = episode.attempts + 1
    FROM (SELECT batch, position FROM herald_batch_episodes
          WHERE state = 'pending' OR (state = 'making' AND lease < now())
          ORDER BY queued, position LIMIT 1 FOR UPDATE SKIP LOCKED) AS next
    WHERE episode.batch = next.batch AND episode.position = next.position
    RETURNING episode.batch, episode.position, episode.attempts";

const RENEW: &str = "UPDATE herald_batch_episodes SET lease = now() + make_interval(secs => $4)
    WHERE batch = $1 AND position = $2 AND owner = $3 AND state = 'making'";

const RECORD: &str = "UPDATE herald_batch_episodes
    SET state = $4, record = $5, error = $6, owner = NULL, lease = NULL
    WHERE batch = $1 AND position = $2 AND owner = $3 AND state = 'making'";

const EPISODES: &str =
    "SELECT position, state, error, record FROM herald_batch_episodes WHERE batch = $1 ORDER BY position";

/// An episode this replica holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Taken {
    pub batch: String,
    pub position: usize,
    /// How many times it was taken, this time included.
    pub attempts: u32,
}

/// Where an episode is in the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stage {
    Pending,
    Making,
    /// Finished, with what the replica that made it recorded.
    Done(String),
    Failed(String),
}

/// How an episode ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    Done(String),
    Failed(String),
}

fn seconds(lease: Duration) -> f64 {
    lease.as_secs_f64()
}

impl Database {
    /// Queues batch `id` (its `request` as JSON) with `episodes` episodes.
    pub(crate) async fn submit_batch(&self, id: &str, request: &str, episodes: usize) -> Result<(), DatabaseError> {
        let (id, request) = (id.to_string(), request.to_string());
        let count = i32::try_from(episodes).map_err(DatabaseError::from)?;
        self.run(|client| async move { client.execute(SUBMIT, &[&id, &request, &count]).await.map(drop) }).await
    }

    /// The request of batch `id`, if there is such a batch.
    pub(crate) async fn batch_request(&self, id: &str) -> Result<Option<String>, DatabaseError> {
        let id = id.to_string();
        let row =
            self.run(|client| async move {
                client.query_opt("SELECT request FROM herald_batches WHERE id = $1", &[&id]).await
            })
            .await?;
        Ok(row.map(|row| row.get(0)))
    }

    /// Every episode of batch `id`, in order.
    pub(crate) async fn batch_episodes(&self, id: &str) -> Result<Vec<Stage>, DatabaseError> {
        let id = id.to_string();
        let rows = self.run(|client| async move { client.query(EPISODES, &[&id]).await }).await?;
        Ok(rows
            .iter()
            .map(|row| {
                let (state, error, record): (String, Option<String>, Option<String>) =
                    (row.get(1), row.get(2), row.get(3));
                match state.as_str() {
                    "done" => Stage::Done(record.unwrap_or_default()),
                    "failed" => Stage::Failed(error.unwrap_or_default()),
                    "making" => Stage::Making,
                    _ => Stage::Pending,
                }
            })
            .collect())
    }

    /// Takes the oldest open episode of any batch (pending, or held by a
    /// replica whose lease ran out), if there is one.
    pub(crate) async fn take_episode(&self) -> Result<Option<Taken>, DatabaseError> {
        let owner = self.owner.clone();
        let row = self.run(|client| async move { client.query_opt(TAKE, &[&owner, &seconds(LEASE)]).await }).await?;
        Ok(row.map(|row| Taken {
            batch: row.get(0),
            position: usize::try_from(row.get::<_, i32>(1)).unwrap_or_default(),
            attempts: u32::try_from(row.get::<_, i32>(2)).unwrap_or_default(),
        }))
    }

    /// Renews this replica's lease on `taken`; false if it is no longer
    /// this replica's (its lease ran out and another replica took it).
    pub(crate) async fn renew(&self, taken: &Taken) -> Result<bool, DatabaseError> {
        let (batch, position, owner) = (taken.batch.clone(), position(taken), self.owner.clone());
        let renewed = self
            .run(|client| async move { client.execute(RENEW, &[&batch, &position, &owner, &seconds(LEASE)]).await })
            .await?;
        Ok(renewed == 1)
    }

    /// Records how `taken` ended; false if it was no longer this replica's.
    pub(crate) async fn record(&self, taken: &Taken, outcome: Outcome) -> Result<bool, DatabaseError> {
        let (batch, position, owner) = (taken.batch.clone(), position(taken), self.owner.clone());
        let (state, record, error) = match outcome {
            Outcome::Done(record) => ("done", Some(record), None),
            Outcome::Failed(error) => ("failed", None, Some(error)),
        };
        let recorded =
            self.run(|client| async move {
                client.execute(RECORD, &[&batch, &position, &owner, &state, &record, &error]).await
            })
            .await?;
        Ok(recorded == 1)
    }
}

fn position(taken: &Taken) -> i32 {
    i32::try_from(taken.position).unwrap_or(i32::MAX)
}
