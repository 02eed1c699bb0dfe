#!/usr/bin/env bash
# Start-up, timed with hyperfine: `herald plan` of one French line against
# `herald --version` (the floor of starting the binary at all), and
# `herald serve` from launch to its first healthy `GET /healthz`. Given an
# older build, each is also run with it, so hyperfine reports the ratios
# of one command's runs against the other's.
#
#   cargo build --release && benches/startup.sh [OLDER_HERALD] [RUNS]
#
# Needs hyperfine and curl (apt-get install hyperfine curl). Time it on an
# idle machine.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
HERALD="${HERALD_BIN:-$ROOT/target/release/herald}"
OLDER="${1:-}"
RUNS="${2:-20}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
echo "Bonjour à tous, et merci d'être venus ce matin." >"$WORK/line.txt"

# Starts `$1 serve` on a free port with an empty cache, waits for /healthz,
# then stops it.
cat >"$WORK/healthy.sh" <<'SCRIPT'
#!/usr/bin/env bash
set -eu
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
cache="$(mktemp -d)"
"$1" serve --addr "127.0.0.1:$port" --cache-dir "$cache" >/dev/null 2>&1 &
server=$!
until curl -sf -o /dev/null "http://127.0.0.1:$port/healthz"; do
  kill -0 "$server" 2>/dev/null || { echo "the server exited" >&2; exit 1; }
  sleep 0.002
done
kill "$server"
wait "$server" 2>/dev/null || true
rm -rf "$cache"
SCRIPT
chmod +x "$WORK/healthy.sh"

cd "$WORK" # no herald.toml or voices from the project: the embedded defaults
hyperfine -N --warmup 3 --runs "$RUNS" \
  "$HERALD --version" \
  "$HERALD plan $WORK/line.txt" \
  ${OLDER:+"$OLDER plan $WORK/line.txt"}
hyperfine --warmup 1 --runs "$RUNS" \
  "$WORK/healthy.sh $HERALD" \
  ${OLDER:+"$WORK/healthy.sh $OLDER"}
