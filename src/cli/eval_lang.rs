//! `herald eval-lang CORPUS` (hidden): language identification measured on
//! a corpus of `LANG<TAB>TEXT` lines, each text alone as its own document
//! (the detector Herald plans with, after sentence segmentation).
//!
//! It prints accuracy for short texts (at most 60 characters: the single
//! sentences screen-reader users send) and for longer ones, per language,
//! and the median (p50) and p90 time per text, and on request every miss.
//! Languages Herald cannot name are counted apart, never in the totals.
//! The corpora (`heldout.tsv`, `prose-heldout.tsv`) are built by
//! `scripts/lang-corpus.sh`; see the README, "Language detection".

use super::Failure;
use crate::text::{known_languages, split_sentences, LanguageDetector, ParagraphInput, Strategy};
use clap::Args;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Texts of at most this many characters are scored as single sentences.
const SHORT_CHARS: usize = 60;

#[derive(Debug, Args)]
pub(super) struct EvalLangArgs {
    /// The corpus: `LANG<TAB>TEXT` lines (e.g. corpus/lang/heldout.tsv).
    corpus: PathBuf,
    /// What decides: `ngram` (Herald's), `combined` (the n-gram model with
    /// whatlang's answer as evidence) or `whatlang`.
    #[arg(long, default_value = "ngram", value_parser = ["ngram", "combined", "whatlang"])]
    strategy: String,
    /// Also list each language's accuracy.
    #[arg(long)]
    per_language: bool,
    /// Also list every miss: `LANG<TAB>GOT<TAB>TEXT`.
    #[arg(long)]
    misses: bool,
}

/// Right and total counts.
#[derive(Default, Clone, Copy)]
struct Score {
    right: usize,
    total: usize,
}

impl Score {
    fn add(&mut self, right: bool) {
        self.right += usize::from(right);
        self.total += 1;
    }

    fn show(self) -> String {
        if self.total == 0 {
            return "-".into();
        }
        format!("{:.2} % ({}/{})", 100.0 * self.right as f64 / self.total as f64, self.right, self.total)
    }
}

pub(super) fn run(args: &EvalLangArgs) -> Result<(), Failure> {
    let corpus = std::fs::read_to_string(&args.corpus)
        .map_err(|e| Failure::input(format!("cannot read {}: {e}", args.corpus.display())))?;
    let strategy = match args.strategy.as_str() {
        "whatlang" => Strategy::Whatlang,
        "combined" => Strategy::Combined,
        _ => Strategy::Ngram,
    };
    let detector = LanguageDetector { strategy, ..LanguageDetector::default() };
    let known: Vec<String> = known_languages().iter().map(|l| l.primary().to_string()).collect();
    let mut by_lang: BTreeMap<&str, [Score; 2]> = BTreeMap::new();
    let mut unknown: BTreeMap<&str, usize> = BTreeMap::new();
    let mut times: Vec<Duration> = Vec::new();
    let mut misses = String::new();
    for (number, line) in corpus.lines().enumerate() {
        let (lang, text) = line
            .split_once('\t')
            .ok_or_else(|| Failure::input(format!("line {}: expected LANG<TAB>TEXT", number + 1)))?;
        if !known.iter().any(|k| k == lang) {
            *unknown.entry(lang).or_default() += 1;
            continue;
        }
        let started = Instant::now();
        let sentences = split_sentences(text);
        let input = ParagraphInput { text, sentences: sentences.iter().map(|s| s.text.as_str()).collect(), hint: None };
        let assignment = detector.assign(&[input], None, &[]);
        times.push(started.elapsed());
        let got = assignment.paragraphs[0].detection.lang.primary().to_string();
        by_lang.entry(lang).or_default()[usize::from(text.chars().count() > SHORT_CHARS)].add(got == lang);
        if args.misses && got != lang {
            let _ = writeln!(misses, "{lang}\t{got}\t{text}");
        }
    }
    print!("{}{misses}", report(args, &by_lang, &unknown, &mut times));
    Ok(())
}

fn report(
    args: &EvalLangArgs,
    by_lang: &BTreeMap<&str, [Score; 2]>,
    unknown: &BTreeMap<&str, usize>,
    times: &mut [Duration],
) -> String {
    let mut total = [Score::default(); 2];
    for scores in by_lang.values() {
        for (sum, score) in total.iter_mut().zip(scores) {
            sum.right += score.right;
            sum.total += score.total;
        }
    }
    times.sort();
    let at = |q: f64| times.get(((times.len() as f64 - 1.0) * q) as usize).copied().unwrap_or_default();
    let mut out = String::new();
    let _ =
        writeln!(out, "corpus: {} ({} languages), strategy: {}", args.corpus.display(), by_lang.len(), args.strategy);
    let _ = writeln!(out, "short texts (<= {SHORT_CHARS} chars): {}", total[0].show());
    let _ = writeln!(out, "longer texts (> {SHORT_CHARS} chars): {}", total[1].show());
    let _ = writeln!(out, "time per text: p50 {:.3} ms, p90 {:.3} ms", ms(at(0.5)), ms(at(0.9)));
    if !unknown.is_empty() {
        let left: Vec<String> = unknown.iter().map(|(l, n)| format!("{l} ({n})")).collect();
        let _ = writeln!(out, "not scored, languages Herald cannot name: {}", left.join(", "));
    }
    if args.per_language {
        let _ = writeln!(out, "\nlang\tshort\tlonger");
        for (lang, [short, long]) in by_lang {
            let _ = writeln!(out, "{lang}\t{}\t{}", short.show(), long.show());
        }
    }
    out
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
