#!/usr/bin/env bash
# Air-gap transport benchmark: copy, save and load of an image with a 1 GiB layer (time, peak RSS), and
# skopeo copy for scale. Needs docker-registry and skopeo (scripts/test.sh installs both).
# Usage: scripts/bench-transfer.sh  (BENCH_LAYER_MIB=N to change the layer size)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q -p hsign
HSIGN_BIN="$PWD/target/release/hsign" cargo bench --locked -q -p hsign-e2e --bench transfer
