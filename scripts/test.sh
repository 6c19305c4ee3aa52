#!/usr/bin/env bash
# Runs every hsign test on a fresh Debian machine with the Rust toolchain, installing what the tests need:
# Node.js/npm and the sigstore-js peer (npm ci), and the sigstore-rs peer (a separate Cargo project built
# into target/peers). Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

# System packages the peers need. Root installs directly; others need sudo.
missing=()
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v sha256sum >/dev/null 2>&1 || missing+=(coreutils)
if ((${#missing[@]})); then
  step "installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

step "sigstore-js peer (tests/peers/node)"
(cd tests/peers/node && npm ci --no-audit --no-fund --loglevel=error)

step "sigstore-rs peer (tests/peers/sigstore-rs-peer)"
CARGO_TARGET_DIR="$PWD/target/peers" cargo build --release --locked -q \
  --manifest-path tests/peers/sigstore-rs-peer/Cargo.toml

step "formatting and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -q -- -D warnings

step "tests"
cargo build --locked -q -p hsign
cargo test --workspace --locked
