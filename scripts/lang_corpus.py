#!/usr/bin/env python3
"""Cleans gettext catalogues into a language-identification corpus.

Usage: lang_corpus.py PO_DIR OUT_DIR PACKAGES_TXT

PO_DIR holds one folder per locale (as msgunfmt wrote them, one .po per
domain). Every translated string becomes one line `LANG<TAB>TEXT` of
OUT_DIR/tune.tsv or OUT_DIR/heldout.tsv; English comes from the source strings
(msgid). The split is by a hash of the source string, so every translation of
one string falls on the same side and nothing seen in tuning is scored.

Cleaning, for the pitfalls of interface catalogues:
- untranslated strings, and translations equal to (or mostly made of the
  words of) the English source, are dropped;
- format placeholders (%s, %1$d, %(name)s, {0}, ${VAR}), markup, entities,
  shortcut markers (_File, &File, (_F)), URLs, e-mail addresses, command-line
  options and file names are removed;
- strings left with few letters are dropped, and every text appears once
  per language.
"""

import hashlib
import html
import os
import re
import sys

# Locales taken as a language: the plain language code, or a country variant
# of it. Script and dialect variants (sr@latin, ca@valencia, uz@cyrillic,
# be@latin, en@shaw...) are left out: one tag per language.
REGION_VARIANTS_KEPT = {"pt_BR": "pt", "pt_PT": "pt", "zh_CN": "zh", "zh_TW": "zh", "zh_HK": "zh",
                        "es_MX": "es", "nb_NO": "nb", "bn_IN": "bn", "bn_BD": "bn", "or_IN": "or",
                        "am_ET": "am"}
# Texts per language and length class (short, long): the held-out part is
# kept in the repository and capped; the tuning part, which trains the n-gram
# model, keeps every text (None: no cap).
CAPS = {"tune": None, "heldout": 100}
MIN_TEXTS = 100  # per split: languages with fewer texts are left out
SHORT = 60  # chars: the single-sentence class of the eval

PLACEHOLDER = re.compile(
    r"%\d+\$[-+ #0]*\d*(?:\.\d+)?[hlLqjzt]*[a-zA-Z]"  # %1$s
    r"|%\([A-Za-z_]\w*\)[-+ #0]*\d*(?:\.\d+)?[a-zA-Z]"  # %(name)s
    r"|%[-+ #0']*(?:\d+|\*)?(?:\.\d+)?[hlLqjzt]*[diouxXeEfFgGcsSpn%]"  # %s %5.2f %lu
    r"|%[A-Za-z_]+%"  # %NAME%
    r"|\{[^{}]*\}"  # {0} {name}
    r"|\$\{?[A-Za-z_]\w*\}?"  # $VAR ${VAR}
    r"|<[^<>]*>"  # markup
)
URL = re.compile(r"\b(?:https?|ftp|file)://\S+|\bwww\.\S+|\S+@\S+\.\w+")
MNEMONIC = re.compile(r"\((?:_|&)[^\W_]\)|(?<![\w&])[_&~](?=[^\W_])")
# Tokens that are not words of any language: options, paths, identifiers, file names.
TECHNICAL = re.compile(r"(?<!\S)(?:-{1,2}[\w-]+=?\S*|\S*[/\\_=|]\S*|\S+\.\w{2,4}\b|\S*\d\S*[A-Za-z]\S*|[A-Z]{2,}\d*)(?!\S)")
SPACE = re.compile(r"\s+")
NO_SPACE_SCRIPTS = re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
WORD = re.compile(r"[^\W\d_]+")


def unescape(s):
    return re.sub(r'\\(.)', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), s)


def entries(path):
    """(msgid, first msgstr) pairs of a .po file."""
    msgid, msgstr, field = [], [], None
    with open(path, encoding="utf-8", errors="replace") as po:
        for line in po:
            line = line.strip()
            if line.startswith("msgctxt"):
                if field == "msgstr":
                    yield "".join(msgid), "".join(msgstr)
                msgid, msgstr, field = [], [], None
            elif line.startswith("msgid_plural"):
                field = "plural"
            elif line.startswith("msgid "):
                if field == "msgstr":
                    yield "".join(msgid), "".join(msgstr)
                msgid, msgstr, field = [unescape(line[7:-1])], [], "msgid"
            elif line.startswith("msgstr[0]") or line.startswith("msgstr "):
                field = "msgstr"
                msgstr = [unescape(line.split(" ", 1)[1][1:-1])]
            elif line.startswith("msgstr["):
                field = "other"
            elif line.startswith('"'):
                if field == "msgid":
                    msgid.append(unescape(line[1:-1]))
                elif field == "msgstr":
                    msgstr.append(unescape(line[1:-1]))
    if field == "msgstr":
        yield "".join(msgid), "".join(msgstr)


def clean(text):
    text = html.unescape(PLACEHOLDER.sub(" ", text))
    text = URL.sub(" ", text)
    text = MNEMONIC.sub("", text)
    text = TECHNICAL.sub(" ", SPACE.sub(" ", text))
    text = SPACE.sub(" ", text).strip(" :;,-–—•·|*")
    return text


def usable(text):
    letters = sum(c.isalpha() for c in text)
    visible = sum(not c.isspace() for c in text)
    if visible == 0 or letters < 0.7 * visible:
        return False
    if NO_SPACE_SCRIPTS.search(text):
        return letters >= 6
    return letters >= 12 and len(WORD.findall(text)) >= 3


def mostly_english(text, source):
    words = [w.lower() for w in WORD.findall(text)]
    english = {w.lower() for w in WORD.findall(source)}
    return bool(words) and sum(w in english for w in words) > 0.5 * len(words)


def language(locale):
    if locale in REGION_VARIANTS_KEPT:
        return REGION_VARIANTS_KEPT[locale]
    if "@" in locale or "_" in locale or locale == "en":
        return None
    return locale


def held_out(source):
    return hashlib.sha1(source.encode("utf-8")).digest()[0] % 2 == 1


def main(po_dir, out_dir, packages_txt):
    texts = {}  # (lang, split, long) -> {text: None}, in a stable order

    def add(lang, source, text):
        text = clean(text)
        if usable(text):
            key = (lang, "heldout" if held_out(source) else "tune", len(text) > SHORT)
            texts.setdefault(key, {})[text] = None

    for locale in sorted(os.listdir(po_dir)):
        lang = language(locale)
        if lang is None:
            continue
        for name in sorted(os.listdir(os.path.join(po_dir, locale))):
            for source, translation in entries(os.path.join(po_dir, locale, name)):
                if not source or not translation or translation == source or "translator" in source.lower():
                    continue
                if lang != "zh" and not NO_SPACE_SCRIPTS.search(translation) and mostly_english(translation, source):
                    continue
                add(lang, source, translation)
                add("en", source, source)

    os.makedirs(out_dir, exist_ok=True)
    sizes = {}
    for (lang, split, _), bucket in texts.items():
        sizes[(lang, split)] = sizes.get((lang, split), 0) + len(bucket)
    kept = {lang for lang, _ in sizes if min(sizes.get((lang, s), 0) for s in ("tune", "heldout")) >= MIN_TEXTS}
    counts = {}
    for split in ("tune", "heldout"):
        with open(os.path.join(out_dir, f"{split}.tsv"), "w", encoding="utf-8") as out:
            for (lang, s, long), bucket in sorted(texts.items()):
                if s != split or lang not in kept:
                    continue
                chosen = sorted(bucket, key=lambda t: hashlib.sha1(t.encode("utf-8")).hexdigest())[:CAPS[split]]
                counts[(lang, split)] = counts.get((lang, split), 0) + len(chosen)
                for text in sorted(chosen):
                    out.write(f"{lang}\t{text}\n")
    with open(packages_txt, encoding="utf-8") as p:
        packages = sorted(line.strip() for line in p if line.strip())
    with open(os.path.join(out_dir, "SOURCES"), "w", encoding="utf-8") as out:
        out.write("Built by scripts/lang-corpus.sh from the gettext catalogues of these Debian packages:\n")
        out.writelines(f"  {p}\n" for p in packages)
        out.write("\nTexts per language (tune, held-out):\n")
        for lang in sorted({l for l, _ in counts}):
            out.write(f"  {lang}\t{counts.get((lang, 'tune'), 0)}\t{counts.get((lang, 'heldout'), 0)}\n")


if __name__ == "__main__":
    main(*sys.argv[1:4])
