//! `/v1/batches` on the real `herald serve` binary: a podcast batch over
//! HTTP, polled to the end, its files downloaded and checked, and a server
//! restarted in the middle of a job that then completes.

mod common;

use common::audio::decode;
use common::process::HeraldProcess;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn request(documents: Value) -> Value {
    json!({
        "show": {
            "title": "Statements over HTTP",
            "author": "Press Office",
            "description": "Made by a batch job.",
            "language": "en",
            "image": "https://cdn.example/cover.jpg",
            "category": "News",
            "explicit": false
        },
        "documents": documents
    })
}

fn documents() -> Value {
    let body: Vec<&str> = common::STATEMENT.split("\n\n").collect();
    json!([
        { "name": "joint-statement.txt", "text": common::STATEMENT },
        { "name": "excerpt.md", "text": format!("# An excerpt\n\n{}\n\n{}", body[5], body[6]) },
        { "name": "page.html", "text": format!("<main><h1>A page</h1><p>{}</p></main>", body[7]) },
    ])
}

async fn poll_until_done(client: &reqwest::Client, url: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let response = client.get(url).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let status: Value = response.json().await.unwrap();
        assert!(status["done"].as_u64() <= status["total"].as_u64(), "{status}");
        if status["state"] == "done" {
            return status;
        }
        assert!(Instant::now() < deadline, "the batch did not finish: {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_batch_over_http_survives_a_restart_and_serves_its_files() {
    let cache = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let server = HeraldProcess::start(cache.path(), 2);
    let response = client.post(format!("{}/v1/batches", server.base)).json(&request(documents())).send().await.unwrap();
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/v1/batches/"), "{location}");
    let accepted: Value = response.json().await.unwrap();
    assert_eq!((accepted["total"].as_u64(), accepted["episodes"].as_array().unwrap().len()), (Some(3), 3));
    // Restart at once: the job is stored and resumes with the new server.
    // (The feed's URLs keep the address the batch was posted to.)
    let posted_to = server.base.trim_start_matches("http://").to_string();
    drop(server);
    let server = HeraldProcess::start(cache.path(), 2);
    let url = format!("{}{location}", server.base);
    let status = poll_until_done(&client, &url).await;
    assert_eq!((status["done"].as_u64(), status["failed"].as_u64()), (Some(3), Some(0)), "{status}");
    let slugs: Vec<&str> = status["episodes"].as_array().unwrap().iter().map(|e| e["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs, ["joint-statement", "excerpt", "page"]);

    // Downloads: the episode decodes; the feed points at this server's files.
    let episode = &status["episodes"][0];
    let mp3 = client.get(format!("{}{}", server.base, episode["files"]["mp3"].as_str().unwrap())).send().await.unwrap();
    assert_eq!(mp3.status(), 200);
    assert_eq!(mp3.headers()["content-type"], "audio/mpeg");
    let mp3 = mp3.bytes().await.unwrap();
    let decoded = decode(&mp3, "mp3");
    assert_eq!((decoded.rate, decoded.channels), (44100, 1));
    assert!(decoded.seconds() > 60.0, "{} s", decoded.seconds());
    let chapters =
        client.get(format!("{}{}", server.base, episode["files"]["chapters"].as_str().unwrap())).send().await;
    let chapters: Value = chapters.unwrap().json().await.unwrap();
    assert_eq!(chapters["chapters"][0]["startTime"], 0.0);
    let feed = client.get(format!("{}{}", server.base, status["feed_url"].as_str().unwrap())).send().await.unwrap();
    assert_eq!(feed.headers()["content-type"], "application/rss+xml; charset=utf-8");
    let feed = feed.text().await.unwrap();
    assert_eq!(feed.matches("<item>").count(), 3);
    let enclosure =
        format!("url=\"http://{posted_to}{location}/files/episodes/joint-statement.mp3\" length=\"{}\"", mp3.len());
    assert!(feed.contains(&enclosure), "{enclosure} in {feed}");

    // Another restart: the finished job is still there.
    drop(server);
    let server = HeraldProcess::start(cache.path(), 1);
    let again: Value = client.get(format!("{}{location}", server.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!((again["state"].as_str(), again["done"].as_u64()), (Some("done"), Some(3)), "{again}");
    let vtt = client.get(format!("{}{location}/files/episodes/page.vtt", server.base)).send().await.unwrap();
    assert_eq!(vtt.status(), 200);
    assert!(vtt.text().await.unwrap().starts_with("WEBVTT"));
}

#[tokio::test]
async fn bad_batches_are_refused_as_problems() {
    let cache = tempfile::tempdir().unwrap();
    let server = HeraldProcess::start(cache.path(), 1);
    let client = reqwest::Client::new();
    let url = format!("{}/v1/batches", server.base);
    let mut no_title = request(documents());
    no_title["show"]["title"] = json!("");
    let cases = [
        (request(json!([])), 422, "at least one document"),
        (request(json!([{ "name": "blank.txt", "text": " \n " }])), 400, "blank.txt"),
        (no_title, 422, "title"),
        (json!({ "documents": [] }), 422, "show"),
        (request(json!([{ "text": "Hi.", "colour": "red" }])), 422, "colour"),
    ];
    for (body, status, detail) in cases {
        let response = client.post(&url).json(&body).send().await.unwrap();
        assert_eq!(response.status(), status, "{body}");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        let problem: Value = response.json().await.unwrap();
        assert!(problem["detail"].as_str().unwrap().contains(detail), "{problem}");
    }
    let text = client.post(&url).header("content-type", "text/plain").body("hello").send().await.unwrap();
    assert_eq!(text.status(), 415);
    let malformed = client.post(&url).header("content-type", "application/json").body("{").send().await.unwrap();
    assert_eq!(malformed.status(), 400);
    for path in ["/v1/batches/0123456789abcdef0123456789abcdef", "/v1/batches/..%2F..", "/v1/batches/x/files/feed.xml"]
    {
        let response = client.get(format!("{}{path}", server.base)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
}
