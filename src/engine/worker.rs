//! The worker process (`herald worker`): hosts one engine, answers the
//! framed protocol on stdin/stdout, one synthesis at a time.
//!
//! A reader thread watches stdin so that a `Cancel` (or the server going
//! away) aborts the synthesis in progress from inside the engine callback.
//! The worker dies with its parent (`PR_SET_PDEATHSIG`).

use super::protocol::{encode_audio, read_frame, write_frame, FromWorker, Hello, ToWorker};
use super::{registry, Cancellation, Flow, SynthEvent};
use crate::report::Chain;
use std::io::{self, BufWriter, Write};
use std::sync::{mpsc, Arc};

/// Runs the worker loop until stdin closes. `engine_config` is the engine's
/// JSON configuration (empty for engines that need none). Returns the process exit code.
/// `memory_limit_mb` caps the process's address space (0: no cap), so a
/// runaway engine fails its allocation and dies instead of the machine.
pub(crate) fn run(engine_id: &str, engine_config: &str, memory_limit_mb: u64) -> i32 {
    die_with_parent();
    limit_memory(memory_limit_mb);
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut engine = match registry::build(engine_id, engine_config) {
        Ok(engine) => engine,
        Err(error) => {
            let _ = write_frame(&mut out, &FromWorker::Failed(error).encode());
            return 1;
        }
    };
    let hello = Hello::of(engine.as_ref());
    if write_frame(&mut out, &FromWorker::Hello(Box::new(hello)).encode()).is_err() {
        return 1;
    }
    let cancel = Arc::new(Cancellation::default());
    let requests = spawn_reader(Arc::clone(&cancel));
    for request in requests {
        let mut broken = false;
        let mut sink = |event: SynthEvent<'_>| {
            let written = match event {
                SynthEvent::Audio(samples) => write_frame(&mut out, &encode_audio(samples)),
                SynthEvent::Mark(mark) => out.write_all(&FromWorker::Mark(mark).encode()),
            };
            broken |= written.is_err();
            if broken || cancel.is_cancelled() {
                Flow::Abort
            } else {
                Flow::Continue
            }
        };
        let reply = match engine.synthesize(&request, &mut sink, &cancel) {
            Ok(outcome) => FromWorker::Done(outcome),
            Err(error) => FromWorker::Failed(error),
        };
        if broken || write_frame(&mut out, &reply.encode()).is_err() {
            return 1;
        }
    }
    0
}

/// Reads requests from stdin on a thread; `Cancel` and end-of-input cancel
/// the synthesis in progress immediately, even while the engine is busy.
fn spawn_reader(cancel: Arc<Cancellation>) -> mpsc::Receiver<super::SynthesisRequest> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut stdin = io::stdin().lock();
        loop {
            let message = match read_frame(&mut stdin) {
                Ok(Some((tag, payload))) => ToWorker::decode(tag, &payload),
                Ok(None) => break,
                Err(error) => Err(error),
            };
            match message {
                Ok(ToWorker::Synthesize(request)) => {
                    // Reset here, in frame order, so that a `Cancel` right
                    // behind the request is never lost.
                    cancel.reset();
                    if tx.send(request).is_err() {
                        break;
                    }
                }
                Ok(ToWorker::Cancel) => cancel.cancel(),
                Err(error) => {
                    eprintln!("herald worker: bad request frame: {}", Chain(&error));
                    break;
                }
            }
        }
        cancel.cancel();
    });
    rx
}

fn limit_memory(mb: u64) {
    if mb == 0 {
        return;
    }
    let bytes = mb.saturating_mul(1024 * 1024) as libc::rlim_t;
    let limit = libc::rlimit { rlim_cur: bytes, rlim_max: bytes };
    // SAFETY: setrlimit reads the struct we pass; no other memory effects.
    if unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) } != 0 {
        eprintln!("herald worker: could not limit memory to {mb} MiB");
    }
}

/// Asks the kernel to kill this process when the server that spawned it dies.
fn die_with_parent() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_PDEATHSIG and a signal number has no memory effects.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
    }
}
