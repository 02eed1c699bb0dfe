//! API keys on a real server: secret keys, publishable keys bound to
//! origins with their own rate and quota, Herald's own form, public reads,
//! and per-key metrics. No header the client controls waives a key.

mod common;

use common::server::TestServer;
use herald::settings::{PublishableKey, Settings};
use serde_json::{json, Value};

const SECRET: &str = "s3cret-key-for-tests";
const NEWS_KEY: &str = "pk_news_0123456789abcdef";
const NEWS: &str = "http://news.example";

async fn keyed_server(daily_characters: u64, per_minute: u32, public_reads: bool) -> (TestServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let settings = {
        let mut s = Settings::default();
        s.synthesis.workers = 1;
        s.cache.dir = dir.path().to_path_buf();
        s.neural.enabled = false;
        s.keys.secret = vec![SECRET.into()];
        s.keys.publishable = vec![PublishableKey {
            name: "news".into(),
            key: NEWS_KEY.into(),
            origins: vec![NEWS.into()],
            per_minute,
            daily_characters,
        }];
        s.keys.public_reads = public_reads;
        s
    };
    (TestServer::start_with(settings).await, dir)
}

async fn problem(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    assert_eq!(response.headers()["content-type"], "application/problem+json", "status {status}");
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn every_synthesis_route_needs_a_key_and_no_header_waives_it() {
    let (server, _dir) = keyed_server(100_000, 600, true).await;
    let c = &server.client;
    let own = format!("http://{}", server.addr);
    let text = json!({ "text": "Only with a key." });
    for path in ["/v1/speech", "/v1/documents", "/v1/batches"] {
        for (name, value) in [("x-none", "none"), ("origin", own.as_str()), ("origin", NEWS), ("referer", own.as_str())]
        {
            let response = c.post(server.url(path)).header(name, value).json(&text).send().await.unwrap();
            let (status, body) = problem(response).await;
            assert_eq!(status, 401, "{path} with {name}: {value} → {body}");
        }
        let wrong = c.post(server.url(path)).bearer_auth("guess").json(&text).send().await.unwrap();
        assert_eq!(wrong.status(), 401);
        assert_eq!(wrong.headers()["www-authenticate"], "Bearer");
    }
    let form = c.post(server.url("/d")).header("origin", &own).form(&[("text", "A forged form.")]).send().await;
    assert_eq!(form.unwrap().status(), 401, "the home form without its key");
    // A secret key is never taken from the address, where logs would keep it.
    let in_query = c.post(server.url(&format!("/v1/speech?key={SECRET}"))).json(&text).send().await.unwrap();
    assert_eq!(in_query.status(), 401);

    let speech = c.post(server.url("/v1/speech")).bearer_auth(SECRET).json(&text).send().await.unwrap();
    assert_eq!(speech.status(), 200);
    assert_eq!(speech.headers()["content-type"], "audio/wav");
    let created = c.post(server.url("/v1/documents")).bearer_auth(SECRET).json(&text).send().await.unwrap();
    assert_eq!(created.status(), 201);
    let doc: Value = created.json().await.unwrap();
    // Reads stay public.
    let id = doc["id"].as_str().unwrap();
    for path in [format!("/d/{id}"), format!("/v1/documents/{id}"), format!("/v1/documents/{id}/timings.json")] {
        assert_eq!(c.get(server.url(&path)).send().await.unwrap().status(), 200, "{path}");
    }
    let audio = c.get(server.url(&format!("/v1/documents/{id}/audio.wav"))).send().await.unwrap();
    assert_eq!(audio.status(), 200);
    assert!(!audio.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_home_form_works_from_herald_own_pages_only() {
    let (server, _dir) = keyed_server(100_000, 600, true).await;
    let c = &server.client;
    let own = format!("http://{}", server.addr);
    let home = c.get(server.url("/")).send().await.unwrap().text().await.unwrap();
    let action = home.split("action=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    assert!(action.starts_with("/d?key=pk_"), "{action}");
    assert!(!home.contains(SECRET) && !home.contains(NEWS_KEY));
    let post = |origin: &str| {
        c.post(server.url(&action)).header("origin", origin).form(&[("text", "From the home page.")]).send()
    };
    assert_eq!(post(&own).await.unwrap().status(), 303);
    let (status, body) = problem(post(NEWS).await.unwrap()).await;
    assert_eq!(status, 403, "the form's key from another site: {body}");
}

#[tokio::test]
async fn publishable_keys_keep_to_their_origins_rate_and_quota() {
    let (server, _dir) = keyed_server(60, 600, true).await;
    let c = &server.client;
    let create = |origin: Option<&str>, text: &str| {
        let mut request =
            c.post(server.url("/v1/documents")).bearer_auth(NEWS_KEY).header("content-type", "text/plain");
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.body(text.to_string()).send()
    };
    let (status, body) = problem(create(Some("http://evil.example"), "Wrong origin.").await.unwrap()).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = problem(create(None, "No origin at all.").await.unwrap()).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) =
        problem(create(Some(&format!("http://{}", server.addr)), "Herald's own.").await.unwrap()).await;
    assert_eq!(status, 403, "a site's key is not Herald's own: {body}");

    let first = create(Some(NEWS), "Forty characters of text, spoken once...").await.unwrap();
    assert_eq!(first.status(), 201);
    assert_eq!(first.headers()["access-control-allow-origin"], NEWS);
    // 40 of 60 characters used: 30 more are refused whole, with the time to wait.
    let over = create(Some(NEWS), "Thirty more characters, refused").await.unwrap();
    let retry: u64 = over.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=86_400).contains(&retry), "{retry}");
    let (status, body) = problem(over).await;
    assert_eq!((status, body["type"].as_str().unwrap()), (429, "urn:herald:problem:key-limit"), "{body}");
    assert!(body["detail"].as_str().unwrap().contains("`news`"), "{body}");
    assert_eq!(create(Some(NEWS), "Twenty characters..").await.unwrap().status(), 201, "what is left still works");
    // The secret key has no quota.
    let secret = c.post(server.url("/v1/speech")).bearer_auth(SECRET).json(&json!({ "text": "Still speaking." }));
    assert_eq!(secret.send().await.unwrap().status(), 200);

    let metrics = c.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains(r#"herald_key_characters_total{key="news"} 59"#), "{metrics}");
    assert!(metrics.contains(r#"herald_key_requests_total{key="news",outcome="over-quota"} 1"#), "{metrics}");
    // evil.example was refused before its key was looked at: no site may call from there.
    assert!(metrics.contains(r#"herald_key_requests_total{key="news",outcome="wrong-origin"} 2"#), "{metrics}");
    assert!(metrics.contains(r#"herald_key_requests_total{key="secret-1",outcome="accepted"} 1"#), "{metrics}");
    assert!(!metrics.contains(NEWS_KEY) && !metrics.contains(SECRET), "key values never appear");
}

#[tokio::test]
async fn a_publishable_key_over_its_rate_waits() {
    let (server, _dir) = keyed_server(100_000, 2, true).await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let response = server
            .client
            .post(server.url("/v1/speech"))
            .bearer_auth(NEWS_KEY)
            .header("origin", NEWS)
            .json(&json!({ "text": "Rate." }))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            assert!(response.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
        }
    }
    assert_eq!(statuses, [200, 200, 429], "two a minute");
}

#[tokio::test]
async fn reads_can_need_a_key_too() {
    let (server, _dir) = keyed_server(100_000, 600, false).await;
    let c = &server.client;
    let created = c.post(server.url("/v1/documents")).bearer_auth(SECRET).json(&json!({ "text": "Private." }));
    let doc: Value = created.send().await.unwrap().json().await.unwrap();
    let path = format!("/v1/documents/{}", doc["id"].as_str().unwrap());
    assert_eq!(c.get(server.url(&path)).send().await.unwrap().status(), 401);
    assert_eq!(c.get(server.url(&path)).bearer_auth(SECRET).send().await.unwrap().status(), 200);
    let from_news = c.get(server.url(&path)).bearer_auth(NEWS_KEY).header("origin", NEWS).send().await.unwrap();
    assert_eq!(from_news.status(), 200);
    assert_eq!(c.get(server.url("/v1/voices")).send().await.unwrap().status(), 200, "the voice list stays open");
}
