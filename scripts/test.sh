#!/usr/bin/env bash
# Sets up the machine and runs Herald's whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo test --locked --all-targets
