//! The real `herald serve` binary on a free loopback port, for tests and
//! benchmarks that need Herald as a separate process (kill it, signal it,
//! measure it). Killed when dropped.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

pub(crate) struct HeraldProcess {
    pub child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// `127.0.0.1:PORT` of the Wyoming server, when one was asked for.
    pub wyoming: Option<String>,
}

impl HeraldProcess {
    /// Starts `herald serve` over `cache` with `workers` espeak-ng workers
    /// and no neural voices, and waits until it listens.
    pub(crate) fn start(cache: &Path, workers: usize) -> Self {
        Self::start_with_env(cache, workers, &[("HERALD_NEURAL_ENABLED", "false")])
    }

    /// As [`Self::start`], with settings given as `HERALD_*` variables.
    pub(crate) fn start_with_env(cache: &Path, workers: usize, settings: &[(&str, &str)]) -> Self {
        Self::start_with(cache, workers, &[], settings)
    }

    /// As [`Self::start_with_env`], with more `herald serve` flags.
    pub(crate) fn start_with(cache: &Path, workers: usize, flags: &[&str], settings: &[(&str, &str)]) -> Self {
        Self::start_program(Path::new(env!("CARGO_BIN_EXE_herald")), cache, workers, flags, settings)
    }

    /// As [`Self::start_with`], running `program` (another build of Herald).
    /// Fails, killing it, if it does not log its address within a minute.
    pub(crate) fn start_program(
        program: &Path,
        cache: &Path,
        workers: usize,
        flags: &[&str],
        settings: &[(&str, &str)],
    ) -> Self {
        let mut child = Command::new(program)
            .args(["serve", "--addr", "127.0.0.1:0", "--workers", &workers.to_string(), "--cache-dir"])
            .arg(cache)
            .args(flags)
            .env("HERALD_LOG", "herald=info")
            .envs(settings.iter().copied())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let (sender, lines) = mpsc::channel();
        // Its log, line by line, drained to the end so it never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        let token = |line: &str, at: usize| line[at..].split_whitespace().next().unwrap().to_string();
        let deadline = Instant::now() + Duration::from_secs(60);
        let (mut wyoming, mut seen) = (None, Vec::new());
        let base = loop {
            let line = match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) => line,
                Err(error) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let why = match error {
                        RecvTimeoutError::Timeout => "did not log its address within 60 s",
                        RecvTimeoutError::Disconnected => "exited before listening",
                    };
                    panic!("herald {why}; its log:\n{}", seen.join("\n"));
                }
            };
            if let Some(at) = line.find("tcp://") {
                wyoming = Some(token(&line, at + "tcp://".len()));
            }
            if let Some(at) = line.find("http://") {
                break token(&line, at).trim_end_matches('/').to_string();
            }
            seen.push(line);
        };
        Self { child, base, wyoming }
    }
}

impl Drop for HeraldProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
