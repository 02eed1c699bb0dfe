//! The Wyoming protocol server (Home Assistant and other voice satellites):
//! text to speech over TCP, whole texts and streamed ones, with every
//! Herald voice. It only translates events to calls of the [`Pipeline`]
//! (plan, speak) and audio back to events; it never segments text beyond
//! finding where a streamed sentence ends, chooses voices or caches.
//!
//! `herald serve --wyoming-addr HOST:PORT` runs it beside the HTTP service,
//! on the same pipeline; it stops with it.

mod protocol;
mod session;
mod voices;

use crate::pipeline::Pipeline;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Pause after a failed accept (out of file descriptors, say) before trying again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves Wyoming connections until `shutdown` resolves, then lets them
/// finish what they were asked for, for up to the configured grace period.
pub async fn run(
    listener: TcpListener,
    pipeline: Arc<Pipeline>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let grace = Duration::from_secs(pipeline.settings().server.shutdown_grace_secs);
    let stopping = CancellationToken::new();
    let mut sessions = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((mut connection, peer)) => {
                    crate::net::tune_connection(&mut connection);
                    let session = session::serve(connection, Arc::clone(&pipeline), stopping.clone());
                    sessions.spawn(tracing::Instrument::instrument(session, tracing::info_span!("wyoming", %peer)));
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot accept a Wyoming connection");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
            Some(ended) = sessions.join_next(), if !sessions.is_empty() => log_end(ended),
        }
    }
    drop(listener);
    stopping.cancel();
    tracing::info!(connections = sessions.len(), "Wyoming: no new connections; finishing syntheses in progress");
    let finish = async {
        while let Some(ended) = sessions.join_next().await {
            log_end(ended);
        }
    };
    if tokio::time::timeout(grace, finish).await.is_err() {
        tracing::warn!(?grace, "grace period over; closing remaining Wyoming connections");
    }
    Ok(())
}

fn log_end(ended: Result<(), tokio::task::JoinError>) {
    match ended {
        Err(error) if error.is_panic() => tracing::error!(%error, "a Wyoming connection failed"),
        _ => {}
    }
}
