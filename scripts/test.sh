#!/usr/bin/env bash
# Runs every hsign test on a fresh Debian machine with the Rust toolchain, installing what the tests need:
# Node.js/npm and the sigstore-js peer (npm ci), sigstore-python 4.5.1 in a venv (target/peers/py), the
# sigstore-rs peer (a separate Cargo project built into target/peers), and the OCI registry tools
# (docker-registry, htpasswd, skopeo), jq and check-jsonschema (the GitHub Action's tests). Usage:
# scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

# System packages the peers need. Root installs directly; others need sudo. apt runs only when something
# is missing.
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
missing=()
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v sha256sum >/dev/null 2>&1 || missing+=(coreutils)
command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
# The GitHub Action (action/run.sh) reads hsign's JSON report with jq.
command -v jq >/dev/null 2>&1 || missing+=(jq)
# The OCI registry (distribution 2.8): the tests start their own instances on 127.0.0.1 with free ports.
# Its postinst would start a system registry on *:5000, so it is installed under a policy-rc.d that forbids
# service starts; the one found (if any) is put back afterwards, and the unit is not enabled for boot.
registry_missing=0
command -v docker-registry >/dev/null 2>&1 || { registry_missing=1; missing+=(docker-registry); }
if ((${#missing[@]})); then
  step "installing ${missing[*]}"
  policy=/usr/sbin/policy-rc.d
  policy_backup=""
  restore_policy() {
    if [ -n "$policy_backup" ]; then
      $SUDO mv -f "$policy_backup" "$policy"
    else
      $SUDO rm -f "$policy"
    fi
  }
  if ((registry_missing)); then
    if [ -e "$policy" ]; then
      policy_backup="$(mktemp -u "$policy.hsign-XXXXXX")"
      $SUDO cp -p "$policy" "$policy_backup"
    fi
    printf '#!/bin/sh\n# hsign scripts/test.sh: no service starts while installing docker-registry\nexit 101\n' |
      $SUDO tee "$policy" >/dev/null
    $SUDO chmod 755 "$policy"
    trap restore_policy EXIT
  fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  if ((registry_missing)); then
    restore_policy
    trap - EXIT
    # Not at boot either, and stop it should anything have started it anyway.
    if [ -d /run/systemd/system ]; then
      $SUDO systemctl disable --now --quiet docker-registry.service >/dev/null 2>&1 || true
    else
      $SUDO update-rc.d docker-registry disable >/dev/null 2>&1 || true
      $SUDO /etc/init.d/docker-registry stop >/dev/null 2>&1 || true
    fi
  fi
fi

step "sigstore-js peer (tests/peers/node)"
(cd tests/peers/node && npm ci --no-audit --no-fund --loglevel=error)

step "sigstore-rs peer (tests/peers/sigstore-rs-peer)"
CARGO_TARGET_DIR="$PWD/target/peers" cargo build --release --locked -q \
  --manifest-path tests/peers/sigstore-rs-peer/Cargo.toml

# sigstore-python in a venv (target/peers/py). A failed install only warns here: the interop test then
# fails with a clear message, unless HSIGN_SKIP_PYTHON_PEER=1 says to skip it.
step "sigstore-python peer (target/peers/py)"
PY_PEER="$PWD/target/peers/py"
SIGSTORE_PY_VERSION=4.5.1
if "$PY_PEER/bin/python" -m pip show sigstore 2>/dev/null | grep -qx "Version: $SIGSTORE_PY_VERSION"; then
  echo "sigstore $SIGSTORE_PY_VERSION already installed"
elif ! python3 -m venv "$PY_PEER" >/dev/null 2>&1; then
  printf '\n!!! WARNING: `python3 -m venv` does not work here: sigstore-python is NOT installed;\n' >&2
  printf '!!! the python_interop test will fail (set HSIGN_SKIP_PYTHON_PEER=1 to skip it).\n\n' >&2
elif ! "$PY_PEER/bin/python" -m pip install -q --disable-pip-version-check "sigstore==$SIGSTORE_PY_VERSION"; then
  printf '\n!!! WARNING: pip could not install sigstore==%s into %s (is PyPI reachable?);\n' \
    "$SIGSTORE_PY_VERSION" "$PY_PEER" >&2
  printf '!!! the python_interop test will fail (set HSIGN_SKIP_PYTHON_PEER=1 to skip it).\n\n' >&2
fi

# check-jsonschema in the same venv: the action tests validate action.yml and examples/deploy.yml against
# GitHub's schemas (bundled with it, so pinned with it). Same convention as sigstore-python.
step "check-jsonschema (target/peers/py)"
CHECK_JSONSCHEMA_VERSION=0.39.0
if "$PY_PEER/bin/python" -m pip show check-jsonschema 2>/dev/null | grep -qx "Version: $CHECK_JSONSCHEMA_VERSION"; then
  echo "check-jsonschema $CHECK_JSONSCHEMA_VERSION already installed"
elif [ ! -x "$PY_PEER/bin/python" ] ||
  ! "$PY_PEER/bin/python" -m pip install -q --disable-pip-version-check \
    "check-jsonschema==$CHECK_JSONSCHEMA_VERSION"; then
  printf '\n!!! WARNING: check-jsonschema==%s is NOT installed into %s;\n' "$CHECK_JSONSCHEMA_VERSION" "$PY_PEER" >&2
  printf '!!! the action schema tests will fail (set HSIGN_SKIP_PYTHON_PEER=1 to skip them).\n\n' >&2
fi

step "formatting and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -q -- -D warnings

step "tests"
cargo build --locked -q -p hsign
cargo test --workspace --locked
