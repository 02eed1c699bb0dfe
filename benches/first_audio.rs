//! First audio against text length: time from `POST /v1/speech` (fast
//! voice, PCM, cold cache) to the first PCM byte, for one sentence, the
//! reference statement 1×, 10× and 100×, and the GPL-3 text, against the
//! first stdout bytes of `espeak-ng --stdout` on the statement, measured in
//! the same run.
//!
//! Run: `cargo bench --bench first_audio -- [RUNS] [--baseline=HERALD]` on an
//! idle machine (check `uptime`); `--baseline` names another build of
//! Herald (one built from an older commit) measured beside this one,
//! interleaved. Each request uses its own rate, so every sentence is a
//! cache miss; the response is dropped after its first audio, and the next
//! request waits until the servers have used no CPU for 30 ms, so each
//! meets quiet servers (the whole-text planning of an older build goes on
//! after its client leaves).

mod support;

use std::time::{Duration, Instant};
use support::{ms, percentile, Server};

const STATEMENT: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/nato-japan-joint-statement-2023-04-04.txt");
const GPL3: &str = "/usr/share/common-licenses/GPL-3";
const SENTENCE: &str = "The ministers met in Brussels to discuss the security of the Euro-Atlantic area.";

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
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runs: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(20);
    let baseline = args.iter().find_map(|a| a.strip_prefix("--baseline=")).map(std::path::PathBuf::from);
    let statement = std::fs::read_to_string(STATEMENT).unwrap();
    let gpl = std::fs::read_to_string(GPL3).expect("Debian's base-files has /usr/share/common-licenses/GPL-3");
    let texts: [(&str, String); 5] = [
        ("one sentence", SENTENCE.to_string()),
        ("statement 1x", statement.clone()),
        ("statement 10x", [statement.as_str(); 10].join("\n\n")),
        ("statement 100x", [statement.as_str(); 100].join("\n\n")),
        ("GPL-3", gpl),
    ];
    // One thread: the client adds no wake-ups between threads to what it times.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let client = reqwest::Client::new();
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    println!("machine: {cores} cores; herald {} (release); {runs} runs per figure\n", env!("CARGO_PKG_VERSION"));
    let mut servers = vec![("this build", Server::start(cores))];
    if let Some(program) = &baseline {
        servers.push(("baseline", Server::start_program(program, cores)));
    }
    for (_, server) in &servers {
        runtime.block_on(first_pcm(&client, &server.base, "Warming up the workers.", 175));
    }
    // samples[server][text]
    let mut samples: Vec<Vec<Vec<Duration>>> = vec![vec![Vec::new(); texts.len()]; servers.len()];
    let mut cli = Vec::new();
    // Interleaved, so a slow moment of the machine falls on every text and build alike.
    for run in 0..runs {
        for (t, (_, text)) in texts.iter().enumerate() {
            for (s, (_, server)) in servers.iter().enumerate() {
                let rate = 120 + run as u32;
                samples[s][t].push(runtime.block_on(first_pcm(&client, &server.base, text, rate)));
                // Each request meets quiet servers, as an occasional
                // listener does: what the last one left running ends first.
                for (_, server) in &servers {
                    support::wait_until_idle(server.child.id(), Duration::from_millis(30));
                }
            }
        }
        cli.push(support::espeak_cli(STATEMENT).0);
    }
    let cli = percentile(&mut cli, 0.5);
    for (s, (name, _)) in servers.iter().enumerate() {
        let one = percentile(&mut samples[s][0], 0.5);
        println!("{name}: first PCM byte");
        println!(
            "{:<16} {:>8} {:>10} {:>10} {:>12} {:>12}",
            "text", "chars", "median", "p90", "÷ sentence", "÷ espeak-ng"
        );
        for (t, (text_name, text)) in texts.iter().enumerate() {
            let runs = &mut samples[s][t];
            let (median, p90) = (percentile(runs, 0.5), percentile(runs, 0.9));
            println!(
                "{text_name:<16} {:>8} {:>7.2} ms {:>7.2} ms {:>12.2} {:>12.3}",
                text.chars().count(),
                ms(median),
                ms(p90),
                ms(median) / ms(one),
                ms(median) / ms(cli)
            );
        }
        println!();
    }
    println!("espeak-ng --stdout (statement), first stdout bytes: {:.2} ms", ms(cli));
}
