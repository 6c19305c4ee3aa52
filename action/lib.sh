# shellcheck shell=bash
# Helpers shared by the scripts of the hsign action (sourced by check.sh, install.sh and run.sh).
# Inputs arrive as IN_* environment variables (action.yml maps each `inputs.*` through `env:`), so no input is
# ever expanded into script text.

# Workflow-command escaping (https://github.com/actions/toolkit, command.ts): the message ("data") escapes %,
# CR and LF; a property value (title=...) also escapes : and ,.
gh_escape_data() {
  local s=$1
  s=${s//'%'/%25}
  s=${s//$'\r'/%0D}
  s=${s//$'\n'/%0A}
  printf '%s' "$s"
}

gh_escape_property() {
  local s
  s=$(gh_escape_data "$1")
  s=${s//:/%3A}
  s=${s//,/%2C}
  printf '%s' "$s"
}

# gh_error TITLE MESSAGE: one error annotation.
gh_error() {
  printf '::error title=%s::%s\n' "$(gh_escape_property "$1")" "$(gh_escape_data "$2")"
}

# gh_warning TITLE MESSAGE: one warning annotation.
gh_warning() {
  printf '::warning title=%s::%s\n' "$(gh_escape_property "$1")" "$(gh_escape_data "$2")"
}

# fail MESSAGE: an error annotation titled "hsign action", then exit 1.
fail() {
  gh_error "hsign action" "$1"
  exit 1
}

# set_output NAME VALUE: appends to $GITHUB_OUTPUT in the multi-line form, with a random delimiter.
set_output() {
  local delim
  delim="hsign_$(random_hex)"
  printf '%s<<%s\n%s\n%s\n' "$1" "$delim" "$2" "$delim" >>"$GITHUB_OUTPUT"
}

random_hex() {
  od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
}

# stop_commands / resume_commands: between them the runner processes no workflow command (`::error::`,
# `##[error]`, ...) printed on stdout or stderr, so text from a registry, a server or a build cannot run one.
# The token is random, so that text cannot end the block either.
stop_commands() {
  STOP_TOKEN=$(random_hex)
  printf '::stop-commands::%s\n' "$STOP_TOKEN"
}

resume_commands() {
  printf '::%s::\n' "$STOP_TOKEN"
}

# print_untrusted FILE: prints FILE (text that may come from a registry or a server) on stdout between
# ::stop-commands:: markers, so a line in it that looks like a workflow command is not run as one.
print_untrusted() {
  [ -s "$1" ] || return 0
  stop_commands
  cat "$1"
  # A file without a final newline would glue the resume marker to its last line.
  [ -z "$(tail -c 1 "$1")" ] || printf '\n'
  resume_commands
}

# trim STRING: without surrounding whitespace (spaces, tabs, CR).
trim() {
  local s=$1
  s=${s#"${s%%[![:space:]]*}"}
  s=${s%"${s##*[![:space:]]}"}
  printf '%s' "$s"
}

# bool_input VAR NAME VALUE: sets VAR to true or false; anything else fails. (Not through a command
# substitution: the ::error line of a failure would be captured instead of printed.)
bool_input() {
  case "$(trim "$3")" in
    true | True | TRUE) printf -v "$1" true ;;
    false | False | FALSE | '') printf -v "$1" false ;;
    *) fail "input $2 must be true or false, got '$3'" ;;
  esac
}

# no_control NAME VALUE: fails when VALUE holds a newline or another control character (it is written into a
# generated policy file and passed on command lines).
no_control() {
  if [[ $2 =~ [[:cntrl:]] ]]; then
    fail "input $1 must be one line without control characters"
  fi
}

# The characters of an image reference (registry host and port, IPv6 brackets, path, tag, digest).
IMAGE_CHARS='^[][A-Za-z0-9._/:@+-]+$'

# read_images: fills the array IMAGES from IN_IMAGES, one reference a line; blank lines and surrounding
# whitespace are ignored. A reference holds only the characters of IMAGE_CHARS and cannot start with '-'.
read_images() {
  IMAGES=()
  local line
  while IFS= read -r line || [ -n "$line" ]; do
    line=$(trim "$line")
    [ -n "$line" ] || continue
    if [[ $line =~ [[:space:][:cntrl:]] ]]; then
      fail "images: '$line' is not an image reference (it holds whitespace or a control character); give one image per line"
    fi
    case "$line" in
      -*) fail "images: '$line' is not an image reference (it starts with '-')" ;;
    esac
    [[ $line =~ $IMAGE_CHARS ]] ||
      fail "images: '$line' is not an image reference (allowed: letters, digits and . _ / : @ + - [ ])"
    IMAGES+=("$line")
  done <<<"${IN_IMAGES:-}"
  ((${#IMAGES[@]})) || fail "input images is empty: give at least one image reference, one per line"
}

# check_release_url URL: fails unless URL is https://, or http:// to this machine only (a local mirror or a
# test server), without user information (`http://localhost:80@evil.example/` is evil.example).
check_release_url() {
  local url=$1 rest authority local_http='^http://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]+)?(/|$)'
  no_control release-url "$url"
  case "$url" in
    https://* | http://*) ;;
    *) fail "release-url must be an https:// URL, got '$url'" ;;
  esac
  rest=${url#*://}
  authority=${rest%%[/?#]*}
  case "$authority" in
    '') fail "release-url '$url' names no host" ;;
    *@* | *\\*) fail "release-url must not hold user information or a backslash ('@', '\\'), got '$url'" ;;
  esac
  case "$url" in
    https://*) ;;
    *) [[ $url =~ $local_http ]] ||
      fail "release-url must be an https:// URL (plain http:// only to 127.0.0.1, localhost or [::1]), got '$url'" ;;
  esac
}

# VERSION_RE: a release version (`0.1.0`, `v0.1.0`, `1.2.3-rc.1`).
VERSION_RE='^v?[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$'

# password_set: whether HSIGN_PASSWORD or COSIGN_PASSWORD is set (even empty: a key without a password).
password_set() {
  [ -n "${HSIGN_PASSWORD+set}${COSIGN_PASSWORD+set}" ]
}

# check_inputs: validates every input of the mode; sets MODE, IMAGES and the boolean flags
# ALLOW_UNMATCHED, OFFLINE, ALLOW_HTTP_REGISTRY, ALLOW_UNPINNED_RELEASE.
check_inputs() {
  MODE=$(trim "${IN_MODE:-verify}")
  local pair var
  # Every input is one line without control characters: values are passed on command lines, written into
  # a generated policy file, and printed.
  for pair in mode:IN_MODE key:IN_KEY certificate-identity:IN_IDENTITY \
    certificate-identity-regexp:IN_IDENTITY_REGEXP certificate-oidc-issuer:IN_ISSUER \
    certificate-oidc-issuer-regexp:IN_ISSUER_REGEXP policy:IN_POLICY allow-unmatched:IN_ALLOW_UNMATCHED \
    trusted-root:IN_TRUSTED_ROOT offline:IN_OFFLINE allow-http-registry:IN_ALLOW_HTTP_REGISTRY \
    rekor-url:IN_REKOR_URL fulcio-url:IN_FULCIO_URL predicate:IN_PREDICATE predicate-type:IN_PREDICATE_TYPE \
    version:IN_VERSION release-url:IN_RELEASE_URL allow-unpinned-release:IN_ALLOW_UNPINNED_RELEASE; do
    var=${pair#*:}
    no_control "${pair%%:*}" "${!var:-}"
  done
  bool_input ALLOW_UNMATCHED allow-unmatched "${IN_ALLOW_UNMATCHED:-}"
  bool_input OFFLINE offline "${IN_OFFLINE:-}"
  bool_input ALLOW_HTTP_REGISTRY allow-http-registry "${IN_ALLOW_HTTP_REGISTRY:-}"
  bool_input ALLOW_UNPINNED_RELEASE allow-unpinned-release "${IN_ALLOW_UNPINNED_RELEASE:-}"
  read_images
  local version predicate_type
  version=$(trim "${IN_VERSION:-}")
  case "$version" in
    '' | source | latest) ;;
    *) [[ $version =~ $VERSION_RE ]] ||
      fail "input version must be source, latest or a release version such as 0.1.0, got '$version'" ;;
  esac
  [ -z "$(trim "${IN_RELEASE_URL:-}")" ] || check_release_url "$(trim "${IN_RELEASE_URL:-}")"
  predicate_type=$(trim "${IN_PREDICATE_TYPE:-}")
  local identity="${IN_IDENTITY:-}${IN_IDENTITY_REGEXP:-}${IN_ISSUER:-}${IN_ISSUER_REGEXP:-}"
  case "$MODE" in
    verify)
      # Inputs of sign mode would be silently ignored here: refuse them.
      [ -z "${IN_PREDICATE:-}" ] || fail "input predicate is for sign mode (verify mode checks attestations through a policy)"
      case "$predicate_type" in '' | custom) ;; *) fail "input predicate-type is for sign mode" ;; esac
      [ -z "${IN_FULCIO_URL:-}" ] || fail "input fulcio-url is for keyless signing (sign mode)"
      if [ -n "${IN_TRUSTED_ROOT:-}" ] && [ ! -f "$IN_TRUSTED_ROOT" ]; then
        fail "trusted-root file '$IN_TRUSTED_ROOT' does not exist"
      fi
      if [ -n "${IN_POLICY:-}" ]; then
        if [ -n "${IN_KEY:-}" ] || [ -n "$identity" ]; then
          fail "input policy replaces key and the certificate-* inputs: leave them empty (put the signers in the policy)"
        fi
        [ -f "$IN_POLICY" ] || fail "policy file '$IN_POLICY' does not exist"
      else
        [ "$ALLOW_UNMATCHED" = false ] ||
          fail "input allow-unmatched needs a policy (the policy made from key or certificate-* matches every image)"
        if [ -n "${IN_KEY:-}" ] && [ -n "$identity" ]; then
          fail "give either key or the certificate-* inputs, not both (a policy file can list several signers)"
        fi
        if [ -n "${IN_KEY:-}" ]; then
          [ -f "$IN_KEY" ] || fail "key file '$IN_KEY' does not exist"
        elif [ -n "$identity" ]; then
          if [ -n "${IN_IDENTITY:-}" ] && [ -n "${IN_IDENTITY_REGEXP:-}" ]; then
            fail "give certificate-identity or certificate-identity-regexp, not both"
          fi
          if [ -n "${IN_ISSUER:-}" ] && [ -n "${IN_ISSUER_REGEXP:-}" ]; then
            fail "give certificate-oidc-issuer or certificate-oidc-issuer-regexp, not both"
          fi
          if [ -z "${IN_IDENTITY:-}${IN_IDENTITY_REGEXP:-}" ] || [ -z "${IN_ISSUER:-}${IN_ISSUER_REGEXP:-}" ]; then
            fail "keyless verification needs certificate-identity (or -regexp) and certificate-oidc-issuer (or -regexp)"
          fi
        else
          fail "verify mode needs a policy, a key, or certificate-identity and certificate-oidc-issuer"
        fi
      fi
      ;;
    sign)
      # Inputs of verify mode would be silently ignored here: refuse them.
      [ -z "${IN_POLICY:-}" ] || fail "input policy is for verify mode; sign mode signs with key, or keyless"
      [ -z "$identity" ] || fail "the certificate-* inputs are for verify mode; keyless signing uses the job's OIDC token"
      [ "$ALLOW_UNMATCHED" = false ] || fail "input allow-unmatched is for verify mode"
      [ "$OFFLINE" = false ] || fail "input offline is for verify mode (signing records the signature in Rekor)"
      # hsign sign has no --trusted-root: signing verifies nothing against a root, so the input would be ignored.
      [ -z "${IN_TRUSTED_ROOT:-}" ] ||
        fail "input trusted-root is for verify mode (sign mode talks to fulcio-url and rekor-url)"
      if [ -n "${IN_KEY:-}" ]; then
        [ -f "$IN_KEY" ] || fail "key file '$IN_KEY' does not exist"
        [ -z "${IN_FULCIO_URL:-}" ] || fail "input fulcio-url is for keyless signing; leave it empty with key"
        password_set ||
          fail "sign mode with key needs the key's password in HSIGN_PASSWORD or COSIGN_PASSWORD (the step's env:, from a secret; empty for a key without one)"
      fi
      if [ -n "${IN_PREDICATE:-}" ]; then
        [ -f "$IN_PREDICATE" ] || fail "predicate file '$IN_PREDICATE' does not exist"
      else
        case "$predicate_type" in '' | custom) ;; *) fail "input predicate-type needs predicate" ;; esac
      fi
      ;;
    *) fail "input mode must be verify or sign, got '$MODE'" ;;
  esac
  command -v jq >/dev/null 2>&1 ||
    fail "jq is not installed: the action reads hsign's JSON report with it (GitHub-hosted runners have it; on a self-hosted runner install jq)"
}
