//! Shared helpers for integration tests: the reference statement and a real
//! pipeline (real worker processes) on a temporary cache.
#![allow(dead_code)]

pub(crate) mod audio;
pub(crate) mod cluster;
pub(crate) mod judge;
pub(crate) mod process;
pub(crate) mod readings;
pub(crate) mod server;
pub(crate) mod speechd;
pub(crate) mod streamed;
pub(crate) mod variants;

use herald::pipeline::Pipeline;
use herald::settings::Settings;
use herald::speech::{Rendered, Utterance};
use std::path::PathBuf;

pub(crate) const STATEMENT: &str = include_str!("../fixtures/nato-japan-joint-statement-2023-04-04.txt");

/// Where `scripts/setup.sh` installs ONNX Runtime and the Piper voice.
pub(crate) fn neural_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".neural")
}

/// The Python that `scripts/setup.sh --test` sets up with the tests' judges
/// (PocketSphinx, feedparser).
pub(crate) fn test_python() -> PathBuf {
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv-test/bin/python");
    assert!(python.exists(), "{} is missing: run ./scripts/setup.sh --test", python.display());
    python
}

pub(crate) fn herald_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_herald"))
}

/// A pipeline with `workers` real espeak-ng worker processes and a fresh cache.
pub(crate) async fn pipeline(workers: usize) -> (Pipeline, tempfile::TempDir) {
    let cache = tempfile::tempdir().unwrap();
    let settings = {
        let mut s = Settings::default();
        s.synthesis.workers = workers;
        s.cache.dir = cache.path().to_path_buf();
        s.neural.enabled = false;
        s
    };
    (Pipeline::start(settings, herald_binary()).await.unwrap(), cache)
}

pub(crate) async fn speak_all(pipeline: &Pipeline, utterances: Vec<Utterance>) -> Rendered {
    herald::speech::collect(pipeline.speak(utterances)).await
}
