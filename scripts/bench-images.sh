#!/usr/bin/env bash
# Image verification benchmark: request counts per verify, and 200 images in one call vs one process each vs the
# sigstore crate. Needs what scripts/test.sh installs (docker-registry, the sigstore-rs peer).
# Usage: scripts/bench-images.sh  (BENCH_IMAGES=N to change the count)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q -p hsign
CARGO_TARGET_DIR="$PWD/target/peers" cargo build --release --locked -q --manifest-path tests/peers/sigstore-rs-peer/Cargo.toml
HSIGN_BIN="$PWD/target/release/hsign" cargo bench --locked -q -p hsign-e2e --bench images
