//! First audio against text length: time from `POST /v1/speech` (fast
//! voice, PCM, cold cache) to the first PCM byte, for one sentence, the
//! reference statement 1×, 10× and 100×, and the GPL-3 text, against the
//! first stdout bytes of `espeak-ng --stdout` on the statement, measured in
//! the same run.
//!
//! Run: `cargo bench --bench first_audio [-- RUNS]` on an idle machine
//! (check `uptime`). Each request uses its own rate, so every sentence is a
//! cache miss; the response is dropped after its first audio.

mod support;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{ms, percentile, Server};

const STATEMENT: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/nato-japan-joint-statement-2023-04-04.txt");
const GPL3: &str = "/usr/share/common-licenses/GPL-3";
const SENTENCE: &str = "The ministers met in Brussels to discuss the security of the Euro-Atlantic area.";

fn espeak_cli_first() -> Duration {
    let start = Instant::now();
    let mut child =
        Command::new("espeak-ng").args(["--stdout", "-f", STATEMENT]).stdout(Stdio::piped()).spawn().unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut buffer = vec![0u8; 1 << 16];
    assert!(out.read(&mut buffer).unwrap() > 0, "espeak-ng wrote no audio");
    let first = start.elapsed();
    drop(out);
    let _ = child.kill();
    let _ = child.wait();
    first
}

/// Time to the first PCM byte of `text` spoken at `rate` words per minute.
async fn first_pcm(client: &reqwest::Client, base: &str, text: &str, rate: u32) -> Duration {
    let body = serde_json::json!({ "text": text, "format": "pcm", "rate": rate });
    let start = Instant::now();
    let mut response = client.post(format!("{base}/v1/speech")).json(&body).send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let chunk = response.chunk().await.unwrap().expect("audio");
    assert!(!chunk.is_empty());
    start.elapsed()
}

fn main() {
    let runs: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(20);
    let statement = std::fs::read_to_string(STATEMENT).unwrap();
    let gpl = std::fs::read_to_string(GPL3).expect("Debian's base-files has /usr/share/common-licenses/GPL-3");
    let texts: [(&str, String); 5] = [
        ("one sentence", SENTENCE.to_string()),
        ("statement 1x", statement.clone()),
        ("statement 10x", [statement.as_str(); 10].join("\n\n")),
        ("statement 100x", [statement.as_str(); 100].join("\n\n")),
        ("GPL-3", gpl),
    ];
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = reqwest::Client::new();
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    println!("machine: {cores} cores; herald {} (release); {runs} runs per figure\n", env!("CARGO_PKG_VERSION"));
    let server = Server::start(cores);
    runtime.block_on(first_pcm(&client, &server.base, "Warming up the workers.", 175));
    let mut figures: Vec<(String, usize, Vec<Duration>)> =
        texts.iter().map(|(name, text)| (name.to_string(), text.chars().count(), Vec::new())).collect();
    let mut cli = Vec::new();
    // Interleaved, so a slow moment of the machine falls on every text alike.
    for run in 0..runs {
        for ((_, text), (_, _, samples)) in texts.iter().zip(&mut figures) {
            let rate = 120 + run as u32;
            samples.push(runtime.block_on(first_pcm(&client, &server.base, text, rate)));
        }
        cli.push(espeak_cli_first());
    }
    let cli = percentile(&mut cli, 0.5);
    let one = percentile(&mut figures[0].2, 0.5);
    println!("{:<16} {:>8} {:>10} {:>10} {:>12} {:>12}", "text", "chars", "median", "p90", "÷ sentence", "÷ espeak-ng");
    for (name, chars, samples) in &mut figures {
        let (median, p90) = (percentile(samples, 0.5), percentile(samples, 0.9));
        println!(
            "{name:<16} {chars:>8} {:>7.2} ms {:>7.2} ms {:>12.2} {:>12.3}",
            ms(median),
            ms(p90),
            ms(median) / ms(one),
            ms(median) / ms(cli)
        );
    }
    println!("{:<16} {:>8} {:>7.2} ms", "espeak-ng --stdout (statement), first stdout bytes", "", ms(cli));
}
