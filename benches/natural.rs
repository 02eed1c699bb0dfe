//! Natural voices compared in one run: Kokoro's Japanese voice
//! (`kokoro:jf_alpha`, Kokoro-82M int8) against the Piper voice
//! (`piper:en_us-joe-medium`), on one Herald server with the default
//! neural layout, both installed by `scripts/setup.sh`.
//!
//! Run: `cargo bench --bench natural`.
//!
//! For each voice, the same paragraph (Japanese as kana, English as its
//! translation) sentence by sentence over `POST /v1/speech`: time to the
//! first audio byte, and the real-time factor (synthesis time over the
//! audio's length). Requests take turns between the voices, so load from
//! elsewhere on the machine hits both alike; run `i` speaks at 175 + `i`
//! wpm, so no request is a cache hit.

mod support;

use std::time::Duration;
use support::{ms, percentile, timed_wav, Server};

const RUNS: u32 = 5;

/// The same sentences in Japanese (kana, as the Japanese front end hands
/// them over) and in English.
const SENTENCES: &[(&str, &str)] = &[
    (
        "にほん と なとー は、 ちいき の へいわ と あんてい の ため に きょうりょく します。",
        "Japan and NATO work together for peace and stability in the region.",
    ),
    (
        "りょうしゃ は、 きょう の かいぎ で あたらしい けいかく に ごうい しました。",
        "Both sides agreed on a new plan at today's meeting.",
    ),
    (
        "この けいかく は、 さいばー あんぜん と うちゅう の ぶんや を ふくみます。",
        "The plan covers cyber security and space.",
    ),
    ("わたしたち は、 これから も たいわ を つづけて いきます。", "We will continue the dialogue from now on."),
];

/// Medians of first-byte times and real-time factors of one voice.
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

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = reqwest::Client::new();
    let server = Server::start_with_env(1, &[]);
    let url = format!("{}/v1/speech", server.base);
    let voices = [("kokoro:jf_alpha", "Kokoro jf_alpha (ja)"), ("piper:en_us-joe-medium", "Piper joe (en)")];
    let body = |voice: &str, text: &str, wpm: u32| serde_json::json!({ "text": text, "voice": voice, "rate": wpm });
    for (voice, _) in voices {
        runtime.block_on(timed_wav(&client, &url, &body(voice, "Warming up.", 175)));
    }
    let mut figures: Vec<Figures> = voices.iter().map(|_| Figures::default()).collect();
    for run in 1..=RUNS {
        for (japanese, english) in SENTENCES {
            for ((voice, _), figures) in voices.iter().zip(&mut figures) {
                let text = if voice.starts_with("kokoro") { japanese } else { english };
                figures.add(runtime.block_on(timed_wav(&client, &url, &body(voice, text, 175 + run))));
            }
        }
    }
    let requests = RUNS as usize * SENTENCES.len();
    println!(
        "natural voices, {} sentences × {RUNS} cold runs each ({requests} requests per voice), medians\n",
        SENTENCES.len()
    );
    println!(
        "| voice | first audio byte | real-time factor | audio per request | first byte vs Piper | RTF vs Piper |"
    );
    println!("|---|---|---|---|---|---|");
    let (piper_first, piper_factor) = figures[1].medians();
    for ((_, name), figures) in voices.iter().zip(&mut figures) {
        let (first, factor) = figures.medians();
        let per_request = figures.audio_seconds / requests as f64;
        println!(
            "| {name} | {first:.0} ms | {factor:.3} | {per_request:.1} s | {:.2}× | {:.2}× |",
            first / piper_first,
            factor / piper_factor
        );
    }
}
