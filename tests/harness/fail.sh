#!/bin/bash
# One pass, one failure with its diagnostics.
. "$(dirname "$0")/../lib.sh"
t_pass "fine"
t_is "got" "want" "a value that differs"
