//! Cost of the Japanese and Chinese front ends: dictionary compile and load
//! time, resident memory they add, and the per-sentence cost of a reading
//! against what planning already pays per sentence (sentence splitting and
//! language detection of the same sentence), measured in the same run.
//!
//! Run: `cargo bench --bench readings` (release build). The sentences are
//! those of `tests/fixtures/readings.toml`.

use herald::settings::Settings;
use herald::text::{split_sentences, LanguageDetector, ParagraphInput, Readers, ReadingSettings, Script};
use std::time::{Duration, Instant};

// The fixture's expected readings are for the tests; only its texts are timed here.
#[allow(dead_code)]
#[path = "../tests/common/readings.rs"]
mod readings;

use readings::Sample;

const ROUNDS: usize = 200;

/// Resident memory of this process, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// The median time of `f` on each sentence, over [`ROUNDS`] rounds.
fn per_sentence(sentences: &[Sample], mut f: impl FnMut(&str)) -> Duration {
    let mut samples = Vec::with_capacity(ROUNDS * sentences.len());
    for _ in 0..ROUNDS {
        for s in sentences {
            let start = Instant::now();
            f(&s.text);
            samples.push(start.elapsed());
        }
    }
    median(&mut samples)
}

fn main() {
    let fixture = readings::fixture();
    let settings = Settings::default().reading();

    // Compiling the dictionary (first use on a machine), into a fresh cache.
    let fresh = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let compiling = Readers::new(ReadingSettings { cache_dir: fresh.path().to_path_buf(), ..settings.clone() });
    assert!(compiling.read("日本", Script::Kana).is_some(), "the Japanese dictionary is installed");
    println!("Japanese dictionary compile (first use):   {:>8.0} ms", start.elapsed().as_secs_f64() * 1000.0);
    drop(compiling);

    let readers = Readers::new(settings);
    let before = rss_kib();
    let start = Instant::now();
    readers.read("日本", Script::Kana);
    let japanese_load = start.elapsed();
    let japanese_rss = rss_kib().saturating_sub(before);
    let before = rss_kib();
    let start = Instant::now();
    readers.read("中国", Script::Pinyin);
    let chinese_load = start.elapsed();
    let chinese_rss = rss_kib().saturating_sub(before);
    println!(
        "Japanese dictionary load (compiled):       {:>8.0} ms, +{} MiB RSS",
        japanese_load.as_secs_f64() * 1000.0,
        japanese_rss / 1024
    );
    println!(
        "Chinese dictionaries load:                 {:>8.0} ms, +{} MiB RSS",
        chinese_load.as_secs_f64() * 1000.0,
        chinese_rss / 1024
    );

    let detector = LanguageDetector::default();
    let baseline = |text: &str| {
        let sentences = split_sentences(text);
        let input = ParagraphInput { text, sentences: sentences.iter().map(|s| s.text.as_str()).collect(), hint: None };
        std::hint::black_box(detector.assign(&[input], None, &[]));
    };
    for (name, sentences, script) in
        [("Japanese", &fixture.japanese, Script::Kana), ("Chinese", &fixture.chinese, Script::Pinyin)]
    {
        let base = per_sentence(sentences, baseline);
        let reading = per_sentence(sentences, |text| {
            std::hint::black_box(readers.read(text, script));
        });
        println!(
            "{name:<9} reading p50 {:>7.1} µs per sentence; split + detect p50 {:>6.1} µs; ratio {:.1}×",
            us(reading),
            us(base),
            us(reading) / us(base)
        );
    }
}
