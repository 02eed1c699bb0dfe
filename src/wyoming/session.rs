//! One Wyoming connection: requests in, replies and audio out, in order.
//!
//! Every reply is queued behind the ones before it, so audio of one
//! synthesis is never mixed with another's. A text stream
//! (`synthesize-start`, `synthesize-chunk`…, `synthesize-stop`) gets one
//! `audio-start`; each sentence is spoken as soon as it is whole, while the
//! client is still sending text, and `synthesize-stopped` follows the last
//! audio. The connection closing drops the speech being received, which
//! cancels it.

use super::protocol::{read_request, EventError, Reply, Request, VoiceRequest};
use super::voices;
use crate::document::InputFormat;
use crate::pipeline::TextStream;
use crate::pipeline::{Pipeline, SpeechRequest};
use crate::speech::{SpeechEvent, SpeechEvents, SpeechOptions};
use futures::StreamExt;
use std::collections::VecDeque;
use std::sync::Arc;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

/// Samples per `audio-chunk` (as the reference servers send).
const SAMPLES_PER_CHUNK: usize = 1024;

/// What the connection does next, in order.
enum Step {
    Send(Reply),
    /// Speech; `framed` (a whole `synthesize`) puts it between
    /// `audio-start` and `audio-stop`, or in their place an error.
    Speak {
        request: SpeechRequest,
        framed: bool,
    },
}

/// The speech being sent; dropping it cancels the synthesis.
struct Speaking {
    events: SpeechEvents,
    framed: bool,
}

/// A connection's state.
struct Session {
    pipeline: Arc<Pipeline>,
    /// The open text stream, between `synthesize-start` and `synthesize-stop`.
    stream: Option<TextStream>,
    queue: VecDeque<Step>,
    speaking: Option<Speaking>,
}

/// Serves one connection until the client leaves, or until Herald stops
/// and the connection has nothing left to send.
pub(super) async fn serve(connection: TcpStream, pipeline: Arc<Pipeline>, stopping: CancellationToken) {
    let (read, mut write) = connection.into_split();
    // A stream keeps a partly read event across `select!` rounds.
    let requests = futures::stream::unfold(BufReader::new(read), |mut reader| async move {
        match read_request(&mut reader).await {
            Ok(Some(request)) => Some((request, reader)),
            Ok(None) => None,
            Err(error) => {
                tracing::debug!(%error, "connection broken");
                None
            }
        }
    });
    let mut requests = std::pin::pin!(requests);
    let rate = pipeline.sample_rate();
    let mut session = Session { pipeline, stream: None, queue: VecDeque::new(), speaking: None };
    loop {
        if session.speaking.is_none() {
            match session.queue.pop_front() {
                Some(Step::Send(reply)) => {
                    if write_reply(&mut write, &reply).await.is_err() {
                        return;
                    }
                    continue;
                }
                Some(Step::Speak { request, framed }) => {
                    let reply = match session.pipeline.speech(request).await {
                        Ok(stream) => {
                            session.speaking = Some(Speaking { events: stream.events, framed });
                            framed.then_some(Reply::AudioStart { rate })
                        }
                        Err(error) => Some(Reply::Error { text: error.to_string(), code: "cannot-speak" }),
                    };
                    if let Some(reply) = reply {
                        if write_reply(&mut write, &reply).await.is_err() {
                            return;
                        }
                    }
                    continue;
                }
                None if stopping.is_cancelled() && session.stream.is_none() => return,
                None => {}
            }
        }
        tokio::select! {
            request = requests.next() => match request {
                Some(request) => session.handle(request),
                None => return,
            },
            event = next_speech(&mut session.speaking) => match event {
                Some(SpeechEvent::Audio(samples)) => {
                    for chunk in samples.chunks(SAMPLES_PER_CHUNK) {
                        if write_reply(&mut write, &Reply::AudioChunk { rate, samples: chunk.to_vec() }).await.is_err() {
                            return;
                        }
                    }
                }
                Some(SpeechEvent::Skipped { index, error }) => tracing::warn!(index, %error, "sentence left out"),
                Some(_) => {}
                None => {
                    let ended = session.speaking.take().expect("speaking");
                    if ended.framed && write_reply(&mut write, &Reply::AudioStop).await.is_err() {
                        return;
                    }
                }
            },
            () = stopping.cancelled(), if !stopping.is_cancelled() => {}
        }
    }
}

/// The next event of the speech being sent; never, when there is none.
async fn next_speech(speaking: &mut Option<Speaking>) -> Option<SpeechEvent> {
    match speaking {
        Some(speaking) => speaking.events.recv().await,
        None => std::future::pending().await,
    }
}

async fn write_reply(write: &mut OwnedWriteHalf, reply: &Reply) -> std::io::Result<()> {
    write.write_all(&reply.encode()).await.inspect_err(|error| tracing::debug!(%error, "client gone"))
}

impl Session {
    fn handle(&mut self, request: Result<Request, EventError>) {
        let request = match request {
            Ok(request) => request,
            Err(error) => return self.fail(error.code(), error),
        };
        tracing::debug!(?request, "request");
        match request {
            Request::Describe => self.send(Reply::Info(voices::info(&self.pipeline))),
            Request::Ping { text } => self.send(Reply::Pong { text }),
            Request::SelectProgram { name } if name == voices::PROGRAM => {}
            Request::SelectProgram { name } => {
                self.fail("unknown-program", format!("there is no program `{name}`; Herald is `{}`", voices::PROGRAM))
            }
            // The compatibility copy of the text being streamed.
            Request::Synthesize(_) if self.stream.is_some() => {}
            Request::Synthesize(synthesize) => {
                let Some(options) = self.options(synthesize.voice.as_ref()) else { return };
                let request = SpeechRequest { text: synthesize.text, format: InputFormat::Text, options };
                self.queue.push_back(Step::Speak { request, framed: true });
            }
            Request::SynthesizeStart { .. } if self.stream.is_some() => {
                self.fail("already-streaming", "a text stream is already open: send `synthesize-stop` first")
            }
            Request::SynthesizeStart { voice } => {
                let Some(options) = self.options(voice.as_ref()) else { return };
                self.stream = Some(TextStream::new(options));
                self.send(Reply::AudioStart { rate: self.pipeline.sample_rate() });
            }
            Request::SynthesizeChunk { text } => {
                let Some(stream) = &mut self.stream else {
                    return self.fail("not-streaming", "`synthesize-chunk` needs `synthesize-start` first");
                };
                match stream.push(&text) {
                    Ok(Some(sentences)) => {
                        let options = stream.options.clone();
                        self.speak(sentences, options);
                    }
                    Ok(None) => {}
                    Err(error) => self.fail("too-large", error),
                }
            }
            Request::SynthesizeStop => {
                let Some(stream) = self.stream.take() else {
                    return self.fail("not-streaming", "`synthesize-stop` needs `synthesize-start` first");
                };
                let options = stream.options.clone();
                if let Some(rest) = stream.finish() {
                    self.speak(rest, options);
                }
                self.send(Reply::AudioStop);
                self.send(Reply::SynthesizeStopped);
            }
        }
    }

    /// Queues speech for a part of a text stream.
    fn speak(&mut self, text: String, options: SpeechOptions) {
        let request = SpeechRequest { text, format: InputFormat::Text, options };
        self.queue.push_back(Step::Speak { request, framed: false });
    }

    fn options(&mut self, voice: Option<&VoiceRequest>) -> Option<SpeechOptions> {
        voices::options(&self.pipeline, voice).map_err(|error| self.fail("unknown-voice", error)).ok()
    }

    fn send(&mut self, reply: Reply) {
        self.queue.push_back(Step::Send(reply));
    }

    fn fail(&mut self, code: &'static str, error: impl std::fmt::Display) {
        tracing::debug!(code, %error, "refused");
        self.send(Reply::Error { text: error.to_string(), code });
    }
}
