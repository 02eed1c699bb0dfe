//! The batch's memory, kept in `OUT_DIR/.herald-podcast.json`: for every
//! episode, the hash of its source and of the settings that shaped it, when
//! it was first published and the sizes of the files written. A rerun skips
//! an episode whose entry matches and whose files are all there; files are
//! only ever replaced atomically, so a killed batch leaves whole files or
//! none, and stray temporary files are removed on the next run.

use crate::cache::atomic::{self, Durability};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// The manifest's file name in `OUT_DIR`.
pub(crate) const FILE_NAME: &str = ".herald-podcast.json";
const VERSION: u32 = 1;

/// What is known of the episodes already made.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Manifest {
    version: u32,
    /// By slug.
    pub episodes: BTreeMap<String, Entry>,
}

/// One episode as it was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Entry {
    pub name: String,
    pub source_hash: String,
    pub settings_hash: String,
    pub title: String,
    pub summary: String,
    pub duration: f64,
    /// Seconds since the Unix epoch of the first publication.
    pub published: u64,
    /// Size in bytes of each file, by extension (`mp3`, `vtt`, …).
    pub files: BTreeMap<String, u64>,
}

impl Manifest {
    /// The manifest in `out`, or an empty one if there is none or it is unreadable
    /// (then every episode is made again, which the segment cache makes cheap).
    pub(crate) fn load(out: &Path) -> Self {
        match std::fs::read(out.join(FILE_NAME)) {
            Ok(bytes) => match serde_json::from_slice::<Manifest>(&bytes) {
                Ok(manifest) if manifest.version == VERSION => manifest,
                _ => {
                    tracing::warn!(dir = %out.display(), "podcast manifest unreadable; making every episode again");
                    Self::default()
                }
            },
            Err(_) => Self::default(),
        }
    }

    /// Writes the manifest atomically, unless the file already says the same.
    pub(crate) fn save(&self, out: &Path) -> io::Result<bool> {
        let manifest = Manifest { version: VERSION, episodes: self.episodes.clone() };
        let mut bytes = serde_json::to_vec_pretty(&manifest).expect("manifests serialize");
        bytes.push(b'\n');
        write_if_changed(&out.join(FILE_NAME), &bytes, Durability::Synced)
    }

    /// The entry for `slug` if it was made from this source with these
    /// settings and every file it lists is in `episodes` with its size.
    pub(crate) fn up_to_date(
        &self,
        slug: &str,
        source_hash: &str,
        settings_hash: &str,
        episodes: &Path,
    ) -> Option<&Entry> {
        let entry = self.episodes.get(slug)?;
        let intact = entry.source_hash == source_hash
            && entry.settings_hash == settings_hash
            && super::episode::EXTENSIONS.iter().all(|extension| {
                let size = std::fs::metadata(episodes.join(format!("{slug}.{extension}"))).map(|m| m.len()).ok();
                size.is_some() && entry.files.get(*extension).copied() == size
            });
        intact.then_some(entry)
    }
}

/// Replaces `path` with `bytes` atomically; returns false (and writes
/// nothing) when the file already holds exactly these bytes.
pub(crate) fn write_if_changed(path: &Path, bytes: &[u8], durability: Durability) -> io::Result<bool> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(false);
    }
    atomic::write_published(path, bytes, durability)?;
    Ok(true)
}

/// Removes temporary files a killed run left in `dir` (not recursively).
pub(crate) fn remove_stale_temporaries(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(removed) };
    for entry in entries.filter_map(Result::ok) {
        if entry.file_name().to_string_lossy().starts_with(atomic::TEMP_PREFIX) {
            std::fs::remove_file(entry.path())?;
            removed.push(entry.path());
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn up_to_date_needs_same_hashes_and_intact_files() {
        let dir = tempfile::tempdir().unwrap();
        let episodes = dir.path().join("episodes");
        std::fs::create_dir_all(&episodes).unwrap();
        let mut files = BTreeMap::new();
        for extension in super::super::episode::EXTENSIONS {
            std::fs::write(episodes.join(format!("a.{extension}")), b"abc").unwrap();
            files.insert(extension.to_string(), 3);
        }
        let entry = Entry {
            name: "a.txt".into(),
            source_hash: "s".into(),
            settings_hash: "k".into(),
            title: "A".into(),
            summary: "A.".into(),
            duration: 1.0,
            published: 0,
            files,
        };
        let mut manifest = Manifest::default();
        manifest.episodes.insert("a".into(), entry);
        assert!(manifest.save(dir.path()).unwrap());
        assert!(!manifest.save(dir.path()).unwrap(), "unchanged: not rewritten");
        let manifest = Manifest::load(dir.path());
        assert!(manifest.up_to_date("a", "s", "k", &episodes).is_some());
        assert!(manifest.up_to_date("a", "s2", "k", &episodes).is_none());
        assert!(manifest.up_to_date("a", "s", "k2", &episodes).is_none());
        std::fs::write(episodes.join("a.srt"), b"torn").unwrap();
        assert!(manifest.up_to_date("a", "s", "k", &episodes).is_none(), "a file of another size");
        std::fs::write(dir.path().join(FILE_NAME), b"{").unwrap();
        assert_eq!(Manifest::load(dir.path()), Manifest::default());
    }

    #[test]
    fn stale_temporaries_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(format!("{}x1", atomic::TEMP_PREFIX)), b"partial").unwrap();
        std::fs::write(dir.path().join("feed.xml"), b"<rss/>").unwrap();
        assert_eq!(remove_stale_temporaries(dir.path()).unwrap().len(), 1);
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["feed.xml"]);
    }
}
