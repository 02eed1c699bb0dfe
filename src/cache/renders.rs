//! Rendered audio files (a whole document, or one paragraph, as a finished
//! WAV) kept beside the segments so they can be served with byte ranges.
//! They are derived data: deleting them only costs a re-render.

use super::atomic::{self, Durability};
use std::io;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct RenderStore {
    dir: PathBuf,
}

impl RenderStore {
    pub fn open(dir: &Path) -> io::Result<Self> {
        let dir = dir.join("renders");
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir })
    }

    /// The file for render `name` of document `document`. Both are
    /// validated identifiers (hex id; `[a-z0-9.-]` names) chosen by Herald.
    pub fn path(&self, document: &str, name: &str) -> PathBuf {
        debug_assert!(document.bytes().all(|b| b.is_ascii_hexdigit()));
        debug_assert!(
            name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-') && !name.starts_with('.')
        );
        self.dir.join(document).join(name)
    }

    pub fn put(&self, document: &str, name: &str, bytes: &[u8]) -> io::Result<PathBuf> {
        let path = self.path(document, name);
        atomic::write(&path, bytes, Durability::Synced)?;
        Ok(path)
    }

    /// The path if the render exists.
    pub fn get(&self, document: &str, name: &str) -> Option<PathBuf> {
        let path = self.path(document, name);
        path.is_file().then_some(path)
    }
}
