//! Several replicas on real distributed parts: two Herald processes share
//! one Garage object store and one PostgreSQL, started by
//! `scripts/cluster.sh`. What one replica synthesized, the other serves
//! without synthesizing; a sentence asked of both at once is synthesized
//! once; a store outage is a clean 503, and the replicas recover by
//! themselves when the store is back; a batch whose replica is killed
//! mid-episode is finished by another, each episode once, and so is a
//! talking book; while the
//! database is away speech goes on and batches are refused with a 503,
//! until it is back.

mod common;

use common::cluster::Cluster;
use common::server::TestServer;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TEXT: &str = "Joint statement on shared storage.\n\n\
    The ministers met in Brussels on Tuesday. They agreed to meet again in spring.\n\n\
    A third paragraph closes the statement.";

async fn create(cluster: &Cluster, replica: usize, text: &str) -> reqwest::Response {
    let body = json!({ "text": text, "quality": "fast", "rate": 200 });
    cluster.client.post(format!("{}/v1/documents", cluster.urls[replica])).json(&body).send().await.unwrap()
}

async fn get(cluster: &Cluster, replica: usize, path: &str) -> reqwest::Response {
    cluster.client.get(format!("{}{path}", cluster.urls[replica])).send().await.unwrap()
}

/// Decodes audio with an independent decoder: speech, not silence.
fn assert_speech(bytes: &[u8], extension: &str) {
    let decoded = common::audio::decode_any(bytes, extension);
    assert!(decoded.seconds() > 0.5, "{extension}: {} s of audio", decoded.seconds());
    assert!(common::audio::rms(&decoded.samples) > 0.01, "{extension}: silent");
}

/// The whole body of a 200 answer.
async fn audio(cluster: &Cluster, replica: usize, path: &str) -> Vec<u8> {
    let response = get(cluster, replica, path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn a_document_made_on_one_replica_is_heard_from_another_without_synthesis() {
    let cluster = Cluster::up(2).await;
    let created = create(&cluster, 0, TEXT).await;
    assert_eq!(created.status(), 201);
    let document: Value = created.json().await.unwrap();
    let id = document["id"].as_str().unwrap();
    let whole = audio(&cluster, 0, &format!("/v1/documents/{id}/audio.wav")).await;
    assert_speech(&whole, "wav");
    assert!(cluster.counter(0, "synthesis_jobs_completed").await >= 4, "replica A synthesized the document");

    let synthesized_on_b = cluster.counter(1, "synthesis_jobs_completed").await;
    assert_eq!(synthesized_on_b, 0);
    // B reads the document from the store, and renders a format A never made
    // from the segments A stored.
    let on_b: Value = get(&cluster, 1, &format!("/v1/documents/{id}")).await.json().await.unwrap();
    assert_eq!(on_b["paragraphs"], document["paragraphs"]);
    let mp3 = audio(&cluster, 1, &format!("/v1/documents/{id}/paragraphs/1/audio.mp3")).await;
    assert_speech(&mp3, "mp3");
    // The same sentences through the speech API: all from the shared cache.
    let paragraph = &document["paragraphs"][1];
    let speech = json!({ "text": paragraph["text"], "voice": paragraph["voice"], "rate": 200 });
    let spoken = cluster.client.post(format!("{}/v1/speech", cluster.urls[1])).json(&speech).send().await.unwrap();
    assert_eq!(spoken.status(), 200);
    assert_eq!(spoken.headers()["x-herald-cache"], "hit");
    let spoken = spoken.bytes().await.unwrap();
    assert_speech(&spoken, "wav");
    // B now holds those segments in memory: asked again, it reads nothing.
    let reads = cluster.counter(1, "store_reads").await;
    let again = cluster.client.post(format!("{}/v1/speech", cluster.urls[1])).json(&speech).send().await.unwrap();
    assert_eq!(again.headers()["x-herald-cache"], "hit");
    assert_eq!(again.bytes().await.unwrap(), spoken);
    assert_eq!(cluster.counter(1, "store_reads").await, reads, "hot segments are read from memory");
    // And the whole document's stored render, streamed from the store: a
    // range of it without fetching the rest, then all of it, which leaves
    // B a local copy that later requests are served from.
    // (A streamed it while rendering, with the WAV header's sizes unknown;
    // the stored render has them: the samples are the same.)
    let render = format!("{}/v1/documents/{id}/audio.wav", cluster.urls[1]);
    let ranged = cluster.client.get(&render).header("range", "bytes=1000-1999").send().await.unwrap();
    assert_eq!(ranged.status(), 206);
    assert_eq!(ranged.headers()["x-herald-render"], "shared-store");
    assert_eq!(ranged.headers()["content-range"], format!("bytes 1000-1999/{}", whole.len()));
    assert!(ranged.bytes().await.unwrap() == whole[1000..2000], "the range differs from A's render");
    let from_store = get(&cluster, 1, &format!("/v1/documents/{id}/audio.wav")).await;
    assert_eq!(from_store.headers()["x-herald-render"], "shared-store");
    let stored = from_store.bytes().await.unwrap();
    assert!(stored.len() == whole.len() && stored[44..] == whole[44..], "B's render differs from A's");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let again = get(&cluster, 1, &format!("/v1/documents/{id}/audio.wav")).await;
        if !again.headers().contains_key("x-herald-render") {
            assert!(again.bytes().await.unwrap() == stored, "B's local copy differs from the stored render");
            break;
        }
        assert!(Instant::now() < deadline, "B kept no local copy of the render it streamed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(cluster.counter(1, "synthesis_jobs_completed").await, synthesized_on_b, "B synthesized nothing");
    assert!(cluster.counter(1, "cache_hits").await >= 2);
    assert!(cluster.counter(1, "store_reads").await > 0);
    assert_eq!(cluster.counter(1, "store_errors").await, 0);
}

#[tokio::test]
async fn a_new_sentence_is_synthesized_once_in_the_whole_cluster() {
    let cluster = Cluster::up(2).await;
    let text = "Both replicas are asked at once. Each sentence is made once. Only one replica speaks it.";
    let speech = json!({ "text": text, "voice": "espeak:en-us", "rate": 210 });
    let ask = |replica: usize| {
        let request = cluster.client.post(format!("{}/v1/speech", cluster.urls[replica])).json(&speech);
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200);
            response.bytes().await.unwrap()
        }
    };
    let (on_a, on_b) = tokio::join!(ask(0), ask(1));
    assert_eq!(on_a, on_b, "the same segments, from whichever replica made them");
    let made =
        cluster.counter(0, "synthesis_jobs_completed").await + cluster.counter(1, "synthesis_jobs_completed").await;
    assert_eq!(made, 3, "three sentences, each synthesized by one replica");
    assert_eq!(cluster.counter(0, "database_errors").await + cluster.counter(1, "database_errors").await, 0);
}

#[tokio::test]
async fn a_store_outage_is_a_clean_503_and_the_service_recovers() {
    let cluster = Cluster::up(2).await;
    let statement = common::STATEMENT;
    let created: Value = create(&cluster, 0, statement).await.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    // The first paragraph's segments reach the store before it goes away.
    assert_speech(&audio(&cluster, 0, &format!("/v1/documents/{id}/paragraphs/0/audio.wav")).await, "wav");
    // A long render is streaming when the store goes away.
    let mut streaming = get(&cluster, 0, &format!("/v1/documents/{id}/audio.wav")).await;
    assert_eq!(streaming.status(), 200);
    assert!(!streaming.chunk().await.unwrap().unwrap().is_empty());
    cluster.run("stop-store").await;
    let rest = async { while let Ok(Some(_)) = streaming.chunk().await {} };
    tokio::time::timeout(Duration::from_secs(60), rest).await.expect("the stream ends once the store is gone");

    let refused = create(&cluster, 0, "Written while the store is away.").await;
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["content-type"], "application/problem+json");
    assert!(refused.headers().contains_key("retry-after"));
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["type"], "urn:herald:problem:store-unavailable");
    assert!(!problem["detail"].as_str().unwrap().contains("object store"), "no internals: {problem}");
    let health = get(&cluster, 1, "/healthz").await;
    assert_eq!(health.status(), 503);
    assert_eq!(health.json::<Value>().await.unwrap()["store"], json!({ "kind": "s3", "ok": false }));
    assert!(cluster.counter(0, "store_errors").await > 0);

    cluster.run("start-store").await;
    for replica in 0..2 {
        let mut healthy = false;
        for _ in 0..100 {
            if get(&cluster, replica, "/healthz").await.status() == 200 {
                healthy = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(healthy, "replica {replica} recovers once the store is back");
    }
    assert_eq!(create(&cluster, 0, "Written once the store is back.").await.status(), 201);
    // No object is corrupt: B renders a format nobody made from every
    // segment that reached the store, checking each one's checksum.
    let whole = audio(&cluster, 1, &format!("/v1/documents/{id}/audio.mp3")).await;
    assert_speech(&whole, "mp3");
    assert_eq!(cluster.counter(1, "cache_corrupt").await, 0);
    assert!(cluster.counter(1, "cache_hits").await > 0);
}

/// Posts a batch of `documents` to replica `replica`.
async fn post_batch(cluster: &Cluster, replica: usize, documents: Vec<Value>) -> reqwest::Response {
    let show = json!({
        "title": "Statements from a cluster", "author": "Press Office", "description": "Made by several replicas.",
        "language": "en", "image": "https://cdn.example/cover.jpg", "category": "News", "explicit": false
    });
    let url = format!("{}/v1/batches", cluster.urls[replica]);
    cluster.client.post(url).json(&json!({ "show": show, "documents": documents })).send().await.unwrap()
}

async fn batch_status(cluster: &Cluster, replica: usize, location: &str) -> Value {
    let response = get(cluster, replica, location).await;
    assert_eq!(response.status(), 200, "{location}");
    response.json().await.unwrap()
}

/// A talking book posted to replica A is a job of the shared queue: with A
/// killed while the book is being made, B makes it and serves the EPUB and
/// the audiobook from the shared store.
#[tokio::test]
async fn a_book_posted_to_one_replica_is_finished_and_served_by_another_after_kill_9() {
    let cluster = Cluster::up(2).await;
    let epub =
        std::fs::read(format!("{}/tests/fixtures/books/calibre-quick-start-de.epub", env!("CARGO_MANIFEST_DIR")));
    let url = format!("{}/v1/books?quality=fast", cluster.urls[0]);
    let posted = cluster.client.post(url).header("content-type", "application/epub+zip").body(epub.unwrap());
    let posted = posted.send().await.unwrap();
    assert_eq!(posted.status(), 202);
    let location = posted.headers()["location"].to_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(60);
    while batch_status(&cluster, 1, &location).await["state"] == "queued" {
        assert!(Instant::now() < deadline, "the book was not started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    cluster.kill(0);
    let deadline = Instant::now() + Duration::from_secs(300);
    let status = loop {
        let status = batch_status(&cluster, 1, &location).await;
        if status["state"] != "running" {
            break status;
        }
        assert!(Instant::now() < deadline, "B did not finish the book: {status}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(status["state"], "done", "{status}");
    let book = audio(&cluster, 1, status["files"]["epub"].as_str().unwrap()).await;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(book)).expect("the book is a zip");
    assert!(zip.file_names().any(|name| name.unwrap().ends_with(".smil")), "the book has media overlays");
    let mut mimetype = String::new();
    std::io::Read::read_to_string(&mut zip.by_index(0).unwrap(), &mut mimetype).unwrap();
    assert_eq!(mimetype, "application/epub+zip");
    let chapters: Vec<&str> =
        status["files"]["audiobook"].as_array().unwrap().iter().filter_map(|f| f.as_str()).collect();
    let first = chapters.iter().find(|f| f.ends_with(".mp3")).expect("a chapter");
    assert_speech(&audio(&cluster, 1, first).await, "mp3");
}

#[tokio::test]
async fn a_batch_finishes_on_another_replica_after_kill_9_with_each_episode_once() {
    let cluster = Cluster::up(2).await;
    let paragraphs: Vec<&str> =
        common::STATEMENT.split("\n\n").filter(|p| p.split_whitespace().count() > 10 && !p.contains('•')).collect();
    assert!(paragraphs.len() >= 8, "{} paragraphs", paragraphs.len());
    let documents: Vec<Value> = paragraphs[..8]
        .iter()
        .enumerate()
        .map(|(i, text)| json!({ "name": format!("part-{}.txt", i + 1), "text": text }))
        .collect();
    let posted = post_batch(&cluster, 0, documents).await;
    assert_eq!(posted.status(), 202);
    let location = posted.headers()["location"].to_str().unwrap().to_string();

    // Mid-batch, with an episode being made by each replica, A dies.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let status = batch_status(&cluster, 1, &location).await;
        let making = status["episodes"].as_array().unwrap().iter().filter(|e| e["status"] == "making").count();
        if status["done"].as_u64() >= Some(1) && making == 2 {
            break;
        }
        assert!(status["done"].as_u64() < Some(6), "the batch ran to its end before A could be killed: {status}");
        assert!(std::time::Instant::now() < deadline, "the batch did not start: {status}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    cluster.kill(0);

    // B makes A's leased episode once the lease runs out, and the rest.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    let status = loop {
        let status = batch_status(&cluster, 1, &location).await;
        if status["state"] == "done" {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "B did not finish the batch: {status}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!((status["done"].as_u64(), status["failed"].as_u64()), (Some(8), Some(0)), "{status}");
    let feed = get(&cluster, 1, status["feed_url"].as_str().unwrap()).await;
    assert_eq!(feed.status(), 200);
    let feed = feed.text().await.unwrap();
    assert_eq!(feed.matches("<item>").count(), 8, "{feed}");
    for episode in status["episodes"].as_array().unwrap() {
        let path = episode["files"]["mp3"].as_str().unwrap();
        let mp3 = audio(&cluster, 1, path).await;
        assert_speech(&mp3, "mp3");
        assert_eq!(feed.matches(&format!("{path}\"")).count(), 1, "{path} listed once in {feed}");
        assert!(feed.contains(&format!("{path}\" length=\"{}\"", mp3.len())), "{path}'s length in {feed}");
    }
}

#[tokio::test]
async fn a_database_outage_keeps_speech_going_refuses_batches_with_503_and_recovers() {
    let cluster = Cluster::up(2).await;
    cluster.run("stop-database").await;

    // Speech goes on: each replica synthesizes alone.
    let speech = json!({ "text": "Spoken while the database is away.", "voice": "espeak:en-us", "rate": 190 });
    let spoken = cluster.client.post(format!("{}/v1/speech", cluster.urls[0])).json(&speech).send().await.unwrap();
    assert_eq!(spoken.status(), 200);
    assert_speech(&spoken.bytes().await.unwrap(), "wav");
    let health = get(&cluster, 1, "/healthz").await;
    assert_eq!(health.status(), 200);
    let health: Value = health.json().await.unwrap();
    assert_eq!((&health["status"], &health["database"]), (&json!("degraded"), &json!({ "ok": false })), "{health}");

    // Batches need the queue: a clean 503 problem, nothing accepted.
    let documents = || vec![json!({ "name": "after.txt", "text": "Posted while the database is away, then again." })];
    let refused = post_batch(&cluster, 0, documents()).await;
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["content-type"], "application/problem+json");
    assert!(refused.headers().contains_key("retry-after"));
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["type"], "urn:herald:problem:store-unavailable");
    assert!(cluster.counter(0, "database_errors").await > 0);

    // Back: the replicas reconnect by themselves, and the batch is made.
    cluster.run("start-database").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let posted = loop {
        let posted = post_batch(&cluster, 0, documents()).await;
        if posted.status() == 202 || std::time::Instant::now() > deadline {
            break posted;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(posted.status(), 202, "the database is back");
    let location = posted.headers()["location"].to_str().unwrap().to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let status = batch_status(&cluster, 1, &location).await;
        if status["state"] == "done" {
            assert_eq!((status["done"].as_u64(), status["failed"].as_u64()), (Some(1), Some(0)), "{status}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the batch was not made: {status}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(get(&cluster, 1, "/healthz").await.json::<Value>().await.unwrap()["status"], "ok");
}

/// Pieces of requests a [`delaying_proxy`] has held, and let go.
#[derive(Default)]
struct Held {
    delayed: AtomicUsize,
    released: AtomicUsize,
}

/// A TCP proxy to `target` that, while `slow` is set, holds every piece of
/// a request for two seconds, counting them in `held`. It runs on a
/// runtime of its own, so nothing the server does can stall it.
fn delaying_proxy(target: String, slow: Arc<AtomicBool>, held: Arc<Held>) -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = tokio::net::TcpStream::connect(&target).await else { continue };
                let (slow, held) = (Arc::clone(&slow), Arc::clone(&held));
                tokio::spawn(async move {
                    let ((mut from_client, mut to_client), (mut from_server, mut to_server)) =
                        (client.into_split(), server.into_split());
                    let requests = async {
                        let mut buffer = vec![0u8; 1 << 16];
                        loop {
                            let n = from_client.read(&mut buffer).await?;
                            if n == 0 {
                                return to_server.shutdown().await;
                            }
                            if slow.load(Ordering::SeqCst) {
                                held.delayed.fetch_add(1, Ordering::SeqCst);
                                tokio::time::sleep(Duration::from_secs(2)).await;
                                held.released.fetch_add(1, Ordering::SeqCst);
                            }
                            to_server.write_all(&buffer[..n]).await?;
                        }
                    };
                    let answers = tokio::io::copy(&mut from_server, &mut to_client);
                    let _ = tokio::join!(requests, answers);
                });
            }
        });
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_store_delays_only_the_requests_that_read_it() {
    let cluster = Cluster::up(0).await;
    let [s3, bucket, key, secret] = cluster.store.clone();
    let (slow, held) = (Arc::new(AtomicBool::new(false)), Arc::new(Held::default()));
    let proxy = delaying_proxy(s3, Arc::clone(&slow), Arc::clone(&held));
    let cache = tempfile::tempdir().unwrap();
    let settings = {
        let mut s = herald::settings::Settings::default();
        s.synthesis.workers = 1;
        s.neural.enabled = false;
        s.cache.dir = cache.path().to_path_buf();
        s.store.url = Some(format!("s3://{bucket}/slow"));
        s.store.endpoint = Some(format!("http://{proxy}"));
        s.store.region = "garage".into();
        s.store.access_key_id = Some(key);
        s.store.secret_access_key = Some(secret.into());
        s.store.allow_http = true;
        s
    };
    let server = TestServer::start_with(settings).await;
    let document = server.post_json("/v1/documents", &json!({ "text": TEXT, "quality": "fast", "rate": 200 })).await;
    let id = document["id"].as_str().unwrap().to_string();
    let stored = server.url(&format!("/v1/documents/{id}/paragraphs/1/audio.wav"));
    let heard = server.client.get(&stored).send().await.unwrap().bytes().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.pipeline.stats().renders_in_progress > 0 {
        assert!(Instant::now() < deadline, "the render was never stored");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    slow.store(true, Ordering::SeqCst);
    // A render never made: looking for it reads the store, slowly.
    let client = server.client.clone();
    let unmade = server.url(&format!("/v1/documents/{id}/paragraphs/2/audio.flac"));
    let slow_read = tokio::spawn(async move { client.get(unmade).send().await.unwrap().bytes().await.unwrap() });
    while held.delayed.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "the store was never read");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Meanwhile, what this replica holds is served at once: a stored
    // render from its local copy, the document from memory.
    let again = server.client.get(&stored).send().await.unwrap();
    assert_eq!(again.status(), 200);
    assert!(again.headers().contains_key("etag"), "served from the stored file");
    let again = again.bytes().await.unwrap();
    // The same audio; the stored file's header has its sizes filled in.
    assert!(again.len() == heard.len() && again[44..] == heard[44..], "other audio than was heard");
    assert_eq!(server.get_json(&format!("/v1/documents/{id}")).await["id"], id.as_str());
    assert_eq!(held.released.load(Ordering::SeqCst), 0, "the fast requests waited for the slow read");
    slow.store(false, Ordering::SeqCst);
    assert!(!slow_read.await.unwrap().is_empty());
}
