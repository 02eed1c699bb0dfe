//! The Japanese front end: text to katakana, through morphological
//! analysis with the MeCab IPADIC dictionary.
//!
//! Debian's `mecab-ipadic` ships the dictionary's sources (EUC-JP CSV and
//! definition files). On first use they are converted to UTF-8 and
//! compiled with `vibrato` (a Rust reimplementation of MeCab's tokenizer,
//! which builds a system dictionary from MeCab-format sources); the
//! compiled dictionary is kept in the reading cache, named by a hash of
//! the sources, and later runs load it.
//!
//! Each word is read by its pronunciation in the dictionary (は as ワ,
//! long vowels as ー), numbers and counters by [`super::japanese_numbers`],
//! acronyms in Latin capitals letter by letter; a kanji the dictionary
//! cannot read is left out rather than spelled.

use super::japanese_numbers;
use super::{is_han, Reading, ReadingSettings};
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use vibrato::{Dictionary, SystemDictionaryBuilder, Tokenizer};

/// Why the dictionary could not be opened.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DictionaryError {
    #[error("no MeCab IPADIC sources in {} (Debian package mecab-ipadic)", .0.display())]
    Missing(PathBuf),
    #[error("{}: {error}", path.display())]
    Io { path: PathBuf, error: std::io::Error },
    #[error("compiling the dictionary: {0}")]
    Compile(String),
}

pub(crate) struct Japanese {
    tokenizer: Tokenizer,
}

/// One analysed word.
struct Word<'a> {
    surface: &'a str,
    start: usize,
    len: usize,
    /// Part of speech and its first subclass (名詞, 数).
    pos: (&'a str, &'a str),
    /// Pronunciation, else reading, where the dictionary has one.
    said: Option<&'a str>,
}

impl Japanese {
    /// Loads the compiled dictionary, compiling it first if needed.
    pub(crate) fn open(settings: &ReadingSettings) -> Result<Self, DictionaryError> {
        let dictionary = load_or_compile(&settings.japanese_dictionary, &settings.cache_dir)?;
        let tokenizer =
            Tokenizer::new(dictionary).ignore_space(true).map_err(|e| DictionaryError::Compile(e.to_string()))?;
        Ok(Self { tokenizer })
    }

    /// The sentence in katakana, words separated by spaces (punctuation kept).
    pub(crate) fn read(&self, text: &str) -> Reading {
        let mut worker = self.tokenizer.new_worker();
        worker.reset_sentence(text);
        worker.tokenize();
        let words: Vec<Word<'_>> = (0..worker.num_tokens())
            .map(|i| {
                let token = worker.token(i);
                let range = token.range_char();
                let mut feature = token.feature().split(',');
                let pos = (feature.next().unwrap_or(""), feature.next().unwrap_or(""));
                let fields: Vec<&str> = feature.skip(4).collect();
                let said = [fields.get(2), fields.get(1)].into_iter().flatten().copied().find(|f| *f != "*");
                Word { surface: token.surface(), start: range.start, len: range.len(), pos, said }
            })
            .collect();
        let mut reading = Reading::default();
        let mut end = 0;
        let mut after_month = false;
        let mut i = 0;
        while i < words.len() {
            let word = &words[i];
            // Words apart, so the engine reports a timing for each.
            if word.start > end || word.pos.0 != "記号" {
                reading.push_space();
            }
            if let Some((said, used)) = number(&words[i..], after_month) {
                let last = &words[i + used - 1];
                reading.push(word.start, last.start + last.len - word.start, &said);
                after_month = last.surface == "月";
                end = last.start + last.len;
                i += used;
                continue;
            }
            after_month = false;
            reading.push(word.start, word.len, &self.say(word));
            end = word.start + word.len;
            i += 1;
        }
        reading.text.truncate(reading.text.trim_end().len());
        reading
    }

    /// What one word is read as.
    fn say(&self, word: &Word<'_>) -> String {
        if let Some(said) = word.said {
            return said.to_string();
        }
        if word.surface.chars().all(|c| c.is_ascii_uppercase()) && word.surface.len() <= 6 {
            return word.surface.chars().map(letter).collect();
        }
        if !word.surface.chars().any(is_han) {
            return word.surface.to_string();
        }
        // A word the dictionary does not know: its characters one by one,
        // each as the dictionary reads it alone; kanji it cannot read are
        // left out.
        word.surface
            .chars()
            .map(|c| {
                let mut worker = self.tokenizer.new_worker();
                worker.reset_sentence(c.to_string());
                worker.tokenize();
                let feature = (worker.num_tokens() == 1).then(|| worker.token(0).feature().to_string());
                let said = feature.and_then(|f| f.split(',').skip(7).find(|f| *f != "*").map(str::to_string));
                said.unwrap_or_else(|| if is_han(c) { String::new() } else { c.to_string() })
            })
            .collect()
    }
}

/// A number at the start of `words` (digits or kanji numerals, over as
/// many words as it spans), with its counter if one follows: its reading
/// and how many words it used.
fn number(words: &[Word<'_>], after_month: bool) -> Option<(String, usize)> {
    let numeric = |w: &Word<'_>| w.pos == ("名詞", "数") && japanese_numbers::parse(w.surface).is_some();
    let mut used = words.iter().take_while(|w| numeric(w)).count();
    if used == 0 {
        return None;
    }
    let written: String = words[..used].iter().map(|w| w.surface).collect();
    let value = japanese_numbers::parse(&written)?;
    let counted = words.get(used).and_then(|w| {
        let counter = w.surface;
        let adjacent = w.start == words[used - 1].start + words[used - 1].len;
        adjacent.then(|| japanese_numbers::with_counter(value, counter, after_month)).flatten()
    });
    let said = match counted {
        Some(said) => {
            used += 1;
            said
        }
        None => japanese_numbers::cardinal(value),
    };
    Some((said, used))
}

/// A Latin capital's name in katakana.
fn letter(c: char) -> &'static str {
    const NAMES: [&str; 26] = [
        "エー",
        "ビー",
        "シー",
        "ディー",
        "イー",
        "エフ",
        "ジー",
        "エイチ",
        "アイ",
        "ジェー",
        "ケー",
        "エル",
        "エム",
        "エヌ",
        "オー",
        "ピー",
        "キュー",
        "アール",
        "エス",
        "ティー",
        "ユー",
        "ブイ",
        "ダブリュー",
        "エックス",
        "ワイ",
        "ゼット",
    ];
    NAMES[(c as u8 - b'A') as usize]
}

/// The dictionary's source files, in a fixed order: the lexicon CSVs, then
/// the connection matrix, character and unknown-word definitions.
fn sources(dir: &Path) -> Result<(Vec<PathBuf>, [PathBuf; 3]), DictionaryError> {
    let io = |error| DictionaryError::Io { path: dir.to_path_buf(), error };
    let mut csv: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|_| DictionaryError::Missing(dir.to_path_buf()))?
        .map(|e| e.map(|e| e.path()).map_err(io))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    csv.sort();
    let defs = ["matrix.def", "char.def", "unk.def"].map(|f| dir.join(f));
    if csv.is_empty() || defs.iter().any(|d| !d.is_file()) {
        return Err(DictionaryError::Missing(dir.to_path_buf()));
    }
    Ok((csv, defs))
}

/// Reads a source file as UTF-8 (IPADIC ships EUC-JP).
fn utf8(path: &Path) -> Result<String, DictionaryError> {
    let bytes = std::fs::read(path).map_err(|error| DictionaryError::Io { path: path.to_path_buf(), error })?;
    Ok(match std::str::from_utf8(&bytes) {
        Ok(text) => text.to_string(),
        Err(_) => encoding_rs::EUC_JP.decode(&bytes).0.into_owned(),
    })
}

fn load_or_compile(dir: &Path, cache_dir: &Path) -> Result<Dictionary, DictionaryError> {
    let (csv, defs) = sources(dir)?;
    let mut hasher = blake3::Hasher::new();
    for path in csv.iter().chain(&defs) {
        let bytes = std::fs::read(path).map_err(|error| DictionaryError::Io { path: path.clone(), error })?;
        hasher.update(path.file_name().unwrap_or_default().as_encoded_bytes());
        hasher.update(&(bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    let compiled = cache_dir.join(format!("ipadic-{}.vibrato", &hasher.finalize().to_hex()[..16]));
    if let Ok(file) = std::fs::File::open(&compiled) {
        match Dictionary::read(BufReader::new(file)) {
            Ok(dictionary) => return Ok(dictionary),
            Err(error) => tracing::warn!(%error, path = %compiled.display(), "recompiling an unreadable dictionary"),
        }
    }
    tracing::info!(sources = %dir.display(), "compiling the Japanese dictionary (once)");
    let mut lexicon = String::new();
    for path in &csv {
        lexicon.push_str(&utf8(path)?);
        if !lexicon.ends_with('\n') {
            lexicon.push('\n');
        }
    }
    let [matrix, chars, unknown] = [&defs[0], &defs[1], &defs[2]].map(|p| utf8(p));
    let dictionary = SystemDictionaryBuilder::from_readers(
        lexicon.as_bytes(),
        matrix?.as_bytes(),
        chars?.as_bytes(),
        unknown?.as_bytes(),
    )
    .map_err(|e| DictionaryError::Compile(e.to_string()))?;
    store(&dictionary, &compiled);
    Ok(dictionary)
}

/// Keeps a compiled dictionary for later runs (written aside, then renamed,
/// so a concurrent reader never sees half a file). Failing to keep it only
/// costs the next run a compilation.
fn store(dictionary: &Dictionary, path: &Path) {
    let Some(dir) = path.parent() else { return };
    let written =
        std::fs::create_dir_all(dir).and_then(|()| tempfile::NamedTempFile::new_in(dir)).and_then(|mut tmp| {
            dictionary.write(std::io::BufWriter::new(&mut tmp)).map_err(std::io::Error::other)?;
            tmp.flush()?;
            tmp.persist(path).map_err(|e| e.error)?;
            Ok(())
        });
    if let Err(error) = written {
        tracing::warn!(%error, path = %path.display(), "could not keep the compiled Japanese dictionary");
    }
}
