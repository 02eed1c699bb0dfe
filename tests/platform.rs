//! `herald speak` through a real, headless Speech Dispatcher
//! ([`Dispatcher`]: its own daemon per test, audio to a file tap). Paragraph events arrive in order,
//! the voice follows each paragraph's language, the rate is honoured, and
//! SIGINT stops the speech.

mod common;

use common::speechd::Dispatcher;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// `herald speak --events` against `speechd`.
fn herald(speechd: &Dispatcher, args: &[&str], text: &str) -> Command {
    let input = speechd.dir.path().join(format!("input-{}.txt", blake3::hash(text.as_bytes()).to_hex()));
    std::fs::write(&input, text).unwrap();
    let mut command = speechd.client(common::herald_binary());
    command.args(["speak", "--events"]).args(args).arg(&input).stdout(Stdio::piped()).stderr(Stdio::piped());
    command
}

fn lines(output: &Output) -> Vec<String> {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).lines().map(str::to_string).collect()
}

/// The running child's event lines, as they come.
fn events(child: &mut Child) -> Receiver<String> {
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (sender, events) = mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    events
}

/// The child's next event line, or `None` once its output has ended; kills
/// it and fails if neither happens before `deadline`.
fn next_event(events: &Receiver<String>, child: &mut Child, deadline: Instant) -> Option<String> {
    match events.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(line) => Some(line),
        Err(RecvTimeoutError::Disconnected) => None,
        Err(RecvTimeoutError::Timeout) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("herald speak printed nothing more and did not end by the deadline");
        }
    }
}

#[test]
fn paragraphs_begin_and_end_in_order_each_in_a_voice_of_its_language() {
    let speechd = Dispatcher::start();
    let text = "The harbour ferry resumed service on Monday morning after four months in dry dock.\n\n\
                Les visiteurs francophones trouveront désormais les horaires en français sur le quai.\n\n\
                The council said that extra crossings would run on weekends until the end of summer.";
    let events = lines(&herald(&speechd, &[], text).output().unwrap());
    let voices: Vec<&String> = events.iter().filter(|e| e.starts_with("voice ")).collect();
    assert_eq!(voices.len(), 3, "the voice changes with each paragraph's language: {events:?}");
    let langs: Vec<&str> = voices.iter().map(|v| v.split(' ').nth(2).unwrap()).collect();
    assert!(langs[0].starts_with("en") && langs[1].starts_with("fr") && langs[2].starts_with("en"), "{events:?}");
    let spoken: Vec<&str> = events.iter().filter(|e| !e.starts_with("voice ")).map(String::as_str).collect();
    assert_eq!(spoken, ["begin 0", "end 0", "begin 1", "end 1", "begin 2", "end 2"]);
    assert!(speechd.audio_bytes() > 0, "audio reached the (discarding) sound device");
}

#[test]
fn the_rate_is_honoured() {
    let text = "A sentence spoken slowly first and quickly after, to compare how much audio each takes.";
    let audio_at = |rate: &str| {
        let speechd = Dispatcher::start();
        lines(&herald(&speechd, &["--rate", rate], text).output().unwrap());
        speechd.settled_audio_bytes()
    };
    let (slow, fast) = (audio_at("100"), audio_at("350"));
    assert!(slow > 0 && fast > 0);
    assert!(slow as f64 > 1.8 * fast as f64, "100 wpm: {slow} bytes, 350 wpm: {fast} bytes");
}

#[test]
fn sigint_stops_the_speech() {
    let speechd = Dispatcher::start();
    let text: Vec<String> = (0..200)
        .map(|i| format!("Paragraph {i} of a long statement, read aloud so that there is time to stop it."))
        .collect();
    let mut child = herald(&speechd, &[], &text.join("\n\n")).spawn().unwrap();
    let events = events(&mut child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while next_event(&events, &mut child, deadline).expect("herald speak ended before paragraph 2") != "begin 2" {}
    // SAFETY: signals the child this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let stopped_at = Instant::now();
    let deadline = stopped_at + Duration::from_secs(10);
    let rest: Vec<String> = std::iter::from_fn(|| next_event(&events, &mut child, deadline)).collect();
    let status = child.wait().unwrap();
    assert!(stopped_at.elapsed() < Duration::from_secs(3), "took {:?} to stop", stopped_at.elapsed());
    assert_eq!(status.code(), Some(130));
    // Paragraphs already handed to the sound device may still end; the
    // rest (most of the 200) are cancelled.
    let ended = rest.iter().filter(|e| e.starts_with("end ")).count();
    assert!(ended < 20, "spoke on after the signal: {rest:?}");
    assert!(rest.iter().any(|e| e == "stopped 199"), "the rest was cancelled: {rest:?}");
    let after = speechd.audio_bytes();
    assert_eq!(speechd.settled_audio_bytes(), after, "the daemon stopped speaking too");
}
