//! Settings: one typed struct in sections (`[server]`, `[keys]`,
//! `[cache]`, `[store]`, `[database]`, `[synthesis]`, `[neural]`,
//! `[reading]`, `[speechd]`), each component handed its own; layered from
//! built-in defaults, then `herald.toml` (or the file named by
//! `--config`/`HERALD_CONFIG`), then `HERALD_*` environment variables,
//! then command-line flags. The flat names of earlier releases are still
//! read ([`flat`]). Secrets are [`Secret`]s: never shown by `Debug` or logs.

mod flat;

use crate::cache::store::ObjectStoreSettings;
use crate::secret::Secret;
use crate::voice::Quality;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::{Figment, Profile, Provider};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The HTTP service and its limits (`[server]`).
    pub server: ServerSettings,
    /// Who may make new audio (`[keys]`).
    pub keys: KeySettings,
    /// The local directory of segments, documents and renders (`[cache]`).
    pub cache: CacheSettings,
    /// An object store shared by replicas (`[store]`).
    pub store: StoreSettings,
    /// A database shared by replicas (`[database]`).
    pub database: DatabaseSettings,
    /// The espeak-ng workers and how speech is paced (`[synthesis]`).
    pub synthesis: SynthesisSettings,
    /// Neural voices (`[neural]`).
    pub neural: NeuralSettings,
    /// Dictionaries of the reading front ends (`[reading]`).
    pub reading: ReadingFiles,
    /// The Speech Dispatcher module (`[speechd]`).
    pub speechd: SpeechdSettings,
    /// Starts the test-only engine that misbehaves on command (its voice
    /// is `fault:test`); only in builds with the `fault-engine` feature.
    #[cfg(feature = "fault-engine")]
    pub fault_engine: bool,
}

/// The HTTP service (and the Wyoming server beside it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// Address `herald serve` listens on.
    pub addr: SocketAddr,
    /// Address of the Wyoming protocol server (Home Assistant and voice
    /// satellites) that `herald serve` runs beside the HTTP service; unset: none.
    pub wyoming_addr: Option<SocketAddr>,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Longest a request may take to start its response, in seconds.
    pub request_timeout_secs: u64,
    /// Longest a graceful shutdown waits for in-flight streams, in seconds.
    pub shutdown_grace_secs: u64,
    /// Other sites allowed to call the API from a browser (the Listen
    /// button), as origins like `https://news.example`. A list, or one
    /// comma-separated string (as `HERALD_SERVER_CORS_ORIGINS` gives).
    #[serde(deserialize_with = "list_or_commas")]
    pub cors_origins: Vec<String>,
    /// Requests per minute from one client address (0: no limit).
    pub rate_limit_per_minute: u32,
    /// Requests a client may make at once before the rate applies.
    pub rate_limit_burst: u32,
    /// Whether clients on this machine (loopback) are rate limited too.
    pub rate_limit_loopback: bool,
}

/// Keys. When secret or publishable keys are set, every route that makes
/// new audio needs `Authorization: Bearer KEY`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeySettings {
    /// Secret keys, for servers and scripts; they never go into a web page.
    #[serde(deserialize_with = "list_or_commas")]
    pub secret: Vec<Secret>,
    /// Keys for browsers (the Listen button on other sites): each bound to
    /// its origins, with its own rate and daily quota.
    pub publishable: Vec<PublishableKey>,
    /// Whether stored documents, their audio and pages can be read without
    /// a key when keys are set.
    pub public_reads: bool,
}

/// The local cache directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheSettings {
    /// Segments, documents and renders (with an object store: renders being
    /// made and local copies).
    pub dir: PathBuf,
    /// Segment cache size cap in bytes (least recently used entries go first).
    pub max_bytes: u64,
}

/// An S3-compatible object store where segments, documents and renders
/// are shared by several replicas.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreSettings {
    /// `s3://BUCKET/PREFIX`. Unset: everything stays in the cache directory.
    pub url: Option<String>,
    /// The S3 endpoint (`http://127.0.0.1:3900`); unset: AWS.
    pub endpoint: Option<String>,
    /// The region (Garage's default is `garage`).
    pub region: String,
    /// The access key; unset: `AWS_ACCESS_KEY_ID`.
    pub access_key_id: Option<String>,
    /// The secret key; unset: `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: Option<Secret>,
    /// Whether the endpoint may be plain HTTP (a store on loopback).
    pub allow_http: bool,
    /// Megabytes of the most recently used segments kept in memory, so a
    /// hot sentence costs no round trip (0: none).
    pub memory_mb: u64,
}

/// PostgreSQL shared by the replicas.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `postgres://USER@HOST:PORT/DB`, so a segment is synthesized once in
    /// the whole cluster. Unset: each replica coordinates only its own requests.
    pub url: Option<Secret>,
}

/// The espeak-ng workers, and how speech is paced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SynthesisSettings {
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
}

/// Neural voices (Piper, Kokoro).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NeuralSettings {
    /// Whether they start when ONNX Runtime and a voice are found.
    pub enabled: bool,
    /// ONNX Runtime's shared library; unset: the first `libonnxruntime.so.*`
    /// under `dirs`.
    pub onnxruntime: Option<PathBuf>,
    /// Where ONNX Runtime, Piper voices (`NAME.onnx` + `NAME.onnx.json`)
    /// and Kokoro voice packs are looked for, recursively.
    pub dirs: Vec<PathBuf>,
    /// Worker processes per neural engine (each loads that engine's models).
    pub workers: usize,
    /// ONNX Runtime threads per neural worker.
    pub threads: usize,
    /// Whether a long sentence is inferred clause by clause: first audio
    /// sooner and less work in flight for a cancel, but a higher word error
    /// rate in measurement (BENCHMARKS.md), so off by default.
    pub split_clauses: bool,
    /// Whether Piper voices split into encoder and decoder (by the setup)
    /// play a sentence's first frames while the rest are decoded.
    pub streaming: bool,
    /// Address-space limit of each neural worker process, in MiB (0: none).
    pub worker_memory_mb: u64,
}

/// Where the reading front ends find and keep their dictionaries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReadingFiles {
    /// MeCab IPADIC sources (Debian `mecab-ipadic`), read for Japanese.
    pub japanese_dictionary: PathBuf,
    /// Where compiled dictionaries are kept between runs; unset:
    /// `$XDG_CACHE_HOME/herald`, else `~/.cache/herald`, else the cache directory.
    pub cache_dir: Option<PathBuf>,
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

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            wyoming_addr: None,
            max_body_bytes: crate::document::MAX_INPUT_BYTES + 64 * 1024,
            request_timeout_secs: 120,
            shutdown_grace_secs: 10,
            cors_origins: Vec::new(),
            rate_limit_per_minute: 600,
            rate_limit_burst: 60,
            rate_limit_loopback: false,
        }
    }
}

impl Default for KeySettings {
    fn default() -> Self {
        Self { secret: Vec::new(), publishable: Vec::new(), public_reads: true }
    }
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self { dir: PathBuf::from("audio-cache"), max_bytes: 1 << 30 }
    }
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self {
            url: None,
            endpoint: None,
            region: "us-east-1".into(),
            access_key_id: None,
            secret_access_key: None,
            allow_http: false,
            memory_mb: 64,
        }
    }
}

impl Default for SynthesisSettings {
    fn default() -> Self {
        Self {
            workers: 0,
            queue_capacity: 1024,
            utterance_deadline_secs: 30,
            worker_memory_mb: 1024,
            lookahead: 4,
            paragraph_pause_ms: 700,
            voice_catalog: None,
        }
    }
}

impl Default for NeuralSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            onnxruntime: None,
            dirs: vec![PathBuf::from(".neural"), PathBuf::from("voices")],
            workers: 1,
            threads: 2,
            split_clauses: false,
            streaming: true,
            worker_memory_mb: 4096,
        }
    }
}

impl Default for ReadingFiles {
    fn default() -> Self {
        Self { japanese_dictionary: PathBuf::from("/usr/share/mecab/dic/ipadic"), cache_dir: None }
    }
}

impl Settings {
    /// Defaults ← config file ← `HERALD_*` environment ← `overrides`
    /// (command-line flags, already serialized without unset fields).
    /// In the environment a setting is `HERALD_SECTION_NAME`
    /// (`HERALD_STORE_ENDPOINT` is `[store] endpoint`). The flat names of
    /// earlier releases are still read, with a warning.
    pub fn load(config_file: Option<&Path>, overrides: impl Serialize) -> Result<Self, Box<figment::Error>> {
        let file = config_file.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("herald.toml"));
        let mut from_file = Figment::from(Toml::file(&file)).data().map_err(Box::new)?.remove(&Profile::Default);
        for moved in from_file.as_mut().map(flat::nest).unwrap_or_default() {
            tracing::warn!(file = %file.display(), "deprecated setting name: {moved}");
        }
        let leaves = leaf_paths();
        for (name, _) in std::env::vars_os() {
            let Some(name) = name.to_str().and_then(|n| n.strip_prefix("HERALD_")).map(str::to_ascii_lowercase) else {
                continue;
            };
            if let (false, Some(path)) = (leaves.iter().any(|leaf| env_name(leaf) == name), flat::moved(&name)) {
                let (old, new) = (name.to_ascii_uppercase(), env_name(path).to_ascii_uppercase());
                tracing::warn!("deprecated variable HERALD_{old}: it is HERALD_{new} now");
            }
        }
        // Only variables naming a setting: HERALD_LOG, HERALD_CONFIG and the
        // like belong to other parts of Herald.
        let environment = Env::prefixed("HERALD_").filter_map(move |key| {
            let name = key.as_str().to_ascii_lowercase();
            let leaf = leaves.iter().find(|leaf| env_name(leaf) == name).map(String::as_str);
            leaf.or_else(|| flat::moved(&name)).map(|path| path.to_string().into())
        });
        // Flags keep their short names (`--cache-dir`, `--workers`), placed
        // as the flat names are.
        let mut flags = Figment::from(Serialized::defaults(overrides)).data().map_err(Box::new)?;
        let mut flags = flags.remove(&Profile::Default).unwrap_or_default();
        flat::nest(&mut flags);
        Figment::from(Serialized::defaults(Settings::default()))
            .merge(Serialized::defaults(from_file.unwrap_or_default()))
            .merge(environment)
            .merge(Serialized::defaults(flags))
            .extract::<Self>()
            .map_err(Box::new)?
            .checked()
    }

    /// Refuses keys that cannot work, or that are given twice.
    fn checked(self) -> Result<Self, Box<figment::Error>> {
        let keys = &self.keys;
        let problems = keys.publishable.iter().filter_map(PublishableKey::problem);
        let mut values: Vec<&str> =
            keys.secret.iter().map(Secret::expose).chain(keys.publishable.iter().map(|k| k.key.as_str())).collect();
        values.sort_unstable();
        let repeated = values.windows(2).any(|w| w[0] == w[1]).then(|| "a key is listed twice".to_string());
        let secret_looks_public = keys
            .secret
            .iter()
            .any(|k| k.expose().starts_with("pk_"))
            .then(|| "secret keys cannot start with `pk_`: that is how publishable keys start".to_string());
        let problems: Vec<String> = problems.chain(repeated).chain(secret_looks_public).collect();
        if problems.is_empty() {
            Ok(self)
        } else {
            Err(Box::new(figment::Error::from(problems.join("; "))))
        }
    }

    /// The same settings with the neural voices off: for work that only
    /// the fast voices do.
    pub fn fast_only(mut self) -> Self {
        self.neural.enabled = false;
        self
    }

    /// Every origin whose pages may call Herald from a browser: the
    /// server's `cors_origins` and the origins of the publishable keys.
    pub fn browser_origins(&self) -> Vec<String> {
        let mut origins: Vec<String> = self.server.cors_origins.clone();
        for origin in self.keys.publishable.iter().flat_map(|k| &k.origins) {
            if !origins.iter().any(|o| o.eq_ignore_ascii_case(origin)) {
                origins.push(origin.clone());
            }
        }
        origins
    }

    /// Where the reading front ends find and keep their dictionaries.
    pub fn reading(&self) -> crate::text::ReadingSettings {
        let user_cache = || {
            let xdg = std::env::var_os("XDG_CACHE_HOME").map(PathBuf::from);
            xdg.or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache")))
                .map(|c| c.join("herald"))
        };
        crate::text::ReadingSettings {
            japanese_dictionary: self.reading.japanese_dictionary.clone(),
            cache_dir: self.reading.cache_dir.clone().or_else(user_cache).unwrap_or_else(|| self.cache.dir.clone()),
        }
    }
}

impl StoreSettings {
    /// The object store to share state in, if one is set.
    pub fn object_store(&self) -> Option<ObjectStoreSettings> {
        self.url.as_ref().map(|url| ObjectStoreSettings {
            url: url.clone(),
            endpoint: self.endpoint.clone(),
            region: self.region.clone(),
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.clone(),
            allow_http: self.allow_http,
        })
    }
}

impl SynthesisSettings {
    /// Worker count with 0 resolved to the number of cores.
    pub fn worker_count(&self) -> usize {
        match self.workers {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        }
    }
}

/// Every setting's place, as `section.name` (or `name` at the top).
fn leaf_paths() -> Vec<String> {
    let defaults = serde_json::to_value(Settings::default()).expect("settings serialize");
    let top = defaults.as_object().expect("settings are a table");
    top.iter()
        .flat_map(|(name, value)| match value.as_object() {
            Some(section) => section.keys().map(|key| format!("{name}.{key}")).collect(),
            None => vec![name.clone()],
        })
        .collect()
}

/// The variable (after `HERALD_`, lower case) that sets `path`.
fn env_name(path: &str) -> String {
    path.replace('.', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::result_large_err)] // figment's test jail returns its own error type
    fn layers_file_env_and_flags() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("herald.toml", "[synthesis]\nworkers = 3\npublic = 1\n")?;
            assert!(Settings::load(None, serde_json::json!({})).is_err(), "unknown keys are refused");
            jail.create_file("herald.toml", "[synthesis]\nworkers = 3\nlookahead = 2\n")?;
            jail.set_env("HERALD_SYNTHESIS_LOOKAHEAD", "6");
            jail.set_env("HERALD_LOG", "debug");
            jail.set_env("HERALD_CACHE_DIR", "/tmp/x");
            let s = Settings::load(None, serde_json::json!({ "cache": { "dir": "/tmp/flag" } })).unwrap();
            assert_eq!((s.synthesis.workers, s.synthesis.lookahead), (3, 6));
            assert_eq!(s.cache.dir, Path::new("/tmp/flag"));
            jail.set_env("HERALD_SERVER_CORS_ORIGINS", "https://a.example, http://b.example:8000/");
            let s = Settings::load(None, serde_json::json!({})).unwrap();
            assert_eq!(s.server.cors_origins, ["https://a.example", "http://b.example:8000"]);
            jail.create_file("herald.toml", "[server]\ncors_origins = [\"https://c.example\"]\n")?;
            jail.set_env("HERALD_SERVER_CORS_ORIGINS", "");
            let flags = serde_json::json!({ "server": { "cors_origins": ["https://flag.example"] } });
            let s = Settings::load(None, flags).unwrap();
            assert_eq!(s.server.cors_origins, ["https://flag.example"]);
            assert_eq!(s.server.wyoming_addr, None);
            jail.set_env("HERALD_SERVER_WYOMING_ADDR", "0.0.0.0:10200");
            let s = Settings::load(None, serde_json::json!({})).unwrap();
            assert_eq!(s.server.wyoming_addr, Some(SocketAddr::from(([0, 0, 0, 0], 10200))));
            assert_eq!(s.store.object_store(), None, "the local directory by default");
            jail.set_env("HERALD_STORE_URL", "s3://herald/one");
            jail.set_env("HERALD_STORE_ENDPOINT", "http://127.0.0.1:3900");
            jail.set_env("HERALD_STORE_ALLOW_HTTP", "true");
            let store = Settings::load(None, serde_json::json!({})).unwrap().store.object_store().unwrap();
            assert_eq!(
                (store.url.as_str(), store.endpoint.as_deref(), store.allow_http),
                ("s3://herald/one", Some("http://127.0.0.1:3900"), true)
            );
            jail.create_file(
                "herald.toml",
                "[[keys.publishable]]\nname = \"news\"\nkey = \"pk_0123456789abcdef\"\norigins = [\"https://news.example/\"]\n",
            )?;
            let s = Settings::load(None, serde_json::json!({})).unwrap();
            assert_eq!((s.keys.publishable[0].per_minute, s.keys.publishable[0].daily_characters), (60, 200_000));
            assert_eq!(s.browser_origins(), ["https://news.example"], "the key's origins, trimmed");
            jail.create_file("herald.toml", "[[keys.publishable]]\nname = \"short\"\nkey = \"pk_abc\"\n")?;
            let error = Settings::load(None, serde_json::json!({})).unwrap_err().to_string();
            assert!(error.contains("`short`"), "{error}");
            jail.create_file("herald.toml", "[keys]\nsecret = [\"pk_0123456789abcdef\"]\n")?;
            assert!(Settings::load(None, serde_json::json!({})).is_err(), "a secret key that looks publishable");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's test jail returns its own error type
    fn the_flat_names_of_earlier_releases_are_still_read() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "herald.toml",
                "workers = 3\nstore = \"s3://old/x\"\nneural = false\napi_keys = [\"sk-old\"]\n\
                 cache_dir = \"/tmp/old\"\n[[publishable_keys]]\nname = \"news\"\nkey = \"pk_0123456789abcdef\"\n",
            )?;
            jail.set_env("HERALD_LOOKAHEAD", "7");
            jail.set_env("HERALD_WORKER_MEMORY_MB", "99");
            jail.set_env("HERALD_ADDR", "127.0.0.1:9999");
            let s = Settings::load(None, serde_json::json!({})).unwrap();
            assert_eq!((s.synthesis.workers, s.synthesis.lookahead, s.synthesis.worker_memory_mb), (3, 7, 99));
            assert_eq!(s.store.url.as_deref(), Some("s3://old/x"));
            assert!(!s.neural.enabled);
            assert_eq!(s.keys.secret, [Secret::from("sk-old")]);
            assert_eq!(s.keys.publishable[0].name, "news");
            assert_eq!(s.cache.dir, Path::new("/tmp/old"));
            assert_eq!(s.server.addr, SocketAddr::from(([127, 0, 0, 1], 9999)));
            // Given both ways, the section wins.
            jail.create_file("herald.toml", "workers = 3\n[synthesis]\nworkers = 5\n")?;
            assert_eq!(Settings::load(None, serde_json::json!({})).unwrap().synthesis.workers, 5);
            Ok(())
        });
    }

    #[test]
    fn every_flat_name_moved_to_a_setting_that_exists() {
        let leaves = leaf_paths();
        for (flat, path) in flat::MOVED {
            assert!(leaves.iter().any(|leaf| leaf == path), "{flat} moved to {path}, which is no setting");
        }
    }

    #[test]
    fn debug_shows_no_secret() {
        let mut settings = Settings::default();
        settings.keys.secret = vec![Secret::from("sk-very-secret")];
        settings.store.secret_access_key = Some(Secret::from("store-very-secret"));
        settings.database.url = Some(Secret::from("postgres://u:db-very-secret@h/d"));
        let shown = format!("{settings:?}");
        assert!(!shown.contains("very-secret"), "{shown}");
    }
}
