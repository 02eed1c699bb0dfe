//! Replica benchmark, on a local cluster (`scripts/cluster.sh`: Garage,
//! PostgreSQL and release replicas on loopback), fresh for every
//! measurement:
//!
//! 1. A podcast batch of 8 episodes posted to one replica, each the
//!    reference statement with its sentences marked by episode (so that no
//!    sentence is a cache hit), in episodes per minute from the post to the
//!    batch's `done`: 2 replicas with one worker each against 1 replica
//!    with one worker; and 1 replica with two workers, the same cores in
//!    one process.
//! 2. Cached paragraph requests per second: a paragraph of the statement
//!    through `/v1/speech` once (synthesized), then 100 times from 4
//!    clients, every sentence a cache hit, against a server with the local
//!    directory (the embedded default) and against a replica whose segments
//!    are in the object store: with hot segments in memory (the default
//!    `store_memory_mb`), and with none (every hit a GET from Garage).
//!
//! Configurations take turns within each run; ratios are of medians.
//!
//! Run: `cargo bench --bench replicas [-- RUNS]` (default 3). Needs what the
//! tests need (`scripts/setup.sh --test`: PostgreSQL, Garage).

#[allow(dead_code)] // the benchmark uses part of the tests' cluster
#[path = "../tests/common/cluster.rs"]
mod cluster;
mod support;

use cluster::Cluster;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const STATEMENT: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/nato-japan-joint-statement-2023-04-04.txt"));
const EPISODES: usize = 8;
const CACHED_REQUESTS: usize = 100;
const CLIENTS: usize = 4;

/// The release binary the cluster's replicas run.
fn herald_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_herald"))
}

fn paragraphs() -> Vec<&'static str> {
    STATEMENT.split("\n\n").filter(|p| p.split_whitespace().count() > 10 && !p.contains('•')).collect()
}

/// The statement with every sentence marked as reading `n`, so that no
/// sentence of one episode is a cache hit for another.
fn reading(n: usize) -> String {
    let mut marked = String::with_capacity(STATEMENT.len() * 2);
    let mut chars = STATEMENT.chars().peekable();
    while let Some(c) = chars.next() {
        if matches!(c, '.' | '!' | '?') && chars.peek().is_none_or(|next| next.is_whitespace()) {
            marked.push_str(&format!(" in reading {n}"));
        }
        marked.push(c);
    }
    marked
}

/// Episodes per minute of a batch posted to the cluster's first replica.
async fn batch_rate(cluster: &Cluster) -> f64 {
    let documents: Vec<Value> =
        (1..=EPISODES).map(|n| json!({ "name": format!("reading-{n}.txt"), "text": reading(n) })).collect();
    let show = json!({
        "title": "Bench", "author": "Herald", "description": "Benchmark", "language": "en",
        "image": "https://cdn.example/cover.jpg", "category": "News", "explicit": false
    });
    let started = Instant::now();
    let url = format!("{}/v1/batches", cluster.urls[0]);
    let posted = cluster.client.post(url).json(&json!({ "show": show, "documents": documents })).send().await.unwrap();
    assert_eq!(posted.status(), 202);
    let status_url = format!("{}{}", cluster.urls[0], posted.headers()["location"].to_str().unwrap());
    loop {
        let status: Value = cluster.client.get(&status_url).send().await.unwrap().json().await.unwrap();
        if status["state"] == "done" {
            assert_eq!(status["done"].as_u64(), Some(EPISODES as u64), "{status}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    EPISODES as f64 * 60.0 / started.elapsed().as_secs_f64()
}

/// Requests per second for a paragraph whose sentences are all stored.
async fn cached_rate(client: &reqwest::Client, base: &str) -> f64 {
    let body = json!({ "text": paragraphs()[1], "voice": "espeak:en-us", "rate": 200 });
    let url = format!("{base}/v1/speech");
    let first = client.post(&url).json(&body).send().await.unwrap();
    assert_eq!(first.status(), 200);
    first.bytes().await.unwrap();
    let started = Instant::now();
    let clients = (0..CLIENTS).map(|_| {
        let (client, url, body) = (client.clone(), url.clone(), body.clone());
        tokio::spawn(async move {
            for _ in 0..CACHED_REQUESTS / CLIENTS {
                let response = client.post(&url).json(&body).send().await.unwrap();
                assert_eq!(response.headers()["x-herald-cache"], "hit");
                response.bytes().await.unwrap();
            }
        })
    });
    for client in clients.collect::<Vec<_>>() {
        client.await.unwrap();
    }
    CACHED_REQUESTS as f64 / started.elapsed().as_secs_f64()
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

#[tokio::main]
async fn main() {
    let runs: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(3);
    let (mut one, mut two, mut one_two_workers) = (vec![], vec![], vec![]);
    let (mut local, mut memory, mut store) = (vec![], vec![], vec![]);
    for run in 1..=runs {
        one.push(batch_rate(&Cluster::up_with(1, 1).await).await);
        two.push(batch_rate(&Cluster::up_with(2, 1).await).await);
        one_two_workers.push(batch_rate(&Cluster::up_with(1, 2).await).await);
        let cluster = Cluster::up_with(1, 1).await;
        memory.push(cached_rate(&cluster.client, &cluster.urls[0]).await);
        drop(cluster);
        let cluster = Cluster::up_with_env(1, 1, &[("HERALD_STORE_MEMORY_MB", "0")]).await;
        store.push(cached_rate(&cluster.client, &cluster.urls[0]).await);
        drop(cluster);
        let server = support::Server::start(1);
        local.push(cached_rate(&reqwest::Client::new(), &server.base).await);
        eprintln!(
            "run {run}: batch {:.1} / {:.1} / {:.1} episodes/min (1 replica, 2 replicas, 1 replica × 2 workers); \
             cached {:.0} / {:.0} / {:.0} requests/s (local disk, object store + memory, object store alone)",
            one[run - 1],
            two[run - 1],
            one_two_workers[run - 1],
            local[run - 1],
            memory[run - 1],
            store[run - 1]
        );
    }
    let (one, two, one_two_workers) = (median(one), median(two), median(one_two_workers));
    let (local, memory, store) = (median(local), median(memory), median(store));
    println!("batch of {EPISODES} episodes, medians of {runs} runs:");
    println!("  1 replica, 1 worker        {one:6.1} episodes/min  1.00");
    println!("  2 replicas, 1 worker each  {two:6.1} episodes/min  {:.2}", two / one);
    println!("  1 replica, 2 workers       {one_two_workers:6.1} episodes/min  {:.2}", one_two_workers / one);
    println!("cached paragraph requests ({CLIENTS} clients), medians of {runs} runs:");
    println!("  local disk                 {local:6.0} requests/s  1.00");
    println!("  object store + memory      {memory:6.0} requests/s  {:.2}", memory / local);
    println!("  object store alone         {store:6.0} requests/s  {:.2}", store / local);
}
