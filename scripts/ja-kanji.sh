#!/usr/bin/env bash
# Writes src/text/lang/japanese_kanji.txt: kanji in the forms only Japanese
# writes (shinjitai such as 転 図 広 発 気, where Chinese writes 转/轉, 图/圖…),
# which tell a text in kanji alone from Chinese. They are the Japanese
# variants in OpenCC's JPVariants table (Debian packages opencc and
# libopencc1.1; Apache-2.0) that neither OpenCC's Simplified nor its
# Traditional table has, and that Chinese words in jieba's dictionary (as
# jieba-rs embeds it, MIT) use at most 100 times in all.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
for table in JPVariants STCharacters TSCharacters; do
  opencc_dict -i "$(dpkg -L libopencc1.1 | grep "/$table.ocd2$")" -o "$WORK/$table.txt" -f ocd2 -t text
done
JIEBA="$(cd "$ROOT" && cargo metadata --format-version 1 | python3 -c '
import json, sys
print(next(p["manifest_path"] for p in json.load(sys.stdin)["packages"] if p["name"] == "jieba-rs"))')"
python3 - "$WORK" "$(dirname "$JIEBA")/src/data/dict.txt" >"$ROOT/src/text/lang/japanese_kanji.txt" <<'PY'
import collections, sys
work, jieba = sys.argv[1:3]
def table(name):
    with open(f"{work}/{name}.txt", encoding="utf-8") as lines:
        return {k: v.split(" ") for k, v in (line.rstrip("\n").split("\t") for line in lines)}
japanese, simplified, traditional = table("JPVariants"), table("STCharacters"), table("TSCharacters")
chinese = {c for t in (simplified, traditional) for k, v in t.items() for c in [k, *v]}
uses = collections.Counter()
with open(jieba, encoding="utf-8") as lines:
    for line in lines:
        word, count = line.split(" ")[:2]
        for c in word:
            uses[c] += int(count)
kanji = sorted({c for v in japanese.values() for c in v
                if len(c) == 1 and c not in chinese and c not in japanese and uses[c] <= 100})
print("".join(kanji))
PY
