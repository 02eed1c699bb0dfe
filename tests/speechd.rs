//! Herald as Speech Dispatcher's output module, through the doors screen
//! readers use: a real `speech-dispatcher` (Debian's) with the module
//! added by `herald speechd install`, spoken to by `spd-say` and by
//! Speech Dispatcher's own Python client (`tests/speechd/client.py`), and
//! the module fed malformed protocol input on its standard input.

mod common;

use common::speechd::Dispatcher;
use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Speech Dispatcher's Python client, from Debian's python3-speechd.
const PYTHON: &str = "/usr/bin/python3";

fn client_script() -> String {
    format!("{}/tests/speechd/client.py", env!("CARGO_MANIFEST_DIR"))
}

/// Runs the Python client; its events, a JSON object each.
fn client(speechd: &Dispatcher, args: &[&str]) -> Vec<Value> {
    let output = speechd.client(PYTHON).arg(client_script()).args(args).output().expect("python3 runs");
    assert!(
        output.status.success(),
        "client {args:?} failed: {}{}\nmodule log:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        speechd.module_log()
    );
    String::from_utf8_lossy(&output.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn kinds(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e["mark"].as_str() {
            Some(mark) => format!("mark {mark}"),
            None => e["event"].as_str().unwrap().to_string(),
        })
        .collect()
}

/// Waits until the module has logged `text` (it starts with Speech Dispatcher).
fn wait_for_log(speechd: &Dispatcher, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while !speechd.module_log().contains(text) {
        assert!(Instant::now() < deadline, "the module never logged {text:?}:\n{}", speechd.module_log());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The voices the module logged for each message, in order.
fn spoken_voices(speechd: &Dispatcher) -> Vec<String> {
    speechd.module_log().lines().filter_map(|l| l.split_once("speaking ")).map(|(_, rest)| rest.to_string()).collect()
}

#[test]
fn spd_say_speaks_through_the_herald_module() {
    let speechd = Dispatcher::with_herald("");
    let status = speechd.client("spd-say").args(["-w", "-o", "herald", "Hello from Herald."]).status().unwrap();
    assert!(status.success());
    assert!(speechd.settled_audio_bytes() > 10_000, "audio reached the tap");
    assert_eq!(spoken_voices(&speechd).len(), 1, "{}", speechd.module_log());
}

#[test]
fn the_module_lists_every_voice_with_its_engine_and_tier() {
    let speechd = Dispatcher::with_herald("");
    let voices = client(&speechd, &["voices"]);
    let names: Vec<&str> = voices.iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert!(names.iter().any(|n| n.ends_with("(espeak-ng, fast)")), "{names:?}");
    assert!(names.iter().any(|n| n.ends_with("(piper, natural)")), "the Piper voice (./scripts/setup.sh): {names:?}");
    let french = voices.iter().find(|v| v["language"].as_str().is_some_and(|l| l.starts_with("fr")));
    assert!(french.is_some(), "a French voice: {voices:?}");
}

#[test]
fn begin_marks_in_order_and_end_reach_the_client() {
    let speechd = Dispatcher::with_herald("");
    let ssml = "<speak>One <mark name=\"a\"/>two. <mark name=\"b\"/>Three four. Five <mark name=\"c\"/>six.</speak>";
    let events = client(&speechd, &["speak", "--ssml", ssml]);
    assert_eq!(kinds(&events), ["begin", "mark a", "mark b", "mark c", "end"]);
}

#[test]
fn a_cancel_stops_the_message_and_the_next_one_speaks_at_once() {
    let speechd = Dispatcher::with_herald("");
    wait_for_log(&speechd, "natural voices ready");
    let sentence = "Sentence number one of a long statement, read aloud.";
    client(&speechd, &["speak", sentence]);
    let one = speechd.settled_audio_bytes();
    let sentences: Vec<String> =
        (0..60).map(|i| format!("Sentence number {i} of a long statement, read aloud.<mark name=\"m{i}\"/>")).collect();
    let long = format!("<speak>{}</speak>", sentences.join(" "));
    let events = client(&speechd, &["stop", "--ssml", &long, "--after-marks", "3"]);
    let kinds = kinds(&events);
    assert_eq!(kinds.last().map(String::as_str), Some("cancel"), "{kinds:?}");
    assert!(!kinds.contains(&"end".to_string()), "{kinds:?}");
    let stopped = speechd.settled_audio_bytes() - one;
    assert!(stopped < 15 * one, "60 sentences were cut short: {stopped} bytes against {one} for one sentence");
    let next = client(&speechd, &["speak", "And the next message is heard."]);
    assert_eq!(crate::kinds(&next), ["begin", "end"]);
}

#[test]
fn a_faster_rate_makes_less_audio() {
    let speechd = Dispatcher::with_herald("");
    let text = "A sentence spoken slowly first and quickly after, to compare how much audio each takes.";
    let mut sizes = Vec::new();
    for rate in ["-60", "60"] {
        let before = speechd.settled_audio_bytes();
        client(&speechd, &["speak", text, "--rate", rate]);
        sizes.push(speechd.settled_audio_bytes() - before);
    }
    let (slow, fast) = (sizes[0], sizes[1]);
    assert!(fast > 0 && slow as f64 > 1.8 * fast as f64, "rate -60: {slow} bytes, rate 60: {fast} bytes");
}

#[test]
fn french_is_spoken_by_a_french_voice_and_a_mixed_line_by_two() {
    let speechd = Dispatcher::with_herald("");
    wait_for_log(&speechd, "natural voices ready");
    client(&speechd, &["speak", "--language", "fr", "Bonjour à tous, et bienvenue à la réunion de ce matin."]);
    client(
        &speechd,
        &[
            "speak",
            "--language",
            "en",
            "Hello everyone, and welcome to this morning's meeting. Bonjour à tous, et bienvenue à la réunion de ce matin.",
        ],
    );
    let voices = spoken_voices(&speechd);
    assert_eq!(voices.len(), 2, "{}", speechd.module_log());
    // espeak-ng's French voices, or Kokoro's (`ff_…`: French, female).
    let french = |voice: &str| voice.starts_with("espeak:fr") || voice.starts_with("kokoro:f");
    let line = voices[0].split_once("voices=").unwrap().1;
    assert!(line.split(' ').all(french), "the French line: {line}");
    let mixed: Vec<&str> = voices[1].split_once("voices=").unwrap().1.split(' ').collect();
    assert_eq!(mixed.len(), 2, "two voices for the mixed line: {mixed:?}");
    assert!(mixed[0].contains("en") && french(mixed[1]), "{mixed:?}");
}

/// The module on its own, as Speech Dispatcher starts it, without neural
/// voices, past `INIT`: commands in, its lines out.
struct ModuleSession {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    lines: std::sync::mpsc::Receiver<String>,
    _dir: tempfile::TempDir,
}

impl ModuleSession {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let settings = dir.path().join("herald.conf");
        let cache = dir.path().join("cache");
        std::fs::write(&settings, format!("[cache]\ndir = \"{}\"\n[neural]\nenabled = false\n", cache.display()))
            .unwrap();
        let mut child = Command::new(common::herald_binary())
            .args(["speechd", "module"])
            .arg(&settings)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let (stdin, stdout) = (child.stdin.take().unwrap(), child.stdout.take().unwrap());
        let (send, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Audio is escaped: a raw newline only ever ends a line.
            for line in std::io::BufRead::split(std::io::BufReader::new(stdout), b'\n') {
                let Ok(line) = line else { return };
                if send.send(String::from_utf8_lossy(&line).into_owned()).is_err() {
                    return;
                }
            }
        });
        let mut module = Self { child, stdin, lines, _dir: dir };
        module.send(b"INIT\n");
        module.until("299 OK LOADED SUCCESSFULLY");
        module
    }

    fn send(&mut self, input: &[u8]) {
        self.stdin.write_all(input).unwrap();
    }

    /// The module's lines up to and including the first `last`, audio
    /// events left out.
    fn until(&self, last: &str) -> Vec<String> {
        self.until_with_audio(last).into_iter().filter(|line| !line.starts_with("705")).collect()
    }

    /// The module's lines up to and including the first `last`, audio
    /// events (their `705` lines) included.
    fn until_with_audio(&self, last: &str) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut lines = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self.lines.recv_timeout(left).unwrap_or_else(|_| panic!("no {last:?} after {lines:#?}"));
            let done = line == last;
            lines.push(line);
            if done {
                return lines;
            }
        }
    }

    /// Says QUIT and waits for the module to exit.
    fn quit(mut self) -> std::process::ExitStatus {
        self.send(b"QUIT\n");
        assert_eq!(self.until("210 OK QUIT").last().map(String::as_str), Some("210 OK QUIT"));
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the module did not exit after QUIT");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ModuleSession {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

#[test]
fn malformed_protocol_input_gets_error_codes_and_the_module_keeps_serving() {
    let mut module = ModuleSession::start();
    let cases: [(&[u8], &[&str]); 11] = [
        (b"AUDIO\naudio_output_method=server\n.\n", &["207 OK RECEIVING AUDIO SETTINGS", "203 OK AUDIO INITIALIZED"]),
        (b"TELEPORT\n", &["300 ERR UNKNOWN COMMAND"]),
        (b"SET\nrate=500\n.\n", &["203 OK RECEIVING SETTINGS", "303 ERROR INVALID PARAMETER OR VALUE"]),
        (b"SET\nno equals sign\n.\n", &["203 OK RECEIVING SETTINGS", "302 ERROR BAD SYNTAX"]),
        (b"AUDIO\naudio_output_method=alsa\n.\n", &["207 OK RECEIVING AUDIO SETTINGS", "303 ERROR INVALID PARAMETER OR VALUE"]),
        (b"CHAR\na\nb\n.\n", &["202 OK RECEIVING MESSAGE", "305 DATA MORE THAN ONE LINE"]),
        (b"SPEAK\n.\n", &["202 OK RECEIVING MESSAGE", "301 ERROR CANT SPEAK"]),
        // An entity bomb: a DTD is refused, nothing is expanded.
        (
            b"SPEAK\n<?xml version=\"1.0\"?><!DOCTYPE s [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;\">]><speak>&b;&b;</speak>\n.\n",
            &["202 OK RECEIVING MESSAGE", "301 ERROR CANT SPEAK"],
        ),
        (b"DEBUG\n", &["302 ERROR BAD SYNTAX"]),
        (b"LIST VOICES xx\n", &["304 CANT LIST VOICES"]),
        (b"LOGLEVEL\nlog_level=loud\n.\n", &["207 OK RECEIVING LOGLEVEL SETTINGS", "303 ERROR INVALID PARAMETER OR VALUE"]),
    ];
    for (input, replies) in cases {
        module.send(input);
        assert_eq!(module.until(replies.last().unwrap()), *replies, "{}", String::from_utf8_lossy(input));
    }
    // A line longer than any message is read past.
    let mut huge = vec![b'x'; herald::document::MAX_INPUT_BYTES + 10];
    huge.push(b'\n');
    module.send(&huge);
    assert_eq!(module.until("302 ERROR BAD SYNTAX"), ["302 ERROR BAD SYNTAX"]);
    module.send(b"SPEAK\n<speak>Still here.</speak>\n.\n");
    assert_eq!(module.until("702 END"), ["202 OK RECEIVING MESSAGE", "200 OK SPEAKING", "701 BEGIN", "702 END"]);
    assert!(module.quit().success());
}

#[test]
fn after_stop_no_audio_is_written_and_the_next_message_speaks() {
    let mut module = ModuleSession::start();
    // Long enough that its synthesis is still running when STOP arrives.
    let text: Vec<String> = (0..300).map(|i| format!("Sentence {i} of a statement that goes on.")).collect();
    module.send(format!("SPEAK\n<speak>{}</speak>\n.\n", text.join(" ")).as_bytes());
    module.until("701 BEGIN");
    module.send(b"STOP\n");
    module.until("703 STOP");
    module.send(b"SPEAK\n<speak>After the stop.</speak>\n.\n");
    // Between the stop and the next message, not a single audio line.
    let after = module.until_with_audio("200 OK SPEAKING");
    assert_eq!(after, ["202 OK RECEIVING MESSAGE", "200 OK SPEAKING"]);
    assert_eq!(module.until("702 END"), ["701 BEGIN", "702 END"]);
    assert!(module.quit().success());
}

#[test]
fn pause_stops_at_the_next_server_mark_where_the_server_resumes() {
    let mut module = ModuleSession::start();
    // As the server marks a text: `__spd_N` after every sentence.
    let text: Vec<String> =
        (0..300).map(|i| format!("Sentence {i} of a statement that goes on.<mark name=\"__spd_{i}\"/>")).collect();
    module.send(format!("SPEAK\n<speak>{}</speak>\n.\n", text.join(" ")).as_bytes());
    module.until("701 BEGIN");
    module.send(b"PAUSE\n");
    let lines = module.until_with_audio("704 PAUSE");
    // The message ends on one of the server's marks, with no audio after it.
    let tail: Vec<&str> = lines[lines.len() - 3..].iter().map(String::as_str).collect();
    assert!(tail[0].starts_with("700-__spd_"), "{tail:?}");
    assert_eq!(tail[1..], ["700 INDEX MARK", "704 PAUSE"]);
    let marks = lines.iter().filter(|l| l.starts_with("700-")).count();
    assert!(marks < 300, "the message paused before its end");
    // The module serves the next message (the server's resumption sends the rest).
    module.send(b"SPEAK\n<speak>Resumed.</speak>\n.\n");
    assert_eq!(module.until("702 END"), ["202 OK RECEIVING MESSAGE", "200 OK SPEAKING", "701 BEGIN", "702 END"]);
    assert!(module.quit().success());
}
