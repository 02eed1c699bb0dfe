//! A render in progress, shared by everyone who reads it: its audio file
//! grows on disk and its timeline grows in memory, and readers follow both
//! from the start while the producer works ahead of them. A render is made
//! once however many readers it has; when the last one leaves, it stops.

use crate::audio::{AudioFormat, EncodeError};
use crate::speech::{MarkTiming, SpeakError, TimedSentence, Timeline};
use bytes::Bytes;
use futures::Stream;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{watch, Notify};

/// Largest read when following a growing file.
const FOLLOW_CHUNK_BYTES: usize = 256 * 1024;

/// Why a render did not complete.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum RenderFailure {
    #[error("Herald is busy: the synthesis queue is full")]
    Busy,
    #[error("no sentence could be spoken")]
    Silent(#[source] SpeakError),
    #[error("encoding failed")]
    Encode(#[source] Arc<EncodeError>),
    #[error("the speech stream ended early")]
    Cut,
    #[error("the render could not be stored")]
    Store(#[source] Arc<std::io::Error>),
    #[error("the render was given up: nobody was reading it")]
    Abandoned,
}

/// Where a render is.
#[derive(Debug, Clone)]
pub(crate) enum RenderState {
    Running,
    /// Every byte is written. A render with sentences that could not be
    /// spoken is served to its readers but never stored.
    Complete,
    Failed(RenderFailure),
}

/// What readers wait on: bytes written so far, sentences timed so far, state.
#[derive(Debug, Clone)]
pub(crate) struct Progress {
    pub bytes: u64,
    pub sentences: usize,
    pub state: RenderState,
}

/// One render in progress (or just finished, for its last readers).
pub(crate) struct Render {
    format: AudioFormat,
    sample_rate: u32,
    /// The growing file, read at offsets (it stays readable after the
    /// render is stored or dropped).
    file: std::fs::File,
    progress: watch::Sender<Progress>,
    sentences: Mutex<Vec<TimedSentence>>,
    /// The whole timeline, once the render is complete.
    complete: Mutex<Option<Timeline>>,
    readers: AtomicUsize,
    idle: Notify,
}

impl Render {
    pub(super) fn new(format: AudioFormat, sample_rate: u32, file: std::fs::File) -> Self {
        let (progress, _) = watch::channel(Progress { bytes: 0, sentences: 0, state: RenderState::Running });
        Self {
            format,
            sample_rate,
            file,
            progress,
            sentences: Mutex::new(Vec::new()),
            complete: Mutex::new(None),
            readers: AtomicUsize::new(0),
            idle: Notify::new(),
        }
    }

    pub(crate) fn format(&self) -> AudioFormat {
        self.format
    }

    /// The sample rate of the encoded audio.
    pub(crate) fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    pub(crate) fn progress(&self) -> Progress {
        self.progress.borrow().clone()
    }

    // --- the producer's side ----------------------------------------------

    pub(super) fn wrote(&self, bytes: usize) {
        self.progress.send_modify(|p| p.bytes += bytes as u64);
    }

    pub(super) fn timed(&self, sentence: TimedSentence) {
        let count = {
            let mut sentences = self.sentences.lock().expect("timeline lock");
            sentences.push(sentence);
            sentences.len()
        };
        self.progress.send_modify(|p| p.sentences = count);
    }

    pub(super) fn finish(&self, state: RenderState, timeline: Option<Timeline>) {
        *self.complete.lock().expect("timeline lock") = timeline;
        self.progress.send_modify(|p| p.state = state);
    }

    /// Resolves when the last reader has left (at once if there is none).
    pub(super) async fn unread(&self) {
        loop {
            let idle = self.idle.notified();
            if self.readers.load(Ordering::SeqCst) == 0 {
                return;
            }
            idle.await;
        }
    }

    /// The timeline so far (complete once the render is).
    pub(crate) fn timeline(&self) -> Timeline {
        if let Some(complete) = &*self.complete.lock().expect("timeline lock") {
            return complete.clone();
        }
        let sentences = self.sentences.lock().expect("timeline lock");
        Timeline::from_sentences(&sentences, sentences.last().map_or(0.0, |s| s.sentence.end))
    }
}

/// A reader of a render: while one exists, the render goes on.
pub(crate) struct RenderReader(Arc<Render>);

impl RenderReader {
    pub(super) fn new(render: Arc<Render>) -> Self {
        render.readers.fetch_add(1, Ordering::SeqCst);
        Self(render)
    }

    pub(crate) fn render(&self) -> &Render {
        &self.0
    }

    /// Waits until the render has audio (its first bytes carry the first
    /// samples with the format's header), or has ended.
    pub(crate) async fn started(&self) -> Progress {
        let mut progress = self.0.progress.subscribe();
        let seen =
            progress.wait_for(|p| p.bytes > 0 || !matches!(p.state, RenderState::Running)).await.map(|p| p.clone());
        seen.unwrap_or_else(|_| self.0.progress())
    }

    /// Waits for the render to end.
    pub(crate) async fn ended(&self) -> Progress {
        let mut progress = self.0.progress.subscribe();
        let seen = progress.wait_for(|p| !matches!(p.state, RenderState::Running)).await.map(|p| p.clone());
        seen.unwrap_or_else(|_| self.0.progress())
    }

    /// The audio from the first byte, as it is written; the stream ends with
    /// the render, or with an error if the render failed.
    pub(crate) fn audio(self) -> impl Stream<Item = std::io::Result<Bytes>> + Send {
        let progress = self.0.progress.subscribe();
        futures::stream::unfold((self, progress, 0u64, false), |(reader, mut progress, offset, done)| async move {
            if done {
                return None;
            }
            loop {
                let now = progress.borrow_and_update().clone();
                if offset < now.bytes {
                    let want = (now.bytes - offset).min(FOLLOW_CHUNK_BYTES as u64) as usize;
                    let render = Arc::clone(&reader.0);
                    let read = tokio::task::spawn_blocking(move || {
                        let mut buffer = vec![0; want];
                        render.file.read_exact_at(&mut buffer, offset).map(|()| Bytes::from(buffer))
                    })
                    .await
                    .unwrap_or_else(|e| Err(std::io::Error::other(e)));
                    let failed = read.is_err();
                    return Some((read, (reader, progress, offset + want as u64, failed)));
                }
                match now.state {
                    RenderState::Complete => return None,
                    RenderState::Failed(failure) => {
                        return Some((Err(std::io::Error::other(failure)), (reader, progress, offset, true)))
                    }
                    RenderState::Running => {
                        if progress.changed().await.is_err() {
                            return None;
                        }
                    }
                }
            }
        })
    }

    /// The timeline, a finished sentence at a time from the first, then
    /// the end or the failure.
    pub(crate) fn timeline(self) -> impl Stream<Item = TimelineEvent> + Send {
        let progress = self.0.progress.subscribe();
        futures::stream::unfold((self, progress, 0usize, false), |(reader, mut progress, sent, done)| async move {
            if done {
                return None;
            }
            loop {
                let now = progress.borrow_and_update().clone();
                if sent < now.sentences {
                    let sentence = reader.0.sentences.lock().expect("timeline lock")[sent].clone();
                    return Some((TimelineEvent::Sentence(sentence), (reader, progress, sent + 1, false)));
                }
                match now.state {
                    RenderState::Complete => {
                        let Timeline { duration, marks, .. } = reader.0.timeline();
                        return Some((TimelineEvent::End { duration, marks }, (reader, progress, sent, true)));
                    }
                    RenderState::Failed(failure) => {
                        return Some((TimelineEvent::Failed(failure), (reader, progress, sent, true)))
                    }
                    RenderState::Running => {
                        if progress.changed().await.is_err() {
                            return None;
                        }
                    }
                }
            }
        })
    }
}

impl Drop for RenderReader {
    fn drop(&mut self) {
        if self.0.readers.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// What a timeline stream delivers.
#[derive(Debug, Clone)]
pub(crate) enum TimelineEvent {
    Sentence(TimedSentence),
    /// The render is complete: its length, and where its named marks are.
    End {
        duration: f64,
        marks: Vec<MarkTiming>,
    },
    Failed(RenderFailure),
}
