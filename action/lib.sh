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

# print_untrusted FILE: prints FILE (text that may come from a registry or a server) on stdout between
# ::stop-commands:: markers, so a line in it that looks like a workflow command is not run as one.
print_untrusted() {
  [ -s "$1" ] || return 0
  local token
  token=$(random_hex)
  printf '::stop-commands::%s\n' "$token"
  cat "$1"
  # A file without a final newline would glue the resume marker to its last line.
  [ -z "$(tail -c 1 "$1")" ] || printf '\n'
  printf '::%s::\n' "$token"
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

# read_images: fills the array IMAGES from IN_IMAGES, one reference a line; blank lines and surrounding
# whitespace are ignored. References cannot hold whitespace or start with '-'.
read_images() {
  IMAGES=()
  local line
  while IFS= read -r line || [ -n "$line" ]; do
    line=$(trim "$line")
    [ -n "$line" ] || continue
    case "$line" in
      -*) fail "images: '$line' is not an image reference (it starts with '-')" ;;
    esac
    if [[ $line =~ [[:space:][:cntrl:]] ]]; then
      fail "images: '$line' is not an image reference (it holds whitespace); give one image per line"
    fi
    IMAGES+=("$line")
  done <<<"${IN_IMAGES:-}"
  ((${#IMAGES[@]})) || fail "input images is empty: give at least one image reference, one per line"
}

# check_inputs: validates every input of the mode; sets MODE, IMAGES and the boolean flags
# ALLOW_UNMATCHED, OFFLINE, ALLOW_HTTP_REGISTRY.
check_inputs() {
  MODE=$(trim "${IN_MODE:-verify}")
  bool_input ALLOW_UNMATCHED allow-unmatched "${IN_ALLOW_UNMATCHED:-}"
  bool_input OFFLINE offline "${IN_OFFLINE:-}"
  bool_input ALLOW_HTTP_REGISTRY allow-http-registry "${IN_ALLOW_HTTP_REGISTRY:-}"
  read_images
  local pair var
  for pair in key:IN_KEY certificate-identity:IN_IDENTITY certificate-identity-regexp:IN_IDENTITY_REGEXP \
    certificate-oidc-issuer:IN_ISSUER certificate-oidc-issuer-regexp:IN_ISSUER_REGEXP policy:IN_POLICY \
    predicate:IN_PREDICATE; do
    var=${pair#*:}
    no_control "${pair%%:*}" "${!var:-}"
  done
  local identity="${IN_IDENTITY:-}${IN_IDENTITY_REGEXP:-}${IN_ISSUER:-}${IN_ISSUER_REGEXP:-}"
  case "$MODE" in
    verify)
      if [ -n "${IN_POLICY:-}" ]; then
        if [ -n "${IN_KEY:-}" ] || [ -n "$identity" ]; then
          fail "input policy replaces key and the certificate-* inputs: leave them empty (put the signers in the policy)"
        fi
        [ -f "$IN_POLICY" ] || fail "policy file '$IN_POLICY' does not exist"
      else
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
      [ -z "${IN_POLICY:-}" ] || fail "input policy is for verify mode; sign mode signs with key, or keyless"
      [ -z "$identity" ] || fail "the certificate-* inputs are for verify mode; keyless signing uses the job's OIDC token"
      if [ -n "${IN_KEY:-}" ] && [ ! -f "$IN_KEY" ]; then
        fail "key file '$IN_KEY' does not exist"
      fi
      if [ -n "${IN_PREDICATE:-}" ] && [ ! -f "$IN_PREDICATE" ]; then
        fail "predicate file '$IN_PREDICATE' does not exist"
      fi
      ;;
    *) fail "input mode must be verify or sign, got '$MODE'" ;;
  esac
  command -v jq >/dev/null 2>&1 ||
    fail "jq is not installed: the action reads hsign's JSON report with it (GitHub-hosted runners have it; on a self-hosted runner install jq)"
}
