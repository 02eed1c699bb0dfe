//! Sentence segmentation: offsets must be in bounds, ordered, and slice out
//! exactly each sentence's text; no sentence may exceed the engine limit.
#![no_main]

use herald::text::normalize::clean;
use herald::text::segment::MAX_SENTENCE_CHARS;
use herald::text::split_sentences;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else { return };
    let paragraph = clean(raw);
    let chars: Vec<char> = paragraph.chars().collect();
    let mut previous_end = 0;
    for s in split_sentences(&paragraph) {
        assert!(s.start >= previous_end && s.start < s.end && s.end <= chars.len());
        assert_eq!(chars[s.start..s.end].iter().collect::<String>(), s.text);
        assert!(s.text.chars().count() <= MAX_SENTENCE_CHARS);
        previous_end = s.end;
    }
});
