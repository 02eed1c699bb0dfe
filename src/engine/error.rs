//! Why an engine failed, with its cause. Engine errors cross from the
//! worker process to the server as frames, so the cause travels as a
//! [`Cause`]: the messages of the original error and each of its sources,
//! still a chain of sources on the server's side.

use serde::{Deserialize, Serialize};

/// Engine failures and what the caller should do about them.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq, Serialize, Deserialize)]
pub enum EngineError {
    /// The voice does not exist in this engine. Fatal for the request (4xx).
    #[error("the engine has no voice `{0}`")]
    UnknownVoice(String),
    /// The engine refused this text. Fatal for this utterance; do not retry.
    #[error("the engine failed on this text")]
    Synthesis(#[source] Cause),
    /// The engine could not start. Fatal for the worker; the pool reports it.
    #[error("the engine could not start")]
    Init(#[source] Cause),
}

/// An error as it crossed a process boundary: its message, and its source's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cause {
    message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source: Option<Box<Cause>>,
}

impl Cause {
    /// A cause told in words (there is no error value behind it).
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self { message: message.into(), source: None }
    }

    /// `what` went wrong because of `error` (kept with its own sources).
    pub(crate) fn of(what: impl Into<String>, error: &dyn std::error::Error) -> Self {
        Self { message: what.into(), source: Some(Box::new(Self::from_error(error))) }
    }

    fn from_error(error: &dyn std::error::Error) -> Self {
        Self { message: error.to_string(), source: error.source().map(|s| Box::new(Self::from_error(s))) }
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|s| s as _)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Chain;

    #[test]
    fn a_cause_keeps_its_chain_across_the_worker_frame() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let error = EngineError::Init(Cause::of("/models/joe.onnx", &io));
        let sent: EngineError = serde_json::from_str(&serde_json::to_string(&error).unwrap()).unwrap();
        assert_eq!(sent, error);
        assert_eq!(Chain(&sent).to_string(), "the engine could not start: /models/joe.onnx: no such file");
    }
}
