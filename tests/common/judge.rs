//! The multilingual speech-recognition judge (`tests/judge/whisper.py`:
//! Whisper base through faster-whisper, in `.venv-test`), called once for a
//! batch of clips so that its model loads once.

use serde::Deserialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A clip to transcribe, in `language`, and the texts to score it against.
pub(crate) struct Clip<'a> {
    pub wav: &'a Path,
    pub language: &'a str,
    pub references: Vec<&'a str>,
}

/// What the judge heard in a clip, scored against each of its references.
#[derive(Debug, Deserialize)]
pub(crate) struct Heard {
    pub hypothesis: String,
    pub scores: Vec<Score>,
}

/// Edits over the reference's units (words; characters for zh, ja, hi).
#[derive(Debug, Deserialize)]
pub(crate) struct Score {
    pub rate: f64,
    pub edits: usize,
    pub units: usize,
}

/// The judge's model folder, installed once per machine by `scripts/whisper.sh`.
fn model() -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/whisper.sh");
    let output = Command::new(&script).output().expect("scripts/whisper.sh runs");
    assert!(output.status.success(), "scripts/whisper.sh: {}", String::from_utf8_lossy(&output.stderr));
    PathBuf::from(String::from_utf8(output.stdout).unwrap().trim())
}

/// Transcribes and scores every clip, in order.
pub(crate) fn transcribe(clips: &[Clip]) -> Vec<Heard> {
    let request: Vec<serde_json::Value> = clips
        .iter()
        .map(|c| serde_json::json!({"audio": c.wav, "language": c.language, "references": c.references}))
        .collect();
    let mut child = Command::new(super::test_python())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/judge/whisper.py"))
        .arg(model())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the judge starts");
    child.stdin.take().unwrap().write_all(&serde_json::to_vec(&request).unwrap()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "whisper.py: {}", String::from_utf8_lossy(&output.stderr));
    let heard: Vec<Heard> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).expect("whisper.py prints a JSON line per clip"))
        .collect();
    assert_eq!(heard.len(), clips.len(), "the judge heard every clip");
    heard
}
