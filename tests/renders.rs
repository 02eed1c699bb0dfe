//! Renders made once and followed while they grow: the audio and timeline
//! of a document part come from one pass, readers join a render in
//! progress instead of starting another, and a page view synthesizes
//! nothing. Progress is proved with the pool's counters and the render's
//! own state, never with wall time.

mod common;

use common::server::TestServer;
use reqwest::header;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;

/// A document of `paragraphs` paragraphs of two sentences each, every
/// sentence different (so none is served from another's cache entry).
fn long_text(paragraphs: usize) -> String {
    (0..paragraphs)
        .map(|i| {
            format!("This is paragraph number {i} of the long statement. It names item {i} and then item {}.", i + 7)
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

async fn create(server: &TestServer, text: &str) -> Value {
    let response = server.client.post(server.url("/v1/documents")).json(&json!({ "text": text })).send().await.unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn progress(server: &TestServer, id: &str) -> Value {
    server.get_json(&format!("/v1/documents/{id}/progress")).await
}

fn completed(server: &TestServer) -> u64 {
    server.pipeline.pool().stats().jobs_completed.load(Ordering::SeqCst)
}

/// Reads NDJSON timeline lines until the `end` line.
async fn timeline_lines(server: &TestServer, path: &str) -> Vec<Value> {
    let response = server.client.get(server.url(path)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/x-ndjson");
    let text = response.text().await.unwrap();
    text.lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

#[tokio::test]
async fn a_page_view_synthesizes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path().to_path_buf(), 1).await;
    let doc = create(&server, &long_text(6)).await;
    let id = doc["id"].as_str().unwrap();
    let before = completed(&server);
    let page = server.client.get(server.url(&format!("/d/{id}"))).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<span class="w" data-at="0">This</span>"#), "words are marked for highlighting");
    let document = server.client.get(server.url(&format!("/v1/documents/{id}"))).send().await.unwrap();
    assert_eq!(document.status(), 200);
    let seen = progress(&server, id).await;
    assert_eq!(seen["synthesized"], 0, "{seen}");
    assert_eq!(seen["renders_in_progress"], 0, "{seen}");
    assert_eq!(completed(&server), before, "the worker pool did no work");
}

#[tokio::test]
async fn first_audio_arrives_while_the_render_is_still_being_made() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path().to_path_buf(), 1).await;
    let doc = create(&server, &long_text(120)).await;
    let id = doc["id"].as_str().unwrap();
    // Chromium's first request for an <audio src>.
    let url = server.url(&format!("/v1/documents/{id}/audio.wav"));
    let mut response = server.client.get(&url).header(header::RANGE, "bytes=0-").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-herald-render"], "in-progress");
    let first = response.chunk().await.unwrap().expect("first audio");
    assert_eq!(&first[..4], b"RIFF");
    let seen = progress(&server, id).await;
    let sentences = seen["sentences"].as_u64().unwrap();
    assert_eq!(sentences, 240);
    assert!(seen["synthesized"].as_u64().unwrap() < sentences, "audio came before the render was done: {seen}");
    assert_eq!(seen["renders_in_progress"], 1, "{seen}");
    // The rest follows, and the render is then stored whole.
    let mut bytes = first.to_vec();
    while let Some(chunk) = response.chunk().await.unwrap() {
        bytes.extend_from_slice(&chunk);
    }
    let stored = server.client.get(&url).send().await.unwrap();
    assert_eq!(stored.headers()[header::ACCEPT_RANGES], "bytes");
    let stored = stored.bytes().await.unwrap();
    assert_eq!(stored.len(), bytes.len());
    assert_eq!(stored[44..], bytes[44..], "the stream and the stored render are the same audio");
}

#[tokio::test]
async fn readers_of_one_part_share_one_render_and_its_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path().to_path_buf(), 1).await;
    let doc = create(&server, &long_text(30)).await;
    let id = doc["id"].as_str().unwrap();
    let before = completed(&server);
    let audio_url = server.url(&format!("/v1/documents/{id}/audio.wav"));
    let timeline_path = format!("/v1/documents/{id}/timeline.ndjson");
    let (first, second, lines) = tokio::join!(
        async { server.client.get(&audio_url).send().await.unwrap().bytes().await.unwrap() },
        async { server.client.get(&audio_url).send().await.unwrap().bytes().await.unwrap() },
        timeline_lines(&server, &timeline_path),
    );
    // One may have followed the render, the other read it stored (with its final header).
    assert_eq!(first[44..], second[44..]);
    assert_eq!(completed(&server) - before, 60, "each sentence synthesized once");
    let sentences: Vec<&Value> = lines.iter().filter(|l| l["type"] == "sentence").collect();
    assert_eq!(sentences.len(), 60);
    let end = lines.last().unwrap();
    assert_eq!(end["type"], "end", "{end}");
    let seconds = (first.len() - 44) as f64 / 2.0 / 22050.0;
    assert!((end["duration"].as_f64().unwrap() - seconds).abs() < 0.01, "{end} vs {seconds} s of audio");
    let starts: Vec<f64> = sentences.iter().map(|s| s["start"].as_f64().unwrap()).collect();
    assert!(starts.windows(2).all(|w| w[0] < w[1]), "sentences in order");
    assert!(sentences.iter().all(|s| !s["words"].as_array().unwrap().is_empty()));

    // Stored now: timings come from the render, never from speaking again.
    let hits = server.pipeline.segment_cache().hits.load(Ordering::SeqCst);
    let timings = server.get_json(&format!("/v1/documents/{id}/timings.json")).await;
    assert_eq!(timings["paragraphs"].as_array().unwrap().len(), 30);
    assert_eq!(timings["duration"], end["duration"]);
    let again = timeline_lines(&server, &timeline_path).await;
    assert_eq!(again, lines, "the stored timeline is the one that was streamed");
    assert_eq!(server.pipeline.segment_cache().hits.load(Ordering::SeqCst), hits, "no segment was read again");
    assert_eq!(completed(&server) - before, 60);
}

#[tokio::test]
async fn a_paragraph_renders_on_its_own_and_its_timeline_starts_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path().to_path_buf(), 1).await;
    let doc = create(&server, &long_text(40)).await;
    let id = doc["id"].as_str().unwrap();
    let before = completed(&server);
    let lines = timeline_lines(&server, &format!("/v1/documents/{id}/paragraphs/25/timeline.ndjson")).await;
    assert_eq!(lines.len(), 3, "two sentences, then the end: {lines:?}");
    assert!(lines[..2].iter().all(|l| l["paragraph"] == 25 && l["type"] == "sentence"));
    assert_eq!(completed(&server) - before, 2, "only paragraph 25 was synthesized");
    // Its audio is the render the timeline made.
    let audio =
        server.client.get(server.url(&format!("/v1/documents/{id}/paragraphs/25/audio.wav"))).send().await.unwrap();
    assert_eq!(audio.headers()[header::ACCEPT_RANGES], "bytes");
    let audio = audio.bytes().await.unwrap();
    let seconds = (audio.len() - 44) as f64 / 2.0 / 22050.0;
    assert!((lines[2]["duration"].as_f64().unwrap() - seconds).abs() < 0.01);
    assert_eq!(completed(&server) - before, 2);
    let missing = server
        .client
        .get(server.url(&format!("/v1/documents/{id}/paragraphs/40/timeline.ndjson")))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.headers()[header::CONTENT_TYPE], "application/problem+json");
}
