//! Starting the engines' worker pools: espeak-ng always, each neural engine
//! where it is enabled and installed, and the test-only fault engine when
//! it is built in and asked for.

use super::StartError;
use crate::engine::espeak::Espeak;
use crate::engine::neural::discover::Unavailable;
use crate::engine::pool::{Pool, PoolConfig, PoolError};
use crate::settings::Settings;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// How long a worker of an engine without models has to start.
const ENGINE_START: Duration = Duration::from_secs(10);
/// How long a neural worker has to load its models and start.
const NEURAL_ENGINE_START: Duration = Duration::from_secs(60);

/// Each neural engine, and why it is not running if it is not.
pub(super) type NeuralStatus = Vec<(&'static str, Result<(), Unavailable>)>;

/// What one pool of workers runs, and with how much room.
struct Workers<'a> {
    engine: &'a str,
    engine_config: String,
    count: usize,
    memory_limit_mb: u64,
    start_timeout: Duration,
}

impl Workers<'_> {
    async fn start(self, settings: &Settings, program: &Path) -> Result<Pool, PoolError> {
        Pool::start(PoolConfig {
            program: program.to_path_buf(),
            engine: self.engine.into(),
            engine_config: self.engine_config,
            workers: self.count,
            queue_capacity: settings.synthesis.queue_capacity,
            deadline: Duration::from_secs(settings.synthesis.utterance_deadline_secs),
            memory_limit_mb: self.memory_limit_mb,
            start_timeout: self.start_timeout,
        })
        .await
    }
}

/// Starts every pool, espeak-ng's first, with `program` (the Herald binary).
pub(super) async fn start(settings: &Settings, program: &Path) -> Result<(Vec<Arc<Pool>>, NeuralStatus), StartError> {
    let espeak = Workers {
        engine: Espeak::ID,
        engine_config: String::new(),
        count: settings.synthesis.worker_count(),
        memory_limit_mb: settings.synthesis.worker_memory_mb,
        start_timeout: ENGINE_START,
    };
    let mut pools = vec![Arc::new(espeak.start(settings, program).await?)];
    let sample_rate = pools[0].hello().info.sample_rate;
    let mut neural = Vec::new();
    for (engine, started) in start_neural(settings, program, sample_rate).await {
        match started {
            Ok(pool) => {
                let voices: Vec<&str> = pool.hello().voices.iter().map(|v| v.identifier.as_str()).collect();
                let runtime = &pool.hello().info.version;
                tracing::info!(engine, voices = %voices.join(", "), %runtime, "neural voices ready");
                pools.push(Arc::new(pool));
                neural.push((engine, Ok(())));
            }
            Err(reason) => {
                tracing::info!(engine, %reason, "neural engine unavailable");
                neural.push((engine, Err(reason)));
            }
        }
    }
    if let Some(reason) = crate::pipeline::planning::natural_unavailable(&neural) {
        tracing::info!(%reason, "neural voices unavailable; speaking with espeak-ng only");
    }
    #[cfg(feature = "fault-engine")]
    if settings.fault_engine {
        let setup = crate::engine::fault::FaultSetup { sample_rate };
        let fault = Workers {
            engine: crate::engine::fault::Fault::ID,
            engine_config: serde_json::to_string(&setup).expect("setup serializes"),
            count: settings.synthesis.worker_count(),
            memory_limit_mb: settings.synthesis.worker_memory_mb,
            start_timeout: ENGINE_START,
        };
        pools.push(Arc::new(fault.start(settings, program).await?));
    }
    Ok((pools, neural))
}

/// Starts each neural engine's workers, where enabled and installed.
async fn start_neural(
    settings: &Settings,
    program: &Path,
    sample_rate: u32,
) -> Vec<(&'static str, Result<Pool, Unavailable>)> {
    let starts = crate::pipeline::planning::neural_setups(&settings.neural, sample_rate).into_iter().map(
        |(engine, setup)| async move {
            let setup = match setup {
                Ok(setup) => setup,
                Err(reason) => return (engine, Err(reason)),
            };
            let workers = Workers {
                engine,
                engine_config: setup.worker_config(),
                count: settings.neural.workers.max(1),
                memory_limit_mb: settings.neural.worker_memory_mb,
                start_timeout: NEURAL_ENGINE_START,
            };
            let pool = workers.start(settings, program).await;
            (engine, pool.map_err(|e| Unavailable::Failed { engine, reason: crate::report::Chain(&e).to_string() }))
        },
    );
    futures::future::join_all(starts).await
}
