#!/usr/bin/env bash
# Step 1 of the hsign action: validates the inputs before anything is installed.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
check_inputs
echo "hsign action: mode $MODE, ${#IMAGES[@]} image(s)"
