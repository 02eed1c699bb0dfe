//! Everything the module writes to Speech Dispatcher goes through one
//! writer thread, in order, each reply or event whole, so that an audio
//! event is never cut by a reply.
//!
//! Speech is tagged with the message it belongs to. Only the message that
//! is allowed to speak gets its speech written: once a message is silenced
//! (`STOP`, or a pause reaching its mark), speech of it still queued is
//! dropped at the writer, and what follows its stop event is silence.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;

/// No message may speak.
const NOBODY: u64 = 0;

enum Packet {
    /// A reply or an event that is always written.
    Always(Vec<u8>),
    /// Speech (audio, marks) of message `id`.
    Speech { id: u64, bytes: Vec<u8> },
    /// Written everything before it: say so.
    Flushed(mpsc::Sender<()>),
}

/// The way to the server. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Output {
    packets: mpsc::Sender<Packet>,
    speaking: Arc<AtomicU64>,
}

impl Output {
    /// Starts the writer thread on `sink` (standard output, in the module).
    pub(crate) fn start(sink: impl Write + Send + 'static) -> Self {
        let (packets, queue) = mpsc::channel();
        let speaking = Arc::new(AtomicU64::new(NOBODY));
        let allowed = Arc::clone(&speaking);
        std::thread::Builder::new()
            .name("speechd-output".into())
            .spawn(move || write_all(sink, &queue, &allowed))
            .expect("a thread starts");
        Self { packets, speaking }
    }

    /// A reply or event line (or lines), with its final newline added.
    pub(crate) fn send(&self, text: &str) {
        let mut bytes = Vec::with_capacity(text.len() + 1);
        bytes.extend_from_slice(text.as_bytes());
        bytes.push(b'\n');
        // The writer only stops when the server is gone; then nothing is to be said.
        let _ = self.packets.send(Packet::Always(bytes));
    }

    /// Speech of message `id`, written only while it may speak.
    pub(crate) fn speech(&self, id: u64, bytes: Vec<u8>) {
        let _ = self.packets.send(Packet::Speech { id, bytes });
    }

    /// Lets message `id` speak (and silences any other).
    pub(crate) fn allow(&self, id: u64) {
        self.speaking.store(id, Ordering::SeqCst);
    }

    /// Silences message `id`: none of its speech is written from now on.
    pub(crate) fn silence(&self, id: u64) {
        let _ = self.speaking.compare_exchange(id, NOBODY, Ordering::SeqCst, Ordering::SeqCst);
    }

    /// Waits until everything sent so far is written (or cannot be).
    pub(crate) fn flush(&self) {
        let (done, written) = mpsc::channel();
        if self.packets.send(Packet::Flushed(done)).is_ok() {
            let _ = written.recv();
        }
    }
}

fn write_all(mut sink: impl Write, queue: &mpsc::Receiver<Packet>, speaking: &AtomicU64) {
    let mut write = |bytes: &[u8]| sink.write_all(bytes).and_then(|()| sink.flush());
    for packet in queue {
        let written = match packet {
            Packet::Always(bytes) => write(&bytes),
            Packet::Speech { id, bytes } if speaking.load(Ordering::SeqCst) == id => write(&bytes),
            Packet::Speech { .. } => Ok(()),
            Packet::Flushed(done) => {
                let _ = done.send(());
                Ok(())
            }
        };
        if let Err(error) = written {
            tracing::debug!(%error, "Speech Dispatcher is gone");
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A sink the test can read.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn speech_of_a_silenced_message_is_dropped_and_replies_are_not() {
        let sink = Shared::default();
        let output = Output::start(sink.clone());
        output.allow(7);
        output.speech(7, b"audio 1\n".to_vec());
        output.speech(8, b"another message\n".to_vec());
        output.silence(7);
        output.speech(7, b"audio 2\n".to_vec());
        output.send("703 STOP");
        output.flush();
        let written = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        // Speech queued before the silence may or may not be written; nothing after it is.
        assert!(written.ends_with("703 STOP\n"), "{written:?}");
        assert!(!written.contains("audio 2") && !written.contains("another message"), "{written:?}");
    }
}
