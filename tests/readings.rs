//! Readings: Japanese handed to the engine as katakana, Mandarin as
//! numbered pinyin, checked against dictionaries (not against Herald's own
//! output), against libespeak-ng's own phonemes, and end to end through
//! `herald plan --json`, the document JSON, the page and the timings.
//!
//! The sentences and the sources of their expected readings (IPADIC and
//! EDICT for Japanese, pypinyin's dictionaries for Mandarin) are in
//! `tests/fixtures/readings.toml`.

mod common;

use common::readings::{fixture, Sample};
use common::server::TestServer;
use herald::engine::espeak::Espeak;
use herald::settings::Settings;
use herald::text::{Readers, Script};
use serde_json::{json, Value};

fn readers() -> Readers {
    Readers::new(Settings::default().reading())
}

/// Every sample (at least 20) reads as expected.
fn assert_readings(samples: &[Sample], script: Script) {
    assert!(samples.len() >= 20);
    let readers = readers();
    let wrong: Vec<String> = samples
        .iter()
        .filter_map(|Sample { text, reading: expected }| {
            // Japanese words are apart in the reading; the dictionaries give them whole.
            let got = readers.read(text, script).map(|r| r.text).unwrap_or_default();
            let compared = if script == Script::Kana { got.replace(' ', "") } else { got.clone() };
            (compared != *expected).then(|| format!("{text}\n  expected {expected}\n  got      {got}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{} of {} wrong:\n{}", wrong.len(), samples.len(), wrong.join("\n"));
}

#[test]
fn japanese_readings_match_the_dictionaries() {
    assert_readings(&fixture().japanese, Script::Kana);
}

#[test]
fn chinese_readings_match_the_dictionaries() {
    assert_readings(&fixture().chinese, Script::Pinyin);
}

/// libespeak-ng marks a switch to another language's rules with `(en)`;
/// that is how it spells a kanji ("Chinese letter") or reads tone digits.
#[test]
fn espeak_reads_every_reading_in_its_own_language() {
    let (readers, fixture) = (readers(), fixture());
    let mut espeak = Espeak::new().unwrap();
    for Sample { text, .. } in &fixture.japanese {
        let reading = readers.read(text, Script::Kana).expect("a reading").text;
        assert!(!reading.chars().any(is_han), "kanji left in {reading}");
        let phonemes: Vec<String> = espeak.phonemize("ja", &reading).unwrap().into_iter().map(|c| c.phonemes).collect();
        let phonemes = phonemes.join(" ");
        assert!(!phonemes.contains("(en)"), "{text} → {reading} → {phonemes}");
        assert!(!phonemes.is_empty());
    }
    // As written, kanji switch espeak-ng to English ("Chinese letter"):
    // the check above can fail.
    let raw: Vec<String> =
        espeak.phonemize("ja", &fixture.japanese[0].text).unwrap().into_iter().map(|c| c.phonemes).collect();
    assert!(raw.join(" ").contains("(en)"));
    for Sample { text, .. } in &fixture.chinese {
        let reading = readers.read(text, Script::Pinyin).expect("a reading").text;
        let phonemes: Vec<String> =
            espeak.phonemize("cmn-latn-pinyin", &reading).unwrap().into_iter().map(|c| c.phonemes).collect();
        let phonemes = phonemes.join(" ");
        assert!(!phonemes.contains("(en)"), "{text} → {reading} → {phonemes}");
    }
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}')
}

#[test]
fn plan_json_carries_the_reading() {
    let sample = &fixture().japanese[0];
    let output = std::process::Command::new(common::herald_binary())
        .args(["plan", "--json", "--lang", "ja", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(sample.text.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(output.status.success());
    let plan: Value = serde_json::from_slice(&output.stdout).unwrap();
    let sentence = &plan["paragraphs"][0]["sentences"][0];
    assert_eq!(sentence["text"].as_str(), Some(sample.text.as_str()));
    assert_eq!(sentence["reading"].as_str().map(|r| r.replace(' ', "")), Some(sample.reading.clone()));
    assert_eq!(sentence["voice"], "espeak:ja");
}

/// A document of Japanese and Mandarin paragraphs: the JSON has each
/// sentence's reading, the page shows the original text, and word timings
/// land on displayed characters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_show_the_text_and_speak_the_reading() {
    let cache = tempfile::tempdir().unwrap();
    let server = TestServer::start(cache.path().to_path_buf(), 1).await;
    let fixture = fixture();
    let (japanese, chinese) = (&fixture.japanese[0], &fixture.chinese[0]);
    let text = format!("{}\n\n{}", japanese.text, chinese.text);
    let created = server.post_json("/v1/documents", &json!({ "text": text, "format": "text" })).await;
    let id = created["id"].as_str().expect("a document id").to_string();
    let document = server.get_json(&format!("/v1/documents/{id}")).await;
    let paragraphs = document["paragraphs"].as_array().unwrap();
    let sentence = |p: usize| &paragraphs[p]["sentences"][0];
    let kana = sentence(0)["reading"].as_str().map(|r| r.replace(' ', ""));
    assert_eq!(
        (sentence(0)["text"].as_str(), kana.as_deref()),
        (Some(japanese.text.as_str()), Some(japanese.reading.as_str()))
    );
    assert_eq!(
        (sentence(1)["text"].as_str(), sentence(1)["reading"].as_str()),
        (Some(chinese.text.as_str()), Some(chinese.reading.as_str()))
    );
    assert_eq!(sentence(1)["voice"], "espeak:cmn-latn-pinyin");

    let page = server.client.get(server.url(&format!("/d/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("平和") || page.contains(">平<"), "the page shows the kanji");
    assert!(!page.contains("ヘイワ") && !page.contains("yin2"), "the page never shows the reading");

    let timings = server.get_json(&format!("/v1/documents/{id}/timings.json")).await;
    for (p, paragraph) in timings["paragraphs"].as_array().unwrap().iter().enumerate() {
        let shown: Vec<char> = paragraphs[p]["text"].as_str().unwrap().chars().collect();
        let words = paragraph["sentences"][0]["words"].as_array().unwrap();
        assert!(words.len() >= 3, "paragraph {p} has word timings: {paragraph}");
        for word in words {
            let (start, end) =
                (word["text_start"].as_u64().unwrap() as usize, word["text_end"].as_u64().unwrap() as usize);
            assert!(start < end && end <= shown.len(), "{word} within {}", shown.len());
            assert!(shown[start].is_alphanumeric(), "word timing at {start} lands on {:?}", shown[start]);
        }
    }
    server.stop().await;
}
