//! Clause units for neural voices: the reference statement's long sentences
//! (over 100 characters, with commas, semicolons or colons) inferred whole
//! against clause by clause (`neural_split_clauses`), in the same run:
//! time to the first 2 KB of audio, whole-sentence time, audio length, and
//! the word error rate that an open recogniser (PocketSphinx, as in the
//! test suite) makes on each. The split is kept only if it does not make
//! the word error rate worse.
//!
//! Setup: `./scripts/setup.sh --test` (the recogniser in `.venv-test/`).
//! Run: `cargo bench --bench clauses`.

mod support;

use herald::text::segment::split_sentences;
use std::path::Path;
use std::time::{Duration, Instant};
use support::{ms, percentile, Server};

const STATEMENT: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/nato-japan-joint-statement-2023-04-04.txt"));
const PYTHON: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/.venv-test/bin/python");
const WER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/judge/sphinx_wer.py");
const FIRST_AUDIO_BYTES: usize = 44 + 2048;

#[derive(Default)]
struct Figures {
    first: Vec<Duration>,
    whole: Vec<Duration>,
    audio_bytes: usize,
    edits: u64,
    words: u64,
}

/// Word errors and reference words of one WAV.
fn recognise(wav: &Path, reference: &str) -> (u64, u64) {
    let output =
        std::process::Command::new(PYTHON).arg(WER).arg(wav).arg(reference).output().expect("sphinx_wer.py runs");
    assert!(output.status.success(), "sphinx_wer.py: {}", String::from_utf8_lossy(&output.stderr));
    let result: serde_json::Value = serde_json::from_slice(&output.stdout).expect("sphinx_wer.py prints JSON");
    (result["edits"].as_u64().unwrap(), result["words"].as_u64().unwrap())
}

async fn speak(client: &reqwest::Client, base: &str, text: &str, wav: &Path, figures: &mut Figures) {
    let body = serde_json::json!({ "text": text, "quality": "natural" });
    let started = Instant::now();
    let mut response = client.post(format!("{base}/v1/speech")).json(&body).send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let mut audio = Vec::new();
    let mut first = None;
    while let Some(chunk) = response.chunk().await.unwrap() {
        audio.extend_from_slice(&chunk);
        if audio.len() >= FIRST_AUDIO_BYTES && first.is_none() {
            first = Some(started.elapsed());
        }
    }
    figures.first.push(first.unwrap_or_else(|| started.elapsed()));
    figures.whole.push(started.elapsed());
    figures.audio_bytes += audio.len();
    std::fs::write(wav, &audio).unwrap();
    let (edits, words) = recognise(wav, text);
    figures.edits += edits;
    figures.words += words;
}

fn main() {
    let sentences: Vec<String> = STATEMENT
        .split("\n\n")
        .flat_map(|paragraph| split_sentences(&paragraph.split_whitespace().collect::<Vec<_>>().join(" ")))
        .map(|s| s.text)
        .filter(|s| s.chars().count() > 100 && s.contains([',', ';', ':']))
        .collect();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = reqwest::Client::new();
    let layouts = [("whole sentences", "false"), ("clause by clause", "true")];
    let servers: Vec<Server> =
        layouts.iter().map(|(_, split)| Server::start_with_env(1, &[("HERALD_NEURAL_SPLIT_CLAUSES", split)])).collect();
    let dir = tempfile::tempdir().unwrap();
    let mut figures: Vec<Figures> = layouts.iter().map(|_| Figures::default()).collect();
    runtime.block_on(async {
        for server in &servers {
            speak(&client, &server.base, "Warming up.", &dir.path().join("warm.wav"), &mut Figures::default()).await;
        }
        // Layouts take turns sentence by sentence, so load from elsewhere hits both alike.
        for (i, sentence) in sentences.iter().enumerate() {
            for (n, server) in servers.iter().enumerate() {
                let wav = dir.path().join(format!("{n}-{i}.wav"));
                speak(&client, &server.base, sentence, &wav, &mut figures[n]).await;
            }
        }
    });
    println!("neural voice, {} long sentences of the reference statement, cold, medians\n", sentences.len());
    println!("| units | first audio | whole sentence | audio | word error rate |");
    println!("|---|---|---|---|---|");
    let seconds = |bytes: usize| bytes as f64 / 2.0 / 22_050.0;
    for ((name, _), figure) in layouts.iter().zip(&mut figures) {
        let (first, whole) = (ms(percentile(&mut figure.first, 0.5)), ms(percentile(&mut figure.whole, 0.5)));
        let wer = figure.edits as f64 / figure.words as f64;
        println!("| {name} | {first:.0} ms | {whole:.0} ms | {:.1} s | {:.3} |", seconds(figure.audio_bytes), wer);
    }
}
