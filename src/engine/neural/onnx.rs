//! ONNX Runtime for the neural engines: the shared library loaded at run
//! time, one session per model, and the runtime's version for identities.

use crate::engine::EngineError;
use ort::environment::Environment;
use ort::session::Session;
use std::path::Path;

/// A start-up failure of what `what` names.
pub fn init_error(what: &str, error: &dyn std::fmt::Display) -> EngineError {
    EngineError::Init(format!("{what}: {error}"))
}

/// Loads ONNX Runtime from `runtime` (`libonnxruntime.so.<version>`).
pub fn environment(runtime: &Path) -> Result<Environment, EngineError> {
    ort::init_from(runtime)
        .map_err(|e| init_error(&format!("ONNX Runtime at {}", runtime.display()), &e))?
        .with_name("herald")
        .build()
        .map_err(|e| init_error("ONNX Runtime environment", &e))
}

/// A session for the model `bytes` (named `what` in errors), on `threads`
/// intra-op threads that sleep when idle.
pub fn session(environment: &Environment, bytes: &[u8], threads: usize, what: &str) -> Result<Session, EngineError> {
    Session::builder(environment)
        .and_then(|b| b.with_intra_threads(threads.max(1)).map_err(Into::into))
        .and_then(|b| b.with_inter_threads(1).map_err(Into::into))
        .and_then(|b| b.with_intra_op_spinning(false).map_err(Into::into))
        .and_then(|mut b| b.commit_from_memory(bytes))
        .map_err(|e| init_error(what, &e))
}

/// The runtime's version, from its file name (`1.31.1`).
pub fn version(runtime: &Path) -> &str {
    let name = runtime.file_name().and_then(|n| n.to_str()).and_then(|n| n.split_once(".so."));
    name.map_or("", |(_, v)| v)
}

/// A synthesis failure inside the runtime.
pub fn failed(error: ort::Error) -> EngineError {
    EngineError::Synthesis(format!("ONNX Runtime: {error}"))
}
