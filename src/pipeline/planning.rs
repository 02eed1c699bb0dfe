//! Planning without workers, for the commands that only plan or list voices
//! (`herald plan`, `herald voices`) and for `herald synth` to learn which
//! engines its plan speaks with before it starts any. The voice catalog is
//! built in this process from libespeak-ng's voice list (read through the
//! FFI; nothing is synthesized, so none of the engine's crashes can happen)
//! and from the neural voices' config files (no runtime, no model loaded).
//! It plans exactly as the running pipeline does, since it is given the same
//! voices.

use crate::document::{ingest, IngestError, InputFormat};
use crate::engine::espeak::Espeak;
use crate::engine::kokoro::KokoroSetup;
use crate::engine::neural::discover::Unavailable;
use crate::engine::neural::Search;
use crate::engine::piper::PiperSetup;
use crate::engine::protocol::Hello;
use crate::engine::registry::NeuralSetup;
use crate::engine::EngineError;
use crate::report::Chain;
use crate::settings::{NeuralSettings, Settings, SynthesisSettings};
use crate::speech::{Plan, PlanError, Planner, SpeechOptions};
use crate::text::{LanguageDetector, Readers};
use crate::voice::{Catalog, CatalogError, Quality};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// Why a text could not be planned.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PlanTextError {
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Plan(#[from] PlanError),
}

/// Why the voice list could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PlanningError {
    #[error("espeak-ng")]
    Espeak(#[source] EngineError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error("voice catalog {}: {error}", path.display())]
    CatalogFile { path: PathBuf, error: std::io::Error },
}

/// libespeak-ng may be initialised once per process: its greeting is kept.
static ESPEAK: OnceLock<Result<Hello, EngineError>> = OnceLock::new();

fn espeak_hello() -> Result<Hello, PlanningError> {
    ESPEAK.get_or_init(|| Espeak::new().map(|engine| Hello::of(&engine))).clone().map_err(PlanningError::Espeak)
}

/// The catalog file's text: `voice_catalog`, else the embedded catalog.
pub(crate) fn catalog_toml(settings: &SynthesisSettings) -> Result<String, PlanningError> {
    match &settings.voice_catalog {
        Some(path) => {
            std::fs::read_to_string(path).map_err(|error| PlanningError::CatalogFile { path: path.clone(), error })
        }
        None => Ok(crate::voice::catalog::EMBEDDED_CATALOG.to_string()),
    }
}

/// Ingests and plans a text with `planner`.
pub(crate) fn plan_with(
    planner: &Planner,
    text: &str,
    format: InputFormat,
    options: &SpeechOptions,
) -> Result<Plan, PlanTextError> {
    Ok(planner.plan(ingest(text, format)?, options)?)
}

/// The voices and language detector, without any worker.
pub(crate) struct Planning {
    planner: Planner,
    /// Each neural engine, and why it cannot run if it cannot.
    neural: Vec<(&'static str, Result<(), Unavailable>)>,
}

impl Planning {
    /// [`Planning::open`] from async code: on a blocking thread, since
    /// loading the voices' models to describe them is slow.
    pub(crate) async fn open_in_background(settings: Settings) -> Result<Self, PlanningError> {
        tokio::task::spawn_blocking(move || Self::open(&settings)).await.expect("opening planning does not panic")
    }

    pub(crate) fn open(settings: &Settings) -> Result<Self, PlanningError> {
        let espeak = espeak_hello()?;
        let neural: Vec<(&'static str, Result<Hello, Unavailable>)> =
            neural_setups(&settings.neural, espeak.info.sample_rate)
                .into_iter()
                .map(|(engine, setup)| {
                    let hello = setup.and_then(|s| {
                        s.hello(&espeak.info.version)
                            .map_err(|e| Unavailable::Failed { engine: s.engine(), reason: Chain(&e).to_string() })
                    });
                    (engine, hello)
                })
                .collect();
        let hellos: Vec<&Hello> =
            std::iter::once(&espeak).chain(neural.iter().filter_map(|(_, hello)| hello.as_ref().ok())).collect();
        let catalog = Catalog::new(&catalog_toml(&settings.synthesis)?, &hellos)?;
        let neural = neural.into_iter().map(|(engine, hello)| (engine, hello.map(|_| ()))).collect();
        let planner = Planner {
            catalog: Arc::new(catalog),
            detector: LanguageDetector::default(),
            readers: Arc::new(Readers::new(settings.reading())),
        };
        Ok(Self { planner, neural })
    }

    /// Why natural voices cannot be used, when no neural engine can run.
    pub(crate) fn natural_unavailable(&self) -> Option<&Unavailable> {
        natural_unavailable(&self.neural)
    }

    pub(crate) fn catalog(&self) -> &Catalog {
        &self.planner.catalog
    }

    pub(crate) fn plan(&self, text: &str, format: InputFormat, options: &SpeechOptions) -> Result<Plan, PlanTextError> {
        plan_with(&self.planner, text, format, options)
    }

    /// Whether any sentence of `plan` is spoken by a neural (natural) voice.
    pub(crate) fn needs_neural(&self, plan: &Plan) -> bool {
        plan.utterances().iter().any(|u| self.catalog().get(&u.voice).is_some_and(|v| v.quality == Quality::Natural))
    }
}

/// The first reason, when no neural engine can run.
pub(crate) fn natural_unavailable<'a, T>(engines: &'a [(&str, Result<T, Unavailable>)]) -> Option<&'a Unavailable> {
    if engines.iter().any(|(_, status)| status.is_ok()) {
        return None;
    }
    engines.iter().find_map(|(_, status)| status.as_ref().err())
}

/// What every neural engine would load with `settings`, found as its
/// workers would find it, or why it cannot run.
pub(crate) fn neural_setups(
    settings: &NeuralSettings,
    sample_rate: u32,
) -> Vec<(&'static str, Result<NeuralSetup, Unavailable>)> {
    if !settings.enabled {
        return NeuralSetup::ENGINES.iter().map(|engine| (*engine, Err(Unavailable::Disabled))).collect();
    }
    let search = Search {
        runtime: settings.onnxruntime.as_deref(),
        dirs: &settings.dirs,
        threads: settings.threads,
        sample_rate,
    };
    let tuned = |setup: NeuralSetup| match setup {
        NeuralSetup::Piper(piper) => {
            let parts = if settings.streaming { piper.parts } else { Vec::new() };
            NeuralSetup::Piper(PiperSetup { split_clauses: settings.split_clauses, parts, ..piper })
        }
        NeuralSetup::Kokoro(kokoro) => {
            let kokoro = if settings.streaming { kokoro } else { kokoro.unstreamed() };
            NeuralSetup::Kokoro(KokoroSetup { split_clauses: settings.split_clauses, ..kokoro })
        }
    };
    NeuralSetup::find_all(&search).into_iter().map(|(engine, setup)| (engine, setup.map(tuned))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_with_espeak_voices_read_in_process() {
        let planning = Planning::open(&Settings::default().fast_only()).unwrap();
        assert!(planning.catalog().voices().len() > 50, "espeak-ng lists its 100+ voices");
        let plan = planning
            .plan(
                "Le ministre a présenté aujourd'hui le plan de rénovation des écoles.",
                InputFormat::Text,
                &SpeechOptions::default(),
            )
            .unwrap();
        assert_eq!(plan.lang.as_str(), "fr");
        assert!(!planning.needs_neural(&plan));
        assert!(Planning::open(&Settings::default().fast_only()).is_ok(), "twice in one process");
    }
}
