#!/usr/bin/env bash
# Step 2 of the hsign action: installs hsign into a fresh directory under $RUNNER_TEMP and adds it to
# $GITHUB_PATH; the step output `hsign` is the binary's path, which the next step runs.
#
# IN_VERSION: `source` builds the action's own checkout ($GITHUB_ACTION_PATH/cli) with cargo; otherwise a
# release version (`0.1.0`, `v0.1.0`) or `latest`, downloaded as hsign-<version>-<target>.tar.gz from
# <release-url>/download/v<version>/ with its .sha256, and checked against it before extraction.
# IN_RELEASE_URL: default https://github.com/<action repository>/releases.
#
# An hsign already on PATH is never reused: the action runs only the binary it installed and checked.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

: "${RUNNER_TEMP:?RUNNER_TEMP is not set (not running in GitHub Actions?)}"
version=$(trim "${IN_VERSION:-latest}")
[ -n "$version" ] || version=latest
dest=$(mktemp -d "$RUNNER_TEMP/hsign-install.XXXXXX")

# SHA256 FILE: prints the hex SHA-256 of FILE.
if command -v sha256sum >/dev/null 2>&1; then
  sha256_of() { sha256sum "$1" | cut -d' ' -f1; }
elif command -v shasum >/dev/null 2>&1; then
  sha256_of() { shasum -a 256 "$1" | cut -d' ' -f1; }
elif [ "$version" != source ]; then
  fail "neither sha256sum nor shasum is installed: cannot check the download"
fi

# Sets TARGET: the Rust target triple of the release asset for this runner.
target_triple() {
  local os arch
  case "$(uname -m)" in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) fail "no hsign release for the architecture $(uname -m); use version: source" ;;
  esac
  case "$(uname -s)" in
    Linux) os=unknown-linux-gnu ;;
    Darwin) os=apple-darwin ;;
    *) fail "no hsign release for $(uname -s) runners; use version: source" ;;
  esac
  TARGET="$arch-$os"
}

# Sets BASE: the releases base URL, the input, else the action's repository on github.com. github.action_repository is
# empty in composite actions' run steps on some runners (actions/runner#2473); the checkout path
# .../_actions/OWNER/REPO/REF names it too.
release_base() {
  local repo=${ACTION_REPOSITORY:-} rest
  BASE=$(trim "${IN_RELEASE_URL:-}")
  if [ -z "$BASE" ]; then
    if [ -z "$repo" ]; then
      case "${GITHUB_ACTION_PATH:-}" in
        */_actions/*/*/*)
          rest=${GITHUB_ACTION_PATH#*/_actions/}
          repo="${rest%%/*}/$(printf '%s' "${rest#*/}" | cut -d/ -f1)"
          ;;
      esac
    fi
    [ -n "$repo" ] ||
      fail "cannot tell which repository this action was loaded from: set release-url, or use version: source"
    BASE="https://github.com/$repo/releases"
  fi
  BASE=${BASE%/}
  no_control release-url "$BASE"
  case "$BASE" in
    https://*) ;;
    # Plain HTTP only to this machine (a local mirror or a test server).
    http://127.0.0.1:* | http://127.0.0.1/* | http://localhost:* | http://localhost/* | http://\[::1\]*) ;;
    *) fail "release-url must be an https:// URL, got '$BASE'" ;;
  esac
}

if [ "$version" = source ]; then
  command -v cargo >/dev/null 2>&1 ||
    fail "version: source builds hsign with cargo, which is not installed (add a Rust toolchain step first)"
  echo "Building hsign from $GITHUB_ACTION_PATH"
  cargo install --locked --root "$dest" --path "$GITHUB_ACTION_PATH/cli"
  bin="$dest/bin/hsign"
else
  release_base
  base=$BASE
  if [ "$version" = latest ]; then
    # GitHub answers /releases/latest with a redirect to /releases/tag/<tag>.
    if ! effective=$(curl -fsSL --retry 3 -o /dev/null -w '%{url_effective}' "$base/latest"); then
      fail "could not resolve the latest release at $base/latest"
    fi
    version=${effective##*/}
  fi
  version=${version#v}
  [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] ||
    fail "version must be a release version such as 0.1.0, latest or source, got '$version'"
  target_triple
  target=$TARGET
  asset="hsign-$version-$target.tar.gz"
  url="$base/download/v$version/$asset"
  download="$dest/download"
  mkdir -p "$download"
  echo "Downloading $url"
  curl -fsSL --retry 3 -o "$download/$asset" "$url" || fail "downloading $url failed"
  curl -fsSL --retry 3 -o "$download/$asset.sha256" "$url.sha256" || fail "downloading $url.sha256 failed"
  # `sha256sum` format: the hex digest, optionally followed by the file name.
  expected=$(head -n 1 "$download/$asset.sha256" | cut -d' ' -f1 | tr 'A-F' 'a-f')
  [[ $expected =~ ^[0-9a-f]{64}$ ]] || fail "$url.sha256 does not hold a SHA-256 digest"
  actual=$(sha256_of "$download/$asset")
  [ "$actual" = "$expected" ] ||
    fail "checksum mismatch for $asset: $url.sha256 says $expected, the download is $actual"
  echo "Checksum OK: sha256:$actual"
  tar -xzf "$download/$asset" -C "$dest" --no-same-owner
  rm -rf "$download"
  # The archive holds hsign at its root or in hsign-<version>-<target>/.
  bin=""
  for candidate in "$dest/hsign" "$dest/hsign-$version-$target/hsign"; do
    if [ -f "$candidate" ]; then bin=$candidate; break; fi
  done
  [ -n "$bin" ] || fail "$asset holds no hsign binary (at its root or in hsign-$version-$target/)"
  chmod +x "$bin"
  got=$("$bin" --version 2>/dev/null || true)
  [ "$got" = "hsign $version" ] || fail "$asset holds '$got', expected 'hsign $version'"
fi

"$bin" --version
dirname "$bin" >>"$GITHUB_PATH"
set_output hsign "$bin"
set_output version "$("$bin" --version | cut -d' ' -f2)"
