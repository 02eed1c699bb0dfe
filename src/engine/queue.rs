//! The pool's bounded job queue, which serves waiting listeners first.
//!
//! A job is *urgent* when a listener is waiting for it now: the first
//! utterance of a request, or a later one its stream has reached. Other
//! jobs are look-ahead, prepared before anyone needs them. Workers take
//! the oldest urgent job, and look-ahead only when no job is urgent. So a
//! request that replaces an earlier one (a screen reader's next text) goes
//! ahead of all queued look-ahead, its own client's included, while
//! listeners who are waiting are served in the order they queued, whoever
//! they are. A look-ahead job becomes urgent when its stream reaches it
//! ([`Promotion::now`]), and keeps its place in that order.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

/// Whether a listener waits for a job now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    Now,
    Ahead,
}

/// Makes a queued job urgent; a no-op once it has left the queue.
#[derive(Debug, Clone)]
pub(crate) struct Promotion(Arc<AtomicBool>);

impl Promotion {
    pub(crate) fn now(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Why a job was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// No room within the patience given.
    Full,
    Closed,
}

struct Entry<J> {
    job: J,
    urgent: Arc<AtomicBool>,
    /// Room in the queue, given back when the job leaves it.
    _room: OwnedSemaphorePermit,
}

pub(crate) struct JobQueue<J> {
    /// Oldest first.
    entries: Mutex<Entries<J>>,
    ready: Notify,
    room: Arc<Semaphore>,
}

struct Entries<J> {
    queued: VecDeque<Entry<J>>,
    closed: bool,
}

impl<J> JobQueue<J> {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(Entries { queued: VecDeque::new(), closed: false }),
            ready: Notify::new(),
            room: Arc::new(Semaphore::new(capacity.max(1))),
        }
    }

    /// Queues `job`, waiting for room for up to `patience` (`None`: as long
    /// as it takes; room now is never refused).
    pub(crate) async fn push(
        &self,
        job: J,
        urgency: Urgency,
        patience: Option<Duration>,
    ) -> Result<Promotion, Refused> {
        let room = Arc::clone(&self.room).acquire_owned();
        let room = match patience {
            Some(patience) => tokio::time::timeout(patience, room).await.map_err(|_| Refused::Full)?,
            None => room.await,
        }
        .map_err(|_| Refused::Closed)?;
        let urgent = Arc::new(AtomicBool::new(urgency == Urgency::Now));
        {
            let mut entries = self.entries.lock().expect("queue lock");
            if entries.closed {
                return Err(Refused::Closed);
            }
            entries.queued.push_back(Entry { job, urgent: Arc::clone(&urgent), _room: room });
        }
        self.ready.notify_one();
        Ok(Promotion(urgent))
    }

    /// The next job: the oldest urgent one, else the oldest. `None` once the
    /// queue is closed and empty.
    pub(crate) async fn pop(&self) -> Option<J> {
        loop {
            let notified = self.ready.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut entries = self.entries.lock().expect("queue lock");
                let urgent = entries.queued.iter().position(|e| e.urgent.load(Ordering::SeqCst));
                if let Some(entry) = entries.queued.remove(urgent.unwrap_or(0)) {
                    return Some(entry.job);
                }
                if entries.closed {
                    return None;
                }
            }
            notified.await;
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.lock().expect("queue lock").queued.len()
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Refuses new jobs; workers finish the queued ones, then `pop` ends.
    pub(crate) fn close(&self) {
        self.entries.lock().expect("queue lock").closed = true;
        self.room.close();
        self.ready.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn order(queue: &JobQueue<&'static str>) -> Vec<&'static str> {
        let mut taken = Vec::new();
        while !queue.is_empty() {
            taken.push(queue.pop().await.unwrap());
        }
        taken
    }

    #[tokio::test]
    async fn waiting_listeners_go_first_in_their_order() {
        let queue = JobQueue::new(16);
        for (job, urgency) in [
            ("a1", Urgency::Now),
            ("a2", Urgency::Ahead),
            ("a3", Urgency::Ahead),
            ("b1", Urgency::Now),
            ("b2", Urgency::Ahead),
            ("c1", Urgency::Now),
        ] {
            queue.push(job, urgency, None).await.unwrap();
        }
        assert_eq!(order(&queue).await, ["a1", "b1", "c1", "a2", "a3", "b2"]);
    }

    #[tokio::test]
    async fn a_promoted_job_keeps_its_place_among_the_urgent() {
        let queue = JobQueue::new(16);
        queue.push("a2", Urgency::Ahead, None).await.unwrap();
        let a3 = queue.push("a3", Urgency::Ahead, None).await.unwrap();
        queue.push("b1", Urgency::Now, None).await.unwrap();
        a3.now();
        assert_eq!(order(&queue).await, ["a3", "b1", "a2"]);
    }

    #[tokio::test]
    async fn a_full_queue_refuses_after_the_patience_and_frees_room_on_pop() {
        let queue = JobQueue::new(1);
        queue.push("first", Urgency::Now, Some(Duration::ZERO)).await.unwrap();
        assert_eq!(queue.push("second", Urgency::Now, Some(Duration::ZERO)).await.unwrap_err(), Refused::Full);
        assert_eq!(queue.pop().await, Some("first"));
        queue.push("second", Urgency::Now, Some(Duration::ZERO)).await.unwrap();
    }

    #[tokio::test]
    async fn closing_drains_then_ends_and_wakes_waiting_workers() {
        let queue = Arc::new(JobQueue::new(4));
        let worker = {
            let queue = Arc::clone(&queue);
            tokio::spawn(async move { (queue.pop().await, queue.pop().await) })
        };
        queue.push("last", Urgency::Ahead, None).await.unwrap();
        tokio::task::yield_now().await;
        queue.close();
        assert_eq!(worker.await.unwrap(), (Some("last"), None));
        assert_eq!(queue.push("late", Urgency::Now, None).await.unwrap_err(), Refused::Closed);
    }
}
