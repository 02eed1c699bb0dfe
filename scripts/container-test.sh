#!/usr/bin/env bash
# Builds Herald's container image from the Dockerfile and checks that it
# works, without a container registry and without `docker`:
#
#   1. the Dockerfile's base images are made with mmdebstrap from Debian's
#      mirror (bookworm) — `debian:bookworm-slim`, and `rust:1-bookworm` with
#      this machine's Rust toolchain in /usr/local — and imported with
#      `podman import` under the names the FROM lines use;
#   2. the Dockerfile is built with `buildah bud --isolation chroot --layers`
#      into herald:test;
#   3. the image's command runs as the image's user, with its environment
#      and working directory, in the image's root file system
#      (`buildah run --isolation chroot`, on this machine's network), its
#      `--addr` moved to a free loopback port, and curl checks it from
#      outside: health, fast and natural speech, Japanese through Kokoro, a
#      reading page and a podcast batch;
#   4. the image's size is printed beside the size of the herald binary in it.
#
# Prints PASS or FAIL per check and exits non-zero on any failure. Safe to
# run again: the base images are kept in a cache outside the clone
# (HERALD_CONTAINER_CACHE, default ${XDG_CACHE_HOME:-~/.cache}/herald/container)
# and rebuilt only when their recipe or the Rust toolchain changed, and the
# image's layers are reused by buildah. Needs root, mmdebstrap, podman,
# buildah, curl and jq; not part of the test suite (scripts/test.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${HERALD_CONTAINER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/herald/container}"
IMAGE=localhost/herald:test
CONTAINER=herald-container-test
MIRROR=http://deb.debian.org/debian
SOURCES=("deb $MIRROR bookworm main" "deb $MIRROR bookworm-updates main"
  "deb ${MIRROR}-security bookworm-security main")
STARTED=$SECONDS

say() { printf 'container-test: %s\n' "$*"; }
die() { say "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root (buildah and podman share root's image storage)"
for tool in mmdebstrap podman buildah curl jq python3 rustc; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
mkdir -p "$CACHE"

# buildah and podman: no file limits set in containers (a host that runs
# this inside a container of its own may refuse the change), and unqualified
# names in FROM resolve as Docker resolves them (docker.io/library/NAME),
# found in local storage; images are never pulled (--pull=never below).
cat >"$CACHE/containers.conf" <<'EOF'
[containers]
default_ulimits = []
EOF
cat >"$CACHE/registries.conf" <<'EOF'
unqualified-search-registries = ["docker.io"]
short-name-mode = "permissive"
EOF
export CONTAINERS_CONF="$CACHE/containers.conf"
export CONTAINERS_REGISTRIES_CONF="$CACHE/registries.conf"

# --- 1. Base images -----------------------------------------------------------

# Makes the tarball $1-$2.tar (kind, key of its recipe) in the cache with
# mmdebstrap (further arguments are its options), unless the cache has it,
# and imports it as image $3 with the changes in the array CHANGES, unless
# that image came from this very tarball. Older tarballs of the kind go.
base_image() {
  local kind="$1" tarball="$CACHE/$1-$2.tar" name="$3"
  shift 3
  if [ ! -f "$tarball" ]; then
    find "$CACHE" -maxdepth 1 -name "$kind-*.tar*" -delete
    say "making $(basename "$tarball") with mmdebstrap (log: $tarball.log)"
    if ! mmdebstrap --variant=minbase --format=tar --skip=output/dev \
      --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
      "$@" bookworm "$tarball.partial" "${SOURCES[@]}" >"$tarball.log" 2>&1; then
      tail -20 "$tarball.log" >&2
      rm -f "$tarball.partial"
      die "mmdebstrap failed for $name"
    fi
    mv "$tarball.partial" "$tarball"
  fi
  local source old
  source="$(basename "$tarball")"
  if [ "$(podman image inspect --format '{{index .Labels "herald.base"}}' "$name" 2>/dev/null)" != "$source" ]; then
    say "importing $source as $name"
    old="$(podman image inspect --format '{{.Id}}' "$name" 2>/dev/null || true)"
    local change=() c
    for c in "${CHANGES[@]}" "LABEL herald.base=$source"; do change+=(--change "$c"); done
    podman import --quiet "${change[@]}" "$tarball" "$name" >/dev/null
    # The image it replaces, now untagged (kept while a build still uses it).
    [ -z "$old" ] || podman rmi "$old" >/dev/null 2>&1 || true
  fi
}

# A short key of a recipe: a changed recipe is a new tarball.
key() { printf '%s\n' "$@" | sha256sum | cut -c1-12; }

# Both bases clean up after apt as Debian's official images do: no package
# files or caches are left behind by `apt-get install`, no translations fetched.
APT=(--aptopt='DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; }'
  --aptopt='APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; }'
  --aptopt='Dir::Cache::pkgcache ""' --aptopt='Dir::Cache::srcpkgcache ""' --aptopt='Acquire::Languages "none"')

# debian:bookworm-slim: Debian's minimal base without manuals, documentation
# (but the copyrights), translations and info pages, as the official one.
SLIM=("${APT[@]}" --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/info/*')
CHANGES=('CMD ["bash"]')
base_image debian-bookworm-slim "$(key "${SLIM[@]}" "${SOURCES[@]}")" \
  docker.io/library/debian:bookworm-slim "${SLIM[@]}"

# rust:1-bookworm: what the official image brings that a build uses
# (compilers, git, curl, Python, certificates), and this machine's Rust
# toolchain copied into /usr/local (rustc finds its libraries beside it).
SYSROOT="$(rustc --print sysroot)"
[ -x "$SYSROOT/bin/cargo" ] || die "no cargo in the Rust toolchain at $SYSROOT"
RUST=("${APT[@]}" --include=ca-certificates,curl,wget,gnupg,netbase,git,openssh-client,procps,file,xz-utils,bzip2,unzip,patch,gcc,g++,make,libc6-dev,dpkg-dev,python3
  --customize-hook="cp -a '$SYSROOT/bin' '$SYSROOT/lib' '$SYSROOT/libexec' \"\$1/usr/local/\" && mkdir -p \"\$1/usr/local/cargo/bin\"")
# The certificate authorities this machine adds to Debian's (where a network
# inspects TLS, the build's downloads from crates.io and PyPI need them).
# Only the build stage's base gets them: they never reach Herald's image.
LOCAL_CAS=(/usr/local/share/ca-certificates/*.crt)
CAS=""
if [ -f "${LOCAL_CAS[0]}" ]; then
  CAS="$(cat "${LOCAL_CAS[@]}" | sha256sum)"
  RUST+=(--customize-hook="cp ${LOCAL_CAS[*]} \"\$1/usr/local/share/ca-certificates/\" && chroot \"\$1\" update-ca-certificates >/dev/null")
fi
CHANGES=('ENV PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  'ENV CARGO_HOME=/usr/local/cargo' 'CMD ["bash"]')
base_image rust-bookworm "$(rustc --version | cut -d' ' -f2)-$(key "$(rustc --version)" "$CAS" "${RUST[@]}" "${SOURCES[@]}")" \
  docker.io/library/rust:1-bookworm "${RUST[@]}"
BASES=$SECONDS

# --- 2. The image -------------------------------------------------------------

# Its steps are shown; the whole log (packages, compiler) is kept in the cache.
say "building $IMAGE from the Dockerfile (log: $CACHE/build.log)"
if ! buildah bud --isolation chroot --layers --force-rm --network host --pull=never \
  -t "$IMAGE" -f "$ROOT/Dockerfile" "$ROOT" 2>&1 | tee "$CACHE/build.log" | grep -E '^(\[[0-9/]+\] )?STEP |^--> Using cache|^COMMIT '; then
  tail -40 "$CACHE/build.log" >&2
  die "the image did not build"
fi
BUILT=$SECONDS

# --- 3. Running it --------------------------------------------------------------

CONFIG="$(buildah inspect --type image "$IMAGE" | jq -c '.OCIv1.config')"
USER_="$(jq -r '.User // "root"' <<<"$CONFIG")"
WORKDIR="$(jq -r '.WorkingDir // "/"' <<<"$CONFIG")"
mapfile -t COMMAND < <(jq -r '(.Entrypoint // []) + (.Cmd // []) | .[]' <<<"$CONFIG")
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
ADDR=""
for i in "${!COMMAND[@]}"; do
  if [ "${COMMAND[$i]}" = "--addr" ]; then ADDR="${COMMAND[$((i + 1))]}"; COMMAND[i + 1]="127.0.0.1:$PORT"; fi
done
[ -n "$ADDR" ] || die "the image's command has no --addr to move to a free port: ${COMMAND[*]}"
say "image: user $USER_, working directory $WORKDIR, environment:"
jq -r '.Env[]' <<<"$CONFIG" | sed 's/^/  /'
say "command: ${COMMAND[*]} (its $ADDR moved to a free loopback port)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/herald-container.XXXXXX")"
RUNNER=""
# The server's process: the first `herald` among the descendants of the
# `buildah run` this script started (its workers are herald's children).
server_pid() {
  local p c queue=("$RUNNER")
  while [ ${#queue[@]} -gt 0 ]; do
    p="${queue[0]}"; queue=("${queue[@]:1}")
    if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = herald ]; then echo "$p"; return 0; fi
    for c in $(ps -o pid= --ppid "$p" 2>/dev/null || true); do queue+=("$c"); done
  done
}
# Stops the server: SIGTERM to herald itself (buildah run passes no signal on).
stop() {
  [ -n "$RUNNER" ] || return 0
  local pid
  pid="$(server_pid)"
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$RUNNER" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$RUNNER" 2>/dev/null; then
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
    kill -TERM "$RUNNER" 2>/dev/null || true
  fi
  wait "$RUNNER" 2>/dev/null || true
  RUNNER=""
}
cleanup() {
  stop
  buildah umount "$CONTAINER" >/dev/null 2>&1 || true
  buildah rm "$CONTAINER" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

buildah rm "$CONTAINER" >/dev/null 2>&1 || true
buildah from --quiet --pull=never --name "$CONTAINER" "$IMAGE" >/dev/null
ROOTFS="$(buildah mount "$CONTAINER")"
LOG="$WORK/server.log"
buildah run --isolation chroot --network host "$CONTAINER" -- "${COMMAND[@]}" >"$LOG" 2>&1 &
RUNNER=$!
H="http://127.0.0.1:$PORT"

FAILED=0
pass() { printf 'PASS  %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*"; FAILED=$((FAILED + 1)); }

# Waits for /healthz (workers, neural ones too, start before the server listens).
up=""
for _ in $(seq 1 300); do
  if curl -sf "$H/healthz" -o "$WORK/health" 2>/dev/null; then up=1; break; fi
  kill -0 "$RUNNER" 2>/dev/null || break
  sleep 0.5
done
if [ -n "$up" ]; then pass "GET /healthz: $(head -c 200 "$WORK/health")"; else fail "GET /healthz: the server did not answer"; fi

# The server runs as the image's user.
pid="$(server_pid)"
want="$(awk -F: -v u="${USER_%%:*}" '$1 == u || $3 == u { print $3; exit }' "$ROOTFS/etc/passwd")"
uid="$(awk '/^Uid:/ { print $2 }' "/proc/${pid:-0}/status" 2>/dev/null || true)"
if [ -n "$uid" ] && [ "$uid" = "$want" ]; then
  pass "the server (process $pid) runs as the image's user $USER_ (uid $uid)"
else
  fail "the server (process ${pid:-none}) runs as uid '${uid:-?}', not the image's user $USER_ (uid ${want:-?})"
fi

# What the server said at start about its engines.
grep -iE 'neural|engine' "$LOG" | sed 's/^/  log: /' | cut -c1-400 || true

# POST $1 with the JSON body $2 to $3 (headers in $3.head); prints the status.
post() { curl -s -o "$3" -D "$3.head" -w '%{http_code}' -X POST "$H$1" -H 'content-type: application/json' --data-binary "$2" --max-time 600; }
header() { { grep -i "^$1:" "$2" 2>/dev/null || true; } | tail -1 | cut -d: -f2- | tr -d '\r' | sed 's/^ *//'; }

# Checks a speech answer: 200, a WAV (RIFF…WAVE) of more than $4 bytes,
# spoken by a voice whose id starts with $3.
speech() {
  local name="$1" body="$2" voice="$3" least="$4" out status type size head spoken
  out="$WORK/$(tr -c 'a-z' _ <<<"$name").wav"
  status="$(post /v1/speech "$body" "$out" || true)"
  type="$(header content-type "$out.head")"
  spoken="$(header x-herald-voice "$out.head")"
  size="$(stat -c %s "$out" 2>/dev/null || echo 0)"
  head="$(head -c 12 "$out" 2>/dev/null | tr -c 'A-Za-z' . || true)"
  if [ "$status" = 200 ] && [ "$type" = audio/wav ] && [[ "$head" == RIFF....WAVE ]] && [ "$size" -gt "$least" ] \
    && [[ "$spoken" == "$voice"* ]]; then
    pass "$name: $type, $size bytes, voice $spoken"
  else
    fail "$name: status $status, type '$type', $size bytes, starts '$head', voice '$spoken' (wanted $voice…)"
  fi
}

speech "POST /v1/speech fast" '{"text":"Herald speaks from its container. This is the fast voice.","quality":"fast"}' espeak: 40000
speech "POST /v1/speech natural" '{"text":"Herald speaks from its container. This is the natural voice.","quality":"natural"}' piper: 40000
speech "POST /v1/speech Japanese (Kokoro)" '{"text":"今日は良い天気ですね。駅まで歩いて行きましょう。","voice":"kokoro:jf_alpha"}' kokoro:jf_alpha 40000

# Japanese readings compiled the IPADIC dictionary where the image's user
# may write (the reading cache directory, else ~/.cache/herald).
dictionaries="$(jq -r '.Env[] | select(startswith("HERALD_READING_CACHE_DIR=")) | sub("^[^=]*="; "")' <<<"$CONFIG")"
dictionary="$(find "$ROOTFS${dictionaries:-/nonexistent}" "$ROOTFS$(awk -F: -v u="$want" '$3 == u { print $6 }' "$ROOTFS/etc/passwd")/.cache/herald" \
  -name 'ipadic-*.vibrato' 2>/dev/null | head -1 || true)"
if [ -n "$dictionary" ] && [ "$(stat -c %u "$dictionary")" = "$want" ]; then
  pass "Japanese dictionary compiled on first use: ${dictionary#"$ROOTFS"}, $(stat -c %s "$dictionary") bytes, owned by $USER_"
else
  fail "no compiled Japanese dictionary owned by $USER_ under ${dictionaries:-~/.cache/herald}"
fi

# The voices list: the Piper and Kokoro voices, every engine running.
if curl -sf "$H/v1/voices" -o "$WORK/voices.json"; then
  piper="$(jq '[.voices[] | select(.engine == "piper")] | length' "$WORK/voices.json" || echo 0)"
  kokoro="$(jq '[.voices[] | select(.engine == "kokoro")] | length' "$WORK/voices.json" || echo 0)"
  down="$(jq -c '[.engines[] | select(.available | not) | {id, reason}]' "$WORK/voices.json" || echo '"unreadable"')"
  if [ "$piper" -gt 0 ] && [ "$kokoro" -gt 0 ] && [ "$down" = "[]" ]; then
    pass "GET /v1/voices: $piper Piper and $kokoro Kokoro voices, every engine available"
  else
    fail "GET /v1/voices: $piper Piper, $kokoro Kokoro voices; engines unavailable: $down"
  fi
else
  fail "GET /v1/voices: no answer"
fi

# The Piper voices' streaming parts: in the image, made from its models,
# and used (no voice inferred whole).
parts=0 stale=""
while IFS= read -r model; do
  part="$(find "$ROOTFS/opt/neural" -name "$(basename "$model" .onnx).encoder.onnx" | head -1 || true)"
  sum="$(sha256sum "$model" | cut -c1-64)"
  if [ -n "$part" ] && grep -qs "$sum" "$part" && grep -qs "$sum" "${part%.encoder.onnx}.decoder.onnx"; then
    parts=$((parts + 1))
  else
    stale="$stale $(basename "$model")"
  fi
done < <(find "$ROOTFS/opt/neural" -name '*.onnx.json' | sed 's/\.json$//')
if [ "$parts" -gt 0 ] && [ -z "$stale" ] && ! grep -q 'unstreamed' "$LOG"; then
  pass "streaming Piper parts: $parts voice(s) split under /opt/neural and used"
else
  fail "streaming Piper parts: $parts split; missing or stale for:${stale:- none}; $(grep -c unstreamed "$LOG") unstreamed warning(s)"
fi

# A reading page: a document made from the joint statement, its page HTML
# with the languages marked.
jq -n --rawfile text "$ROOT/tests/fixtures/nato-japan-joint-statement-2023-04-04.txt" '{text: $text}' >"$WORK/document.json"
status="$(post /v1/documents "@$WORK/document.json" "$WORK/document" || true)"
page="$(jq -r '.html_url // empty' "$WORK/document" 2>/dev/null || true)"
if [ "$status" = 201 ] && [ -n "$page" ]; then
  status="$(curl -s -o "$WORK/page.html" -D "$WORK/page.head" -w '%{http_code}' "$H$page" || true)"
  type="$(header content-type "$WORK/page.head")"
  langs="$(grep -o 'lang="[a-z-]*"' "$WORK/page.html" | sort | uniq -c | tr -s ' ' | tr '\n' ',' || true)"
  if [ "$status" = 200 ] && [[ "$type" == text/html* ]] && grep -q '<html lang="en"' "$WORK/page.html" \
    && grep -q '<p[^>]* lang="en"' "$WORK/page.html"; then
    pass "reading page $page: $type, $(stat -c %s "$WORK/page.html") bytes, lang attributes:${langs%,}"
  else
    fail "reading page $page: status $status, type '$type', lang attributes: ${langs:-none}"
  fi
else
  fail "POST /v1/documents: status $status: $(head -c 300 "$WORK/document")"
fi

# A podcast batch: accepted, polled at its Location until done, and one
# episode's MP3 downloaded.
jq -n --rawfile text "$ROOT/tests/fixtures/nato-japan-joint-statement-2023-04-04.txt" '{
  show: {title: "Herald in a container", author: "Press Office", description: "A batch made by the container test.",
         language: "en", category: "News", explicit: false},
  documents: [{name: "joint-statement.txt", text: $text},
              {name: "note.md", text: "# A note\n\nThis episode was read by Herald in its container."}]
}' >"$WORK/batch.json"
status="$(post /v1/batches "@$WORK/batch.json" "$WORK/batch" || true)"
location="$(header location "$WORK/batch.head")"
if [ "$status" = 202 ] && [ -n "$location" ]; then
  state="" deadline=$((SECONDS + 900))
  while [ $SECONDS -lt $deadline ]; do
    curl -sf "$H$location" -o "$WORK/batch.status" || break
    state="$(jq -r .state "$WORK/batch.status" || true)"
    [ "$state" = done ] || [ "$state" = failed ] && break
    sleep 2
  done
  mp3="$(jq -r '.episodes[0].files.mp3 // empty' "$WORK/batch.status" 2>/dev/null || true)"
  if [ "$state" = done ] && [ -n "$mp3" ]; then
    status="$(curl -s -o "$WORK/episode.mp3" -D "$WORK/episode.head" -w '%{http_code}' "$H$mp3" || true)"
    type="$(header content-type "$WORK/episode.head")"
    size="$(stat -c %s "$WORK/episode.mp3" 2>/dev/null || echo 0)"
    magic="$(head -c 3 "$WORK/episode.mp3" 2>/dev/null | od -An -tx1 | tr -d ' ' || true)"
    # An MP3 starts with an ID3 tag ("ID3") or a frame sync (0xFFE…).
    if [ "$status" = 200 ] && [ "$type" = audio/mpeg ] && [ "$size" -gt 100000 ] \
      && { [ "$magic" = 494433 ] || [[ "$magic" == ff[ef]* ]]; }; then
      pass "podcast batch $location: $(jq -r '"\(.done)/\(.total) done, \(.failed) failed"' "$WORK/batch.status"); $mp3: $type, $size bytes"
    else
      fail "podcast episode $mp3: status $status, type '$type', $size bytes, starts $magic"
    fi
  else
    fail "podcast batch $location: state '${state:-none}': $(head -c 400 "$WORK/batch.status" 2>/dev/null)"
  fi
else
  fail "POST /v1/batches: status $status: $(head -c 300 "$WORK/batch")"
fi

stop
if grep -qiE '"level":"(ERROR)"| ERROR ' "$LOG"; then
  say "errors in the server's log:"; grep -iE '"level":"(ERROR)"| ERROR ' "$LOG" | head -20 | cut -c1-400
fi
[ "$FAILED" -eq 0 ] || { say "the server's log (last 40 lines):"; tail -40 "$LOG" | cut -c1-400; }

# --- 4. Sizes -------------------------------------------------------------------

binary=""
for dir in $(jq -r '.Env[] | select(startswith("PATH=")) | sub("^PATH="; "")' <<<"$CONFIG" | tr : ' '); do
  [ -f "$ROOTFS$dir/${COMMAND[0]}" ] && { binary="$dir/${COMMAND[0]}"; break; }
done
image_size="$(podman image inspect --format '{{.Size}}' "$IMAGE")"
binary_size="$(stat -c %s "$ROOTFS$binary" 2>/dev/null || echo 0)"
neural_size="$(du -sb "$ROOTFS/opt/neural" | cut -f1)"
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }
say "image $IMAGE: $(mb "$image_size"); $binary in it: $(mb "$binary_size"); /opt/neural: $(mb "$neural_size")"
say "time: base images $((BASES - STARTED)) s, image build $((BUILT - BASES)) s, checks $((SECONDS - BUILT)) s, total $((SECONDS - STARTED)) s"

if [ "$FAILED" -gt 0 ]; then
  say "$FAILED check(s) FAILED"
  exit 1
fi
say "all checks PASSED"
