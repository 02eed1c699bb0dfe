//! Podcast batch benchmark: `herald podcast` over 20 statements (the
//! reference statement with its paragraphs rotated and a numbered title)
//! against the espeak-ng CLI piped into LAME over the same texts, measured
//! in the same run.
//!
//! Run: `sudo apt-get install lame && cargo bench --bench batch`.
//!
//! Herald: wall time of the whole batch (cold segment cache, fresh output
//! directory: 20 episodes normalised to −16 LUFS, MP3 at 44.1 kHz with ID3
//! chapters, captions, transcripts, feed), one worker per core. Baselines:
//! `espeak-ng --stdout -f TEXT | lame … - OUT.mp3` over the texts, summed
//! and divided by the number of cores (a perfectly parallel shell loop), and
//! the same loop really run with one pipeline per core; LAME once making the
//! same MP3 as Herald (44.1 kHz mono, 96 kbps CBR, `-q 5`; no loudness
//! normalisation, chapters or captions) and once with its defaults (22.05
//! kHz as espeak-ng speaks, 128 kbps, `-q 3`: half the samples to encode).

#[path = "../tests/common/variants.rs"]
mod variants;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use variants::variant;

const STATEMENTS: usize = 20;
const RUNS: usize = 3;

const SHOW: &str = "title = \"Bench\"\nauthor = \"Herald\"\ndescription = \"Benchmark\"\nlanguage = \"en\"\n\
    base_url = \"https://example.org/\"\nimage = \"cover.jpg\"\ncategory = \"News\"\n\
    quality = \"fast\"\n";

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// LAME making the MP3 Herald makes for podcasts.
const SAME_AS_HERALD: &[&str] = &["-m", "m", "-b", "96", "-q", "5", "--resample", "44.1"];
/// LAME's defaults.
const DEFAULTS: &[&str] = &[];

/// One `espeak-ng --stdout -f TEXT | lame LAME_ARGS - OUT` pipeline.
fn cli_pipeline(text: &Path, lame_args: &[&str], out: &Path) -> Duration {
    let start = Instant::now();
    let mut espeak =
        Command::new("espeak-ng").arg("--stdout").arg("-f").arg(text).stdout(Stdio::piped()).spawn().unwrap();
    let status = Command::new("lame")
        .arg("--quiet")
        .args(lame_args)
        .arg("-")
        .arg(out)
        .stdin(espeak.stdout.take().unwrap())
        .status()
        .expect("lame is installed (apt-get install lame)");
    assert!(status.success() && espeak.wait().unwrap().success());
    start.elapsed()
}

fn herald_batch(src: &Path, out: &Path, cache: &Path, workers: usize) -> Duration {
    let start = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_herald"))
        .arg("podcast")
        .arg(src)
        .arg("--out")
        .arg(out)
        .arg("--cache-dir")
        .arg(cache)
        .args(["--workers", &workers.to_string()])
        .env_remove("HERALD_CONFIG")
        .output()
        .unwrap();
    let elapsed = start.elapsed();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    elapsed
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let src = tempfile::tempdir().unwrap();
    for i in 0..STATEMENTS {
        std::fs::write(src.path().join(format!("statement-{:02}.txt", i + 1)), variant(i)).unwrap();
    }
    std::fs::write(src.path().join("podcast.toml"), SHOW).unwrap();
    let texts: Vec<_> = (0..STATEMENTS).map(|i| src.path().join(format!("statement-{:02}.txt", i + 1))).collect();

    let (mut cold, mut warm, mut summed, mut parallel, mut defaults) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let work = tempfile::tempdir().unwrap();
        let (out, cache) = (work.path().join("out"), work.path().join("cache"));
        cold.push(herald_batch(src.path(), &out, &cache, cores));
        warm.push(herald_batch(src.path(), &out, &cache, cores));

        let cli = work.path().join("cli.mp3");
        let total: Duration = texts.iter().map(|t| cli_pipeline(t, SAME_AS_HERALD, &cli)).sum();
        summed.push(total / cores as u32);
        let total: Duration = texts.iter().map(|t| cli_pipeline(t, DEFAULTS, &cli)).sum();
        defaults.push(total / cores as u32);
        let start = Instant::now();
        std::thread::scope(|scope| {
            for lane in 0..cores {
                let (texts, dir) = (&texts, work.path());
                scope.spawn(move || {
                    for (i, text) in texts.iter().enumerate().filter(|(i, _)| i % cores == lane) {
                        cli_pipeline(text, SAME_AS_HERALD, &dir.join(format!("cli-{i}.mp3")));
                    }
                });
            }
        });
        parallel.push(start.elapsed());
    }
    let (cold, warm, summed, parallel, defaults) =
        (median(cold), median(warm), median(summed), median(parallel), median(defaults));
    println!("podcast batch: {STATEMENTS} statements, {cores} cores, median of {RUNS} runs");
    println!("  herald podcast (cold cache)                        {:8.2} s", secs(cold));
    println!("  herald podcast (rerun, unchanged)                  {:8.2} s", secs(warm));
    println!("  espeak-ng | lame (same MP3), sum / {cores} cores        {:8.2} s", secs(summed));
    println!("  espeak-ng | lame (same MP3), {cores} at a time           {:8.2} s", secs(parallel));
    println!("  espeak-ng | lame (LAME defaults), sum / {cores} cores   {:8.2} s", secs(defaults));
    println!(
        "  ratio: {:.2}x the same-MP3 CLI sum / cores (target <= 1.3x), {:.2}x its parallel run, {:.2}x the LAME-defaults CLI",
        secs(cold) / secs(summed),
        secs(cold) / secs(parallel),
        secs(cold) / secs(defaults)
    );
}
