#!/usr/bin/env bash
# Large attestation benchmark: a ~50 MiB CycloneDX predicate through attest-blob and verify-blob-attestation,
# wall time and peak RSS (target: within 3x the predicate size). Usage: scripts/bench-sbom.sh [MIB] (default 50)
set -euo pipefail
cd "$(dirname "$0")/.."
mib=${1:-50}
command -v /usr/bin/time >/dev/null 2>&1 || { apt-get update -q && apt-get install -y -q time; }
cargo build --release --locked -q -p hsign
HSIGN="$PWD/target/release/hsign"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export HSIGN_PASSWORD=bench
"$HSIGN" -q generate-key-pair
python3 - "$mib" <<'PY'
import json, sys
target = int(sys.argv[1]) * 1024 * 1024
comps, size, i = [], 0, 0
while size < target:
    c = {"type": "library", "bom-ref": f"pkg:npm/example-{i}@1.{i % 50}", "name": f"example-{i}",
         "version": f"1.{i % 50}", "purl": f"pkg:npm/example-{i}@1.{i % 50}",
         "licenses": [{"license": {"id": "MIT"}}], "description": "component " + "x" * 200}
    comps.append(c); size += len(json.dumps(c)) + 1; i += 1
json.dump({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": comps}, open("sbom.json", "w"))
PY
echo artifact > art
printf 'predicate: %s bytes\n' "$(stat -c %s sbom.json)"
t() { /usr/bin/time -f "%e s, peak RSS %M KB" "$@" 2>&1 >/dev/null | tail -1; }
echo "attest-blob:                       $(t "$HSIGN" -q attest-blob --tlog-upload=false --key cosign.key --predicate sbom.json --type cyclonedx --bundle b.json --output-signature e.json art)"
echo "verify-blob-attestation (bundle):  $(t "$HSIGN" -q verify-blob-attestation --key cosign.pub --bundle b.json --type cyclonedx --insecure-ignore-tlog art)"
echo "verify-blob-attestation (envelope): $(t "$HSIGN" -q verify-blob-attestation --key cosign.pub --signature e.json --type cyclonedx --insecure-ignore-tlog art)"
