#!/usr/bin/env bash
# Builds Garage (the S3-compatible object store the replica tests and
# `scripts/cluster.sh` run) from crates.io, once per machine, into a cache
# outside the clone, and prints the binary's path. Garage is AGPL; it runs as
# a separate process and is never linked into Herald. The first build takes
# about 10 minutes on 2 cores; later runs find the binary and return at once.
set -euo pipefail

GARAGE_VERSION="2.5.0"
ROOT="${HERALD_CI_CACHE:-$HOME/.cache/herald-ci}/garage-$GARAGE_VERSION"
BIN="$ROOT/bin/garage"
if [ ! -x "$BIN" ]; then
  echo "garage: building $GARAGE_VERSION into $ROOT (once per machine)" >&2
  cargo install --locked --quiet garage --version "=$GARAGE_VERSION" --root "$ROOT" >&2
fi
echo "$BIN"
