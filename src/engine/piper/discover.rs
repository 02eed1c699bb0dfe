//! Finding ONNX Runtime and Piper voices on disk. Runs in the server, which
//! only looks at file names: the runtime and models are loaded by workers.

use super::PiperSetup;
use std::path::{Path, PathBuf};

/// How deep below each search directory files are looked for.
const MAX_DEPTH: usize = 6;

/// Why neural voices are not available.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unavailable {
    #[error("neural voices are turned off (`neural = false`)")]
    Disabled,
    #[error("ONNX Runtime (libonnxruntime.so.*) was not found in {0}; run ./scripts/setup.sh or set `onnxruntime`")]
    NoRuntime(String),
    #[error("no Piper voice (NAME.onnx with NAME.onnx.json) was found in {0}")]
    NoVoices(String),
    #[error("the Piper workers could not start: {0}")]
    Failed(String),
}

/// The model's config file: `NAME.onnx.json` beside `NAME.onnx`.
pub fn config_path(model: &Path) -> PathBuf {
    let mut name = model.as_os_str().to_owned();
    name.push(".json");
    PathBuf::from(name)
}

/// The neural setup that `settings` ask for: what [`find`] finds under
/// the configured directories, with the configured tuning.
pub fn configured(settings: &crate::settings::Settings, sample_rate: u32) -> Result<PiperSetup, Unavailable> {
    if !settings.neural {
        return Err(Unavailable::Disabled);
    }
    let setup = find(settings.onnxruntime.as_deref(), &settings.neural_dirs, settings.neural_threads, sample_rate)?;
    Ok(PiperSetup { split_clauses: settings.neural_split_clauses, ..setup })
}

/// Finds the runtime (`runtime` if given, else the first
/// `libonnxruntime.so.<version>` under `dirs`) and every voice under `dirs`.
pub fn find(
    runtime: Option<&Path>,
    dirs: &[PathBuf],
    threads: usize,
    sample_rate: u32,
) -> Result<PiperSetup, Unavailable> {
    let searched = || dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ");
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
            .ok_or_else(|| Unavailable::NoRuntime(searched()))?,
    };
    let models: Vec<PathBuf> =
        files.into_iter().filter(|f| f.extension().is_some_and(|e| e == "onnx") && config_path(f).is_file()).collect();
    if models.is_empty() {
        return Err(Unavailable::NoVoices(searched()));
    }
    Ok(PiperSetup { runtime, models, threads, sample_rate, split_clauses: false })
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
    fn finds_runtime_and_voices_with_configs_only() {
        let root = tempfile::tempdir().unwrap();
        let lib = root.path().join("pkg/capi");
        let voices = root.path().join("voices");
        std::fs::create_dir_all(&lib).unwrap();
        std::fs::create_dir_all(&voices).unwrap();
        for file in ["pkg/capi/libonnxruntime.so.1.2.3", "pkg/capi/libonnxruntime_providers_shared.so", "pkg/test.onnx"]
        {
            std::fs::write(root.path().join(file), b"").unwrap();
        }
        std::fs::write(voices.join("en_US-a-medium.onnx"), b"").unwrap();
        std::fs::write(voices.join("en_US-a-medium.onnx.json"), b"{}").unwrap();
        let setup = find(None, &[root.path().to_path_buf()], 2, 22050).unwrap();
        assert_eq!(setup.runtime, lib.join("libonnxruntime.so.1.2.3"));
        assert_eq!(setup.models, [voices.join("en_US-a-medium.onnx")]);
        assert!(matches!(find(None, &[voices], 2, 22050), Err(Unavailable::NoRuntime(_))));
        let runtime = lib.join("libonnxruntime.so.1.2.3");
        assert!(matches!(find(Some(&runtime), &[lib], 2, 22050), Err(Unavailable::NoVoices(_))));
    }
}
