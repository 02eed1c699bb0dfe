//! Episode files of shared podcast batches, kept in the store under
//! `batch-episodes/BATCH/NAME` so that any replica serves what another made,
//! and served from local copies (fetched whole: an episode's MP3 is small
//! beside a render, and a feed is written beside them).

use super::atomic::Durability;
use super::store::Storage;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

/// Where episode files live: `{PREFIX}/{batch}/{name}`.
const PREFIX: &str = "batch-episodes";

#[derive(Debug, Clone)]
pub(crate) struct EpisodeFiles {
    store: Arc<Storage>,
}

impl EpisodeFiles {
    pub(crate) fn new(store: Arc<Storage>) -> Self {
        Self { store }
    }

    fn key(batch: &str, name: &str) -> String {
        format!("{PREFIX}/{batch}/{name}")
    }

    /// This replica's file for `name` of `batch` (which may not exist yet).
    pub(crate) fn local_path(&self, batch: &str, name: &str) -> PathBuf {
        self.store.local_dir().join(Self::key(batch, name))
    }

    /// Stores a finished file.
    pub(crate) async fn put(&self, batch: &str, name: &str, bytes: Vec<u8>) -> io::Result<()> {
        self.store.put(&Self::key(batch, name), bytes, Durability::Synced).await
    }

    /// Stores a finished file from disk (not read whole into memory).
    pub(crate) async fn put_file(&self, batch: &str, name: &str, file: &std::path::Path) -> io::Result<()> {
        self.store.put_file(&Self::key(batch, name), file).await
    }

    /// A local copy of `name` of `batch`, fetched from the store if this
    /// replica has none; `None` if the store does not have it either.
    pub(crate) async fn local_copy(&self, batch: &str, name: &str) -> io::Result<Option<PathBuf>> {
        let path = self.local_path(batch, name);
        Ok(self.store.local_copy(&Self::key(batch, name), &path).await?.then_some(path))
    }
}
