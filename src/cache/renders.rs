//! Rendered audio files (a whole document, or one paragraph, as a finished
//! file in one audio format) and their timelines. A render grows in a local
//! file; once complete it is stored under `renders/` in the store, and
//! served from a local file (fetched from the store when another replica
//! made it) so it can be read with byte ranges. They are derived data:
//! deleting them only costs a re-render.

use super::atomic::Durability;
use super::store::Storage;
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct RenderStore {
    store: Arc<Storage>,
}

impl RenderStore {
    pub fn new(store: Arc<Storage>) -> Self {
        Self { store }
    }

    /// The key of render `name` of document `document`. Both are validated
    /// identifiers (hex id; `[a-z0-9.-]` names) chosen by Herald.
    fn key(document: &str, name: &str) -> String {
        debug_assert!(document.bytes().all(|b| b.is_ascii_hexdigit()));
        debug_assert!(
            name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-') && !name.starts_with('.')
        );
        format!("renders/{document}/{name}")
    }

    /// The local file for render `name` of document `document`.
    pub fn path(&self, document: &str, name: &str) -> PathBuf {
        self.store.local_dir().join(Self::key(document, name))
    }

    /// Starts writing a render incrementally; it appears under its name
    /// only when committed, and vanishes if dropped before.
    pub fn writer(&self, document: &str, name: &str) -> io::Result<RenderWriter> {
        let target = self.path(document, name);
        let dir = target.parent().expect("renders live in a document directory");
        std::fs::create_dir_all(dir)?;
        Ok(RenderWriter {
            temp: tempfile::NamedTempFile::new_in(dir)?,
            target,
            key: Self::key(document, name),
            store: Arc::clone(&self.store),
        })
    }

    /// The local file of a stored render, fetched from the store if it is
    /// only there; `None` if the render is not stored (or the store does
    /// not answer: the caller renders again).
    pub fn get(&self, document: &str, name: &str) -> Option<PathBuf> {
        let path = self.path(document, name);
        if path.is_file() {
            return Some(path);
        }
        matches!(self.store.get_file(&Self::key(document, name), &path), Ok(true)).then_some(path)
    }

    /// Stores a small derived file (a render's timeline) whole.
    pub fn put(&self, document: &str, name: &str, bytes: &[u8]) -> io::Result<()> {
        self.store.put(&Self::key(document, name), bytes, Durability::Synced)
    }
}

/// A render being written: bytes are appended to a temporary file that
/// readers can follow while it grows ([`RenderWriter::follower`]), and
/// [`RenderWriter::commit`] rewrites its first bytes (a header whose sizes
/// are now known, if the format has one), syncs it and moves it into place.
pub struct RenderWriter {
    temp: tempfile::NamedTempFile,
    target: PathBuf,
    key: String,
    store: Arc<Storage>,
}

impl RenderWriter {
    /// Appends bytes (unbuffered: what is written is readable at once).
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.temp.write_all(bytes)
    }

    /// Bytes written so far.
    pub fn written_bytes(&self) -> io::Result<u64> {
        Ok(self.temp.as_file().metadata()?.len())
    }

    /// A handle for reading the file at offsets while it grows; it stays
    /// readable after the render is committed or abandoned.
    pub fn follower(&self) -> io::Result<std::fs::File> {
        self.temp.as_file().try_clone()
    }

    /// Replaces the start of the file with `header` and publishes it, in
    /// the store and locally.
    pub fn commit(self, header: &[u8]) -> io::Result<PathBuf> {
        self.temp.as_file().write_all_at(header, 0)?;
        self.temp.as_file().sync_data()?;
        self.temp.persist(&self.target).map_err(|e| e.error)?;
        if let Err(error) = self.store.put_file(&self.key, &self.target) {
            let _ = std::fs::remove_file(&self.target);
            return Err(error);
        }
        Ok(self.target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_appear_only_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let store = RenderStore::new(Arc::new(Storage::local(dir.path()).unwrap()));
        let mut writer = store.writer("abcd", "all.wav").unwrap();
        writer.write(b"HEADxxxxdata").unwrap();
        assert!(store.get("abcd", "all.wav").is_none());
        let follower = writer.follower().unwrap();
        let mut growing = [0u8; 8];
        follower.read_exact_at(&mut growing, 4).unwrap();
        assert_eq!(&growing, b"xxxxdata", "readable while it grows");
        let path = writer.commit(b"REAL").unwrap();
        assert_eq!(std::fs::read(path).unwrap(), b"REALxxxxdata");
        follower.read_exact_at(&mut growing[..4], 0).unwrap();
        assert_eq!(&growing[..4], b"REAL", "followers see the final header");
        let mut dropped = store.writer("abcd", "p1.wav").unwrap();
        dropped.write(b"partial").unwrap();
        drop(dropped);
        assert!(store.get("abcd", "p1.wav").is_none());
        assert_eq!(std::fs::read_dir(dir.path().join("renders/abcd")).unwrap().count(), 1, "no temp file left");
    }
}
