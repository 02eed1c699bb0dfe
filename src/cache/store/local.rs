//! The local-directory backend: an object is a file under the root, written
//! atomically (temp file + rename); use is tracked by modification time.

use super::{Entry, ObjectRead, Store};
use crate::cache::atomic::{self, Durability};
use bytes::Bytes;
use futures::StreamExt;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

#[derive(Debug, Clone)]
pub(crate) struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    /// Opens (creating) the directory.
    pub(crate) fn open(root: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(root)?;
        Ok(Self { root: root.to_path_buf() })
    }

    /// The file holding `key`.
    pub(crate) fn path(&self, key: &str) -> PathBuf {
        debug_assert!(key.split('/').all(|part| !part.is_empty() && !part.starts_with('.')));
        self.root.join(key)
    }
}

fn absent_is_none<T>(result: io::Result<T>) -> io::Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

impl LocalStore {
    /// Runs file-system work on a blocking thread.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Self) -> io::Result<T> + Send + 'static,
    ) -> io::Result<T> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || work(&store)).await.map_err(io::Error::other)?
    }

    fn list_now(&self, prefix: &str) -> io::Result<Vec<Entry>> {
        let dir = prefix.rsplit_once('/').map_or_else(|| self.root.clone(), |(dir, _)| self.root.join(dir));
        let mut out = Vec::new();
        let mut pending = vec![dir];
        while let Some(dir) = pending.pop() {
            let Some(entries) = absent_is_none(std::fs::read_dir(&dir))? else { continue };
            for entry in entries {
                let entry = entry?;
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if name.starts_with('.') {
                    continue; // temp files of writes in progress
                }
                let meta = entry.metadata()?;
                let path = entry.path();
                let key = path.strip_prefix(&self.root).map_err(io::Error::other)?.to_string_lossy().into_owned();
                if meta.is_dir() {
                    pending.push(path);
                } else if key.starts_with(prefix) {
                    out.push(Entry { key, size: meta.len(), used: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH) });
                }
            }
        }
        Ok(out)
    }
}

#[async_trait::async_trait]
impl Store for LocalStore {
    async fn get(&self, key: &str) -> io::Result<Option<Bytes>> {
        Ok(absent_is_none(tokio::fs::read(self.path(key)).await)?.map(Bytes::from))
    }

    async fn read(&self, key: &str, range: Option<Range<u64>>) -> io::Result<Option<ObjectRead>> {
        let Some(mut file) = absent_is_none(tokio::fs::File::open(self.path(key)).await)? else { return Ok(None) };
        let size = file.metadata().await?.len();
        let range = range.unwrap_or(0..size);
        file.seek(io::SeekFrom::Start(range.start)).await?;
        let bytes = tokio_util::io::ReaderStream::new(file.take(range.end - range.start));
        Ok(Some(ObjectRead { size, bytes: bytes.boxed() }))
    }

    async fn put(&self, key: &str, bytes: Bytes, durability: Durability) -> io::Result<()> {
        let path = self.path(key);
        self.blocking(move |_| atomic::write(&path, &bytes, durability)).await
    }

    async fn size(&self, key: &str) -> io::Result<Option<u64>> {
        let meta = absent_is_none(tokio::fs::metadata(self.path(key)).await)?;
        Ok(meta.filter(|m| m.is_file()).map(|m| m.len()))
    }

    async fn delete(&self, key: &str) -> io::Result<()> {
        absent_is_none(tokio::fs::remove_file(self.path(key)).await).map(drop)
    }

    async fn list(&self, prefix: &str) -> io::Result<Vec<Entry>> {
        let prefix = prefix.to_string();
        self.blocking(move |store| store.list_now(&prefix)).await
    }

    async fn touch(&self, key: &str) {
        let path = self.path(key);
        let _ = self
            .blocking(move |_| std::fs::File::options().append(true).open(path)?.set_modified(SystemTime::now()))
            .await;
    }

    async fn put_file(&self, key: &str, file: &Path) -> io::Result<()> {
        let (target, file) = (self.path(key), file.to_path_buf());
        if target == file {
            return Ok(());
        }
        self.blocking(move |_| atomic::write(&target, &std::fs::read(file)?, Durability::Synced)).await
    }

    async fn check(&self) -> io::Result<()> {
        tokio::fs::metadata(&self.root).await.map(drop)
    }

    fn kind(&self) -> &'static str {
        "local"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use futures::TryStreamExt;

    #[tokio::test]
    async fn objects_round_trip_and_list_by_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(dir.path()).unwrap();
        assert_eq!(store.get("segments/ab/x.seg").await.unwrap(), None);
        store.put("segments/ab/x.seg", Bytes::from_static(b"one"), Durability::Rebuildable).await.unwrap();
        store.put("segments/cd/y.seg", Bytes::from_static(b"three"), Durability::Rebuildable).await.unwrap();
        store.put("documents/z.json", Bytes::from_static(b"{}"), Durability::Synced).await.unwrap();
        assert_eq!(store.get("segments/ab/x.seg").await.unwrap().as_deref(), Some(&b"one"[..]));
        assert_eq!(store.size("segments/cd/y.seg").await.unwrap(), Some(5));
        let mut keys: Vec<String> = store.list("segments/").await.unwrap().into_iter().map(|e| e.key).collect();
        keys.sort();
        assert_eq!(keys, ["segments/ab/x.seg", "segments/cd/y.seg"]);
        store.delete("segments/ab/x.seg").await.unwrap();
        store.delete("segments/ab/x.seg").await.unwrap();
        assert_eq!(store.size("segments/ab/x.seg").await.unwrap(), None);
    }

    #[tokio::test]
    async fn objects_are_read_as_streams_whole_or_by_range() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(dir.path()).unwrap();
        assert!(store.read("renders/ab/all.mp3", None).await.unwrap().is_none());
        store.put("renders/ab/all.mp3", Bytes::from_static(b"0123456789"), Durability::Synced).await.unwrap();
        let read = |range| async { store.read("renders/ab/all.mp3", range).await.unwrap().unwrap() };
        let whole = read(None).await;
        assert_eq!(whole.size, 10);
        assert_eq!(whole.bytes.try_collect::<Vec<Bytes>>().await.unwrap().concat(), b"0123456789");
        let part = read(Some(3..7)).await;
        assert_eq!(part.size, 10, "the size is the whole object's");
        assert_eq!(part.bytes.try_collect::<Vec<Bytes>>().await.unwrap().concat(), b"3456");
    }
}
