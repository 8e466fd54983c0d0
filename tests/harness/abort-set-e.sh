#!/bin/bash
# set -e: a failing pipeline in a narration line after one point.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
t_pass "before the abort"
sizes=$(grep 'no such line' /dev/null | tr a b)
t_pass "never reached $sizes"
