//! The module's service, started so that Speech Dispatcher never waits:
//! the fast voices (espeak-ng workers, started in milliseconds) before
//! `INIT` is answered, then the natural voices in the background. Until
//! they are up, messages are spoken with the fast voices; from then on the
//! service with every engine replaces the first one (a message already
//! speaking finishes on the service it started on).
//!
//! The voice list is read without starting any engine (as `herald voices`
//! does), so `LIST VOICES` names every voice at once, natural ones too.

use super::voices::{listing, ListedVoice};
use crate::pipeline::planning::Planning;
use crate::pipeline::{Pipeline, StartError};
use crate::report::Chain;
use crate::settings::Settings;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use tokio::sync::OnceCell;

pub(crate) struct Engines {
    current: RwLock<Arc<Pipeline>>,
    voices: OnceCell<Vec<ListedVoice>>,
    settings: Settings,
}

impl Engines {
    /// Starts the fast voices; the natural ones follow in the background.
    pub(crate) async fn start(settings: Settings, program: PathBuf) -> Result<Arc<Self>, StartError> {
        let fast = Arc::new(Pipeline::start(settings.clone().fast_only(), program.clone()).await?);
        let engines = Arc::new(Self { current: RwLock::new(Arc::clone(&fast)), voices: OnceCell::new(), settings });
        // In the background, one after the other so that each has the
        // machine to itself: the language model, the voice list, then the
        // natural voices.
        let starting = Arc::clone(&engines);
        tokio::spawn(async move {
            fast.warm_up().await;
            starting.voices().await;
            if !starting.settings.neural.enabled {
                return;
            }
            match Pipeline::start(starting.settings.clone(), program).await {
                Ok(full) => {
                    *starting.current.write().expect("never poisoned") = Arc::new(full);
                    tracing::info!("natural voices ready");
                }
                Err(error) => tracing::warn!(%error, "natural voices did not start; speaking with espeak-ng"),
            }
        });
        Ok(engines)
    }

    /// The service to speak the next message with.
    pub(crate) fn pipeline(&self) -> Arc<Pipeline> {
        Arc::clone(&self.current.read().expect("never poisoned"))
    }

    /// Every voice Herald has, natural ones included even before they are up.
    pub(crate) async fn voices(&self) -> &[ListedVoice] {
        self.voices
            .get_or_init(|| async {
                match Planning::open_in_background(self.settings.clone()).await {
                    Ok(planning) => listing(planning.catalog().voices()),
                    Err(error) => {
                        tracing::warn!(error = %Chain(&error), "cannot read every voice; listing the running ones");
                        listing(self.pipeline().voices(None))
                    }
                }
            })
            .await
    }
}
