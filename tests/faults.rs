//! Engine faults and process lifecycle: crashing inputs, hung workers,
//! `kill -9` of the server mid-write, corrupt cache entries.

mod common;

use common::process::HeraldProcess;
use common::server::TestServer;
use common::STATEMENT;
use herald::settings::Settings;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::time::Duration;

#[tokio::test]
async fn a_hundred_crashing_inputs_in_a_row_leave_the_server_healthy() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path().to_path_buf(), 2).await;
    let crashers = ["a.".repeat(100), "'s".repeat(100), "s'".repeat(80)];
    for i in 0..100 {
        let text = &crashers[i % crashers.len()];
        let response = server.speak(text).await;
        assert_eq!(response.status(), 422, "request {i}");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        let body: Value = response.json().await.unwrap();
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains("crashed"), "request {i}: {detail}");
    }
    let stats = server.pipeline.pool().stats();
    // Each text crashed a worker twice, then was quarantined.
    assert_eq!(stats.worker_restarts.load(Ordering::SeqCst), 6);
    assert_eq!(stats.jobs_quarantined.load(Ordering::SeqCst), 94);
    assert_eq!(server.client.get(server.url("/healthz")).send().await.unwrap().status(), 200);
    let ok = server.speak("Still speaking clearly.").await;
    assert_eq!(ok.status(), 200);
    assert!(ok.bytes().await.unwrap().len() > 20_000);
    let metrics = server.client.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("herald_synthesis_jobs_quarantined_total 94"), "{metrics}");
}

/// The live workers' process ids, once `count` are registered.
async fn worker_pids(server: &TestServer, count: usize) -> Vec<i32> {
    for _ in 0..200 {
        let pids = server.pipeline.pool().stats().worker_pids.lock().unwrap().clone();
        if pids.len() == count {
            return pids.values().map(|&p| p as i32).collect();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{count} workers never came up");
}

#[tokio::test]
async fn a_hung_worker_is_killed_at_the_deadline_and_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        workers: 1,
        utterance_deadline_secs: 1,
        cache_dir: dir.path().to_path_buf(),
        neural: false,
        ..Settings::default()
    };
    let server = TestServer::start_with(settings).await;
    let before = worker_pids(&server, 1).await;
    // Freeze the worker: to the pool it is a worker that hangs.
    unsafe { libc::kill(before[0], libc::SIGSTOP) };
    let started = std::time::Instant::now();
    let response = server.speak("Nobody answers this one.").await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("longer than"), "{body}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let ok = server.speak("The replacement answers.").await;
    assert_eq!(ok.status(), 200);
    assert!(ok.bytes().await.unwrap().len() > 20_000);
    let after = worker_pids(&server, 1).await;
    assert!(!after.contains(&before[0]), "the hung worker is gone");
    assert_eq!(server.pipeline.pool().stats().worker_restarts.load(Ordering::SeqCst), 1);
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
    unsafe { libc::kill(server.child.id() as i32, libc::SIGTERM) };
    // The stream in flight still completes...
    while let Some(chunk) = response.chunk().await.unwrap() {
        received += chunk.len();
    }
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
