//! Settings: one typed struct, layered from built-in defaults, then
//! `herald.toml` (or the file named by `--config`/`HERALD_CONFIG`), then
//! `HERALD_*` environment variables, then command-line flags.

use crate::cache::store::ObjectStoreSettings;
use crate::secret::Secret;
use crate::voice::Quality;
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
    /// Where segments, documents and renders are shared by several
    /// replicas: `s3://BUCKET/PREFIX` in an S3-compatible object store.
    /// Unset: all of them stay in `cache_dir`.
    pub store: Option<String>,
    /// The object store's S3 endpoint (`http://127.0.0.1:3900`); unset: AWS.
    pub store_endpoint: Option<String>,
    /// The object store's region (Garage's default is `garage`).
    pub store_region: String,
    /// The object store's access key; unset: `AWS_ACCESS_KEY_ID`.
    pub store_access_key_id: Option<String>,
    /// The object store's secret key; unset: `AWS_SECRET_ACCESS_KEY`.
    pub store_secret_access_key: Option<Secret>,
    /// Whether the endpoint may be plain HTTP (a store on loopback).
    pub store_allow_http: bool,
    /// With an object store: megabytes of the most recently used segments
    /// kept in memory, so a hot sentence costs no round trip (0: none).
    pub store_memory_mb: u64,
    /// PostgreSQL shared by the replicas (`postgres://USER@HOST:PORT/DB`),
    /// so a segment is synthesized once in the whole cluster. Unset: each
    /// replica coordinates only its own requests.
    pub database_url: Option<Secret>,
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
    /// Secret keys. When these or publishable keys are set, every route
    /// that makes new audio needs `Authorization: Bearer KEY`. Secret keys
    /// are for servers and scripts; they never go into a web page.
    #[serde(deserialize_with = "list_or_commas")]
    pub api_keys: Vec<Secret>,
    /// Keys for browsers (the Listen button on other sites): each bound to
    /// its origins, with its own rate and daily quota.
    pub publishable_keys: Vec<PublishableKey>,
    /// Whether stored documents, their audio and pages can be read without a
    /// key when keys are set.
    pub public_reads: bool,
    /// Whether neural voices (Piper, Kokoro) start when ONNX Runtime and a voice are found.
    pub neural: bool,
    /// ONNX Runtime's shared library; unset: the first `libonnxruntime.so.*`
    /// under `neural_dirs`.
    pub onnxruntime: Option<PathBuf>,
    /// Where ONNX Runtime, Piper voices (`NAME.onnx` + `NAME.onnx.json`)
    /// and Kokoro voice packs are looked for, recursively.
    pub neural_dirs: Vec<PathBuf>,
    /// Worker processes per neural engine (each loads that engine's models).
    pub neural_workers: usize,
    /// ONNX Runtime threads per neural worker.
    pub neural_threads: usize,
    /// Whether neural voices infer a long sentence clause by clause: first
    /// audio sooner and less work in flight for a cancel, but a higher word
    /// error rate in measurement (BENCHMARKS.md), so off by default.
    pub neural_split_clauses: bool,
    /// Whether Piper voices split into encoder and decoder (by the setup)
    /// play a sentence's first frames while the rest are decoded.
    pub neural_streaming: bool,
    /// Address-space limit of each neural worker process, in MiB (0: none).
    pub neural_worker_memory_mb: u64,
    /// MeCab IPADIC sources (Debian `mecab-ipadic`), read for Japanese.
    pub japanese_dictionary: PathBuf,
    /// Where compiled dictionaries are kept between runs; unset:
    /// `$XDG_CACHE_HOME/herald`, else `~/.cache/herald`, else `cache_dir`.
    pub reading_cache_dir: Option<PathBuf>,
    /// The Speech Dispatcher module (`[speechd]`).
    pub speechd: SpeechdSettings,
    /// Starts the test-only engine that misbehaves on command (its voice
    /// is `fault:test`); only in builds with the `fault-engine` feature.
    #[cfg(feature = "fault-engine")]
    pub fault_engine: bool,
}

/// How the Speech Dispatcher module speaks (`herald speechd install`
/// writes them into the module's settings file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpeechdSettings {
    /// The voices used where the client chooses none: `natural` (neural,
    /// where installed) or `fast` (espeak-ng). Keys and characters are
    /// always spoken by the fast voices.
    pub quality: Quality,
    /// Whether a sentence clearly in another language than the client's
    /// is spoken by a voice of its own language.
    pub language_switching: bool,
}

impl Default for SpeechdSettings {
    fn default() -> Self {
        Self { quality: Quality::Natural, language_switching: true }
    }
}

/// A key a web page may carry. It can be copied by anyone who reads the
/// page, so what bounds its use is its origins, its rate and its quota.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishableKey {
    /// Shown in metrics and logs (the key itself never is).
    pub name: String,
    /// `pk_` and at least 16 more letters, digits, `-` or `_`.
    pub key: String,
    /// Origins (`https://news.example`) whose pages may use the key; empty:
    /// Herald's own pages only.
    #[serde(default, deserialize_with = "list_or_commas")]
    pub origins: Vec<String>,
    /// Requests per minute with this key.
    #[serde(default = "PublishableKey::default_per_minute")]
    pub per_minute: u32,
    /// Characters a day (UTC) this key may send to be spoken.
    #[serde(default = "PublishableKey::default_daily_characters")]
    pub daily_characters: u64,
}

impl PublishableKey {
    fn default_per_minute() -> u32 {
        60
    }

    fn default_daily_characters() -> u64 {
        200_000
    }

    /// Why the key is unusable, if it is.
    fn problem(&self) -> Option<String> {
        let body = self.key.strip_prefix("pk_").unwrap_or("");
        let well_formed = body.len() >= 16 && body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !well_formed {
            return Some(format!(
                "publishable key `{}`: its key must be `pk_` and 16 or more letters, digits, - or _",
                self.name
            ));
        }
        if self.name.trim().is_empty() || self.per_minute == 0 {
            return Some(format!("publishable key `{}`: it needs a name and a per_minute above 0", self.name));
        }
        None
    }
}

fn list_or_commas<'de, D: serde::Deserializer<'de>, T: From<String>>(deserializer: D) -> Result<Vec<T>, D::Error> {
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
    let items = items.into_iter().map(|o| o.trim().trim_end_matches('/').to_string()).filter(|o| !o.is_empty());
    Ok(items.map(T::from).collect())
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            wyoming_addr: None,
            cache_dir: PathBuf::from("audio-cache"),
            cache_max_bytes: 1 << 30,
            store: None,
            store_endpoint: None,
            store_region: "us-east-1".into(),
            store_access_key_id: None,
            store_secret_access_key: None,
            store_allow_http: false,
            store_memory_mb: 64,
            database_url: None,
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
            publishable_keys: Vec::new(),
            public_reads: true,
            neural: true,
            onnxruntime: None,
            neural_dirs: vec![PathBuf::from(".neural"), PathBuf::from("voices")],
            neural_workers: 1,
            neural_threads: 2,
            neural_split_clauses: false,
            neural_streaming: true,
            neural_worker_memory_mb: 4096,
            japanese_dictionary: PathBuf::from("/usr/share/mecab/dic/ipadic"),
            reading_cache_dir: None,
            speechd: SpeechdSettings::default(),
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
            .extract::<Self>()
            .map_err(Box::new)?
            .checked()
    }

    /// Refuses keys that cannot work, or that are given twice.
    fn checked(self) -> Result<Self, Box<figment::Error>> {
        let problems = self.publishable_keys.iter().filter_map(PublishableKey::problem);
        let mut values: Vec<&str> = self
            .api_keys
            .iter()
            .map(Secret::expose)
            .chain(self.publishable_keys.iter().map(|k| k.key.as_str()))
            .collect();
        values.sort_unstable();
        let repeated = values.windows(2).any(|w| w[0] == w[1]).then(|| "a key is listed twice".to_string());
        let secret_looks_public = self
            .api_keys
            .iter()
            .any(|k| k.expose().starts_with("pk_"))
            .then(|| "api_keys are secret: they cannot start with `pk_`".to_string());
        let problems: Vec<String> = problems.chain(repeated).chain(secret_looks_public).collect();
        if problems.is_empty() {
            Ok(self)
        } else {
            Err(Box::new(figment::Error::from(problems.join("; "))))
        }
    }

    /// Every origin whose pages may call Herald from a browser: `cors_origins`
    /// and the origins of the publishable keys.
    pub fn browser_origins(&self) -> Vec<String> {
        let mut origins: Vec<String> = self.cors_origins.clone();
        for origin in self.publishable_keys.iter().flat_map(|k| &k.origins) {
            if !origins.iter().any(|o| o.eq_ignore_ascii_case(origin)) {
                origins.push(origin.clone());
            }
        }
        origins
    }

    /// The object store to share state in, if one is set.
    pub fn object_store(&self) -> Option<ObjectStoreSettings> {
        self.store.as_ref().map(|url| ObjectStoreSettings {
            url: url.clone(),
            endpoint: self.store_endpoint.clone(),
            region: self.store_region.clone(),
            access_key_id: self.store_access_key_id.clone(),
            secret_access_key: self.store_secret_access_key.clone(),
            allow_http: self.store_allow_http,
        })
    }

    /// Worker count with 0 resolved to the number of cores.
    /// Where the reading front ends find and keep their dictionaries.
    pub fn reading(&self) -> crate::text::ReadingSettings {
        let user_cache = || {
            let xdg = std::env::var_os("XDG_CACHE_HOME").map(PathBuf::from);
            xdg.or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache")))
                .map(|c| c.join("herald"))
        };
        crate::text::ReadingSettings {
            japanese_dictionary: self.japanese_dictionary.clone(),
            cache_dir: self.reading_cache_dir.clone().or_else(user_cache).unwrap_or_else(|| self.cache_dir.clone()),
        }
    }

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
            assert_eq!(s.object_store(), None, "the local directory by default");
            jail.set_env("HERALD_STORE", "s3://herald/one");
            jail.set_env("HERALD_STORE_ENDPOINT", "http://127.0.0.1:3900");
            jail.set_env("HERALD_STORE_ALLOW_HTTP", "true");
            let store = Settings::load(None, serde_json::json!({})).unwrap().object_store().unwrap();
            assert_eq!(
                (store.url.as_str(), store.endpoint.as_deref(), store.allow_http),
                ("s3://herald/one", Some("http://127.0.0.1:3900"), true)
            );
            jail.create_file(
                "herald.toml",
                "[[publishable_keys]]\nname = \"news\"\nkey = \"pk_0123456789abcdef\"\norigins = [\"https://news.example/\"]\n",
            )?;
            let s = Settings::load(None, serde_json::json!({})).unwrap();
            assert_eq!((s.publishable_keys[0].per_minute, s.publishable_keys[0].daily_characters), (60, 200_000));
            assert_eq!(s.browser_origins(), ["https://news.example"], "the key's origins, trimmed");
            jail.create_file("herald.toml", "[[publishable_keys]]\nname = \"short\"\nkey = \"pk_abc\"\n")?;
            let error = Settings::load(None, serde_json::json!({})).unwrap_err().to_string();
            assert!(error.contains("`short`"), "{error}");
            jail.create_file("herald.toml", "api_keys = [\"pk_0123456789abcdef\"]\n")?;
            assert!(Settings::load(None, serde_json::json!({})).is_err(), "a secret key that looks publishable");
            Ok(())
        });
    }
}
