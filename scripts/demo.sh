#!/usr/bin/env bash
# hsign's main job on an example, on a fresh machine with the Rust toolchain: install hsign, make a key pair,
# sign a release file, verify it, show that a tampered copy fails, and verify a bundle recorded in the public Rekor
# log offline. Usage: scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
cargo install --locked --quiet --path cli --root target/demo-install
HSIGN="$PWD/target/demo-install/bin/hsign"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export HSIGN_PASSWORD=demo-password
echo "hsign release v1.0 - $(date -u +%FT%TZ)" > release.tar
set -x
"$HSIGN" generate-key-pair
"$HSIGN" sign-blob --tlog-upload=false --key cosign.key --bundle release.tar.sigstore.json release.tar
"$HSIGN" verify-blob --key cosign.pub --bundle release.tar.sigstore.json --insecure-ignore-tlog release.tar
echo tampered >> release.tar
if "$HSIGN" verify-blob --key cosign.pub --bundle release.tar.sigstore.json --insecure-ignore-tlog release.tar; then
  echo "BUG: a tampered file verified" >&2; exit 1
else
  echo "tampered copy rejected (exit $?)"
fi
set +x
# A real bundle recorded in the public-good Rekor log, verified offline: signature, SET, inclusion proof and
# signed checkpoint, with the trusted root built into hsign.
case_dir="$root/tests/data/vectors/bundles/sigstore-conformance/bundle-verify/managed-key-happy-path"
set -x
"$HSIGN" verify-blob --key "$case_dir/key.pub" --bundle "$case_dir/bundle.sigstore.json" "$case_dir/../../a.txt"
