//! Streaming under concurrency: order, single-flight, admission control,
//! fairness and a bounded 100-stream load run, on real servers and workers.

mod common;

use common::server::TestServer;
use common::{pipeline, speak_all, STATEMENT};
use herald::document::InputFormat;
use herald::engine::MarkKind;
use herald::settings::Settings;
use herald::speech::{SpeechEvent, SpeechOptions};
use serde_json::json;
use std::sync::atomic::Ordering;
use std::time::Duration;

#[tokio::test]
async fn sentences_of_very_different_cost_stream_in_plan_order() {
    let (pipeline, _cache) = pipeline(2).await;
    let long = "This sentence is deliberately long, and it goes on and on about the weather, the harbour, the ships, the market, \
                the bakery, the library, the museum, the river, the bridge, the station and the park, so that it takes far longer \
                to synthesize than its neighbours do.";
    let text = format!("Short one. {long} Tiny. {long} Done.");
    let plan = pipeline.plan(&text, InputFormat::Text, &SpeechOptions::default()).unwrap();
    let utterances = plan.utterances();
    assert_eq!(utterances.len(), 5);
    let out = speak_all(&pipeline, utterances.clone()).await;
    assert_eq!(out.skipped().count(), 0);
    let starts: Vec<(usize, u64)> = out
        .events
        .iter()
        .filter_map(|e| match e {
            SpeechEvent::Utterance { index, start_sample, .. } => Some((*index, *start_sample)),
            _ => None,
        })
        .collect();
    assert_eq!(starts.iter().map(|s| s.0).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
    // Each utterance's audio span matches that sentence alone, and its marks
    // fall inside its span and name its own words.
    let mut bounds: Vec<u64> = starts.iter().map(|s| s.1).collect();
    bounds.push(out.samples.len() as u64);
    for (i, utterance) in utterances.iter().enumerate() {
        let alone = speak_all(&pipeline, vec![utterance.clone()]).await.samples.len() as f64;
        let span = (bounds[i + 1] - bounds[i]) as f64;
        assert!((span - alone).abs() / alone < 0.02, "utterance {i}: {span} samples in the stream, {alone} alone");
        for event in &out.events {
            if let SpeechEvent::Mark { index, mark } = event {
                if *index == i && mark.kind == MarkKind::Word {
                    assert!((bounds[i]..=bounds[i + 1]).contains(&mark.sample), "mark of {i} outside its span");
                    assert!(mark.text_offset < utterance.text.chars().count() as u32);
                }
            }
        }
    }
}

#[tokio::test]
async fn concurrent_requests_for_the_same_text_synthesize_it_once() {
    let (pipeline, _cache) = pipeline(2).await;
    let plan = pipeline.plan(STATEMENT, InputFormat::Text, &SpeechOptions::default()).unwrap();
    let utterances = plan.utterances();
    let runs = futures::future::join_all((0..4).map(|_| speak_all(&pipeline, utterances.clone()))).await;
    let completed = pipeline.pool().stats().jobs_completed.load(Ordering::SeqCst);
    assert_eq!(completed, utterances.len() as u64, "each sentence synthesized once");
    for run in &runs {
        assert_eq!(run.skipped().count(), 0);
        assert_eq!(run.samples.len(), runs[0].samples.len());
    }
}

#[tokio::test]
async fn a_full_queue_answers_503_and_accepted_requests_complete() {
    let dir = tempfile::tempdir().unwrap();
    let settings = {
        let mut s = Settings::default();
        s.synthesis.workers = 1;
        s.synthesis.queue_capacity = 1;
        s.synthesis.lookahead = 2;
        s.cache.dir = dir.path().to_path_buf();
        s.neural.enabled = false;
        s
    };
    let server = TestServer::start_with(settings).await;
    let requests = (0..8).map(|i| {
        let client = server.client.clone();
        let url = server.url("/v1/speech");
        async move {
            let text = format!("Request number {i} asks for a few sentences. Each one is new. None is cached yet. That keeps the queue full.");
            let response = client.post(url).json(&json!({ "text": text })).send().await.unwrap();
            let status = response.status().as_u16();
            let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
            let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
            (status, retry_after, content_type, response.bytes().await.unwrap().len(), text)
        }
    });
    let results = futures::future::join_all(requests).await;
    let refused: Vec<_> = results.iter().filter(|r| r.0 == 503).collect();
    let accepted: Vec<_> = results.iter().filter(|r| r.0 == 200).collect();
    assert_eq!(refused.len() + accepted.len(), results.len(), "{:?}", results.iter().map(|r| r.0).collect::<Vec<_>>());
    assert!(!refused.is_empty(), "a queue of one must refuse some of 8 concurrent requests");
    assert!(!accepted.is_empty());
    for r in &refused {
        assert_eq!(r.1.as_deref(), Some("1"));
        assert_eq!(r.2, "application/problem+json");
    }
    // Every accepted stream is complete: the same length as the text alone.
    for r in &accepted {
        let alone = server.client.post(server.url("/v1/speech")).json(&json!({ "text": r.4 })).send().await.unwrap();
        assert_eq!(alone.headers()["x-herald-cache"], "hit");
        assert_eq!(alone.bytes().await.unwrap().len(), r.3);
    }
}

#[tokio::test]
async fn a_short_request_is_not_stuck_behind_a_long_document() {
    use tokio::io::AsyncReadExt;
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path().to_path_buf(), 1).await;
    // A long document whose client reads slowly keeps its stream open...
    let mut slow = server.slow_reader("/v1/speech", &json!({ "text": STATEMENT.repeat(20) })).await;
    let mut buffer = [0u8; 4096];
    assert!(slow.read(&mut buffer).await.unwrap() > 0);
    // ...while a short request on the single worker is served in full.
    let before = server.jobs_completed();
    let short = server.speak("Just this, please.").await;
    assert_eq!(short.status(), 200);
    assert!(short.bytes().await.unwrap().len() > 10_000);
    let long_utterances = 18 * 20;
    assert!(server.jobs_completed() - before < long_utterances / 4, "the short request waited for the long document");
    drop(slow);
}

#[tokio::test]
async fn a_hundred_concurrent_streams_all_complete() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path().to_path_buf(), 2).await;
    let paragraphs: Vec<&str> = STATEMENT.lines().filter(|l| l.len() > 100).collect();
    let texts: Vec<String> = (0..5).map(|i| format!("Stream group {i}. {}", paragraphs[i])).collect();
    // Reference lengths, one at a time.
    let mut expected = Vec::new();
    for text in &texts {
        let response = server.speak(text).await;
        expected.push(response.bytes().await.unwrap().len());
    }
    let streams = (0..100).map(|i| {
        let client = server.client.clone();
        let url = server.url("/v1/speech");
        let text = texts[i % texts.len()].clone();
        async move {
            let response =
                tokio::time::timeout(Duration::from_secs(60), client.post(url).json(&json!({ "text": text })).send())
                    .await;
            let response = response.expect("stream timed out").unwrap();
            (i, response.status().as_u16(), response.bytes().await.unwrap().len())
        }
    });
    let results = futures::future::join_all(streams).await;
    for (i, status, length) in results {
        assert_eq!(status, 200, "stream {i}");
        assert_eq!(length, expected[i % texts.len()], "stream {i} incomplete");
    }
    assert_eq!(server.pipeline.pool().stats().jobs_failed.load(Ordering::SeqCst), 0);
}
