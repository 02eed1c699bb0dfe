//! The HTTP service with a real server on a loopback port and real workers.

mod common;

use common::server::TestServer;
use common::STATEMENT;
use reqwest::header;
use scraper::{Html, Selector};
use serde_json::{json, Value};
use std::time::Duration;

async fn server() -> (TestServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (TestServer::start(dir.path().to_path_buf(), 2).await, dir)
}

async fn create_document(server: &TestServer, body: Value) -> Value {
    let response = server.client.post(server.url("/v1/documents")).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    response.json().await.unwrap()
}

fn wav_samples(bytes: &[u8]) -> usize {
    (bytes.len() - 44) / 2
}

#[tokio::test]
async fn speech_streams_before_synthesis_is_done() {
    let (server, _dir) = server().await;
    let utterances = 18;
    let mut stream = server.slow_reader("/v1/speech", &json!({ "text": STATEMENT })).await;
    let received = TestServer::read_until_audio(&mut stream).await;
    let head = String::from_utf8_lossy(&received);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.to_ascii_lowercase().contains("transfer-encoding: chunked"));
    // The first audio is here before synthesis of the statement is done.
    // (That a client who stops reading holds the rest back is pinned by a
    // counter in tests/pipeline.rs: planning runs a bounded way ahead.)
    let done = server.jobs_completed();
    assert!(done < utterances, "all {utterances} sentences were synthesized before the first audio left");
    let total = received.len() + TestServer::read_to_end(&mut stream).await;
    assert_eq!(server.jobs_completed(), utterances);
    let seconds = total as f64 / 2.0 / 22050.0;
    assert!((100.0..200.0).contains(&seconds), "{seconds} s");
}

#[tokio::test]
async fn identical_request_is_a_cache_hit_with_identical_bytes() {
    let (server, _dir) = server().await;
    let body = json!({ "text": "Caching makes the second request free. It is served from disk.", "rate": 220 });
    let first = server.client.post(server.url("/v1/speech")).json(&body).send().await.unwrap();
    assert_eq!(first.headers()["x-herald-cache"], "miss");
    let first = first.bytes().await.unwrap();
    let synthesized = server.jobs_completed();
    assert_eq!(synthesized, 2);
    let second = server.client.post(server.url("/v1/speech")).json(&body).send().await.unwrap();
    assert_eq!(second.headers()["x-herald-cache"], "hit");
    assert_eq!(second.bytes().await.unwrap(), first);
    assert_eq!(server.jobs_completed(), synthesized, "a hit must not synthesize");
    // One new sentence: partial.
    let partial = json!({ "text": "Caching makes the second request free. This sentence is new.", "rate": 220 });
    let third = server.client.post(server.url("/v1/speech")).json(&partial).send().await.unwrap();
    assert_eq!(third.headers()["x-herald-cache"], "partial");
    let pcm = server
        .client
        .post(server.url("/v1/speech"))
        .json(&json!({ "text": "Raw samples.", "format": "pcm" }))
        .send()
        .await
        .unwrap();
    assert!(pcm.headers()["content-type"].to_str().unwrap().starts_with("audio/L16"));
    let pcm = pcm.bytes().await.unwrap();
    assert!(pcm.len() > 10_000 && !pcm.starts_with(b"RIFF"));
}

#[tokio::test]
async fn documents_are_created_shown_and_stored() {
    let (server, _dir) = server().await;
    let doc = create_document(&server, json!({ "text": STATEMENT })).await;
    let id = doc["id"].as_str().unwrap();
    assert_eq!(id.len(), 32);
    assert_eq!(doc["title"], "Joint statement");
    assert_eq!(doc["html_url"], format!("/d/{id}"));
    assert_eq!(doc["audio_url"], format!("/v1/documents/{id}/audio.wav"));
    let paragraphs = doc["paragraphs"].as_array().unwrap();
    let body: Vec<&Value> = paragraphs.iter().filter(|p| p["role"] == "body").collect();
    assert_eq!(body.len(), 10);
    for p in paragraphs {
        assert_eq!(p["lang"], "en");
        assert_eq!(p["voice"], "espeak:en-us");
        assert!(!p["sentences"].as_array().unwrap().is_empty());
        assert_eq!(p["audio_url"], format!("/v1/documents/{id}/paragraphs/{}/audio.wav", p["index"]));
    }
    // Content-addressed: same text and options, same id; other options, other id.
    let again = create_document(&server, json!({ "text": STATEMENT })).await;
    assert_eq!(again["id"], id);
    let faster = create_document(&server, json!({ "text": STATEMENT, "rate": 300 })).await;
    assert_ne!(faster["id"], id);
    let shown: Value =
        server.client.get(server.url(&format!("/v1/documents/{id}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(shown, doc);
    // Raw Markdown body with options in the query string.
    let response = server
        .client
        .post(server.url("/v1/documents?rate=200"))
        .header("content-type", "text/markdown; charset=utf-8")
        .body("# Notes\n\nFirst *point* made here.\n\n- an item\n- another item")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let md: Value = response.json().await.unwrap();
    assert_eq!((md["title"].as_str(), md["rate"].as_u64()), (Some("Notes"), Some(200)));
    let roles: Vec<&str> = md["paragraphs"].as_array().unwrap().iter().map(|p| p["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["title", "body", "list_item", "list_item"]);
}

fn select<'a>(page: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    page.select(&Selector::parse(css).unwrap()).collect()
}

#[tokio::test]
async fn reader_page_carries_languages_and_escapes_text() {
    let (server, _dir) = server().await;
    let doc = create_document(&server, json!({ "text": STATEMENT })).await;
    let html =
        server.client.get(server.url(doc["html_url"].as_str().unwrap())).send().await.unwrap().text().await.unwrap();
    let page = Html::parse_document(&html);
    assert_eq!(select(&page, "html")[0].value().attr("lang"), Some("en"));
    assert_eq!(select(&page, "h1").len(), 1);
    assert_eq!(select(&page, "h1")[0].text().collect::<String>(), "Joint statement");
    let body = select(&page, "main [data-role=body] p[lang=en]");
    assert_eq!(body.len(), 10);
    assert!(select(&page, "main .para audio, main .para button").is_empty(), "no player per paragraph");
    assert_eq!(select(&page, "main audio[controls][preload=none]").len(), 1, "one player, for the whole document");
    let downloads: Vec<&str> =
        select(&page, "main a[download]").iter().map(|a| a.value().attr("href").unwrap()).collect();
    let id = doc["id"].as_str().unwrap();
    let expected = ["mp3", "opus", "flac", "wav"].map(|ext| format!("/v1/documents/{id}/audio.{ext}"));
    assert_eq!(downloads, expected, "MP3 first, then the other formats");
    assert!(html.contains("Last updated 05 Apr. 2023 10:30"));

    let mixed = "Accord culturel\n\nLes deux villes ont signé hier un accord de coopération culturelle qui prévoit des échanges réguliers d'artistes.\n\n\
                 Die beiden Städte haben gestern ein Abkommen über kulturelle Zusammenarbeit unterzeichnet, das regelmäßigen Austausch vorsieht.";
    let doc = create_document(&server, json!({ "text": mixed })).await;
    let page = Html::parse_document(
        &server.client.get(server.url(doc["html_url"].as_str().unwrap())).send().await.unwrap().text().await.unwrap(),
    );
    let langs: Vec<&str> =
        select(&page, "main [data-role=body] p").iter().map(|p| p.value().attr("lang").unwrap()).collect();
    assert_eq!(langs, ["fr", "de"]);

    let hostile = "<script>alert(1)</script>\n\nA paragraph with <img src=x onerror=alert(2)> inside & more.";
    let doc = create_document(&server, json!({ "text": hostile })).await;
    let html =
        server.client.get(server.url(doc["html_url"].as_str().unwrap())).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("<script>alert(1)"), "script tag rendered raw");
    assert!(!html.contains("<img src=x"), "img tag rendered raw");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    let page = Html::parse_document(&html);
    let scripts: Vec<_> =
        select(&page, "script").iter().map(|s| s.value().attr("src").unwrap_or("inline").to_string()).collect();
    assert!(scripts.iter().all(|src| src.starts_with("/assets/player.js?v=")), "{scripts:?}");
    assert!(select(&page, "main img").is_empty());
}

#[tokio::test]
async fn paragraph_audio_supports_ranges_and_etags() {
    let (server, _dir) = server().await;
    let doc = create_document(&server, json!({ "text": STATEMENT })).await;
    let url = server.url(doc["paragraphs"][3]["audio_url"].as_str().unwrap());
    // The first request follows the render as it is made; then it is a file.
    let streamed = server.client.get(&url).send().await.unwrap();
    assert_eq!(streamed.status(), 200);
    assert!(streamed.headers().get(header::CONTENT_LENGTH).is_none());
    let streamed = streamed.bytes().await.unwrap();
    let full = server.client.get(&url).send().await.unwrap();
    assert_eq!(full.status(), 200);
    assert_eq!(full.headers()["content-type"], "audio/wav");
    assert_eq!(full.headers()["accept-ranges"], "bytes");
    let etag = full.headers()[header::ETAG].clone();
    let full = full.bytes().await.unwrap();
    assert_eq!(full[44..], streamed[44..]);
    let mut reader = hound::WavReader::new(std::io::Cursor::new(full.to_vec())).unwrap();
    assert_eq!(reader.spec().sample_rate, 22050);
    assert_eq!(reader.samples::<i16>().count(), wav_samples(&full));
    let part = server.client.get(&url).header(header::RANGE, "bytes=1000-1999").send().await.unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()[header::CONTENT_RANGE], format!("bytes 1000-1999/{}", full.len()));
    assert_eq!(part.bytes().await.unwrap(), full.slice(1000..2000));
    let cached = server.client.get(&url).header(header::IF_NONE_MATCH, etag).send().await.unwrap();
    assert_eq!(cached.status(), 304);
    let missing = server
        .client
        .get(server.url(&format!("/v1/documents/{}/paragraphs/99/audio.wav", doc["id"].as_str().unwrap())))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn document_audio_streams_then_is_served_from_the_render() {
    let (server, _dir) = server().await;
    let doc = create_document(&server, json!({ "text": "One paragraph here.\n\nAnd a second paragraph there." })).await;
    let url = server.url(doc["audio_url"].as_str().unwrap());
    let streamed = server.client.get(&url).send().await.unwrap();
    assert_eq!(streamed.status(), 200);
    assert!(streamed.headers().get(header::CONTENT_LENGTH).is_none());
    let streamed = streamed.bytes().await.unwrap();
    // Both paragraphs plus the pause between them.
    let expected_pause = 22050 * 700 / 1000;
    assert!(wav_samples(&streamed) > expected_pause + 22050);
    // Once complete, the render is a real file: exact length, ranges.
    let mut rendered = None;
    for _ in 0..50 {
        let response = server.client.get(&url).header(header::RANGE, "bytes=0-43").send().await.unwrap();
        if response.status() == 206 {
            rendered = Some(response);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let header_bytes = rendered.expect("range served").bytes().await.unwrap();
    assert_eq!(&header_bytes[..4], b"RIFF");
    let data_len = u32::from_le_bytes(header_bytes[40..44].try_into().unwrap()) as usize;
    assert_eq!(data_len, streamed.len() - 44, "render and stream carry the same audio");
}

#[tokio::test]
async fn restart_on_the_same_cache_serves_documents_and_audio() {
    let dir = tempfile::tempdir().unwrap();
    let first = TestServer::start(dir.path().to_path_buf(), 1).await;
    let doc = create_document(&first, json!({ "text": "Documents survive a restart. So does their audio." })).await;
    let id = doc["id"].as_str().unwrap().to_string();
    let audio = first
        .client
        .get(first.url(&format!("/v1/documents/{id}/paragraphs/0/audio.wav")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    first.stop().await;

    let second = TestServer::start(dir.path().to_path_buf(), 1).await;
    let shown: Value =
        second.client.get(second.url(&format!("/v1/documents/{id}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(shown, doc);
    let again = second
        .client
        .get(second.url(&format!("/v1/documents/{id}/paragraphs/0/audio.wav")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(again[44..], audio[44..], "the stored render (the first answer streamed it as it was made)");
    let speech = second
        .client
        .post(second.url("/v1/speech"))
        .json(&json!({ "text": "Documents survive a restart. So does their audio." }))
        .send()
        .await
        .unwrap();
    assert_eq!(speech.headers()["x-herald-cache"], "hit");
    speech.bytes().await.unwrap();
    assert_eq!(second.jobs_completed(), 0, "nothing synthesized after the restart");
}

async fn problem(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    assert_eq!(response.headers()["content-type"], "application/problem+json", "status {status}");
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn errors_are_problem_json_with_the_right_status() {
    let (server, _dir) = server().await;
    let speech = server.url("/v1/speech");
    let documents = server.url("/v1/documents");
    let c = &server.client;
    let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
        (c.post(&speech).json(&json!({ "text": "" })), 400, "empty"),
        (c.post(&speech).json(&json!({ "text": " \u{2003}\n\t " })), 400, "empty"),
        (
            c.post(&speech).header("content-type", "application/json").body(b"{\"text\": \"caf\xC3\x28\"}".to_vec()),
            400,
            "UTF-8",
        ),
        (c.post(&documents).header("content-type", "text/plain").body(b"bad \xFF\xFE bytes".to_vec()), 400, "UTF-8"),
        (c.post(&documents).header("content-type", "text/plain").body(b"\xFF\xFEh\x00i\x00".to_vec()), 400, "UTF-16"),
        (c.post(&speech).header("content-type", "application/json").body("{\"text\": "), 400, "JSON"),
        (c.post(&speech).json(&json!({ "text": "hi", "voice": "espeak:nope" })), 404, "espeak:nope"),
        (c.post(&speech).json(&json!({ "text": "hi", "voice": "../../etc/passwd" })), 422, "voice id"),
        (c.post(&speech).json(&json!({ "text": "hi", "format": "mp4" })), 415, "mp4"),
        (c.post(&speech).json(&json!({ "text": "hi", "rate": 1000 })), 422, "80–600"),
        (c.post(&speech).json(&json!({ "text": "hi", "lang": "not a tag" })), 422, "BCP-47"),
        (c.post(&speech).json(&json!({ "text": "hi", "colour": "red" })), 422, "colour"),
        (c.post(&documents).json(&json!({ "text": "hi", "colour": "red" })), 422, "colour"),
        (c.post(&documents).json(&json!({ "text": "hi", "rate": 5 })), 422, "80–600"),
        (c.post(format!("{documents}?rate=5")).header("content-type", "text/plain").body("hi"), 422, "80–600"),
        (c.post(&speech).header("content-type", "text/plain").body("hi"), 415, "JSON"),
        (c.post(&documents).header("content-type", "application/pdf").body("%PDF"), 415, "application/pdf"),
        (c.post(&documents).header("content-type", "text/plain").body("x".repeat(3 * 1024 * 1024)), 413, "limit"),
        (c.get(server.url("/v1/documents/0123456789abcdef0123456789abcdef")), 404, "no document"),
        (c.get(server.url("/v1/documents/..%2F..%2Fetc%2Fpasswd")), 404, "no document"),
        (c.get(server.url("/d/not-an-id")), 404, "no document"),
        (c.get(server.url("/no/such/page")), 404, "nothing"),
        (c.delete(&speech), 405, "method"),
        (c.get(server.url("/v1/voices?lang=!!")), 422, "BCP-47"),
    ];
    for (request, status, detail) in cases {
        let (got, body) = problem(request.send().await.unwrap()).await;
        assert_eq!(got, status, "{body}");
        assert_eq!(body["status"], status);
        assert!(body["type"].as_str().unwrap().starts_with("urn:herald:problem:"));
        assert!(body["detail"].as_str().unwrap().contains(detail), "{status}: {body}");
    }
    // The server still works afterwards.
    let ok = c.post(&speech).json(&json!({ "text": "Still fine." })).send().await.unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn voices_health_home_and_metrics() {
    let (server, _dir) = server().await;
    let c = &server.client;
    assert_eq!(c.get(server.url("/healthz")).send().await.unwrap().status(), 200);
    let voices: Value = c.get(server.url("/v1/voices?lang=fr")).send().await.unwrap().json().await.unwrap();
    assert_eq!(voices["voices"][0]["id"], "espeak:fr");
    let all: Value = c.get(server.url("/v1/voices")).send().await.unwrap().json().await.unwrap();
    assert!(all["voices"].as_array().unwrap().len() >= 100);
    // The home page form works without JavaScript.
    let home = Html::parse_document(&c.get(server.url("/")).send().await.unwrap().text().await.unwrap());
    let textarea = select(&home, "form[method=post][action='/d'] textarea[name=text]#text");
    assert_eq!(textarea.len(), 1);
    assert_eq!(select(&home, "label[for=text]").len(), 1);
    let created = c
        .post(server.url("/d"))
        .form(&[("text", "A statement pasted into the form."), ("format", "text"), ("lang", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 303);
    let location = created.headers()[header::LOCATION].to_str().unwrap().to_string();
    assert!(location.starts_with("/d/"));
    assert_eq!(c.get(server.url(&location)).send().await.unwrap().status(), 200);
    let empty = c.post(server.url("/d")).form(&[("text", "   ")]).send().await.unwrap();
    assert_eq!(empty.status(), 400);
    assert!(empty.text().await.unwrap().contains("role=\"alert\""));
    let metrics = c.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    for name in [
        "herald_http_requests_total{",
        "herald_cache_hits_total",
        "herald_cache_misses_total",
        "herald_queue_depth",
        "herald_worker_restarts_total",
        "herald_synthesis_microseconds_total",
    ] {
        assert!(metrics.contains(name), "{name} missing from /metrics");
    }
    assert!(metrics.contains("route=\"/d/{id}\""), "routes are labelled by pattern");
}

#[tokio::test]
async fn a_client_that_disconnects_cancels_its_synthesis() {
    let (server, _dir) = server().await;
    let long = STATEMENT.repeat(3).replace("Joint statement", "Statement");
    let doc = create_document(&server, json!({ "text": long })).await;
    let mut response = server.client.get(server.url(doc["audio_url"].as_str().unwrap())).send().await.unwrap();
    response.chunk().await.unwrap();
    drop(response);
    let stats = server.pipeline.pool().stats();
    let mut cancelled = 0;
    for _ in 0..100 {
        cancelled = stats.jobs_cancelled.load(std::sync::atomic::Ordering::SeqCst);
        if cancelled > 0 && stats.busy_workers.load(std::sync::atomic::Ordering::SeqCst) == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(cancelled > 0, "no synthesis was cancelled");
    let utterances = doc["paragraphs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["sentences"].as_array().unwrap().len() as u64)
        .sum::<u64>();
    assert!(server.jobs_completed() < utterances / 2, "the abandoned document kept being synthesized");
    let ok = server.speak("Served right away.").await;
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn cross_origin_requests_need_the_allow_list() {
    let dir = tempfile::tempdir().unwrap();
    let settings = {
        let mut s = herald::settings::Settings::default();
        s.synthesis.workers = 1;
        s.cache.dir = dir.path().to_path_buf();
        s.server.cors_origins = vec!["http://news.example".into()];
        s.neural.enabled = false;
        s
    };
    let server = TestServer::start_with(settings).await;
    let c = &server.client;
    let html = "<html lang=\"en\"><body><article><h1>Title</h1><p>Some text to read aloud for the test.</p></article></body></html>";
    let allowed = c
        .post(server.url("/v1/documents"))
        .header("origin", "http://news.example")
        .header("content-type", "text/html")
        .body(html)
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 201);
    assert_eq!(allowed.headers()["access-control-allow-origin"], "http://news.example");
    let doc: Value = allowed.json().await.unwrap();
    assert_eq!(doc["title"], "Title");
    let preflight = c
        .request(reqwest::Method::OPTIONS, server.url("/v1/documents"))
        .header("origin", "http://news.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "http://news.example");
    let refused = c
        .post(server.url("/v1/documents"))
        .header("origin", "http://evil.example")
        .json(&json!({ "text": "hello there" }))
        .send()
        .await
        .unwrap();
    let (status, body) = problem(refused).await;
    assert_eq!(status, 403);
    assert!(body["detail"].as_str().unwrap().contains("evil.example"));
    let timings = c
        .get(server.url(&format!("/v1/documents/{}/timings.json", doc["id"].as_str().unwrap())))
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(timings.status(), 403);
    // Herald's own pages (same origin) are always allowed.
    let own = format!("http://{}", server.addr);
    let form = c
        .post(server.url("/d"))
        .header("origin", own)
        .form(&[("text", "Posted from Herald's own form.")])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 303);
}

#[tokio::test]
async fn timings_match_the_document_audio() {
    let (server, _dir) = server().await;
    let doc = create_document(
        &server,
        json!({ "text": "First paragraph here. It has two sentences.\n\nSecond paragraph & <more>." }),
    )
    .await;
    let id = doc["id"].as_str().unwrap();
    let timeline: Value = server
        .client
        .get(server.url(&format!("/v1/documents/{id}/timings.json")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let audio = server
        .client
        .get(server.url(&format!("/v1/documents/{id}/audio.wav")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let seconds = wav_samples(&audio) as f64 / 22050.0;
    assert!((timeline["duration"].as_f64().unwrap() - seconds).abs() < 0.01, "{} vs {seconds}", timeline["duration"]);
    let paragraphs = timeline["paragraphs"].as_array().unwrap();
    assert_eq!(paragraphs.len(), 2);
    // The pause between paragraphs is in the times.
    let gap = paragraphs[1]["start"].as_f64().unwrap() - paragraphs[0]["end"].as_f64().unwrap();
    assert!((gap - 0.7).abs() < 0.01, "gap {gap}");
    let mut last = 0.0;
    for p in paragraphs {
        let text: Vec<char> =
            doc["paragraphs"][p["index"].as_u64().unwrap() as usize]["text"].as_str().unwrap().chars().collect();
        for s in p["sentences"].as_array().unwrap() {
            for w in s["words"].as_array().unwrap() {
                let start = w["start"].as_f64().unwrap();
                assert!(start >= last && w["end"].as_f64().unwrap() >= start, "times go back");
                last = start;
                let word: String = text
                    [w["text_start"].as_u64().unwrap() as usize..w["text_end"].as_u64().unwrap() as usize]
                    .iter()
                    .collect();
                assert!(word.chars().all(|c| !c.is_whitespace()) && !word.is_empty(), "{word:?}");
            }
        }
    }
    let vtt = server.client.get(server.url(&format!("/v1/documents/{id}/captions.vtt"))).send().await.unwrap();
    assert_eq!(vtt.headers()["content-type"], "text/vtt; charset=utf-8");
    let vtt = vtt.text().await.unwrap();
    assert!(vtt.starts_with("WEBVTT\n"));
    assert_eq!(vtt.matches(" --> ").count(), 3, "{vtt}");
    assert!(vtt.contains("&amp; &lt;") && vtt.contains("more&gt;."), "{vtt}");
    assert!(vtt.match_indices('<').all(|(i, _)| vtt[i + 1..].starts_with("00:")), "raw markup in cue text: {vtt}");
    assert!(vtt.contains("<00:00:0"), "word timestamps inside cues: {vtt}");
    let paragraph =
        server.client.get(server.url(&format!("/v1/documents/{id}/paragraphs/1/timings.json"))).send().await.unwrap();
    let paragraph: Value = paragraph.json().await.unwrap();
    assert_eq!(paragraph["paragraphs"][0]["start"], 0.0, "paragraph timings start at its own audio");
}

#[tokio::test]
async fn security_headers_on_pages_and_api() {
    let (server, _dir) = server().await;
    let c = &server.client;
    let home = c.get(server.url("/")).send().await.unwrap();
    let csp = home.headers()["content-security-policy"].to_str().unwrap().to_string();
    for directive in ["default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(home.headers()["x-content-type-options"], "nosniff");
    assert_eq!(home.headers()["x-frame-options"], "DENY");
    assert!(home.headers().contains_key("referrer-policy"));
    let api = c.get(server.url("/v1/voices")).send().await.unwrap();
    assert_eq!(api.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn clients_over_the_rate_limit_get_429() {
    let dir = tempfile::tempdir().unwrap();
    let settings = {
        let mut s = herald::settings::Settings::default();
        s.synthesis.workers = 1;
        s.cache.dir = dir.path().to_path_buf();
        s.server.rate_limit_per_minute = 6;
        s.server.rate_limit_burst = 3;
        s.server.rate_limit_loopback = true;
        s.neural.enabled = false;
        s
    };
    let server = TestServer::start_with(settings).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(server.client.get(server.url("/healthz")).send().await.unwrap());
    }
    assert!(statuses[..3].iter().all(|r| r.status() == 200));
    let limited = statuses.pop().unwrap();
    assert!(limited.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    let (status, body) = problem(limited).await;
    assert_eq!(status, 429, "{body}");
}

#[tokio::test]
async fn paths_cannot_reach_outside_their_stores() {
    let (server, _dir) = server().await;
    let doc = create_document(&server, json!({ "text": "A document to aim at." })).await;
    let id = doc["id"].as_str().unwrap();
    for path in [
        "/v1/documents/..%2F..%2F..%2Fetc%2Fpasswd".to_string(),
        "/v1/documents/%2e%2e/audio.wav".to_string(),
        format!("/v1/documents/{id}/..%2F..%2Fsegments"),
        format!("/v1/documents/{id}/audio.wav%2F..%2F..%2Fdocuments"),
        format!("/v1/documents/{id}/paragraphs/..%2F0/audio.wav"),
        format!("/v1/documents/{id}/paragraphs/0/..%2Faudio.wav"),
        "/assets/..%2F..%2FCargo.toml".to_string(),
        "/assets/herald.css%00.js".to_string(),
        "/d/..%2F..%2Fetc%2Fpasswd".to_string(),
    ] {
        let response = server.client.get(server.url(&path)).send().await.unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert!(matches!(status, 400 | 404 | 415), "{path} → {status}");
        assert!(!body.contains("root:") && !body.contains("[package]"), "{path} leaked a file");
    }
}

#[tokio::test]
async fn ssml_is_spoken_when_sent_as_its_own_media_type() {
    let (server, _dir) = server().await;
    let post = |query: &str, body: &'static str| {
        let url = server.url(&format!("/v1/speech{query}"));
        server.client.post(url).header(header::CONTENT_TYPE, "application/ssml+xml").body(body).send()
    };
    let ssml = r#"<speak xml:lang="fr">Bonjour à tous, et bienvenue à la réunion.</speak>"#;
    let spoken = post("?format=pcm&rate=200", ssml).await.unwrap();
    assert_eq!(spoken.status(), 200);
    assert!(spoken.headers()["content-type"].to_str().unwrap().starts_with("audio/L16"));
    assert_eq!(spoken.headers()["x-herald-voice"], "espeak:fr");
    assert!(spoken.bytes().await.unwrap().len() > 20_000);
    for (query, body, status, kind) in [
        ("?rate=5000", ssml, 400, "invalid-query"),
        ("?colour=blue", ssml, 400, "invalid-query"),
        ("", r#"<!DOCTYPE speak [<!ENTITY x "y">]><speak>&x;</speak>"#, 400, "invalid-ssml"),
    ] {
        let refused = post(query, body).await.unwrap();
        assert_eq!(refused.status(), status, "{query} {body}");
        assert_eq!(refused.headers()["content-type"], "application/problem+json");
        let problem: Value = refused.json().await.unwrap();
        assert!(problem["type"].as_str().unwrap().ends_with(kind), "{problem}");
    }
}

/// A chunked HTTP/1.1 response read off the socket: head, body, trailers.
async fn raw_response(server: &TestServer, request: String) -> (String, Vec<u8>, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut raw)).await.unwrap().unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let (mut rest, mut body) = (&raw[split..], Vec::new());
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(std::str::from_utf8(&rest[..line_end]).unwrap().trim(), 16).unwrap();
        rest = &rest[line_end + 2..];
        if size == 0 {
            return (head, body, String::from_utf8_lossy(rest).to_string());
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

#[tokio::test]
async fn headers_tell_the_opening_and_trailers_the_whole_text() {
    let (server, _dir) = server().await;
    let english = "The ministers met in Brussels on Tuesday to discuss the security of the Euro-Atlantic area.";
    let french =
        "Les ministres se sont réunis à Bruxelles mardi pour parler de la sécurité de la zone euro-atlantique.";
    let body = json!({ "text": format!("{english}\n\n{french}"), "format": "pcm" }).to_string();
    let request = |te: &str| {
        format!(
            "POST /v1/speech HTTP/1.1\r\nHost: herald\r\nContent-Type: application/json\r\n{te}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let (head, audio, trailers) = raw_response(&server, request("TE: trailers\r\n")).await;
    let head = head.to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("x-herald-voice: espeak:en-us\r\n"), "the first sentence's voice: {head}");
    assert!(head.contains("trailer: x-herald-voices, x-herald-langs\r\n"), "{head}");
    assert!(audio.len() > 100_000, "{} bytes", audio.len());
    let trailers = trailers.to_ascii_lowercase();
    assert!(trailers.contains("x-herald-voices: espeak:en-us, espeak:fr\r\n"), "{trailers}");
    assert!(trailers.contains("x-herald-langs: en, fr\r\n"), "{trailers}");
    // A client that does not ask for trailers gets none, and the same audio.
    let (_, same, none) = raw_response(&server, request("")).await;
    assert_eq!((same.len(), none.as_str()), (audio.len(), "\r\n"));
}
