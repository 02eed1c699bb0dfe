//! Core-pipeline benchmark: the reference statement through Herald's worker
//! pool versus the `espeak-ng --stdout` CLI, measured in the same run.
//!
//! Run: `cargo bench --bench pool` (release build). Reports median and p99 of
//! whole-statement wall time (cold segment cache each run), of time to the
//! first audio through the speaker (plan in, cache miss, pool, chunk out), of
//! time to the first PCM chunk of one sentence straight from the pool, and the
//! ratios to the CLI baseline.

use herald::document::InputFormat;
use herald::engine::pool::JobEvent;
use herald::engine::queue::Urgency;
use herald::engine::SynthesisRequest;
use herald::pipeline::Pipeline;
use herald::settings::Settings;
use herald::speech::{SpeechEvent, SpeechOptions};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 40;
const STATEMENT: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/nato-japan-joint-statement-2023-04-04.txt");

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Time to first stdout byte and to exit for `espeak-ng --stdout -f FILE`.
fn espeak_cli(file: &Path) -> (Duration, Duration) {
    let start = Instant::now();
    let mut child = Command::new("espeak-ng")
        .args(["--stdout", "-f"])
        .arg(file)
        .stdout(Stdio::piped())
        .spawn()
        .expect("espeak-ng CLI");
    let mut stdout = child.stdout.take().unwrap();
    let mut buffer = vec![0u8; 1 << 16];
    let n = stdout.read(&mut buffer).unwrap();
    let first = start.elapsed();
    assert!(n > 0);
    while stdout.read(&mut buffer).unwrap() > 0 {}
    child.wait().unwrap();
    (first, start.elapsed())
}

fn clear(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir.join("segments"));
    std::fs::create_dir_all(dir.join("segments")).unwrap();
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let settings = {
        let mut s = Settings::default();
        s.synthesis.workers = workers;
        s.cache.dir = cache.path().to_path_buf();
        s.neural.enabled = false;
        s
    };
    let pipeline = runtime.block_on(Pipeline::start(settings, PathBuf::from(env!("CARGO_BIN_EXE_herald")))).unwrap();
    let text = std::fs::read_to_string(STATEMENT).unwrap();
    let plan = pipeline.plan(&text, InputFormat::Text, &SpeechOptions::default()).unwrap();
    let utterances = plan.utterances();

    let (mut cli_first, mut cli_total, mut pool_first, mut pool_total) = (vec![], vec![], vec![], vec![]);
    let mut job_first = vec![];
    let first_sentence = SynthesisRequest {
        text: utterances[0].text.clone(),
        voice: pipeline.voice(&utterances[0].voice).unwrap().engine_voice.clone(),
        rate: 175,
        pitch: 50,
        max_samples: u64::MAX,
    };
    let mut audio_seconds = 0.0;
    for run in 0..RUNS + 3 {
        let (first, total) = espeak_cli(Path::new(STATEMENT));
        clear(cache.path());
        let (p_first, p_total, samples) = runtime.block_on(async {
            let start = Instant::now();
            let mut events = pipeline.speak(utterances.clone());
            let mut first = None;
            let mut samples = 0u64;
            while let Some(event) = events.recv().await {
                if let SpeechEvent::Audio(chunk) = event {
                    first.get_or_insert_with(|| start.elapsed());
                    samples += chunk.len() as u64;
                }
            }
            (first.unwrap(), start.elapsed(), samples)
        });
        let j_first = runtime.block_on(async {
            let start = Instant::now();
            let mut events = pipeline.pool().submit(first_sentence.clone(), Urgency::Now, None).await.unwrap().events;
            let mut first = None;
            while let Some(event) = events.recv().await {
                match event {
                    JobEvent::Audio(_) => {
                        first.get_or_insert_with(|| start.elapsed());
                    }
                    JobEvent::Done(_) | JobEvent::Failed(_) => break,
                    JobEvent::Mark(_) => {}
                }
            }
            first.unwrap()
        });
        if run >= 3 {
            job_first.push(j_first);
            // The first runs warm the workers and the page cache.
            cli_first.push(first);
            cli_total.push(total);
            pool_first.push(p_first);
            pool_total.push(p_total);
            audio_seconds = samples as f64 / 22050.0;
        }
    }
    println!("machine: {workers} cores; {RUNS} runs; statement = {:.1} s of audio; pool = {workers} workers, cold cache each run", audio_seconds);
    println!("{:<38} {:>10} {:>10}", "", "median ms", "p99 ms");
    let rows = [
        ("espeak-ng --stdout: first byte", &mut cli_first),
        ("worker pool: first PCM chunk (warm)", &mut job_first),
        ("Herald speaker: first audio", &mut pool_first),
        ("espeak-ng --stdout: whole statement", &mut cli_total),
        ("Herald speaker: whole statement", &mut pool_total),
    ];
    let mut medians = Vec::new();
    for (name, samples) in rows {
        let (median, p99) = (percentile(samples, 0.5), percentile(samples, 0.99));
        medians.push(median);
        println!("{name:<38} {:>10.2} {:>10.2}", ms(median), ms(p99));
    }
    println!("ratio first audio (speaker / CLI): {:.3}", ms(medians[2]) / ms(medians[0]));
    println!("ratio whole statement (speaker / CLI): {:.3}", ms(medians[4]) / ms(medians[3]));
}
