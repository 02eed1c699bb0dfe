//! The one place that lists Herald's engines: it builds an engine by id,
//! so a worker can host any of them, and finds the neural engines' setups
//! on disk. Adding an engine means adding it here.

use super::kokoro::{Kokoro, KokoroSetup};
use super::neural::discover::{self, Unavailable};
use super::neural::Search;
use super::piper::{listing, Piper, PiperSetup};
use super::protocol::Hello;
use super::{espeak::Espeak, Cause, Engine, EngineError};
use serde::de::DeserializeOwned;

/// Ids of the engines a worker can host.
const ENGINE_IDS: &[&str] = &[
    Espeak::ID,
    Piper::ID,
    Kokoro::ID,
    #[cfg(feature = "fault-engine")]
    super::fault::Fault::ID,
];

/// Builds the engine with this id from its JSON config (empty: none).
pub(crate) fn build(id: &str, config: &str) -> Result<Box<dyn Engine>, EngineError> {
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

/// What one neural engine's workers load, found without loading anything.
#[derive(Debug, Clone)]
pub(crate) enum NeuralSetup {
    Piper(PiperSetup),
    Kokoro(KokoroSetup),
}

impl NeuralSetup {
    /// The neural engines, in the order [`NeuralSetup::find_all`] gives them.
    pub(crate) const ENGINES: [&'static str; 2] = [Piper::ID, Kokoro::ID];

    /// Every neural engine: its setup, or why it cannot run.
    pub(crate) fn find_all(search: &Search<'_>) -> Vec<(&'static str, Result<Self, Unavailable>)> {
        let found = discover::find(search.runtime, search.dirs);
        let piper =
            found.clone().and_then(|f| PiperSetup::find(&f, search.threads, search.sample_rate).map(Self::Piper));
        let kokoro = found.and_then(|f| KokoroSetup::find(&f, search.threads, search.sample_rate).map(Self::Kokoro));
        vec![(Piper::ID, piper), (Kokoro::ID, kokoro)]
    }

    pub(crate) fn engine(&self) -> &'static str {
        match self {
            Self::Piper(_) => Piper::ID,
            Self::Kokoro(_) => Kokoro::ID,
        }
    }

    /// The JSON a worker hosting this engine is started with.
    pub(crate) fn worker_config(&self) -> String {
        match self {
            Self::Piper(setup) => serde_json::to_string(setup),
            Self::Kokoro(setup) => serde_json::to_string(setup),
        }
        .expect("setups serialize")
    }

    /// What the engine's workers would greet with, read from the voices'
    /// files alone (no runtime, no model): for planning without workers.
    /// The voices carry no model fingerprint, so they must not name cached audio.
    pub(crate) fn hello(&self, espeak_version: &str) -> Result<Hello, EngineError> {
        match self {
            Self::Piper(setup) => listing::hello(setup, espeak_version),
            Self::Kokoro(setup) => setup.hello(espeak_version),
        }
    }
}
