//! Settings: one typed struct, layered from built-in defaults, then
//! `herald.toml` (or the file named by `--config`/`HERALD_CONFIG`), then
//! `HERALD_*` environment variables, then command-line flags.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address `herald serve` listens on.
    pub addr: SocketAddr,
    /// Segment cache and document store.
    pub cache_dir: PathBuf,
    /// Segment cache size cap in bytes (least recently used entries go first).
    pub cache_max_bytes: u64,
    /// Worker processes; 0 means one per core.
    pub workers: usize,
    /// Utterances waiting for a worker, across all requests; beyond it, 503.
    pub queue_capacity: usize,
    /// A worker silent this long on one utterance is killed and replaced.
    pub utterance_deadline_secs: u64,
    /// Utterances prepared ahead of the one streaming, per request.
    pub lookahead: usize,
    /// Silence between paragraphs, in milliseconds.
    pub paragraph_pause_ms: u32,
    /// A voice catalog file to use instead of the embedded one.
    pub voice_catalog: Option<PathBuf>,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Longest a graceful shutdown waits for in-flight streams, in seconds.
    pub shutdown_grace_secs: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            cache_dir: PathBuf::from("audio-cache"),
            cache_max_bytes: 1 << 30,
            workers: 0,
            queue_capacity: 1024,
            utterance_deadline_secs: 30,
            lookahead: 4,
            paragraph_pause_ms: 700,
            voice_catalog: None,
            max_body_bytes: crate::document::MAX_INPUT_BYTES + 64 * 1024,
            shutdown_grace_secs: 10,
        }
    }
}

impl Settings {
    /// Defaults ← config file ← `HERALD_*` environment ← `overrides`
    /// (command-line flags, already serialized without unset fields).
    pub fn load(config_file: Option<&Path>, overrides: impl Serialize) -> Result<Self, Box<figment::Error>> {
        let file = config_file.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("herald.toml"));
        // Only variables naming a setting: HERALD_LOG, HERALD_CONFIG and the
        // like belong to other parts of Herald.
        let defaults = serde_json::to_value(Settings::default()).expect("settings serialize");
        let known: Vec<String> = defaults.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
        Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::file(file))
            .merge(
                Env::prefixed("HERALD_").filter(move |key| known.iter().any(|k| key.as_str().eq_ignore_ascii_case(k))),
            )
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(Box::new)
    }

    /// Worker count with 0 resolved to the number of cores.
    pub fn worker_count(&self) -> usize {
        match self.workers {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::result_large_err)] // figment's test jail returns its own error type
    fn layers_file_env_and_flags() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("herald.toml", "workers = 3\npublic = 1\n")?;
            assert!(Settings::load(None, serde_json::json!({})).is_err(), "unknown keys are refused");
            jail.create_file("herald.toml", "workers = 3\nlookahead = 2\n")?;
            jail.set_env("HERALD_LOOKAHEAD", "6");
            jail.set_env("HERALD_LOG", "debug");
            jail.set_env("HERALD_CACHE_DIR", "/tmp/x");
            let s = Settings::load(None, serde_json::json!({ "cache_dir": "/tmp/flag" })).unwrap();
            assert_eq!((s.workers, s.lookahead, s.cache_dir.as_path()), (3, 6, Path::new("/tmp/flag")));
            Ok(())
        });
    }
}
