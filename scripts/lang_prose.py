#!/usr/bin/env python3
"""Cleans translated manual pages into a prose part of the language corpus.

Usage: lang_prose.py TEXT_DIR OUT_DIR

TEXT_DIR holds one folder per locale with the pages of Debian's manpages-LANG
packages rendered as plain text (scripts/lang-corpus.sh renders them with
groff). Interface strings are short and terse; manual pages are written in
sentences, closer to what people send Herald. Every sentence of a page's
description becomes one line `LANG<TAB>TEXT` of OUT_DIR/prose-tune.tsv or
OUT_DIR/prose-heldout.tsv. The split is by a hash of the page's name, so every
translation of one page falls on the same side; the held-out part keeps up to
100 short and 100 longer texts per language, chosen by hash.

Cleaning, for the pitfalls of translated manual pages:
- the NAME section and the last section (the translators' credits) are left
  out, and so are paragraphs with addresses, links or roff escapes;
- a sentence must start with a capital letter and end with . ! or ?, so
  synopses, option lists and code are left out; lang_corpus.py's `clean`
  and `usable` then apply;
- paragraphs the translators left in English are dropped: a sentence found in
  two languages, or with a word only English writes (the, this, with...).
"""

import collections
import hashlib
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lang_corpus  # noqa: E402

LOCALES = {"pt_BR": "pt"}
CAPS = {"tune": None, "heldout": 100}
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[^\W\d_«„“\"(¿¡])")
WORD = re.compile(r"[^\W\d_]+")
# Words no language of these pages writes but English.
ENGLISH = set("the this that with which you your its and from be".split())
UNWANTED = re.compile(r"[@⟨⟩\\]|https?:")


def pages(text_dir):
    """(language, folder, page path) of every rendered page."""
    for locale in sorted(os.listdir(text_dir)):
        lang = LOCALES.get(locale, locale)
        for folder, _, files in sorted(os.walk(os.path.join(text_dir, locale))):
            for name in sorted(files):
                path = os.path.join(folder, name)
                yield lang, path, os.path.relpath(path, os.path.join(text_dir, locale))


def paragraphs(path):
    """The paragraphs of a rendered page, its first and last sections left out.
    Section headings start at the first column; their text is indented."""
    sections, current = [], None
    with open(path, encoding="utf-8", errors="replace") as lines:
        for line in lines:
            line = line.rstrip()
            if line and not line.startswith(" "):
                current = []
                sections.append(current)
            elif current is not None:
                current.append(line.strip())
    for section in sections[1:-1]:
        for paragraph in "\n".join(section).split("\n\n"):
            yield " ".join(paragraph.split())


def sentences(paragraph):
    if UNWANTED.search(paragraph):
        return
    for sentence in SENTENCE_END.split(paragraph):
        text = lang_corpus.clean(sentence)
        words = [w.lower() for w in WORD.findall(text)]
        if (lang_corpus.usable(text) and text[0].isupper() and text[-1] in ".!?"
                and not any(w in ENGLISH for w in words)):
            yield text


def main(text_dir, out_dir):
    texts = collections.defaultdict(dict)  # (lang, split, long) -> {text: None}
    for lang, path, page in pages(text_dir):
        split = "heldout" if lang_corpus.held_out(page) else "tune"
        for paragraph in paragraphs(path):
            for text in sentences(paragraph):
                texts[(lang, split, len(text) > lang_corpus.SHORT)][text] = None
    languages_of = collections.defaultdict(set)
    for (lang, _, _), bucket in texts.items():
        for text in bucket:
            languages_of[text].add(lang)
    os.makedirs(out_dir, exist_ok=True)
    for split in ("tune", "heldout"):
        with open(os.path.join(out_dir, f"prose-{split}.tsv"), "w", encoding="utf-8") as out:
            for (lang, s, _), bucket in sorted(texts.items()):
                if s != split:
                    continue
                kept = [t for t in bucket if len(languages_of[t]) == 1]
                chosen = sorted(kept, key=lambda t: hashlib.sha1(t.encode("utf-8")).hexdigest())[:CAPS[split]]
                for text in sorted(chosen):
                    out.write(f"{lang}\t{text}\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])
