"""Multilingual speech-recognition judge for Herald's audio tests.

Transcribes clips with OpenAI's Whisper base (multilingual, MIT; the
CTranslate2 conversion that `scripts/whisper.sh` installs outside the clone)
run by faster-whisper on the CPU, and scores each transcript against one or
more texts with `score.py` (WER; CER for Chinese, Japanese and Hindi).

    .venv-test/bin/python tests/judge/whisper.py MODEL_DIR < clips.json

stdin: a JSON list of clips, each {"audio": WAV path, "language": "en",
"references": ["text", ...]}. stdout: a JSON line per clip, in order:
{"audio", "hypothesis", "scores": [{"rate", "edits", "units"}, ...]}, one
score per reference, so a caller can ask which text a clip says best.

The decoding is fixed so that a result can be repeated: int8, the language
forced, beam search of 5, temperature 0 and no fallback, no conditioning on
earlier text (with it, a clip of synthetic speech may loop), and for scripts
Whisper might otherwise answer in romanisation, a prompt in that script.
"""

import json
import os
import sys

from faster_whisper import WhisperModel

from score import score

PROMPTS = {
    "zh": "以下是普通话的句子。",
    "ja": "以下は日本語の文です。",
    "hi": "यह हिंदी में एक वाक्य है।",
}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: whisper.py MODEL_DIR < clips.json")
    clips = json.load(sys.stdin)
    model = WhisperModel(sys.argv[1], device="cpu", compute_type="int8", cpu_threads=os.cpu_count() or 1)
    for clip in clips:
        language = clip["language"].split("-")[0].lower()
        segments, _ = model.transcribe(
            clip["audio"],
            language=language,
            beam_size=5,
            temperature=0.0,
            condition_on_previous_text=False,
            initial_prompt=PROMPTS.get(language),
            vad_filter=False,
        )
        hypothesis = " ".join(segment.text.strip() for segment in segments).strip()
        scores = [score(reference, hypothesis, language) for reference in clip["references"]]
        print(json.dumps({"audio": clip["audio"], "hypothesis": hypothesis, "scores": scores},
                         ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
