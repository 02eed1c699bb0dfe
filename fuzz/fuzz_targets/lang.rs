//! Language detection over arbitrary paragraphs: one answer per paragraph,
//! one per sentence when split, and every tag valid.
#![no_main]

use herald::text::{split_sentences, LangTag, LanguageDetector, ParagraphInput};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let paragraphs: Vec<&str> = text.split("\n\n").collect();
    let sentences: Vec<_> = paragraphs.iter().map(|p| split_sentences(p)).collect();
    let inputs: Vec<ParagraphInput<'_>> = paragraphs
        .iter()
        .zip(&sentences)
        .map(|(p, s)| ParagraphInput { text: p, sentences: s.iter().map(|s| s.text.as_str()).collect(), hint: None })
        .collect();
    let assignment = LanguageDetector::default().assign(&inputs, None, &[]);
    assert_eq!(assignment.paragraphs.len(), inputs.len());
    for (p, input) in assignment.paragraphs.iter().zip(&inputs) {
        assert!(LangTag::parse(p.detection.lang.as_str()).is_ok());
        if let Some(per) = &p.sentences {
            assert_eq!(per.len(), input.sentences.len());
        }
    }
});
