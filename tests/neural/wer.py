"""Speech-recognition judge for Herald's audio tests.

Transcribes a WAV file with PocketSphinx's bundled US English model and
scores it against the text that was meant to be spoken, so tests can check
that synthesized speech is intelligible rather than merely non-silent.

    .venv-test/bin/python tests/neural/wer.py AUDIO.wav "reference text"

Prints one JSON line: {"hypothesis", "reference", "wer", "words", "edits"}.
WER is the word-level Levenshtein distance divided by the number of reference
words, after lower-casing, dropping punctuation (apostrophes inside words are
kept) and spelling out digits in the reference. The exit code is 0 whatever
the score; the caller decides what figure passes.

Input may be a plain PCM WAV (8/16/24/32-bit, any channels, any rate, also
Herald's streaming header with unknown length); it is converted to 16 kHz mono
16-bit with the standard library only. WAVE_FORMAT_EXTENSIBLE headers (sox
writes them for 24/32-bit or >2 channels) need Python 3.12's wave module.

The decoder uses the bundled general English language model (an open
vocabulary), which does poorly on formant-synthesized speech: espeak-ng
scores a WER around 0.7 on the test sentences.
"""

import argparse
import json
import re
import warnings
import wave

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop  # stdlib up to Python 3.12

from pocketsphinx import Decoder

RATE = 16000

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


def normalize(text, spell_digits=False):
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


def read_pcm16_mono(path):
    with wave.open(path, "rb") as w:
        width, channels, rate = w.getsampwidth(), w.getnchannels(), w.getframerate()
        data = w.readframes(w.getnframes())
    data = data[:len(data) - len(data) % (width * channels)]  # cut-off stream
    if width == 1:                         # 8-bit WAV is unsigned
        data = audioop.bias(data, 1, -128)
    if width != 2:
        data = audioop.lin2lin(data, width, 2)
    if channels == 2:
        data = audioop.tomono(data, 2, 0.5, 0.5)
    elif channels > 2:                     # keep the first channel
        data = b"".join(data[i:i + 2] for i in range(0, len(data), 2 * channels))
    if rate != RATE:
        data, _ = audioop.ratecv(data, 2, 1, rate, RATE, None)
    return data


def transcribe(path):
    decoder = Decoder(samprate=RATE, loglevel="FATAL")
    decoder.start_utt()
    decoder.process_raw(read_pcm16_mono(path), full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    return hyp.hypstr if hyp else ""


def main():
    parser = argparse.ArgumentParser(description="Word error rate of a WAV against its text.")
    parser.add_argument("audio", help="WAV file to transcribe")
    parser.add_argument("reference", help="text the audio should say")
    args = parser.parse_args()
    reference = args.reference
    hypothesis = transcribe(args.audio)
    ref, hyp = normalize(reference, spell_digits=True), normalize(hypothesis)
    edits = edit_distance(ref, hyp)
    wer = edits / len(ref) if ref else float(len(hyp))
    print(json.dumps({"hypothesis": hypothesis, "reference": reference,
                      "wer": round(wer, 4), "words": len(ref), "edits": edits}))


if __name__ == "__main__":
    main()
