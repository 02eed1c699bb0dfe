//! Any bytes, as text, Markdown and HTML: ingest must not panic or hang, and
//! what it produces must be clean (no control characters, no bidi overrides).
#![no_main]

use herald::document::{ingest, InputFormat};
use herald::text::normalize::is_stripped;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for format in [InputFormat::Text, InputFormat::Markdown, InputFormat::Html] {
        if let Ok(document) = ingest(text, format) {
            let texts = document.title.iter().chain(document.meta.iter().map(|m| &m.text)).chain(document.blocks.iter().map(|b| &b.text));
            for t in texts {
                assert!(!t.chars().any(is_stripped), "stripped character survived: {t:?}");
                assert_eq!(t.trim(), t);
            }
        }
    }
});
