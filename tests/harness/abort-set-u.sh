#!/bin/bash
# set -u: an unset variable.
. "$(dirname "$0")/../lib.sh"
t_pass "before the abort"
# shellcheck disable=SC2154 # unset on purpose: the abort under test
echo "$no_such_variable"
t_pass "never reached"
