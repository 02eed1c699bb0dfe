//! `GET /openapi.json`: an OpenAPI 3.1 document that names every route, and
//! that Herald keeps to: Schemathesis (from `scripts/setup.sh --test`)
//! sends generated requests to every operation and checks that none is
//! answered with a server error or with a body its schema does not allow.

mod common;

use common::server::TestServer;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::process::Command;

/// Every route of `src/web/routes.rs`, by method.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/"),
    ("get", "/assets/{name}"),
    ("get", "/embed.js"),
    ("get", "/healthz"),
    ("get", "/metrics"),
    ("get", "/v1/voices"),
    ("get", "/voices"),
    ("get", "/locales"),
    ("get", "/version"),
    ("get", "/api/voices"),
    ("get", "/api/languages"),
    ("get", "/openapi.json"),
    ("get", "/d/{id}"),
    ("get", "/v1/documents/{id}"),
    ("get", "/v1/documents/{id}/{file}"),
    ("get", "/v1/documents/{id}/paragraphs/{n}/{file}"),
    ("get", "/v1/documents/{id}/progress"),
    ("get", "/v1/documents/{id}/timings.json"),
    ("get", "/v1/documents/{id}/timeline.ndjson"),
    ("get", "/v1/documents/{id}/captions.vtt"),
    ("get", "/v1/documents/{id}/paragraphs/{n}/timings.json"),
    ("get", "/v1/documents/{id}/paragraphs/{n}/captions.vtt"),
    ("get", "/v1/documents/{id}/paragraphs/{n}/timeline.ndjson"),
    ("get", "/v1/batches/{id}"),
    ("get", "/v1/batches/{id}/files/feed.xml"),
    ("get", "/v1/batches/{id}/files/episodes/{file}"),
    ("get", "/v1/books/{id}"),
    ("get", "/v1/books/{id}/files/book.epub"),
    ("get", "/v1/books/{id}/files/audiobook/{file}"),
    ("post", "/d"),
    ("post", "/v1/speech"),
    ("post", "/v1/documents"),
    ("post", "/v1/batches"),
    ("post", "/v1/books"),
    ("get", "/process"),
    ("post", "/process"),
    ("get", "/api/tts"),
    ("post", "/api/tts"),
    ("post", "/v1/audio/speech"),
];

async fn server() -> (TestServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (TestServer::start(dir.path().to_path_buf(), 2).await, dir)
}

#[tokio::test]
async fn the_description_is_openapi_3_1_and_names_every_route() {
    let (server, _dir) = server().await;
    let response = server.client.get(server.url("/openapi.json")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let spec: Value = response.json().await.unwrap();
    assert_eq!(spec["openapi"], "3.1.0");
    let paths = spec["paths"].as_object().unwrap();
    for (method, path) in ROUTES {
        assert!(
            paths.get(*path).and_then(|p| p.get(*method)).is_some(),
            "{} {path} is not described",
            method.to_uppercase()
        );
    }
    let described: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(described, ROUTES.len(), "the description has operations that are not routes");
    assert!(spec["components"]["schemas"]["Problem"].is_object());
    server.stop().await;
}

/// Schemathesis settings that point the document routes at a real
/// document (`path.id`), its first paragraph and real audio files, so
/// they are exercised beyond 404.
fn config(document: &str) -> String {
    format!(
        r#"
[[operations]]
include-path-regex = '^/(d|v1/documents)/\{{id\}}(/progress|/timings\.json|/timeline\.ndjson|/captions\.vtt)?$'
parameters = {{ "path.id" = "{document}" }}

[[operations]]
include-path-regex = '^/v1/documents/\{{id\}}/paragraphs/\{{n\}}/(timings\.json|timeline\.ndjson|captions\.vtt)$'
parameters = {{ "path.id" = "{document}", "path.n" = "0" }}

[[operations]]
include-path = "/v1/documents/{{id}}/{{file}}"
parameters = {{ "path.id" = "{document}", "path.file" = "audio.mp3" }}

[[operations]]
include-path = "/v1/documents/{{id}}/paragraphs/{{n}}/{{file}}"
parameters = {{ "path.id" = "{document}", "path.n" = "0", "path.file" = "audio.opus" }}

[[operations]]
include-path = "/assets/{{name}}"
parameters = {{ "path.name" = "herald.css" }}
"#
    )
}

#[tokio::test]
async fn schemathesis_finds_no_server_error_and_no_answer_outside_the_schema() {
    let (server, dir) = server().await;
    let text = "Herald reads statements aloud. This is the second sentence.\n\nA second paragraph.";
    let created = server.client.post(server.url("/v1/documents")).json(&json!({ "text": text })).send().await.unwrap();
    assert_eq!(created.status(), 201);
    let document: Value = created.json().await.unwrap();
    let settings = dir.path().join("schemathesis.toml");
    std::fs::write(&settings, config(document["id"].as_str().unwrap())).unwrap();
    // A child process awaited, so the server on this runtime keeps answering it.
    let run = Command::new(common::test_python())
        .args(["-m", "schemathesis.cli", "--no-color", "--config-file"])
        .arg(&settings)
        .args(["run", &server.url("/openapi.json")])
        .args(["--checks", "not_a_server_error,response_schema_conformance"])
        .args(["--max-examples", "5", "--request-timeout", "20", "--workers", "1"])
        .args(["--phases", "examples,coverage,fuzzing", "--seed", "1"])
        .args(["--suppress-health-check", "all"])
        .current_dir(dir.path())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(240), run).await.expect("schemathesis finishes").unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    eprintln!("{report}");
    assert!(
        output.status.success(),
        "schemathesis found failures:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    server.stop().await;
}
