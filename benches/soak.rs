//! Soak run (not part of the tests): a release server on loopback under 100
//! concurrent clients for 60 s (`SOAK_SECONDS` to change), mixing fresh
//! streams, cache hits and cancellations. Bounded in count and time; stops by
//! itself. Reports errors, incomplete streams and RSS before, during and
//! after.
//!
//! Run: `cargo bench --bench soak`.

mod support;

use futures::future::join_all;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{PeakRss, Server};

const CLIENTS: usize = 100;
const STATEMENT: &str = include_str!("../tests/fixtures/nato-japan-joint-statement-2023-04-04.txt");

#[derive(Default)]
struct Tally {
    streams: AtomicU64,
    hits: AtomicU64,
    cancels: AtomicU64,
    errors: AtomicU64,
    incomplete: AtomicU64,
}

async fn body_len(response: reqwest::Response) -> Option<usize> {
    (response.status() == 200).then_some(())?;
    response.bytes().await.ok().map(|b| b.len())
}

fn main() {
    let seconds: u64 = std::env::var("SOAK_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = Server::start(2);
    let client = reqwest::Client::new();
    let base = server.base.clone();
    let paragraphs: Vec<String> = STATEMENT.lines().filter(|l| l.len() > 60).map(str::to_string).collect();
    let (doc_audio, paragraph_urls, expected_speech, expected_paragraph) = runtime.block_on(async {
        let doc: Value = client
            .post(format!("{base}/v1/documents"))
            .json(&json!({ "text": STATEMENT }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let urls: Vec<String> = doc["paragraphs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| format!("{base}{}", p["audio_url"].as_str().unwrap()))
            .collect();
        let mut paragraph_lengths = Vec::new();
        for url in &urls {
            paragraph_lengths.push(body_len(client.get(url).send().await.unwrap()).await.unwrap());
        }
        let mut speech_lengths = Vec::new();
        for text in &paragraphs {
            let response =
                client.post(format!("{base}/v1/speech")).json(&json!({ "text": text })).send().await.unwrap();
            speech_lengths.push(body_len(response).await.unwrap());
        }
        (format!("{base}{}", doc["audio_url"].as_str().unwrap()), urls, speech_lengths, paragraph_lengths)
    });
    std::thread::sleep(Duration::from_secs(1));
    let idle = server.rss_kib();

    let tally = Arc::new(Tally::default());
    let sampler = PeakRss::start(server.child.id(), Duration::from_millis(50));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    runtime.block_on(join_all((0..CLIENTS).map(|id| {
        let (client, tally, base) = (client.clone(), tally.clone(), base.clone());
        let (paragraphs, paragraph_urls, doc_audio) = (paragraphs.clone(), paragraph_urls.clone(), doc_audio.clone());
        let (expected_speech, expected_paragraph) = (expected_speech.clone(), expected_paragraph.clone());
        async move {
            let mut state = id as u64 * 2_654_435_761 + 1;
            while Instant::now() < deadline {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                let pick = (state >> 33) as usize;
                match pick % 3 {
                    0 => {
                        // A stream whose text varies (rate) so some are fresh.
                        let i = pick % paragraphs.len();
                        let rate = if pick.is_multiple_of(5) { 180 + (pick % 40) as u32 } else { 175 };
                        let response = client
                            .post(format!("{base}/v1/speech"))
                            .json(&json!({ "text": paragraphs[i], "rate": rate }))
                            .send()
                            .await;
                        tally.streams.fetch_add(1, Ordering::Relaxed);
                        match response.ok().map(body_len) {
                            Some(f) => match f.await {
                                Some(len) if rate != 175 || len == expected_speech[i] => {}
                                Some(_) => {
                                    tally.incomplete.fetch_add(1, Ordering::Relaxed);
                                }
                                None => {
                                    tally.errors.fetch_add(1, Ordering::Relaxed);
                                }
                            },
                            None => {
                                tally.errors.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                    1 => {
                        let i = pick % paragraph_urls.len();
                        tally.hits.fetch_add(1, Ordering::Relaxed);
                        match client.get(&paragraph_urls[i]).send().await.ok().map(body_len) {
                            Some(f) => match f.await {
                                Some(len) if len == expected_paragraph[i] => {}
                                Some(_) => {
                                    tally.incomplete.fetch_add(1, Ordering::Relaxed);
                                }
                                None => {
                                    tally.errors.fetch_add(1, Ordering::Relaxed);
                                }
                            },
                            None => {
                                tally.errors.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                    _ => {
                        // Start the whole document and walk away.
                        tally.cancels.fetch_add(1, Ordering::Relaxed);
                        match client.get(&doc_audio).send().await {
                            Ok(mut response) if response.status() == 200 => {
                                let _ = response.chunk().await;
                            }
                            _ => {
                                tally.errors.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                }
            }
        }
    })));
    let peak = sampler.finish().max(idle);
    // Close the clients' connections, and let idle blocking threads (10 s)
    // and the server's housekeeping return memory.
    drop(client);
    std::thread::sleep(Duration::from_secs(15));
    let after = server.rss_kib();
    let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
    println!("soak: {CLIENTS} clients for {seconds} s on {} (2 workers)", base);
    println!(
        "requests: {} streams, {} cached paragraphs, {} cancelled documents; errors {}, incomplete {}",
        load(&tally.streams),
        load(&tally.hits),
        load(&tally.cancels),
        load(&tally.errors),
        load(&tally.incomplete)
    );
    println!(
        "RSS (server + workers): idle {:.1} MiB, peak {:.1} MiB, 15 s after {:.1} MiB",
        idle as f64 / 1024.0,
        peak as f64 / 1024.0,
        after as f64 / 1024.0
    );
}
