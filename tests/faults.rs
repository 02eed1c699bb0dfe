//! Engine faults and process lifecycle: crashing, hung, refusing and
//! garbage-emitting engines (the test-only fault engine, plus one real
//! libespeak-ng crash), abandoned streams, `kill -9` of the server
//! mid-write, corrupt cache entries. Assertions are on counters and events.

mod common;

use common::process::HeraldProcess;
use common::server::TestServer;
use common::STATEMENT;
use herald::document::InputFormat;
use herald::engine::pool::Pool;
use herald::settings::Settings;
use herald::speech::SpeechOptions;
use herald::voice::VoiceId;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A server whose test-only engine misbehaves on command (voice `fault:test`).
async fn fault_server(dir: &std::path::Path, workers: usize, deadline_secs: u64) -> TestServer {
    TestServer::start_with({
        let mut s = Settings::default();
        s.synthesis.workers = workers;
        s.synthesis.utterance_deadline_secs = deadline_secs;
        s.cache.dir = dir.to_path_buf();
        s.neural.enabled = false;
        s.fault_engine = true;
        s
    })
    .await
}

fn fault_pool(server: &TestServer) -> &Pool {
    server.pipeline.pools().find(|p| p.hello().info.id == "fault").expect("the fault engine runs")
}

async fn speak_with_fault(server: &TestServer, text: &str) -> reqwest::Response {
    let body = json!({ "text": text, "voice": "fault:test" });
    server.client.post(server.url("/v1/speech")).json(&body).send().await.unwrap()
}

/// The live workers' process ids, once `count` are registered.
async fn worker_pids(pool: &Pool, count: usize) -> Vec<i32> {
    for _ in 0..500 {
        let pids = pool.stats().worker_pids.lock().unwrap().clone();
        if pids.len() == count {
            return pids.values().map(|&p| p as i32).collect();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{count} workers never came up");
}

/// The one test that needs libespeak-ng itself to crash (1.51, as Debian
/// 12 ships it, aborts on "a." × 100); every other crash is the fault
/// engine's, on command.
#[tokio::test]
async fn a_real_engine_crash_fails_one_request_and_the_worker_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path().to_path_buf(), 1).await;
    // libespeak-ng 1.51 aborts the process on this input (stack smashing).
    let response = server.speak(&"a.".repeat(100)).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("crashed"), "{body}");
    let ok = server.speak("Still speaking clearly.").await;
    assert_eq!(ok.status(), 200);
    assert!(ok.bytes().await.unwrap().len() > 20_000);
    assert_eq!(server.pipeline.pool().stats().worker_restarts.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_crashing_sentence_fails_alone_and_the_pool_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let server = fault_server(dir.path(), 1, 10).await;
    let options = SpeechOptions { voice: Some(VoiceId::parse("fault:test").unwrap()), ..SpeechOptions::default() };
    let plan = server.pipeline.plan("crash here. The next sentence is fine.", InputFormat::Text, &options).unwrap();
    let out = common::speak_all(&server.pipeline, plan.utterances()).await;
    let skipped: Vec<_> = out.skipped().collect();
    assert_eq!(skipped.len(), 1);
    assert!(skipped[0].1.to_string().contains("crashed"), "{}", skipped[0].1);
    assert!(out.samples.len() > 1_000, "the next sentence is spoken by the replacement worker");
    let stats = fault_pool(&server).stats();
    assert_eq!(stats.worker_restarts.load(Ordering::SeqCst), 1);
    assert_eq!(stats.live_workers.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_hundred_crashing_inputs_in_a_row_leave_the_server_healthy() {
    let dir = tempfile::tempdir().unwrap();
    let server = fault_server(dir.path(), 2, 10).await;
    let crashers = ["crash one", "crash two", "crash three"];
    for i in 0..100 {
        let response = speak_with_fault(&server, crashers[i % crashers.len()]).await;
        assert_eq!(response.status(), 422, "request {i}");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        let body: Value = response.json().await.unwrap();
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains("crashed"), "request {i}: {detail}");
    }
    let stats = fault_pool(&server).stats();
    // Each text crashed a worker twice, then was quarantined.
    assert_eq!(stats.worker_restarts.load(Ordering::SeqCst), 6);
    assert_eq!(stats.jobs_quarantined.load(Ordering::SeqCst), 94);
    assert_eq!(server.client.get(server.url("/healthz")).send().await.unwrap().status(), 200);
    let ok = speak_with_fault(&server, "still speaking after all that").await;
    assert_eq!(ok.status(), 200);
    assert!(ok.bytes().await.unwrap().len() > 4 * 2_205 * 2);
    let metrics = server.client.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("herald_synthesis_jobs_quarantined_total 94"), "{metrics}");
}

#[tokio::test]
async fn a_hung_worker_is_killed_at_the_deadline_and_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let server = fault_server(dir.path(), 1, 1).await;
    let pool = fault_pool(&server);
    let before = worker_pids(pool, 1).await;
    let response = speak_with_fault(&server, "hang until killed").await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("longer than"), "{body}");
    let ok = speak_with_fault(&server, "the replacement answers").await;
    assert_eq!(ok.status(), 200);
    let after = worker_pids(pool, 1).await;
    assert!(!after.contains(&before[0]), "the hung worker is gone");
    assert_eq!(pool.stats().worker_restarts.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn refused_and_garbage_output_are_contained() {
    let dir = tempfile::tempdir().unwrap();
    let server = fault_server(dir.path(), 1, 10).await;
    let refused = speak_with_fault(&server, "fail on this one").await;
    assert_eq!(refused.status(), 422);
    let body: Value = refused.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("refused on command"), "{body}");
    // Marks far outside the text and the audio: the audio is served, and
    // the document's timeline stays well formed.
    let garbage = speak_with_fault(&server, "garbage in").await;
    assert_eq!(garbage.status(), 200);
    assert_eq!(garbage.bytes().await.unwrap().len(), 44 + 2_205 * 2);
    let doc =
        server.post_json("/v1/documents", &json!({ "text": "garbage in. Then words.", "voice": "fault:test" })).await;
    let timings = server
        .client
        .get(server.url(&format!("/v1/documents/{}/timings.json", doc["id"].as_str().unwrap())))
        .send()
        .await
        .unwrap();
    assert_eq!(timings.status(), 200);
    let timings: Value = timings.json().await.unwrap();
    let sentences = timings["paragraphs"][0]["sentences"].as_array().unwrap();
    assert_eq!(sentences.len(), 2, "{timings}");
    assert_eq!(fault_pool(&server).stats().worker_restarts.load(Ordering::SeqCst), 0);
}

/// Waits until no worker is busy, nothing is queued and at least
/// `cancelled` jobs were cancelled; fails if that takes over 10 s.
async fn settle(pool: &Pool, cancelled: u64) {
    let stats = pool.stats();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let busy = stats.busy_workers.load(Ordering::SeqCst);
        let (queued, done) = (pool.queue_depth(), stats.jobs_cancelled.load(Ordering::SeqCst));
        if busy == 0 && queued == 0 && done >= cancelled {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "not settled: {busy} busy, {queued} queued, {done} of {cancelled} cancelled"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Reads a WAV response until audio past the header has arrived.
async fn first_audio(response: &mut reqwest::Response) {
    let mut bytes = 0;
    while bytes <= 44 {
        bytes += response.chunk().await.unwrap().expect("audio before the end").len();
    }
}

#[tokio::test]
async fn an_abandoned_stream_stops_its_queued_and_running_work() {
    let dir = tempfile::tempdir().unwrap();
    let server = fault_server(dir.path(), 1, 10).await;
    let pool = fault_pool(&server);
    let sentences: Vec<String> = (0..12).map(|i| format!("slow 200 sentence number {i} here.")).collect();
    let mut response = speak_with_fault(&server, &sentences.join("\n\n")).await;
    assert_eq!(response.status(), 200);
    first_audio(&mut response).await;
    drop(response);
    // Counters, not time: the work in flight and queued is cancelled.
    settle(pool, 1).await;
    let stats = pool.stats();
    let (completed, cancelled) =
        (stats.jobs_completed.load(Ordering::SeqCst), stats.jobs_cancelled.load(Ordering::SeqCst));
    assert!(cancelled > 0, "nothing was cancelled ({completed} completed)");
    assert!(completed < 12 / 2, "{completed} of 12 sentences were completed for nobody");
}

#[tokio::test]
async fn a_cancel_stops_the_synthesis_in_progress_inside_the_worker() {
    let dir = tempfile::tempdir().unwrap();
    // A deadline far beyond the test: only a cancel can free the worker.
    let server = fault_server(dir.path(), 1, 120).await;
    let pool = fault_pool(&server);
    let pids = worker_pids(pool, 1).await;
    // The second sentence synthesizes nothing until cancelled, like a long
    // inference; the first one's audio has started the response.
    let mut response = speak_with_fault(&server, "first sentence.\n\nblock until the listener leaves.").await;
    assert_eq!(response.status(), 200);
    first_audio(&mut response).await;
    let stats = pool.stats();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (completed, busy) =
            (stats.jobs_completed.load(Ordering::SeqCst), stats.busy_workers.load(Ordering::SeqCst));
        if completed >= 1 && busy > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the second sentence never started: {completed} completed, {busy} busy");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    drop(response);
    settle(pool, 1).await;
    let counters = |s: &herald::engine::pool::PoolStats| {
        [&s.jobs_cancelled, &s.jobs_completed, &s.jobs_failed, &s.worker_restarts].map(|c| c.load(Ordering::SeqCst))
    };
    assert_eq!(counters(stats), [1, 1, 0, 0], "cancelled, completed, failed, restarts");
    assert_eq!(stats.busy_workers.load(Ordering::SeqCst), 0, "the worker is still blocked");
    // The same worker process speaks the next text.
    let next = speak_with_fault(&server, "next text please.").await;
    assert_eq!(next.status(), 200);
    assert!(next.bytes().await.unwrap().len() > 44);
    assert_eq!(worker_pids(pool, 1).await, pids);
}

#[tokio::test]
async fn a_new_request_goes_ahead_of_queued_look_ahead() {
    let dir = tempfile::tempdir().unwrap();
    let server = fault_server(dir.path(), 1, 30).await;
    let pool = fault_pool(&server);
    // A long text (a paragraph per sentence, ~0.75 s each) whose look-ahead
    // fills the queue.
    let sentences: Vec<String> = (0..10).map(|i| format!("slow 150 sentence {i} here.")).collect();
    let mut long = speak_with_fault(&server, &sentences.join("\n\n")).await;
    first_audio(&mut long).await;
    for _ in 0..500 {
        if pool.queue_depth() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(pool.queue_depth() >= 2, "no look-ahead queued ({} queued)", pool.queue_depth());
    let completed = || pool.stats().jobs_completed.load(Ordering::SeqCst);
    let before = completed();
    let mut next = speak_with_fault(&server, "the next text.").await;
    first_audio(&mut next).await;
    // The new request waited for the sentence in progress and at most the
    // one its stream was waiting for, not for the queued look-ahead.
    let first = completed() - before;
    assert!(first <= 2, "{first} look-ahead sentences were synthesized first");
    drop(long);
}

#[tokio::test]
async fn a_wyoming_client_that_disconnects_cancels_its_synthesis() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let server = fault_server(dir.path(), 1, 30).await;
    let pool = fault_pool(&server);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let wyoming = tokio::spawn(herald::wyoming::run(listener, Arc::clone(&server.pipeline), std::future::pending()));
    let sentences: Vec<String> = (0..8).map(|i| format!("slow 200 sentence {i} here.")).collect();
    let data = json!({ "text": sentences.join("\n\n"), "voice": { "name": "fault:test" } }).to_string();
    let mut connection = tokio::net::TcpStream::connect(address).await.unwrap();
    let event = format!("{{\"type\":\"synthesize\",\"data_length\":{}}}\n{data}", data.len());
    connection.write_all(event.as_bytes()).await.unwrap();
    let mut reader = tokio::io::BufReader::new(connection);
    let mut line = String::new();
    while !line.contains("audio-chunk") {
        line.clear();
        assert!(reader.read_line(&mut line).await.unwrap() > 0, "the connection ended before audio");
    }
    drop(reader);
    settle(pool, 1).await;
    let stats = pool.stats();
    let (completed, cancelled) =
        (stats.jobs_completed.load(Ordering::SeqCst), stats.jobs_cancelled.load(Ordering::SeqCst));
    assert!(cancelled > 0 && completed < 8 / 2, "{completed} completed, {cancelled} cancelled");
    wyoming.abort();
}

#[tokio::test]
async fn kill_9_mid_write_never_leaves_a_torn_file() {
    let cache = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let long = STATEMENT.repeat(4).replace("Joint statement", "Long statement");
    let (id, expected) = {
        let mut server = HeraldProcess::start(cache.path(), 1);
        let doc: Value = client
            .post(format!("{}/v1/documents", server.base))
            .json(&json!({ "text": long }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = doc["id"].as_str().unwrap().to_string();
        let paragraphs = doc["paragraphs"].as_array().unwrap().len();
        // Some segments are cached (one paragraph in full)...
        let part =
            client.get(format!("{}/v1/documents/{id}/paragraphs/3/audio.wav", server.base)).send().await.unwrap();
        assert_eq!(part.status(), 200);
        part.bytes().await.unwrap();
        // ...then the whole document starts streaming (its render is being written)...
        let mut response = client.get(format!("{}/v1/documents/{id}/audio.wav", server.base)).send().await.unwrap();
        response.chunk().await.unwrap();
        // ...and kill the server without warning.
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        (id, paragraphs)
    };
    // Nothing half-written was published.
    let renders = cache.path().join("renders").join(&id);
    if renders.exists() {
        for entry in std::fs::read_dir(&renders).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            assert!(!name.contains("-all."), "a render was published from a killed stream: {name}");
        }
    }
    // Corrupt one cached segment too: it must be regenerated, not served.
    let segment = walk(&cache.path().join("segments")).into_iter().next().expect("some segments were cached");
    let mut bytes = std::fs::read(&segment).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&segment, bytes).unwrap();

    let server = HeraldProcess::start(cache.path(), 1);
    let doc: Value =
        client.get(format!("{}/v1/documents/{id}", server.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["paragraphs"].as_array().unwrap().len(), expected);
    let audio =
        client.get(format!("{}/v1/documents/{id}/audio.wav", server.base)).send().await.unwrap().bytes().await.unwrap();
    let samples = (audio.len() - 44) / 2;
    let seconds = samples as f64 / 22050.0;
    assert!(seconds > 4.0 * 100.0, "{seconds} s: the document audio is incomplete");
    let metrics = client.get(format!("{}/metrics", server.base)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("herald_cache_corrupt_total 1"), "{metrics}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "seg") {
            files.push(path);
        }
    }
    files
}

#[tokio::test]
async fn sigterm_finishes_in_flight_streams_then_exits() {
    let cache = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let mut server = HeraldProcess::start(cache.path(), 1);
    let mut response =
        client.post(format!("{}/v1/speech", server.base)).json(&json!({ "text": STATEMENT })).send().await.unwrap();
    let mut received = response.chunk().await.unwrap().unwrap().len();
    // SAFETY: kill(2) takes plain integers; a stale pid only gets an error back.
    unsafe { libc::kill(server.child.id() as i32, libc::SIGTERM) };
    // The stream in flight still completes...
    let rest = async {
        while let Some(chunk) = response.chunk().await.unwrap() {
            received += chunk.len();
        }
    };
    tokio::time::timeout(Duration::from_secs(120), rest).await.expect("the stream in flight ends after SIGTERM");
    let seconds = (received - 44) as f64 / 2.0 / 22050.0;
    assert!((100.0..200.0).contains(&seconds), "{seconds} s: the stream was cut by the shutdown");
    // ...new connections are refused, and the process exits cleanly.
    let mut status = None;
    for _ in 0..100 {
        status = server.child.try_wait().unwrap();
        if status.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status.map(|s| s.success()), Some(true), "herald did not exit cleanly after SIGTERM");
    assert!(client.get(format!("{}/healthz", server.base)).send().await.is_err());
}
