//! The flat setting names of earlier releases (`cache_dir`, `workers`,
//! `store`, …). They are still read, from `herald.toml` and from `HERALD_*`
//! variables, each moved to its place in a section, with a warning that
//! names the new place.

use figment::value::{Dict, Value};

/// Each flat name, and the section and name it moved to.
pub(super) const MOVED: &[(&str, &str)] = &[
    ("addr", "server.addr"),
    ("wyoming_addr", "server.wyoming_addr"),
    ("max_body_bytes", "server.max_body_bytes"),
    ("request_timeout_secs", "server.request_timeout_secs"),
    ("shutdown_grace_secs", "server.shutdown_grace_secs"),
    ("cors_origins", "server.cors_origins"),
    ("rate_limit_per_minute", "server.rate_limit_per_minute"),
    ("rate_limit_burst", "server.rate_limit_burst"),
    ("rate_limit_loopback", "server.rate_limit_loopback"),
    ("api_keys", "keys.secret"),
    ("publishable_keys", "keys.publishable"),
    ("public_reads", "keys.public_reads"),
    ("cache_dir", "cache.dir"),
    ("cache_max_bytes", "cache.max_bytes"),
    ("store", "store.url"),
    ("store_endpoint", "store.endpoint"),
    ("store_region", "store.region"),
    ("store_access_key_id", "store.access_key_id"),
    ("store_secret_access_key", "store.secret_access_key"),
    ("store_allow_http", "store.allow_http"),
    ("store_memory_mb", "store.memory_mb"),
    ("database_url", "database.url"),
    ("workers", "synthesis.workers"),
    ("queue_capacity", "synthesis.queue_capacity"),
    ("utterance_deadline_secs", "synthesis.utterance_deadline_secs"),
    ("worker_memory_mb", "synthesis.worker_memory_mb"),
    ("lookahead", "synthesis.lookahead"),
    ("paragraph_pause_ms", "synthesis.paragraph_pause_ms"),
    ("voice_catalog", "synthesis.voice_catalog"),
    ("neural", "neural.enabled"),
    ("onnxruntime", "neural.onnxruntime"),
    ("neural_dirs", "neural.dirs"),
    ("neural_workers", "neural.workers"),
    ("neural_threads", "neural.threads"),
    ("neural_split_clauses", "neural.split_clauses"),
    ("neural_streaming", "neural.streaming"),
    ("neural_worker_memory_mb", "neural.worker_memory_mb"),
    ("japanese_dictionary", "reading.japanese_dictionary"),
    ("reading_cache_dir", "reading.cache_dir"),
];

/// Where flat name `name` moved to, if it is one.
pub(super) fn moved(name: &str) -> Option<&'static str> {
    MOVED.iter().find(|(flat, _)| flat.eq_ignore_ascii_case(name)).map(|(_, path)| *path)
}

/// Moves the flat names at the top of a settings file into their sections;
/// returns each move as `flat → section.name`. A section name given a
/// plain value (`store = "s3://…"`, `neural = false`) is the flat name.
pub(super) fn nest(file: &mut Dict) -> Vec<String> {
    let flat: Vec<String> = file
        .iter()
        .filter(|(name, value)| moved(name).is_some() && !matches!(value, Value::Dict(..)))
        .map(|(name, _)| name.clone())
        .collect();
    let mut moves = Vec::new();
    for name in flat {
        let path = moved(&name).expect("a flat name");
        let value = file.remove(&name).expect("present");
        let (section, key) = path.split_once('.').expect("section.name");
        let entry = file.entry(section.to_string()).or_insert_with(|| Value::from(Dict::new()));
        if let Value::Dict(_, table) = entry {
            // A name given both ways: the section's wins.
            table.entry(key.to_string()).or_insert(value);
        }
        moves.push(format!("{name} → [{section}] {key}"));
    }
    moves
}
