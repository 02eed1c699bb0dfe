#!/usr/bin/env python3
"""Scores Herald's character n-gram language model on a `LANG<TAB>TEXT` corpus.

Usage: lang_eval.py MODEL_TSV CORPUS_TSV [--per-language] [--exponent E]

MODEL_TSV is src/text/lang/ngrams.tsv (written by scripts/lang_model.py);
CORPUS_TSV is e.g. corpus/lang/heldout.tsv. Only lines whose language the
model knows are scored, each text alone; a text is short if it has at most 60
characters (as `herald eval-lang` counts them). It prints the accuracy of
short and longer texts, and with --per-language each language's.

It mirrors the Rust scorer (src/text/lang/ngram.rs, `log_likelihoods`, and
src/text/lang/identify.rs, `model_ranking`) with the n-gram model alone,
whatlang's vote left out: the text is normalised as `lang_model.normalise`
does, every n-gram of every order (the lone space excepted) adds the
language's log-probability or else its floor for that order, the sum is
divided by (number of n-grams) ** LENGTH_EXPONENT. Only the letters of the
text's main script are read (`lang_model.focus`), only languages written in
that script are candidates, and, in Cyrillic, letters only Serbian or
Macedonian write restrict them further. The best score wins.
(With no prior or whatlang vote added, the exponent cannot change the winner.)

The model's choices (orders, n-grams kept, floors) were made on a dev split
of the tuning part, never on the held-out part:

    scripts/lang_eval.py --dev corpus/lang/tune.tsv [--prose corpus/lang/prose-tune.tsv] --per-language

trains lang_model's configuration on the tuning texts whose hash puts them in
train (`dev_part`) and scores up to 300 short and 300 longer dev texts per
language. The held-out part was scored once, at the end.

Needs numpy, scipy and regex (pip install numpy scipy regex).
"""

import argparse
import collections
import hashlib
import os
import sys

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lang_model  # noqa: E402

SHORT = 60
LENGTH_EXPONENT = 0.5
SCRIPT_SHARE = 0.1  # ngram.rs: a language is written in each script holding this share of its letters
SERBIAN_ONLY, MACEDONIAN_ONLY, SOUTH_SLAVIC = set("ђћЂЋ"), set("ѓќѕЃЌЅ"), set("љњџјЉЊЏЈ")


def dev_part(text):
    """One tuning text in five goes to the dev split, by a hash of the text."""
    return hashlib.sha1(text.encode("utf-8")).digest()[-1] % 5 == 0


def dev_pairs(pairs, cap=300):
    """The dev split, at most `cap` short and `cap` longer texts per language
    (chosen by hash), so that the totals weigh languages about as the
    held-out part does."""
    classes = collections.defaultdict(list)
    for lang, text in pairs:
        if dev_part(text):
            classes[(lang, len(text) > SHORT)].append(text)
    return [(lang, text) for (lang, _), texts in sorted(classes.items())
            for text in sorted(texts, key=lambda t: hashlib.sha1(t.encode("utf-8")).hexdigest())[:cap]]


def load(path):
    """(floors, table) as lang_model.train returns them, read as Herald reads the file."""
    floors, table = collections.defaultdict(dict), {}
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            if line.startswith("@\t"):
                _, lang, order, value = line.split("\t")
                floors[lang][int(order)] = float(value)
                continue
            gram, entries = line.split("\t", 1)
            table[gram] = {lang: float(v) for lang, v in (e.split(":") for e in entries.split(" "))}
    return dict(floors), table


class Scorer:
    """A model as matrices: scores of many texts at once."""

    def __init__(self, floors, table):
        self.langs = sorted(floors)
        index = {lang: i for i, lang in enumerate(self.langs)}
        self.orders = sorted({n for f in floors.values() for n in f})
        self.floor = np.array([[floors[lang][n] for n in self.orders] for lang in self.langs])  # L x orders
        self.vocab = {g: i for i, g in enumerate(table)}
        rows, cols, values = [], [], []
        for g, entries in table.items():
            for lang, p in entries.items():
                rows.append(self.vocab[g])
                cols.append(index[lang])
                values.append(p - floors[lang][len(g)])
        self.delta = sp.csr_matrix((values, (rows, cols)), shape=(len(self.vocab), len(self.langs)))
        self.scripts = {lang: self.written_in(lang, table) for lang in self.langs}

    @staticmethod
    def written_in(lang, table):
        """ngram.rs, `scripts_of`: the scripts holding SCRIPT_SHARE of the language's letters."""
        mass = collections.Counter()
        for g, entries in table.items():
            if len(g) == 1 and g != " " and lang in entries:
                mass[lang_model.script_of(g)] += np.exp(entries[lang])
        total = sum(mass.values())
        return {s for s, m in mass.items() if s and m >= SCRIPT_SHARE * total}

    def scores(self, texts, exponent=LENGTH_EXPONENT):
        """Scaled scores (texts x languages), as model_ranking's before whatlang's vote."""
        rows, cols, per_order = [], [], np.zeros((len(texts), len(self.orders)))
        for t, text in enumerate(texts):
            for n, g in lang_model.grams(text, self.orders):
                per_order[t, n - self.orders[0]] += 1
                i = self.vocab.get(g)
                if i is not None:
                    rows.append(t)
                    cols.append(i)
        x = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(texts), len(self.vocab)))
        ll = np.asarray((x @ self.delta).todense()) + per_order @ self.floor.T
        scale = np.maximum(per_order.sum(axis=1), 1) ** exponent
        s = ll / scale[:, None]
        for t, text in enumerate(texts):  # identify.rs, script_letters and written_in
            main, chars = lang_model.focus(text)[0], set(text)
            only = ({"sr"} if chars & SERBIAN_ONLY else {"mk"} if chars & MACEDONIAN_ONLY
                    else {"sr", "mk"} if chars & SOUTH_SLAVIC else None)
            s[t, [i for i, lang in enumerate(self.langs)
                  if (only and lang not in only) or main not in self.scripts[lang]]] = -np.inf
        return s

    def predict(self, texts, exponent=LENGTH_EXPONENT):
        best = self.scores(texts, exponent).argmax(axis=1)
        return [self.langs[i] for i in best]


def evaluate(scorer, pairs, exponent=LENGTH_EXPONENT):
    """{lang: [[right, total] short, [right, total] long]} and the totals."""
    pairs = [(lang, text) for lang, text in pairs if lang in scorer.langs]
    got = scorer.predict([text for _, text in pairs], exponent)
    by_lang = collections.defaultdict(lambda: [[0, 0], [0, 0]])
    for (lang, text), guess in zip(pairs, got):
        cell = by_lang[lang][int(len(text) > SHORT)]
        cell[0] += guess == lang
        cell[1] += 1
    total = [[sum(v[k][j] for v in by_lang.values()) for j in (0, 1)] for k in (0, 1)]
    return dict(by_lang), total


def pct(cell):
    return f"{100 * cell[0] / cell[1]:.2f} % ({cell[0]}/{cell[1]})" if cell[1] else "-"


def read_pairs(path):
    with open(path, encoding="utf-8") as lines:
        return [tuple(line.rstrip("\n").split("\t", 1)) for line in lines]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", help="ngrams.tsv, or with --dev the tuning TSV to split")
    parser.add_argument("corpus", nargs="?", help="LANG<TAB>TEXT lines to score")
    parser.add_argument("--dev", action="store_true", help="train on the train split of MODEL (tune.tsv), score its dev split")
    parser.add_argument("--prose", help="with --dev, also train on the train split of this prose-tune.tsv and score its dev split")
    parser.add_argument("--per-language", action="store_true")
    parser.add_argument("--exponent", type=float, default=LENGTH_EXPONENT)
    args = parser.parse_args()
    if args.dev:
        parts = [read_pairs(path) for path in [args.model, args.prose] if path]
        train = collections.defaultdict(list)
        for lang, text in (pair for part in parts for pair in part):
            if not dev_part(text):
                train[lang].append(text)
        scorer = Scorer(*lang_model.train(lang_model.count(train)))
        pairs = [pair for part in parts for pair in dev_pairs(part)]
    else:
        scorer = Scorer(*load(args.model))
        pairs = read_pairs(args.corpus)
    by_lang, total = evaluate(scorer, pairs, args.exponent)
    print(f"languages: {len(by_lang)}")
    print(f"short texts (<= {SHORT} chars): {pct(total[0])}")
    print(f"longer texts (> {SHORT} chars): {pct(total[1])}")
    if args.per_language:
        print("\nlang\tshort\tlonger")
        for lang in sorted(by_lang):
            print(f"{lang}\t{pct(by_lang[lang][0])}\t{pct(by_lang[lang][1])}")


if __name__ == "__main__":
    main()
