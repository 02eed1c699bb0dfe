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
    /// Address of the Wyoming protocol server (Home Assistant and voice
    /// satellites) that `herald serve` runs beside the HTTP service; unset: none.
    pub wyoming_addr: Option<SocketAddr>,
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
    /// Address-space limit of each worker process, in MiB (0: none).
    pub worker_memory_mb: u64,
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
    /// Other sites allowed to call the API from a browser (the Listen
    /// button), as origins like `https://news.example`. A list, or one
    /// comma-separated string (as `HERALD_CORS_ORIGINS` gives).
    #[serde(deserialize_with = "list_or_commas")]
    pub cors_origins: Vec<String>,
    /// Requests per minute from one client address (0: no limit).
    pub rate_limit_per_minute: u32,
    /// Requests a client may make at once before the rate applies.
    pub rate_limit_burst: u32,
    /// Whether clients on this machine (loopback) are rate limited too.
    pub rate_limit_loopback: bool,
    /// Longest a request may take to start its response, in seconds.
    pub request_timeout_secs: u64,
    /// When set, creating documents needs `Authorization: Bearer KEY` with
    /// one of these keys (except from Herald's pages and allowed origins).
    #[serde(deserialize_with = "list_or_commas")]
    pub api_keys: Vec<String>,
    /// Whether neural (Piper) voices start when ONNX Runtime and a voice are found.
    pub neural: bool,
    /// ONNX Runtime's shared library; unset: the first `libonnxruntime.so.*`
    /// under `neural_dirs`.
    pub onnxruntime: Option<PathBuf>,
    /// Where ONNX Runtime and Piper voices (`NAME.onnx` + `NAME.onnx.json`)
    /// are looked for, recursively.
    pub neural_dirs: Vec<PathBuf>,
    /// Neural worker processes (each loads every neural model).
    pub neural_workers: usize,
    /// ONNX Runtime threads per neural worker.
    pub neural_threads: usize,
    /// Address-space limit of each neural worker process, in MiB (0: none).
    pub neural_worker_memory_mb: u64,
    /// Starts the test-only engine that misbehaves on command (its voice
    /// is `fault:test`); only in builds with the `fault-engine` feature.
    #[cfg(feature = "fault-engine")]
    pub fault_engine: bool,
}

fn list_or_commas<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Origins {
        List(Vec<String>),
        Commas(String),
    }
    let items = match Origins::deserialize(deserializer)? {
        Origins::List(list) => list,
        Origins::Commas(text) => text.split(',').map(str::to_string).collect(),
    };
    Ok(items.into_iter().map(|o| o.trim().trim_end_matches('/').to_string()).filter(|o| !o.is_empty()).collect())
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            wyoming_addr: None,
            cache_dir: PathBuf::from("audio-cache"),
            cache_max_bytes: 1 << 30,
            workers: 0,
            queue_capacity: 1024,
            utterance_deadline_secs: 30,
            worker_memory_mb: 1024,
            lookahead: 4,
            paragraph_pause_ms: 700,
            voice_catalog: None,
            max_body_bytes: crate::document::MAX_INPUT_BYTES + 64 * 1024,
            shutdown_grace_secs: 10,
            cors_origins: Vec::new(),
            rate_limit_per_minute: 600,
            rate_limit_burst: 60,
            rate_limit_loopback: false,
            request_timeout_secs: 120,
            api_keys: Vec::new(),
            neural: true,
            onnxruntime: None,
            neural_dirs: vec![PathBuf::from(".neural"), PathBuf::from("voices")],
            neural_workers: 1,
            neural_threads: 2,
            neural_worker_memory_mb: 4096,
            #[cfg(feature = "fault-engine")]
            fault_engine: false,
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
            jail.set_env("HERALD_CORS_ORIGINS", "https://a.example, http://b.example:8000/");
            let s = Settings::load(None, serde_json::json!({})).unwrap();
            assert_eq!(s.cors_origins, ["https://a.example", "http://b.example:8000"]);
            jail.create_file("herald.toml", "cors_origins = [\"https://c.example\"]\n")?;
            jail.set_env("HERALD_CORS_ORIGINS", "");
            let s = Settings::load(None, serde_json::json!({ "cors_origins": ["https://flag.example"] })).unwrap();
            assert_eq!(s.cors_origins, ["https://flag.example"]);
            assert_eq!(s.wyoming_addr, None);
            jail.set_env("HERALD_WYOMING_ADDR", "0.0.0.0:10200");
            let s = Settings::load(None, serde_json::json!({})).unwrap();
            assert_eq!(s.wyoming_addr, Some(SocketAddr::from(([0, 0, 0, 0], 10200))));
            Ok(())
        });
    }
}
