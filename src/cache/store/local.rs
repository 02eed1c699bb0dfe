//! The local-directory backend: an object is a file under the root, written
//! atomically (temp file + rename); use is tracked by modification time.

use super::{Entry, Store};
use crate::cache::atomic::{self, Durability};
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    /// Opens (creating) the directory.
    pub fn open(root: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(root)?;
        Ok(Self { root: root.to_path_buf() })
    }

    /// The file holding `key`.
    pub fn path(&self, key: &str) -> PathBuf {
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

impl Store for LocalStore {
    fn get(&self, key: &str) -> io::Result<Option<Vec<u8>>> {
        absent_is_none(std::fs::read(self.path(key)))
    }

    fn put(&self, key: &str, bytes: &[u8], durability: Durability) -> io::Result<()> {
        atomic::write(&self.path(key), bytes, durability)
    }

    fn size(&self, key: &str) -> io::Result<Option<u64>> {
        Ok(absent_is_none(std::fs::metadata(self.path(key)))?.filter(|m| m.is_file()).map(|m| m.len()))
    }

    fn delete(&self, key: &str) -> io::Result<()> {
        absent_is_none(std::fs::remove_file(self.path(key))).map(drop)
    }

    fn list(&self, prefix: &str) -> io::Result<Vec<Entry>> {
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

    fn touch(&self, key: &str) {
        if let Ok(file) = std::fs::File::options().append(true).open(self.path(key)) {
            let _ = file.set_modified(SystemTime::now());
        }
    }

    fn put_file(&self, key: &str, file: &Path) -> io::Result<()> {
        let target = self.path(key);
        if target == file {
            return Ok(());
        }
        atomic::write(&target, &std::fs::read(file)?, Durability::Synced)
    }

    fn get_file(&self, key: &str, into: &Path) -> io::Result<bool> {
        let source = self.path(key);
        if source == into {
            return Ok(into.is_file());
        }
        match self.get(key)? {
            Some(bytes) => atomic::write(into, &bytes, Durability::Rebuildable).map(|()| true),
            None => Ok(false),
        }
    }

    fn check(&self) -> io::Result<()> {
        std::fs::metadata(&self.root).map(drop)
    }

    fn kind(&self) -> &'static str {
        "local"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_round_trip_and_list_by_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(dir.path()).unwrap();
        assert_eq!(store.get("segments/ab/x.seg").unwrap(), None);
        store.put("segments/ab/x.seg", b"one", Durability::Rebuildable).unwrap();
        store.put("segments/cd/y.seg", b"three", Durability::Rebuildable).unwrap();
        store.put("documents/z.json", b"{}", Durability::Synced).unwrap();
        assert_eq!(store.get("segments/ab/x.seg").unwrap().as_deref(), Some(&b"one"[..]));
        assert_eq!(store.size("segments/cd/y.seg").unwrap(), Some(5));
        let mut keys: Vec<String> = store.list("segments/").unwrap().into_iter().map(|e| e.key).collect();
        keys.sort();
        assert_eq!(keys, ["segments/ab/x.seg", "segments/cd/y.seg"]);
        store.delete("segments/ab/x.seg").unwrap();
        store.delete("segments/ab/x.seg").unwrap();
        assert_eq!(store.size("segments/ab/x.seg").unwrap(), None);
    }
}
