#!/usr/bin/env bash
# Deploy gate benchmark: N images against a 2-of-3 policy with an attestation condition, one
# `hsign verify --policy` call vs three hsign processes per image. Needs docker-registry (scripts/test.sh).
# Usage: scripts/bench-gate.sh  (BENCH_IMAGES=N to change the count)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q -p hsign
HSIGN_BIN="$PWD/target/release/hsign" cargo bench --locked -q -p hsign-e2e --bench gate
