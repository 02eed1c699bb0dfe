//! Shared by the benchmarks: a release `herald serve` process on a free
//! loopback port, and resident memory of a process tree.

#![allow(dead_code)] // each benchmark uses part of it

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[path = "../../tests/common/process.rs"]
mod process;

/// A release server with its own temporary cache directory.
pub(crate) struct Server {
    process: process::HeraldProcess,
    _cache: tempfile::TempDir,
}

impl Server {
    /// Espeak-ng voices only.
    pub(crate) fn start(workers: usize) -> Self {
        Self::start_with_env(workers, &[("HERALD_NEURAL_ENABLED", "false")])
    }

    /// With settings given as `HERALD_*` variables.
    pub(crate) fn start_with_env(workers: usize, settings: &[(&str, &str)]) -> Self {
        let cache = tempfile::tempdir().unwrap();
        Self { process: process::HeraldProcess::start_with_env(cache.path(), workers, settings), _cache: cache }
    }

    /// Another build of Herald (a baseline), espeak-ng voices only.
    pub(crate) fn start_program(program: &std::path::Path, workers: usize) -> Self {
        let cache = tempfile::tempdir().unwrap();
        let settings = [("HERALD_NEURAL_ENABLED", "false")];
        let process = process::HeraldProcess::start_program(program, cache.path(), workers, &[], &settings);
        Self { process, _cache: cache }
    }

    /// RSS of the server and its worker processes, in KiB.
    pub(crate) fn rss_kib(&self) -> u64 {
        tree_rss_kib(self.child.id())
    }
}

impl std::ops::Deref for Server {
    type Target = process::HeraldProcess;
    fn deref(&self) -> &Self::Target {
        &self.process
    }
}

/// RSS of a process and its children, in KiB.
pub(crate) fn tree_rss_kib(pid: u32) -> u64 {
    let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    std::iter::once(pid.to_string()).chain(children.split_whitespace().map(str::to_string)).map(|p| rss_of(&p)).sum()
}

/// Samples a process tree's RSS on a thread until finished; keeps the peak.
pub(crate) struct PeakRss {
    done: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<u64>,
}

impl PeakRss {
    pub(crate) fn start(pid: u32, every: Duration) -> Self {
        let done = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&done);
        let thread = std::thread::spawn(move || {
            let mut peak = 0;
            while !stop.load(Ordering::SeqCst) {
                peak = peak.max(tree_rss_kib(pid));
                std::thread::sleep(every);
            }
            peak
        });
        Self { done, thread }
    }

    /// Stops sampling; the peak RSS seen, in KiB.
    pub(crate) fn finish(self) -> u64 {
        self.done.store(true, Ordering::SeqCst);
        self.thread.join().expect("sampler thread")
    }
}

fn rss_of(pid: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

pub(crate) fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() - 1) as f64 * p).round() as usize]
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// (time to the first audio byte after the WAV header, time to the last
/// byte, bytes) of a POST answered with WAV audio.
pub(crate) async fn timed_wav(
    client: &reqwest::Client,
    url: &str,
    body: &serde_json::Value,
) -> (Duration, Duration, usize) {
    let start = std::time::Instant::now();
    let mut response = client.post(url).json(body).send().await.unwrap();
    assert!(response.status().is_success(), "{url}: {}", response.status());
    let mut first = None;
    let mut bytes = 0;
    while let Some(chunk) = response.chunk().await.unwrap() {
        bytes += chunk.len();
        if bytes > 44 && first.is_none() {
            first = Some(start.elapsed());
        }
    }
    (first.expect("audio after the header"), start.elapsed(), bytes)
}

/// [`timed_wav`] of `POST /v1/speech` with just a text.
pub(crate) async fn timed_speech(client: &reqwest::Client, base: &str, text: &str) -> (Duration, Duration, usize) {
    timed_wav(client, &format!("{base}/v1/speech"), &serde_json::json!({ "text": text })).await
}

/// (first stdout bytes, whole run) of `espeak-ng --stdout -f FILE`: the
/// baseline of first audio and of whole synthesis.
pub(crate) fn espeak_cli(file: &str) -> (Duration, Duration) {
    use std::io::Read;
    let start = std::time::Instant::now();
    let mut child = std::process::Command::new("espeak-ng")
        .args(["--stdout", "-f", file])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut buffer = vec![0u8; 1 << 16];
    assert!(out.read(&mut buffer).unwrap() > 0, "espeak-ng wrote no audio");
    let first = start.elapsed();
    while out.read(&mut buffer).unwrap() > 0 {}
    child.wait().unwrap();
    (first, start.elapsed())
}

/// CPU time (user + system, in clock ticks) of a process and its children.
pub(crate) fn tree_cpu_ticks(pid: u32) -> u64 {
    let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    std::iter::once(pid.to_string()).chain(children.split_whitespace().map(str::to_string)).map(|p| cpu_of(&p)).sum()
}

fn cpu_of(pid: &str) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command (which may hold spaces) start after the last ')'.
    let fields: Vec<&str> = stat.rsplit_once(')').map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
    let field = |n: usize| fields.get(n).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    field(11) + field(12)
}

/// Waits until a process tree has used no CPU for `quiet` (at most 10 s),
/// so the next measurement does not share the machine with the last one's
/// leftover work.
pub(crate) fn wait_until_idle(pid: u32, quiet: Duration) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut last = tree_cpu_ticks(pid);
    while std::time::Instant::now() < deadline {
        std::thread::sleep(quiet);
        let now = tree_cpu_ticks(pid);
        if now == last {
            return;
        }
        last = now;
    }
}
