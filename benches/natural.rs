//! Natural voices compared in one run: each language's Kokoro voice
//! (Kokoro-82M int8, one model for all) and Kokoro's English voice against
//! the Piper voice (`piper:en_us-joe-medium`), each streamed (the default:
//! models split into encoder and decoder) and inferred whole
//! (`HERALD_NEURAL_STREAMING=false`), on two Herald servers with the
//! default neural layout, every voice installed by `scripts/setup.sh`.
//!
//! Run: `cargo bench --bench natural [-- RUNS]`.
//!
//! For each voice, the first four sentences of its language's
//! intelligibility fixture (`tests/fixtures/intelligibility/`), one
//! `POST /v1/speech` each: time to the first audio byte, and the real-time
//! factor (synthesis time over the audio's length). Requests take turns
//! between the voices and the two servers, so load from elsewhere on the
//! machine hits all alike; run `i` speaks at 175 + `i` wpm, so no request
//! is a cache hit.
//! At the end, the resident memory of each neural worker.

mod support;

use std::time::Duration;
use support::{ms, percentile, timed_wav, Server};

/// The servers compared: how their neural voices are inferred, and the
/// settings that make them so.
const LAYOUTS: [(&str, &[(&str, &str)]); 2] = [("streamed", &[]), ("whole", &[("HERALD_NEURAL_STREAMING", "false")])];

/// Sentences per voice and run.
const SENTENCES: usize = 4;

/// (language, voice): Piper first, the baseline of the ratios.
const VOICES: &[(&str, &str)] = &[
    ("en", "piper:en_us-joe-medium"),
    ("en", "kokoro:af_heart"),
    ("es", "kokoro:ef_dora"),
    ("fr", "kokoro:ff_siwis"),
    ("hi", "kokoro:hf_alpha"),
    ("it", "kokoro:if_sara"),
    ("ja", "kokoro:jf_alpha"),
    ("pt-BR", "kokoro:pf_dora"),
    ("zh", "kokoro:zf_xiaobei"),
];

fn sentences(lang: &str) -> Vec<String> {
    let path = format!("{}/tests/fixtures/intelligibility/{lang}.txt", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap().lines().take(SENTENCES).map(str::to_string).collect()
}

/// First-byte times and real-time factors of one voice.
#[derive(Default)]
struct Figures {
    firsts: Vec<Duration>,
    factors: Vec<f64>,
    audio_seconds: f64,
}

impl Figures {
    fn add(&mut self, (first, whole, bytes): (Duration, Duration, usize)) {
        let seconds = (bytes - 44) as f64 / 2.0 / 22050.0;
        self.firsts.push(first);
        self.factors.push(whole.as_secs_f64() / seconds);
        self.audio_seconds += seconds;
    }

    /// Median first byte (ms) and median real-time factor.
    fn medians(&mut self) -> (f64, f64) {
        self.factors.sort_by(f64::total_cmp);
        (ms(percentile(&mut self.firsts, 0.5)), self.factors[self.factors.len() / 2])
    }
}

/// Resident memory (MiB) of the server's worker running `engine`.
fn worker_rss_mib(server: &Server, engine: &str) -> f64 {
    let pid = server.child.id();
    let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    let worker = children.split_whitespace().find(|child| {
        let cmdline = std::fs::read(format!("/proc/{child}/cmdline")).unwrap_or_default();
        String::from_utf8_lossy(&cmdline).contains(&format!("--engine\0{engine}\0"))
    });
    worker.map_or(0.0, |pid| support::tree_rss_kib(pid.parse().unwrap()) as f64 / 1024.0)
}

fn main() {
    let runs: u32 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(3);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = reqwest::Client::new();
    let servers: Vec<Server> = LAYOUTS.iter().map(|(_, settings)| Server::start_with_env(1, settings)).collect();
    let urls: Vec<String> = servers.iter().map(|server| format!("{}/v1/speech", server.base)).collect();
    let body = |lang: &str, voice: &str, text: &str, wpm: u32| serde_json::json!({ "text": text, "lang": lang, "voice": voice, "rate": wpm });
    let texts: Vec<Vec<String>> = VOICES.iter().map(|(lang, _)| sentences(lang)).collect();
    for url in &urls {
        for ((lang, voice), texts) in VOICES.iter().zip(&texts) {
            runtime.block_on(timed_wav(&client, url, &body(lang, voice, &texts[0], 175)));
        }
    }
    // figures[layout][voice]
    let mut figures: Vec<Vec<Figures>> =
        LAYOUTS.iter().map(|_| VOICES.iter().map(|_| Figures::default()).collect()).collect();
    for run in 1..=runs {
        for sentence in 0..SENTENCES {
            for (voice_index, ((lang, voice), texts)) in VOICES.iter().zip(&texts).enumerate() {
                for (url, figures) in urls.iter().zip(&mut figures) {
                    let request = body(lang, voice, &texts[sentence], 175 + run);
                    figures[voice_index].add(runtime.block_on(timed_wav(&client, url, &request)));
                }
            }
        }
    }
    let requests = runs as usize * SENTENCES;
    println!(
        "natural voices, {SENTENCES} sentences × {runs} cold runs each ({requests} requests per voice and server), medians\n"
    );
    println!(
        "| language | voice | first audio byte, streamed | whole | streamed ÷ whole | real-time factor, streamed | whole \
         | audio per request | streamed first byte ÷ Piper's | streamed RTF ÷ Piper's |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let medians: Vec<Vec<(f64, f64)>> =
        figures.iter_mut().map(|f| f.iter_mut().map(Figures::medians).collect()).collect();
    let (piper_first, piper_factor) = medians[0][0];
    for (i, (lang, voice)) in VOICES.iter().enumerate() {
        let ((first, factor), (whole_first, whole_factor)) = (medians[0][i], medians[1][i]);
        let per_request = figures[0][i].audio_seconds / requests as f64;
        println!(
            "| {lang} | `{voice}` | {first:.0} ms | {whole_first:.0} ms | {:.2}× | {factor:.3} | {whole_factor:.3} \
             | {per_request:.1} s | {:.2}× | {:.2}× |",
            first / whole_first,
            first / piper_first,
            factor / piper_factor
        );
    }
    for ((layout, _), server) in LAYOUTS.iter().zip(&servers) {
        println!(
            "\nresident memory, {layout}: Kokoro worker {:.0} MiB, Piper worker {:.0} MiB",
            worker_rss_mib(server, "kokoro"),
            worker_rss_mib(server, "piper")
        );
    }
}
