//! Interrupt benchmark: how soon a listener who skips hears the next text.
//!
//! A screen reader abandons what it was saying on every key press and asks
//! for the next text. This measures the time to the first 2 KB of audio
//! after the WAV header (about 46 ms of speech) of the reference statement
//! with the neural voice (`"quality": "natural"`), on a release server, in
//! three situations:
//!
//! 1. quiet: nothing else running for a second before;
//! 2. right after the client abandoned a stream of the statement, as soon
//!    as that stream's first 2 KB had arrived;
//! 3. after a burst: ten requests 200 ms apart, each abandoning the one
//!    before; the figure is the tenth's.
//!
//! Situations take turns within each run, so load from elsewhere on the
//! machine hits all alike; every request speaks at its own rate, so none
//! is a cache hit. Ratios are against the quiet median of the same run.
//!
//! Streaming inside a sentence (the voice split into encoder and decoder)
//! is measured against the same voice inferred whole
//! (`neural_streaming = false`, a second server), quiet, on the statement
//! and on its first long sentence alone.
//!
//! The floor under all three is the model itself: the same Piper engine in
//! this process, no server and no worker, timed from the call to its first
//! audio on the statement's first sentence (the unit the server speaks
//! first), a second after the one before and again right after it, taking
//! turns with the rest.
//!
//! Run: `cargo bench --bench interrupt [-- RUNS]` (default 7).

mod support;

use herald::engine::neural::discover;
use herald::engine::piper::{Piper, PiperSetup};
use herald::engine::{Cancellation, Engine, Flow, SynthEvent, SynthesisRequest};
use std::time::{Duration, Instant};
use support::{ms, percentile, Server};

const STATEMENT: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/nato-japan-joint-statement-2023-04-04.txt"));
/// Audio bytes after the header that count as "heard".
const FIRST_AUDIO_BYTES: usize = 2048;
const WAV_HEADER_BYTES: usize = 44;

/// A long sentence of the statement (40 words).
const LONG_SENTENCE: &str = "We met not so many weeks ago in Tokyo, and it’s a great pleasure and honour to welcome you \
                             here at NATO Headquarters, because no other partner is closer and more capable than Japan.";

/// Starts speaking the statement at `wpm`; returns the response once its
/// first audio has arrived, and how long that took.
async fn first_audio(client: &reqwest::Client, base: &str, wpm: u32) -> (reqwest::Response, Duration) {
    first_audio_of(client, base, STATEMENT, wpm).await
}

/// As [`first_audio`], for `text`.
async fn first_audio_of(client: &reqwest::Client, base: &str, text: &str, wpm: u32) -> (reqwest::Response, Duration) {
    let body = serde_json::json!({ "text": text, "quality": "natural", "rate": wpm });
    let started = Instant::now();
    let mut response = client.post(format!("{base}/v1/speech")).json(&body).send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let mut bytes = 0;
    while bytes < WAV_HEADER_BYTES + FIRST_AUDIO_BYTES {
        bytes += response.chunk().await.unwrap().expect("audio").len();
    }
    (response, started.elapsed())
}

/// The Piper engine in this process, as a neural worker loads it.
struct ModelAlone {
    piper: Piper,
    voice: String,
}

impl ModelAlone {
    fn load() -> Self {
        let found = discover::find(None, &[concat!(env!("CARGO_MANIFEST_DIR"), "/.neural").into()]).unwrap();
        let settings = herald::settings::Settings::default();
        let setup = PiperSetup::find(&found, settings.neural.threads, 22_050).unwrap();
        let piper = Piper::new(&setup).unwrap();
        let voice = piper.voices()[0].identifier.clone();
        Self { piper, voice }
    }

    /// Time from the call to the first audio of `text` at `wpm`.
    fn first_audio(&mut self, text: &str, wpm: u32) -> Duration {
        let request = SynthesisRequest {
            text: text.into(),
            voice: self.voice.clone(),
            rate: wpm,
            pitch: 50,
            max_samples: u64::MAX,
        };
        let started = Instant::now();
        let mut first = None;
        let mut sink = |event: SynthEvent<'_>| {
            if matches!(event, SynthEvent::Audio(_)) {
                first.get_or_insert_with(|| started.elapsed());
            }
            Flow::Continue
        };
        self.piper.synthesize(&request, &mut sink, &Cancellation::default()).unwrap();
        first.expect("audio")
    }
}

/// Rates no request has used yet (the neural voice's natural range is 120–300).
struct Rates(u32);

impl Rates {
    fn next(&mut self) -> u32 {
        self.0 += 1;
        assert!(self.0 <= 300, "out of distinct rates: use fewer runs (at most 7)");
        self.0
    }
}

fn main() {
    let runs: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(7);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // A fresh connection per request, as a client that hangs up and redials.
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let server = Server::start_with_env(1, &[]);
    let base = server.base.clone();
    let whole = Server::start_with_env(1, &[("HERALD_NEURAL_STREAMING", "false")]);
    let mut rates = Rates(150);
    let mut model = ModelAlone::load();
    let first_sentence = STATEMENT.lines().next().unwrap();
    let (mut alone, mut alone_warm) = (Vec::new(), Vec::new());
    let (mut quiet, mut after_abandon, mut after_burst) = (Vec::new(), Vec::new(), Vec::new());
    // Quiet first audio, [statement, long sentence] × [streamed, whole].
    let mut streaming: [[Vec<Duration>; 2]; 2] = Default::default();
    runtime.block_on(async {
        drop(first_audio(&client, &base, rates.next()).await); // warm-up
        drop(first_audio(&client, &whole.base, rates.next()).await);
        model.first_audio(first_sentence, rates.next());
        for _ in 0..runs {
            for (text, samples) in [STATEMENT, LONG_SENTENCE].into_iter().zip(&mut streaming) {
                for (server_base, samples) in [&base, &whole.base].into_iter().zip(samples.iter_mut()) {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    samples.push(first_audio_of(&client, server_base, text, rates.next()).await.1);
                }
            }

            tokio::time::sleep(Duration::from_secs(1)).await;
            alone.push(model.first_audio(first_sentence, rates.next()));
            alone_warm.push(model.first_audio(first_sentence, rates.next()));

            tokio::time::sleep(Duration::from_secs(1)).await;
            let (response, took) = first_audio(&client, &base, rates.next()).await;
            quiet.push(took);
            drop(response);

            tokio::time::sleep(Duration::from_secs(1)).await;
            let (abandoned, _) = first_audio(&client, &base, rates.next()).await;
            drop(abandoned);
            let (response, took) = first_audio(&client, &base, rates.next()).await;
            after_abandon.push(took);
            drop(response);

            tokio::time::sleep(Duration::from_secs(1)).await;
            let mut previous: Option<reqwest::Response> = None;
            for _ in 1..10 {
                drop(previous.take());
                let body = serde_json::json!({ "text": STATEMENT, "quality": "natural", "rate": rates.next() });
                previous = Some(client.post(format!("{base}/v1/speech")).json(&body).send().await.unwrap());
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            drop(previous);
            let (response, took) = first_audio(&client, &base, rates.next()).await;
            after_burst.push(took);
            drop(response);
        }
    });
    let median = |samples: &mut Vec<Duration>| ms(percentile(samples, 0.5));
    let (quiet, abandon, burst) = (median(&mut quiet), median(&mut after_abandon), median(&mut after_burst));
    let (alone, alone_warm) = (median(&mut alone), median(&mut alone_warm));
    println!("neural voice, reference statement, first {FIRST_AUDIO_BYTES} B of audio, medians of {runs} runs\n");
    println!("| situation | first audio | ÷ quiet | target |");
    println!("|---|---|---|---|");
    println!("| the model alone, in process: {first_sentence:?} | {alone:.0} ms | {:.2} | |", alone / quiet);
    println!("| the same, right after another | {alone_warm:.0} ms | {:.2} | |", alone_warm / quiet);
    println!("| quiet server | {quiet:.0} ms | 1.00 | ≤ 60 ms |");
    let target =
        |factor: f64, extra: f64| format!("≤ {:.0} ms ({factor}× quiet + {extra:.0} ms)", factor * quiet + extra);
    println!("| right after an abandoned stream | {abandon:.0} ms | {:.2} | {} |", abandon / quiet, target(1.5, 20.0));
    println!("| after a burst of 10, 200 ms apart | {burst:.0} ms | {:.2} | {} |", burst / quiet, target(2.0, 50.0));
    println!("\nquiet first audio, the voice streamed against the same voice inferred whole\n");
    println!("| text | streamed | whole | streamed ÷ whole |");
    println!("|---|---|---|---|");
    for (name, [streamed, whole]) in ["the statement", "its first long sentence alone"].iter().zip(&mut streaming) {
        let (streamed, whole) = (median(streamed), median(whole));
        println!("| {name} | {streamed:.0} ms | {whole:.0} ms | {:.2} |", streamed / whole);
    }
}
