#!/usr/bin/env bash
# Blob signing and verification speed and memory: signs and verifies a large file with a release build of
# hsign and prints wall time and peak RSS next to `openssl dgst -sha256` over the same file (one pass over the
# bytes: the practical limit). Usage: scripts/bench.sh [SIZE_MIB] (default 1024). Results go in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
runs=${RUNS:-3}
command -v /usr/bin/time >/dev/null 2>&1 || { apt-get update -q && apt-get install -y -q time; }
cargo build --release --locked -q -p hsign
HSIGN="$PWD/target/release/hsign"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export HSIGN_PASSWORD=bench
"$HSIGN" -q generate-key-pair
# The same kind of key unencrypted, to separate the file's cost from scrypt's fixed 64 MiB / ~0.2 s.
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkcs8 -topk8 -nocrypt -out plain.pem
head -c "$((size_mib * 1024 * 1024))" /dev/urandom > blob
"$HSIGN" -q sign-blob --tlog-upload=false --key cosign.key --bundle blob.bundle blob   # warm the page cache

measure() { # name, command...: best wall time of $runs and its peak RSS
  local name=$1; shift
  local best="" rss=""
  for _ in $(seq "$runs"); do
    /usr/bin/time -f '%e %M' -o t.out "$@" >/dev/null 2>&1
    read -r wall kb < t.out
    if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then best=$wall; rss=$kb; fi
  done
  printf '%-28s %8s s %10s MiB\n' "$name" "$best" "$(awk "BEGIN{printf \"%.1f\", $rss/1024}")"
  echo "$best" > "$name.wall"
}

echo "file: ${size_mib} MiB, best of $runs; $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
measure "openssl dgst -sha256" openssl dgst -sha256 blob
measure "hsign sign-blob" "$HSIGN" -q sign-blob --tlog-upload=false --key cosign.key --bundle blob.bundle blob
measure "hsign sign-blob (plain key)" "$HSIGN" -q sign-blob --tlog-upload=false --key plain.pem --bundle blob2.bundle blob
measure "hsign verify-blob" "$HSIGN" -q verify-blob --key cosign.pub --bundle blob.bundle --insecure-ignore-tlog blob
base=$(cat "openssl dgst -sha256.wall")
for n in "hsign sign-blob" "hsign sign-blob (plain key)" "hsign verify-blob"; do
  awk -v a="$(cat "$n.wall")" -v b="$base" -v n="$n" 'BEGIN{printf "%-28s %.2fx openssl\n", n, a/b}'
done
