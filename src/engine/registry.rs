//! Builds engines by id, so a worker can host any engine Herald knows.

use super::kokoro::{Kokoro, KokoroSetup};
use super::piper::{Piper, PiperSetup};
use super::{espeak::Espeak, Cause, Engine, EngineError};
use serde::de::DeserializeOwned;

/// Ids of the engines a worker can host.
pub const ENGINE_IDS: &[&str] = &[
    Espeak::ID,
    Piper::ID,
    Kokoro::ID,
    #[cfg(feature = "fault-engine")]
    super::fault::Fault::ID,
];

/// Builds the engine with this id from its JSON config (empty: none).
pub fn build(id: &str, config: &str) -> Result<Box<dyn Engine>, EngineError> {
    match id {
        Espeak::ID => Ok(Box::new(Espeak::new()?)),
        Piper::ID => Ok(Box::new(Piper::new(&setup::<PiperSetup>(id, config)?)?)),
        Kokoro::ID => Ok(Box::new(Kokoro::new(&setup::<KokoroSetup>(id, config)?)?)),
        #[cfg(feature = "fault-engine")]
        super::fault::Fault::ID => {
            Ok(Box::new(super::fault::Fault::new(&setup::<super::fault::FaultSetup>(id, config)?)))
        }
        other => {
            Err(EngineError::Init(Cause::new(format!("unknown engine `{other}`; known: {}", ENGINE_IDS.join(", ")))))
        }
    }
}

/// An engine's setup from its JSON config.
fn setup<T: DeserializeOwned>(id: &str, config: &str) -> Result<T, EngineError> {
    serde_json::from_str(config).map_err(|e| EngineError::Init(Cause::of(format!("{id} engine config"), &e)))
}
