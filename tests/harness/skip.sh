#!/bin/bash
# One pass and one skipped point with its reason.
. "$(dirname "$0")/../lib.sh"
t_pass "fine"
t_skip "needs a fixture" "fixture absent"
