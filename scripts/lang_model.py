#!/usr/bin/env python3
"""Trains Herald's character n-gram language model from the tuning part.

Usage: lang_model.py TUNE_TSV OUT_MODEL

Reads `LANG<TAB>TEXT` lines (corpus/lang/tune.tsv, written by
scripts/lang-corpus.sh) and writes, for every language it learns written mostly in
the Latin, Cyrillic, Arabic or Devanagari script, the log-probabilities of its most frequent
character n-grams (orders 1 to 3) and the floor used for n-grams it never
showed. Herald (src/text/lang/ngram.rs) reads the file and must normalise
text exactly as `grams` does here.
"""

import collections
import math
import sys
import unicodedata

ORDERS = (1, 2, 3)
KEEP = {1: 200, 2: 1200, 3: 2500}  # most frequent n-grams kept per language and order
SCRIPTS = ("LATIN", "CYRILLIC", "ARABIC", "DEVANAGARI")
# The languages the model learns, in the scripts that close languages share:
# those espeak-ng speaks or whatlang names, and Galician and Nynorsk, which
# whatlang confuses with their neighbours. More languages would only steal
# short texts from these.
LANGUAGES = set("""af az be bg bs ca cs cy da de en eo es et eu fi fr ga gd gl hr hu id is it kk ky
lt lv mi mk ms mt nb nl nn pl pt ro ru sk sl sq sr sv sw tk tl tr tt uk uz vi zu ar fa ur hi mr ne""".split())


def is_letter(c):
    return unicodedata.category(c)[0] in "LM"


def grams(text):
    """Lower-cased letters, every run of other characters one space, padded."""
    chars, space = [" "], True
    for c in text.lower():
        if is_letter(c):
            chars.append(c)
            space = False
        elif not space:
            chars.append(" ")
            space = True
    if not space:
        chars.append(" ")
    for n in ORDERS:
        for i in range(len(chars) - n + 1):
            g = "".join(chars[i:i + n])
            if g.strip():
                yield n, g


def script(texts):
    counts = collections.Counter()
    for text in texts:
        for c in text:
            if c.isalpha():
                name = unicodedata.name(c, "")
                counts[name.split(" ")[0]] += 1
    return counts.most_common(1)[0][0] if counts else None


def main(tune_tsv, out_model):
    texts = collections.defaultdict(list)
    with open(tune_tsv, encoding="utf-8") as tsv:
        for line in tsv:
            lang, text = line.rstrip("\n").split("\t", 1)
            texts[lang].append(text)
    with open(out_model, "w", encoding="utf-8") as out:
        out.write("# Character n-gram log-probabilities per language, trained by scripts/lang_model.py\n")
        out.write("# on the tuning part of corpus/lang. `@ LANG ORDER FLOOR` lines, then `GRAM<TAB>LANG:LOGP ...`.\n")
        table = collections.defaultdict(list)
        for lang in sorted(texts):
            if lang not in LANGUAGES or script(texts[lang]) not in SCRIPTS:
                continue
            counts = {n: collections.Counter() for n in ORDERS}
            for text in texts[lang]:
                for n, g in grams(text):
                    counts[n][g] += 1
            for n in ORDERS:
                total = sum(counts[n].values())
                out.write(f"@\t{lang}\t{n}\t{math.log(0.5 / total):.2f}\n")
                for g, c in counts[n].most_common(KEEP[n]):
                    table[g].append(f"{lang}:{math.log(c / total):.2f}")
        for g in sorted(table):
            out.write(g + "\t" + " ".join(table[g]) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])
