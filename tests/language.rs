//! Language detection measured on a corpus Herald was not tuned on
//! (`tests/fixtures/lang/corpus.toml`: 22 languages, 10 scripts), and on
//! mixed-language documents.

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
    LanguageDetector::default().assign(&[input], None).paragraphs[0].detection.lang.primary().to_string()
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
        .assign(&inputs, None)
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
    let got = LanguageDetector::default().assign(&[input], Some(&hint));
    assert_eq!(got.paragraphs[0].detection.lang, hint);
}
