"""Speech-recognition judge for Herald's audio tests.

Transcribes a WAV file with PocketSphinx's bundled US English model and
scores it against the text that was meant to be spoken, so tests can check
that synthesized speech is intelligible rather than merely non-silent.

    .venv-test/bin/python tests/judge/sphinx_wer.py AUDIO.wav "reference text"

Prints one JSON line: {"hypothesis", "reference", "wer", "words", "edits"}.
WER is the word-level Levenshtein distance divided by the number of reference
words, as `score.py` counts them. The exit code is 0 whatever the score; the
caller decides what figure passes.

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
import warnings
import wave

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop  # stdlib up to Python 3.12

from pocketsphinx import Decoder

from score import score

RATE = 16000

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
    scored = score(reference, hypothesis)
    print(json.dumps({"hypothesis": hypothesis, "reference": reference,
                      "wer": scored["rate"], "words": scored["units"], "edits": scored["edits"]}))


if __name__ == "__main__":
    main()
