"""Scoring for Herald's speech-recognition judges: the error rate of a
transcript against the text that was meant to be spoken.

Words are compared after lower-casing, dropping punctuation (apostrophes
inside words are kept) and, for English, spelling out digits (recognisers
write "twenty", or "20"; both become words). Chinese, Japanese and Hindi are
scored by characters (CER) with punctuation and spaces dropped: their word
boundaries are not written, or not written consistently.
"""

import re
import unicodedata

ONES = ("zero one two three four five six seven eight nine ten eleven twelve "
        "thirteen fourteen fifteen sixteen seventeen eighteen nineteen").split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"), (100, "hundred"))
ORDINALS = {"one": "first", "two": "second", "three": "third", "five": "fifth",
            "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}


def cardinal(n):
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else " " + ONES[n % 10])
    for size, name in SCALES:
        if n >= size:
            rest = n % size
            return cardinal(n // size) + " " + name + ("" if rest == 0 else " " + cardinal(rest))


def ordinal(n):
    head, _, last = cardinal(n).rpartition(" ")
    last = ORDINALS.get(last) or (last[:-1] + "ieth" if last.endswith("y") else last + "th")
    return (head + " " + last).strip()


def spell_number(m):
    whole, frac, suffix = m.group(1).replace(",", ""), m.group(2), m.group(3)
    if suffix:
        return " " + ordinal(int(whole)) + " "
    words = cardinal(int(whole))
    if frac:
        words += " point " + " ".join(ONES[int(d)] for d in frac)
    return " " + words + " "


def words(text, spell_digits=False):
    text = text.lower()
    if spell_digits:
        text = re.sub(r"(\d[\d,]*)(?:\.(\d+))?(st|nd|rd|th)?\b", spell_number, text)
    text = re.sub(r"[^\w']+", " ", text)          # punctuation, hyphens -> space
    text = re.sub(r"(?<!\w)'|'(?!\w)", " ", text)  # quotes, not apostrophes in words
    return text.split()


def edit_distance(ref, hyp):
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


CHARACTER_LANGUAGES = ("zh", "ja", "hi")


def units(text, language="en"):
    """The units `text` is scored by in `language`: characters for Chinese,
    Japanese and Hindi, words otherwise (digits spelled out in English)."""
    base = language.split("-")[0].lower()
    if base in CHARACTER_LANGUAGES:
        return [c for c in unicodedata.normalize("NFKC", text)
                if not (c.isspace() or unicodedata.category(c).startswith(("P", "S")))]
    return words(text, spell_digits=base == "en")


def score(reference, hypothesis, language="en"):
    """{"rate", "edits", "units"}: edit distance over the reference's units."""
    ref, hyp = units(reference, language), units(hypothesis, language)
    edits = edit_distance(ref, hyp)
    rate = edits / len(ref) if ref else float(len(hyp))
    return {"rate": round(rate, 4), "edits": edits, "units": len(ref)}
