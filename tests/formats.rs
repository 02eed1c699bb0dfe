//! Every front door of the HTTP service in every audio format: `/v1/speech`
//! (by `format` or by `Accept`) and document audio, decoded by decoders
//! independent of Herald's encoders, on a real server with real workers.

mod common;

use common::audio::{assert_plausible, decode, decode_any, Decoded};
use common::server::TestServer;
use reqwest::header;
use serde_json::{json, Value};
use std::time::Duration;

/// About 20 s of speech: long enough that MP3's encoder delay and last-frame
/// padding (under 0.1 s at 22,050 Hz) stay far inside the 1% tolerance.
const TEXT: &str = "The ministers met in Brussels on Tuesday to discuss the partnership between their countries. \
    They agreed to expand cooperation on cyber defence, maritime security and the protection of critical infrastructure. \
    Both sides welcomed the opening of a new diplomatic mission, and they promised to meet again before the end of the year.";

/// Each compressed format, the extension its decoder expects and the rate it carries.
const COMPRESSED: [(&str, &str, u32); 3] =
    [("mp3", "audio/mpeg", 22050), ("opus", "audio/ogg; codecs=opus", 48000), ("flac", "audio/flac", 22050)];

async fn server() -> (TestServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (TestServer::start(dir.path().to_path_buf(), 2).await, dir)
}

async fn speech(server: &TestServer, body: Value, accept: Option<&str>) -> reqwest::Response {
    let mut request = server.client.post(server.url("/v1/speech")).json(&body);
    if let Some(accept) = accept {
        request = request.header(header::ACCEPT, accept);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    response
}

async fn get(server: &TestServer, path: &str) -> reqwest::Response {
    server.client.get(server.url(path)).send().await.unwrap()
}

/// A render as a stored file: the first request makes it (and streams it
/// as it grows), the second is answered from the file.
async fn get_stored(server: &TestServer, path: &str) -> reqwest::Response {
    let first = get(server, path).await;
    assert_eq!(first.status(), 200, "{path}");
    first.bytes().await.unwrap();
    get(server, path).await
}

/// Decodes `bytes` and checks them against the WAV of the same speech.
fn assert_matches_wav(bytes: &[u8], extension: &str, rate: u32, wav: &Decoded, what: &str) -> Decoded {
    let decoded = decode_any(bytes, extension);
    assert_plausible(&decoded, rate, wav.seconds(), what);
    if extension == "flac" {
        assert!(decoded.samples == wav.samples, "{what}: FLAC is lossless, so it decodes to the WAV's samples");
    }
    decoded
}

#[tokio::test]
async fn speech_in_every_format_decodes_like_the_wav() {
    let (server, _dir) = server().await;
    let wav = speech(&server, json!({ "text": TEXT }), None).await;
    assert_eq!(wav.headers()[header::CONTENT_TYPE], "audio/wav");
    let wav = decode(&wav.bytes().await.unwrap(), "wav");
    assert_plausible(&wav, 22050, wav.seconds(), "WAV");
    assert!(wav.seconds() > 10.0, "the text is long enough: {} s", wav.seconds());

    for (format, content_type, rate) in COMPRESSED {
        let response = speech(&server, json!({ "text": TEXT, "format": format }), None).await;
        assert_eq!(response.headers()[header::CONTENT_TYPE], content_type, "{format}");
        assert!(response.headers().get(header::CONTENT_LENGTH).is_none(), "{format} is streamed");
        let bytes = response.bytes().await.unwrap();
        let decoded = assert_matches_wav(&bytes, format, rate, &wav, format);
        if format == "mp3" {
            // Every byte belongs to a whole frame that decodes: the stream
            // ends on a frame boundary, with nothing torn or left over.
            assert_eq!(decoded.packet_bytes, bytes.len(), "the streamed MP3 decodes completely");
        }
    }
}

#[tokio::test]
async fn accept_header_chooses_the_format_when_the_body_does_not() {
    let (server, _dir) = server().await;
    let body = json!({ "text": "Clients that say what they accept get it." });
    let mp3 = speech(&server, body.clone(), Some("audio/mpeg")).await;
    assert_eq!(mp3.headers()[header::CONTENT_TYPE], "audio/mpeg");
    assert_eq!(mp3.headers()[header::VARY], "accept");
    let bytes = mp3.bytes().await.unwrap();
    let decoded = decode(&bytes, "mp3");
    assert_eq!((decoded.rate, decoded.packet_bytes), (22050, bytes.len()));

    let cases = [
        (Some("application/json, audio/ogg;q=0.5, audio/mpeg"), "audio/ogg; codecs=opus"),
        (Some("audio/mpeg;q=0, audio/x-flac"), "audio/flac"),
        (Some("audio/*"), "audio/wav"),
        (Some("*/*"), "audio/wav"),
        (Some("application/json"), "audio/wav"),
        (None, "audio/wav"),
    ];
    for (accept, content_type) in cases {
        let response = speech(&server, body.clone(), accept).await;
        assert_eq!(response.headers()[header::CONTENT_TYPE], content_type, "Accept: {accept:?}");
    }
    // The body's `format` wins over `Accept`.
    let flac = speech(&server, json!({ "text": "The body decides.", "format": "flac" }), Some("audio/mpeg")).await;
    assert_eq!(flac.headers()[header::CONTENT_TYPE], "audio/flac");
    assert!(flac.bytes().await.unwrap().starts_with(b"fLaC"));
    let refused = server
        .client
        .post(server.url("/v1/speech"))
        .header(header::ACCEPT, "audio/mpeg")
        .json(&json!({ "text": "hi", "format": "aac" }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 415);
    assert_eq!(refused.headers()[header::CONTENT_TYPE], "application/problem+json");
}

#[tokio::test]
async fn document_paragraphs_in_every_format_with_ranges_and_etags() {
    let (server, _dir) = server().await;
    let doc = create_document(&server, &format!("Partnership\n\n{TEXT}")).await;
    let id = doc["id"].as_str().unwrap();
    assert_eq!(doc["paragraphs"][1]["role"], "body");
    let path = |ext: &str| format!("/v1/documents/{id}/paragraphs/1/audio.{ext}");
    let wav = get_stored(&server, &path("wav")).await;
    assert_eq!(wav.headers()[header::CONTENT_TYPE], "audio/wav");
    let wav_etag = wav.headers()[header::ETAG].clone();
    let wav = decode(&wav.bytes().await.unwrap(), "wav");
    assert!(wav.seconds() > 10.0, "{} s", wav.seconds());

    for (format, content_type, rate) in COMPRESSED {
        let response = get_stored(&server, &path(format)).await;
        assert_eq!(response.status(), 200, "{format}");
        assert_eq!(response.headers()[header::CONTENT_TYPE], content_type, "{format}");
        assert_eq!(response.headers()[header::ACCEPT_RANGES], "bytes", "{format}");
        let etag = response.headers()[header::ETAG].clone();
        assert_ne!(etag, wav_etag, "{format}: each format is its own render");
        let length = response.headers()[header::CONTENT_LENGTH].clone();
        let bytes = response.bytes().await.unwrap();
        assert_eq!(length, bytes.len().to_string().as_str(), "{format}: served from a finished file");
        assert_matches_wav(&bytes, format, rate, &wav, &format!("paragraph as {format}"));
        // Served again from the stored render: same bytes, ranges, ETag.
        let part = server.client.get(server.url(&path(format))).header(header::RANGE, "bytes=100-1099").send().await;
        let part = part.unwrap();
        assert_eq!(part.status(), 206, "{format}");
        assert_eq!(part.headers()[header::CONTENT_RANGE], format!("bytes 100-1099/{}", bytes.len()));
        assert_eq!(part.headers()[header::CONTENT_TYPE], content_type);
        assert_eq!(part.bytes().await.unwrap(), bytes.slice(100..1100));
        let cached = server.client.get(server.url(&path(format))).header(header::IF_NONE_MATCH, etag).send().await;
        assert_eq!(cached.unwrap().status(), 304, "{format}");
    }
}

#[tokio::test]
async fn document_audio_as_mp3_streams_then_serves_ranges_from_the_render() {
    let (server, _dir) = server().await;
    let doc = create_document(&server, &format!("{TEXT}\n\nAnd a second paragraph closes the statement.")).await;
    let url = format!("/v1/documents/{}/audio.mp3", doc["id"].as_str().unwrap());
    let streamed = get(&server, &url).await;
    assert_eq!(streamed.status(), 200);
    assert_eq!(streamed.headers()[header::CONTENT_TYPE], "audio/mpeg");
    assert!(streamed.headers().get(header::CONTENT_LENGTH).is_none(), "the first request streams");
    assert_eq!(streamed.headers()["x-herald-render"], "in-progress");
    let streamed = streamed.bytes().await.unwrap();
    let decoded = decode(&streamed, "mp3");
    assert_eq!((decoded.rate, decoded.packet_bytes), (22050, streamed.len()));
    assert!(decoded.seconds() > 10.0 + 0.7, "both paragraphs and the pause: {} s", decoded.seconds());
    // Once the stream is complete, the render is a file: exact length, ranges.
    let mut ranged = None;
    for _ in 0..50 {
        let response = server.client.get(server.url(&url)).header(header::RANGE, "bytes=0-3").send().await.unwrap();
        if response.status() == 206 {
            ranged = Some(response);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ranged = ranged.expect("a range of the render");
    assert_eq!(ranged.headers()[header::CONTENT_TYPE], "audio/mpeg");
    assert_eq!(ranged.headers()[header::CONTENT_RANGE], format!("bytes 0-3/{}", streamed.len()));
    assert_eq!(ranged.bytes().await.unwrap(), streamed.slice(0..4));
    let whole = get(&server, &url).await;
    assert_eq!(whole.headers()[header::CONTENT_LENGTH], streamed.len().to_string().as_str());
    assert_eq!(whole.bytes().await.unwrap(), streamed, "the render is the stream's bytes");
}

#[tokio::test]
async fn document_audio_urls_name_a_format_or_are_refused() {
    let (server, _dir) = server().await;
    let doc = create_document(&server, "Only a short statement.").await;
    let id = doc["id"].as_str().unwrap();
    for (path, status) in [
        (format!("/v1/documents/{id}/paragraphs/0/audio.wav"), 200),
        (format!("/v1/documents/{id}/audio.wav"), 200),
        (format!("/v1/documents/{id}/audio.aac"), 415),
        (format!("/v1/documents/{id}/audio.pcm"), 415),
        (format!("/v1/documents/{id}/paragraphs/0/audio.ogg"), 415),
        (format!("/v1/documents/{id}/paragraphs/0/audio."), 415),
        (format!("/v1/documents/{id}/video.mp4"), 404),
        (format!("/v1/documents/{id}/paragraphs/0/transcript.txt"), 404),
        (format!("/v1/documents/{id}/paragraphs/9/audio.mp3"), 404),
        ("/v1/documents/0123456789abcdef0123456789abcdef/audio.mp3".to_string(), 404),
    ] {
        let response = get(&server, &path).await;
        assert_eq!(response.status(), status, "{path}");
        if status != 200 {
            assert_eq!(response.headers()[header::CONTENT_TYPE], "application/problem+json", "{path}");
            let problem: Value = response.json().await.unwrap();
            if status == 415 {
                assert!(problem["detail"].as_str().unwrap().contains("audio.mp3"), "{problem}");
            }
        }
    }
    let post = server.client.post(server.url(&format!("/v1/documents/{id}/audio.mp3"))).send().await.unwrap();
    assert_eq!(post.status(), 405);
}

async fn create_document(server: &TestServer, text: &str) -> Value {
    let response = server.client.post(server.url("/v1/documents")).json(&json!({ "text": text })).send().await.unwrap();
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    response.json().await.unwrap()
}
