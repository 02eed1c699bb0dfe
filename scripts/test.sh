#!/usr/bin/env bash
# Sets up the machine and runs Herald's whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --test
cargo fmt --all --check
# The fault engine (a test-only engine that misbehaves on command) is built in for the tests.
cargo clippy --locked --all-targets --features fault-engine -- -D warnings
cargo test --locked --features fault-engine
# Benchmarks are not run here (see BENCHMARKS.md), only kept compiling.
cargo check --locked --benches
# Real-browser tests of the pages (Chromium via playwright-core, axe-core).
# Ace by DAISY's Puppeteer must download no browser in its postinstall (an npm
# that runs install scripts would, and fail offline): the tests use Debian's.
export PUPPETEER_SKIP_DOWNLOAD=1
npm ci --no-audit --no-fund
HERALD_BIN=target/debug/herald npm test
