//! Atomic file writes: write a temp file in the same directory, sync, rename.

use std::io::{self, Write};
use std::path::Path;

/// How hard a write tries to survive a power cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Flushed to disk before the rename: for data that cannot be rebuilt.
    Synced,
    /// Left to the page cache: for entries that are checksummed on read and
    /// rebuilt if damaged (a crash can only lose them, never corrupt them).
    Rebuildable,
}

/// Temporary files start with this, so a run that was killed before the
/// rename can recognise and remove what it left behind.
pub(crate) const TEMP_PREFIX: &str = ".herald-tmp-";

/// Replaces `path` with `bytes` so readers see the old file or the new one,
/// never a torn one.
pub(crate) fn write(path: &Path, bytes: &[u8], durability: Durability) -> io::Result<()> {
    write_with(path, bytes, durability, tempfile::Builder::new().prefix(TEMP_PREFIX))
}

/// Like [`write`], for files to be published: readable by everyone (0644
/// on Unix) rather than by their owner alone.
pub(crate) fn write_published(path: &Path, bytes: &[u8], durability: Durability) -> io::Result<()> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(TEMP_PREFIX);
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    write_with(path, bytes, durability, &builder)
}

fn write_with(path: &Path, bytes: &[u8], durability: Durability, builder: &tempfile::Builder) -> io::Result<()> {
    let dir = path.parent().ok_or_else(|| io::Error::other("path has no parent"))?;
    std::fs::create_dir_all(dir)?;
    let mut temp = builder.tempfile_in(dir)?;
    temp.write_all(bytes)?;
    if durability == Durability::Synced {
        temp.as_file().sync_data()?;
    }
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
