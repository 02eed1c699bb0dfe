//! Coordination between replicas, in PostgreSQL: claims on segments being
//! synthesized, so that a segment is synthesized once in the whole cluster
//! ([`claims`]), and the durable queue of batch episodes that every replica
//! works ([`queue`]). The connection is made on first use and made again after
//! an outage; while the database does not answer, each replica synthesizes
//! alone (it may then synthesize what another one is synthesizing: the same
//! bytes are stored twice, nothing is lost) and batches wait.

pub(crate) mod claims;
pub(crate) mod queue;

pub(crate) use claims::{Claim, Flight};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::{Client, NoTls};

/// How long connecting, or one statement, may take before the database
/// counts as away.
const PATIENCE: Duration = Duration::from_secs(3);

/// The tables, created when missing on every new connection.
const SCHEMA: &str = include_str!("schema.sql");

/// The database did not answer, or refused.
#[derive(Debug, Clone, thiserror::Error)]
#[error("database: {0}")]
pub(crate) struct DatabaseError(String);

impl DatabaseError {
    fn from(error: impl std::fmt::Display) -> Self {
        Self(error.to_string())
    }
}

/// The shared database, and this replica's name in it.
pub(crate) struct Database {
    url: String,
    /// This replica, as claims name it: unique per process.
    owner: String,
    client: tokio::sync::Mutex<Option<Arc<Client>>>,
    pub errors: AtomicU64,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database").field("owner", &self.owner).finish_non_exhaustive()
    }
}

impl Database {
    /// A database at `url` (`postgres://user@host:port/name`); nothing is
    /// connected until it is used.
    pub(crate) fn new(url: &str) -> Self {
        let started = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let owner = format!("{}-{:x}", std::process::id(), started.as_nanos());
        Self { url: url.to_string(), owner, client: tokio::sync::Mutex::new(None), errors: AtomicU64::new(0) }
    }

    /// A live connection: the current one, or a new one.
    async fn client(&self) -> Result<Arc<Client>, DatabaseError> {
        let mut slot = self.client.lock().await;
        if let Some(client) = slot.as_ref().filter(|c| !c.is_closed()) {
            return Ok(Arc::clone(client));
        }
        let connecting = tokio_postgres::connect(&self.url, NoTls);
        let (client, connection) = tokio::time::timeout(PATIENCE, connecting)
            .await
            .map_err(|_| DatabaseError("connecting timed out".into()))?
            .map_err(DatabaseError::from)?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::warn!(%error, "database connection closed");
            }
        });
        client.batch_execute(SCHEMA).await.map_err(DatabaseError::from)?;
        let client = Arc::new(client);
        *slot = Some(Arc::clone(&client));
        Ok(client)
    }

    /// Runs `statement` within [`PATIENCE`], counting failures.
    async fn run<T, F>(&self, statement: impl FnOnce(Arc<Client>) -> F) -> Result<T, DatabaseError>
    where
        F: std::future::Future<Output = Result<T, tokio_postgres::Error>>,
    {
        let result = async {
            let client = self.client().await?;
            tokio::time::timeout(PATIENCE, statement(client))
                .await
                .map_err(|_| DatabaseError("statement timed out".into()))?
                .map_err(DatabaseError::from)
        }
        .await;
        if let Err(error) = &result {
            self.errors.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%error, "database unavailable");
        }
        result
    }

    /// Whether the database answers now.
    pub(crate) async fn check(&self) -> Result<(), DatabaseError> {
        self.run(|client| async move { client.simple_query("SELECT 1").await.map(drop) }).await
    }
}
