//! Making one render: a single pass over the speech stream writes the
//! encoded audio to the growing file and the timeline beside it, then
//! stores both (only if every sentence was spoken). A render that loses its
//! last reader stops at once, like any abandoned stream; the sentences it
//! finished stay in the segment cache, so a reader who comes back (a
//! player reconnecting) costs only encoding up to where it stopped.

use super::growing::{Render, RenderFailure, RenderState};
use crate::cache::renders::RenderWriter;
use crate::cache::RenderStore;
use crate::report::Chain;
use crate::speech::{
    EncodedEvent, EncodedSpeech, SpeakError, SpeechEvent, StoredDocument, Timeline, TimelineBuilder, Utterance,
};
use bytes::Bytes;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Everything one render needs.
pub(super) struct Job {
    pub render: Arc<Render>,
    pub document: Arc<StoredDocument>,
    pub utterances: Vec<Utterance>,
    /// The speech stream, and the same stream as encoded audio.
    pub events: mpsc::Receiver<SpeechEvent>,
    pub forward: mpsc::Sender<SpeechEvent>,
    pub speech: EncodedSpeech,
    pub sample_rate: u32,
    pub writer: RenderWriter,
    pub store: RenderStore,
    pub timeline_name: String,
}

/// Runs the render to its end, then calls `done` (with whether the render
/// was stored).
pub(super) async fn produce(job: Job, done: impl FnOnce(bool)) {
    let render = Arc::clone(&job.render);
    let ended = tokio::select! {
        ended = make(job) => ended,
        () = render.unread() => Err(RenderFailure::Abandoned),
    };
    let stored = match ended {
        Ok((state, timeline, stored)) => {
            render.finish(state, Some(timeline));
            stored
        }
        Err(failure) => {
            tracing::debug!(failure = %Chain(&failure), "render not completed");
            render.finish(RenderState::Failed(failure), None);
            false
        }
    };
    done(stored);
}

async fn make(job: Job) -> Result<(RenderState, Timeline, bool), RenderFailure> {
    let Job { render, document, utterances, mut events, forward, speech, sample_rate, writer, store, timeline_name } =
        job;
    let (bytes_tx, bytes_rx) = std::sync::mpsc::channel::<Bytes>();
    let written = {
        let render = Arc::clone(&render);
        tokio::task::spawn_blocking(move || write_all(writer, bytes_rx, &render))
    };
    // The timeline side: marks and sentence ends, as they pass to the encoder.
    let timeline = async {
        let mut builder = TimelineBuilder::new(&document.plan, &utterances, sample_rate);
        let mut skipped: Vec<SpeakError> = Vec::new();
        while let Some(event) = events.recv().await {
            builder.push(&event);
            match &event {
                SpeechEvent::UtteranceEnd { .. } => render.timed(builder.last_finished().expect("a sentence ended")),
                SpeechEvent::Skipped { error, .. } => skipped.push(error.clone()),
                _ => {}
            }
            if forward.send(event).await.is_err() {
                break;
            }
        }
        drop(forward);
        (builder.finish(), skipped)
    };
    let encoded = encode(speech, bytes_tx);
    let ((timeline, skipped), encoded) = tokio::join!(timeline, encoded);
    let writer = written.await.map_err(task_failure)?.map_err(store_failure)?;
    encoded?;
    if !utterances.is_empty() && skipped.len() == utterances.len() {
        return Err(RenderFailure::Silent(skipped[0].clone()));
    }
    let mut stored = false;
    if skipped.is_empty() {
        let format = render.format();
        let rate = render.sample_rate();
        let document = document.id.to_string();
        let timeline_json = serde_json::to_vec(&timeline).expect("timelines serialize");
        let written_bytes = writer.written_bytes().map_err(store_failure)?;
        // A header too small for the length (a WAV over 4 GiB) is not stored.
        if let Some(header) = format.final_header(rate, written_bytes) {
            store.put(&document, &timeline_name, timeline_json).await.map_err(store_failure)?;
            writer.commit(header).await.map_err(store_failure)?;
            stored = true;
        }
    }
    Ok((RenderState::Complete, timeline, stored))
}

fn store_failure(error: std::io::Error) -> RenderFailure {
    tracing::warn!(%error, "could not write a render");
    RenderFailure::Store(Arc::new(error))
}

/// A file task that did not finish (it panicked, or the runtime is stopping).
fn task_failure(error: tokio::task::JoinError) -> RenderFailure {
    store_failure(std::io::Error::other(error))
}

/// Reads the encoded stream into the writer's channel. A full queue at
/// the start fails the render as busy; so does an encoder error.
async fn encode(mut speech: EncodedSpeech, bytes: std::sync::mpsc::Sender<Bytes>) -> Result<(), RenderFailure> {
    while let Some(event) = speech.next().await {
        match event.map_err(|e| RenderFailure::Encode(Arc::new(e)))? {
            EncodedEvent::Audio(chunk) => {
                if bytes.send(chunk).is_err() {
                    let closed = std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the render file was closed");
                    return Err(store_failure(closed));
                }
            }
            EncodedEvent::Skipped { error: SpeakError::Busy, .. } => return Err(RenderFailure::Busy),
            EncodedEvent::Skipped { .. } => {}
            EncodedEvent::Finished { .. } => return Ok(()),
        }
    }
    Err(RenderFailure::Cut)
}

/// Appends every chunk to the file, publishing progress after each write.
fn write_all(
    mut writer: RenderWriter,
    chunks: std::sync::mpsc::Receiver<Bytes>,
    render: &Render,
) -> std::io::Result<RenderWriter> {
    for chunk in chunks {
        writer.write(&chunk)?;
        render.wrote(chunk.len());
    }
    Ok(writer)
}
