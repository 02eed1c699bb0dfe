//! Herald's character n-gram model for the Latin, Cyrillic, Arabic and
//! Devanagari scripts: the
//! second opinion that tells close languages apart (da/nb, es/pt/gl, nl/af,
//! sr/hr/bs, cs/sk, id/ms…) and knows the languages whatlang lacks (Malay,
//! Swahili, Galician, Bosnian, Basque…).
//!
//! `ngrams.tsv` beside this file is trained offline by
//! `scripts/lang_model.py` from the tuning part of the corpus that
//! `scripts/lang-corpus.sh` builds from Debian's gettext catalogues. It is
//! embedded in the binary and parsed once, on first use. Text is normalised
//! here exactly as the trainer normalises it.

use crate::text::LangTag;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::LazyLock;
use whatlang::Script;

/// A language is written in every script that holds this share of its letters.
const SCRIPT_SHARE: f32 = 0.1;

/// Highest n-gram order in the model.
const ORDERS: usize = 5;

/// The model, parsed from the embedded file on first use.
pub(super) static MODEL: LazyLock<NgramModel> =
    LazyLock::new(|| NgramModel::parse(include_str!("ngrams.tsv")).expect("the embedded n-gram model parses"));

/// Log-probabilities of character n-grams per language. N-grams borrow
/// their text from the embedded file, and all their entries share one
/// table, so the model costs little beyond its file.
pub(super) struct NgramModel {
    langs: Vec<LangTag>,
    /// Per language, the scripts it is written in.
    scripts: Vec<Vec<Script>>,
    /// Per language, the log-probability of an n-gram it never showed, per order.
    floors: Vec<[f32; ORDERS]>,
    /// Each n-gram's entries in `entries`.
    grams: HashMap<&'static str, Range<u32>>,
    /// (language, log-probability) of every n-gram, n-gram after n-gram.
    entries: Vec<(u16, f32)>,
}

/// Why the model file cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("n-gram model line {line}: {what}")]
pub(super) struct ModelError {
    line: usize,
    what: &'static str,
}

impl NgramModel {
    fn parse(text: &'static str) -> Result<Self, ModelError> {
        let mut model = Self {
            langs: Vec::new(),
            scripts: Vec::new(),
            floors: Vec::new(),
            grams: HashMap::new(),
            entries: Vec::new(),
        };
        for (number, line) in text.lines().enumerate() {
            let error = |what| ModelError { line: number + 1, what };
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            if let Some(floor) = line.strip_prefix("@\t") {
                let mut fields = floor.split('\t');
                let lang = fields.next().and_then(|l| LangTag::parse(l).ok()).ok_or(error("bad language"))?;
                let order: usize = fields.next().and_then(|n| n.parse().ok()).ok_or(error("bad order"))?;
                let value: f32 = fields.next().and_then(|v| v.parse().ok()).ok_or(error("bad floor"))?;
                let index = model.index(lang.as_str()).unwrap_or_else(|| {
                    model.langs.push(lang);
                    model.floors.push([f32::MIN; ORDERS]);
                    model.langs.len() - 1
                });
                *model.floors[index].get_mut(order.wrapping_sub(1)).ok_or(error("order out of range"))? = value;
                continue;
            }
            let (gram, entries) = line.split_once('\t').ok_or(error("no tab"))?;
            let start = model.entries.len() as u32;
            for entry in entries.split(' ') {
                let (lang, value) = entry.split_once(':').ok_or(error("bad entry"))?;
                let index = model.index(lang).ok_or(error("language without floors"))?;
                model.entries.push((index as u16, value.parse().map_err(|_| error("bad log-probability"))?));
            }
            model.grams.insert(gram, start..model.entries.len() as u32);
        }
        if model.floors.iter().any(|f| f.contains(&f32::MIN)) {
            return Err(ModelError { line: 0, what: "a language lacks a floor" });
        }
        model.scripts = model.scripts_of_languages();
        Ok(model)
    }

    /// Per language, the scripts that hold a [`SCRIPT_SHARE`] of its
    /// letters' probability: one pass over the single letters.
    fn scripts_of_languages(&self) -> Vec<Vec<Script>> {
        let mut mass: Vec<Vec<(Script, f32)>> = vec![Vec::new(); self.langs.len()];
        for (gram, range) in &self.grams {
            let mut chars = gram.chars();
            let (Some(letter), None) = (chars.next(), chars.next()) else { continue };
            let Some(script) = super::script::script_of(letter) else { continue };
            for &(lang, p) in &self.entries[range.start as usize..range.end as usize] {
                let scripts = &mut mass[usize::from(lang)];
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
        for n in 1..=ORDERS {
            for start in 0..chars.saturating_sub(n - 1) {
                let gram = &padded[bounds[start]..bounds[start + n]];
                if gram == " " {
                    continue;
                }
                per_order[n - 1] += 1;
                let entries = self.grams.get(gram).map_or(&[][..], |r| &self.entries[r.start as usize..r.end as usize]);
                for &(lang, p) in entries {
                    if let Some(i) = slot[lang as usize] {
                        scores[i] += f64::from(p - self.floors[lang as usize][n - 1]);
                    }
                }
            }
        }
        for (score, &lang) in scores.iter_mut().zip(candidates) {
            *score += per_order.iter().zip(&self.floors[lang]).map(|(&c, &f)| c as f64 * f64::from(f)).sum::<f64>();
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

    #[test]
    fn refuses_a_broken_model() {
        assert!(NgramModel::parse("ab\tfr:-1.0\n").is_err(), "a gram before its language's floors");
        assert!(NgramModel::parse("@\tfr\t1\t-9\n").is_err(), "floors missing for orders 2 to 5");
    }
}
