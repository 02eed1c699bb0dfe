//! Herald's character n-gram model for the Latin, Cyrillic, Arabic and
//! Devanagari scripts: it ranks the languages of a text in those scripts,
//! tells close languages apart (da/nb, es/pt/gl, nl/af, sr/hr/bs, cs/sk,
//! id/ms…) and knows the languages whatlang lacks (Malay, Swahili,
//! Galician, Bosnian, Basque…).
//!
//! `ngrams.tsv` beside this file is trained offline by
//! `scripts/lang_model.py` from the tuning part of the corpus that
//! `scripts/lang-corpus.sh` builds from Debian's gettext catalogues. The
//! build compiles it (`ngram/compile.rs`) into an n-gram map and a table of
//! entries that the binary embeds and reads in place: nothing is parsed at
//! start, and only the pages a text touches are read from the executable.
//! Text is normalised here exactly as the trainer normalises it.

#[cfg(test)]
mod compile;

use crate::text::LangTag;
use fst::raw::Output;
use std::sync::LazyLock;
use whatlang::Script;

include!(concat!(env!("OUT_DIR"), "/ngram_header.rs"));

/// A language is written in every script that holds this share of its letters.
const SCRIPT_SHARE: f32 = 0.1;

/// The model, opened on first use.
pub(super) static MODEL: LazyLock<NgramModel> = LazyLock::new(|| {
    NgramModel::open(
        include_bytes!(concat!(env!("OUT_DIR"), "/ngrams.fst")),
        include_bytes!(concat!(env!("OUT_DIR"), "/ngram_entries.bin")),
    )
});

/// Log-probabilities of character n-grams per language, read in place
/// from the embedded map and entries.
pub(super) struct NgramModel {
    langs: Vec<LangTag>,
    /// Per language, the scripts it is written in.
    scripts: Vec<Vec<Script>>,
    /// Each n-gram's run of entries: the first's index << 8 | their count.
    grams: fst::Map<&'static [u8]>,
    /// (language `u16`, log-probability `f32`) of every n-gram, n-gram after n-gram.
    entries: &'static [u8],
}

impl NgramModel {
    fn open(grams: &'static [u8], entries: &'static [u8]) -> Self {
        let mut model = Self {
            langs: LANGS.iter().map(|l| LangTag::parse(l).expect("the model's languages are subtags")).collect(),
            scripts: Vec::new(),
            grams: fst::Map::new(grams).expect("the embedded n-gram map reads"),
            entries,
        };
        model.scripts = model.scripts_of_languages();
        model
    }

    /// The entries of the run an n-gram maps to: (language, log-probability).
    fn entries(&self, run: u64) -> impl Iterator<Item = (usize, f32)> + '_ {
        let (first, count) = ((run >> 8) as usize, (run & 0xff) as usize);
        self.entries[first * ENTRY_BYTES..(first + count) * ENTRY_BYTES].chunks_exact(ENTRY_BYTES).map(|entry| {
            let lang = u16::from_le_bytes([entry[0], entry[1]]);
            (usize::from(lang), f32::from_le_bytes([entry[2], entry[3], entry[4], entry[5]]))
        })
    }

    /// Per language, the scripts that hold a [`SCRIPT_SHARE`] of its
    /// letters' probability: one pass over the single letters.
    fn scripts_of_languages(&self) -> Vec<Vec<Script>> {
        let mut mass: Vec<Vec<(Script, f32)>> = vec![Vec::new(); self.langs.len()];
        for letter in LETTERS.chars() {
            let Some(script) = super::script::script_of(letter) else { continue };
            let run = self.grams.get(letter.encode_utf8(&mut [0; 4]).as_bytes()).expect("every letter is mapped");
            for (lang, p) in self.entries(run) {
                let scripts = &mut mass[lang];
                match scripts.iter_mut().find(|(s, _)| *s == script) {
                    Some((_, m)) => *m += p.exp(),
                    None => scripts.push((script, p.exp())),
                }
            }
        }
        mass.into_iter()
            .map(|scripts| {
                let total: f32 = scripts.iter().map(|(_, m)| m).sum();
                scripts.into_iter().filter(|(_, m)| *m >= SCRIPT_SHARE * total).map(|(s, _)| s).collect()
            })
            .collect()
    }

    /// The languages the model knows.
    pub(super) fn languages(&self) -> &[LangTag] {
        &self.langs
    }

    /// The languages written in `script`, as indices into [`Self::languages`].
    pub(super) fn written_in(&self, script: Script) -> Vec<usize> {
        (0..self.langs.len()).filter(|&lang| self.scripts[lang].contains(&script)).collect()
    }

    pub(super) fn index(&self, primary: &str) -> Option<usize> {
        self.langs.iter().position(|l| l.as_str() == primary)
    }

    /// The log-likelihood of `text` under each of `candidates` (indices into
    /// [`Self::languages`]), and the number of n-grams it was made of.
    pub(super) fn log_likelihoods(&self, text: &str, candidates: &[usize]) -> (Vec<f64>, usize) {
        let padded = normalise(text);
        let bounds: Vec<usize> = padded.char_indices().map(|(i, _)| i).chain([padded.len()]).collect();
        let chars = bounds.len() - 1;
        // Every n-gram scores each candidate's floor, corrected where the
        // candidate has the n-gram: one pass over the entries that exist.
        let mut slot = vec![None; self.langs.len()];
        for (i, &lang) in candidates.iter().enumerate() {
            slot[lang] = Some(i);
        }
        let mut per_order = [0usize; ORDERS];
        let mut scores = vec![0.0f64; candidates.len()];
        let map = self.grams.as_fst();
        for start in 0..chars {
            // The n-grams starting here are prefixes of one another: one
            // walk down the map finds them all, the shortest first.
            let (mut node, mut run, mut mapped) = (map.root(), Output::zero(), true);
            for n in 1..=ORDERS.min(chars - start) {
                let letter = &padded.as_bytes()[bounds[start + n - 1]..bounds[start + n]];
                for &byte in letter {
                    let Some(at) = node.find_input(byte).filter(|_| mapped) else {
                        mapped = false;
                        break;
                    };
                    let transition = node.transition(at);
                    run = run.cat(transition.out);
                    node = map.node(transition.addr);
                }
                if n == 1 && letter == b" " {
                    continue;
                }
                per_order[n - 1] += 1;
                if !(mapped && node.is_final()) {
                    continue;
                }
                for (lang, p) in self.entries(run.cat(node.final_output()).value()) {
                    if let Some(i) = slot[lang] {
                        scores[i] += f64::from(p - FLOORS[lang][n - 1]);
                    }
                }
            }
        }
        for (score, &lang) in scores.iter_mut().zip(candidates) {
            *score += per_order.iter().zip(&FLOORS[lang]).map(|(&c, &f)| c as f64 * f64::from(f)).sum::<f64>();
        }
        let count = per_order.iter().sum();
        (scores, count)
    }
}

/// Lower-cased letters, every run of other characters one space, with a
/// space at each end.
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    for c in text.chars() {
        if c.is_alphabetic() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_as_the_trainer_does() {
        assert_eq!(normalise("L'Été, 2023!"), " l été ");
        assert_eq!(normalise(""), " ");
    }

    #[test]
    fn the_embedded_model_knows_the_languages_whatlang_lacks() {
        for lang in ["ms", "sw", "gl", "bs", "nn", "da", "nb", "sr", "mk"] {
            assert!(MODEL.index(lang).is_some(), "{lang} missing");
        }
    }

    #[test]
    fn knows_the_script_of_each_language() {
        let names =
            |script| -> Vec<&str> { MODEL.written_in(script).iter().map(|&l| MODEL.langs[l].as_str()).collect() };
        for (script, lang) in
            [(Script::Latin, "hr"), (Script::Cyrillic, "sr"), (Script::Arabic, "fa"), (Script::Devanagari, "ne")]
        {
            assert!(names(script).contains(&lang), "{lang} not in {script:?}: {:?}", names(script));
        }
        assert!(!names(Script::Latin).contains(&"hi"));
        assert!(names(Script::Latin).contains(&"tt") && names(Script::Cyrillic).contains(&"tt"), "Tatar has both");
    }

    #[test]
    fn tells_close_languages_apart() {
        let candidates: Vec<usize> = ["id", "ms"].iter().map(|l| MODEL.index(l).unwrap()).collect();
        let (scores, grams) = MODEL.log_likelihoods("Sila pilih fail yang hendak dibuka.", &candidates);
        assert!(grams > 20);
        assert!(scores[1] > scores[0], "Malay scored below Indonesian: {scores:?}");
    }
}
