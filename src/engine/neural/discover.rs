//! Finding ONNX Runtime and the files of neural voices on disk. Runs in the
//! server, which only looks at file names: runtime and models are loaded by
//! workers.

use std::path::{Path, PathBuf};

/// How deep below each search directory files are looked for.
const MAX_DEPTH: usize = 6;

/// Why a neural engine is not available.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unavailable {
    #[error("neural voices are turned off (`neural = false`)")]
    Disabled,
    #[error("ONNX Runtime (libonnxruntime.so.*) was not found in {0}; run ./scripts/setup.sh or set `onnxruntime`")]
    NoRuntime(String),
    #[error("no {what} was found in {searched}")]
    NoVoices { what: &'static str, searched: String },
    #[error("the {engine} workers could not start: {reason}")]
    Failed { engine: &'static str, reason: String },
}

/// The runtime and every file under the search directories, sorted.
#[derive(Debug, Clone)]
pub struct Found {
    /// ONNX Runtime's shared library (`libonnxruntime.so.<version>`).
    pub(crate) runtime: PathBuf,
    pub(crate) files: Vec<PathBuf>,
    /// The search directories, for messages.
    searched: String,
}

impl Found {
    /// Files named `name`.
    pub(crate) fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a PathBuf> + 'a {
        self.files.iter().filter(move |f| f.file_name().is_some_and(|n| n == name))
    }

    /// Why an engine found none of its voices here.
    pub(crate) fn no_voices(&self, what: &'static str) -> Unavailable {
        Unavailable::NoVoices { what, searched: self.searched.clone() }
    }
}

/// Finds the runtime (`runtime` if given, else the first
/// `libonnxruntime.so.<version>` under `dirs`) and every file under `dirs`.
pub fn find(runtime: Option<&Path>, dirs: &[PathBuf]) -> Result<Found, Unavailable> {
    let searched = dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ");
    let mut files = Vec::new();
    for dir in dirs {
        walk(dir, MAX_DEPTH, &mut files);
    }
    files.sort();
    let runtime = match runtime {
        Some(path) => path.to_path_buf(),
        None => files
            .iter()
            .find(|f| f.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("libonnxruntime.so.")))
            .cloned()
            .ok_or_else(|| Unavailable::NoRuntime(searched.clone()))?,
    };
    Ok(Found { runtime, files, searched })
}

fn walk(dir: &Path, depth: usize, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(kind) if kind.is_dir() && depth > 0 => walk(&path, depth - 1, files),
            Ok(kind) if kind.is_file() || kind.is_symlink() => files.push(path),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_runtime_and_every_file() {
        let root = tempfile::tempdir().unwrap();
        let lib = root.path().join("pkg/capi");
        std::fs::create_dir_all(&lib).unwrap();
        for file in ["pkg/capi/libonnxruntime.so.1.2.3", "pkg/capi/libonnxruntime_providers_shared.so", "pkg/a.onnx"] {
            std::fs::write(root.path().join(file), b"").unwrap();
        }
        let found = find(None, &[root.path().to_path_buf()]).unwrap();
        assert_eq!(found.runtime, lib.join("libonnxruntime.so.1.2.3"));
        assert_eq!(found.files.len(), 3);
        assert_eq!(found.named("a.onnx").count(), 1);
        assert!(matches!(find(None, &[root.path().join("pkg/a.onnx")]), Err(Unavailable::NoRuntime(_))));
        let given = root.path().join("elsewhere.so.9");
        assert_eq!(find(Some(&given), &[lib]).unwrap().runtime, given);
    }
}
