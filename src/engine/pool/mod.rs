//! The supervised pool of worker processes.
//!
//! Jobs (one utterance each) go into one bounded queue shared by all
//! requests, which serves listeners who wait now before look-ahead work
//! ([`queue`](super::queue)); each worker slot has a supervisor task that
//! takes the next job, streams the worker's frames back to the job's
//! receiver, and restarts the worker when it dies or overruns the deadline.
//! A crash fails only the job in progress. Dropping a job's receiver
//! cancels it: a queued job is skipped, a running one is cancelled inside
//! the worker at once (mid-inference for neural engines).

mod process;

use super::protocol::{Hello, ProtocolError};
use super::queue::{JobQueue, Promotion, Refused, Urgency};
use super::{EngineError, Mark, Outcome, SynthesisRequest};
use process::WorkerProcess;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// How to start workers and how many.
#[derive(Debug, Clone)]
pub(crate) struct PoolConfig {
    /// The Herald binary (it hosts workers as `herald worker`).
    pub(crate) program: PathBuf,
    pub(crate) engine: String,
    /// The engine's JSON configuration, passed to each worker.
    pub(crate) engine_config: String,
    pub(crate) workers: usize,
    /// Utterances waiting for a worker, across all requests.
    pub(crate) queue_capacity: usize,
    /// A worker silent for this long on one utterance is killed.
    pub(crate) deadline: Duration,
    /// Address-space limit of each worker process, in MiB (0: none).
    pub(crate) memory_limit_mb: u64,
    /// How long a new worker has to greet (its engine loads first: models
    /// of hundreds of megabytes take seconds, more on a busy machine).
    pub(crate) start_timeout: Duration,
}

/// Crashes (or hangs) a text may cause before it is refused outright.
const CRASHES_BEFORE_QUARANTINE: u8 = 2;
/// Texts remembered for quarantine; the oldest are forgotten beyond this.
const QUARANTINE_CAPACITY: usize = 10_000;

/// Remembers which requests killed a worker, so that one that did so twice
/// is refused instead of taking down workers forever.
#[derive(Debug, Default)]
struct Quarantine {
    crashes: std::sync::Mutex<std::collections::HashMap<[u8; 32], u8>>,
}

impl Quarantine {
    fn fingerprint(request: &SynthesisRequest) -> [u8; 32] {
        let key = serde_json::to_vec(&(&request.text, &request.voice, request.rate, request.pitch))
            .expect("requests serialize");
        *blake3::hash(&key).as_bytes()
    }

    fn is_blocked(&self, request: &SynthesisRequest) -> bool {
        let crashes = self.crashes.lock().expect("quarantine lock");
        crashes.get(&Self::fingerprint(request)).is_some_and(|&n| n >= CRASHES_BEFORE_QUARANTINE)
    }

    fn record(&self, request: &SynthesisRequest) {
        let mut crashes = self.crashes.lock().expect("quarantine lock");
        if crashes.len() >= QUARANTINE_CAPACITY {
            crashes.clear();
        }
        *crashes.entry(Self::fingerprint(request)).or_default() += 1;
    }
}

/// What a job's receiver gets, in order; `Done` or `Failed` comes last.
#[derive(Debug, Clone, PartialEq)]
pub enum JobEvent {
    Audio(Vec<i16>),
    Mark(Mark),
    Done(Outcome),
    Failed(JobError),
}

/// Why a job produced no (complete) audio.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum JobError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("the speech engine crashed on this text ({0})")]
    WorkerCrashed(String),
    #[error("the speech engine took longer than {0:?} on this text")]
    Timeout(Duration),
    #[error("the synthesis queue is full")]
    QueueFull,
    #[error("the worker pool is shut down")]
    Closed,
    #[error("this text crashed the speech engine {CRASHES_BEFORE_QUARANTINE} times and is no longer attempted")]
    Quarantined,
}

/// Counters for `/metrics` and tests.
#[derive(Debug, Default)]
pub struct PoolStats {
    pub live_workers: AtomicUsize,
    pub busy_workers: AtomicUsize,
    pub jobs_completed: AtomicU64,
    pub jobs_failed: AtomicU64,
    pub jobs_cancelled: AtomicU64,
    pub worker_restarts: AtomicU64,
    pub jobs_quarantined: AtomicU64,
    /// Process ids of the live workers, by slot.
    pub worker_pids: std::sync::Mutex<std::collections::BTreeMap<usize, u32>>,
    pub(crate) synthesis_micros: AtomicU64,
}

struct Job {
    request: SynthesisRequest,
    events: mpsc::UnboundedSender<JobEvent>,
}

/// A queued utterance: its events (drop to cancel), and the handle that
/// marks it urgent once its stream reaches it.
pub struct Submitted {
    pub events: mpsc::UnboundedReceiver<JobEvent>,
    pub(crate) promotion: Promotion,
}

/// A running pool. Cheap to share behind an `Arc`; dropping it stops the
/// workers once the queued jobs are done.
pub struct Pool {
    jobs: Arc<JobQueue<Job>>,
    hello: Hello,
    stats: Arc<PoolStats>,
    quarantine: Arc<Quarantine>,
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.jobs.close();
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("could not start a worker `{program} worker`")]
    Start {
        program: String,
        #[source]
        reason: SpawnError,
    },
}

/// Why a worker process did not start and greet.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    #[error("cannot run the program")]
    Exec(#[source] std::io::Error),
    #[error("the engine refused to start")]
    Engine(#[source] EngineError),
    #[error("unexpected first frame {0}")]
    UnexpectedFrame(String),
    #[error("the worker's greeting was unreadable")]
    Protocol(#[source] ProtocolError),
    #[error("the worker exited before greeting ({0})")]
    Exited(String),
    #[error("no greeting within {0:?}")]
    Silent(Duration),
}

impl Pool {
    /// Starts the workers; fails if the first one cannot start and greet.
    pub(crate) async fn start(config: PoolConfig) -> Result<Self, PoolError> {
        let first = WorkerProcess::spawn(&config)
            .await
            .map_err(|reason| PoolError::Start { program: config.program.display().to_string(), reason })?;
        let hello = first.hello.clone();
        let jobs = Arc::new(JobQueue::new(config.queue_capacity));
        let stats = Arc::new(PoolStats::default());
        let quarantine = Arc::new(Quarantine::default());
        let config = Arc::new(config);
        let mut first = Some(first);
        for slot in 0..config.workers.max(1) {
            let supervisor = Supervisor {
                slot,
                config: Arc::clone(&config),
                queue: Arc::clone(&jobs),
                stats: Arc::clone(&stats),
                quarantine: Arc::clone(&quarantine),
            };
            tokio::spawn(supervisor.run(first.take()));
        }
        Ok(Self { jobs, hello, stats, quarantine })
    }

    /// The engine the workers host and its voices.
    pub fn hello(&self) -> &Hello {
        &self.hello
    }

    pub fn stats(&self) -> &PoolStats {
        &self.stats
    }

    /// Utterances waiting for a worker.
    pub fn queue_depth(&self) -> usize {
        self.jobs.len()
    }

    /// Queues one utterance, waiting for room in the queue for up to
    /// `patience` (`None`: as long as it takes; room now is never refused).
    /// Events arrive on the returned receiver; drop it to cancel.
    pub async fn submit(
        &self,
        request: SynthesisRequest,
        urgency: Urgency,
        patience: Option<Duration>,
    ) -> Result<Submitted, JobError> {
        if self.quarantine.is_blocked(&request) {
            self.stats.jobs_quarantined.fetch_add(1, Ordering::Relaxed);
            return Err(JobError::Quarantined);
        }
        let (events, receiver) = mpsc::unbounded_channel();
        match self.jobs.push(Job { request, events }, urgency, patience).await {
            Ok(promotion) => Ok(Submitted { events: receiver, promotion }),
            Err(Refused::Full) => Err(JobError::QueueFull),
            Err(Refused::Closed) => Err(JobError::Closed),
        }
    }
}

/// Keeps one worker slot filled and feeds it jobs.
struct Supervisor {
    slot: usize,
    config: Arc<PoolConfig>,
    queue: Arc<JobQueue<Job>>,
    stats: Arc<PoolStats>,
    quarantine: Arc<Quarantine>,
}

impl Supervisor {
    async fn run(self, mut first: Option<WorkerProcess>) {
        let mut failures_in_a_row = 0u32;
        loop {
            let worker = match first.take() {
                Some(worker) => worker,
                None => match WorkerProcess::spawn(&self.config).await {
                    Ok(worker) => worker,
                    Err(reason) => {
                        failures_in_a_row += 1;
                        tracing::error!(slot = self.slot, %reason, "worker failed to start");
                        tokio::time::sleep(Duration::from_millis(100 * 2u64.pow(failures_in_a_row.min(6)))).await;
                        continue;
                    }
                },
            };
            failures_in_a_row = 0;
            self.stats.live_workers.fetch_add(1, Ordering::SeqCst);
            if let Some(pid) = worker.child.id() {
                self.stats.worker_pids.lock().expect("pids lock").insert(self.slot, pid);
            }
            let ended = self.serve(worker).await;
            self.stats.worker_pids.lock().expect("pids lock").remove(&self.slot);
            self.stats.live_workers.fetch_sub(1, Ordering::SeqCst);
            if ended {
                return;
            }
            self.stats.worker_restarts.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Runs jobs on `worker` until it dies (returns false) or the pool closes (true).
    async fn serve(&self, mut worker: WorkerProcess) -> bool {
        while let Some(job) = self.queue.pop().await {
            if job.events.is_closed() {
                self.stats.jobs_cancelled.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            self.stats.busy_workers.fetch_add(1, Ordering::SeqCst);
            let started = Instant::now();
            let result = worker.run(&job, self.config.deadline).await;
            self.stats.busy_workers.fetch_sub(1, Ordering::SeqCst);
            self.stats.synthesis_micros.fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
            let counter = match &result {
                Ok(true) => &self.stats.jobs_completed,
                Ok(false) => &self.stats.jobs_cancelled,
                Err(_) => &self.stats.jobs_failed,
            };
            counter.fetch_add(1, Ordering::Relaxed);
            if let Err(error) = result {
                tracing::warn!(slot = self.slot, %error, chars = job.request.text.chars().count(), "worker lost; restarting");
                self.quarantine.record(&job.request);
                let _ = job.events.send(JobEvent::Failed(error));
                worker.kill().await;
                return false;
            }
        }
        true
    }
}
