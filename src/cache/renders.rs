//! Rendered audio files (a whole document, or one paragraph, as a finished
//! file in one audio format) and their timelines. A render grows in a local
//! file; once complete it is stored under `renders/` in the store, and
//! served from a local file (fetched from the store when another replica
//! made it: it is streamed from the store, whole or by byte range, and a
//! whole read leaves a local copy for the next). They are derived data:
//! deleting them only costs a re-render.

use super::atomic::Durability;
use super::store::{ObjectRead, Storage};
use bytes::Bytes;
use futures::stream::BoxStream;
use futures::StreamExt;
use std::io::{self, Write};
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::io::AsyncWriteExt;

#[derive(Debug, Clone)]
pub(crate) struct RenderStore {
    store: Arc<Storage>,
}

impl RenderStore {
    pub(crate) fn new(store: Arc<Storage>) -> Self {
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
    pub(crate) fn path(&self, document: &str, name: &str) -> PathBuf {
        self.store.local_dir().join(Self::key(document, name))
    }

    /// Starts writing a render incrementally; it appears under its name
    /// only when committed, and vanishes if dropped before.
    pub(crate) fn writer(&self, document: &str, name: &str) -> io::Result<RenderWriter> {
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

    /// Where stored render `name` can be read: this replica's file, or the
    /// store (asked for its size only); `None` if it is not stored (or the
    /// store does not answer: the caller renders again).
    pub(crate) async fn find(&self, document: &str, name: &str) -> Option<StoredRender> {
        let path = self.path(document, name);
        if tokio::fs::metadata(&path).await.is_ok_and(|meta| meta.is_file()) {
            return Some(StoredRender::Local(path));
        }
        let key = Self::key(document, name);
        let size = self.store.size(&key).await.ok().flatten()?;
        Some(StoredRender::Remote(RemoteRender { store: Arc::clone(&self.store), key, local: path, size }))
    }

    /// A local copy of a small stored file (a timeline), fetched whole from
    /// the store if it is only there.
    pub(crate) async fn local_copy(&self, document: &str, name: &str) -> Option<PathBuf> {
        let path = self.path(document, name);
        matches!(self.store.local_copy(&Self::key(document, name), &path).await, Ok(true)).then_some(path)
    }

    /// Stores a small derived file (a render's timeline) whole.
    pub(crate) async fn put(&self, document: &str, name: &str, bytes: Vec<u8>) -> io::Result<()> {
        self.store.put(&Self::key(document, name), bytes, Durability::Synced).await
    }
}

/// A stored render.
pub(crate) enum StoredRender {
    /// This replica's file.
    Local(PathBuf),
    /// Only in the (remote) store.
    Remote(RemoteRender),
}

/// A render stored by another replica, read from the store as it is served.
pub(crate) struct RemoteRender {
    store: Arc<Storage>,
    key: String,
    /// Where the local copy goes.
    local: PathBuf,
    pub size: u64,
}

/// Chunks in flight between the store and a listener.
const CHUNKS_IN_FLIGHT: usize = 8;

impl RemoteRender {
    /// The bytes of `range` (within the render), streamed from the store.
    pub(crate) async fn range(&self, range: Range<u64>) -> io::Result<BoxStream<'static, io::Result<Bytes>>> {
        Ok(self.open(Some(range)).await?.bytes)
    }

    /// The whole render, streamed from the store; the bytes are kept as a
    /// local copy as they pass, which appears once complete, so the next
    /// request is served from it. The copy is finished even if the listener
    /// leaves early.
    pub(crate) async fn whole(self) -> io::Result<BoxStream<'static, io::Result<Bytes>>> {
        let ObjectRead { size, mut bytes } = self.open(None).await?;
        let dir = self.local.parent().expect("renders live in a document directory").to_path_buf();
        let temp = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)?;
            tempfile::Builder::new().prefix(super::atomic::TEMP_PREFIX).tempfile_in(dir)
        })
        .await
        .map_err(io::Error::other)??;
        let (tx, mut rx) = tokio::sync::mpsc::channel(CHUNKS_IN_FLIGHT);
        let local = self.local;
        tokio::spawn(async move {
            let mut copy = tokio::fs::File::from_std(temp.reopen()?);
            let mut copied = 0;
            while let Some(chunk) = bytes.next().await {
                let chunk = match chunk {
                    Ok(chunk) => chunk,
                    Err(error) => {
                        let _ = tx.send(Err(io::Error::new(error.kind(), error.to_string()))).await;
                        return Err(error);
                    }
                };
                copy.write_all(&chunk).await?;
                copied += chunk.len() as u64;
                // A listener who left does not stop the copy.
                let _ = tx.send(Ok(chunk)).await;
            }
            copy.flush().await?;
            if copied == size {
                tokio::task::spawn_blocking(move || temp.persist(local).map(drop).map_err(|e| e.error))
                    .await
                    .map_err(io::Error::other)??;
            }
            Ok::<_, io::Error>(())
        });
        Ok(futures::stream::poll_fn(move |cx| rx.poll_recv(cx)).boxed())
    }

    async fn open(&self, range: Option<Range<u64>>) -> io::Result<ObjectRead> {
        let vanished = || io::Error::new(io::ErrorKind::NotFound, format!("{} vanished from the store", self.key));
        self.store.read(&self.key, range).await?.ok_or_else(vanished)
    }
}

/// A render being written: bytes are appended to a temporary file that
/// readers can follow while it grows ([`RenderWriter::follower`]), and
/// [`RenderWriter::commit`] rewrites its first bytes (a header whose sizes
/// are now known, if the format has one), syncs it and moves it into place.
pub(crate) struct RenderWriter {
    temp: tempfile::NamedTempFile,
    target: PathBuf,
    key: String,
    store: Arc<Storage>,
}

impl RenderWriter {
    /// Appends bytes (unbuffered: what is written is readable at once).
    pub(crate) fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.temp.write_all(bytes)
    }

    /// Bytes written so far.
    pub(crate) fn written_bytes(&self) -> io::Result<u64> {
        Ok(self.temp.as_file().metadata()?.len())
    }

    /// A handle for reading the file at offsets while it grows; it stays
    /// readable after the render is committed or abandoned.
    pub(crate) fn follower(&self) -> io::Result<std::fs::File> {
        self.temp.as_file().try_clone()
    }

    /// Replaces the start of the file with `header` and publishes it, in
    /// the store and locally.
    pub(crate) async fn commit(self, header: Vec<u8>) -> io::Result<PathBuf> {
        let Self { temp, target, key, store } = self;
        let local = target.clone();
        tokio::task::spawn_blocking(move || {
            temp.as_file().write_all_at(&header, 0)?;
            temp.as_file().sync_data()?;
            temp.persist(&local).map(drop).map_err(|e| e.error)
        })
        .await
        .map_err(io::Error::other)??;
        if let Err(error) = store.put_file(&key, &target).await {
            let _ = tokio::fs::remove_file(&target).await;
            return Err(error);
        }
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn renders_appear_only_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let store = RenderStore::new(Arc::new(Storage::local(dir.path()).unwrap()));
        let mut writer = store.writer("abcd", "all.wav").unwrap();
        writer.write(b"HEADxxxxdata").unwrap();
        assert!(store.find("abcd", "all.wav").await.is_none());
        let follower = writer.follower().unwrap();
        let mut growing = [0u8; 8];
        follower.read_exact_at(&mut growing, 4).unwrap();
        assert_eq!(&growing, b"xxxxdata", "readable while it grows");
        let path = writer.commit(b"REAL".to_vec()).await.unwrap();
        assert_eq!(std::fs::read(path).unwrap(), b"REALxxxxdata");
        follower.read_exact_at(&mut growing[..4], 0).unwrap();
        assert_eq!(&growing[..4], b"REAL", "followers see the final header");
        let mut dropped = store.writer("abcd", "p1.wav").unwrap();
        dropped.write(b"partial").unwrap();
        drop(dropped);
        assert!(store.find("abcd", "p1.wav").await.is_none());
        assert_eq!(std::fs::read_dir(dir.path().join("renders/abcd")).unwrap().count(), 1, "no temp file left");
    }
}
