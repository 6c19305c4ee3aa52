#!/usr/bin/env bash
# Step 2 of the hsign action: installs hsign into a fresh directory under $RUNNER_TEMP and adds it to
# $GITHUB_PATH; the step output `hsign` is the binary's path, which the next step runs.
#
# IN_VERSION:
# - `source` (the default) builds the action's own checkout ($GITHUB_ACTION_PATH/cli) with
#   `cargo install --locked`: the binary is exactly the action commit the workflow pinned.
# - a release version (`0.1.0`, `v0.1.0`) or `latest` (the tag <release-url>/latest redirects to) downloads
#   hsign-<version>-<target>.tar.gz from <release-url>/download/v<version>/ and checks its SHA-256 against
#   action/checksums.txt of this action commit before extracting it. A version that file does not list is
#   refused unless IN_ALLOW_UNPINNED_RELEASE is true; then the release's own .sha256 is used, with a warning
#   (it catches a corrupted download, not a replaced release).
# IN_RELEASE_URL: default https://github.com/<action repository>/releases.
#
# An hsign already on PATH is never reused: the action runs only the binary it installed and checked.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

: "${RUNNER_TEMP:?RUNNER_TEMP is not set (not running in GitHub Actions?)}"
: "${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set (not running in GitHub Actions?)}"
version=$(trim "${IN_VERSION:-source}")
[ -n "$version" ] || version=source
no_control version "$version"
bool_input ALLOW_UNPINNED_RELEASE allow-unpinned-release "${IN_ALLOW_UNPINNED_RELEASE:-}"
checksums="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/checksums.txt"
dest=$(mktemp -d "$RUNNER_TEMP/hsign-install.XXXXXX")

# The release targets (action/checksums.txt lists one asset per version and target).
TARGETS="x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-apple-darwin aarch64-apple-darwin"

# sha256_of FILE: prints the hex SHA-256 of FILE.
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
      fail "cannot tell which repository this action was loaded from (uses: ./ ?): set release-url, or use version: source"
    BASE="https://github.com/$repo/releases"
  fi
  BASE=${BASE%/}
  check_release_url "$BASE"
}

# Sets CURL: curl with timeouts and retries; for https, https only (redirects too) and TLS 1.2 or later.
curl_command() {
  CURL=(curl --fail --silent --show-error --location --max-redirs 10 --connect-timeout 20 --max-time 300
    --retry 3 --retry-delay 2)
  case "$BASE" in
    https://*) CURL+=(--proto '=https' --proto-redir '=https' --tlsv1.2) ;;
    # check_release_url allowed plain HTTP to this machine only; redirects stay on http(s).
    *) CURL+=(--proto '=http' --proto-redir '=http,https') ;;
  esac
}

# pinned_checksum ASSET VERSION: sets PINNED to the SHA-256 action/checksums.txt lists for ASSET (empty when
# not listed) and VERSION_LISTED to true when the file lists VERSION for any target.
pinned_checksum() {
  local asset=$1 v=$2 sum name t n=0
  PINNED=""
  VERSION_LISTED=false
  [ -f "$checksums" ] || return 0
  while read -r sum name _ || [ -n "$sum" ]; do
    n=$((n + 1))
    case "$sum" in '' | '#'*) continue ;; esac
    sum=$(printf '%s' "$sum" | tr 'A-F' 'a-f')
    if ! [[ $sum =~ ^[0-9a-f]{64}$ ]] || [ -z "$name" ]; then
      fail "action/checksums.txt line $n is not '<sha256>  hsign-<version>-<target>.tar.gz'"
    fi
    name=${name#\*}
    for t in $TARGETS; do
      [ "$name" != "hsign-$v-$t.tar.gz" ] || VERSION_LISTED=true
    done
    if [ "$name" = "$asset" ]; then
      [ -z "$PINNED" ] || [ "$PINNED" = "$sum" ] ||
        fail "action/checksums.txt lists $asset twice with different checksums"
      PINNED=$sum
    fi
  done <"$checksums"
}

if [ "$version" = source ]; then
  command -v cargo >/dev/null 2>&1 ||
    fail "version: source builds hsign with cargo, which is not installed (add a Rust toolchain step first, or use a release version)"
  if [ ! -f "$GITHUB_ACTION_PATH/cli/Cargo.toml" ] || [ ! -f "$GITHUB_ACTION_PATH/Cargo.lock" ]; then
    fail "version: source builds the action's checkout, but $GITHUB_ACTION_PATH has no cli/Cargo.toml and Cargo.lock"
  fi
  echo "Building hsign from $GITHUB_ACTION_PATH (cargo install --locked)"
  # The build's output (crates' build scripts included) is printed with workflow commands stopped.
  status=0
  stop_commands
  cargo install --locked --root "$dest" --path "$GITHUB_ACTION_PATH/cli" </dev/null || status=$?
  resume_commands
  [ "$status" = 0 ] || fail "cargo install --locked failed (exit $status); see the log above"
  bin="$dest/bin/hsign"
  [ -x "$bin" ] || fail "cargo install did not produce $bin"
else
  release_base
  base=$BASE
  curl_command
  if [ "$version" = latest ]; then
    # GitHub answers /releases/latest with a redirect to /releases/tag/<tag>.
    if ! effective=$("${CURL[@]}" -o /dev/null -w '%{url_effective}' "$base/latest"); then
      fail "could not resolve the latest release at $base/latest (no release yet? use version: source)"
    fi
    tag=${effective##*/}
    if [ "$effective" = "$base/latest" ] || ! [[ $tag =~ $VERSION_RE ]]; then
      fail "$base/latest did not redirect to a release tag (it ended at '$effective'): no release yet, or release-url is not a releases page; set version to source or to a release version"
    fi
    version=$tag
    echo "latest is $version"
  fi
  [[ $version =~ $VERSION_RE ]] ||
    fail "version must be a release version such as 0.1.0, latest or source, got '$version'"
  version=${version#v}
  target_triple
  target=$TARGET
  asset="hsign-$version-$target.tar.gz"
  url="$base/download/v$version/$asset"

  # Decide which checksum to trust before downloading anything.
  pinned_checksum "$asset" "$version"
  if [ -n "$PINNED" ]; then
    expected=$PINNED
    source_of_expected="action/checksums.txt"
  elif [ "$VERSION_LISTED" = true ]; then
    fail "hsign $version is pinned in action/checksums.txt, but not for $target ($asset is not listed): use version: source"
  elif [ "$ALLOW_UNPINNED_RELEASE" = true ]; then
    gh_warning "hsign action" "hsign $version is not pinned in this action's action/checksums.txt: trusting the release's own $asset.sha256 (allow-unpinned-release), which detects a corrupted download but not a replaced release"
    expected=""
    source_of_expected="$url.sha256"
  else
    fail "hsign $version is not pinned in this action's action/checksums.txt, so nothing ties the download to the action commit you pinned: use version: source (the default, built from this action commit), a version listed there, or set allow-unpinned-release: true to trust the release's own .sha256"
  fi

  download="$dest/download"
  mkdir -p "$download"
  echo "Downloading $url"
  "${CURL[@]}" -o "$download/$asset" "$url" || fail "downloading $url failed"
  if [ -z "$expected" ]; then
    "${CURL[@]}" -o "$download/$asset.sha256" "$url.sha256" || fail "downloading $url.sha256 failed"
    # `sha256sum` format: the hex digest, optionally followed by the file name.
    expected=$(head -n 1 "$download/$asset.sha256" | cut -d' ' -f1 | tr 'A-F' 'a-f')
    [[ $expected =~ ^[0-9a-f]{64}$ ]] || fail "$url.sha256 does not hold a SHA-256 digest"
  fi
  actual=$(sha256_of "$download/$asset")
  [ "$actual" = "$expected" ] ||
    fail "checksum mismatch for $asset: $source_of_expected says $expected, the download is $actual"
  echo "Checksum OK ($source_of_expected): sha256:$actual"
  tar -xzf "$download/$asset" -C "$dest" --no-same-owner
  rm -rf "$download"
  # The archive holds hsign at its root or in hsign-<version>-<target>/.
  bin=""
  for candidate in "$dest/hsign" "$dest/hsign-$version-$target/hsign"; do
    if [ -f "$candidate" ]; then
      bin=$candidate
      break
    fi
  done
  [ -n "$bin" ] || fail "$asset holds no hsign binary (at its root or in hsign-$version-$target/)"
  chmod +x "$bin"
  got=$("$bin" --version </dev/null 2>/dev/null || true)
  [ "$got" = "hsign $version" ] || fail "$asset holds '$got', expected 'hsign $version'"
fi

installed=$("$bin" --version </dev/null)
[[ $installed =~ ^hsign\ [0-9A-Za-z.+-]+$ ]] || fail "$bin --version printed '$installed', expected 'hsign <version>'"
echo "Installed $installed"
dirname "$bin" >>"$GITHUB_PATH"
set_output hsign "$bin"
set_output version "${installed#hsign }"
