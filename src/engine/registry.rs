//! Builds engines by id, so a worker can host any engine Herald knows.

use super::piper::{Piper, PiperSetup};
use super::{espeak::Espeak, Engine, EngineError};

/// Ids of the engines a worker can host.
pub const ENGINE_IDS: &[&str] = &[
    Espeak::ID,
    Piper::ID,
    #[cfg(feature = "fault-engine")]
    super::fault::Fault::ID,
];

/// Builds the engine with this id from its JSON config (empty: none).
pub fn build(id: &str, config: &str) -> Result<Box<dyn Engine>, EngineError> {
    match id {
        Espeak::ID => Ok(Box::new(Espeak::new()?)),
        Piper::ID => {
            let setup: PiperSetup =
                serde_json::from_str(config).map_err(|e| EngineError::Init(format!("piper engine config: {e}")))?;
            Ok(Box::new(Piper::new(&setup)?))
        }
        #[cfg(feature = "fault-engine")]
        super::fault::Fault::ID => {
            let setup: super::fault::FaultSetup =
                serde_json::from_str(config).map_err(|e| EngineError::Init(format!("fault engine config: {e}")))?;
            Ok(Box::new(super::fault::Fault::new(&setup)))
        }
        other => Err(EngineError::Init(format!("unknown engine `{other}`; known: {}", ENGINE_IDS.join(", ")))),
    }
}
