#!/usr/bin/env bash
# Sets up the machine and runs Herald's whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --test
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked
# Benchmarks are not run here (see BENCHMARKS.md), only kept compiling.
cargo check --locked --benches
# Real-browser tests of the pages (Chromium via playwright-core, axe-core).
npm ci --no-audit --no-fund
HERALD_BIN=target/debug/herald npm test
