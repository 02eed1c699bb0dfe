//! One live worker process: starting it and waiting for its greeting,
//! running a job on it (forwarding its frames, sending `Cancel` when the
//! job's receiver goes away, enforcing the deadline), and saying how it
//! ended.

use super::{Job, JobError, JobEvent, PoolConfig, SpawnError};
use crate::engine::protocol::{read_frame_async, FromWorker, Hello, ProtocolError, ToWorker};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;

/// A live worker process and the frames it sends.
pub(super) struct WorkerProcess {
    pub(super) child: Child,
    stdin: ChildStdin,
    frames: mpsc::Receiver<Result<FromWorker, ProtocolError>>,
    pub(super) hello: Hello,
}

impl WorkerProcess {
    pub(super) async fn spawn(config: &PoolConfig) -> Result<Self, SpawnError> {
        let mut child = Command::new(&config.program)
            .args(["worker", "--engine", &config.engine, "--memory-limit-mb", &config.memory_limit_mb.to_string()])
            .args(["--engine-config", &config.engine_config])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(SpawnError::Exec)?;
        let stdin = child.stdin.take().expect("piped stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let (tx, mut frames) = mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                let frame = match read_frame_async(&mut stdout).await {
                    Ok(Some((tag, payload))) => FromWorker::decode(tag, &payload),
                    Ok(None) => break,
                    Err(error) => Err(error),
                };
                let failed = frame.is_err();
                if tx.send(frame).await.is_err() || failed {
                    break;
                }
            }
        });
        let greeting = tokio::time::timeout(config.start_timeout, frames.recv()).await;
        match greeting {
            Ok(Some(Ok(FromWorker::Hello(hello)))) => Ok(Self { child, stdin, frames, hello: *hello }),
            Ok(Some(Ok(FromWorker::Failed(error)))) => Err(SpawnError::Engine(error)),
            Ok(Some(Ok(other))) => Err(SpawnError::UnexpectedFrame(format!("{other:?}"))),
            Ok(Some(Err(error))) => Err(SpawnError::Protocol(error)),
            Ok(None) => Err(SpawnError::Exited(exit_reason(&mut child).await)),
            Err(_) => Err(SpawnError::Silent(config.start_timeout)),
        }
    }

    /// Runs one job. `Ok(true)`: finished (even with an engine error, which
    /// was forwarded); `Ok(false)`: cancelled, however it ended; `Err`: the
    /// worker is lost.
    pub(super) async fn run(&mut self, job: &Job, deadline: Duration) -> Result<bool, JobError> {
        let frame = ToWorker::Synthesize(job.request.clone()).encode();
        if self.stdin.write_all(&frame).await.is_err() || self.stdin.flush().await.is_err() {
            return Err(JobError::WorkerCrashed(exit_reason(&mut self.child).await));
        }
        let mut cancelled = false;
        let timer = tokio::time::sleep(deadline);
        tokio::pin!(timer);
        loop {
            tokio::select! {
                frame = self.frames.recv() => match frame {
                    Some(Ok(FromWorker::Audio(samples))) => {
                        timer.as_mut().reset(tokio::time::Instant::now() + deadline);
                        let _ = job.events.send(JobEvent::Audio(samples));
                    }
                    Some(Ok(FromWorker::Mark(mark))) => { let _ = job.events.send(JobEvent::Mark(mark)); }
                    Some(Ok(FromWorker::Done(outcome))) => {
                        let _ = job.events.send(JobEvent::Done(outcome));
                        return Ok(!cancelled);
                    }
                    Some(Ok(FromWorker::Failed(error))) => {
                        let _ = job.events.send(JobEvent::Failed(error.into()));
                        return Ok(!cancelled);
                    }
                    Some(Ok(FromWorker::Hello(_))) => return Err(JobError::WorkerCrashed("protocol error: second greeting".into())),
                    Some(Err(error)) => return Err(JobError::WorkerCrashed(format!("protocol error: {error}"))),
                    None => return Err(JobError::WorkerCrashed(exit_reason(&mut self.child).await)),
                },
                _ = job.events.closed(), if !cancelled => {
                    cancelled = true;
                    let _ = self.stdin.write_all(&ToWorker::Cancel.encode()).await;
                    let _ = self.stdin.flush().await;
                }
                _ = &mut timer => return Err(JobError::Timeout(deadline)),
            }
        }
    }

    pub(super) async fn kill(mut self) {
        let _ = self.child.kill().await;
    }
}

/// Describes how a worker process ended ("killed by signal 6").
async fn exit_reason(child: &mut Child) -> String {
    match tokio::time::timeout(Duration::from_secs(2), child.wait()).await {
        Ok(Ok(status)) => {
            use std::os::unix::process::ExitStatusExt;
            match status.signal() {
                Some(signal) => format!("worker killed by signal {signal}"),
                None => format!("worker exited with {status}"),
            }
        }
        Ok(Err(error)) => format!("worker lost: {error}"),
        Err(_) => "worker stopped answering".into(),
    }
}
