//! Where Herald keeps its state: one [`Store`] trait over a flat namespace
//! of keys (`segments/ab/ab…cd.seg`, `documents/ID.json`,
//! `renders/ID/NAME`), with two backends — a local directory (the embedded
//! default) and an S3-compatible object store shared by several replicas.
//! [`Storage`] wraps the chosen backend and counts reads, writes and errors.
//!
//! Every method is async: a store is read on the async threads that serve
//! requests, never under a lock, and a slow store delays only the requests
//! that read it. Objects can be read as streams, whole or by byte range, so
//! a stored render is served as it arrives rather than after a download.

mod local;
mod object;

pub(crate) use local::LocalStore;
pub(crate) use object::{ObjectStoreSettings, S3Store};

use super::atomic::Durability;
use bytes::Bytes;
use futures::stream::BoxStream;
use std::future::Future;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// An object's size and when it was last used (local) or written (remote).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub size: u64,
    pub used: SystemTime,
}

/// An object being read: its whole size, and a stream of the bytes asked
/// for (all of them, or one range).
pub struct ObjectRead {
    pub size: u64,
    pub bytes: BoxStream<'static, io::Result<Bytes>>,
}

/// A backend. Keys are `/`-separated, chosen by Herald (never by a client).
/// Every error is an outage or a local I/O failure: a missing object is
/// `Ok(None)` / `Ok(false)`, never an error.
#[async_trait::async_trait]
pub(crate) trait Store: Send + Sync + std::fmt::Debug {
    /// The object's bytes, or `None` if there is no such object.
    async fn get(&self, key: &str) -> io::Result<Option<Bytes>>;
    /// The object's bytes as a stream (only `range`, if given, which must
    /// lie within the object), or `None` if there is no such object.
    async fn read(&self, key: &str, range: Option<Range<u64>>) -> io::Result<Option<ObjectRead>>;
    /// Replaces the object whole: readers see the old bytes or the new ones.
    async fn put(&self, key: &str, bytes: Bytes, durability: Durability) -> io::Result<()>;
    /// The object's size, or `None` if there is no such object.
    async fn size(&self, key: &str) -> io::Result<Option<u64>>;
    async fn delete(&self, key: &str) -> io::Result<()>;
    /// Every object whose key starts with `prefix`.
    async fn list(&self, prefix: &str) -> io::Result<Vec<Entry>>;
    /// Marks the object recently used, where the backend tracks use.
    async fn touch(&self, key: &str);
    /// Stores a finished local file as the object `key`, without holding
    /// it in memory whole.
    async fn put_file(&self, key: &str, file: &Path) -> io::Result<()>;
    /// Whether the backend answers now.
    async fn check(&self) -> io::Result<()>;
    /// For logs and `/healthz`: `local` or `s3`.
    fn kind(&self) -> &'static str;
}

/// Counters of a store's use, for `/metrics`.
#[derive(Debug, Default)]
pub struct StoreStats {
    pub reads: AtomicU64,
    pub writes: AtomicU64,
    pub errors: AtomicU64,
}

/// The chosen backend, counted, with its recent misses remembered.
#[derive(Debug)]
pub struct Storage {
    backend: Box<dyn Store>,
    /// Where files that must be local live: renders being made, and
    /// stored renders fetched to be served with byte ranges.
    local_dir: PathBuf,
    pub stats: StoreStats,
    /// Keys a remote store lately said it does not have, and when: asked
    /// again within [`MISS_REMEMBERED`], the answer is the same without a
    /// round trip. Writing a key forgets its miss.
    misses: quick_cache::sync::Cache<String, Instant>,
}

/// How long a remote store's "no such object" is taken as still true.
/// Another replica may store the object meanwhile; the cost is at most one
/// render made twice. A segment another replica has claimed is looked up
/// past this memory (see [`Storage::forget_miss`]), so it is never made twice.
pub(crate) const MISS_REMEMBERED: Duration = Duration::from_secs(2);
/// Misses remembered at most.
const MISSES: usize = 16_384;

impl Storage {
    /// Everything in the local directory `dir` (the embedded default).
    pub fn local(dir: &Path) -> io::Result<Self> {
        Ok(Self::new(Box::new(LocalStore::open(dir)?), dir))
    }

    /// Everything shared in an S3 bucket; `local_dir` keeps renders being
    /// made and copies of stored ones being served.
    pub fn s3(settings: &ObjectStoreSettings, local_dir: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(local_dir)?;
        Ok(Self::new(Box::new(S3Store::open(settings)?), local_dir))
    }

    fn new(backend: Box<dyn Store>, local_dir: &Path) -> Self {
        let misses = quick_cache::sync::Cache::new(MISSES);
        Self { backend, local_dir: local_dir.to_path_buf(), stats: StoreStats::default(), misses }
    }

    /// Whether `key` was missing from a remote store a moment ago.
    fn missing_lately(&self, key: &str) -> bool {
        self.kind() != "local" && self.misses.get(key).is_some_and(|at| at.elapsed() < MISS_REMEMBERED)
    }

    /// Remembers a remote store's answer for `key`: there, not there, or
    /// (`None`) no answer.
    fn remember(&self, key: &str, there: Option<bool>) {
        match there {
            Some(false) if self.kind() != "local" => self.misses.insert(key.to_string(), Instant::now()),
            Some(true) => {
                self.misses.remove(key);
            }
            _ => {}
        }
    }

    /// Forgets that `key` was missing: for an object another replica is
    /// known to be writing, whose next look must reach the store.
    pub fn forget_miss(&self, key: &str) {
        self.misses.remove(key);
    }

    /// The local directory, whatever the backend.
    pub fn local_dir(&self) -> &Path {
        &self.local_dir
    }

    pub fn kind(&self) -> &'static str {
        self.backend.kind()
    }

    fn counted<T>(&self, counter: &AtomicU64, result: io::Result<T>) -> io::Result<T> {
        counter.fetch_add(1, Ordering::Relaxed);
        if let Err(error) = &result {
            self.stats.errors.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%error, store = self.kind(), "store operation failed");
        }
        result
    }

    /// A counted read of `key` that answers "no such object" without a
    /// round trip while the store's last such answer is fresh, and
    /// remembers what the store says.
    async fn look_up<T>(&self, key: &str, read: impl Future<Output = io::Result<Option<T>>>) -> io::Result<Option<T>> {
        if self.missing_lately(key) {
            return Ok(None);
        }
        let found = self.counted(&self.stats.reads, read.await);
        self.remember(key, found.as_ref().ok().map(Option::is_some));
        found
    }

    pub async fn get(&self, key: &str) -> io::Result<Option<Bytes>> {
        self.look_up(key, self.backend.get(key)).await
    }

    /// The object as a stream (see [`Store::read`]).
    pub async fn read(&self, key: &str, range: Option<Range<u64>>) -> io::Result<Option<ObjectRead>> {
        self.look_up(key, self.backend.read(key, range)).await
    }

    pub async fn put(&self, key: &str, bytes: impl Into<Bytes>, durability: Durability) -> io::Result<()> {
        self.misses.remove(key);
        self.counted(&self.stats.writes, self.backend.put(key, bytes.into(), durability).await)
    }

    pub async fn size(&self, key: &str) -> io::Result<Option<u64>> {
        self.look_up(key, self.backend.size(key)).await
    }

    pub async fn delete(&self, key: &str) -> io::Result<()> {
        self.counted(&self.stats.writes, self.backend.delete(key).await)
    }

    pub async fn list(&self, prefix: &str) -> io::Result<Vec<Entry>> {
        self.counted(&self.stats.reads, self.backend.list(prefix).await)
    }

    pub async fn touch(&self, key: &str) {
        self.backend.touch(key).await;
    }

    pub async fn put_file(&self, key: &str, file: &Path) -> io::Result<()> {
        self.misses.remove(key);
        self.counted(&self.stats.writes, self.backend.put_file(key, file).await)
    }

    /// A local copy of object `key` at `into` (kept if already there);
    /// false if there is no such object. For small objects: it is read whole.
    pub async fn local_copy(&self, key: &str, into: &Path) -> io::Result<bool> {
        if tokio::fs::metadata(into).await.is_ok_and(|meta| meta.is_file()) {
            return Ok(true);
        }
        let Some(bytes) = self.get(key).await? else { return Ok(false) };
        let into = into.to_path_buf();
        tokio::task::spawn_blocking(move || super::atomic::write(&into, &bytes, Durability::Rebuildable))
            .await
            .map_err(io::Error::other)??;
        Ok(true)
    }

    /// Whether the backend answers now (not counted: health checks poll).
    pub async fn check(&self) -> io::Result<()> {
        self.backend.check().await
    }
}
