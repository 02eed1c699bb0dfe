#!/usr/bin/env bash
# Writes src/text/reading/zh_traditional.tsv: each Traditional character and
# the Simplified character it becomes, from OpenCC's character table as
# Debian ships it (packages opencc and libopencc1.1; Apache-2.0). Herald
# reads Traditional text through its Simplified form, character for
# character, so offsets into the text are kept.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TABLE="$(dpkg -L libopencc1.1 | grep '/TSCharacters.ocd2$')"
TEXT="$(mktemp)"
opencc_dict -i "$TABLE" -o "$TEXT" -f ocd2 -t text
{
  echo "# traditional	simplified (from OpenCC's TSCharacters; scripts/zh-traditional.sh)"
  # The first Simplified choice, where it is another single character.
  awk -F'\t' '{ split($2, s, " "); if (s[1] != $1 && length(s[1]) > 0) print $1 "\t" s[1] }' "$TEXT" | LC_ALL=C sort
} > "$ROOT/src/text/reading/zh_traditional.tsv"
rm -f "$TEXT"
