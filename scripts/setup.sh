#!/usr/bin/env bash
# Installs the system packages Herald needs to build and run on Debian/Ubuntu;
# with --test, also what the tests need (Chromium, Node.js, and a Python
# virtual environment in .venv-test/ with feedparser). Safe to run again.
# Needs root (or sudo) and a Rust toolchain.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PACKAGES=(
  pkg-config cmake                             # cmake builds the bundled libopus
  libespeak-ng-dev espeak-ng espeak-ng-data   # the engine (library + CLI baseline)
  libspeechd-dev speech-dispatcher libclang-dev # platform speech (`herald speak`, tts crate)
)
if [ "${1:-}" = "--test" ]; then
  PACKAGES+=(chromium)                           # real-browser page tests
  PACKAGES+=(opus-tools)                         # independent Opus decoder for encoder tests
  PACKAGES+=(python3 python3-venv)               # feedparser reads the podcast feed in tests
  command -v npm >/dev/null || PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "${1:-}" = "--test" ] && ! command -v npm >/dev/null; then
  echo "setup: npm not found after install" >&2
  exit 1
fi

if [ "${1:-}" = "--test" ]; then
  VENV="$(cd "$(dirname "$0")/.." && pwd)/.venv-test"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/python" -c "import feedparser" 2>/dev/null ||
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "feedparser>=6,<7"
fi

if ! command -v cargo >/dev/null; then
  echo "setup: cargo not found; install a Rust toolchain (1.89 or newer) first" >&2
  exit 1
fi
