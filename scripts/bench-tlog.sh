#!/usr/bin/env bash
# Offline verification of 1,000 bundles with log entries (SET + inclusion proof + checkpoint): hsign's verifier
# next to sigstore-js's @sigstore/verify on the same files, in one process and one bundle per process. Needs the
# sigstore-js peer (scripts/test.sh installs it). Usage: scripts/bench-tlog.sh  (BENCH_BUNDLES=N for another count)
set -euo pipefail
cd "$(dirname "$0")/.."
(cd tests/peers/node && [ -d node_modules ] || npm ci --silent)
cargo build --release --locked -q -p hsign
HSIGN_BIN="$PWD/target/release/hsign" cargo bench --locked -q -p hsign-e2e --bench tlog
