//! Shared helpers for integration tests: the reference statement and a real
//! pipeline (real worker processes) on a temporary cache.
#![allow(dead_code)]

use herald::pipeline::Pipeline;
use herald::settings::Settings;
use herald::speech::{SpeechEvent, Utterance};
use std::path::PathBuf;

pub const STATEMENT: &str = include_str!("../fixtures/nato-japan-joint-statement-2023-04-04.txt");

pub fn herald_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_herald"))
}

/// A pipeline with `workers` real worker processes and a fresh cache.
pub async fn pipeline(workers: usize) -> (Pipeline, tempfile::TempDir) {
    let cache = tempfile::tempdir().unwrap();
    let settings = Settings { workers, cache_dir: cache.path().to_path_buf(), ..Settings::default() };
    (Pipeline::start(settings, herald_binary()).await.unwrap(), cache)
}

/// Everything a speech stream produced.
#[derive(Debug, Default)]
pub struct Collected {
    pub samples: Vec<i16>,
    pub events: Vec<SpeechEvent>,
}

impl Collected {
    pub fn skipped(&self) -> Vec<&SpeechEvent> {
        self.events.iter().filter(|e| matches!(e, SpeechEvent::Skipped { .. })).collect()
    }
}

pub async fn speak_all(pipeline: &Pipeline, utterances: Vec<Utterance>) -> Collected {
    let mut rx = pipeline.speaker.speak(utterances);
    let mut out = Collected::default();
    while let Some(event) = rx.recv().await {
        if let SpeechEvent::Audio(chunk) = &event {
            out.samples.extend_from_slice(chunk);
        } else {
            out.events.push(event);
        }
    }
    out
}
