//! Compiles the language-identification n-gram model
//! (`src/text/lang/ngrams.tsv`) into the binary's zero-copy form: see
//! `src/text/lang/ngram/compile.rs`.

#[path = "src/text/lang/ngram/compile.rs"]
mod compile;

use std::path::PathBuf;

const MODEL: &str = "src/text/lang/ngrams.tsv";

fn main() {
    println!("cargo::rerun-if-changed={MODEL}");
    println!("cargo::rerun-if-changed=src/text/lang/ngram/compile.rs");
    let text = std::fs::read_to_string(MODEL).unwrap_or_else(|e| panic!("{MODEL}: {e}"));
    let compiled = compile::compile(&text).unwrap_or_else(|e| panic!("{MODEL}: {e}"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let write = |name: &str, bytes: &[u8]| {
        std::fs::write(out.join(name), bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    };
    write("ngram_header.rs", compiled.rust_header().as_bytes());
    write("ngrams.fst", &compiled.grams);
    write("ngram_entries.bin", &compiled.entries);
}
