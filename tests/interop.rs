//! The clients people already have, against a real server: the OpenAI SDK
//! (Python, `tests/interop/openai_client.py`), requests shaped as Home
//! Assistant's MaryTTS integration (`speak2mary`) and OpenTTS clients send
//! them, and SSML on Herald's own routes.

mod common;

use common::server::TestServer;
use reqwest::header;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::process::Command;

async fn server() -> (TestServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (TestServer::start(dir.path().to_path_buf(), 2).await, dir)
}

/// A complete WAV file: its header's sizes match its length. Returns seconds.
fn complete_wav(bytes: &[u8]) -> f64 {
    let reader = hound::WavReader::new(std::io::Cursor::new(bytes.to_vec())).expect("a WAV file");
    let spec = reader.spec();
    assert_eq!((spec.channels, spec.bits_per_sample), (1, 16));
    assert_eq!(reader.len() as usize * 2 + 44, bytes.len(), "the header's sizes are filled in");
    reader.duration() as f64 / spec.sample_rate as f64
}

async fn speak_ssml(server: &TestServer, ssml: &str) -> reqwest::Response {
    server.client.post(server.url("/v1/speech")).json(&json!({ "text": ssml })).send().await.unwrap()
}

#[tokio::test]
async fn the_openai_sdk_speaks_every_format_streams_sse_and_reads_errors() {
    let (server, _dir) = server().await;
    let out = tempfile::tempdir().unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/openai_client.py");
    // A child process awaited, so the server on this runtime keeps answering it.
    let run = Command::new(common::test_python())
        .args([script, &format!("http://{}", server.addr)])
        .arg(out.path())
        .kill_on_drop(true)
        .output();
    let run = tokio::time::timeout(Duration::from_secs(300), run).await.expect("the OpenAI client finishes").unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "the OpenAI client failed:\n{stderr}");
    let report: Value = serde_json::from_slice(&run.stdout).unwrap();
    eprintln!("{report:#}");
    let normal = report["wav"]["seconds"].as_f64().unwrap();
    assert_eq!(report["wav"]["channels"], 1);
    assert_eq!(report["wav"]["width"], 2);
    assert!(normal > 3.0, "{normal} s of speech");
    let fast = report["wav_speed_2"].as_f64().unwrap();
    assert!(fast < normal * 0.75, "speed 2.0 gave {fast} s against {normal} s");
    let head = report["mp3_head"].as_str().unwrap();
    assert!(head.starts_with("fff") || head == "494433", "an MP3 frame sync or ID3 header: {head}");
    assert!(report["mp3_bytes"].as_u64().unwrap() > 10_000);
    let pcm = report["pcm_seconds_at_24k"].as_f64().unwrap();
    assert!((pcm - normal).abs() < 0.25, "24 kHz PCM of {pcm} s against {normal} s of WAV");
    assert_eq!(report["sse_content_type"], "text/event-stream");
    assert_eq!(report["sse_types"], json!(["speech.audio.delta", "speech.audio.done"]));
    assert_eq!(report["sse_last"], "speech.audio.done");
    assert!(report["sse_deltas"].as_u64().unwrap() >= 1);
    let sse_seconds = report["sse_audio_bytes"].as_f64().unwrap() / 2.0 / 24_000.0;
    assert!((sse_seconds - normal).abs() < 0.25, "SSE carried {sse_seconds} s of audio");
    assert!(report["sse_usage"]["input_tokens"].as_u64().unwrap() > 0);
    for (case, param) in [("aac", "response_format"), ("too_long", "input")] {
        let outcome = &report[case];
        assert_eq!(outcome["status"], 400, "{case}: {outcome}");
        let error = outcome["body"].get("error").unwrap_or(&outcome["body"]);
        assert_eq!(error["param"], param, "{case}: {outcome}");
        assert_eq!(error["type"], "invalid_request_error");
        assert!(error["message"].as_str().unwrap().len() > 10);
    }
    let aac = report["aac"]["body"].to_string();
    assert!(aac.contains("mp3") && aac.contains("opus") && aac.contains("flac"), "names the formats: {aac}");
}

#[tokio::test]
async fn openai_errors_keep_openai_shape_for_bad_speed_and_voice() {
    let (server, _dir) = server().await;
    for (body, param) in [
        (json!({ "model": "tts-1", "input": "Hello.", "voice": "alloy", "speed": 5.0 }), "speed"),
        (json!({ "model": "tts-1", "input": "Hello.", "voice": "nobody" }), "voice"),
        (json!({ "model": "tts-1", "input": "Hello.", "voice": "alloy", "stream_format": "ws" }), "stream_format"),
    ] {
        let response = server.client.post(server.url("/v1/audio/speech")).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 400, "{body}");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["param"], param, "{error}");
        assert_eq!(error["error"]["type"], "invalid_request_error");
    }
    let herald_voice =
        json!({ "model": "tts-1", "input": "Bonjour à tous.", "voice": "espeak:fr", "response_format": "wav" });
    let response = server.client.post(server.url("/v1/audio/speech")).json(&herald_voice).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "audio/wav");
}

#[tokio::test]
async fn marytts_requests_as_home_assistant_sends_them() {
    let (server, _dir) = server().await;
    // speak2mary (Home Assistant's client) posts a form with no content type, with effects.
    let form = serde_urlencoded::to_string([
        ("INPUT_TEXT", "Bonjour à tous, merci d'être venus."),
        ("OUTPUT_TYPE", "AUDIO"),
        ("INPUT_TYPE", "TEXT"),
        ("LOCALE", "fr_FR"),
        ("AUDIO", "WAVE_FILE"),
        ("VOICE", "cmu-slt-hsmm"),
        ("effect_Volume_selected", "on"),
        ("effect_Volume_parameters", "amount:2.0;"),
    ])
    .unwrap();
    let response = server.client.post(server.url("/process")).body(form).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "audio/wav");
    assert!(complete_wav(&response.bytes().await.unwrap()) > 1.0);
    let get = server
        .client
        .get(server.url("/process?INPUT_TEXT=Guten%20Morgen&INPUT_TYPE=TEXT&OUTPUT_TYPE=AUDIO&AUDIO=WAVE_FILE&LOCALE=de&VOICE=espeak:de"))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 200);
    assert!(complete_wav(&get.bytes().await.unwrap()) > 0.5);
    let ssml = serde_urlencoded::to_string([
        ("INPUT_TEXT", "<speak>Hello <break time=\"1s\"/> there.</speak>"),
        ("INPUT_TYPE", "SSML"),
    ])
    .unwrap();
    let response = server.client.post(server.url("/process")).body(ssml).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(complete_wav(&response.bytes().await.unwrap()) > 1.5);
    let voices = server.client.get(server.url("/voices")).send().await.unwrap().text().await.unwrap();
    let lines: Vec<&str> = voices.lines().collect();
    assert!(lines.len() > 50, "{} voices", lines.len());
    assert!(lines.iter().all(|l| l.split(' ').count() == 4), "name locale gender type: {voices}");
    assert!(lines.iter().any(|l| l.starts_with("espeak:fr fr")), "{voices}");
    let locales = server.client.get(server.url("/locales")).send().await.unwrap().text().await.unwrap();
    assert!(locales.lines().any(|l| l == "en_US") && locales.lines().any(|l| l == "de"), "{locales}");
    let version = server.client.get(server.url("/version")).send().await.unwrap().text().await.unwrap();
    assert!(version.starts_with("Mary TTS server"), "{version}");
    let missing = server.client.post(server.url("/process")).body("INPUT_TYPE=TEXT").send().await.unwrap();
    assert_eq!(missing.status(), 400);
}

#[tokio::test]
async fn opentts_requests_as_its_clients_send_them() {
    let (server, _dir) = server().await;
    let get =
        server.client.get(server.url("/api/tts?voice=espeak%3Afr&text=Bonjour%20%C3%A0%20tous")).send().await.unwrap();
    assert_eq!(get.status(), 200);
    assert!(complete_wav(&get.bytes().await.unwrap()) > 0.5);
    let post = server
        .client
        .post(server.url("/api/tts?voice=espeak%3Ade"))
        .header(header::CONTENT_TYPE, "text/plain")
        .body("Guten Morgen, meine Damen und Herren.")
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 200);
    assert!(complete_wav(&post.bytes().await.unwrap()) > 1.0);
    let ssml = server
        .client
        .post(server.url("/api/tts?ssml=true"))
        .body("<speak><s>One.</s><break time=\"800ms\"/><s>Two.</s></speak>")
        .send()
        .await
        .unwrap();
    assert_eq!(ssml.status(), 200);
    let unknown = server.client.get(server.url("/api/tts?voice=larynx%3Anobody&text=hi")).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
    let voices = server.get_json("/api/voices").await;
    let french = &voices["espeak:fr"];
    assert_eq!((french["language"].as_str(), french["tts_name"].as_str()), (Some("fr"), Some("espeak")), "{french}");
    let only_german = server.get_json("/api/voices?language=de").await;
    assert!(only_german.as_object().unwrap().values().all(|v| v["language"] == "de"));
    let languages: Vec<String> =
        server.client.get(server.url("/api/languages")).send().await.unwrap().json().await.unwrap();
    assert!(["en", "fr", "de"].iter().all(|l| languages.iter().any(|x| x == l)), "{languages:?}");
}

#[tokio::test]
async fn ssml_documents_use_two_voices_breaks_and_marks() {
    let (server, _dir) = server().await;
    let ssml = r#"<?xml version="1.0"?>
<speak version="1.1" xml:lang="en">
  <p>Good morning to everyone here. <mark name="greeting-done"/>We begin now.</p>
  <p><lang xml:lang="fr">Bonjour à tous, merci d'être venus.</lang></p>
</speak>"#;
    let response = server
        .client
        .post(server.url("/v1/documents"))
        .header(header::CONTENT_TYPE, "application/ssml+xml")
        .body(ssml)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let doc: Value = response.json().await.unwrap();
    let paragraphs = doc["paragraphs"].as_array().unwrap();
    assert_eq!(paragraphs.len(), 2, "{doc}");
    assert_eq!((paragraphs[0]["lang"].as_str(), paragraphs[1]["lang"].as_str()), (Some("en"), Some("fr")));
    assert_ne!(paragraphs[0]["voice"], paragraphs[1]["voice"], "two languages, two voices");
    let timings = server.get_json(&format!("/v1/documents/{}/timings.json", doc["id"].as_str().unwrap())).await;
    let mark = &timings["marks"][0];
    assert_eq!(mark["name"], "greeting-done", "{timings}");
    let second_sentence = timings["paragraphs"][0]["sentences"][1]["start"].as_f64().unwrap();
    assert!((mark["time"].as_f64().unwrap() - second_sentence).abs() < 0.01, "{mark} at the second sentence");

    let plain = speak_ssml(&server, "<speak>One sentence here. Two sentences here.</speak>").await;
    let paused = speak_ssml(&server, r#"<speak>One sentence here.<break time="2s"/>Two sentences here.</speak>"#).await;
    let seconds = |bytes: &[u8]| (bytes.len() - 44) as f64 / 2.0 / 22_050.0;
    let (plain, paused) = (seconds(&plain.bytes().await.unwrap()), seconds(&paused.bytes().await.unwrap()));
    assert!((paused - plain - 2.0).abs() < 0.3, "a 2 s break made {plain} s into {paused} s");
}

#[tokio::test]
async fn ssml_entity_bombs_and_external_entities_are_refused() {
    let (server, _dir) = server().await;
    let bomb = format!(
        r#"<?xml version="1.0"?><!DOCTYPE speak [<!ENTITY a "aaaaaaaaaa">{}]><speak>&a9;</speak>"#,
        (1..10)
            .map(|i| format!(r#"<!ENTITY a{i} "{}">"#, format!("&a{};", i - 1).repeat(10).replace("&a0;", "&a;")))
            .collect::<String>()
    );
    let external =
        r#"<?xml version="1.0"?><!DOCTYPE speak [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><speak>&xxe;</speak>"#;
    let undefined = "<speak>&xxe;</speak>";
    for (name, ssml) in [("bomb", bomb.as_str()), ("external", external), ("undefined", undefined)] {
        let response = speak_ssml(&server, ssml).await;
        assert_eq!(response.status(), 400, "{name}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["type"], "urn:herald:problem:invalid-ssml", "{name}: {problem}");
        assert!(!problem["detail"].as_str().unwrap().contains("root:"), "{name}: nothing was read from a file");
    }
    let audio = speak_ssml(&server, r#"<speak>Hi <audio src="http://example.com/a.wav"/></speak>"#).await;
    assert_eq!(audio.status(), 400);
}
