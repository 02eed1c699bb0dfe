//! ONNX Runtime for the neural engines: the shared library loaded at run
//! time, one session per model, the runtime's version for identities, and
//! inferences that a cancel terminates mid-run.

use crate::engine::{Cancellation, Cause, EngineError};
use ort::environment::Environment;
use ort::session::{RunOptions, Session, SessionInputs};
use std::path::Path;
use std::sync::Arc;

/// A start-up failure of what `what` names.
pub fn init_error(what: &str, error: &dyn std::error::Error) -> EngineError {
    EngineError::Init(Cause::of(what, error))
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
    EngineError::Synthesis(Cause::of("ONNX Runtime", &error))
}

/// One output of a run: its shape and its values.
pub struct Output {
    pub shape: Vec<i64>,
    pub values: Vec<f32>,
}

/// Runs `session` on `inputs` and returns its outputs, in the model's
/// order, or `None` when `cancel` terminated the run. Each run has its own
/// run options, so a terminate never reaches the next one.
pub fn run_cancellable<'i, 'v: 'i, const N: usize>(
    session: &mut Session,
    inputs: impl Into<SessionInputs<'i, 'v, N>>,
    cancel: &Cancellation,
) -> Result<Option<Vec<Output>>, EngineError> {
    let run = Arc::new(RunOptions::new().map_err(failed)?);
    let terminate = {
        let run = Arc::clone(&run);
        move || {
            let _ = run.terminate();
        }
    };
    let outputs = cancel.while_running(terminate, || -> Result<Vec<Output>, ort::Error> {
        let outputs = session.run_with_options(inputs, &*run)?;
        outputs
            .iter()
            .map(|(_, value)| {
                let (shape, values) = value.try_extract_tensor::<f32>()?;
                Ok(Output { shape: shape.to_vec(), values: values.to_vec() })
            })
            .collect()
    });
    match outputs {
        Ok(outputs) => Ok(Some(outputs)),
        Err(_) if cancel.is_cancelled() => Ok(None),
        Err(error) => Err(failed(error)),
    }
}

/// As [`run_cancellable`], for a model whose first output is its audio.
pub fn audio_cancellable<'i, 'v: 'i, const N: usize>(
    session: &mut Session,
    inputs: impl Into<SessionInputs<'i, 'v, N>>,
    cancel: &Cancellation,
) -> Result<Option<Vec<f32>>, EngineError> {
    Ok(run_cancellable(session, inputs, cancel)?.map(|mut outputs| outputs.swap_remove(0).values))
}
