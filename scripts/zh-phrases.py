#!/usr/bin/env python3
"""Writes Herald's Chinese phrase table, src/text/reading/zh_phrases.tsv.

The table holds every word of pypinyin's phrase dictionary (PyPI `pypinyin`,
MIT; its data are the phrase-pinyin-data project's, drawn from CC-CEDICT and
other dictionaries) that contains a character with more than one reading,
with the word's reading in numbered pinyin (`yin2 hang2`; 5 for the neutral
tone, ü spelled ü). Herald reads other characters one by one.

    python3 -m venv /tmp/zh && /tmp/zh/bin/python -m pip install pypinyin==0.55.0
    /tmp/zh/bin/python scripts/zh-phrases.py > src/text/reading/zh_phrases.tsv
"""
import sys

from pypinyin import Style, phrases_dict, pinyin_dict
from pypinyin.contrib.tone_convert import to_tone3

polyphones = {chr(code) for code, readings in pinyin_dict.pinyin_dict.items() if "," in readings}
print("# word\tnumbered pinyin (from pypinyin's phrase dictionary; scripts/zh-phrases.py)")
for word, readings in sorted(phrases_dict.phrases_dict.items()):
    if len(word) != len(readings) or not any(c in polyphones for c in word):
        continue
    syllables = [to_tone3(r[0], v_to_u=True, neutral_tone_with_five=True) for r in readings]
    print(f"{word}\t{' '.join(syllables)}")
