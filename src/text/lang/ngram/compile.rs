//! Compiles Herald's n-gram model from its text form (`ngrams.tsv`, as
//! `scripts/lang_model.py` trains it) into the form the binary embeds, so
//! that nothing is parsed when a process starts:
//!
//! - an [`fst`] map from each n-gram to its run of entries (the first
//!   entry's index shifted left by 8 bits, plus their count);
//! - the entries, [`ENTRY_BYTES`] each: the language's index (`u16`) and
//!   the log-probability (`f32`), little-endian;
//! - Rust source declaring the languages, their floors per order, and the
//!   one-letter n-grams (from which the scripts of each language follow).
//!
//! The build script runs it (`build.rs` includes this file); a model that
//! does not read is a build error naming its line.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Highest n-gram order in the model.
pub(crate) const ORDERS: usize = 5;

/// Bytes per entry: a `u16` language index and an `f32` log-probability.
pub(crate) const ENTRY_BYTES: usize = 6;

/// The model, compiled.
pub(crate) struct Compiled {
    /// Languages by primary subtag, in the order of their first floor line.
    pub(crate) langs: Vec<String>,
    /// Per language, the log-probability of an n-gram it never showed, per order.
    floors: Vec<[f32; ORDERS]>,
    /// Every n-gram of one letter.
    pub(crate) letters: String,
    /// The n-gram map ([`fst::Map`] bytes).
    pub(crate) grams: Vec<u8>,
    /// Every n-gram's entries, n-gram after n-gram.
    pub(crate) entries: Vec<u8>,
}

/// Why the model's text cannot be read.
#[derive(Debug)]
pub(crate) struct CompileError {
    pub(crate) line: usize,
    pub(crate) what: &'static str,
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "n-gram model line {}: {}", self.line, self.what)
    }
}

/// Reads the model's text form.
pub(crate) fn compile(text: &str) -> Result<Compiled, CompileError> {
    let mut langs: Vec<String> = Vec::new();
    let mut floors: Vec<[f32; ORDERS]> = Vec::new();
    let mut runs: BTreeMap<&[u8], u64> = BTreeMap::new();
    let mut entries = Vec::new();
    let mut entry_count = 0u64;
    let mut letters = String::new();
    for (number, line) in text.lines().enumerate() {
        let error = |what| CompileError { line: number + 1, what };
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if let Some(floor) = line.strip_prefix("@\t") {
            let mut fields = floor.split('\t');
            let lang = fields.next().filter(|l| is_primary_subtag(l)).ok_or(error("bad language"))?;
            let order: usize = fields.next().and_then(|n| n.parse().ok()).ok_or(error("bad order"))?;
            let value: f32 = fields.next().and_then(|v| v.parse().ok()).ok_or(error("bad floor"))?;
            let index = langs.iter().position(|l| l == lang).unwrap_or_else(|| {
                langs.push(lang.to_string());
                floors.push([f32::MIN; ORDERS]);
                langs.len() - 1
            });
            *floors[index].get_mut(order.wrapping_sub(1)).ok_or(error("order out of range"))? = value;
            continue;
        }
        let (gram, list) = line.split_once('\t').ok_or(error("no tab"))?;
        let order = gram.chars().count();
        if !(1..=ORDERS).contains(&order) {
            return Err(error("n-gram order out of range"));
        }
        let start = entry_count;
        for entry in list.split(' ') {
            let (lang, value) = entry.split_once(':').ok_or(error("bad entry"))?;
            let index = langs.iter().position(|l| l == lang).ok_or(error("language without floors"))?;
            let value: f32 = value.parse().map_err(|_| error("bad log-probability"))?;
            entries.extend_from_slice(&(index as u16).to_le_bytes());
            entries.extend_from_slice(&value.to_le_bytes());
            entry_count += 1;
        }
        let count = entry_count - start;
        if count > 0xff {
            return Err(error("more entries than the map can count"));
        }
        if runs.insert(gram.as_bytes(), start << 8 | count).is_some() {
            return Err(error("n-gram listed twice"));
        }
        if order == 1 {
            letters.push_str(gram);
        }
    }
    if floors.iter().any(|f| f.contains(&f32::MIN)) {
        return Err(CompileError { line: 0, what: "a language lacks a floor" });
    }
    let grams = fst::Map::from_iter(runs).map_err(|_| CompileError { line: 0, what: "the n-gram map" })?;
    Ok(Compiled { langs, floors, letters, grams: grams.into_fst().into_inner(), entries })
}

/// A primary language subtag: two or three lowercase ASCII letters.
fn is_primary_subtag(lang: &str) -> bool {
    (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase())
}

impl Compiled {
    /// Rust source declaring `ORDERS`, `ENTRY_BYTES`, `LANGS`, `FLOORS`
    /// (bit-exact) and `LETTERS`.
    pub(crate) fn rust_header(&self) -> String {
        let mut out = String::from("// The n-gram model's languages and floors, compiled from ngrams.tsv.\n");
        let n = self.langs.len();
        let _ = writeln!(out, "const ORDERS: usize = {ORDERS};");
        let _ = writeln!(out, "const ENTRY_BYTES: usize = {ENTRY_BYTES};");
        let _ = writeln!(out, "const LANGS: [&str; {n}] = {:?};", self.langs);
        let _ = writeln!(out, "const FLOORS: [[f32; ORDERS]; {n}] = [");
        for floors in &self.floors {
            let bits: Vec<String> = floors.iter().map(|f| format!("f32::from_bits({:#010x})", f.to_bits())).collect();
            let _ = writeln!(out, "    [{}],", bits.join(", "));
        }
        let _ = writeln!(out, "];");
        let _ = writeln!(out, "const LETTERS: &str = {:?};", self.letters);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: &str = "# a model\n\
        @\tfr\t1\t-9\n@\tfr\t2\t-9\n@\tfr\t3\t-9\n@\tfr\t4\t-9\n@\tfr\t5\t-9.5\n\
        @\ten\t1\t-8\n@\ten\t2\t-8\n@\ten\t3\t-8\n@\ten\t4\t-8\n@\ten\t5\t-8\n\
        é\tfr:-3.25\n\
        th\ten:-1.5 fr:-6\n\
        e\ten:-2 fr:-2.5\n";

    #[test]
    fn compiles_grams_to_runs_of_entries() {
        let compiled = compile(TINY).unwrap();
        assert_eq!(compiled.langs, ["fr", "en"]);
        assert_eq!(compiled.floors[0][4], -9.5);
        assert_eq!(compiled.letters, "ée");
        assert_eq!(compiled.entries.len(), 5 * ENTRY_BYTES);
        let map = fst::Map::new(compiled.grams).unwrap();
        assert_eq!(map.get("é"), Some(1));
        assert_eq!(map.get("th"), Some(1 << 8 | 2));
        assert_eq!(map.get("e"), Some(3 << 8 | 2));
        assert_eq!(map.get("t"), None);
        let second = &compiled.entries[2 * ENTRY_BYTES..3 * ENTRY_BYTES];
        assert_eq!(u16::from_le_bytes([second[0], second[1]]), 0, "fr");
        assert_eq!(f32::from_le_bytes([second[2], second[3], second[4], second[5]]), -6.0);
    }

    #[test]
    fn declares_the_languages_and_exact_floors() {
        let header = compile(TINY).unwrap().rust_header();
        assert!(header.contains(r#"const LANGS: [&str; 2] = ["fr", "en"];"#), "{header}");
        assert!(header.contains(&format!("f32::from_bits({:#010x})", (-9.5f32).to_bits())), "{header}");
        assert!(header.contains(r#"const LETTERS: &str = "ée";"#), "{header}");
    }

    #[test]
    fn refuses_a_broken_model() {
        fn line(text: &str) -> Option<usize> {
            compile(text).err().map(|e| e.line)
        }
        assert_eq!(line("ab\tfr:-1.0\n"), Some(1), "a gram before its language's floors");
        assert_eq!(line("@\tfr\t1\t-9\n"), Some(0), "floors missing for orders 2 to 5");
        assert_eq!(line("@\tFrench\t1\t-9\n"), Some(1), "not a subtag");
        assert_eq!(line("@\tfr\t6\t-9\n"), Some(1), "order 6");
        assert_eq!(line(&format!("{TINY}abcdef\tfr:-1\n")), Some(15), "a 6-gram");
        assert_eq!(line(&format!("{TINY}th\tfr:-1\n")), Some(15), "listed twice");
        assert_eq!(line(&format!("{TINY}ab\tfr=-1\n")), Some(15), "bad entry");
    }
}
