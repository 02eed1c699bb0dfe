//! Stored documents: one JSON file per document id under `documents/`,
//! written atomically and never evicted.

use super::atomic::{self, Durability};
use std::io;
use std::path::{Path, PathBuf};

/// Where documents are kept. Ids are validated by the caller's types
/// (`speech::DocumentId`) before they reach a path.
#[derive(Debug, Clone)]
pub struct DocumentStore {
    dir: PathBuf,
}

impl DocumentStore {
    pub fn open(dir: &Path) -> io::Result<Self> {
        let dir = dir.join("documents");
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir })
    }

    fn path(&self, id: &str) -> PathBuf {
        debug_assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
        self.dir.join(format!("{id}.json"))
    }

    pub fn put(&self, id: &str, json: &[u8]) -> io::Result<()> {
        atomic::write(&self.path(id), json, Durability::Synced)
    }

    /// The stored bytes, or `None` if there is no such document.
    pub fn get(&self, id: &str) -> io::Result<Option<Vec<u8>>> {
        match std::fs::read(self.path(id)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}
