#!/bin/bash
# An explicit exit 1 between points.
. "$(dirname "$0")/../lib.sh"
t_pass "before the abort"
exit 1
