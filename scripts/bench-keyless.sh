#!/usr/bin/env bash
# Offline verification of 1,000 keyless bundles (public-good conformance bundles: chain, SCT, SET, proof,
# checkpoint, identity): hsign next to sigstore-js's @sigstore/verify and sigstore-python 4.5.1, in one process and
# one bundle per process. Installs sigstore-python into target/peers/py (needs PyPI) and the sigstore-js peer.
# Usage: scripts/bench-keyless.sh  (BENCH_BUNDLES=N for another count)
set -euo pipefail
cd "$(dirname "$0")/.."
(cd tests/peers/node && [ -d node_modules ] || npm ci --silent)
if [ ! -x target/peers/py/bin/sigstore ]; then
  python3 -m venv target/peers/py
  target/peers/py/bin/pip install -q sigstore==4.5.1
fi
cargo build --release --locked -q -p hsign
HSIGN_BIN="$PWD/target/release/hsign" cargo bench --locked -q -p hsign-e2e --bench keyless
