//! ONNX Runtime for the neural engines: the shared library loaded at run
//! time, one session per model, the runtime's version for identities, and
//! inferences that a cancel terminates mid-run.

use crate::engine::{Cancellation, Cause, EngineError};
use ort::environment::Environment;
use ort::session::{RunOptions, Session, SessionInputValue, SessionInputs};
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A start-up failure of what `what` names.
pub(crate) fn init_error(what: &str, error: &dyn std::error::Error) -> EngineError {
    EngineError::Init(Cause::of(what, error))
}

/// Loads ONNX Runtime from `runtime` (`libonnxruntime.so.<version>`).
pub(crate) fn environment(runtime: &Path) -> Result<Environment, EngineError> {
    ort::init_from(runtime)
        .map_err(|e| init_error(&format!("ONNX Runtime at {}", runtime.display()), &e))?
        .with_name("herald")
        .build()
        .map_err(|e| init_error("ONNX Runtime environment", &e))
}

/// A session for the model `bytes` (named `what` in errors), on `threads`
/// intra-op threads that sleep when idle.
pub(crate) fn session(
    environment: &Environment,
    bytes: &[u8],
    threads: usize,
    what: &str,
) -> Result<Session, EngineError> {
    Session::builder(environment)
        .and_then(|b| b.with_intra_threads(threads.max(1)).map_err(Into::into))
        .and_then(|b| b.with_inter_threads(1).map_err(Into::into))
        .and_then(|b| b.with_intra_op_spinning(false).map_err(Into::into))
        .and_then(|mut b| b.commit_from_memory(bytes))
        .map_err(|e| init_error(what, &e))
}

/// The parts' metadata naming the SHA-256 of the model they came from
/// (`scripts/voice_split.py`).
const SOURCE_KEY: &str = "source_sha256";

/// A model split for streaming (`scripts/voice_split.py`): its encoder and
/// its decoder, and the names of what passes between them.
pub(crate) struct SplitModel {
    pub(crate) encoder: Session,
    pub(crate) decoder: Session,
    /// The encoder's outputs, in its order.
    pub(crate) encoder_outputs: Vec<String>,
    /// The decoder's inputs, in its order.
    pub(crate) decoder_inputs: Vec<String>,
    /// The decoder's file, for messages.
    decoder_path: PathBuf,
}

impl SplitModel {
    /// Loads both parts of the model whose SHA-256 is `model_sha256`,
    /// refusing parts split from another model.
    pub(crate) fn load(
        environment: &Environment,
        (encoder, decoder): (&Path, &Path),
        model_sha256: &str,
        threads: usize,
    ) -> Result<Self, EngineError> {
        let part = |path: &Path| {
            let what = path.display().to_string();
            let bytes = std::fs::read(path).map_err(|e| init_error(&what, &e))?;
            let session = session(environment, &bytes, threads, &what)?;
            let source = session.metadata().ok().and_then(|m| m.custom(SOURCE_KEY));
            if source.as_deref() != Some(model_sha256) {
                let cause = Cause::new(format!("{what}: split from another model: run scripts/voice_split.py"));
                return Err(EngineError::Init(cause));
            }
            Ok(session)
        };
        let decoder_path = decoder.to_path_buf();
        let (encoder, decoder) = (part(encoder)?, part(decoder)?);
        let encoder_outputs = encoder.outputs().iter().map(|o| o.name().to_string()).collect();
        let decoder_inputs = decoder.inputs().iter().map(|i| i.name().to_string()).collect();
        Ok(Self { encoder, decoder, encoder_outputs, decoder_inputs, decoder_path })
    }

    /// The start-up error of parts that do not fit together as `expected`
    /// says.
    pub(crate) fn mismatch(&self, expected: &str) -> EngineError {
        let (reads, gives) = (&self.decoder_inputs, &self.encoder_outputs);
        let error = format!("the decoder reads {reads:?} ({expected}), the encoder gives {gives:?}");
        EngineError::Init(Cause::new(format!("{}: {error}", self.decoder_path.display())))
    }
}

/// The runtime's version, from its file name (`1.31.1`).
pub(crate) fn version(runtime: &Path) -> &str {
    let name = runtime.file_name().and_then(|n| n.to_str()).and_then(|n| n.split_once(".so."));
    name.map_or("", |(_, v)| v)
}

/// A synthesis failure inside the runtime.
pub(crate) fn failed(error: ort::Error) -> EngineError {
    EngineError::Synthesis(Cause::of("ONNX Runtime", &error))
}

/// Inputs of one inference, by name.
pub(crate) type Inputs<'v> = Vec<(Cow<'static, str>, SessionInputValue<'v>)>;

/// One output of a run: its shape and its values.
pub(crate) struct Output {
    pub(crate) shape: Vec<i64>,
    pub(crate) values: Vec<f32>,
}

/// Runs `session` on `inputs` and returns its outputs, in the model's
/// order, or `None` when `cancel` terminated the run. Each run has its own
/// run options, so a terminate never reaches the next one.
pub(crate) fn run_cancellable<'i, 'v: 'i, const N: usize>(
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
pub(crate) fn audio_cancellable<'i, 'v: 'i, const N: usize>(
    session: &mut Session,
    inputs: impl Into<SessionInputs<'i, 'v, N>>,
    cancel: &Cancellation,
) -> Result<Option<Vec<f32>>, EngineError> {
    Ok(run_cancellable(session, inputs, cancel)?.map(|mut outputs| outputs.swap_remove(0).values))
}

/// The process's one environment (ONNX Runtime allows no second), for the
/// unit tests that load models.
#[cfg(test)]
pub(crate) fn test_environment(runtime: &Path) -> &'static Environment {
    static ENVIRONMENT: std::sync::OnceLock<Environment> = std::sync::OnceLock::new();
    ENVIRONMENT.get_or_init(|| environment(runtime).expect("ONNX Runtime loads"))
}
