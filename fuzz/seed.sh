#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ (git-ignored) with real files from tests/data/vectors/.
# Run from anywhere; files are named by a hash of their contents (re-running is idempotent).
set -euo pipefail

fuzz_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
vectors="$fuzz_dir/../tests/data/vectors"
corpus="$fuzz_dir/corpus"

if [ ! -d "$vectors" ]; then
    echo "seed.sh: $vectors not found" >&2
    exit 1
fi

# seed TARGET FILE...: copy each file into the target's corpus under its content hash.
seed() {
    local target="$1"; shift
    mkdir -p "$corpus/$target"
    local n=0 f
    for f in "$@"; do
        [ -f "$f" ] || continue
        cp "$f" "$corpus/$target/$(sha256sum "$f" | cut -c1-40)"
        n=$((n + 1))
    done
    echo "seed.sh: $target: $n files"
}

mapfile -t keys < <(find "$vectors/keys" -type f \( -name '*.key' -o -name '*.pub' \) | sort)
mapfile -t bundles < <(find "$vectors/bundles" -type f -name '*.json' | sort)
mapfile -t sigstore_bundles < <(find "$vectors/bundles" -type f -name '*.sigstore.json' | sort)
mapfile -t envelopes < <(find "$vectors/blob/cosign-attest-blob" -type f -name '*.dsse.json' | sort)
mapfile -t legacy < <(find "$vectors/blob" -type f -name '*.bundle' | sort)

seed key_pem "${keys[@]}"
seed bundle "${bundles[@]}"
seed signed_entity "${sigstore_bundles[@]}" "${envelopes[@]}" "${legacy[@]}"
seed dsse_statement "${envelopes[@]}"

# The in-toto statements inside the envelopes, so dsse_statement starts with valid statements too.
for f in "${envelopes[@]}"; do
    sed -n 's/.*"payload" *: *"\([A-Za-z0-9+\/=_-]*\)".*/\1/p' "$f" | head -n1 | base64 -d \
        > "$corpus/dsse_statement/statement-$(basename "$f" .dsse.json)" 2>/dev/null || true
done
# Rekor v1 API entries (keyed by UUID and bare), log infos, proofs and proposed entries for log_entry.
mapfile -t rekor < <(find "$vectors/rekor" -type f -name '*.json' | sort)
seed log_entry "${rekor[@]}"

# The signed notes inside them (log infos' signedTreeHead, inclusion proofs' checkpoint, bundles'
# checkpoint.envelope), one raw note per file, for checkpoint; the state files hsign writes are JSON too.
mkdir -p "$corpus/checkpoint"
if command -v jq >/dev/null; then
    n=0
    for f in "${rekor[@]}" "${sigstore_bundles[@]}"; do
        while IFS= read -r note; do
            out="$corpus/checkpoint/note-$(printf '%s' "$note" | sha256sum | cut -c1-40)"
            jq -j . <<<"$note" > "$out"
            n=$((n + 1))
        done < <(jq -c '.. | objects | (.signedTreeHead?, .checkpoint?, .envelope?) | strings | select(test("\n\n"))' "$f" 2>/dev/null)
    done
    echo "seed.sh: checkpoint: $n notes"
else
    echo "seed.sh: jq not found: checkpoint corpus not seeded from the vectors" >&2
fi
seed checkpoint "${rekor[@]}"

echo "seed.sh: done; corpora in $corpus"
