//! The settings' sections, one struct each with its defaults, and what
//! each section works out for its component (the object store to open, the
//! worker count).

use crate::cache::store::ObjectStoreSettings;
use crate::secret::Secret;
use crate::voice::Quality;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;

/// The HTTP service (and the Wyoming server beside it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// Address `herald serve` listens on.
    pub(crate) addr: SocketAddr,
    /// Address of the Wyoming protocol server (Home Assistant and voice
    /// satellites) that `herald serve` runs beside the HTTP service; unset: none.
    pub(crate) wyoming_addr: Option<SocketAddr>,
    /// Largest request body, in bytes.
    pub(crate) max_body_bytes: usize,
    /// Longest a request may take to start its response, in seconds.
    pub(crate) request_timeout_secs: u64,
    /// Longest a graceful shutdown waits for in-flight streams, in seconds.
    pub(crate) shutdown_grace_secs: u64,
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
    pub(crate) max_bytes: u64,
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
    pub(crate) memory_mb: u64,
}

/// PostgreSQL shared by the replicas.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct DatabaseSettings {
    /// `postgres://USER@HOST:PORT/DB`, so a segment is synthesized once in
    /// the whole cluster. Unset: each replica coordinates only its own requests.
    pub(crate) url: Option<Secret>,
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
    pub(crate) worker_memory_mb: u64,
    /// Utterances prepared ahead of the one streaming, per request.
    pub lookahead: usize,
    /// Silence between paragraphs, in milliseconds.
    pub(crate) paragraph_pause_ms: u32,
    /// A voice catalog file to use instead of the embedded one.
    pub(crate) voice_catalog: Option<PathBuf>,
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
    pub(crate) workers: usize,
    /// ONNX Runtime threads per neural worker.
    pub threads: usize,
    /// Whether a long sentence is inferred clause by clause: first audio
    /// sooner and less work in flight for a cancel, but a higher word error
    /// rate in measurement (BENCHMARKS.md), so off by default.
    pub(crate) split_clauses: bool,
    /// Whether Piper voices split into encoder and decoder (by the setup)
    /// play a sentence's first frames while the rest are decoded.
    pub(crate) streaming: bool,
    /// Address-space limit of each neural worker process, in MiB (0: none).
    pub(crate) worker_memory_mb: u64,
}

/// Where the reading front ends find and keep their dictionaries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ReadingFiles {
    /// MeCab IPADIC sources (Debian `mecab-ipadic`), read for Japanese.
    pub(crate) japanese_dictionary: PathBuf,
    /// Where compiled dictionaries are kept between runs; unset:
    /// `$XDG_CACHE_HOME/herald`, else `~/.cache/herald`, else the cache directory.
    pub(crate) cache_dir: Option<PathBuf>,
}

/// How the Speech Dispatcher module speaks (`herald speechd install`
/// writes them into the module's settings file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct SpeechdSettings {
    /// The voices used where the client chooses none: `natural` (neural,
    /// where installed) or `fast` (espeak-ng). Keys and characters are
    /// always spoken by the fast voices.
    pub(crate) quality: Quality,
    /// Whether a sentence clearly in another language than the client's
    /// is spoken by a voice of its own language.
    pub(crate) language_switching: bool,
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
    pub(super) fn problem(&self) -> Option<String> {
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

impl StoreSettings {
    /// The object store to share state in, if one is set.
    pub(crate) fn object_store(&self) -> Option<ObjectStoreSettings> {
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
    pub(crate) fn worker_count(&self) -> usize {
        match self.workers {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        }
    }
}
