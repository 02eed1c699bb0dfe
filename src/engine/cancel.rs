//! Cancelling the synthesis in progress from outside it.
//!
//! A worker's reader thread receives `Cancel` while the engine is busy on
//! the main thread. Engines that hand audio to their sink often stop at the
//! next chunk ([`Flow::Abort`](super::Flow::Abort)); an engine inside one
//! long uninterruptible call (a neural model's inference) registers how to
//! stop that call with [`Cancellation::while_running`], and the reader
//! thread's [`Cancellation::cancel`] invokes it at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

type Stopper = Box<dyn Fn() + Send>;

/// The cancel signal of one worker, reset before each synthesis.
#[derive(Default)]
pub struct Cancellation {
    cancelled: AtomicBool,
    /// How to stop the call in progress, while there is one.
    stopper: Mutex<Option<Stopper>>,
}

impl Cancellation {
    /// Cancels the synthesis in progress: the flag is set, and the call
    /// registered by [`Self::while_running`], if any, is stopped now.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        if let Some(stop) = self.stopper.lock().expect("stopper lock").as_ref() {
            stop();
        }
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// Clears the flag for the next synthesis.
    pub(crate) fn reset(&self) {
        self.cancelled.store(false, Ordering::SeqCst);
    }

    /// Runs `work`; a cancel arriving meanwhile (or already set) calls
    /// `stop`, which must make `work` return early.
    pub(crate) fn while_running<T>(&self, stop: impl Fn() + Send + 'static, work: impl FnOnce() -> T) -> T {
        *self.stopper.lock().expect("stopper lock") = Some(Box::new(stop));
        // A cancel that came before the stopper was in place is acted on
        // here; one after it finds the stopper.
        if self.is_cancelled() {
            if let Some(stop) = self.stopper.lock().expect("stopper lock").as_ref() {
                stop();
            }
        }
        let result = work();
        *self.stopper.lock().expect("stopper lock") = None;
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{mpsc, Arc};
    use std::time::Duration;

    /// A call that blocks until its stopper fires, like a model inference
    /// that only a terminate flag ends.
    fn blocking_call(cancellation: &Cancellation) -> bool {
        let (stop, stopped) = mpsc::channel::<()>();
        cancellation.while_running(
            move || {
                let _ = stop.send(());
            },
            || stopped.recv_timeout(Duration::from_secs(30)).is_ok(),
        )
    }

    #[test]
    fn a_cancel_from_another_thread_stops_the_call_in_progress() {
        let cancellation = Arc::new(Cancellation::default());
        let canceller = Arc::clone(&cancellation);
        let thread = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            canceller.cancel();
        });
        assert!(blocking_call(&cancellation), "the call was not stopped");
        assert!(cancellation.is_cancelled());
        thread.join().unwrap();
    }

    #[test]
    fn a_cancel_before_the_call_stops_it_at_once() {
        let cancellation = Cancellation::default();
        cancellation.cancel();
        assert!(blocking_call(&cancellation));
        cancellation.reset();
        assert!(!cancellation.is_cancelled());
    }
}
