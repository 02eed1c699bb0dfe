//! Language detection measured on a corpus Herald was not tuned on
//! (`tests/fixtures/lang/corpus.toml`: 22 languages, 10 scripts), on
//! mixed-language documents, and the hints each HTTP door takes: headers,
//! HTML `lang` (as the Listen button sends it) and SSML `xml:lang`.

mod common;

use common::server::TestServer;
use herald::document::{ingest, InputFormat};
use herald::text::{split_sentences, LangTag, LanguageDetector, ParagraphInput};
use serde::Deserialize;

#[derive(Deserialize)]
struct Corpus {
    sample: Vec<Sample>,
}

#[derive(Deserialize)]
struct Sample {
    lang: String,
    script: String,
    text: String,
}

fn corpus() -> Vec<Sample> {
    let raw = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/lang/corpus.toml")).unwrap();
    toml::from_str::<Corpus>(&raw).unwrap().sample
}

/// Detects each sample as a one-paragraph document (the hardest case: no
/// document context to inherit from).
fn detect_alone(text: &str) -> String {
    let sentences = split_sentences(text);
    let input = ParagraphInput { text, sentences: sentences.iter().map(|s| s.text.as_str()).collect(), hint: None };
    LanguageDetector::default().assign(&[input], None, &[]).paragraphs[0].detection.lang.primary().to_string()
}

#[test]
fn detects_paragraphs_and_sentences_across_scripts() {
    let samples = corpus();
    let languages: std::collections::BTreeSet<&str> = samples.iter().map(|s| s.lang.as_str()).collect();
    let scripts: std::collections::BTreeSet<&str> = samples.iter().map(|s| s.script.as_str()).collect();
    assert!(languages.len() >= 10 && scripts.len() >= 5);
    let (mut paragraphs, mut paragraph_hits, mut sentences, mut sentence_hits) = (0, 0, 0, 0);
    let mut misses = Vec::new();
    for s in &samples {
        let got = detect_alone(&s.text);
        let is_sentence = split_sentences(&s.text).len() == 1;
        let hit = got == s.lang;
        if is_sentence {
            sentences += 1;
            sentence_hits += hit as usize;
        } else {
            paragraphs += 1;
            paragraph_hits += hit as usize;
        }
        if !hit {
            misses.push(format!("{} detected as {got}: {:.40}", s.lang, s.text));
        }
    }
    let paragraph_accuracy = paragraph_hits as f64 / paragraphs as f64;
    let sentence_accuracy = sentence_hits as f64 / sentences as f64;
    println!("paragraphs {paragraph_hits}/{paragraphs} ({paragraph_accuracy:.3}), sentences {sentence_hits}/{sentences} ({sentence_accuracy:.3})");
    for miss in &misses {
        println!("miss: {miss}");
    }
    assert!(paragraph_accuracy >= 0.95, "paragraph accuracy {paragraph_accuracy:.3}; misses: {misses:#?}");
    assert!(sentence_accuracy >= 0.80, "sentence accuracy {sentence_accuracy:.3}; misses: {misses:#?}");
}

#[test]
fn latin_names_do_not_decide_another_script() {
    for (text, lang) in [
        ("Inkscape をインストールしました。", "ja"),
        ("Twitter の投稿画像", "ja"),
        ("PostScript ডকুমেন্ট", "bn"),
        ("Bridge ក្នុង", "km"),
        ("Windows ನಲ್ಲಿ ಬೆಂಬಲಿತವಾಗಿಲ್ಲ", "kn"),
        ("Откройте файл в Inkscape", "ru"),
        ("In Japanese, thank you is ありがとう, said the teacher today.", "en"),
    ] {
        assert_eq!(detect_alone(text), lang, "{text}");
    }
}

fn document_langs(path: &str) -> Vec<(String, Option<Vec<String>>)> {
    let text = std::fs::read_to_string(format!("{}/tests/fixtures/lang/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let doc = ingest(&text, InputFormat::Text).unwrap();
    let sentences: Vec<_> = doc.blocks.iter().map(|b| split_sentences(&b.text)).collect();
    let inputs: Vec<ParagraphInput<'_>> = doc
        .blocks
        .iter()
        .zip(&sentences)
        .map(|(b, s)| ParagraphInput {
            text: &b.text,
            sentences: s.iter().map(|s| s.text.as_str()).collect(),
            hint: None,
        })
        .collect();
    LanguageDetector::default()
        .assign(&inputs, None, &[])
        .paragraphs
        .into_iter()
        .map(|p| {
            let per_sentence = p.sentences.map(|s| s.into_iter().map(|d| d.lang.to_string()).collect());
            (p.detection.lang.to_string(), per_sentence)
        })
        .collect()
}

#[test]
fn mixed_document_gets_a_language_per_paragraph() {
    let langs: Vec<String> = document_langs("mixed-fr-de-en.txt").into_iter().map(|(l, _)| l).collect();
    assert_eq!(langs, ["fr", "fr", "de", "en", "fr"]);
}

#[test]
fn mixed_paragraph_gets_a_language_per_sentence() {
    let got = document_langs("mixed-sentences.txt");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].1.as_deref(), Some(&["en".to_string(), "en".into(), "ru".into(), "ru".into()][..]));
}

#[test]
fn explicit_hint_wins_over_detection() {
    let text = "Ceci est clairement un paragraphe écrit en français, sans aucun doute possible.";
    let input = ParagraphInput { text, sentences: vec![text], hint: None };
    let hint = LangTag::parse("de").unwrap();
    let got = LanguageDetector::default().assign(&[input], Some(&hint), &[]);
    assert_eq!(got.paragraphs[0].detection.lang, hint);
}

/// Creates a document through `POST /v1/documents` and returns its first
/// paragraph.
async fn first_paragraph_json(
    server: &TestServer,
    media_type: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> serde_json::Value {
    let mut request =
        server.client.post(server.url("/v1/documents")).header("content-type", media_type).body(body.to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 201);
    let mut document: serde_json::Value = response.json().await.unwrap();
    document["paragraphs"][0].take()
}

/// As [`first_paragraph_json`]: the paragraph's language and where it came from.
async fn first_paragraph(
    server: &TestServer,
    media_type: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (String, String) {
    let paragraph = first_paragraph_json(server, media_type, headers, body).await;
    (paragraph["lang"].as_str().unwrap().to_string(), paragraph["lang_source"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn http_doors_take_every_language_hint() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path().to_path_buf(), 1).await;
    // Danish and Norwegian Bokmål write this line the same way: the text
    // alone leaves it open, so a request's language decides.
    let open = "Vi ses i morgen.";
    let alone = first_paragraph_json(&server, "text/plain", &[], open).await;
    let open_guess = match alone["lang"].as_str().unwrap() {
        "und" => true,
        "da" | "nb" => alone["confidence"].as_f64().unwrap() < 0.8,
        _ => false,
    };
    assert!(open_guess, "the text alone should leave da/nb open: {alone}");
    for header in ["content-language", "accept-language"] {
        let got = first_paragraph(&server, "text/plain", &[(header, "da")], open).await;
        assert_eq!(got, ("da".to_string(), "prior".to_string()), "{header}");
    }
    // A prior never overrides what the text makes sure of.
    let french = "Le ministre a présenté aujourd'hui le plan de rénovation des écoles de la ville.";
    let got = first_paragraph(&server, "text/plain", &[("content-language", "de")], french).await;
    assert_eq!(got.0, "fr");
    // The Listen button's payload: the host page's `lang` on <html>.
    let listen = r#"<!doctype html><html lang="sw"><body><article><p>Karibu.</p></article></body></html>"#;
    let got = first_paragraph(&server, "text/html", &[("accept-language", "en")], listen).await;
    assert_eq!(got, ("sw".to_string(), "hint".to_string()));
    let xhtml = r#"<html xml:lang="ms"><body><p>Selamat datang.</p></body></html>"#;
    assert_eq!(first_paragraph(&server, "text/html", &[], xhtml).await.0, "ms");
    let ssml = r#"<speak version="1.0" xml:lang="da"><p>Vi ses i morgen.</p></speak>"#;
    let got = first_paragraph(&server, "application/ssml+xml", &[("content-language", "nb")], ssml).await;
    assert_eq!(got, ("da".to_string(), "hint".to_string()));
    server.stop().await;
}

#[tokio::test]
async fn speech_route_takes_header_priors() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path().to_path_buf(), 1).await;
    let speak = |header: Option<&'static str>| {
        let mut request =
            server.client.post(server.url("/v1/speech")).json(&serde_json::json!({ "text": "Vi ses i morgen." }));
        if let Some(lang) = header {
            request = request.header("content-language", lang);
        }
        request.send()
    };
    let response = speak(Some("da")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-herald-lang"], "da");
    assert_eq!(response.headers()["x-herald-voice"], "espeak:da");
    response.bytes().await.unwrap();
    server.stop().await;
}
