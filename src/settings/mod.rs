//! Settings: one typed struct in sections (`[server]`, `[keys]`,
//! `[cache]`, `[store]`, `[database]`, `[synthesis]`, `[neural]`,
//! `[reading]`, `[speechd]`), each component handed its own; layered from
//! built-in defaults, then `herald.toml` (or the file named by
//! `--config`/`HERALD_CONFIG`), then `HERALD_*` environment variables,
//! then command-line flags. The flat names of earlier releases are still
//! read ([`flat`]). Secrets are [`Secret`]s: never shown by `Debug` or logs.

mod flat;
mod sections;

pub use sections::{
    CacheSettings, KeySettings, NeuralSettings, PublishableKey, ServerSettings, StoreSettings, SynthesisSettings,
};
pub(crate) use sections::{DatabaseSettings, ReadingFiles, SpeechdSettings};

use crate::secret::Secret;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::{Figment, Profile, Provider};
use serde::{Deserialize, Serialize};
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
    pub(crate) database: DatabaseSettings,
    /// The espeak-ng workers and how speech is paced (`[synthesis]`).
    pub synthesis: SynthesisSettings,
    /// Neural voices (`[neural]`).
    pub neural: NeuralSettings,
    /// Dictionaries of the reading front ends (`[reading]`).
    pub(crate) reading: ReadingFiles,
    /// The Speech Dispatcher module (`[speechd]`).
    pub(crate) speechd: SpeechdSettings,
    /// Starts the test-only engine that misbehaves on command (its voice
    /// is `fault:test`); only in builds with the `fault-engine` feature.
    #[cfg(feature = "fault-engine")]
    pub fault_engine: bool,
}

impl Settings {
    /// Defaults ← config file ← `HERALD_*` environment ← `overrides`
    /// (command-line flags, already serialized without unset fields).
    /// In the environment a setting is `HERALD_SECTION_NAME`
    /// (`HERALD_STORE_ENDPOINT` is `[store] endpoint`). The flat names of
    /// earlier releases are still read, with a warning.
    pub(crate) fn load(config_file: Option<&Path>, overrides: impl Serialize) -> Result<Self, Box<figment::Error>> {
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
    pub(crate) fn fast_only(mut self) -> Self {
        self.neural.enabled = false;
        self
    }

    /// Every origin whose pages may call Herald from a browser: the
    /// server's `cors_origins` and the origins of the publishable keys.
    pub(crate) fn browser_origins(&self) -> Vec<String> {
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
    use std::net::SocketAddr;

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
