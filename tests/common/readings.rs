//! The sentences of `tests/fixtures/readings.toml` and their expected
//! readings (katakana for Japanese, numbered pinyin for Mandarin), shared by
//! the tests and the readings benchmark.

#[derive(serde::Deserialize)]
pub(crate) struct Fixture {
    pub japanese: Vec<Sample>,
    pub chinese: Vec<Sample>,
}

#[derive(serde::Deserialize)]
pub(crate) struct Sample {
    pub text: String,
    pub reading: String,
}

pub(crate) fn fixture() -> Fixture {
    let raw = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/readings.toml")).unwrap();
    toml::from_str(&raw).unwrap()
}
