#!/usr/bin/env python3
"""Trains Herald's character n-gram language model from the tuning part.

Usage: lang_model.py TUNE_TSV [TUNE_TSV...] OUT_MODEL

Reads `LANG<TAB>TEXT` lines (corpus/lang/tune.tsv and prose-tune.tsv, written
by scripts/lang-corpus.sh) and writes, for every language it learns written mostly
in the Latin, Cyrillic, Arabic or Devanagari script, the log-probabilities of
its most frequent character n-grams (orders 1 to 5) and the floor used for
n-grams it never showed (or that were not kept). Herald
(src/text/lang/ngram.rs) reads the file and must read text as it is read here:
only the letters of the text's main script (`focus`, src/text/lang/script.rs:
a Latin product name in a Khmer string is not Khmer), normalised exactly as
`normalise` does: a letter is what Rust's `char::is_alphabetic` calls one
(Unicode's Alphabetic property), lower-cased, every run of other characters one
space, a space at each end.

The file:
    # comments
    @<TAB>LANG<TAB>ORDER<TAB>FLOOR      one per language and order 1..=5
    GRAM<TAB>LANG:LOGP LANG:LOGP ...    one per n-gram kept by any language
The highest order is ngram.rs's `ORDERS`: a file with floors for other
orders than 1..=ORDERS fails to parse there.

A text's score for a language is the sum, over every n-gram of the normalised
text (all orders; the lone space excepted), of the language's LOGP for that
n-gram or else its floor for the n-gram's order.

The choices below (orders, n-grams kept, floors) were made on a dev
split of the tuning part with scripts/lang_eval.py; the held-out part
(corpus/lang/heldout.tsv) was scored once, at the end.
"""

import collections
import math
import sys
import unicodedata

import regex  # Unicode properties: \p{Alphabetic} is Rust's char::is_alphabetic

ORDERS = (1, 2, 3, 4, 5)
# Most frequent n-grams kept per language and order.
KEEP = {1: 300, 2: 2000, 3: 5000, 4: 6000, 5: 5000}
# An n-gram a language did not keep (or never showed) scores FLOOR_SHARE
# times the probability of the least frequent n-gram it kept of that order:
# a back-off to just below the pruning threshold, so that a language that
# learnt from more text is not penalised for it.
FLOOR_SHARE = 0.03
SCRIPTS = ("LATIN", "CYRILLIC", "ARABIC", "DEVANAGARI")
# The languages the model learns, in the scripts that close languages share:
# those espeak-ng speaks or whatlang names, and Galician and Nynorsk, which
# whatlang confuses with their neighbours. More languages would only steal
# short texts from these.
LANGUAGES = set("""af az be bg bs ca cs cy da de en eo es et eu fi fr ga gd gl hr hu id is it kk ky
lt lv mi mk ms mt nb nl nn pl pt ro ru sk sl sq sr sv sw tk tl tr tt uk uz vi zu ar fa ur hi mr ne""".split())

NOT_LETTERS = regex.compile(r"\P{Alphabetic}+")
# src/text/lang/script.rs: a Latin letter counts for this much against a
# letter of another script when a text's main script is chosen.
LATIN_WEIGHT = 0.34


def script_of(c):
    """The script of a letter, roughly as whatlang classes it: the first word
    of its Unicode name (LATIN, CYRILLIC, ARABIC, DEVANAGARI...)."""
    return unicodedata.name(c, "").split(" ")[0] or None if c.isalpha() else None


def focus(text):
    """(main script, text with the letters of every other script blanked), as
    src/text/lang/script.rs `focus` reads a text before the n-gram model."""
    scripts = [script_of(c) for c in text]
    weights = collections.Counter()
    for s in scripts:
        if s:
            weights[s] += LATIN_WEIGHT if s == "LATIN" else 1.0
    main = weights.most_common(1)[0][0] if weights else None
    if len(weights) < 2:
        return main, text
    return main, "".join(" " if s and s != main else c for c, s in zip(text, scripts))


def normalise(text):
    """Lower-cased letters, every run of other characters one space, padded
    with a space at each end (src/text/lang/ngram.rs, `normalise`). Rust
    lower-cases Σ without looking at its context."""
    return NOT_LETTERS.sub(" ", " " + text + " ").replace("\u03a3", "\u03c3").lower()


def grams(text, orders=ORDERS):
    """(order, n-gram) for every n-gram of the normalised, focused text but the lone space."""
    padded = normalise(focus(text)[1])
    for n in orders:
        for i in range(len(padded) - n + 1):
            g = padded[i:i + n]
            if g != " ":
                yield n, g


def script(texts):
    """The script most of a language's letters are in."""
    counts = collections.Counter(s for text in texts for s in map(script_of, text) if s)
    return counts.most_common(1)[0][0] if counts else None


def read(tsvs):
    """Texts per language of `LANG<TAB>TEXT` files."""
    texts = collections.defaultdict(list)
    for tsv in tsvs:
        with open(tsv, encoding="utf-8") as lines:
            for line in lines:
                lang, text = line.rstrip("\n").split("\t", 1)
                texts[lang].append(text)
    return texts


def count(texts, orders=ORDERS):
    """Per language learnt, n-gram counts per order."""
    counts = {}
    for lang in sorted(texts):
        if lang not in LANGUAGES or script(texts[lang]) not in SCRIPTS:
            continue
        per_order = {n: collections.Counter() for n in orders}
        for text in texts[lang]:
            padded = normalise(focus(text)[1])
            for n in orders:
                per_order[n].update(padded[i:i + n] for i in range(len(padded) - n + 1))
        del per_order[1][" "]
        counts[lang] = per_order
    return counts


def train(counts, orders=ORDERS, keep=KEEP, floor_share=FLOOR_SHARE):
    """(floors, table): floors[lang][order] and table[gram][lang], log-probabilities."""
    floors, table = {}, collections.defaultdict(dict)
    for lang, per_order in counts.items():
        floors[lang] = {}
        for n in orders:
            total = sum(per_order[n].values())
            kept = per_order[n].most_common(keep[n])
            least = kept[-1][1] if len(kept) == keep[n] else 1
            floors[lang][n] = math.log(floor_share * least / total)
            for g, c in kept:
                table[g][lang] = math.log(c / total)
    return floors, table


def write(floors, table, out_model, orders=ORDERS):
    with open(out_model, "w", encoding="utf-8") as out:
        out.write("# Character n-gram log-probabilities per language, trained by scripts/lang_model.py\n")
        out.write(f"# on the tuning parts of corpus/lang, orders 1 to {max(orders)}. `@ LANG ORDER FLOOR` lines, then\n")
        out.write("# `GRAM<TAB>LANG:LOGP ...`.\n")
        for lang in sorted(floors):
            for n in orders:
                out.write(f"@\t{lang}\t{n}\t{floors[lang][n]:.2f}\n")
        for g in sorted(table):
            out.write(g + "\t" + " ".join(f"{lang}:{p:.2f}" for lang, p in sorted(table[g].items())) + "\n")


def main(tune_tsvs, out_model):
    floors, table = train(count(read(tune_tsvs)))
    write(floors, table, out_model)


if __name__ == "__main__":
    main(sys.argv[1:-1], sys.argv[-1])
