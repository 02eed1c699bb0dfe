#!/usr/bin/env bash
# A local cluster on loopback: Garage (one S3-compatible node), PostgreSQL in
# a temporary directory, and Herald replicas sharing both.
#
#   scripts/cluster.sh up          starts everything; prints HERALD_URLS=… and HERALD_PIDS=…
#   scripts/cluster.sh down        stops everything `up` started, by process id
#   scripts/cluster.sh stop-store  stops Garage only (an outage)
#   scripts/cluster.sh start-store starts Garage again on the same data
#   scripts/cluster.sh stop-database / start-database  the same for PostgreSQL
#
# Environment: HERALD_BIN (the herald binary; default the debug build),
# HERALD_REPLICAS (default 2), HERALD_CLUSTER_DIR (state, default
# $TMPDIR/herald-cluster). Other HERALD_* variables reach the replicas.
# Garage comes from scripts/garage.sh (built once per machine).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STATE="${HERALD_CLUSTER_DIR:-${TMPDIR:-/tmp}/herald-cluster}"
BUCKET=herald

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits up to $2 seconds for command $1 to succeed.
wait_for() {
  for _ in $(seq 1 $(($2 * 10))); do
    if eval "$1" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "cluster: timed out waiting for: $1" >&2
  return 1
}

# Runs a command as the PostgreSQL user when we are root (it refuses root).
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

garage() { "$(cat "$STATE/garage.bin")" -c "$STATE/garage/garage.toml" "$@"; }

start_garage() {
  nohup "$(cat "$STATE/garage.bin")" -c "$STATE/garage/garage.toml" server >>"$STATE/garage/log" 2>&1 &
  echo $! >"$STATE/garage.pid"
  wait_for "garage status" 60
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1; }

start_database() {
  local pgdir
  pgdir="$(cat "$STATE/pg.dir")"
  as_postgres "$(pg_bin)/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $(cat "$STATE/pg.port") -k $pgdir" start >>"$STATE/pg.log" 2>&1
  head -1 "$pgdir/data/postmaster.pid" >"$STATE/postgres.pid"
}

stop_pid() {
  local file="$1" signal="${2:-TERM}" pid
  [ -f "$file" ] || return 0
  pid="$(cat "$file")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "-$signal" "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

up() {
  if [ -d "$STATE" ]; then
    echo "cluster: $STATE exists; run '$0 down' first" >&2
    exit 1
  fi
  local herald="${HERALD_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/herald}"
  trap 'echo "cluster: up failed; stopping what it started" >&2; [ -n "${HERALD_CLUSTER_KEEP:-}" ] || down' ERR
  [ -x "$herald" ] || { echo "cluster: no herald binary at $herald (cargo build first)" >&2; exit 1; }
  mkdir -p "$STATE/garage"
  "$ROOT/scripts/garage.sh" >"$STATE/garage.bin"

  # Garage: one node, its data and metadata in the state directory.
  local s3 rpc admin
  s3="$(free_port)"; rpc="$(free_port)"; admin="$(free_port)"
  cat >"$STATE/garage/garage.toml" <<TOML
metadata_dir = "$STATE/garage/meta"
data_dir = "$STATE/garage/data"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:$rpc"
rpc_public_addr = "127.0.0.1:$rpc"
rpc_secret = "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"

[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:$s3"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:$admin"
TOML
  start_garage
  local node key secret
  node="$(garage node id -q | cut -d@ -f1)"
  garage layout assign -z dc1 -c 1G "$node" >/dev/null
  garage layout apply --version 1 >/dev/null
  key="GK$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
  secret="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
  wait_for "garage bucket create $BUCKET" 30
  garage key import --yes -n herald "$key" "$secret" >/dev/null
  garage bucket allow --read --write --owner "$BUCKET" --key herald >/dev/null

  # PostgreSQL: a fresh instance on loopback only, in a directory of its
  # own (its user must reach it, whatever the state directory's mode).
  local pg pgdir
  pg="$(free_port)"
  pgdir="$(mktemp -d "${TMPDIR:-/tmp}/herald-pg.XXXXXX")"
  echo "$pgdir" >"$STATE/pg.dir"
  echo "$pg" >"$STATE/pg.port"
  [ "$(id -u)" -eq 0 ] && chown postgres "$pgdir"
  as_postgres "$(pg_bin)/initdb" -D "$pgdir/data" -A trust -U herald >"$STATE/pg.log" 2>&1
  start_database

  # The replicas.
  local urls=() pids=()
  for n in $(seq 1 "${HERALD_REPLICAS:-2}"); do
    local port dir
    port="$(free_port)"; dir="$STATE/replica-$n"
    mkdir -p "$dir"
    (
      cd "$dir"
      HERALD_SERVER_ADDR="127.0.0.1:$port" HERALD_CACHE_DIR="$dir/cache" \
        HERALD_STORE_URL="s3://$BUCKET/herald" HERALD_STORE_ENDPOINT="http://127.0.0.1:$s3" \
        HERALD_STORE_REGION=garage HERALD_STORE_ALLOW_HTTP=true \
        HERALD_STORE_ACCESS_KEY_ID="$key" HERALD_STORE_SECRET_ACCESS_KEY="$secret" \
        HERALD_DATABASE_URL="postgres://herald@127.0.0.1:$pg/postgres" \
        nohup "$herald" serve >"$dir/log" 2>&1 &
      echo $! >"$STATE/replica-$n.pid"
    )
    urls+=("http://127.0.0.1:$port"); pids+=("$(cat "$STATE/replica-$n.pid")")
  done
  for url in "${urls[@]}"; do wait_for "curl -sf $url/healthz" 120; done
  trap - ERR
  echo "HERALD_URLS=${urls[*]}"
  echo "HERALD_PIDS=${pids[*]}"
  # The store, for a test that reaches it another way (through a proxy).
  echo "HERALD_STORE_S3=127.0.0.1:$s3 $BUCKET $key $secret"
}

down() {
  [ -d "$STATE" ] || return 0
  for file in "$STATE"/replica-*.pid; do [ -e "$file" ] && stop_pid "$file"; done
  stop_pid "$STATE/postgres.pid" INT # PostgreSQL's fast shutdown
  stop_pid "$STATE/garage.pid"
  [ -f "$STATE/pg.dir" ] && rm -rf "$(cat "$STATE/pg.dir")"
  rm -rf "$STATE"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  stop-store) stop_pid "$STATE/garage.pid" ;;
  start-store) start_garage ;;
  stop-database) stop_pid "$STATE/postgres.pid" INT ;;
  start-database) start_database ;;
  *) echo "usage: $0 up|down|stop-store|start-store|stop-database|start-database" >&2; exit 2 ;;
esac
