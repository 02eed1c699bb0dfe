//! Atomic file writes: write a temp file in the same directory, sync, rename.

use std::io::{self, Write};
use std::path::Path;

/// Replaces `path` with `bytes` so readers see the old file or the new one,
/// never a torn one.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().ok_or_else(|| io::Error::other("path has no parent"))?;
    std::fs::create_dir_all(dir)?;
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_data()?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
