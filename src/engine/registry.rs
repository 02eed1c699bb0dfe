//! Builds engines by id, so a worker can host any engine Herald knows.

use super::{espeak::Espeak, Engine, EngineError};

/// Ids of the engines a worker can host.
pub const ENGINE_IDS: &[&str] = &[Espeak::ID];

/// Builds the engine with this id.
pub fn build(id: &str) -> Result<Box<dyn Engine>, EngineError> {
    match id {
        Espeak::ID => Ok(Box::new(Espeak::new()?)),
        other => Err(EngineError::Init(format!("unknown engine `{other}`; known: {}", ENGINE_IDS.join(", ")))),
    }
}
