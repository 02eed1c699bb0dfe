//! Stored documents: one JSON object per document id under `documents/`,
//! written whole and never evicted.

use super::atomic::Durability;
use super::store::Storage;
use bytes::Bytes;
use std::io;
use std::sync::Arc;

/// Where documents are kept. Ids are validated by the caller's types
/// (`speech::DocumentId`) before they become keys.
#[derive(Debug, Clone)]
pub(crate) struct DocumentStore {
    store: Arc<Storage>,
}

impl DocumentStore {
    pub(crate) fn new(store: Arc<Storage>) -> Self {
        Self { store }
    }

    fn key(id: &str) -> String {
        debug_assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
        format!("documents/{id}.json")
    }

    pub(crate) async fn put(&self, id: &str, json: Vec<u8>) -> io::Result<()> {
        self.store.put(&Self::key(id), json, Durability::Synced).await
    }

    /// The stored bytes, or `None` if there is no such document.
    pub(crate) async fn get(&self, id: &str) -> io::Result<Option<Bytes>> {
        self.store.get(&Self::key(id)).await
    }
}
